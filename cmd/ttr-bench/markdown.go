package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// analysisNotes flags what a reader of the table should know: configurations that did not run,
// throughput drifting over rounds, CPU used outside the measured processes, and the pacer's
// error in the open loop.
func analysisNotes(rep *Report) []string {
	var notes []string
	for _, c := range rep.Configs {
		switch c.Status {
		case "unavailable":
			notes = append(notes, fmt.Sprintf("%s: %s.", c.Name, c.Note))
			continue
		case "failed":
			notes = append(notes, fmt.Sprintf("%s: FAILED: %s", c.Name, firstLine(c.Note)))
		}
		for _, kind := range []string{"closed", "wrk"} {
			var rates []float64
			for _, p := range c.Phases {
				if p.Kind == kind {
					rates = append(rates, p.ReqPerSec)
				}
			}
			if change, monotonic := trend(rates); math.Abs(change) >= 0.05 {
				shape := "not monotonically"
				if monotonic {
					shape = "monotonically"
				}
				notes = append(notes, fmt.Sprintf("%s (%s): throughput changed %+.0f %% from the first to the last round, %s: %s req/s.",
					c.Name, generatorOf(kind), change*100, shape, roundsLine(rates)))
			}
		}
		var outside, lag []float64
		for _, p := range c.Phases {
			if p.MachineTotal > 0 && rep.Machine.NProc > 0 {
				wall := p.MachineTotal / float64(rep.Machine.NProc)
				outside = append(outside, (p.MachineBusy-p.ServerCPU-p.DBCPU-p.GenCPU)/wall)
			}
			if p.Kind == "open" && p.PacerLag != nil {
				lag = append(lag, p.PacerLag["p99"])
			}
		}
		if o := median(outside); o > 0.25 {
			notes = append(notes, fmt.Sprintf("%s: %.2f cores (median over phases) were busy outside the measured processes (other processes on the machine, interrupts): its numbers are noisier than a quiet machine's.", c.Name, o))
		}
		if n := spreadNote(c); n != "" {
			notes = append(notes, n)
		}
		if len(lag) > 0 {
			notes = append(notes, fmt.Sprintf("%s: the open loop's pacer released requests up to %s late (p99, median over rounds); this generator error is inside the latencies.", c.Name, fmtMicros(max(median(lag), 1))))
		}
	}
	return notes
}

// generatorOf names the generator of a phase kind.
func generatorOf(kind string) string {
	if kind == "wrk" {
		return genWrk
	}
	return genOwn
}

// target is one line of the benchmark targets that a run can measure.
type target struct {
	what, measured, met string
}

