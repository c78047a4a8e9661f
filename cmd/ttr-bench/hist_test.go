package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketRangeHoldsItsValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := []int64{0, 1, histSub - 1, histSub, histSub + 1, 1000, 65535, 1 << 30, histMax - 1}
	for range 10000 {
		values = append(values, rng.Int64N(histMax))
	}
	for _, v := range values {
		lo, hi := bucketRange(bucketOf(v))
		if v < lo || v > hi {
			t.Fatalf("value %d maps to bucket [%d, %d]", v, lo, hi)
		}
		if v >= histSub && float64(hi-lo+1)/float64(lo) > 1.0/histHalf+1e-9 {
			t.Fatalf("bucket [%d, %d] wider than the promised precision", lo, hi)
		}
	}
	if got := bucketOf(histMax * 4); got != histLen-1 {
		t.Errorf("huge values clamp to the last bucket: got %d, want %d", got, histLen-1)
	}
}

func TestPercentileMatchesSortedSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := map[string]func() time.Duration{
		"uniform 0-10ms": func() time.Duration { return time.Duration(rng.Int64N(int64(10 * time.Millisecond))) },
		"lognormal":      func() time.Duration { return time.Duration(math.Exp(rng.NormFloat64()*1.5+12) + 1) },
		"bimodal":        func() time.Duration { return time.Duration(100e3 + rng.Int64N(2)*50e6 + rng.Int64N(1000)) },
		"tiny":           func() time.Duration { return time.Duration(rng.Int64N(200)) },
	}
	for name, gen := range cases {
		t.Run(name, func(t *testing.T) {
			h := NewHistogram()
			var sorted []time.Duration
			for range 50000 {
				d := gen()
				h.Record(d)
				sorted = append(sorted, d)
			}
			slices.Sort(sorted)
			for _, q := range []float64{0.1, 50, 90, 99, 99.9, 100} {
				want := percentileOfSorted(sorted, q)
				got := h.Percentile(q)
				if diff := math.Abs(float64(got - want)); diff > float64(want)/histHalf+1 {
					t.Errorf("p%v = %v, want %v within %.2f %%", q, got, want, 100.0/histHalf)
				}
			}
			if h.Max() != sorted[len(sorted)-1] {
				t.Errorf("max = %v, want %v", h.Max(), sorted[len(sorted)-1])
			}
		})
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	if a.Percentile(99) != 0 || a.Mean() != 0 || a.Max() != 0 {
		t.Fatal("an empty histogram reads 0")
	}
	for i := 1; i <= 100; i++ {
		a.Record(time.Duration(i) * time.Microsecond)
		b.Record(time.Duration(i+100) * time.Microsecond)
	}
	a.Merge(b)
	if a.Count() != 200 {
		t.Fatalf("count = %d, want 200", a.Count())
	}
	if got := a.Percentile(50); got < 99*time.Microsecond || got > 101*time.Microsecond {
		t.Errorf("p50 = %v, want about 100µs", got)
	}
	if got := a.Max(); got != 200*time.Microsecond {
		t.Errorf("max = %v, want 200µs", got)
	}
	if got := a.Mean(); got < 100*time.Microsecond || got > 101*time.Microsecond {
		t.Errorf("mean = %v, want 100.5µs", got)
	}
}

func TestNearestRankAndMedian(t *testing.T) {
	for _, tc := range []struct {
		q    float64
		n    int
		want int
	}{{50, 10, 5}, {99, 10, 10}, {99.9, 1000, 999}, {100, 7, 7}, {0, 7, 1}, {50, 1, 1}} {
		if got := nearestRank(tc.q, tc.n); got != tc.want {
			t.Errorf("nearestRank(%v, %d) = %d, want %d", tc.q, tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
