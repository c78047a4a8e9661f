package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Target is what a phase loads: one or more nodes, each with the requests to pick from
// uniformly. Connection i goes to node i mod len(Nodes), so load is spread evenly over nodes.
type Target struct {
	Nodes []TargetNode
}

// TargetNode is one server address and its pre-formatted requests (Host header included).
type TargetNode struct {
	Addr string
	Reqs [][]byte
}

// node is the node connection i loads.
func (t Target) node(i int) TargetNode { return t.Nodes[i%len(t.Nodes)] }

// PhaseResult is what one load phase measured.
type PhaseResult struct {
	OK      int64            // 200 responses within the window
	PerNode []int64          // OK by node of the target (nil for a single node)
	Errors  map[string]int64 // "status 503", "transport", … within the window
	Elapsed time.Duration    // the measurement window
	Latency *Histogram       // of the 200 responses
	Lag     *Histogram       // open loop only: how late the pacer released each request
}

// ErrorCount is the number of failed requests.
func (r PhaseResult) ErrorCount() int64 {
	var n int64
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// worker is one connection's tally; merged into a PhaseResult at the end.
type worker struct {
	c      *conn
	ok     int64
	errs   map[string]int64
	lat    *Histogram
	broken bool // the connection must be replaced before the next request
}

func (w *worker) fail(kind string) {
	if w.errs == nil {
		w.errs = map[string]int64{}
	}
	w.errs[kind]++
}

// send issues one request on the worker's connection, re-dialling it when needed, and returns
// the status (0 for a transport error) and when the response was complete.
func (w *worker) send(addr string, req []byte, deadline time.Time) (int, time.Time) {
	if w.broken || w.c == nil {
		if w.c != nil {
			w.c.Close()
		}
		c, err := dial(addr, deadline)
		if err != nil {
			time.Sleep(10 * time.Millisecond) // do not spin on a refusing server
			return 0, time.Now()
		}
		w.c, w.broken = c, false
	}
	status, err := w.c.do(req)
	now := time.Now()
	if err != nil {
		w.broken = true
		if !errors.Is(err, errClosedByServer) {
			return 0, now
		}
	}
	return status, now
}

// tally counts one response that ended inside the window.
func (w *worker) tally(status int, latency time.Duration) {
	switch status {
	case 200:
		w.ok++
		w.lat.Record(latency)
	case 0:
		w.fail("transport")
	default:
		w.fail("status " + strconv.Itoa(status))
	}
}

// dialWorkers opens n connections before a phase starts, so set-up is not measured.
func dialWorkers(t Target, n int, deadline time.Time) ([]*worker, error) {
	ws := make([]*worker, n)
	for i := range ws {
		addr := t.node(i).Addr
		c, err := dial(addr, deadline)
		if err != nil {
			for _, w := range ws[:i] {
				w.c.Close()
			}
			return nil, fmt.Errorf("connect to %s: %w", addr, err)
		}
		ws[i] = &worker{c: c, lat: NewHistogram()}
	}
	return ws, nil
}

// collect merges the workers' tallies and closes their connections; worker i loaded node
// i mod nodes of the target.
func collect(ws []*worker, nodes int) PhaseResult {
	r := PhaseResult{Errors: map[string]int64{}, Latency: NewHistogram()}
	if nodes > 1 {
		r.PerNode = make([]int64, nodes)
	}
	for i, w := range ws {
		r.OK += w.ok
		if r.PerNode != nil {
			r.PerNode[i%nodes] += w.ok
		}
		for k, v := range w.errs {
			r.Errors[k] += v
		}
		r.Latency.Merge(w.lat)
		if w.c != nil {
			w.c.Close()
		}
	}
	return r
}

// stopOn returns a flag raised when ctx ends, cheap to poll in the hot loop.
func stopOn(ctx context.Context) (*atomic.Bool, func()) {
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stop.Store(true)
		case <-done:
		}
	}()
	return &stop, func() { close(done) }
}

