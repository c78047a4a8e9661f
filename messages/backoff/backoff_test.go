package backoff_test

import (
	"math"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/backoff"
)

func TestExp(t *testing.T) {
	const s = time.Second
	for _, tt := range []struct {
		base, limit time.Duration
		n           int
		want        time.Duration
	}{
		{5 * s, time.Minute, -1, 5 * s},
		{5 * s, time.Minute, 0, 5 * s},
		{5 * s, time.Minute, 1, 10 * s},
		{5 * s, time.Minute, 3, 40 * s},
		{5 * s, time.Minute, 4, time.Minute},
		{5 * s, time.Minute, math.MaxInt, time.Minute}, // no overflow
		{time.Minute, 5 * s, 0, 5 * s},                 // base above the cap
		{time.Duration(math.MaxInt64 / 3), time.Duration(math.MaxInt64), 5, time.Duration(math.MaxInt64)},
	} {
		if got := backoff.Exp(tt.base, tt.limit, tt.n); got != tt.want {
			t.Errorf("Exp(%v, %v, %d) = %v, want %v", tt.base, tt.limit, tt.n, got, tt.want)
		}
	}
}

func TestJitter(t *testing.T) {
	const s = time.Second
	for _, tt := range []struct {
		d       time.Duration
		frac, r float64
		want    time.Duration
	}{
		{10 * s, 0, 0.9, 10 * s},
		{10 * s, 0.2, 0, 8 * s},
		{10 * s, 0.2, 0.5, 10 * s},
		{10 * s, 0.2, 0.75, 11 * s},
		{10 * s, 2, 0, 0}, // never negative
	} {
		if got := backoff.Jitter(tt.d, tt.frac, tt.r); got != tt.want {
			t.Errorf("Jitter(%v, %g, %g) = %v, want %v", tt.d, tt.frac, tt.r, got, tt.want)
		}
	}
}
