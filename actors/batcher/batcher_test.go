package batcher_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ttr-rip/ttr/actors/batcher"
	"github.com/ttr-rip/ttr/persistence"
)

// fakeStore records batch sizes and answers with a function of each write.
type fakeStore struct {
	mu      sync.Mutex
	batches [][]persistence.Write
	block   chan struct{} // when set, each Commit waits on it
	fail    error
	outcome func(w persistence.Write) persistence.Outcome
}

func (f *fakeStore) Commit(ctx context.Context, ws []persistence.Write) ([]persistence.Outcome, error) {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	f.batches = append(f.batches, append([]persistence.Write(nil), ws...))
	f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	out := make([]persistence.Outcome, len(ws))
	for i, w := range ws {
		out[i] = persistence.Outcome{Kind: persistence.OutcomeCommitted}
		if f.outcome != nil {
			out[i] = f.outcome(w)
		}
	}
	return out, nil
}

func collect(t *testing.T, b *batcher.Batcher, n int, id func(i int) int64) []persistence.Outcome {
	t.Helper()
	out := make([]persistence.Outcome, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		i := i
		if err := b.Submit(batcher.Item{Write: persistence.Write{CheckID: id(i)}, Done: func(o persistence.Outcome) {
			out[i] = o
			wg.Done()
		}}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	return out
}

func TestGroupCommitGrowsUnderLoad(t *testing.T) {
	st := &fakeStore{block: make(chan struct{})}
	b, err := batcher.New(batcher.Config{MaxBatch: 100}, batcher.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	done := make(chan []persistence.Outcome)
	go func() { done <- collect(t, b, 250, func(i int) int64 { return int64(i) }) }()
	// The first commit blocks; meanwhile the rest queue up and must be taken in full batches.
	time.Sleep(50 * time.Millisecond)
	close(st.block)
	out := <-done
	for i, o := range out {
		if o.Kind != persistence.OutcomeCommitted {
			t.Fatalf("write %d: outcome %v", i, o.Kind)
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.batches) > 5 {
		t.Fatalf("250 writes took %d commits; want group commits of up to 100", len(st.batches))
	}
	for _, b := range st.batches {
		if len(b) > 100 {
			t.Fatalf("batch of %d exceeds MaxBatch", len(b))
		}
	}
}

func TestPerWriteOutcomes(t *testing.T) {
	st := &fakeStore{outcome: func(w persistence.Write) persistence.Outcome {
		if w.CheckID%2 == 1 {
			return persistence.Outcome{Kind: persistence.OutcomeFenced}
		}
		return persistence.Outcome{Kind: persistence.OutcomeCommitted}
	}}
	reg := prometheus.NewRegistry()
	b, err := batcher.New(batcher.Config{}, batcher.Deps{Store: st, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	out := collect(t, b, 10, func(i int) int64 { return int64(i) })
	for i, o := range out {
		want := persistence.OutcomeCommitted
		if i%2 == 1 {
			want = persistence.OutcomeFenced
		}
		if o.Kind != want {
			t.Errorf("write %d: got %v want %v", i, o.Kind, want)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "ttr_store_writes_total"); err != nil || n == 0 {
		t.Fatalf("writes metric missing: %d %v", n, err)
	}
}

func TestWholeBatchFailureIsUnavailable(t *testing.T) {
	st := &fakeStore{fail: errors.New("connection refused")}
	var fails atomic.Int32
	b, err := batcher.New(batcher.Config{}, batcher.Deps{Store: st, OnFail: func(error) { fails.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	for _, o := range collect(t, b, 5, func(i int) int64 { return int64(i) }) {
		if o.Kind != persistence.OutcomeFailed || !persistence.IsUnavailable(o.Err) {
			t.Fatalf("outcome = %+v, want failed/unavailable", o)
		}
	}
	if fails.Load() == 0 {
		t.Fatal("onFail not called")
	}
}

func TestStopFlushesAndRefuses(t *testing.T) {
	st := &fakeStore{}
	b, err := batcher.New(batcher.Config{}, batcher.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got atomic.Int32
	for i := 0; i < 50; i++ {
		if err := b.Submit(batcher.Item{Done: func(persistence.Outcome) { got.Add(1) }}); err != nil {
			t.Fatal(err)
		}
	}
	b.Stop()
	if got.Load() != 50 {
		t.Fatalf("flushed %d of 50 writes before stopping", got.Load())
	}
	if err := b.Submit(batcher.Item{Done: func(persistence.Outcome) {}}); !errors.Is(err, batcher.ErrStopped) {
		t.Fatalf("Submit after Stop = %v", err)
	}
}

func TestGateRefusesWithoutTouchingTheStore(t *testing.T) {
	st := &fakeStore{}
	var open atomic.Bool
	b, err := batcher.New(batcher.Config{}, batcher.Deps{Store: st, Gate: func() error {
		if open.Load() {
			return nil
		}
		return errors.New("lease lapsed")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	for _, o := range collect(t, b, 3, func(i int) int64 { return int64(i) }) {
		if o.Kind != persistence.OutcomeFailed || !persistence.IsUnavailable(o.Err) {
			t.Fatalf("gated write outcome %+v", o)
		}
	}
	st.mu.Lock()
	n := len(st.batches)
	st.mu.Unlock()
	if n != 0 {
		t.Fatalf("the store saw %d batches while the gate was closed", n)
	}
	open.Store(true)
	if o := collect(t, b, 1, func(int) int64 { return 1 })[0]; o.Kind != persistence.OutcomeCommitted {
		t.Fatalf("after the gate opened: %+v", o)
	}
}

// TestLingerGathersTricklingWrites: once a batch showed load, the next one waits up to
// Linger for more writes instead of committing the first alone.
func TestLingerGathersTricklingWrites(t *testing.T) {
	for _, linger := range []time.Duration{0, 300 * time.Millisecond} {
		st := &fakeStore{}
		b, err := batcher.New(batcher.Config{Linger: linger, LingerBatch: 10}, batcher.Deps{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		submit := func(id int64) {
			wg.Add(1)
			if err := b.Submit(batcher.Item{Write: persistence.Write{CheckID: id}, Done: func(persistence.Outcome) { wg.Done() }}); err != nil {
				t.Fatal(err)
			}
		}
		submit(1)
		submit(2) // queued before Start: the first batch holds both, so the next may linger
		if err := b.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		submit(3)
		time.Sleep(30 * time.Millisecond)
		submit(4)
		wg.Wait()
		b.Stop()
		st.mu.Lock()
		sizes := make([]int, len(st.batches))
		for i, bt := range st.batches {
			sizes[i] = len(bt)
		}
		st.mu.Unlock()
		want := []int{2, 1, 1}
		if linger > 0 {
			want = []int{2, 2}
		}
		if fmt.Sprint(sizes) != fmt.Sprint(want) {
			t.Errorf("linger %v: batch sizes %v, want %v", linger, sizes, want)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := batcher.New(batcher.Config{Timeout: -time.Second}, batcher.Deps{Store: &fakeStore{}}); err == nil {
		t.Error("a negative timeout was accepted")
	}
	if _, err := batcher.New(batcher.Config{}, batcher.Deps{}); err == nil {
		t.Error("a batcher without a store was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := batcher.New(batcher.Config{}, batcher.Deps{Store: &fakeStore{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err == nil {
		t.Error("Start with a cancelled context succeeded")
	}
}