// runClosed is the closed loop: each connection sends its next request as soon as the previous
// one is answered, for d. Only responses completed inside the window count; the latency is from
// send to response (it is the server's service time under saturation, not a latency promise).
func runClosed(ctx context.Context, t Target, conns int, d time.Duration, seed uint64) (PhaseResult, error) {
	deadline := time.Now().Add(d + 30*time.Second)
	ws, err := dialWorkers(t, conns, deadline)
	if err != nil {
		return PhaseResult{}, err
	}
	stop, release := stopOn(ctx)
	defer release()
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			node := t.node(i)
			t0 := time.Now()
			for !stop.Load() {
				status, t1 := w.send(node.Addr, node.Reqs[rng.IntN(len(node.Reqs))], deadline)
				if t1.After(end) {
					return
				}
				w.tally(status, t1.Sub(t0))
				t0 = t1
			}
		})
	}
	wg.Wait()
	r := collect(ws, len(t.Nodes))
	r.Elapsed = end.Sub(start)
	return r, ctx.Err()
}

// runOpen is the open loop: requests are due at a fixed rate (one every 1/rate seconds from the
// start) whatever the server does, and each latency is measured from the request's due time, so
// a stalled server is charged for every request it delayed (no coordinated omission).
//
// A pacer sends each request when it is due on a free connection; when every connection is
// busy the request joins a backlog, and the next connection to get its answer sends it at once
// (that wait is part of its latency). Each connection has a reader that is parked on the socket
// until the answer comes. The pacer writes itself rather than handing requests to workers, so a
// request costs no goroutine wake-up beyond the answer's: at half the reference's rate, the
// generator's CPU would otherwise be taken from the server on a two-core machine.
func runOpen(ctx context.Context, t Target, conns int, d time.Duration, rate float64, seed uint64) (PhaseResult, error) {
	if rate <= 0 {
		return PhaseResult{}, errors.New("open loop: rate must be positive")
	}
	n := int64(rate * d.Seconds())
	if n == 0 {
		return PhaseResult{Errors: map[string]int64{}, Latency: NewHistogram(), Lag: NewHistogram(), Elapsed: d}, nil
	}
	deadline := time.Now().Add(d + 30*time.Second)
	ws, err := dialWorkers(t, conns, deadline)
	if err != nil {
		return PhaseResult{}, err
	}
	stop, release := stopOn(ctx)
	defer release()

	// The pacer holds a P while it sleeps (see preciseSleep): give the readers one more.
	procs := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(procs + 1)
	defer runtime.GOMAXPROCS(procs)

	o := &openLoop{t: t, ws: ws, deadline: deadline, done: make(chan struct{}),
		conns: make([]openConn, len(ws)), free: make([]int, 0, len(ws))}
	o.n.Store(n)
	for i := range ws {
		o.free = append(o.free, i)
		o.conns[i].rng = rand.New(rand.NewPCG(seed, uint64(i)))
	}
	var wg sync.WaitGroup
	for i := range ws {
		wg.Go(func() { o.read(i) })
	}

	lag := NewHistogram()
	start := time.Now().Add(time.Millisecond)
	pacerDone := make(chan struct{})
	go func() {
		defer close(pacerDone)
		// The pacer sleeps in the kernel on a thread of its own with a 1 ns timer slack: Go's
		// timers wake up to a millisecond late on an idle process, and a goroutine returning
		// from a system call may wait for a P behind the readers; either would be charged to
		// the server as latency.
		runtime.LockOSThread() // never unlocked: the thread, with its changed slack, dies with us
		preciseSleepSetup()
		rng := rand.New(rand.NewPCG(seed, uint64(len(ws))))
		for i := int64(0); i < n; i++ {
			if stop.Load() {
				o.complete(n - i) // never sent
				return
			}
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if wait := time.Until(at); wait > 0 {
				preciseSleep(wait)
			}
			lag.Record(time.Since(at))
			o.mu.Lock()
			if len(o.free) == 0 {
				o.backlog = append(o.backlog, at.UnixNano())
				o.mu.Unlock()
				continue
			}
			w := o.free[len(o.free)-1]
			o.free = o.free[:len(o.free)-1]
			o.mu.Unlock()
			o.send(w, at.UnixNano(), rng)
		}
	}()

	select {
	case <-o.done:
	case <-ctx.Done():
		<-pacerDone
		o.finish()
	}
	<-pacerDone
	o.finish() // unblocks the idle readers
	wg.Wait()
	r := collect(ws, len(t.Nodes))
	r.Lag = lag
	r.Elapsed = time.Unix(0, o.last.Load()).Sub(start)
	if r.Elapsed <= 0 {
		r.Elapsed = d
	}
	return r, ctx.Err()
}

