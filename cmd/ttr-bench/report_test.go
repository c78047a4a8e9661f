package main

import (
	"math"
	"strings"
	"testing"
)

// twoConfigs is a small run: the reference and ttrd-sqlite, both with wrk rounds.
func twoConfigs() []ConfigResult {
	return []ConfigResult{
		{Name: cfgRef, Status: "ok", OpenRate: 30000, PeakRSSBytes: 12 << 20, Phases: []Phase{
			{Kind: "closed", Round: 1, OK: 600000, ReqPerSec: 60000, ServerCPU: 6, GenCPU: 3},
			{Kind: "wrk", Round: 1, OK: 700000, ReqPerSec: 70000, ServerCPU: 7, GenCPU: 2},
			{Kind: "closed", Round: 2, OK: 620000, ReqPerSec: 62000, ServerCPU: 6.2, GenCPU: 3},
			{Kind: "wrk", Round: 2, OK: 700000, ReqPerSec: 70000, ServerCPU: 7, GenCPU: 2},
			{Kind: "closed", Round: 3, OK: 580000, ReqPerSec: 58000, ServerCPU: 5.8, GenCPU: 3},
			{Kind: "open", Round: 1, Latency: map[string]float64{"p50": 80, "p99": 300, "p99.9": 900}},
			{Kind: "open", Round: 2, Latency: map[string]float64{"p50": 90, "p99": 500, "p99.9": 1100}},
		}},
		{Name: cfgSQLite, Status: "ok", OpenRate: 7500, PeakRSSBytes: 90 << 20, Phases: []Phase{
			{Kind: "closed", Round: 1, OK: 150000, ReqPerSec: 15000, ServerCPU: 12, GenCPU: 1,
				Errors: map[string]int64{"status 503": 2}},
			{Kind: "wrk", Round: 1, OK: 140000, ReqPerSec: 14000, ServerCPU: 11, GenCPU: 0.5},
			{Kind: "open", Round: 1, Latency: map[string]float64{"p50": 2500, "p99": 9000, "p99.9": 15000},
				Errors: map[string]int64{"transport": 1}},
		}},
		{Name: cfgCluster3, Status: "unavailable", Note: "needs a cluster"},
	}
}

