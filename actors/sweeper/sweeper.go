// Package sweeper is the backstop behind the deadline wheel: every few seconds it asks the
// store for checks whose wake-up passed more than a little while ago and sends each a Tick.
// On a healthy node it finds nothing; it repairs wake-ups that were lost (a tick dropped
// while an activation was failing, a write that set a wake-up the wheel never saw).
package sweeper

import (
	"context"
	"log/slog"
	"time"

	"github.com/ttr-rip/ttr/persistence"
)

// Source lists overdue checks (persistence.SystemStore.DueChecks).
type Source interface {
	DueChecks(ctx context.Context, t time.Time, limit int) ([]persistence.Wake, error)
}

// Sweeper pokes overdue checks.
type Sweeper struct {
	src    Source
	tick   func(checkID int64) // sends the check a Tick if this node owns it
	paused func() bool
	now    func() time.Time
	every  time.Duration
	slack  time.Duration
	log    *slog.Logger
	stop   chan struct{}
	done   chan struct{}
}

// New returns a sweeper that runs every `every` and pokes checks overdue by more than slack.
func New(src Source, tick func(int64), paused func() bool, now func() time.Time, every, slack time.Duration, log *slog.Logger) *Sweeper {
	if now == nil {
		now = time.Now
	}
	if paused == nil {
		paused = func() bool { return false }
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sweeper{src: src, tick: tick, paused: paused, now: now, every: every, slack: slack, log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Start runs until Stop.
func (s *Sweeper) Start() { go s.run() }

// Stop stops the sweeper.
func (s *Sweeper) Stop() {
	close(s.stop)
	<-s.done
}

func (s *Sweeper) run() {
	defer close(s.done)
	t := time.NewTicker(s.every)
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
	if s.paused() {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.every)
	defer cancel()
	due, err := s.src.DueChecks(ctx, s.now().Add(-s.slack), 1000)
	if err != nil {
		s.log.Warn("sweep", "err", err)
		return 0
	}
	for _, w := range due {
		s.tick(w.CheckID)
	}
	if len(due) > 0 {
		s.log.Debug("sweeper poked overdue checks", "count", len(due))
	}
	return len(due)
}
