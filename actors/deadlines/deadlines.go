package deadlines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/actors/sweeper"
	"github.com/ttr-rip/ttr/actors/wheel"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/promreg"
	"github.com/ttr-rip/ttr/persistence"
)

// Config is the timing of the deadline machinery. A zero field takes its default.
type Config struct {
	// SweepInterval is how often the sweeper asks the store for overdue checks. Default 5 s.
	SweepInterval time.Duration
	// SweepSlack is how late a wake-up must be before the sweeper pokes it (the wheel fires
	// it on time; the slack keeps the two from racing). Default 2 s.
	SweepSlack time.Duration
	// RecoverTimeout bounds extending and re-arming the deadlines after a store outage.
	// Default 30 s.
	RecoverTimeout time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{SweepInterval: 5 * time.Second, SweepSlack: 2 * time.Second, RecoverTimeout: 30 * time.Second}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, p := range []struct{ v, def *time.Duration }{
		{&c.SweepInterval, &d.SweepInterval}, {&c.SweepSlack, &d.SweepSlack}, {&c.RecoverTimeout, &d.RecoverTimeout},
	} {
		if *p.v == 0 {
			*p.v = *p.def
		}
	}
	return c
}

// Validate reports every setting New refuses.
func (c Config) Validate() error {
	if c.SweepInterval < 0 || c.SweepSlack < 0 || c.RecoverTimeout < 0 {
		return errors.New("deadlines: durations must be positive")
	}
	return nil
}

// Store is what the deadline passes read and write (persistence.SystemStore).
type Store interface {
	sweeper.Source
	ForEachCheck(ctx context.Context, fn func(persistence.CheckEntry) error) error
	ExtendDeadlines(ctx context.Context, from, to time.Time, by time.Duration) (int64, error)
}

// Sender delivers a message to the actor of an identity, wherever it lives (cluster.Router).
type Sender interface {
	Send(identity, typ string, version uint32, body proto.Message) error
}

// Census counts the checks this node owns by status (census.Checks).
type Census interface {
	BeginSeed()
	Seed(id int64, status messages.CheckStatus)
	EndSeed()
	RemoveIf(drop func(id int64) bool) int
}

// Deps are the service's collaborators.
type Deps struct {
	// Store is read to arm the wheel, swept, and extended after outages. Required.
	Store Store
	// Sender delivers the Ticks. Required.
	Sender Sender
	// Owns reports whether this node owns a check (Owner.Owns). Required.
	Owns func(id int64) bool
	// Census is seeded by every arming pass. Required.
	Census Census
	// Wait holds the wheel and the sweeper while true (store unreachable, lease not valid);
	// nil = never.
	Wait func() bool
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Registerer receives ttr_wheel_entries; nil = none.
	Registerer prometheus.Registerer
	// Logger; nil = discard.
	Logger *slog.Logger
}

// Service is a node's deadline machinery.
type Service struct {
	cfg     Config
	d       Deps
	log     *slog.Logger
	wheel   *wheel.Wheel
	sweeper *sweeper.Sweeper

	ctx    context.Context // parent of the passes; cancelled by Stop
	cancel context.CancelFunc
	stop   sync.Once
}

// New returns the service; Start runs its wheel and sweeper. The wheel can be armed (Arm)
// and handed to the check actors (Wheel) before Start.
func New(cfg Config, d Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil || d.Sender == nil || d.Owns == nil || d.Census == nil {
		return nil, errors.New("deadlines: Store, Sender, Owns and Census are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	s := &Service{cfg: cfg, d: d, log: d.Logger}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	var err error
	if s.wheel, err = wheel.New(wheel.Config{}, wheel.Deps{Fire: s.tick, Now: d.Now, Paused: d.Wait}); err != nil {
		return nil, fmt.Errorf("deadlines: %w", err)
	}
	s.sweeper, err = sweeper.New(sweeper.Config{Interval: cfg.SweepInterval, Slack: cfg.SweepSlack},
		sweeper.Deps{Source: d.Store, Tick: s.poke, Paused: d.Wait, Now: d.Now, Logger: d.Logger})
	if err != nil {
		return nil, fmt.Errorf("deadlines: %w", err)
	}
	if err := promreg.Register(d.Registerer, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ttr_wheel_entries", Help: "Wake-ups held by this node's deadline wheel (checks it owns with a deadline).",
	}, func() float64 { return float64(s.wheel.Len()) })); err != nil {
		return nil, fmt.Errorf("deadlines: %w", err)
	}
	return s, nil
}

