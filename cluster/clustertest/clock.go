package clustertest

import (
	"sync"
	"time"

	"github.com/ttr-rip/ttr/cluster"
)

// FakeClock is a cluster.Clock whose time moves only by Advance. Its tickers behave as
// time.Ticker's: each holds at most one tick, and drops the ticks its reader missed. Pair
// it with testing/synctest (synctest.Wait after Advance) for deterministic tests.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*fakeTicker
}

var _ cluster.Clock = (*FakeClock)(nil)

// NewFakeClock returns a clock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTicker returns a ticker of period d, first due d from now.
func (c *FakeClock) NewTicker(d time.Duration) cluster.Ticker {
	if d <= 0 {
		panic("clustertest: non-positive ticker period")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTicker{clock: c, ch: make(chan time.Time, 1), period: d, next: c.now.Add(d)}
	c.tickers = append(c.tickers, t)
	return t
}

// Advance moves the clock by d at once. Every ticker due in (now, now+d] ticks once —
// a long Advance looks, to a ticker's reader, like a process that did not run meanwhile.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.tickers {
		if t.stopped || t.next.After(c.now) {
			continue
		}
		select {
		case t.ch <- c.now:
		default: // the reader has not taken the last one: dropped, as time.Ticker does
		}
		for !t.next.After(c.now) {
			t.next = t.next.Add(t.period)
		}
	}
}

// Step advances the clock by step, n times: time passing in small steps.
func (c *FakeClock) Step(step time.Duration, n int) {
	for range n {
		c.Advance(step)
	}
}

// Tickers returns how many tickers are running.
func (c *FakeClock) Tickers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.tickers {
		if !t.stopped {
			n++
		}
	}
	return n
}

type fakeTicker struct {
	clock   *FakeClock
	ch      chan time.Time
	period  time.Duration
	next    time.Time
	stopped bool // guarded by clock.mu
}

func (t *fakeTicker) C() <-chan time.Time { return t.ch }

func (t *fakeTicker) Stop() {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	t.stopped = true
}