// openLoop is the state an open-loop phase shares between its pacer and its readers.
//
// A connection is owned by whoever took it: the pacer, from the free list, until its request
// is written; its reader otherwise. Each connection's lock orders writes and replacement of the
// socket against each other; the due time of its request in flight (0 for none) lives under
// the same lock.
type openLoop struct {
	t        Target
	ws       []*worker
	deadline time.Time
	conns    []openConn

	mu      sync.Mutex
	free    []int   // idle connections
	backlog []int64 // due times (unix ns) of requests waiting for a connection, oldest first

	n, completed atomic.Int64 // requests in the phase; answered, failed or never sent
	last         atomic.Int64 // unix ns of the last answer
	done         chan struct{}
	finished     atomic.Bool
	closeOnce    sync.Once
}

// openConn is one connection's send side.
type openConn struct {
	mu  sync.Mutex
	due int64 // unix ns; 0 when no request is in flight
	rng *rand.Rand
}

// send writes a request due at `at` (unix ns) on connection w, which the caller owns.
func (o *openLoop) send(w int, at int64, rng *rand.Rand) {
	node := o.t.node(w)
	oc := &o.conns[w]
	oc.mu.Lock()
	defer oc.mu.Unlock()
	oc.due = at
	if _, err := o.ws[w].c.nc.Write(node.Reqs[rng.IntN(len(node.Reqs))]); err != nil {
		// The reader, parked on this socket, sees the failure, counts it and reconnects.
		o.ws[w].c.nc.Close()
	}
}

// read is connection w's reader: it waits for each answer, records it, and sends the next
// backlogged request or returns the connection to the free list.
func (o *openLoop) read(w int) {
	wk, oc := o.ws[w], &o.conns[w]
	for {
		status, err := readResponse(wk.c.br)
		now := time.Now()
		if o.finished.Load() {
			return
		}
		oc.mu.Lock()
		at := oc.due
		oc.due = 0
		if err != nil && !o.redial(w) {
			oc.mu.Unlock()
			return
		}
		oc.mu.Unlock()
		if at == 0 {
			// The socket failed with nothing in flight (an idle connection closed by the
			// server): it is replaced, and whoever owns it still does.
			continue
		}
		if err != nil && !errors.Is(err, errClosedByServer) {
			status = 0
		}
		wk.tally(status, now.Sub(time.Unix(0, at)))
		o.answered(now)

		o.mu.Lock()
		if len(o.backlog) > 0 {
			next := o.backlog[0]
			o.backlog = o.backlog[1:]
			o.mu.Unlock()
			o.send(w, next, oc.rng)
			continue
		}
		o.free = append(o.free, w)
		o.mu.Unlock()
	}
}

// redial replaces connection w's socket, with its lock held; false when the phase ended first.
func (o *openLoop) redial(w int) bool {
	wk := o.ws[w]
	wk.c.Close()
	for !o.finished.Load() {
		c, err := dial(o.t.node(w).Addr, o.deadline)
		if err == nil {
			wk.c = c
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// answered counts one finished request.
func (o *openLoop) answered(at time.Time) {
	for {
		old := o.last.Load()
		if at.UnixNano() <= old || o.last.CompareAndSwap(old, at.UnixNano()) {
			break
		}
	}
	o.complete(1)
}

// complete counts k requests as finished and ends the phase after the last one.
func (o *openLoop) complete(k int64) {
	if o.completed.Add(k) == o.n.Load() {
		close(o.done)
	}
}

// finish stops the readers: they are parked on their sockets, so the sockets are closed.
func (o *openLoop) finish() {
	o.closeOnce.Do(func() {
		o.finished.Store(true)
		for w := range o.ws {
			o.conns[w].mu.Lock()
			o.ws[w].c.nc.Close()
			o.conns[w].mu.Unlock()
		}
	})
}
