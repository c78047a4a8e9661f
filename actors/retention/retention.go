package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/joblease"
	"github.com/ttr-rip/ttr/persistence"
)

// LeaseName names the pruner's job lease in the store.
const LeaseName = "retention"

// Store is what the pruner deletes from and reads (persistence.Store implements it).
type Store interface {
	PrunePings(ctx context.Context, keep, afterID int64, scan, limit int) (persistence.PingPruneStep, error)
	PruneFlips(ctx context.Context, before time.Time, limit int) (int64, error)
	PruneOutbox(ctx context.Context, before time.Time, limit int) (int64, error)
	PruneAudit(ctx context.Context, before time.Time, limit int) (int64, error)
	PruneRetired(ctx context.Context, before time.Time, limit int) (int64, error)
	OldestRows(ctx context.Context) (map[string]time.Time, error)
	joblease.Store
}

// Config says what is kept and how fast the pruner may go. A zero retention (PingLogLimit,
// FlipsFor, OutboxFor, ActivityFor) keeps that table's rows forever; the other zero fields
// take their defaults.
type Config struct {
	// PingLogLimit is how many pings each check keeps (--ping-log-limit; the daemon's
	// default is 1,000).
	PingLogLimit int64
	// FlipsFor, OutboxFor and ActivityFor are how long flips, finished outbox rows and
	// authentication activity are kept (the daemon: 400, 30 and 90 days).
	FlipsFor, OutboxFor, ActivityFor time.Duration
	// RetiredFor is how long a retired credential is recognised (default 24 h).
	RetiredFor time.Duration
	// Every is the pause between passes (default 1 h).
	Every time.Duration
	// FirstRun is how long after Start the first pass begins (default the smaller of a
	// minute and Every): start-up is left alone.
	FirstRun time.Duration
	// Batch is the most rows one statement deletes (default 500).
	Batch int
	// Scan is how many checks one ping-log statement walks (default 500).
	Scan int
	// Duty is the largest share of a pass's time spent in its statements (default 0.2):
	// after a statement that took d the pass pauses d·(1-Duty)/Duty, at least BatchPause.
	Duty float64
	// BatchPause is the least pause between two statements (default 10 ms).
	BatchPause time.Duration
	// LeaseTTL is how long the job lease holds without renewal (default 2 min).
	LeaseTTL time.Duration
}

// Defaults of the daemon (docs/operations.md, "Retention").
const (
	DefaultPingLogLimit = 1000
	DefaultFlipsFor     = 400 * 24 * time.Hour
	DefaultOutboxFor    = 30 * 24 * time.Hour
	DefaultActivityFor  = 90 * 24 * time.Hour
)

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.RetiredFor, 24*time.Hour)
	def(&c.Every, time.Hour)
	def(&c.FirstRun, min(time.Minute, c.Every))
	def(&c.BatchPause, 10*time.Millisecond)
	def(&c.LeaseTTL, 2*time.Minute)
	if c.Batch == 0 {
		c.Batch = 500
	}
	if c.Scan == 0 {
		c.Scan = 500
	}
	if c.Duty == 0 {
		c.Duty = 0.2
	}
	return c
}

// Validate reports every setting New refuses.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.PingLogLimit < 0 || c.FlipsFor < 0 || c.OutboxFor < 0 || c.ActivityFor < 0 {
		errs = append(errs, errors.New("retention: a retention must be positive, or 0 to keep everything"))
	}
	if c.RetiredFor < 0 || c.Every < 0 || c.FirstRun < 0 || c.BatchPause < 0 || c.LeaseTTL <= 0 {
		errs = append(errs, errors.New("retention: durations must be positive"))
	}
	if c.Batch < 1 || c.Scan < 1 {
		errs = append(errs, fmt.Errorf("retention: batch %d, scan %d: want at least 1", c.Batch, c.Scan))
	}
	if c.Duty <= 0 || c.Duty > 1 {
		errs = append(errs, fmt.Errorf("retention: duty %v: want more than 0 and at most 1", c.Duty))
	}
	return errors.Join(errs...)
}

// Deps are the pruner's collaborators.
type Deps struct {
	Store Store
	// Healthy reports whether this node's store is healthy and it may act (its node lease
	// is valid). Required.
	Healthy func() bool
	// Holder names this node in the job lease (its node id). Required.
	Holder func() string
	// Now is the clock; nil = time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Registerer receives the pruner's metrics; nil = none.
	Registerer prometheus.Registerer
	// Sleep pauses between statements; nil waits on a timer (tests pass a recorder).
	Sleep func(ctx context.Context, d time.Duration) error
}

// ErrUnhealthy says the store is unhealthy: nothing (more) is pruned this pass.
var ErrUnhealthy = errors.New("retention: the store is unhealthy")

// Service is the background pruner.
type Service struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	metrics *metrics
	mu      sync.Mutex // one pass at a time
	cancel  context.CancelFunc
	done    chan struct{}
}

