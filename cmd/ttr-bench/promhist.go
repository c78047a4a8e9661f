package main

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
)

// promBucket is one cumulative bucket of a Prometheus histogram: Count observations ≤ LE.
type promBucket struct {
	LE    float64 // +Inf for the last
	Count float64
}

// promHistogram is a Prometheus histogram as scraped, its label sets added up.
type promHistogram struct {
	Buckets    []promBucket // by LE ascending
	Sum, Count float64
}

// parseHistogram reads the histogram name from the text exposition format, adding up the
// series of all its label sets; false when it is not there.
func parseHistogram(body []byte, name string) (promHistogram, bool) {
	var h promHistogram
	byLE := map[float64]float64{}
	found := false
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		sp := bytes.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(string(bytes.TrimSpace(line[sp+1:])), 64)
		if err != nil {
			continue
		}
		series := string(line[:sp])
		metric, labels, _ := strings.Cut(series, "{")
		switch metric {
		case name + "_bucket":
			le, ok := labelValue(labels, "le")
			if !ok {
				continue
			}
			bound, err := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
			if err != nil {
				continue
			}
			byLE[bound] += v
			found = true
		case name + "_sum":
			h.Sum += v
			found = true
		case name + "_count":
			h.Count += v
			found = true
		}
	}
	for le, c := range byLE {
		h.Buckets = append(h.Buckets, promBucket{LE: le, Count: c})
	}
	slices.SortFunc(h.Buckets, func(a, b promBucket) int {
		switch {
		case a.LE < b.LE:
			return -1
		case a.LE > b.LE:
			return 1
		}
		return 0
	})
	return h, found
}

// labelValue is the value of label key in the label part of a series ("a=\"x\",le=\"0.5\"}").
// Label values of the histograms read here hold no quotes or commas.
func labelValue(labels, key string) (string, bool) {
	labels = strings.TrimSuffix(labels, "}")
	for kv := range strings.SplitSeq(labels, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.Trim(strings.TrimSpace(v), `"`), true
		}
	}
	return "", false
}

// delta is h minus an earlier scrape of the same histogram (for the observations between).
func (h promHistogram) delta(before promHistogram) promHistogram {
	out := promHistogram{Sum: h.Sum - before.Sum, Count: h.Count - before.Count}
	for _, b := range h.Buckets {
		for _, a := range before.Buckets {
			if a.LE == b.LE {
				b.Count -= a.Count
				break
			}
		}
		out.Buckets = append(out.Buckets, b)
	}
	return out
}

// Quantile is the q-quantile (0..1) as Prometheus's histogram_quantile estimates it: the
// bucket holding the rank is found and the value interpolated linearly within it (from 0 for
// the first bucket). A rank in the +Inf bucket gives the largest finite bound. NaN when
// there are no observations.
func (h promHistogram) Quantile(q float64) float64 {
	n := len(h.Buckets)
	if n == 0 || h.Buckets[n-1].Count <= 0 || math.IsNaN(q) {
		return math.NaN()
	}
	q = min(max(q, 0), 1)
	rank := q * h.Buckets[n-1].Count
	i, _ := slices.BinarySearchFunc(h.Buckets, rank, func(b promBucket, r float64) int {
		if b.Count < r {
			return -1
		}
		return 1
	})
	i = min(i, n-1)
	if math.IsInf(h.Buckets[i].LE, 1) {
		if i == 0 {
			return math.NaN()
		}
		return h.Buckets[i-1].LE
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = h.Buckets[i-1].LE, h.Buckets[i-1].Count
	}
	in := h.Buckets[i].Count - below
	if in <= 0 {
		return h.Buckets[i].LE
	}
	return lower + (h.Buckets[i].LE-lower)*(rank-below)/in
}

// MaxBound bounds the largest observation: the upper bound of the highest bucket that holds
// one, or, when that is the +Inf bucket, the largest finite bound with above set (the largest
// observation is greater than it). NaN without observations.
func (h promHistogram) MaxBound() (bound float64, above bool) {
	n := len(h.Buckets)
	if n == 0 || h.Buckets[n-1].Count <= 0 {
		return math.NaN(), false
	}
	total := h.Buckets[n-1].Count
	for i, b := range h.Buckets {
		if b.Count >= total {
			if math.IsInf(b.LE, 1) {
				if i == 0 {
					return math.NaN(), true
				}
				return h.Buckets[i-1].LE, true
			}
			return b.LE, false
		}
	}
	return math.NaN(), false
}

// sumSeries adds up the samples of metric name whose labels include every pair of match
// (all of its series for an empty match); false when there is none.
func sumSeries(body []byte, name string, match map[string]string) (float64, bool) {
	var sum float64
	found := false
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		sp := bytes.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		metric, labels, _ := strings.Cut(string(line[:sp]), "{")
		if metric != name {
			continue
		}
		ok := true
		for k, want := range match {
			if v, has := labelValue(labels, k); !has || v != want {
				ok = false
				break
			}
		}
		v, err := strconv.ParseFloat(string(bytes.TrimSpace(line[sp+1:])), 64)
		if ok && err == nil {
			sum += v
			found = true
		}
	}
	return sum, found
}
