package ratelimit

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// Bucket enforces one Limit. It starts full. It is not safe for concurrent use: its owner
// (an actor, or a Set under its lock) calls it from one goroutine at a time.
type Bucket struct {
	limit Limit
	l     *rate.Limiter // nil when the limit is off
}

// NewBucket returns a full bucket of l.
func NewBucket(l Limit) *Bucket {
	b := &Bucket{limit: l}
	if !l.Off() {
		b.l = rate.NewLimiter(rate.Limit(l.Rate), max(l.Burst, 1))
	}
	return b
}

// Limit is the bucket's limit.
func (b *Bucket) Limit() Limit { return b.limit }

// Take takes n events at now if the bucket holds them. Otherwise it takes nothing and
// returns how long until it would: the Retry-After of a refusal. n beyond the burst can
// never be taken: the wait is then the time to refill the whole bucket.
func (b *Bucket) Take(now time.Time, n int) (ok bool, retryAfter time.Duration) {
	if b.l == nil || n <= 0 {
		return true, 0
	}
	r := b.l.ReserveN(now, n)
	if !r.OK() {
		return false, b.limit.Refill()
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Charge takes n events at now whether or not the bucket holds them: what it lacks becomes
// a debt that later refills pay first. It is for costs known only afterwards (the CPU time
// a match took); a charge beyond the burst counts as the burst, so one large cost delays the
// next event by at most Limit.Refill.
func (b *Bucket) Charge(now time.Time, n float64) {
	if b.l == nil || n <= 0 {
		return
	}
	k := int(math.Ceil(n))
	k = min(k, b.limit.Burst)
	_ = b.l.ReserveN(now, k) // not cancelled: the tokens are spent, the debt stays
}

// Tokens is what the bucket holds at now (negative while in debt). It is +Inf when the limit
// is off.
func (b *Bucket) Tokens(now time.Time) float64 {
	if b.l == nil {
		return math.Inf(1)
	}
	return b.l.TokensAt(now)
}

// Full reports whether the bucket is full at now: a full bucket is the same as a new one, so
// its owner may drop it.
func (b *Bucket) Full(now time.Time) bool {
	return b.l == nil || b.l.TokensAt(now) >= float64(b.limit.Burst)
}
