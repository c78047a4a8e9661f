// Package health tracks whether this node can reach its store. A whole-batch commit failure
// that says the store is unreachable starts an outage; a probe then pings the store until it
// answers, and the end of the outage is reported with its start, so deadlines that fell
// inside it can be extended (docs/architecture.md#store-outages: no check goes down because ttr refused its pings).
// While an outage lasts the node is not ready and the wheel evaluates no deadline.
package health

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/ttr-rip/ttr/persistence"
)

// Config is the timing of the monitor. A zero field takes its default.
type Config struct {
	// ProbeInterval is how often the store is pinged during an outage, to notice its end.
	// Default 250 ms.
	ProbeInterval time.Duration
	// WatchInterval is how often the store is pinged while healthy (from Start), so an
	// outage is noticed even when no write fails. Default 1 s.
	WatchInterval time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{ProbeInterval: 250 * time.Millisecond, WatchInterval: time.Second}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ProbeInterval == 0 {
		c.ProbeInterval = d.ProbeInterval
	}
	if c.WatchInterval == 0 {
		c.WatchInterval = d.WatchInterval
	}
	return c
}

// Validate reports every setting New refuses.
func (c Config) Validate() error {
	if c.ProbeInterval < 0 || c.WatchInterval < 0 {
		return errors.New("health: intervals must be positive")
	}
	return nil
}

// Deps are the monitor's collaborators.
type Deps struct {
	// Ping checks the store. Required.
	Ping func(ctx context.Context) error
	// OnRecover is called (on the probe's goroutine) when an outage that began at from
	// ends at to, before the monitor turns healthy; nil = nothing.
	OnRecover func(from, to time.Time)
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Logger; nil = discard.
	Logger *slog.Logger
}

// Monitor is the store-health state of a node. It is safe for concurrent use.
type Monitor struct {
	cfg Config
	d   Deps
	log *slog.Logger

	mu     sync.Mutex
	down   bool
	since  time.Time
	stop   chan struct{}
	closed bool
	wg     sync.WaitGroup
}

// New returns a monitor. It records outages (Failed) and probes their end from the start;
// Start adds the watch of a healthy store.
func New(cfg Config, d Deps) (*Monitor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Ping == nil {
		return nil, errors.New("health: Ping is required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Monitor{cfg: cfg.withDefaults(), d: d, log: d.Logger, stop: make(chan struct{})}, nil
}

// OK reports whether the store is reachable as far as this node knows.
func (m *Monitor) OK() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.down
}

// Down reports the opposite of OK (for the wheel's pause hook).
func (m *Monitor) Down() bool { return !m.OK() }

// Failed records an operation's error: an unreachable store starts an outage.
func (m *Monitor) Failed(err error) {
	if !persistence.IsUnavailable(err) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down || m.closed {
		return
	}
	m.down, m.since = true, m.d.Now()
	m.log.Warn("store unreachable: pings answered 503, deadlines held", "err", err)
	m.wg.Add(1)
	go m.probe()
}

func (m *Monitor) probe() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*m.cfg.ProbeInterval+time.Second)
		err := m.d.Ping(ctx)
		cancel()
		if err != nil {
			continue
		}
		m.mu.Lock()
		from, to := m.since, m.d.Now()
		m.mu.Unlock()
		// Extend deadlines before turning healthy, so the wheel never evaluates one that
		// fell inside the outage.
		if m.d.OnRecover != nil {
			m.d.OnRecover(from, to)
		}
		m.mu.Lock()
		m.down = false
		m.mu.Unlock()
		m.log.Info("store reachable again", "outage", to.Sub(from).String())
		return
	}
}

// Start pings the store every WatchInterval while it is healthy, so an outage is noticed
// even when no write fails (no pings arrive): its start then dates the deadlines to extend.
// ctx only guards the start: the watch runs until Stop.
func (m *Monitor) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	interval := m.cfg.WatchInterval
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("health: started after Stop")
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
			if !m.OK() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			err := m.d.Ping(ctx)
			cancel()
			if err != nil {
				m.Failed(persistence.Unavailable(err))
			}
		}
	}()
	return nil
}

// Stop stops the watch and any probe, and waits for them. Safe to call more than once,
// with or without Start.
func (m *Monitor) Stop() {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.stop)
	}
	m.mu.Unlock()
	m.wg.Wait()
}
