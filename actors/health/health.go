// Package health tracks whether this node can reach its store. A whole-batch commit failure
// that says the store is unreachable starts an outage; a probe then pings the store until it
// answers, and the end of the outage is reported with its start, so deadlines that fell
// inside it can be extended (docs/architecture.md#store-outages: no check goes down because ttr refused its pings).
// While an outage lasts the node is not ready and the wheel evaluates no deadline.
package health

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ttr-rip/ttr/persistence"
)

// Monitor is the store-health state of a node. It is safe for concurrent use.
type Monitor struct {
	ping      func(ctx context.Context) error
	onRecover func(from, to time.Time)
	now       func() time.Time
	every     time.Duration
	log       *slog.Logger

	mu     sync.Mutex
	down   bool
	since  time.Time
	stop   chan struct{}
	closed bool
	wg     sync.WaitGroup
}

// New returns a monitor. ping checks the store; onRecover is called (on the probe's
// goroutine) when an outage that began at from ends at to.
func New(ping func(ctx context.Context) error, onRecover func(from, to time.Time), now func() time.Time, every time.Duration, log *slog.Logger) *Monitor {
	if now == nil {
		now = time.Now
	}
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Monitor{ping: ping, onRecover: onRecover, now: now, every: every, log: log, stop: make(chan struct{})}
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
	m.down, m.since = true, m.now()
	m.log.Warn("store unreachable: pings answered 503, deadlines held", "err", err)
	m.wg.Add(1)
	go m.probe()
}

func (m *Monitor) probe() {
	defer m.wg.Done()
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*m.every+time.Second)
		err := m.ping(ctx)
		cancel()
		if err != nil {
			continue
		}
		m.mu.Lock()
		from, to := m.since, m.now()
		m.mu.Unlock()
		// Extend deadlines before turning healthy, so the wheel never evaluates one that
		// fell inside the outage.
		if m.onRecover != nil {
			m.onRecover(from, to)
		}
		m.mu.Lock()
		m.down = false
		m.mu.Unlock()
		m.log.Info("store reachable again", "outage", to.Sub(from).String())
		return
	}
}

// Watch pings the store every interval while it is healthy, so an outage is noticed even
// when no write fails (no pings arrive): its start then dates the deadlines to extend.
func (m *Monitor) Watch(interval time.Duration) {
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
			err := m.ping(ctx)
			cancel()
			if err != nil {
				m.Failed(persistence.Unavailable(err))
			}
		}
	}()
}

// Close stops probing.
func (m *Monitor) Close() {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.stop)
	}
	m.mu.Unlock()
	m.wg.Wait()
}
