package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is everything one run measured; results.json is its JSON form.
type Report struct {
	Started   time.Time      `json:"started"`
	Finished  time.Time      `json:"finished"`
	Command   string         `json:"command"`
	Via       string         `json:"via,omitempty"`
	Machine   Machine        `json:"machine"`
	Settings  Settings       `json:"settings"`
	Configs   []ConfigResult `json:"configs"`
	Rows      []Row          `json:"rows"`
	Scenarios Scenarios      `json:"scenarios,omitzero"`
	Notes     []string       `json:"notes,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	NProc         int    `json:"nproc"`
	CPUModel      string `json:"cpu_model"`
	LoadAvgBefore string `json:"loadavg_before"`
	LoadAvgAfter  string `json:"loadavg_after"`
	GoVersion     string `json:"go_version"`
	Kernel        string `json:"kernel,omitempty"`
	Postgres      string `json:"postgres_version,omitempty"`
	Wrk           string `json:"wrk,omitempty"`
	Source        string `json:"source,omitempty"` // git commit of the working tree the binaries were built from
}

// Settings are the load settings shared by every configuration.
type Settings struct {
	DurationSeconds float64  `json:"duration_seconds"`
	Rounds          int      `json:"rounds"`
	WrkRounds       int      `json:"wrk_rounds"`
	WarmupSeconds   float64  `json:"warmup_seconds"`
	Conns           int      `json:"conns"`
	Checks          int      `json:"checks"`
	OpenFraction    float64  `json:"open_fraction"`
	Seed            uint64   `json:"seed"`
	Quick           bool     `json:"quick"`
	Configs         []string `json:"configs"`
	Scenarios       []string `json:"scenarios"`
}

// ConfigResult is one configuration's measurements.
type ConfigResult struct {
	Name             string  `json:"name"`
	Status           string  `json:"status"` // "ok", "unavailable", "failed"
	Note             string  `json:"note,omitempty"`
	Durability       string  `json:"durability,omitempty"`
	Nodes            int     `json:"nodes,omitempty"`
	ProvisionSeconds float64 `json:"provision_seconds,omitempty"`
	OpenRate         float64 `json:"open_rate,omitempty"` // requests/s of the open-loop phases
	PeakRSSBytes     int64   `json:"peak_rss_bytes,omitempty"`
	MeanBatchSize    float64 `json:"mean_batch_size,omitempty"`    // ttr_store_batch_size over the measured phases
	MeanCommitMillis float64 `json:"mean_commit_millis,omitempty"` // ttr_store_commit_seconds over the measured phases
	Phases           []Phase `json:"phases,omitempty"`
}

// Phase is one measured phase: a closed loop, an open loop or a wrk run.
type Phase struct {
	Kind       string           `json:"kind"` // "closed", "open", "wrk"
	Round      int              `json:"round"`
	Seconds    float64          `json:"seconds"`
	OK         int64            `json:"ok"`                    // 200 responses
	OKPerNode  []int64          `json:"ok_per_node,omitempty"` // OK by node, for several nodes
	ReqPerSec  float64          `json:"req_per_sec"`           // OK / Seconds
	TargetRate float64          `json:"target_rate,omitempty"`
	Errors     map[string]int64 `json:"errors,omitempty"`
	// Latency in microseconds: from the due time in the open loop, from the send in the closed
	// loop, and wrk's own (closed-loop) figures for wrk.
	Latency map[string]float64 `json:"latency_us,omitempty"`
	// PacerLag is how late the open loop's pacer released requests (µs): generator error.
	PacerLag     map[string]float64 `json:"pacer_lag_us,omitempty"`
	ServerCPU    float64            `json:"server_cpu_seconds"`
	DBCPU        float64            `json:"db_cpu_seconds,omitempty"`
	GenCPU       float64            `json:"generator_cpu_seconds"`
	MachineBusy  float64            `json:"machine_busy_cpu_seconds"` // all processes, all cores
	MachineTotal float64            `json:"machine_total_cpu_seconds"`
}

// ErrorCount is the phase's failed requests.
func (p Phase) ErrorCount() int64 {
	var n int64
	for _, c := range p.Errors {
		n += c
	}
	return n
}

// percentiles is a histogram's summary in microseconds.
func percentiles(h *Histogram) map[string]float64 {
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	return map[string]float64{
		"p50": us(h.Percentile(50)), "p90": us(h.Percentile(90)), "p99": us(h.Percentile(99)),
		"p99.9": us(h.Percentile(99.9)), "max": us(h.Max()), "mean": us(h.Mean()),
	}
}

// Generators of a table row.
const (
	genOwn = "ttr-bench"
	genWrk = "wrk"
)

// Row is one line of the results table: a configuration as measured by one generator, medians
// over the rounds.
type Row struct {
	Config    string             `json:"config"`
	Generator string             `json:"generator"`
	ReqPerSec float64            `json:"req_per_sec"`  // median of the closed-loop (or wrk) rounds
	Ratio     float64            `json:"ratio_to_ref"` // to the reference measured by the same generator; NaN-free: 0 when unknown
	OpenRate  float64            `json:"open_rate,omitempty"`
	Latency   map[string]float64 `json:"latency_us,omitempty"` // medians over the open-loop rounds
	Errors    int64              `json:"errors"`
	ServerCPU float64            `json:"server_cpu_seconds"` // over the throughput phases
	ServerUs  float64            `json:"server_cpu_us_per_req"`
	DBCPU     float64            `json:"db_cpu_seconds,omitempty"`
	DBUs      float64            `json:"db_cpu_us_per_req,omitempty"`
	GenUs     float64            `json:"generator_cpu_us_per_req"`
	PeakRSS   int64              `json:"peak_rss_bytes"` // summed over the nodes
	Nodes     int                `json:"nodes,omitempty"`
	Rounds    []float64          `json:"rounds_req_per_sec"`
}

// buildRows turns configuration results into table rows: one per configuration for the
// harness's own generator, one more where wrk ran, each with its ratio to the reference.
func buildRows(configs []ConfigResult) []Row {
	var rows []Row
	for _, c := range configs {
		if c.Status != "ok" {
			continue
		}
		for _, gen := range []string{genOwn, genWrk} {
			kind := "closed"
			if gen == genWrk {
				kind = "wrk"
			}
			var rates []float64
			var r Row
			r.Config, r.Generator, r.PeakRSS, r.Nodes = c.Name, gen, c.PeakRSSBytes, c.Nodes
			var ok int64
			var genCPU float64
			for _, p := range c.Phases {
				if p.Kind == kind {
					rates = append(rates, p.ReqPerSec)
					ok += p.OK
					r.ServerCPU += p.ServerCPU
					r.DBCPU += p.DBCPU
					genCPU += p.GenCPU
				}
				if p.Kind == kind || (gen == genOwn && p.Kind == "open") {
					r.Errors += p.ErrorCount()
				}
			}
			if len(rates) == 0 {
				continue
			}
			r.Rounds = rates
			r.ReqPerSec = median(rates)
			if ok > 0 {
				r.ServerUs = r.ServerCPU / float64(ok) * 1e6
				r.DBUs = r.DBCPU / float64(ok) * 1e6
				r.GenUs = genCPU / float64(ok) * 1e6
			}
			if gen == genOwn {
				r.OpenRate = c.OpenRate
				r.Latency = map[string]float64{}
				for _, q := range []string{"p50", "p90", "p99", "p99.9", "max"} {
					var vs []float64
					for _, p := range c.Phases {
						if p.Kind == "open" && p.Latency != nil {
							vs = append(vs, p.Latency[q])
						}
					}
					if len(vs) > 0 {
						r.Latency[q] = median(vs)
					}
				}
			}
			rows = append(rows, r)
		}
	}
	for i := range rows {
		for _, ref := range rows {
			if ref.Config == cfgRef && ref.Generator == rows[i].Generator {
				rows[i].Ratio = ratio(rows[i].ReqPerSec, ref.ReqPerSec)
			}
		}
	}
	return rows
}

// ratio is x/ref, or 0 when the reference is unknown.
func ratio(x, ref float64) float64 {
	if ref <= 0 || math.IsNaN(ref) || math.IsNaN(x) {
		return 0
	}
	return x / ref
}

// renderTable is the results table in Markdown.
func renderTable(rows []Row) string {
	var b strings.Builder
	b.WriteString("| configuration | load | pings/s | × ref | open-loop rate | p50 | p99 | p99.9 | errors | server CPU | DB CPU | generator CPU | peak RSS |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		ratioCell := "—"
		if r.Ratio > 0 {
			ratioCell = fmt.Sprintf("%.2f×", r.Ratio)
		}
		open, p50, p99, p999 := "—", "—", "—", "—"
		if r.Generator == genOwn && r.OpenRate > 0 {
			open = fmtInt(r.OpenRate) + "/s"
			p50, p99, p999 = fmtMicros(r.Latency["p50"]), fmtMicros(r.Latency["p99"]), fmtMicros(r.Latency["p99.9"])
		}
		db := "—"
		if r.DBCPU > 0 {
			db = fmtCPU(r.DBCPU, r.DBUs)
		}
		rss := fmtBytes(r.PeakRSS)
		if r.Nodes > 1 && r.PeakRSS > 0 {
			rss += fmt.Sprintf(" (%d nodes)", r.Nodes)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Config, r.Generator, fmtInt(r.ReqPerSec), ratioCell, open, p50, p99, p999,
			fmtInt(float64(r.Errors)), fmtCPU(r.ServerCPU, r.ServerUs), db, fmtGen(r.GenUs), rss)
	}
	return b.String()
}

// fmtInt formats a count with thousands separators: 64210.4 → "64,210".
func fmtInt(x float64) string {
	s := strconv.FormatInt(int64(math.Round(x)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtMicros formats a latency given in microseconds with three significant digits.
func fmtMicros(us float64) string {
	switch {
	case us <= 0:
		return "—"
	case us < 1000:
		return strconv.FormatFloat(us, 'f', 0, 64) + " µs"
	case us < 10e3:
		return strconv.FormatFloat(us/1e3, 'f', 2, 64) + " ms"
	case us < 100e3:
		return strconv.FormatFloat(us/1e3, 'f', 1, 64) + " ms"
	case us < 1e6:
		return strconv.FormatFloat(us/1e3, 'f', 0, 64) + " ms"
	default:
		return strconv.FormatFloat(us/1e6, 'f', 2, 64) + " s"
	}
}

// fmtCPU is "<seconds> s (<µs per request> µs/req)".
func fmtCPU(seconds, usPerReq float64) string {
	return fmt.Sprintf("%.1f s (%.1f µs/req)", seconds, usPerReq)
}

// fmtGen is the generator's CPU per request.
func fmtGen(usPerReq float64) string { return fmt.Sprintf("%.1f µs/req", usPerReq) }

// fmtBytes formats a size in MiB.
func fmtBytes(n int64) string {
	if n <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// roundsLine is a configuration's closed-loop throughput per round: "61,204 · 60,877 · …".
func roundsLine(rates []float64) string {
	parts := make([]string, len(rates))
	for i, r := range rates {
		parts[i] = fmtInt(r)
	}
	return strings.Join(parts, " · ")
}

// trend is the relative change from the first to the last round (−0.1: 10 % slower), and
// whether it is monotonic, to flag a server that slows down as its data grows.
func trend(rates []float64) (change float64, monotonic bool) {
	if len(rates) < 2 || rates[0] <= 0 {
		return 0, false
	}
	change = rates[len(rates)-1]/rates[0] - 1
	up := slices.IsSorted(rates)
	down := slices.IsSortedFunc(rates, func(a, b float64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
	return change, up || down
}