// targets evaluates the throughput and latency benchmark targets on this run's medians.
func targets(rep *Report) []target {
	row := func(cfg string) (Row, bool) {
		for _, r := range rep.Rows {
			if r.Config == cfg && r.Generator == genOwn {
				return r, true
			}
		}
		return Row{}, false
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	var out []target
	for _, t := range []struct {
		cfg      string
		min, aim float64
	}{{cfgPostgres, 0.3, 0.5}, {cfgSQLite, 0.25, 0.5}} {
		what := fmt.Sprintf("%s pings/s ≥ %.2g × ref (aim %.2g ×)", t.cfg, t.min, t.aim)
		if r, ok := row(t.cfg); ok && r.Ratio > 0 {
			v := verdict(r.Ratio >= t.min)
			if r.Ratio >= t.aim {
				v = "met, aim reached"
			}
			out = append(out, target{what, fmt.Sprintf("%.2f × (%s/s)", r.Ratio, fmtInt(r.ReqPerSec)), v})
		} else {
			out = append(out, target{what, "not measured", "—"})
		}
	}
	for _, t := range []struct {
		cfg   string
		limit float64 // µs
	}{{cfgPostgres, 5000}, {cfgSQLite, 10000}} {
		what := fmt.Sprintf("%s p99 at %.0f %% of its maximum ≤ %s", t.cfg, rep.Settings.OpenFraction*100, fmtMicros(t.limit))
		if r, ok := row(t.cfg); ok && r.Latency["p99"] > 0 {
			out = append(out, target{what, fmtMicros(r.Latency["p99"]) + " at " + fmtInt(r.OpenRate) + "/s", verdict(r.Latency["p99"] <= t.limit)})
		} else {
			out = append(out, target{what, "not measured", "—"})
		}
	}
	what := "ttrd-cluster-3 pings/s ≥ 0.6 × ttrd-postgres"
	c3, ok3 := row(cfgCluster3)
	pg, okpg := row(cfgPostgres)
	if ok3 && okpg && pg.ReqPerSec > 0 {
		r := c3.ReqPerSec / pg.ReqPerSec
		out = append(out, target{what, fmt.Sprintf("%.2f × (%s/s against %s/s)", r, fmtInt(c3.ReqPerSec), fmtInt(pg.ReqPerSec)), verdict(r >= 0.6)})
	} else {
		out = append(out, target{what, "not measured", "—"})
	}
	return append(out, scenarioTargets(rep.Scenarios)...)
}

// renderMarkdown is the results section: the run, the table, durability, per-round numbers,
// targets, charts (linked relative to chartBase) and notes.
func renderMarkdown(rep *Report, chartBase string) string {
	var b strings.Builder
	s := rep.Settings
	via := "`" + rep.Command + "`"
	if rep.Via != "" {
		via = "`" + rep.Via + "` (" + via + ")"
	}
	fmt.Fprintf(&b, "Produced by %s, started %s, took %s.\n\n", via, rep.Started.Format("2006-01-02 15:04 UTC"),
		rep.Finished.Sub(rep.Started).Round(time.Second))
	m := rep.Machine
	fmt.Fprintf(&b, "Machine: %d × %s (`nproc` %d), Linux %s, %s", m.NProc, m.CPUModel, m.NProc, m.Kernel, m.GoVersion)
	if m.Postgres != "" {
		fmt.Fprintf(&b, ", PostgreSQL %s", m.Postgres)
	}
	if m.Wrk != "" {
		fmt.Fprintf(&b, ", %s", m.Wrk)
	}
	fmt.Fprintf(&b, "; load average %s before the run, %s after. The load generator, wrk and the servers share these cores.", m.LoadAvgBefore, m.LoadAvgAfter)
	if m.Source != "" {
		fmt.Fprintf(&b, " Binaries built from %s.", m.Source)
	}
	b.WriteString("\n\n")
	if s.Quick {
		b.WriteString("**Quick run** (a smoke test: few checks, short rounds, scenarios scaled down). `make bench` gives the numbers to quote.\n\n")
	}
	if len(rep.Configs) > 0 {
		b.WriteString(renderThroughput(rep))
	}
	if sc := renderScenarios(rep.Scenarios); sc != "" {
		b.WriteString("### Scenarios\n\nRun after the configurations, one at a time, each on a fresh ttrd node of its own with nothing else measured meanwhile; once each per run.\n\n")
		b.WriteString(sc)
	}
	b.WriteString("### Targets in this run\n\n| target | measured (throughput and latency: medians over the rounds) | |\n|---|---|---|\n")
	for _, t := range targets(rep) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.what, t.measured, t.met)
	}
	if len(rep.Rows) > 0 {
		b.WriteString("\n### Charts\n\n")
	}
	for _, c := range charts() {
		if len(rep.Rows) == 0 {
			break
		}
		fmt.Fprintf(&b, "![%s](%s)\n\n", c.alt, filepath.ToSlash(filepath.Join(chartBase, c.file)))
	}
	if len(rep.Rows) == 0 {
		b.WriteString("\n")
	}
	if len(rep.Notes) > 0 {
		b.WriteString("### Notes\n\n")
		for _, n := range rep.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// renderThroughput is the throughput and latency part of the results: the load, the table,
// durability, set-up and per-round numbers.
func renderThroughput(rep *Report) string {
	var b strings.Builder
	s := rep.Settings
	fmt.Fprintf(&b, "Load: %s checks, %d keep-alive HTTP/1.1 connections, pings spread uniformly over the checks, half `/p/{user_slug}/{slug}` and half `/ping/{uuid}`. "+
		"All configurations are started and provisioned first, then measured in turn, round by round, so that changes in the machine's background load fall on all of them alike: "+
		"a %s warm-up each, %d rounds of %s closed loop (each connection sends its next ping when the previous one is answered), each followed where wrk runs by a wrk round "+
		"(%s in all, `wrk -t2 -c%d`, a Lua script picking random check URLs), then %d rounds of %s open loop at %.0f %% of the configuration's median closed-loop rate.\n\n",
		fmtInt(float64(s.Checks)), s.Conns, secs(s.WarmupSeconds), s.Rounds, secs(s.DurationSeconds), plural(s.WrkRounds, "round"), s.Conns, s.Rounds, secs(s.DurationSeconds), s.OpenFraction*100)
	b.WriteString(renderTable(rep.Rows))
	b.WriteString("\n")
	b.WriteString("- **pings/s**: median over the rounds of 200 responses per second at maximum load (closed loop); **× ref**: ratio to the reference server measured by the same generator in this run.\n")
	b.WriteString("- **p50, p99, p99.9**: open loop at the rate shown, measured from each request's due time, so a stalled server is charged for the requests it delayed (no coordinated omission); medians over the rounds.\n")
	b.WriteString("- **errors**: non-200 responses and transport errors over every measured phase of the row.\n")
	b.WriteString("- **CPU**: user + system time from `/proc/<pid>/stat` over the row's throughput rounds, total and per 200 response, summed over the nodes of a cluster. DB CPU counts the PostgreSQL backends of the benchmark's database and the shared background processes (WAL writer, checkpointer, …). Generator CPU is ttr-bench's own, or wrk's.\n")
	b.WriteString("- **peak RSS**: `VmHWM` of the server process at the end of its configuration (summed over the nodes of a cluster).\n\n")

	b.WriteString("### Durability\n\n")
	for _, c := range rep.Configs {
		if c.Durability != "" {
			fmt.Fprintf(&b, "- **%s**: %s\n", c.Name, c.Durability)
		}
	}
	b.WriteString("\n### Store and set-up\n\n")
	for _, c := range rep.Configs {
		if c.Status != "ok" || c.Name == cfgRef {
			continue
		}
		fmt.Fprintf(&b, "- **%s**: %s checks created through the API in %.1f s", c.Name, fmtInt(float64(s.Checks)), c.ProvisionSeconds)
		if c.MeanBatchSize > 0 {
			fmt.Fprintf(&b, "; mean group commit %.1f writes in %.2f ms (ttr_store_batch_size, ttr_store_commit_seconds over the measured phases)", c.MeanBatchSize, c.MeanCommitMillis)
		}
		b.WriteString(".\n")
	}
	b.WriteString("\n### Throughput per round\n\nRounds are interleaved across configurations, so round *i* of each ran within a minute or so of the others; the ratio is to the reference's round *i*.\n\n")
	b.WriteString("| configuration | load | pings/s per round | × ref per round |\n|---|---|---|---|\n")
	for _, r := range rep.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Config, r.Generator, roundsLine(r.Rounds), roundRatios(r, rep.Rows))
	}
	b.WriteString("\n")
	return b.String()
}

