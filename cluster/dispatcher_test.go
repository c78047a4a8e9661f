package cluster

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestWorkerDispatcherRunsEveryTurn(t *testing.T) {
	d := newWorkerDispatcher(2, 300)
	defer d.close()
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Add(1)
		d.Schedule(func() { n.Add(1); wg.Done() })
	}
	wg.Wait()
	if n.Load() != 1000 {
		t.Fatalf("ran %d turns, want 1000", n.Load())
	}
}

// A turn that blocks (an actor in a slow store read) must not hold up another one, even
// when every worker is blocked.
func TestWorkerDispatcherBlockedWorkersDoNotDelayOthers(t *testing.T) {
	d := newWorkerDispatcher(2, 300)
	release := make(chan struct{})
	var started sync.WaitGroup
	for range 2 {
		started.Add(1)
		// A direct send lands on a worker: both workers end up blocked.
		d.turns <- func() { started.Done(); <-release }
	}
	started.Wait()
	done := make(chan struct{})
	d.Schedule(func() { close(done) })
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("a turn waited behind blocked workers")
	}
	close(release)
	d.close()
}
