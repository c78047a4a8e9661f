// Package wheel is the deadline wheel: a min-heap of (wake-up time, check id) for the checks
// this node owns. When an entry falls due the wheel removes it and calls Fire, which sends
// the check a Tick; the check decides what the time means and sets its next wake-up. An
// entry is a few dozen bytes, so an idle check can passivate and keep only its entry here.
//
// Deadlines fire on time instead of on a poll loop; the backstop sweeper (package sweeper;
// both wired together in package deadlines) only repairs entries that were lost.
package wheel

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// Config is the wheel's timing. A zero field takes its default.
type Config struct {
	// PausedRecheck bounds how long a paused wheel sleeps before it looks again (Poke
	// wakes it sooner). Default 200 ms.
	PausedRecheck time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{PausedRecheck: 200 * time.Millisecond} }

// Validate reports every setting New refuses.
func (c Config) Validate() error {
	if c.PausedRecheck < 0 {
		return errors.New("wheel: PausedRecheck must not be negative")
	}
	return nil
}

// Deps are the wheel's collaborators.
type Deps struct {
	// Fire is called for each due entry, on the wheel's goroutine: it must not block.
	// Required.
	Fire func(id int64, at time.Time)
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Paused holds every entry while true (store outage); nil = never.
	Paused func() bool
}

// Wheel holds wake-ups. It is safe for concurrent use.
type Wheel struct {
	cfg    Config
	fire   func(id int64, at time.Time)
	now    func() time.Time
	paused func() bool // while true nothing fires (store outage)

	mu    sync.Mutex
	h     entries
	index map[int64]*entry
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

type entry struct {
	at  int64 // unix nanoseconds
	id  int64
	pos int
}

// New returns a wheel. Entries can be set before Start; they fire once it runs.
func New(cfg Config, d Deps) (*Wheel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Fire == nil {
		return nil, errors.New("wheel: Fire is required")
	}
	if cfg.PausedRecheck == 0 {
		cfg.PausedRecheck = DefaultConfig().PausedRecheck
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Paused == nil {
		d.Paused = func() bool { return false }
	}
	return &Wheel{cfg: cfg, fire: d.Fire, now: d.Now, paused: d.Paused, index: map[int64]*entry{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// Set arms (or moves) id's wake-up. A zero time removes it.
func (w *Wheel) Set(id int64, at time.Time) {
	if at.IsZero() {
		w.Remove(id)
		return
	}
	w.mu.Lock()
	ns := at.UnixNano()
	if e, ok := w.index[id]; ok {
		e.at = ns
		heap.Fix(&w.h, e.pos)
	} else {
		e := &entry{at: ns, id: id}
		heap.Push(&w.h, e)
		w.index[id] = e
	}
	first := w.h[0].id == id
	w.mu.Unlock()
	if first {
		w.poke()
	}
}

// Remove drops id's wake-up, if any.
func (w *Wheel) Remove(id int64) {
	w.mu.Lock()
	if e, ok := w.index[id]; ok {
		heap.Remove(&w.h, e.pos)
		delete(w.index, id)
	}
	w.mu.Unlock()
}

// RemoveIf drops every entry whose id matches (entries a node no longer owns).
func (w *Wheel) RemoveIf(drop func(id int64) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	kept := w.h[:0]
	n := 0
	for _, e := range w.h {
		if drop(e.id) {
			delete(w.index, e.id)
			n++
			continue
		}
		e.pos = len(kept)
		kept = append(kept, e)
	}
	clear(w.h[len(kept):])
	w.h = kept
	heap.Init(&w.h)
	return n
}

// Get returns id's wake-up.
func (w *Wheel) Get(id int64) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.index[id]
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(0, e.at).UTC(), true
}

// Len returns the number of entries.
func (w *Wheel) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.h)
}

// Start runs the wheel until Stop. ctx only guards the start.
func (w *Wheel) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	go w.run()
	return nil
}

// Stop stops firing. Call it once, after a successful Start.
func (w *Wheel) Stop() {
	close(w.stop)
	<-w.done
}

// Poke makes the wheel look at its entries again (after a pause ends).
func (w *Wheel) Poke() { w.poke() }

func (w *Wheel) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Wheel) run() {
	defer close(w.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := w.fireDue()
		timer.Reset(wait)
		select {
		case <-w.stop:
			return
		case <-w.wake:
		case <-timer.C:
		}
	}
}

// fireDue fires every due entry and returns how long to sleep.
func (w *Wheel) fireDue() time.Duration {
	if w.paused() {
		return w.cfg.PausedRecheck
	}
	for {
		now := w.now().UnixNano()
		w.mu.Lock()
		if len(w.h) == 0 {
			w.mu.Unlock()
			return time.Hour
		}
		e := w.h[0]
		id, at := e.id, e.at // read under the lock: Set may move e once it is released
		if at > now {
			w.mu.Unlock()
			return time.Duration(at - now)
		}
		heap.Pop(&w.h)
		delete(w.index, id)
		w.mu.Unlock()
		w.fire(id, time.Unix(0, at).UTC())
	}
}

type entries []*entry

func (h entries) Len() int { return len(h) }
func (h entries) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].id < h[j].id
}
func (h entries) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos = i
	h[j].pos = j
}
func (h *entries) Push(x any) {
	e := x.(*entry)
	e.pos = len(*h)
	*h = append(*h, e)
}
func (h *entries) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
