package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/messages/promreg"
)

// LeaseStore keeps node leases: the nodes(node_id, lease_until) row of
// docs/architecture.md#fencing. Other nodes read it to take over at once the outbox claims of
// a node whose lease has lapsed.
type LeaseStore interface {
	// RenewLease records that nodeID holds its lease until until (creating its row on
	// first use; until is a wall-clock time). It must return when ctx is done. An error
	// means the lease may not have been renewed.
	RenewLease(ctx context.Context, nodeID string, until time.Time) error
}

// LeaseState is where a Lease stands.
type LeaseState int

// Lease states.
const (
	// LeaseUnstarted: Start has not renewed the lease yet.
	LeaseUnstarted LeaseState = iota
	// LeaseValid: renewed within the TTL, by the local monotonic clock.
	LeaseValid
	// LeaseLapsed: not renewed within the TTL, during a store outage shared by (nearly)
	// every member (LeaseDeps.Excused): the node must not act, but the lease is valid
	// again after the next successful renewal.
	LeaseLapsed
	// LeaseFenced: lapsed for good (OnFenced was called). The node id must not act again.
	LeaseFenced
)

func (s LeaseState) String() string {
	switch s {
	case LeaseUnstarted:
		return "unstarted"
	case LeaseValid:
		return "valid"
	case LeaseLapsed:
		return "lapsed"
	case LeaseFenced:
		return "fenced"
	}
	return fmt.Sprintf("LeaseState(%d)", int(s))
}

// LeaseConfig is the timing of a Lease. Zero durations take the documented defaults.
type LeaseConfig struct {
	// NodeID is the node id the lease is held for (Membership.Self().ID). Required.
	NodeID string
	// TTL is how long a renewal holds the lease. Default 2 s.
	TTL time.Duration
	// RenewEvery is the pause between renewals. Default 500 ms; less than TTL.
	RenewEvery time.Duration
	// RenewTimeout bounds one renewal. Default TTL/2.
	RenewTimeout time.Duration
	// CheckEvery is how often the lease is checked for a lapse, which bounds how late
	// OnFenced comes (Valid is exact at any time). Default 100 ms.
	CheckEvery time.Duration
	// StoreLostAfter: OnStoreChange(false) once no renewal succeeded for this long.
	// Default 2 × RenewEvery.
	StoreLostAfter time.Duration
}

func (c LeaseConfig) withDefaults() LeaseConfig {
	setDefault(&c.TTL, 2*time.Second)
	setDefault(&c.RenewEvery, 500*time.Millisecond)
	setDefault(&c.RenewTimeout, c.TTL/2)
	setDefault(&c.CheckEvery, 100*time.Millisecond)
	setDefault(&c.StoreLostAfter, 2*c.RenewEvery)
	return c
}

// Validate reports a configuration NewLease refuses. Zero durations take their defaults
// first.
func (c LeaseConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("lease: node id is required"))
	}
	if c.TTL < 0 || c.RenewEvery < 0 || c.RenewTimeout < 0 || c.CheckEvery < 0 || c.StoreLostAfter < 0 {
		errs = append(errs, errors.New("lease: negative duration"))
	}
	if c.RenewEvery >= c.TTL {
		errs = append(errs, fmt.Errorf("lease: renewal every %v does not fit a TTL of %v", c.RenewEvery, c.TTL))
	}
	return errors.Join(errs...)
}

// LeaseDeps are a Lease's collaborators.
type LeaseDeps struct {
	// Store keeps the lease. Required.
	Store LeaseStore
	// Excused is asked when the lease lapses, and on every check while it stays lapsed:
	// true means the store outage behind the lapse is shared by (nearly) every member
	// (Memberlist.StoreOutageShared), so the cluster pauses in place: the lease reports
	// LeaseLapsed (not Valid) without fencing, and is valid again after a successful
	// renewal. nil = never excused: every lapse fences.
	Excused func() bool
	// OnFenced is called once, on the lease's goroutine, when the lease lapses for good:
	// the node must stop acting, turn not-ready and rejoin under a new node id. After it
	// the Lease renews no more.
	OnFenced func(reason string)
	// OnStoreChange is called on the lease's goroutine when renewals start failing
	// (false, after StoreLostAfter) and when one succeeds again (true): what
	// Memberlist.SetStoreOK announces.
	OnStoreChange func(ok bool)
	// Clock defaults to SystemClock.
	Clock Clock
	// Registerer receives the lease metrics (shared with other leases and the stall
	// detector on the same registry). nil = no metrics.
	Registerer prometheus.Registerer
	// Logger defaults to discard.
	Logger *slog.Logger
}

