package batcher_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/batcher"
	"github.com/ttr-rip/ttr/persistence"
)

// orderStore applies writes after a random delay, as concurrent transactions would, and
// records for each check the order in which its writes were applied, and how many batches
// holding it were in flight at once.
type orderStore struct {
	mu          sync.Mutex
	applied     map[int64][]int64 // check → ExpectVersion of its writes, in applied order
	inFlight    map[int64]int
	overlap     bool // a check was in two batches at once
	concurrent  int  // batches in flight now
	maxParallel int
}

func (s *orderStore) Commit(_ context.Context, ws []persistence.Write) ([]persistence.Outcome, error) {
	s.mu.Lock()
	s.concurrent++
	s.maxParallel = max(s.maxParallel, s.concurrent)
	seen := map[int64]bool{}
	for _, w := range ws {
		if !seen[w.CheckID] {
			seen[w.CheckID] = true
			if s.inFlight[w.CheckID]++; s.inFlight[w.CheckID] > 1 {
				s.overlap = true
			}
		}
	}
	s.mu.Unlock()
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range ws {
		s.applied[w.CheckID] = append(s.applied[w.CheckID], w.ExpectVersion)
	}
	for id := range seen {
		s.inFlight[id]--
	}
	s.concurrent--
	out := make([]persistence.Outcome, len(ws))
	for i := range out {
		out[i].Kind = persistence.OutcomeCommitted
	}
	return out, nil
}

// TestConcurrentBatchesKeepEachChecksOrder: with several batches in flight, each check's
// writes still apply in the order they were submitted, and no check is in two batches at
// once; batches of different checks do overlap.
func TestConcurrentBatchesKeepEachChecksOrder(t *testing.T) {
	for _, maxBatch := range []int{8, 100} { // small batches and large ones (see forEachCheck)
		t.Run(fmt.Sprint("max batch ", maxBatch), func(t *testing.T) { testConcurrentOrder(t, maxBatch) })
	}
}

func testConcurrentOrder(t *testing.T, maxBatch int) {
	st := &orderStore{applied: map[int64][]int64{}, inFlight: map[int64]int{}}
	b, err := batcher.New(batcher.Config{Concurrency: 4, MaxBatch: maxBatch}, batcher.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	const checks, perCheck = 20, 30
	var wg sync.WaitGroup
	wg.Add(checks * perCheck)
	var submit sync.WaitGroup
	for c := range checks {
		submit.Add(1)
		go func() { // each check's writes come from one goroutine, like an actor's
			defer submit.Done()
			for v := range perCheck {
				w := persistence.Write{CheckID: int64(c + 1), ExpectVersion: int64(v)}
				if err := b.Submit(batcher.Item{Write: w, Done: func(persistence.Outcome) { wg.Done() }}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	submit.Wait()
	wg.Wait()
	b.Stop()
	st.mu.Lock()
	defer st.mu.Unlock()
	for c := range checks {
		got := st.applied[int64(c+1)]
		if len(got) != perCheck {
			t.Fatalf("check %d: %d writes applied, want %d", c+1, len(got), perCheck)
		}
		for v, ev := range got {
			if ev != int64(v) {
				t.Fatalf("check %d applied out of order: %v", c+1, got)
			}
		}
	}
	if st.overlap {
		t.Error("a check was in two batches in flight at once")
	}
	if st.maxParallel < 2 {
		t.Errorf("at most %d batch in flight: concurrency unused", st.maxParallel)
	}
	if st.maxParallel > 4 {
		t.Errorf("%d batches in flight, want at most 4", st.maxParallel)
	}
}
