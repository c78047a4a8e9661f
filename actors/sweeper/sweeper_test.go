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
	clock := func() time.Time { return now }
	s, err := sweeper.New(sweeper.Config{Interval: time.Second, Slack: 2 * time.Second},
		sweeper.Deps{Source: src, Tick: func(id int64) { poked = append(poked, id) }, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Sweep(); n != 1 || len(poked) != 1 || poked[0] != 1 {
		t.Fatalf("poked %v (n=%d), want [1]", poked, n)
	}
	if !src.asked.Equal(now.Add(-2 * time.Second)) {
		t.Fatalf("asked for wake-ups before %v, want now-slack", src.asked)
	}
	paused, err := sweeper.New(sweeper.Config{}, sweeper.Deps{Source: src, Tick: func(id int64) { t.Fatal("poked while paused") },
		Paused: func() bool { return true }, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if paused.Sweep() != 0 {
		t.Fatal("swept while paused")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	tick := func(int64) {}
	if _, err := sweeper.New(sweeper.Config{Slack: -time.Second}, sweeper.Deps{Source: &fakeSource{}, Tick: tick}); err == nil {
		t.Error("a negative slack was accepted")
	}
	if _, err := sweeper.New(sweeper.Config{}, sweeper.Deps{Tick: tick}); err == nil {
		t.Error("a sweeper without a source was accepted")
	}
	s, err := sweeper.New(sweeper.Config{}, sweeper.Deps{Source: &fakeSource{}, Tick: tick})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Stop()
}
