package ratelimit

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Limit is an allowance: Rate events per second on average, with bursts of up to Burst at
// once. A Limit with Rate <= 0 is off: everything is allowed.
type Limit struct {
	Rate  float64 // events per second
	Burst int     // events allowed at once (at least 1 when Rate > 0)
}

// PerSecond returns n events a second with bursts of burst.
func PerSecond(n float64, burst int) Limit { return Limit{Rate: n, Burst: burst} }

// PerMinute returns n events a minute, all of which may come at once.
func PerMinute(n int) Limit { return Limit{Rate: float64(n) / 60, Burst: n} }

// PerHour returns n events an hour, all of which may come at once.
func PerHour(n int) Limit { return Limit{Rate: float64(n) / 3600, Burst: n} }

// Off reports whether the limit allows everything.
func (l Limit) Off() bool { return l.Rate <= 0 || math.IsNaN(l.Rate) }

// Validate rejects a limit that is on but cannot let anything through.
func (l Limit) Validate() error {
	switch {
	case l.Off():
		return nil
	case math.IsInf(l.Rate, 0):
		return fmt.Errorf("rate must be finite")
	case l.Burst < 1:
		return fmt.Errorf("burst must be at least 1, got %d", l.Burst)
	}
	return nil
}

// Scaled returns the share f of l (0 < f <= 1): the rate times f and the burst times f,
// rounded up so that a share is never zero. A node enforcing a per-node share of a
// cluster-wide allowance uses Scaled(1/n).
func (l Limit) Scaled(f float64) Limit {
	if l.Off() || f <= 0 || f >= 1 {
		return l
	}
	return Limit{Rate: l.Rate * f, Burst: max(int(math.Ceil(float64(l.Burst)*f)), 1)}
}

// Refill is how long an empty bucket of l takes to fill up again.
func (l Limit) Refill() time.Duration {
	if l.Off() {
		return 0
	}
	return time.Duration(float64(l.Burst) / l.Rate * float64(time.Second))
}

// String renders l for logs and documentation: "off", "10/s burst 20", "5/min", "10/h".
func (l Limit) String() string {
	if l.Off() {
		return "off"
	}
	for _, u := range []struct {
		per  float64
		name string
	}{{3600, "h"}, {60, "min"}} {
		if n := l.Rate * u.per; n == math.Trunc(n) && int(n) == l.Burst && l.Rate < 1 {
			return strconv.Itoa(l.Burst) + "/" + u.name
		}
	}
	return strconv.FormatFloat(l.Rate, 'g', -1, 64) + "/s burst " + strconv.Itoa(l.Burst)
}

// RetryAfterSeconds rounds a wait up to the whole seconds of an HTTP Retry-After header (at
// least 1).
func RetryAfterSeconds(d time.Duration) int64 {
	return max(int64((d+time.Second-1)/time.Second), 1)
}

// The one metric every limiter reports: each registers a counter of this name with the
// const label limiter="<name>" (a Prometheus registry accepts one descriptor per label
// value, so the users of this package share the name without sharing a collector).
const (
	MetricName = "ttr_limit_refused_total"
	MetricHelp = "Requests refused by an abuse limit (answered 429), by limiter."
)
