// Package sweeper is the backstop behind the deadline wheel: every few seconds it asks the
// store for checks whose wake-up passed more than a little while ago and sends each a Tick.
// On a healthy node it finds nothing; it repairs wake-ups that were lost (a tick dropped
// while an activation was failing, a write that set a wake-up the wheel never saw).
package sweeper

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ttr-rip/ttr/persistence"
)

// Source lists overdue checks (persistence.SystemStore.DueChecks).
type Source interface {
	DueChecks(ctx context.Context, t time.Time, limit int) ([]persistence.Wake, error)
}

// Config is the sweeper's timing. A zero field takes its default.
type Config struct {
	// Interval is how often the store is asked for overdue checks; it also bounds one
	// query. Default 5 s.
	Interval time.Duration
	// Slack is how late a wake-up must be before the sweeper pokes it (the wheel fires it
	// on time; the slack keeps the two from racing). Default 2 s.
	Slack time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{Interval: 5 * time.Second, Slack: 2 * time.Second} }

// Validate reports every setting New refuses.
func (c Config) Validate() error {
	if c.Interval < 0 || c.Slack < 0 {
		return errors.New("sweeper: durations must not be negative")
	}
	return nil
}

// Deps are the sweeper's collaborators.
type Deps struct {
	// Source lists the overdue checks. Required.
	Source Source
	// Tick sends a check a Tick if this node owns it. Required.
	Tick func(checkID int64)
	// Paused holds the sweeper while true (store unreachable, lease not valid); nil = never.
	Paused func() bool
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Logger; nil = discard.
	Logger *slog.Logger
}

// Sweeper pokes overdue checks.
type Sweeper struct {
	cfg  Config
	d    Deps
	stop chan struct{}
	done chan struct{}
}

// New returns a sweeper; Start runs it every Interval (Sweep runs one pass at once).
func New(cfg Config, d Deps) (*Sweeper, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Source == nil || d.Tick == nil {
		return nil, errors.New("sweeper: Source and Tick are required")
	}
	def := DefaultConfig()
	if cfg.Interval == 0 {
		cfg.Interval = def.Interval
	}
	if cfg.Slack == 0 {
		cfg.Slack = def.Slack
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Paused == nil {
		d.Paused = func() bool { return false }
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sweeper{cfg: cfg, d: d, stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// Start runs the sweeper until Stop. ctx only guards the start.
func (s *Sweeper) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	go s.run()
	return nil
}

// Stop stops the sweeper. Call it once, after a successful Start.
func (s *Sweeper) Stop() {
	close(s.stop)
	<-s.done
}

func (s *Sweeper) run() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Sweep does one pass and returns how many checks it poked.
func (s *Sweeper) Sweep() int {
	if s.d.Paused() {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Interval)
	defer cancel()
	due, err := s.d.Source.DueChecks(ctx, s.d.Now().Add(-s.cfg.Slack), 1000)
	if err != nil {
		s.d.Logger.Warn("sweep", "err", err)
		return 0
	}
	for _, w := range due {
		s.d.Tick(w.CheckID)
	}
	if len(due) > 0 {
		s.d.Logger.Debug("sweeper poked overdue checks", "count", len(due))
	}
	return len(due)
}
