package sweeper_test

import (
	"context"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/sweeper"
	"github.com/ttr-rip/ttr/persistence"
)

type fakeSource struct {
	wakes []persistence.Wake
	asked time.Time
}

func (f *fakeSource) DueChecks(_ context.Context, t time.Time, limit int) ([]persistence.Wake, error) {
	f.asked = t
	var out []persistence.Wake
	for _, w := range f.wakes {
		if !w.At.After(t) && len(out) < limit {
			out = append(out, w)
		}
	}
	return out, nil
}

func TestSweepPokesOnlyOverdue(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeSource{wakes: []persistence.Wake{
		{CheckID: 1, At: now.Add(-time.Minute)},
		{CheckID: 2, At: now.Add(-time.Second)}, // within slack: the wheel's job
		{CheckID: 3, At: now.Add(time.Minute)},
	}}
	var poked []int64
	s := sweeper.New(src, func(id int64) { poked = append(poked, id) }, nil, func() time.Time { return now }, time.Second, 2*time.Second, nil)
	if n := s.Sweep(); n != 1 || len(poked) != 1 || poked[0] != 1 {
		t.Fatalf("poked %v (n=%d), want [1]", poked, n)
	}
	if !src.asked.Equal(now.Add(-2 * time.Second)) {
		t.Fatalf("asked for wake-ups before %v, want now-slack", src.asked)
	}
	paused := sweeper.New(src, func(id int64) { t.Fatal("poked while paused") }, func() bool { return true }, func() time.Time { return now }, time.Second, 0, nil)
	if paused.Sweep() != 0 {
		t.Fatal("swept while paused")
	}
}
