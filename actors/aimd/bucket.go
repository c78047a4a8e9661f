package aimd

import (
	"math"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/backoff"
)

// Outcome is what a send taught the bucket.
type Outcome int

// The outcomes the bucket learns from.
const (
	// Neutral: nothing about the receiver's load is known (a permanent refusal such as a
	// 400, or no request went out at all). The rate does not change.
	Neutral Outcome = iota
	// Success: the receiver accepted the alert (2xx).
	Success
	// RateLimited: the receiver answered 429.
	RateLimited
	// Failure: a 5xx, a network error or a timeout.
	Failure
)

// Reasons a destination is limited (messages.RateSnapshot.limited_reason).
const (
	// ReasonBackoff: a 429 or a failure started a back-off that has not ended.
	ReasonBackoff = "backoff"
	// ReasonTokens: the bucket has no whole token yet (a local throttle wait).
	ReasonTokens = "tokens"
)

// tokenEpsilon absorbs float rounding, so a wait computed to end when a token is complete
// really ends with one.
const tokenEpsilon = 1e-9

// Bucket is the rate control of one destination. It is not safe for concurrent use: its
// owner (one notifier) calls it from one goroutine.
type Bucket struct {
	cfg Config

	rps    float64
	burst  float64
	tokens float64   // tokens at at
	at     time.Time // when tokens was last brought up to date
	level  int32     // consecutive 429s
	until  time.Time // back-off: nothing is sent before

	version uint64
}

// New returns the bucket of a destination with persisted state st (the zero RateState for a
// destination without one: a full bucket at StartRPS), at now. A state out of cfg's bounds
// (the configuration changed since it was saved) is brought within them. cfg must be valid:
// call WithDefaults and Validate first.
func New(cfg Config, st messages.RateState, now time.Time) *Bucket {
	b := &Bucket{cfg: cfg}
	if st.RPS <= 0 || math.IsNaN(st.RPS) {
		b.rps, b.burst, b.tokens, b.at = cfg.StartRPS, cfg.Burst, cfg.Burst, now
		return b
	}
	b.rps = clamp(st.RPS, cfg.MinRPS, cfg.MaxRPS)
	b.burst = clamp(st.Burst, cfg.MinBurst, cfg.Burst)
	b.tokens = clamp(st.Tokens, 0, b.burst)
	b.at = st.UpdatedAt
	if b.at.IsZero() || b.at.After(now) {
		b.at = now
	}
	b.level = min(max(st.BackoffLevel, 0), cfg.MaxBackoffLevel)
	b.until = st.BackoffUntil
	if b.until.After(now.Add(max(cfg.BackoffMax, cfg.MaxRetryAfter))) {
		b.until = now.Add(max(cfg.BackoffMax, cfg.MaxRetryAfter)) // a clock that jumped back
	}
	return b
}

func clamp(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return lo
	}
	return min(max(v, lo), hi)
}

// tokensAt returns the tokens the bucket holds at t ≥ b.at, without changing it.
func (b *Bucket) tokensAt(t time.Time) float64 {
	if !t.After(b.at) {
		return b.tokens
	}
	return min(b.burst, b.tokens+b.rps*t.Sub(b.at).Seconds())
}

// refill brings the tokens up to date at now.
func (b *Bucket) refill(now time.Time) {
	if now.After(b.at) {
		b.tokens = b.tokensAt(now)
		b.at = now
	}
}

// Delay returns how long to wait at now before the next send may start: 0 when it may start
// now. The wait covers a back-off and the refill of one token; waiting is never a failure.
func (b *Bucket) Delay(now time.Time) time.Duration { return b.DelayN(now, 1) }

// DelayN returns how long to wait at now before the n-th of n sends in a row may start (n-1
// sends queued before it each take their token first): how long a send queued behind n-1
// others would wait. DelayN(now, 1) = Delay(now).
func (b *Bucket) DelayN(now time.Time, n int) time.Duration {
	start := now
	if b.until.After(start) {
		start = b.until
	}
	if start.Before(b.at) {
		start = b.at
	}
	need := float64(max(n, 1))
	have := b.tokensAt(start)
	wait := start.Sub(now)
	if have+tokenEpsilon >= need {
		return wait
	}
	// Tokens beyond the bucket's size are spent as they come: the k-th token past a full
	// bucket arrives k/rps later, as if the bucket had no cap for a queue.
	secs := (need - have) / b.rps
	return wait + time.Duration(math.Ceil(secs*float64(time.Second)))
}

// Take spends the token of a send that starts at now. It does not check Delay: a token taken
// early is owed, and the next Delay is longer by as much.
func (b *Bucket) Take(now time.Time) {
	b.refill(now)
	b.tokens--
}

