// Package batcher is the node-wide write batcher: it takes the writes of every check actor
// and commits them together (group commit). The next commit starts as soon as the previous
// one finishes, so under load batches grow by themselves and when idle a write commits at
// once. Under load a batch may also linger (Config.Linger) for more writes: each commit has
// a fixed cost (an fsync, a WAL header, a round trip) that larger batches share, and when
// the node's CPU is the bottleneck the commits are quick and would otherwise stay small. Each write keeps its own outcome; a batch that fails as a
// whole answers every write Unavailable. Actors never wait on a commit: a write's Done runs
// on the batcher's goroutine when its batch has committed, and must not block.
package batcher

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/persistence"
)

// Committer is the store side of the batcher (persistence.SystemStore.Commit).
type Committer interface {
	Commit(ctx context.Context, writes []persistence.Write) ([]persistence.Outcome, error)
}

// Item is one write and what to do with its outcome.
type Item struct {
	Write persistence.Write
	// Done receives the write's outcome once its batch has committed or failed. It runs on
	// the batcher's goroutine: hand the outcome to an actor, never block.
	Done func(persistence.Outcome)
}

// Config tunes the batcher. A zero field takes its default.
type Config struct {
	MaxBatch int           // writes per commit (default 500)
	Queue    int           // writes waiting for a commit before Submit blocks (default 20,000)
	Timeout  time.Duration // bound on one commit (default 10 s)
	// Linger is how long a batch may wait for more writes before it commits, once the
	// previous batch showed load (more than one write): at most this much latency for a
	// write, in exchange for fewer commits. 0 commits at once.
	Linger time.Duration
	// LingerBatch ends the lingering as soon as the batch holds this many writes (default 64).
	LingerBatch int
	// Concurrency is how many batches may commit at once (default 1). A store that takes
	// concurrent transactions (PostgreSQL) spends most of a commit waiting on round trips
	// and the WAL flush, which other batches can share. The writes of one check never go to
	// two batches in flight: a later write waits for the batch holding an earlier one, so
	// each check's writes still apply in the order they were submitted.
	Concurrency int
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{MaxBatch: 500, Queue: 20000, Timeout: 10 * time.Second, LingerBatch: 64, Concurrency: 1}
}

// Validate reports every setting New refuses.
func (c Config) Validate() error {
	if c.MaxBatch < 0 || c.Queue < 0 || c.Timeout < 0 || c.Linger < 0 || c.LingerBatch < 0 || c.Concurrency < 0 {
		return errors.New("batcher: sizes and durations must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxBatch == 0 {
		c.MaxBatch = d.MaxBatch
	}
	if c.Queue == 0 {
		c.Queue = d.Queue
	}
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.LingerBatch == 0 {
		c.LingerBatch = d.LingerBatch
	}
	c.LingerBatch = min(c.LingerBatch, c.MaxBatch)
	if c.Concurrency == 0 {
		c.Concurrency = d.Concurrency
	}
	return c
}

// Deps are the batcher's collaborators.
type Deps struct {
	// Store commits the batches. Required.
	Store Committer
	// Gate, when set, is asked before each commit; an error fails the whole batch as
	// Unavailable without touching the store (a node whose lease lapsed must not commit).
	Gate func() error
	// OnFail and OnOK observe whole-batch failures and successes, for store-health
	// tracking; nil = nothing.
	OnFail func(error)
	OnOK   func()
	// Registerer receives the commit metrics; nil = none.
	Registerer prometheus.Registerer
	// Logger; nil = discard.
	Logger *slog.Logger
}

// ErrStopped is returned by Submit after Stop.
var ErrStopped = errors.New("write batcher stopped")

// Batcher commits writes in groups.
type Batcher struct {
	cfg Config
	d   Deps
	log *slog.Logger

	in      chan Item
	mu      sync.RWMutex // guards stopped against Submit racing Stop
	stopped bool
	done    chan struct{}
	metrics *metrics
}

// New returns a batcher; Start runs its commit loop. Writes submitted before Start queue
// (up to Config.Queue) and commit once it runs.
func New(cfg Config, d Deps) (*Batcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil {
		return nil, errors.New("batcher: Store is required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Batcher{cfg: cfg, d: d, log: d.Logger,
		in: make(chan Item, cfg.Queue), done: make(chan struct{}), metrics: m}, nil
}

// Start runs the commit loop until Stop. ctx only guards the start: the loop ends with
// Stop, after committing what is queued.
func (b *Batcher) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	go b.run()
	return nil
}

// Submit queues a write. It blocks only when the queue is full (back-pressure), and fails
// after Stop.
func (b *Batcher) Submit(it Item) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.stopped {
		return ErrStopped
	}
	b.in <- it
	return nil
}

