package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StallConfig is the timing of a StallDetector. Zero values take the documented defaults.
type StallConfig struct {
	// Threshold is the longest gap between two ticks that is not a stall: the time in
	// which peers may declare a silent node dead (MemberlistConfig.SuspicionTimeout).
	// Default DefaultConfig().SuspicionTimeout() (400 ms); at least 2 × Interval.
	Threshold time.Duration
	// Interval is the tick period. Default 100 ms.
	Interval time.Duration
}

func (c StallConfig) withDefaults() StallConfig {
	setDefault(&c.Threshold, DefaultConfig().SuspicionTimeout())
	setDefault(&c.Interval, 100*time.Millisecond)
	return c
}

// Validate reports a configuration NewStallDetector refuses.
func (c StallConfig) Validate() error {
	c = c.withDefaults()
	if c.Interval < 0 || c.Threshold < 0 {
		return errors.New("stall detector: negative duration")
	}
	if c.Threshold < 2*c.Interval {
		return fmt.Errorf("stall detector: threshold %v below twice the interval %v", c.Threshold, c.Interval)
	}
	return nil
}

// StallDeps are a StallDetector's collaborators; all are optional.
type StallDeps struct {
	// OnStall, when set, is called for every stall with its gap, on the detector's goroutine.
	OnStall func(gap time.Duration)
	// OnFenced is called once, at the first stall, on the detector's goroutine: peers may
	// have declared the node dead and given its identities away while it was stalled, and
	// memberlist refutes such a declaration without telling (docs/architecture.md#engine-choices),
	// so the node must stop acting, turn not-ready and rejoin under a new node id.
	OnFenced func(reason string)
	// Clock defaults to SystemClock.
	Clock Clock
	// Registerer receives the stall metrics (shared with leases on the same registry).
	// nil = no metrics.
	Registerer prometheus.Registerer
	// Logger defaults to discard.
	Logger *slog.Logger
}

// StallDetector notices that the process did not run for a while (SIGSTOP, a VM pause, a
// starved CPU): it ticks every Interval and reports a gap between two ticks, measured on
// the monotonic clock, longer than Threshold.
type StallDetector struct {
	cfg  StallConfig
	deps StallDeps
	log  *slog.Logger
	m    *fenceMetrics

	mu      sync.Mutex
	stalls  int
	longest time.Duration
	fenced  bool

	stop    chan struct{}
	started bool
	once    sync.Once
	wg      sync.WaitGroup
}

// NewStallDetector returns a detector; Start starts it.
func NewStallDetector(cfg StallConfig, d StallDeps) (*StallDetector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if d.Clock == nil {
		d.Clock = SystemClock()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newFenceMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	return &StallDetector{cfg: cfg, deps: d, log: d.Logger, m: m, stop: make(chan struct{})}, nil
}

// errStallStopped answers Start on a stopped detector.
var errStallStopped = errors.New("stall detector stopped")

// Start starts ticking. A started or stopped detector refuses to start. ctx only guards
// the start: the detector ticks until Stop.
func (d *StallDetector) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	stopped := false
	select {
	case <-d.stop:
		stopped = true
	default:
	}
	if err := startOnce("stall detector", d.started, stopped, errStallStopped); err != nil {
		return err
	}
	d.started = true
	ticker := d.deps.Clock.NewTicker(d.cfg.Interval)
	prev := d.deps.Clock.Now()
	d.wg.Add(1)
	go d.run(ticker, prev)
	return nil
}

// Stop stops the detector and waits for its goroutine.
func (d *StallDetector) Stop() {
	d.once.Do(func() { close(d.stop) })
	d.wg.Wait()
}

// Stalls returns how many stalls were detected, and the longest gap.
func (d *StallDetector) Stalls() (int, time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stalls, d.longest
}

func (d *StallDetector) run(ticker Ticker, prev time.Time) {
	defer d.wg.Done()
	defer ticker.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-ticker.C():
		}
		// The time of reading, not the tick's: a ticker keeps one tick while nobody reads.
		now := d.deps.Clock.Now()
		gap := now.Sub(prev)
		prev = now
		if gap > d.cfg.Threshold {
			d.stalled(gap)
		}
	}
}

func (d *StallDetector) stalled(gap time.Duration) {
	d.mu.Lock()
	d.stalls++
	d.longest = max(d.longest, gap)
	first := !d.fenced
	d.fenced = true
	d.mu.Unlock()
	d.m.stalled(gap)
	d.log.Warn("stall detected", slog.Duration("gap", gap), slog.Duration("threshold", d.cfg.Threshold))
	if d.deps.OnStall != nil {
		d.deps.OnStall(gap)
	}
	if first {
		d.m.fenced("stall")
		reason := fmt.Sprintf("stalled for %v (threshold %v)", gap.Round(time.Millisecond), d.cfg.Threshold)
		d.log.Error("stall detector: fenced", slog.String("reason", reason))
		if d.deps.OnFenced != nil {
			d.deps.OnFenced(reason)
		}
	}
}