// Lease holds the node lease of one node id: it renews it in the store every RenewEvery
// with a TTL, and judges it by the local monotonic clock from the start of the last
// successful renewal, so a node that was paused or cut off knows its lease lapsed
// without asking anyone. A lapse fences the node (OnFenced, once) unless Excused.
// It is safe for concurrent use.
type Lease struct {
	cfg LeaseConfig
	d   LeaseDeps
	log *slog.Logger
	m   *fenceMetrics

	mu          sync.Mutex
	state       LeaseState
	validUntil  time.Time // start of the last successful renewal + TTL (monotonic)
	lastOK      time.Time // start of the last successful renewal
	lastAttempt time.Time
	inflight    bool
	storeOK     bool
	lastErr     string

	results chan renewal
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stop    sync.Once
}

type renewal struct {
	sentAt time.Time
	err    error
}

// NewLease returns a lease for cfg.NodeID; Start takes it.
func NewLease(cfg LeaseConfig, d LeaseDeps) (*Lease, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil {
		return nil, errors.New("lease: store is required")
	}
	if d.Clock == nil {
		d.Clock = SystemClock()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	m, err := newFenceMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Lease{
		cfg:     cfg,
		d:       d,
		log:     d.Logger.With(slog.String("node", cfg.NodeID)),
		m:       m,
		storeOK: true,
		results: make(chan renewal, 1),
		ctx:     ctx,
		cancel:  cancel,
	}, nil
}

// errLeaseStopped answers Start on a stopped lease.
var errLeaseStopped = errors.New("lease stopped")

// Start renews the lease once, within ctx, and returns that renewal's error (the lease is
// then not started and Start may be called again). Then it renews in the background
// until Stop or a fence. A started lease, or one stopped, refuses to start.
func (l *Lease) Start(ctx context.Context) error {
	l.mu.Lock()
	err := startOnce("lease", l.state != LeaseUnstarted, l.ctx.Err() != nil, errLeaseStopped)
	l.mu.Unlock()
	if err != nil {
		return err
	}
	sentAt := l.d.Clock.Now()
	rctx, cancel := context.WithTimeout(ctx, l.cfg.RenewTimeout)
	err = l.d.Store.RenewLease(rctx, l.cfg.NodeID, sentAt.Add(l.cfg.TTL).Round(0))
	cancel()
	if err != nil {
		l.m.renewFailed()
		return fmt.Errorf("renew lease of %s: %w", l.cfg.NodeID, err)
	}
	l.mu.Lock()
	if l.state != LeaseUnstarted || l.ctx.Err() != nil {
		l.mu.Unlock()
		return errors.New("lease started or stopped meanwhile")
	}
	l.state = LeaseValid
	l.validUntil, l.lastOK, l.lastAttempt = sentAt.Add(l.cfg.TTL), sentAt, sentAt
	l.mu.Unlock()
	l.m.setValid(true)
	ticker := l.d.Clock.NewTicker(l.cfg.CheckEvery)
	l.wg.Add(1)
	go l.run(ticker)
	return nil
}

// Valid reports whether the lease is held now, by the local monotonic clock: the node may
// commit, fire deadlines and send.
func (l *Lease) Valid() bool {
	now := l.d.Clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state == LeaseValid && now.Before(l.validUntil)
}

// State returns where the lease stands. A lease past its TTL that the background
// goroutine has not noticed yet still reports LeaseValid; Valid is exact.
func (l *Lease) State() LeaseState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// Remaining returns how long the lease stays valid without another renewal (≤ 0 when it
// is not valid).
func (l *Lease) Remaining() time.Duration {
	now := l.d.Clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != LeaseValid {
		return 0
	}
	return l.validUntil.Sub(now)
}

// NodeID returns the node id the lease is held for.
func (l *Lease) NodeID() string { return l.cfg.NodeID }

// Stop stops renewing (the lease then lapses at its TTL) and waits for the background
// goroutine and a renewal in flight (whose context it cancels).
func (l *Lease) Stop() {
	l.stop.Do(l.cancel)
	l.wg.Wait()
}

// Release stops the lease (Stop) and records it as ending now, so that peers may take over
// its claims at once: for a clean shutdown, after the last commit.
func (l *Lease) Release(ctx context.Context) error {
	l.Stop()
	l.mu.Lock()
	l.state = LeaseFenced
	l.mu.Unlock()
	l.m.setValid(false)
	if err := l.d.Store.RenewLease(ctx, l.cfg.NodeID, l.d.Clock.Now().Round(0)); err != nil {
		return fmt.Errorf("release lease of %s: %w", l.cfg.NodeID, err)
	}
	return nil
}

func (l *Lease) run(ticker Ticker) {
	defer l.wg.Done()
	defer ticker.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case r := <-l.results:
			if l.renewed(r) {
				return
			}
		case <-ticker.C():
			if l.tick() {
				return
			}
		}
	}
}