// Stop commits what is queued and stops. Writes submitted afterwards fail with ErrStopped.
// Call it only after a successful Start: it waits for the commit loop to end.
func (b *Batcher) Stop() {
	b.mu.Lock()
	if !b.stopped {
		b.stopped = true
		close(b.in)
	}
	b.mu.Unlock()
	<-b.done
}

// loop is the state of the commit loop: the batches in flight and the writes held back
// because their check has a write in one of them.
type loop struct {
	b        *Batcher
	open     bool          // the input is not closed yet
	inflight int           // batches committing
	busy     map[int64]int // checks with writes in a batch in flight (never more than one)
	held     []Item        // writes waiting for their check's batch, in submission order
	heldOf   map[int64]int // held writes per check
	finished chan flight   // batches that committed (their Done already called)
	lingerT  *time.Timer
	loaded   bool     // the previous batch had company: more writes are likely on their way
	free     []flight // buffers of committed batches, reused: a write is a few hundred bytes
}

// flight is a batch and the writes handed to the store.
type flight struct {
	items  []Item
	writes []persistence.Write
}

func (b *Batcher) run() {
	defer close(b.done)
	l := &loop{b: b, open: true, busy: map[int64]int{}, heldOf: map[int64]int{},
		finished: make(chan flight, b.cfg.Concurrency), lingerT: time.NewTimer(time.Hour)}
	l.lingerT.Stop()
	for l.open || l.inflight > 0 || len(l.held) > 0 {
		if l.inflight == b.cfg.Concurrency {
			l.release(<-l.finished)
			continue
		}
		batch := l.next()
		if len(batch) == 0 {
			l.idle()
			continue
		}
		l.launch(batch)
	}
}

// next forms a batch from the held writes that may go now and what is queued, lingering
// under load. It does not block when nothing is there.
func (l *loop) next() []Item {
	b := l.b
	var batch []Item
	if n := len(l.free); n > 0 {
		// The newest free buffer; launch pops that same entry, so the batch and the
		// flight's writes buffer travel together.
		batch = l.free[n-1].items
	}
	kept := l.held[:0]
	for _, it := range l.held {
		if len(batch) < b.cfg.MaxBatch && l.busy[it.Write.CheckID] == 0 {
			batch = append(batch, it)
			l.heldOf[it.Write.CheckID]--
			if l.heldOf[it.Write.CheckID] == 0 {
				delete(l.heldOf, it.Write.CheckID)
			}
		} else {
			kept = append(kept, it)
		}
	}
	clear(l.held[len(kept):])
	l.held = kept
	l.drain(&batch, nil)
	l.linger(&batch)
	return batch
}

// linger waits, under load, for more writes to join a batch that has some.
func (l *loop) linger(batch *[]Item) {
	b := l.b
	if len(*batch) > 0 && l.open && l.loaded && b.cfg.Linger > 0 && len(*batch) < b.cfg.LingerBatch {
		l.lingerT.Reset(b.cfg.Linger)
		l.drain(batch, l.lingerT.C)
		l.lingerT.Stop()
	}
}

// drain adds queued writes to the batch (holding back those whose check is in flight) until
// it is full, the queue is empty (timeout nil) or timeout fires.
func (l *loop) drain(batch *[]Item, timeout <-chan time.Time) {
	b := l.b
	limit := b.cfg.MaxBatch
	if timeout != nil {
		limit = b.cfg.LingerBatch
	}
	for l.open && len(*batch) < limit {
		var it Item
		var ok bool
		if timeout == nil {
			select {
			case it, ok = <-b.in:
			default:
				return
			}
		} else {
			select {
			case it, ok = <-b.in:
			case <-timeout:
				return
			}
		}
		if !ok {
			l.open = false
			return
		}
		if id := it.Write.CheckID; l.busy[id] > 0 || l.heldOf[id] > 0 {
			l.held = append(l.held, it)
			l.heldOf[id]++
			continue
		}
		*batch = append(*batch, it)
	}
}