// New returns a pruner; Start runs it.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Healthy == nil || deps.Holder == nil {
		return nil, errors.New("retention: Store, Healthy and Holder are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Sleep == nil {
		deps.Sleep = sleep
	}
	m, err := newMetrics(deps.Registerer, deps.Now)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg.withDefaults(), deps: deps, log: deps.Logger, metrics: m}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Start runs a pass FirstRun after now, then every Every, until Stop. ctx only guards the
// start: the passes run until Stop.
func (s *Service) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		wait := s.cfg.FirstRun
		for {
			if sleep(ctx, wait) != nil {
				return
			}
			rep, err := s.RunOnce(ctx)
			s.logRun(rep, err)
			wait = s.cfg.Every
		}
	}()
	return nil
}

// Stop ends the service and waits for a pass in progress to stop.
func (s *Service) Stop() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
}

// Report is what one pass did.
type Report struct {
	Held    bool             // another node holds the lease: this node pruned nothing
	Deleted map[string]int64 // rows deleted, by table
}

func (s *Service) logRun(r Report, err error) {
	switch {
	case err != nil && errors.Is(err, context.Canceled):
	case err != nil:
		s.log.Warn("retention pass stopped", "err", err, "deleted", r.Deleted)
	case r.Held:
		s.log.Debug("retention runs on another node")
	default:
		s.log.Info("retention pass done", "deleted", r.Deleted)
	}
}

// rule is one table's pruning: step deletes one batch and reports whether the table is done
// for this pass.
type rule struct {
	table string
	step  func(ctx context.Context) (deleted int64, done bool, err error)
}

// rules are this pass's rules at now, in order; a table kept forever has none.
func (s *Service) rules(now time.Time) []rule {
	c := s.cfg
	var out []rule
	if c.PingLogLimit > 0 {
		var after int64 // the walk's position over the checks, across steps
		out = append(out, rule{persistence.TablePings, func(ctx context.Context) (int64, bool, error) {
			st, err := s.deps.Store.PrunePings(ctx, c.PingLogLimit, after, c.Scan, c.Batch)
			after = st.Next
			return st.Deleted, st.Done, err
		}})
	}
	byAge := func(table string, keep time.Duration, prune func(context.Context, time.Time, int) (int64, error)) {
		if keep <= 0 {
			return
		}
		before := now.Add(-keep)
		out = append(out, rule{table, func(ctx context.Context) (int64, bool, error) {
			n, err := prune(ctx, before, c.Batch)
			return n, n < int64(c.Batch), err
		}})
	}
	st := s.deps.Store
	byAge(persistence.TableFlips, c.FlipsFor, st.PruneFlips)
	byAge(persistence.TableOutbox, c.OutboxFor, st.PruneOutbox)
	byAge(persistence.TableActivity, c.ActivityFor, st.PruneAudit)
	byAge(persistence.TableRetiredKeys, c.RetiredFor, st.PruneRetired)
	return out
}

// RunOnce runs one pass now: every rule to its end under the job lease, throttled, then
// refreshes the oldest-row gauges (on every node, lease or not).
func (s *Service) RunOnce(ctx context.Context) (rep Report, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		s.metrics.run(rep, err)
		if oldest, oerr := s.deps.Store.OldestRows(ctx); oerr == nil {
			s.metrics.setOldest(oldest)
		} else if err == nil {
			err = oerr
		}
	}()
	rep.Deleted = map[string]int64{}
	if !s.deps.Healthy() {
		return rep, ErrUnhealthy
	}
	lease := &joblease.Lease{Store: s.deps.Store, Name: LeaseName, Holder: s.deps.Holder(), TTL: s.cfg.LeaseTTL, Now: s.deps.Now}
	rep.Held, err = lease.Run(ctx, func() error { return s.prune(ctx, lease, &rep) })
	return rep, err
}

// prune runs every rule to its end under the lease, throttled.
func (s *Service) prune(ctx context.Context, lease *joblease.Lease, rep *Report) error {
	for _, r := range s.rules(s.deps.Now()) {
		for done := false; !done; {
			if !s.deps.Healthy() {
				return ErrUnhealthy
			}
			if err := lease.Hold(ctx); err != nil {
				return err
			}
			start := time.Now()
			n, last, err := r.step(ctx)
			if err != nil {
				return fmt.Errorf("retention: %s: %w", r.table, err)
			}
			done = last
			rep.Deleted[r.table] += n
			s.metrics.pruned(r.table, n)
			if err := s.deps.Sleep(ctx, s.pause(time.Since(start))); err != nil {
				return err
			}
		}
	}
	return nil
}

// pause is the wait after a statement that took took: the pass spends at most Duty of its
// time in statements, so a long first pass leaves the store's writer to the pings.
func (s *Service) pause(took time.Duration) time.Duration {
	d := time.Duration(float64(took) * (1 - s.cfg.Duty) / s.cfg.Duty)
	return max(d, s.cfg.BatchPause)
}
