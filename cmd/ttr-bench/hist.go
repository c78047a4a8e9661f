package main

import (
	"math"
	"math/bits"
	"slices"
	"time"
)

// Histogram records durations in log-linear buckets, as HDR histograms do: values below 2^histBits
// nanoseconds are exact, larger ones keep histBits significant bits, so any percentile read back
// is within 1/2^histBits (0.4 %) of a recorded value. Recording is one index computation and an
// increment, cheap enough for every request; each load worker owns one and they are merged after.
type Histogram struct {
	counts   []uint64
	n        uint64
	sum      float64 // nanoseconds
	min, max int64
}

const (
	histBits = 8                                // significant bits kept
	histSub  = 1 << histBits                    // exact buckets below this value
	histHalf = histSub / 2                      // buckets per power of two above it
	histMax  = int64(1) << 40                   // ~18 minutes; larger values are clamped
	histLen  = histSub + (40-histBits)*histHalf // buckets needed up to histMax
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, histLen), min: math.MaxInt64}
}

// bucketOf maps a value in nanoseconds to its bucket.
func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	if v >= histMax {
		v = histMax - 1
	}
	if v < histSub {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - histBits
	mant := int(v >> shift) // in [histHalf, histSub)
	return histSub + (shift-1)*histHalf + mant - histHalf
}

// bucketRange is the smallest and largest value that map to bucket i.
func bucketRange(i int) (lo, hi int64) {
	if i < histSub {
		return int64(i), int64(i)
	}
	k := i - histSub
	shift := k/histHalf + 1
	mant := int64(k%histHalf + histHalf)
	lo = mant << shift
	return lo, lo + int64(1)<<shift - 1
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Percentile is the nearest-rank q-th percentile (0 < q ≤ 100): the value below or at which q %
// of the recorded values lie, as the midpoint of its bucket clamped to the exact extremes. It is
// 0 for an empty histogram.
func (h *Histogram) Percentile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := nearestRank(q, int(h.n))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= uint64(rank) {
			lo, hi := bucketRange(i)
			mid := lo + (hi-lo)/2
			return time.Duration(min(max(mid, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// Mean is the arithmetic mean of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Max is the largest recorded value.
func (h *Histogram) Max() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.max)
}

// nearestRank is the 1-based rank of the q-th percentile among n sorted values.
func nearestRank(q float64, n int) int {
	// The epsilon keeps float error from pushing an exact rank up by one (99.9 % of 1000).
	r := int(math.Ceil(q*float64(n)/100 - 1e-9))
	return min(max(r, 1), n)
}

// percentileOfSorted is the exact nearest-rank percentile of sorted values (used by wrk rows
// and tests as the definition the histogram approximates).
func percentileOfSorted(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[nearestRank(q, len(sorted))-1]
}

// median is the median of xs (the mean of the middle two for an even count); 0 when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