// idle waits for a write or a finished batch.
func (l *loop) idle() {
	if !l.open {
		if l.inflight > 0 {
			l.release(<-l.finished) // held writes wait for a batch in flight
		}
		return
	}
	select {
	case it, ok := <-l.b.in:
		if !ok {
			l.open = false
			return
		}
		if id := it.Write.CheckID; l.busy[id] > 0 || l.heldOf[id] > 0 {
			l.held = append(l.held, it)
			l.heldOf[id]++
			return
		}
		batch := []Item{it}
		if n := len(l.free); n > 0 {
			batch = append(l.free[n-1].items, it)
		}
		l.drain(&batch, nil)
		l.linger(&batch)
		l.launch(batch)
	case done := <-l.finished:
		l.release(done)
	}
}

// launch commits a batch, on the loop's goroutine when batches go one at a time (nothing
// to overlap with), else on a goroutine of its own.
func (l *loop) launch(batch []Item) {
	l.loaded = len(batch) > 1
	forEachCheck(batch, func(id int64) { l.busy[id]++ })
	l.inflight++
	var f flight
	if n := len(l.free); n > 0 {
		f, l.free = l.free[n-1], l.free[:n-1]
	}
	f.items = batch
	for _, it := range batch {
		f.writes = append(f.writes, it.Write)
	}
	if l.b.cfg.Concurrency == 1 {
		l.b.commit(f.items, f.writes)
		l.release(f)
		return
	}
	go func() {
		l.b.commit(f.items, f.writes)
		l.finished <- f
	}()
}

// release marks a committed batch's checks free again and keeps its buffers for reuse.
func (l *loop) release(f flight) {
	l.inflight--
	batch := f.items
	defer func() {
		clear(f.items) // drop references to bodies and callbacks
		clear(f.writes)
		l.free = append(l.free, flight{items: f.items[:0], writes: f.writes[:0]})
	}()
	forEachCheck(batch, func(id int64) {
		if l.busy[id]--; l.busy[id] == 0 {
			delete(l.busy, id)
		}
	})
}

// forEachCheck calls fn once for each check with a write in batch.
func forEachCheck(batch []Item, fn func(id int64)) {
	if len(batch) <= 32 { // a scan beats a map for the usual batch
		for i, it := range batch {
			if !slices.ContainsFunc(batch[:i], func(o Item) bool { return o.Write.CheckID == it.Write.CheckID }) {
				fn(it.Write.CheckID)
			}
		}
		return
	}
	seen := make(map[int64]struct{}, len(batch))
	for _, it := range batch {
		if _, dup := seen[it.Write.CheckID]; !dup {
			seen[it.Write.CheckID] = struct{}{}
			fn(it.Write.CheckID)
		}
	}
}

func (b *Batcher) commit(batch []Item, writes []persistence.Write) {
	var (
		outcomes []persistence.Outcome
		err      error
	)
	start := time.Now()
	if b.d.Gate != nil {
		err = b.d.Gate()
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Timeout)
		outcomes, err = b.d.Store.Commit(ctx, writes)
		cancel()
	}
	b.metrics.observe(len(writes), time.Since(start), err)
	if err == nil && len(outcomes) != len(batch) {
		err = errors.New("store returned a wrong number of outcomes")
	}
	if err != nil {
		b.log.Warn("batch commit failed", "writes", len(batch), "err", err)
		if b.d.OnFail != nil {
			b.d.OnFail(err)
		}
		unavailable := err
		if !persistence.IsUnavailable(err) {
			unavailable = persistence.Unavailable(err)
		}
		for _, it := range batch {
			it.Done(persistence.Outcome{Kind: persistence.OutcomeFailed, Err: unavailable})
		}
		return
	}
	if b.d.OnOK != nil {
		b.d.OnOK()
	}
	for i, it := range batch {
		b.metrics.outcome(outcomes[i].Kind)
		it.Done(outcomes[i])
	}
}
