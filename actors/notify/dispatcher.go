package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/messages"
)

// DueStore finds destinations with due outbox rows; persistence.Store implements it.
type DueStore interface {
	DueDestinations(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// Poker wakes the notifier of a destination, wherever it lives. It must not block for long:
// a poke is a hint, and a lost one is repaired by the next sweep.
type Poker interface {
	Poke(destHash string)
}

// PokerFunc adapts a function to Poker.
type PokerFunc func(destHash string)

// Poke calls f.
func (f PokerFunc) Poke(destHash string) { f(destHash) }

// Router is the part of the cluster router a RouterPoker uses.
type Router interface {
	Send(identity, typ string, version uint32, body proto.Message) error
}

// RowPoker is a Poker that can also say how many rows its writer just committed for the
// destination, so the notifier keeps its count of pending rows (ttr_outbox_depth) exact.
type RowPoker interface {
	Poker
	PokeRows(destHash string, rows int)
}

// RouterPoker sends poke envelopes through the router to destinations' notifiers, on
// whichever node owns each. Errors are logged at Debug: the next sweep pokes again.
type RouterPoker struct {
	r   Router
	log *slog.Logger
}

var _ RowPoker = (*RouterPoker)(nil)

// NewRouterPoker returns a RouterPoker over r.
func NewRouterPoker(r Router, logger *slog.Logger) *RouterPoker {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &RouterPoker{r: r, log: logger}
}

// Poke says the destination may have due rows (a sweep, a retry).
func (p *RouterPoker) Poke(destHash string) { p.PokeRows(destHash, 0) }

// PokeRows says rows new rows were committed for the destination.
func (p *RouterPoker) PokeRows(destHash string, rows int) {
	if err := p.r.Send(Identity(destHash), messages.TypePoke, 1, &messages.Poke{Rows: uint32(max(rows, 0))}); err != nil {
		p.log.Debug("poke notifier", "dest", destHash, "err", err)
	}
}

// dueLimit bounds the destinations poked per sweep; the rest are poked by the next sweeps.
const dueLimit = 1000

// DispatcherConfig is the dispatcher's timing. A zero field takes its default.
type DispatcherConfig struct {
	// Interval is how often due destinations are swept. Default 1 s.
	Interval time.Duration
}

// Validate reports every setting NewDispatcher refuses.
func (c DispatcherConfig) Validate() error {
	if c.Interval < 0 {
		return errors.New("dispatcher: Interval must not be negative")
	}
	return nil
}

// DispatcherDeps are the dispatcher's collaborators.
type DispatcherDeps struct {
	// Store lists the due destinations. Required.
	Store DueStore
	// Poker wakes their notifiers. Required.
	Poker Poker
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Logger; nil = discard.
	Logger *slog.Logger
}

// Dispatcher is the node-local outbox dispatcher: every interval it pokes the notifiers of
// destinations whose rows are due and unclaimed. That picks up rows left behind by a crash,
// a restart, a handover or an expired claim; new rows are poked by their writer right after
// the commit, so the dispatcher only repairs.
type Dispatcher struct {
	store    DueStore
	poker    Poker
	now      func() time.Time
	interval time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	lastErr string
}

// NewDispatcher returns a dispatcher; Start runs it (Sweep runs one pass at once).
func NewDispatcher(cfg DispatcherConfig, d DispatcherDeps) (*Dispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil || d.Poker == nil {
		return nil, errors.New("dispatcher: Store and Poker are required")
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{store: d.Store, poker: d.Poker, now: d.Now, interval: cfg.Interval, log: d.Logger}, nil
}

// Start runs the dispatcher until Stop or until ctx ends: a sweep at once, then one every
// interval. Starting a running dispatcher does nothing.
func (d *Dispatcher) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel != nil {
		return nil
	}
	ctx, d.cancel = context.WithCancel(ctx)
	d.done = make(chan struct{})
	go d.run(ctx, d.done)
	return nil
}

// Stop ends the dispatcher and waits for a sweep in progress.
func (d *Dispatcher) Stop() {
	d.mu.Lock()
	cancel, done := d.cancel, d.done
	d.cancel, d.done = nil, nil
	d.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (d *Dispatcher) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(d.interval)
	defer t.Stop()
	for {
		n, err := d.Sweep(ctx)
		d.logSweep(n, err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep pokes the notifier of every destination with due rows, once, and returns how many it
// poked.
func (d *Dispatcher) Sweep(ctx context.Context) (int, error) {
	hashes, err := d.store.DueDestinations(ctx, d.now(), dueLimit)
	if err != nil {
		return 0, err
	}
	for i, h := range hashes {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		d.poker.Poke(h)
	}
	return len(hashes), nil
}

// PokePending pokes the notifier of every destination with pending, unclaimed rows, due or
// not, once (at most dueLimit of them), and returns how many it poked. A node calls it when it
// starts and when ownership changes: a notifier holds its destination's rows — and counts
// them in ttr_outbox_depth — from then on, not only once a row in back-off falls due.
func (d *Dispatcher) PokePending(ctx context.Context) (int, error) {
	hashes, err := d.store.DueDestinations(ctx, d.now().Add(anyTime), dueLimit)
	if err != nil {
		return 0, err
	}
	for _, h := range hashes {
		d.poker.Poke(h)
	}
	return len(hashes), nil
}

// anyTime is later than any next attempt an outbox row can have.
const anyTime = 100 * 365 * 24 * time.Hour

// logSweep logs a store error when it changes, and its end.
func (d *Dispatcher) logSweep(n int, err error) {
	switch {
	case errors.Is(err, context.Canceled):
	case err != nil && err.Error() != d.lastErr:
		d.lastErr = err.Error()
		d.log.Warn("outbox dispatcher: due destinations", "err", err)
	case err != nil:
	case d.lastErr != "":
		d.lastErr = ""
		d.log.Info("outbox dispatcher: store answers again")
	case n > 0:
		d.log.Debug("outbox dispatcher poked notifiers", "count", n)
	}
}
