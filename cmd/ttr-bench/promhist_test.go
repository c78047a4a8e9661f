package main

import (
	"math"
	"testing"
)

const lagExposition = `# HELP ttr_check_deadline_lag_seconds Time from a check's deadline to its flip being committed.
# TYPE ttr_check_deadline_lag_seconds histogram
ttr_check_deadline_lag_seconds_bucket{le="0.01"} 10
ttr_check_deadline_lag_seconds_bucket{le="0.1"} 60
ttr_check_deadline_lag_seconds_bucket{le="1"} 100
ttr_check_deadline_lag_seconds_bucket{le="+Inf"} 100
ttr_check_deadline_lag_seconds_sum 12.5
ttr_check_deadline_lag_seconds_count 100
ttr_check_deadline_lag_seconds_other 7
ttr_check_deadline_lag_secondsx_bucket{le="0.01"} 99
`

func TestParseHistogram(t *testing.T) {
	h, ok := parseHistogram([]byte(lagExposition), deadlineLagMetric)
	if !ok || h.Count != 100 || h.Sum != 12.5 || len(h.Buckets) != 4 {
		t.Fatalf("parseHistogram = %+v, %v", h, ok)
	}
	if !math.IsInf(h.Buckets[3].LE, 1) || h.Buckets[0] != (promBucket{0.01, 10}) {
		t.Errorf("buckets %+v", h.Buckets)
	}
	if _, ok := parseHistogram([]byte(lagExposition), "ttr_missing_seconds"); ok {
		t.Error("a histogram that is not exposed is found")
	}
	// Label sets are added up, bucket by bucket, whatever the order of the labels.
	two := []byte(`h_bucket{node="a",le="1"} 1
h_bucket{le="1",node="b"} 2
h_bucket{node="a",le="+Inf"} 3
h_bucket{node="b",le="+Inf"} 4
h_count{node="a"} 3
h_count{node="b"} 4
`)
	h, _ = parseHistogram(two, "h")
	if len(h.Buckets) != 2 || h.Buckets[0].Count != 3 || h.Buckets[1].Count != 7 || h.Count != 7 {
		t.Errorf("label sets not added up: %+v", h)
	}
}

func TestHistogramQuantile(t *testing.T) {
	h, _ := parseHistogram([]byte(lagExposition), deadlineLagMetric)
	for _, tc := range []struct {
		q, want float64
	}{
		{0.05, 0.005}, // rank 5 of the 10 in [0, 0.01]
		{0.1, 0.01},
		{0.5, 0.01 + 0.09*40/50}, // rank 50: 40th of the 50 in (0.01, 0.1]
		{0.99, 0.1 + 0.9*39/40},  // rank 99: 39th of the 40 in (0.1, 1]
		{1, 1},
	} {
		if got := h.Quantile(tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if bound, above := h.MaxBound(); bound != 1 || above {
		t.Errorf("MaxBound = %v, %v; want 1, false", bound, above)
	}

	// A rank in the +Inf bucket: the largest finite bound, and the max lies above it.
	tail := promHistogram{Buckets: []promBucket{{0.1, 50}, {1, 90}, {math.Inf(1), 100}}}
	if got := tail.Quantile(0.99); got != 1 {
		t.Errorf("Quantile in +Inf = %v, want 1", got)
	}
	if bound, above := tail.MaxBound(); bound != 1 || !above {
		t.Errorf("MaxBound = %v, %v; want 1, true", bound, above)
	}
	// Empty: nothing to say.
	empty := promHistogram{Buckets: []promBucket{{0.1, 0}, {math.Inf(1), 0}}}
	if got := empty.Quantile(0.5); !math.IsNaN(got) {
		t.Errorf("Quantile of no observations = %v", got)
	}
	if bound, _ := empty.MaxBound(); !math.IsNaN(bound) {
		t.Errorf("MaxBound of no observations = %v", bound)
	}
}

func TestHistogramDelta(t *testing.T) {
	before := promHistogram{Buckets: []promBucket{{0.1, 5}, {math.Inf(1), 6}}, Sum: 1, Count: 6}
	after := promHistogram{Buckets: []promBucket{{0.1, 15}, {math.Inf(1), 26}}, Sum: 4, Count: 26}
	d := after.delta(before)
	if d.Count != 20 || d.Sum != 3 || d.Buckets[0].Count != 10 || d.Buckets[1].Count != 20 {
		t.Errorf("delta = %+v", d)
	}
	// Before the first scrape there is nothing to subtract.
	if d := after.delta(promHistogram{}); d.Count != 26 || d.Buckets[1].Count != 26 {
		t.Errorf("delta from nothing = %+v", d)
	}
}

func TestSumSeries(t *testing.T) {
	body := []byte(`# TYPE ttr_store_writes_total counter
ttr_store_writes_total{outcome="committed"} 120
ttr_store_writes_total{outcome="conflict"} 3
ttr_store_writes_total_created{outcome="committed"} 1.7e9
other_total 5
`)
	if v, ok := sumSeries(body, "ttr_store_writes_total", map[string]string{"outcome": "committed"}); !ok || v != 120 {
		t.Errorf("committed = %v, %v", v, ok)
	}
	if v, ok := sumSeries(body, "ttr_store_writes_total", nil); !ok || v != 123 {
		t.Errorf("all outcomes = %v, %v", v, ok)
	}
	if _, ok := sumSeries(body, "ttr_store_writes_total", map[string]string{"outcome": "fenced"}); ok {
		t.Error("a label value that is not there is found")
	}
}