// tick checks the lease and starts a renewal when one is due. It reports whether the
// lease was fenced (the loop ends).
func (l *Lease) tick() bool {
	now := l.d.Clock.Now()
	if l.check(now) {
		return true
	}
	l.mu.Lock()
	due := !l.inflight && now.Sub(l.lastAttempt) >= l.cfg.RenewEvery
	sinceOK := now.Sub(l.lastOK)
	storeLost := l.storeOK && sinceOK >= l.cfg.StoreLostAfter
	if due {
		l.inflight, l.lastAttempt = true, now
	}
	if storeLost {
		l.storeOK = false
	}
	l.mu.Unlock()
	if storeLost {
		l.log.Warn("lease: store unreachable", slog.Duration("since_last_renewal", sinceOK))
		if l.d.OnStoreChange != nil {
			l.d.OnStoreChange(false)
		}
	}
	if due {
		l.wg.Add(1)
		go l.renew(now)
	}
	return false
}

func (l *Lease) renew(sentAt time.Time) {
	defer l.wg.Done()
	ctx, cancel := context.WithTimeout(l.ctx, l.cfg.RenewTimeout)
	err := l.d.Store.RenewLease(ctx, l.cfg.NodeID, sentAt.Add(l.cfg.TTL).Round(0))
	cancel()
	l.results <- renewal{sentAt: sentAt, err: err} // one renewal at a time: never blocks
}

// renewed applies a renewal's outcome; it reports whether the lease was fenced.
func (l *Lease) renewed(r renewal) bool {
	now := l.d.Clock.Now()
	l.mu.Lock()
	l.inflight = false
	l.mu.Unlock()
	// A renewal that comes back after the lease ran out does not bridge the gap: peers may
	// have judged the lease lapsed meanwhile.
	if l.check(now) {
		return true
	}
	if r.err != nil {
		l.m.renewFailed()
		l.mu.Lock()
		changed := r.err.Error() != l.lastErr
		l.lastErr = r.err.Error()
		l.mu.Unlock()
		if changed { // log when the failure changes, not every 500 ms
			l.log.Warn("lease: renewal failed", slog.Any("err", r.err))
		}
		return false
	}
	until := r.sentAt.Add(l.cfg.TTL)
	if !now.Before(until) { // took longer than the TTL: it holds nothing any more
		return false
	}
	l.mu.Lock()
	resumed := l.state == LeaseLapsed
	if until.After(l.validUntil) {
		l.validUntil = until
	}
	if r.sentAt.After(l.lastOK) {
		l.lastOK = r.sentAt
	}
	l.state = LeaseValid
	l.lastErr = ""
	storeBack := !l.storeOK
	l.storeOK = true
	l.mu.Unlock()
	l.m.setValid(true)
	if resumed {
		l.log.Info("lease: valid again after a shared store outage")
	}
	if storeBack {
		l.log.Info("lease: store reachable again")
		if l.d.OnStoreChange != nil {
			l.d.OnStoreChange(true)
		}
	}
	return false
}

