package chaos_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// pingRecord is one ping the client sent, however it ended. A ping is acknowledged when its
// final answer is a 2xx; an answer of any other status is refused (never resent: a load
// balancer does not retry a 503); only a connection error (no HTTP answer at all, including a
// client timeout) is retried, on another ready node.
type pingRecord struct {
	Check      int64
	Canary     bool
	Sent, Done time.Time // first attempt, final answer
	Node       string    // the node that answered
	Status     int       // 0: no answer after every retry
	RetryAfter string
	Attempts   int
	ConnErrs   int
	Err        string   // the last connection error
	Tried      []string // each attempt: node, outcome, how long it took
}

func (r pingRecord) acked() bool { return r.Status/100 == 2 }

// ledger records every ping.
type ledger struct {
	mu   sync.Mutex
	recs []pingRecord
}

func (l *ledger) add(r pingRecord) {
	l.mu.Lock()
	l.recs = append(l.recs, r)
	l.mu.Unlock()
}

func (l *ledger) snapshot() []pingRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pingRecord(nil), l.recs...)
}

// ackedLoad counts the acknowledged load (non-canary) pings.
func (l *ledger) ackedLoad() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.acked() && !r.Canary {
			n++
		}
	}
	return n
}

// ledgerStats sums a ledger up for the log.
type ledgerStats struct {
	Total, Acked, AckedLoad, Refused, Failed, Retried, ConnErrs int
	Statuses                                                    map[int]int
	Checks                                                      int // distinct checks acknowledged
	MaxLatency                                                  time.Duration
}

func stats(recs []pingRecord) ledgerStats {
	s := ledgerStats{Statuses: map[int]int{}}
	checks := map[int64]bool{}
	for _, r := range recs {
		s.Total++
		s.Statuses[r.Status]++
		s.ConnErrs += r.ConnErrs
		if r.Attempts > 1 {
			s.Retried++
		}
		if d := r.Done.Sub(r.Sent); d > s.MaxLatency {
			s.MaxLatency = d
		}
		switch {
		case r.acked():
			s.Acked++
			if !r.Canary {
				s.AckedLoad++
			}
			checks[r.Check] = true
		case r.Status == 0:
			s.Failed++
		default:
			s.Refused++
		}
	}
	s.Checks = len(checks)
	return s
}

// ping sends one ping (GET path) to a ready node, round-robin, and retries connection errors
// only, each time on another ready node, for up to 30 s (see cluster.pick for when none is
// ready).
func (c *cluster) ping(path string, check int64, canary bool) pingRecord {
	r := pingRecord{Check: check, Canary: canary, Sent: time.Now()}
	giveUp := r.Sent.Add(30 * time.Second)
	var prev *node
	for {
		n := c.pick(prev)
		if n == nil {
			if time.Now().After(giveUp) {
				r.Err = "no ready node"
				break
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		prev = n
		r.Attempts++
		t0 := time.Now()
		resp, err := c.pool.Get(n.URL + path)
		if err != nil {
			r.Tried = append(r.Tried, fmt.Sprintf("%s:%s/%v", n.name, connErrKind(err), time.Since(t0).Round(time.Millisecond)))
			r.ConnErrs++
			r.Err = err.Error()
			if time.Now().After(giveUp) {
				break
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		r.Tried = append(r.Tried, fmt.Sprintf("%s:%d/%v", n.name, resp.StatusCode, time.Since(t0).Round(time.Millisecond)))
		r.Status, r.Node, r.RetryAfter = resp.StatusCode, n.name, resp.Header.Get("Retry-After")
		break
	}
	r.Done = time.Now()
	return r
}

// connErrKind names a connection error briefly for the ledger.
func connErrKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "reset"
	}
	return "error"
}

// target is a check as the load client knows it.
type target struct {
	ID   int64
	Slug string
	Path string // its ping path, /p/<user slug>/<slug>
}

// load pings the targets in turn at a fixed rate (the first len(targets) pings cover each
// once), with a bounded number of requests in flight.
type load struct {
	c       *cluster
	led     *ledger
	targets []target
	stopCh  chan struct{}
	wg      sync.WaitGroup
	seq     atomic.Int64
}

func (c *cluster) startLoad(led *ledger, targets []target, rate, workers int) *load {
	l := &load{c: c, led: led, targets: targets, stopCh: make(chan struct{})}
	tokens := make(chan struct{}, workers)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer close(tokens)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for {
			select {
			case <-l.stopCh:
				return
			case <-tick.C:
			}
			select {
			case tokens <- struct{}{}:
			default: // every worker is busy: the load backs off rather than queueing
			}
		}
	}()
	for i := 0; i < workers; i++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for range tokens {
				k := l.seq.Add(1) - 1
				tg := l.targets[int(k)%len(l.targets)]
				l.led.add(c.ping(tg.Path, tg.ID, false))
			}
		}()
	}
	return l
}

// stop ends the load and waits for the pings in flight.
func (l *load) stop() {
	select {
	case <-l.stopCh:
	default:
		close(l.stopCh)
	}
	l.wg.Wait()
}

// canaryGroup pings its canaries every second until stopped; it knows when each was last
// acknowledged.
type canaryGroup struct {
	c        *cluster
	led      *ledger
	targets  []target
	stopCh   chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	lastAck  map[int64]time.Time
	refused  []pingRecord
	stopped  time.Time
	stopOnce sync.Once
}

func (c *cluster) startCanaries(led *ledger, targets []target) *canaryGroup {
	g := &canaryGroup{c: c, led: led, targets: targets, stopCh: make(chan struct{}), lastAck: map[int64]time.Time{}}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			var round sync.WaitGroup
			for _, tg := range g.targets {
				round.Add(1)
				go func(tg target) {
					defer round.Done()
					r := c.ping(tg.Path, tg.ID, true)
					led.add(r)
					g.mu.Lock()
					if r.acked() {
						if r.Done.After(g.lastAck[tg.ID]) {
							g.lastAck[tg.ID] = r.Done
						}
					} else {
						g.refused = append(g.refused, r)
					}
					g.mu.Unlock()
				}(tg)
			}
			round.Wait()
			select {
			case <-g.stopCh:
				return
			case <-tick.C:
			}
		}
	}()
	return g
}

// stop ends the pings (waiting for those in flight) and returns when it happened.
func (g *canaryGroup) stop() time.Time {
	g.stopOnce.Do(func() {
		close(g.stopCh)
		g.wg.Wait()
		g.stopped = time.Now()
	})
	return g.stopped
}

// deadline is the latest moment each canary may go down at: its last acknowledgement (the
// owner stamped the ping no later) plus interval and grace.
func (g *canaryGroup) deadline(id int64) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastAck[id].Add(canaryInterval + canaryGrace)
}

func (g *canaryGroup) ids() []int64 {
	out := make([]int64, len(g.targets))
	for i, tg := range g.targets {
		out[i] = tg.ID
	}
	return out
}

// statusSummary renders a status histogram compactly.
func statusSummary(m map[int]int) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		if k == 0 {
			b.WriteString("no-answer")
		} else {
			b.WriteString(itoa(k))
		}
		b.WriteString("×")
		b.WriteString(itoa(m[k]))
	}
	return b.String()
}
