package main

import "testing"

func TestMetricValue(t *testing.T) {
	body := []byte("# HELP x\nttr_retention_pruned_rows_total{table=\"flips\"} 3\nttr_retention_pruned_rows_total{table=\"pings\"} 1.5e+06\n")
	if v := metricValue(body, `ttr_retention_pruned_rows_total{table="pings"}`); v != 1.5e6 {
		t.Errorf("pings: %v", v)
	}
	if v := metricValue(body, `ttr_retention_pruned_rows_total{table="outbox"}`); v != 0 {
		t.Errorf("absent: %v", v)
	}
}
