package notify

import (
	"time"

	"github.com/ttr-rip/ttr/actors/aimd"
	"github.com/ttr-rip/ttr/messages"
)

// Policy paces the sends of one destination (docs/architecture.md#alerting-rules). A notifier
// owns its Policy and calls it from its own goroutine only, so an implementation needs no
// locking. A local wait is not a failure: it does not count as an attempt and does not
// penalise the destination.
//
// The notifier restores the persisted state on activation, asks Delay before each send,
// calls Take when a send starts and Observe with its result, and saves State whenever its
// version moved.
type Policy interface {
	// Restore replaces the state with the one persisted for the destination (the zero
	// RateState when none was), at now.
	Restore(now time.Time, st messages.RateState)
	// Delay says how long to wait at now before the n-th of n sends in a row may start
	// (n = 1: the next send); 0 = it may start now.
	Delay(now time.Time, n int) time.Duration
	// Take spends the allowance of a send that starts at now.
	Take(now time.Time)
	// Observe learns from the result of a send that ended at now.
	Observe(now time.Time, r Result)
	// State returns the state to persist and its version, a counter that moves with every
	// change worth saving (0 = nothing to save yet).
	State() (messages.RateState, uint64)
	// Snapshot returns the live rate control for GET …/{channel}/rate.
	Snapshot(now time.Time) *messages.RateSnapshot
}

// AIMD is the default Policy: an adaptive token bucket (package aimd).
type AIMD struct {
	cfg aimd.Config
	b   *aimd.Bucket
}

var _ Policy = (*AIMD)(nil)

// NewAIMD returns the AIMD policy of a destination; zero fields of cfg take their defaults.
// It panics when cfg is invalid (a wiring error: Config.Validate reports it first).
func NewAIMD(cfg aimd.Config) *AIMD {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return &AIMD{cfg: cfg}
}

func (p *AIMD) bucket(now time.Time) *aimd.Bucket {
	if p.b == nil {
		p.b = aimd.New(p.cfg, messages.RateState{}, now)
	}
	return p.b
}

// Restore implements Policy.
func (p *AIMD) Restore(now time.Time, st messages.RateState) { p.b = aimd.New(p.cfg, st, now) }

// Delay implements Policy.
func (p *AIMD) Delay(now time.Time, n int) time.Duration { return p.bucket(now).DelayN(now, n) }

// Take implements Policy.
func (p *AIMD) Take(now time.Time) { p.bucket(now).Take(now) }

// Observe implements Policy: delivered raises the rate; 429 and transient failures lower it
// and back off; a permanent refusal (or a row that could not be sent at all) says nothing
// about the receiver's load.
func (p *AIMD) Observe(now time.Time, r Result) {
	p.bucket(now).Observe(now, aimdOutcome(r.Outcome), r.RetryAfter)
}

func aimdOutcome(o Outcome) aimd.Outcome {
	switch o {
	case Delivered:
		return aimd.Success
	case RateLimited:
		return aimd.RateLimited
	case Permanent:
		return aimd.Neutral
	default: // Transient, or a Sender that returned no outcome (decide retries it as transient)
		return aimd.Failure
	}
}

// State implements Policy.
func (p *AIMD) State() (messages.RateState, uint64) {
	if p.b == nil {
		return messages.RateState{}, 0
	}
	return p.b.State(), p.b.Version()
}

// Snapshot implements Policy.
func (p *AIMD) Snapshot(now time.Time) *messages.RateSnapshot { return p.bucket(now).Snapshot(now) }

// Unlimited is the pass-through Policy: every send may start at once, nothing is persisted,
// and its snapshot says rate control is not enabled.
type Unlimited struct{}

var _ Policy = Unlimited{}

// Restore does nothing.
func (Unlimited) Restore(time.Time, messages.RateState) {}

// Delay always returns 0.
func (Unlimited) Delay(time.Time, int) time.Duration { return 0 }

// Take does nothing.
func (Unlimited) Take(time.Time) {}

// Observe does nothing.
func (Unlimited) Observe(time.Time, Result) {}

// State returns version 0: nothing to save.
func (Unlimited) State() (messages.RateState, uint64) { return messages.RateState{}, 0 }

// Snapshot returns a snapshot with Enabled false.
func (Unlimited) Snapshot(time.Time) *messages.RateSnapshot { return &messages.RateSnapshot{} }