// Wheel is the wheel the check actors set their wake-ups in.
func (s *Service) Wheel() *wheel.Wheel { return s.wheel }

// Len is how many wake-ups the wheel holds.
func (s *Service) Len() int { return s.wheel.Len() }

// Start runs the wheel and the sweeper until Stop. ctx only guards the start: the service
// owns its own context, cancelled by Stop.
func (s *Service) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// ctx was checked above; the two start together, or Stop would wait on the one that did
	// not, so a cancellation from here on must not stop either.
	run := context.WithoutCancel(ctx)
	if err := s.wheel.Start(run); err != nil {
		return err
	}
	if err := s.sweeper.Start(run); err != nil {
		return err
	}
	return nil
}

// Stop stops the sweeper, then the wheel, and cancels any pass in progress. Call once,
// after Start.
func (s *Service) Stop() {
	s.stop.Do(func() {
		s.cancel()
		s.sweeper.Stop()
		s.wheel.Stop()
	})
}

// Arm loads the wake-ups of the checks this node owns into the wheel and seeds the census
// with their statuses (what their actors reported since wins over what the pass read). It
// returns how many wake-ups it armed.
func (s *Service) Arm(ctx context.Context) (int, error) {
	n := 0
	s.d.Census.BeginSeed()
	defer s.d.Census.EndSeed()
	err := s.d.Store.ForEachCheck(ctx, func(e persistence.CheckEntry) error {
		if !s.d.Owns(e.CheckID) {
			return nil
		}
		s.d.Census.Seed(e.CheckID, e.Status)
		if !e.WakeAt.IsZero() {
			s.wheel.Set(e.CheckID, e.WakeAt)
			n++
		}
		return nil
	})
	return n, err
}

// DropUnowned removes the wheel and census entries of the checks this node no longer owns
// (after a topology change) and returns how many wake-ups it dropped.
func (s *Service) DropUnowned() int {
	dropped := s.wheel.RemoveIf(func(id int64) bool { return !s.d.Owns(id) })
	s.d.Census.RemoveIf(func(id int64) bool { return !s.d.Owns(id) })
	return dropped
}

// DropAll empties the wheel and the census (a fenced node may own nothing).
func (s *Service) DropAll() {
	s.wheel.RemoveIf(func(int64) bool { return true })
	s.d.Census.RemoveIf(func(int64) bool { return true })
}

// Recovered runs when the store is reachable again after an outage from..to (the health
// monitor's hook): deadlines that fell inside it are extended by its length (their versions
// bump, so active actors reload), and the wheel is re-armed from the store.
func (s *Service) Recovered(from, to time.Time) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RecoverTimeout)
	defer cancel()
	n, err := s.d.Store.ExtendDeadlines(ctx, from, to, to.Sub(from))
	if err != nil {
		s.log.Error("extend deadlines after outage", "err", err)
	}
	if _, err := s.Arm(ctx); err != nil {
		s.log.Error("re-arm deadlines after outage", "err", err)
	}
	s.log.Info("deadlines extended after store outage", "checks", n, "by", to.Sub(from).String())
}

// tick is the wheel's fire: a Tick to the check's actor (activating it).
func (s *Service) tick(id int64, at time.Time) {
	_ = s.d.Sender.Send(check.Identity(id), messages.TypeTick, 1, &messages.Tick{WakeUnixMs: at.UnixMilli()})
}

// poke is the sweeper's: only for checks this node owns, since every node sweeps the whole
// store.
func (s *Service) poke(id int64) {
	if s.d.Owns(id) {
		s.tick(id, s.d.Now())
	}
}
