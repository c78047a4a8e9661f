// Command ttr-bench is ttr's benchmark harness: a load generator and the orchestrator that
// starts each configuration (the reference server cmd/ttr-ref, ttrd on the embedded store,
// ttrd on PostgreSQL, a 3-node cluster on PostgreSQL) on free loopback ports, creates checks
// through the API, and measures throughput (closed loop), latency at a fixed rate (open loop,
// without coordinated omission), errors, CPU and memory; with wrk too where it is available.
// Then it runs the scenarios of docs/benchmarks.md, each on a fresh node: a million idle checks (memory
// per check, start-up time), a hundred thousand deadlines within a minute (lag of the flips),
// ten thousand alerts due at once (delivery time, exactly once).
//
//	ttr-bench run [flags]      measure; `ttr-bench run -h` lists the flags
//	ttr-bench render [flags]   redraw results.md, the charts and the docs section from a results.json
//	ttr-bench soak [flags]     the retention soak of `make soak` (soak.go)
//
// It builds nothing: `make bench` and `make bench-quick` build bin/ttrd, bin/ttr-ref and
// bin/ttr-bench first. Results go to -out (results.md, results.json, PNG charts) and, for the
// full run, into the generated section of docs/benchmarks.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: ttr-bench run [flags]      measure the reference server and ttrd
       ttr-bench render [flags]   redraw results.md, charts and docs from a results.json
       ttr-bench soak [flags]     retention soak: a pruned and an unpruned node, interleaved

Each subcommand's -h lists its flags.
`

// run is the command line: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "render" {
		return render(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "soak" {
		return runSoak(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cfg, err := parseRunFlags(args[1:], stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "ttr-bench:", err)
		return 2
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		fmt.Fprintln(stderr, "ttr-bench:", err)
		return 1
	}
	work, err := tempDir(cfg.Work, "run")
	if err != nil {
		fmt.Fprintln(stderr, "ttr-bench:", err)
		return 1
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "ttr-bench:", err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	b := &Bench{cfg: cfg, log: stderr, workDir: work, pg: postgresAdmin{url: cfg.PostgresURL}}
	rep, runErr := b.Run(ctx, args)
	if runErr != nil || cfg.Keep {
		fmt.Fprintf(stderr, "ttr-bench: scratch data and server logs kept in %s\n", work)
	} else {
		_ = os.RemoveAll(work)
	}
	if rep == nil {
		fmt.Fprintln(stderr, "ttr-bench:", runErr)
		return 1
	}
	if err := writeOutputs(rep, cfg); err != nil {
		fmt.Fprintln(stderr, "ttr-bench:", err)
		return 1
	}
	printSummary(stdout, rep)
	fmt.Fprintf(stdout, "\nresults: %s\n", filepath.Join(cfg.Out, "results.md"))
	if cfg.Docs != "" {
		fmt.Fprintf(stdout, "updated: %s\n", cfg.Docs)
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "ttr-bench:", runErr)
		return 1
	}
	return 0
}

// writeOutputs writes results.json, results.md and the charts into the output directory, and
// the docs section when asked.
func writeOutputs(rep *Report, cfg Config) error {
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfg.Out, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := writeCharts(rep, cfg.Out); err != nil {
		return fmt.Errorf("charts: %w", err)
	}
	md := "# ttr-bench results\n\n" + renderMarkdown(rep, ".")
	if err := os.WriteFile(filepath.Join(cfg.Out, "results.md"), []byte(md), 0o644); err != nil {
		return err
	}
	if cfg.Docs != "" {
		return updateDoc(cfg.Docs, rep, cfg.Out)
	}
	return nil
}

// render re-renders the outputs of an earlier run from its results.json, so a change to the
// tables or charts needs no new measurement.
func render(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ttr-bench render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "docs/bench-latest/results.json", "results of the run")
	var cfg Config
	fs.StringVar(&cfg.Out, "out", "", "directory for results.md, results.json and the charts (default: that of -in)")
	fs.StringVar(&cfg.Docs, "docs", "docs/benchmarks.md", "Markdown file whose generated section is replaced; empty for none")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if cfg.Out == "" {
		cfg.Out = filepath.Dir(*in)
	}
	b, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(stderr, "ttr-bench:", err)
		return 1
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		fmt.Fprintf(stderr, "ttr-bench: %s: %v\n", *in, err)
		return 1
	}
	rep.Rows = buildRows(rep.Configs)
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		fmt.Fprintln(stderr, "ttr-bench:", err)
		return 1
	}
	if err := writeOutputs(&rep, cfg); err != nil {
		fmt.Fprintln(stderr, "ttr-bench:", err)
		return 1
	}
	printSummary(stdout, &rep)
	return 0
}

// printSummary prints what a run measured: the throughput table, the scenarios, the targets
// with their verdicts, and the notes.
func printSummary(stdout io.Writer, rep *Report) {
	fmt.Fprintln(stdout)
	if len(rep.Rows) > 0 {
		fmt.Fprint(stdout, renderTable(rep.Rows))
		fmt.Fprintln(stdout)
	}
	if sc := renderScenarios(rep.Scenarios); sc != "" {
		fmt.Fprint(stdout, sc)
	}
	fmt.Fprintln(stdout, "targets:")
	for _, t := range targets(rep) {
		fmt.Fprintf(stdout, "  %-8s %s: %s\n", strings.Trim(t.met, "*"), t.what, t.measured)
	}
	fmt.Fprintln(stdout)
	for _, c := range rep.Configs {
		if c.Durability != "" {
			fmt.Fprintf(stdout, "durability %s: %s\n", c.Name, c.Durability)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(stdout, "note:", n)
	}
}