// Observe learns from the outcome of a send that ended at now; retryAfter is the receiver's
// Retry-After (RateLimited; 0 = none given).
//
//   - Success: the rate grows by AIStep (up to MaxRPS), the bucket by BurstStep (up to
//     Burst), and the 429 back-off level starts again at 0.
//   - RateLimited: rate and bucket × RateLimitFactor (not below MinRPS, MinBurst); a
//     back-off of Retry-After (capped at MaxRetryAfter) or, without one, BackoffBase·2^level
//     capped at BackoffMax; the level grows by one up to MaxBackoffLevel.
//   - Failure: rate and bucket × ErrorFactor and a back-off of ErrorBackoff.
//
// A back-off drops the tokens the bucket holds: when it ends, the bucket holds what the
// lowered rate refilled during it, and at least one token (the first send may start right
// then).
//   - Neutral: nothing changes.
//
// A back-off never ends earlier than one already running.
func (b *Bucket) Observe(now time.Time, o Outcome, retryAfter time.Duration) {
	b.refill(now)
	before := b.key()
	switch o {
	case Success:
		b.rps = min(b.rps+b.cfg.AIStep, b.cfg.MaxRPS)
		b.burst = min(b.burst+b.cfg.BurstStep, b.cfg.Burst)
		b.level = 0
	case RateLimited:
		b.decrease(b.cfg.RateLimitFactor)
		wait := retryAfter
		if wait <= 0 {
			wait = backoff.Exp(b.cfg.BackoffBase, b.cfg.BackoffMax, int(b.level))
		}
		b.backoff(now, min(wait, b.cfg.MaxRetryAfter))
		b.level = min(b.level+1, b.cfg.MaxBackoffLevel)
	case Failure:
		b.decrease(b.cfg.ErrorFactor)
		b.backoff(now, b.cfg.ErrorBackoff)
	}
	if b.key() != before {
		b.version++
	}
}

func (b *Bucket) decrease(f float64) {
	b.rps = max(b.rps*f, b.cfg.MinRPS)
	b.burst = max(b.burst*f, b.cfg.MinBurst)
	b.tokens = min(b.tokens, b.burst)
}

// backoff starts (or extends) a back-off of d at now. The tokens the bucket holds are
// dropped, so what it sends when the back-off ends is what the (lowered) rate refilled
// meanwhile — and at least one send, even when the rate is too low to refill a whole token
// during the back-off.
func (b *Bucket) backoff(now time.Time, d time.Duration) {
	if until := now.Add(d); d > 0 && until.After(b.until) {
		b.until = until
	}
	if b.until.After(now) {
		b.tokens = min(b.tokens, max(0, 1-b.rps*b.until.Sub(now).Seconds()))
	}
}

// persisted is what a change of which is worth a save: the persisted "rate, burst, back-off level,
// back-off until". Tokens alone move with every send and follow from the rest.
type persisted struct {
	rps, burst float64
	level      int32
	until      time.Time
}

func (b *Bucket) key() persisted {
	return persisted{rps: b.rps, burst: b.burst, level: b.level, until: b.until}
}

// Version counts the changes worth persisting (rate, bucket size, back-off level, back-off
// end); it starts at 0. Save State when it differs from the version last saved.
func (b *Bucket) Version() uint64 { return b.version }

// State returns the bucket as persisted.
func (b *Bucket) State() messages.RateState {
	return messages.RateState{
		RPS:          b.rps,
		Burst:        b.burst,
		Tokens:       b.tokens,
		BackoffLevel: b.level,
		BackoffUntil: b.until,
		UpdatedAt:    b.at,
	}
}

// Limited returns why a send could not start at now ("" = it could): ReasonBackoff during a
// back-off, ReasonTokens while no token is ready.
func (b *Bucket) Limited(now time.Time) string {
	switch {
	case b.until.After(now):
		return ReasonBackoff
	case b.Delay(now) > 0:
		return ReasonTokens
	default:
		return ""
	}
}

// Snapshot returns the bucket as GET …/{channel}/rate shows it, at now. Enabled is true: the
// destination is under rate control.
func (b *Bucket) Snapshot(now time.Time) *messages.RateSnapshot {
	s := &messages.RateSnapshot{
		Enabled:    true,
		CurrentRps: b.rps,
		MinRps:     b.cfg.MinRPS,
		Tokens:     max(b.tokensAt(now), 0),
		MaxTokens:  b.burst,
	}
	if b.until.After(now) {
		s.BackoffSecondsRemaining = b.until.Sub(now).Seconds()
	}
	if reason := b.Limited(now); reason != "" {
		s.Limited = true
		s.LimitedReason = reason
		s.RetryAfterSeconds = b.Delay(now).Seconds()
	}
	return s
}