// check lapses or fences the lease as now requires; it reports whether it is fenced.
func (l *Lease) check(now time.Time) bool {
	l.mu.Lock()
	state, validUntil, lastOK := l.state, l.validUntil, l.lastOK
	l.mu.Unlock()
	switch {
	case state == LeaseFenced:
		return true
	case state == LeaseValid && now.Before(validUntil):
		return false
	}
	excused := l.d.Excused != nil && l.d.Excused()
	reason := fmt.Sprintf("lease lapsed: last renewed %v ago (ttl %v)", now.Sub(lastOK).Round(time.Millisecond), l.cfg.TTL)
	if excused {
		if state == LeaseValid {
			l.mu.Lock()
			l.state = LeaseLapsed
			l.mu.Unlock()
			l.m.lapsed()
			l.m.setValid(false)
			l.log.Warn("lease: lapsed during a store outage shared by the cluster: pausing in place", slog.String("reason", reason))
		}
		return false
	}
	if state == LeaseLapsed {
		reason += "; the store outage is no longer shared by the cluster"
	} else {
		l.m.lapsed()
	}
	l.fence(reason)
	return true
}

func (l *Lease) fence(reason string) {
	l.mu.Lock()
	if l.state == LeaseFenced {
		l.mu.Unlock()
		return
	}
	l.state = LeaseFenced
	l.mu.Unlock()
	l.cancel() // a renewal in flight no longer matters
	l.m.setValid(false)
	l.m.fenced("lease")
	l.log.Error("lease: fenced", slog.String("reason", reason))
	if l.d.OnFenced != nil {
		l.d.OnFenced(reason)
	}
}

// fenceMetrics are the metrics of leases and stall detectors, shared by every one on a
// registry (a process makes a new lease for each node id). nil-safe.
type fenceMetrics struct {
	valid         prometheus.Gauge
	renewFailures prometheus.Counter
	lapses        prometheus.Counter
	fences        *prometheus.CounterVec
	stalls        prometheus.Counter
	lastStall     prometheus.Gauge
}

func newFenceMetrics(reg prometheus.Registerer) (*fenceMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &fenceMetrics{
		valid: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ttr_cluster_lease_valid",
			Help: "1 while the node lease is held, 0 when it lapsed or the node was fenced."}),
		renewFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_cluster_lease_renew_failures_total",
			Help: "Node lease renewals that failed."}),
		lapses: prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_cluster_lease_lapses_total",
			Help: "Times the node lease ran out (fenced, or paused in a shared store outage)."}),
		fences: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ttr_cluster_fenced_total",
			Help: "Times the node was fenced, by cause (lease, stall)."}, []string{"reason"}),
		stalls: prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_cluster_stalls_total",
			Help: "Gaps in the stall detector's ticks longer than its threshold."}),
		lastStall: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ttr_cluster_last_stall_seconds",
			Help: "Length of the last stall detected."}),
	}
	var err error
	if m.valid, err = promreg.Reuse(reg, m.valid); err != nil {
		return nil, err
	}
	if m.renewFailures, err = promreg.Reuse(reg, m.renewFailures); err != nil {
		return nil, err
	}
	if m.lapses, err = promreg.Reuse(reg, m.lapses); err != nil {
		return nil, err
	}
	if m.fences, err = promreg.Reuse(reg, m.fences); err != nil {
		return nil, err
	}
	if m.stalls, err = promreg.Reuse(reg, m.stalls); err != nil {
		return nil, err
	}
	if m.lastStall, err = promreg.Reuse(reg, m.lastStall); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *fenceMetrics) setValid(v bool) {
	if m != nil {
		if v {
			m.valid.Set(1)
		} else {
			m.valid.Set(0)
		}
	}
}

func (m *fenceMetrics) renewFailed() {
	if m != nil {
		m.renewFailures.Inc()
	}
}

func (m *fenceMetrics) lapsed() {
	if m != nil {
		m.lapses.Inc()
	}
}

func (m *fenceMetrics) fenced(reason string) {
	if m != nil {
		m.fences.WithLabelValues(reason).Inc()
	}
}

func (m *fenceMetrics) stalled(gap time.Duration) {
	if m != nil {
		m.stalls.Inc()
		m.lastStall.Set(gap.Seconds())
	}
}
