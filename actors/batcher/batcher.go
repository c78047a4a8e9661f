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

// Config tunes the batcher.
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
	// Gate, when set, is asked before each commit; an error fails the whole batch as
	// Unavailable without touching the store (a node whose lease lapsed must not commit).
	Gate func() error
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{MaxBatch: 500, Queue: 20000, Timeout: 10 * time.Second, LingerBatch: 64}
}

// ErrStopped is returned by Submit after Stop.
var ErrStopped = errors.New("write batcher stopped")

// Batcher commits writes in groups.
type Batcher struct {
	cfg    Config
	store  Committer
	log    *slog.Logger
	onFail func(error) // told about whole-batch failures (store health)
	onOK   func()

	in      chan Item
	mu      sync.RWMutex // guards stopped against Submit racing Stop
	stopped bool
	done    chan struct{}
	metrics *metrics
}

// New returns a batcher; call Start. onFail and onOK (may be nil) observe whole-batch
// failures and successes, for store-health tracking.
func New(cfg Config, store Committer, log *slog.Logger, reg prometheus.Registerer, onFail func(error), onOK func()) *Batcher {
	d := DefaultConfig()
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = d.MaxBatch
	}
	if cfg.Queue <= 0 {
		cfg.Queue = d.Queue
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.LingerBatch <= 0 {
		cfg.LingerBatch = d.LingerBatch
	}
	cfg.LingerBatch = min(cfg.LingerBatch, cfg.MaxBatch)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Batcher{cfg: cfg, store: store, log: log, onFail: onFail, onOK: onOK,
		in: make(chan Item, cfg.Queue), done: make(chan struct{}), metrics: newMetrics(reg)}
}

// Start runs the commit loop until Stop.
func (b *Batcher) Start() { go b.run() }

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
func (b *Batcher) Stop() {
	b.mu.Lock()
	if !b.stopped {
		b.stopped = true
		close(b.in)
	}
	b.mu.Unlock()
	<-b.done
}

func (b *Batcher) run() {
	defer close(b.done)
	batch := make([]Item, 0, b.cfg.MaxBatch)
	writes := make([]persistence.Write, 0, b.cfg.MaxBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	loaded := false // the previous batch had company: more writes are likely on their way
	for {
		first, ok := <-b.in
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		open := b.drain(&batch, b.cfg.MaxBatch)
		if open && loaded && b.cfg.Linger > 0 && len(batch) < b.cfg.LingerBatch {
			linger.Reset(b.cfg.Linger)
			open = b.wait(&batch, linger.C)
			linger.Stop()
			if open {
				b.drain(&batch, b.cfg.MaxBatch)
			}
		}
		loaded = len(batch) > 1
		writes = writes[:0]
		for _, it := range batch {
			writes = append(writes, it.Write)
		}
		b.commit(batch, writes)
		clear(batch) // drop references to bodies and callbacks
		clear(writes)
	}
}

// drain adds what is queued, without waiting, up to max writes. It reports false when the
// queue is closed.
func (b *Batcher) drain(batch *[]Item, max int) bool {
	for len(*batch) < max {
		select {
		case it, ok := <-b.in:
			if !ok {
				return false
			}
			*batch = append(*batch, it)
		default:
			return true
		}
	}
	return true
}

// wait adds writes as they arrive until the batch holds LingerBatch or the timer fires. It
// reports false when the queue is closed.
func (b *Batcher) wait(batch *[]Item, timeout <-chan time.Time) bool {
	for len(*batch) < b.cfg.LingerBatch {
		select {
		case it, ok := <-b.in:
			if !ok {
				return false
			}
			*batch = append(*batch, it)
		case <-timeout:
			return true
		}
	}
	return true
}

func (b *Batcher) commit(batch []Item, writes []persistence.Write) {
	var (
		outcomes []persistence.Outcome
		err      error
	)
	start := time.Now()
	if b.cfg.Gate != nil {
		err = b.cfg.Gate()
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Timeout)
		outcomes, err = b.store.Commit(ctx, writes)
		cancel()
	}
	b.metrics.observe(len(writes), time.Since(start), err)
	if err == nil && len(outcomes) != len(batch) {
		err = errors.New("store returned a wrong number of outcomes")
	}
	if err != nil {
		b.log.Warn("batch commit failed", "writes", len(batch), "err", err)
		if b.onFail != nil {
			b.onFail(err)
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
	if b.onOK != nil {
		b.onOK()
	}
	for i, it := range batch {
		b.metrics.outcome(outcomes[i].Kind)
		it.Done(outcomes[i])
	}
}