func TestBuildRows(t *testing.T) {
	rows := buildRows(twoConfigs())
	if len(rows) != 4 {
		t.Fatalf("got %d rows, want 4 (two configurations × two generators; unavailable ones have none)", len(rows))
	}
	byKey := map[string]Row{}
	for _, r := range rows {
		byKey[r.Config+"/"+r.Generator] = r
	}
	ref, sq, sqWrk := byKey["ref/ttr-bench"], byKey["ttrd-sqlite/ttr-bench"], byKey["ttrd-sqlite/wrk"]
	if ref.ReqPerSec != 60000 || ref.Ratio != 1 {
		t.Errorf("ref: %v req/s ratio %v, want the median 60000 and 1", ref.ReqPerSec, ref.Ratio)
	}
	if sq.Ratio != 0.25 {
		t.Errorf("sqlite ratio = %v, want 15000/60000", sq.Ratio)
	}
	if sqWrk.Ratio != 0.2 {
		t.Errorf("sqlite wrk ratio = %v, want 14000/70000 (to the reference measured by wrk)", sqWrk.Ratio)
	}
	if sq.Errors != 3 || sqWrk.Errors != 0 {
		t.Errorf("errors = %d and %d, want closed+open for ttr-bench (3) and wrk's own (0)", sq.Errors, sqWrk.Errors)
	}
	if got := ref.Latency["p99"]; got != 400 {
		t.Errorf("ref p99 = %v, want the median of the open rounds (400)", got)
	}
	if math.Abs(sq.ServerUs-80) > 1e-9 || math.Abs(ref.ServerUs-10) > 1e-9 {
		t.Errorf("server µs/req = %v and %v, want 12 s/150k = 80 and 18 s/1.8M = 10", sq.ServerUs, ref.ServerUs)
	}
	if len(ref.Rounds) != 3 {
		t.Errorf("rounds = %v, want the three closed-loop rates", ref.Rounds)
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct{ x, ref, want float64 }{
		{30, 60, 0.5}, {60, 60, 1}, {10, 0, 0}, {10, -1, 0}, {math.NaN(), 1, 0}, {1, math.NaN(), 0},
	} {
		if got := ratio(tc.x, tc.ref); got != tc.want {
			t.Errorf("ratio(%v, %v) = %v, want %v", tc.x, tc.ref, got, tc.want)
		}
	}
}

func TestRenderTable(t *testing.T) {
	table := renderTable(buildRows(twoConfigs()))
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 6 {
		t.Fatalf("got %d lines, want header, rule and 4 rows:\n%s", len(lines), table)
	}
	for _, want := range []string{
		"| ref | ttr-bench | 60,000 | 1.00× | 30,000/s | 85 µs | 400 µs | 1.00 ms | 0 |",
		"| ttrd-sqlite | ttr-bench | 15,000 | 0.25× | 7,500/s | 2.50 ms | 9.00 ms | 15.0 ms | 3 | 12.0 s (80.0 µs/req) | — |",
		"| ttrd-sqlite | wrk | 14,000 | 0.20× | — | — | — | — | 0 |",
		"| 90 MiB |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	for i, l := range lines {
		if got := strings.Count(l, "|"); got != 14 {
			t.Errorf("line %d has %d cells separators, want 14: %s", i, got, l)
		}
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{fmtInt(0), "0"}, {fmtInt(999.6), "1,000"}, {fmtInt(64210.4), "64,210"}, {fmtInt(1234567), "1,234,567"}, {fmtInt(-4500), "-4,500"},
		{fmtMicros(0), "—"}, {fmtMicros(85.4), "85 µs"}, {fmtMicros(1234), "1.23 ms"}, {fmtMicros(12345), "12.3 ms"},
		{fmtMicros(234567), "235 ms"}, {fmtMicros(2.5e6), "2.50 s"},
		{fmtBytes(0), "—"}, {fmtBytes(93 << 20), "93 MiB"},
		{roundsLine([]float64{1000, 2000.4}), "1,000 · 2,000"},
		{secs(8), "8 s"}, {secs(0.5), "0.5 s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestTrend(t *testing.T) {
	for _, tc := range []struct {
		rates     []float64
		change    float64
		monotonic bool
	}{
		{[]float64{100, 90, 80}, -0.2, true},
		{[]float64{100, 110, 120}, 0.2, true},
		{[]float64{100, 80, 110}, 0.1, false},
		{[]float64{100}, 0, false},
	} {
		change, mono := trend(tc.rates)
		if math.Abs(change-tc.change) > 1e-9 || mono != tc.monotonic {
			t.Errorf("trend(%v) = %v, %v; want %v, %v", tc.rates, change, mono, tc.change, tc.monotonic)
		}
	}
}

func TestTargets(t *testing.T) {
	rep := &Report{Settings: Settings{OpenFraction: 0.5}, Configs: twoConfigs()}
	rep.Rows = buildRows(rep.Configs)
	got := map[string]target{}
	for _, tg := range targets(rep) {
		got[tg.what] = tg
	}
	if tg := got["ttrd-sqlite pings/s ≥ 0.25 × ref (aim 0.5 ×)"]; tg.met != "met" || tg.measured != "0.25 × (15,000/s)" {
		t.Errorf("sqlite throughput target: %+v", tg)
	}
	if tg := got["ttrd-sqlite p99 at 50 % of its maximum ≤ 10.0 ms"]; tg.met != "met" {
		t.Errorf("sqlite latency target: %+v", tg)
	}
	if tg := got["ttrd-postgres pings/s ≥ 0.3 × ref (aim 0.5 ×)"]; tg.measured != "not measured" {
		t.Errorf("postgres target without a postgres row: %+v", tg)
	}
	if tg := got["ttrd-cluster-3 pings/s ≥ 0.6 × ttrd-postgres"]; tg.measured != "not measured" {
		t.Errorf("cluster target: %+v", tg)
	}
}

func TestReplaceSection(t *testing.T) {
	fresh := replaceSection("", "numbers v1\n")
	if !strings.HasPrefix(fresh, "# Benchmarks") || !strings.Contains(fresh, beginMarker+"\n## Latest results\n\nnumbers v1\n"+endMarker) {
		t.Fatalf("a new document has the intro and the section:\n%s", fresh)
	}
	edited := strings.Replace(fresh, "# Benchmarks", "# Benchmarks\n\nHand-written analysis.", 1) + "\n## Appendix by hand\n"
	again := replaceSection(edited, "numbers v2\n")
	for _, want := range []string{"Hand-written analysis.", "## Appendix by hand", "numbers v2"} {
		if !strings.Contains(again, want) {
			t.Errorf("rewritten document lacks %q:\n%s", want, again)
		}
	}
	if strings.Contains(again, "numbers v1") || strings.Count(again, beginMarker) != 1 {
		t.Errorf("the old section must be replaced, not duplicated:\n%s", again)
	}
	appended := replaceSection("# Notes by hand\n", "n\n")
	if !strings.HasPrefix(appended, "# Notes by hand\n") || !strings.Contains(appended, beginMarker) {
		t.Errorf("a document without markers gets the section appended:\n%s", appended)
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine([]string{"run", "-via", "make bench", "-postgres-url", "postgres://u:secret@db:5432/postgres", "-docs", ""})
	want := "ttr-bench run -via 'make bench' -postgres-url postgres://u:xxxxx@db:5432/postgres -docs ''"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestRoundRatios(t *testing.T) {
	rows := []Row{
		{Config: cfgRef, Generator: genOwn, Rounds: []float64{100, 200}},
		{Config: cfgSQLite, Generator: genOwn, Rounds: []float64{25, 100}},
		{Config: cfgSQLite, Generator: genWrk, Rounds: []float64{25}},
	}
	for i, want := range []string{"—", "0.25 · 0.50", "—"} {
		if got := roundRatios(rows[i], rows); got != want {
			t.Errorf("row %d: got %q, want %q", i, got, want)
		}
	}
}
