package wheel_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/wheel"
	"github.com/ttr-rip/ttr/messages/waittest"
)

type fired struct {
	mu  sync.Mutex
	ids []int64
	at  map[int64]time.Time
	got map[int64]time.Time
}

func (f *fired) fire(id int64, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids = append(f.ids, id)
	f.at[id] = at
	f.got[id] = time.Now()
}

func (f *fired) snapshot() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.ids...)
}

func TestFiresInOrderAndOnTime(t *testing.T) {
	f := &fired{at: map[int64]time.Time{}, got: map[int64]time.Time{}}
	w, err := wheel.New(wheel.Config{}, wheel.Deps{Fire: f.fire})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	base := time.Now()
	for i, off := range []int{300, 100, 200, 50} {
		w.Set(int64(i), base.Add(time.Duration(off)*time.Millisecond))
	}
	w.Set(1, base.Add(250*time.Millisecond)) // moved later
	w.Set(4, base.Add(10*time.Millisecond))
	w.Remove(4)
	waittest.Until(t, 2*time.Second, "the condition", func() bool { return len(f.snapshot()) == 4 })
	got := f.snapshot()
	want := []int64{3, 2, 1, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fired %v, want %v", got, want)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, at := range f.at {
		late := f.got[id].Sub(at)
		if late < 0 || late > 100*time.Millisecond {
			t.Errorf("entry %d fired %v after its time; want within 100ms", id, late)
		}
	}
	if w.Len() != 0 {
		t.Fatalf("Len = %d after firing", w.Len())
	}
}

func TestPastEntriesFireAtOnceWithTheirTime(t *testing.T) {
	f := &fired{at: map[int64]time.Time{}, got: map[int64]time.Time{}}
	w, err := wheel.New(wheel.Config{}, wheel.Deps{Fire: f.fire})
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	w.Set(7, past)
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	waittest.Until(t, time.Second, "the condition", func() bool { return len(f.snapshot()) == 1 })
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.at[7].Equal(past) {
		t.Fatalf("fired with %v, want the entry's own time %v", f.at[7], past)
	}
}

func TestPausedHoldsEntries(t *testing.T) {
	f := &fired{at: map[int64]time.Time{}, got: map[int64]time.Time{}}
	var paused atomic.Bool
	paused.Store(true)
	w, err := wheel.New(wheel.Config{}, wheel.Deps{Fire: f.fire, Paused: paused.Load})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	w.Set(1, time.Now().Add(-time.Second))
	time.Sleep(300 * time.Millisecond)
	if n := len(f.snapshot()); n != 0 {
		t.Fatalf("fired %d entries while paused", n)
	}
	paused.Store(false)
	w.Poke()
	waittest.Until(t, time.Second, "the condition", func() bool { return len(f.snapshot()) == 1 })
}

func TestRemoveIfAndGet(t *testing.T) {
	w, err := wheel.New(wheel.Config{}, wheel.Deps{Fire: func(int64, time.Time) {}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(time.Hour)
	for i := int64(0); i < 100; i++ {
		w.Set(i, at.Add(time.Duration(i)*time.Second))
	}
	if n := w.RemoveIf(func(id int64) bool { return id%2 == 0 }); n != 50 {
		t.Fatalf("RemoveIf removed %d, want 50", n)
	}
	if _, ok := w.Get(4); ok {
		t.Fatal("removed entry still present")
	}
	got, ok := w.Get(5)
	if !ok || !got.Equal(at.Add(5*time.Second).Truncate(0).UTC()) {
		t.Fatalf("Get(5) = %v %v", got, ok)
	}
	w.Set(5, time.Time{})
	if w.Len() != 49 {
		t.Fatalf("Len = %d, want 49", w.Len())
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := wheel.New(wheel.Config{PausedRecheck: -time.Second}, wheel.Deps{Fire: func(int64, time.Time) {}}); err == nil {
		t.Error("a negative PausedRecheck was accepted")
	}
	if _, err := wheel.New(wheel.Config{}, wheel.Deps{}); err == nil {
		t.Error("a wheel without Fire was accepted")
	}
}
