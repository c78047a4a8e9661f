// Package backoff computes the pauses of retry loops: a wait that doubles with every
// failure up to a cap, spread by jitter so that many callers failing together do not
// retry together. It is pure (the caller supplies the random number) and imports nothing
// of ours, so every layer may use it: the alert retries and rate control in actors, the
// router and the join loop in cluster.
package backoff

import "time"

// Exp returns base doubled n times, capped at limit; n ≤ 0 gives base (capped). The
// doubling stops at limit, so neither a large n nor a large limit overflows.
func Exp(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 0; i < n && d < limit; i++ {
		if d > limit/2 {
			return limit // doubling would pass the cap, or overflow near the largest durations
		}
		d *= 2
	}
	return min(d, limit)
}

// Jitter spreads d by ± frac of itself using r in [0, 1): d·(1 + frac·(2r − 1)), never
// below 0. frac 0 returns d unchanged.
func Jitter(d time.Duration, frac, r float64) time.Duration {
	if frac == 0 {
		return d
	}
	return max(time.Duration(float64(d)*(1+frac*(2*r-1))), 0)
}