// secs formats seconds briefly: 8 → "8 s".
func secs(s float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", s), ".0") + " s" }

// Markers around the generated section of docs/benchmarks.md; the text outside is kept.
const (
	beginMarker = "<!-- BEGIN ttr-bench results: generated by `make bench`, do not edit by hand -->"
	endMarker   = "<!-- END ttr-bench results -->"
)

// docIntro starts docs/benchmarks.md when it does not exist yet.
const docIntro = `# Benchmarks

` + "`make bench`" + ` measures, in one run and with the same load generator and settings, the reference (a
minimal net/http server answering 200 "OK", ` + "`cmd/ttr-ref`" + `), ttrd on one node with the embedded store,
ttrd on PostgreSQL and a 3-node cluster, then the scenarios (idle checks, deadlines, alerts).
` + "`make bench-quick`" + ` is the same, scaled down, in about a minute and a half, as a smoke test; its
results go to ` + "`bin/bench-quick/`" + ` only.

The load generator is ` + "`cmd/ttr-bench`" + ` (` + "`bin/ttr-bench run -h`" + ` lists its flags). Every number of the
latest run, per round, is in ` + "`docs/bench-latest/results.json`" + `; the section below is rewritten by
each full run, the rest of this file is not.

`

// replaceSection puts section between the markers of doc (appending them when absent).
func replaceSection(doc, section string) string {
	block := beginMarker + "\n## Latest results\n\n" + section + endMarker + "\n"
	i := strings.Index(doc, beginMarker)
	j := strings.Index(doc, endMarker)
	if i < 0 || j < i {
		if doc == "" {
			doc = docIntro
		}
		if !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + "\n" + block
	}
	rest := doc[j+len(endMarker):]
	rest = strings.TrimPrefix(rest, "\n")
	return doc[:i] + block + rest
}

// updateDoc rewrites the generated section of the Markdown file at path.
func updateDoc(path string, rep *Report, outDir string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(absPath(path)), absPath(outDir))
	if err != nil {
		rel = outDir
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(replaceSection(string(old), renderMarkdown(rep, rel))), 0o644)
}

// plural is "1 round" or "n rounds".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// roundRatios is each round's throughput over the reference's in the same round, by the same
// generator ("—" for the reference itself or when the rounds do not pair up).
func roundRatios(r Row, rows []Row) string {
	for _, ref := range rows {
		if ref.Config != cfgRef || ref.Generator != r.Generator || r.Config == cfgRef || len(ref.Rounds) != len(r.Rounds) {
			continue
		}
		parts := make([]string, len(r.Rounds))
		for i, v := range r.Rounds {
			parts[i] = fmt.Sprintf("%.2f", ratio(v, ref.Rounds[i]))
		}
		return strings.Join(parts, " · ")
	}
	return "—"
}
