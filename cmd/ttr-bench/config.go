package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Configuration names, in the order they run and are reported.
const (
	cfgRef      = "ref"
	cfgSQLite   = "ttrd-sqlite"
	cfgPostgres = "ttrd-postgres"
	cfgCluster3 = "ttrd-cluster-3"
)

// allConfigs lists every configuration the harness knows.
func allConfigs() []string { return []string{cfgRef, cfgSQLite, cfgPostgres, cfgCluster3} }

// Scenario names: the benchmark measurements beyond throughput and latency, run after the
// configurations, in this order.
const (
	scIdle      = "idle"      // many idle checks: memory per check and start-up time
	scDeadlines = "deadlines" // many deadlines falling due within a minute: flip lag
	scAlerts    = "alerts"    // many checks going down at once, each with a webhook: delivery time
)

// allScenarios lists every scenario the harness knows.
func allScenarios() []string { return []string{scIdle, scDeadlines, scAlerts} }

// Config is one benchmark run's settings.
type Config struct {
	Duration     time.Duration // of each measured phase (closed loop, open loop, wrk)
	Rounds       int           // closed-loop, open-loop and wrk phases per configuration
	Warmup       time.Duration // closed loop before the rounds, not measured
	Conns        int           // keep-alive connections of the load generator and of wrk
	Checks       int           // checks created in ttrd (and URLs synthesised for the reference)
	ProvisionN   int           // API requests in flight while creating checks
	OpenFraction float64       // open-loop rate as a fraction of the configuration's closed-loop median
	Configs      []string      // configurations to run
	WrkConfigs   []string      // configurations also measured with wrk
	Wrk          bool          // run wrk where it is available
	WrkRounds    int           // wrk phases per configuration (interleaved with the first closed-loop rounds)
	Out          string        // directory of results.md, results.json and the charts
	Docs         string        // Markdown file whose results section is replaced ("" = none)
	Bin          string        // directory holding ttrd and ttr-ref
	Work         string        // parent of the run's scratch directory (data, logs)
	PostgresURL  string        // maintenance database for CREATE/DROP DATABASE
	Seed         uint64        // of the request pickers (0: from the clock)
	Via          string        // how the run was started, for the record ("make bench")
	Quick        bool
	Keep         bool   // keep the scratch directory
	CPUProfile   string // write the harness's own CPU profile here (to tune the generator)
	Profile      bool   // capture each ttrd's CPU profile during an extra, unmeasured closed loop

	Scenarios      []string      // scenarios to run after the configurations
	IdleChecks     int           // checks seeded for the idle scenario
	Settle         time.Duration // idle scenario: wait after ready before reading the resident memory
	DeadlineChecks int           // checks seeded for the deadlines scenario
	DeadlineSpread time.Duration // their deadlines fall due uniformly over this long
	AlertChecks    int           // checks with a webhook going down at once in the alerts scenario
}

// DefaultConfig is the full run of `make bench`: about eleven minutes on two cores, eight of
// them for the configurations and three for the scenarios.
func DefaultConfig() Config {
	return Config{
		Duration:     8 * time.Second,
		Rounds:       5,
		Warmup:       5 * time.Second,
		Conns:        64,
		Checks:       10000,
		ProvisionN:   32,
		OpenFraction: 0.5,
		Configs:      allConfigs(),
		WrkConfigs:   []string{cfgRef, cfgSQLite},
		Wrk:          true,
		Out:          "docs/bench-latest",
		Docs:         "docs/benchmarks.md",
		Bin:          "bin",
		Work:         "bin/bench-work",
		PostgresURL:  "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",

		Scenarios:      allScenarios(),
		IdleChecks:     1_000_000,
		Settle:         5 * time.Second,
		DeadlineChecks: 100_000,
		DeadlineSpread: time.Minute,
		AlertChecks:    10_000,
	}
}

// applyQuick shrinks c to the run of `make bench-quick` (about a minute and a half), leaving
// alone what was set explicitly. Quick results are a smoke test: they go to bin/bench-quick and do not
// replace docs/benchmarks.md unless asked.
func (c *Config) applyQuick(set map[string]bool) {
	quick := map[string]func(){
		"checks":     func() { c.Checks = 1000 },
		"duration":   func() { c.Duration = 3 * time.Second },
		"rounds":     func() { c.Rounds = 2 },
		"wrk-rounds": func() { c.WrkRounds = 1 },
		"warmup":     func() { c.Warmup = time.Second },
		"out":        func() { c.Out = "bin/bench-quick" },
		"docs":       func() { c.Docs = "" },

		"idle-checks":     func() { c.IdleChecks = 50_000 },
		"settle":          func() { c.Settle = time.Second },
		"deadline-checks": func() { c.DeadlineChecks = 10_000 },
		"deadline-spread": func() { c.DeadlineSpread = 15 * time.Second },
		"alert-checks":    func() { c.AlertChecks = 1000 },
	}
	for name, apply := range quick {
		if !set[name] {
			apply()
		}
	}
}

// Validate lists every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Duration < time.Second {
		errs = append(errs, errors.New("-duration must be at least 1s"))
	}
	if c.Rounds < 1 {
		errs = append(errs, errors.New("-rounds must be at least 1"))
	}
	if c.WrkRounds < 0 || c.WrkRounds > c.Rounds {
		errs = append(errs, errors.New("-wrk-rounds must be 0..-rounds"))
	}
	if c.Warmup < 0 {
		errs = append(errs, errors.New("-warmup must not be negative"))
	}
	if c.Conns < 1 || c.Conns > 4096 {
		errs = append(errs, errors.New("-conns must be 1..4096"))
	}
	if c.Checks < 1 {
		errs = append(errs, errors.New("-checks must be at least 1"))
	}
	if c.ProvisionN < 1 {
		errs = append(errs, errors.New("-provision-conns must be at least 1"))
	}
	if c.OpenFraction <= 0 || c.OpenFraction > 2 {
		errs = append(errs, errors.New("-open-fraction must be in (0, 2]"))
	}
	if len(c.Configs) == 0 && len(c.Scenarios) == 0 {
		errs = append(errs, errors.New("-configs and -scenarios are both empty: nothing to measure"))
	}
	for _, n := range c.Scenarios {
		if !slices.Contains(allScenarios(), n) {
			errs = append(errs, fmt.Errorf("unknown scenario %q (know %s)", n, strings.Join(allScenarios(), ", ")))
		}
	}
	if c.IdleChecks < 1 || c.DeadlineChecks < 1 || c.AlertChecks < 1 {
		errs = append(errs, errors.New("-idle-checks, -deadline-checks and -alert-checks must be at least 1"))
	}
	if c.Settle < 0 {
		errs = append(errs, errors.New("-settle must not be negative"))
	}
	if c.DeadlineSpread < time.Second {
		errs = append(errs, errors.New("-deadline-spread must be at least 1s"))
	}
	for _, n := range append(slices.Clone(c.Configs), c.WrkConfigs...) {
		if !slices.Contains(allConfigs(), n) {
			errs = append(errs, fmt.Errorf("unknown configuration %q (know %s)", n, strings.Join(allConfigs(), ", ")))
		}
	}
	if c.Out == "" {
		errs = append(errs, errors.New("-out is required"))
	}
	return errors.Join(errs...)
}

// parseRunFlags reads the flags of `ttr-bench run`.
func parseRunFlags(args []string, stderr io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("ttr-bench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.Duration, "duration", c.Duration, "length of each measured phase (closed loop, open loop, wrk)")
	fs.IntVar(&c.Rounds, "rounds", c.Rounds, "measured rounds per configuration; the table shows medians")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "unmeasured closed loop before the rounds")
	fs.IntVar(&c.Conns, "conns", c.Conns, "keep-alive connections (load generator and wrk)")
	fs.IntVar(&c.Checks, "checks", c.Checks, "checks to create and ping")
	fs.IntVar(&c.ProvisionN, "provision-conns", c.ProvisionN, "concurrent API requests while creating checks")
	fs.Float64Var(&c.OpenFraction, "open-fraction", c.OpenFraction, "open-loop rate as a fraction of the configuration's measured maximum")
	configs := fs.String("configs", strings.Join(c.Configs, ","), "configurations to run: "+strings.Join(allConfigs(), ", ")+"; none for only the scenarios")
	wrkConfigs := fs.String("wrk-configs", strings.Join(c.WrkConfigs, ","), "configurations also measured with wrk")
	fs.IntVar(&c.WrkRounds, "wrk-rounds", 0, "wrk rounds per configuration (default: -rounds; quick: 1)")
	fs.BoolVar(&c.Wrk, "wrk", c.Wrk, "also measure with wrk where available (installed with apt-get when root)")
	fs.StringVar(&c.Out, "out", c.Out, "directory for results.md, results.json and the PNG charts (quick: bin/bench-quick)")
	fs.StringVar(&c.Docs, "docs", c.Docs, "Markdown file whose generated results section is replaced; empty for none (quick: none)")
	fs.StringVar(&c.Bin, "bin", c.Bin, "directory holding the ttrd and ttr-ref binaries")
	fs.StringVar(&c.Work, "work", c.Work, "parent directory of the run's scratch data and logs (keep it off tmpfs)")
	fs.StringVar(&c.PostgresURL, "postgres-url", c.PostgresURL, "PostgreSQL maintenance database; ttr-bench creates and drops its own database there")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the request pickers (0: from the clock)")
	fs.StringVar(&c.Via, "via", "", "how the run was started, recorded with the results (e.g. \"make bench\")")
	fs.BoolVar(&c.Quick, "quick", false, "small run: 1,000 checks, 2 rounds of 3 s (1 of wrk), 1 s warm-up, scenarios scaled down (about a minute and a half)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the scratch directory (data and server logs)")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write ttr-bench's own CPU profile to this file")
	fs.BoolVar(&c.Profile, "profile", false, "after the closed-loop rounds, run one more (unmeasured) while taking each ttrd's CPU profile from /debug/pprof into -out as <config>.cpu.pprof")
	scenarios := fs.String("scenarios", strings.Join(c.Scenarios, ","), "scenarios to run after the configurations: "+strings.Join(allScenarios(), ", ")+"; none to skip them")
	fs.IntVar(&c.IdleChecks, "idle-checks", c.IdleChecks, "idle scenario: checks seeded with a future deadline (quick: 50,000)")
	fs.DurationVar(&c.Settle, "settle", c.Settle, "idle scenario: wait after ready before reading each node's resident memory (quick: 1s)")
	fs.IntVar(&c.DeadlineChecks, "deadline-checks", c.DeadlineChecks, "deadlines scenario: checks seeded to fall due (quick: 10,000)")
	fs.DurationVar(&c.DeadlineSpread, "deadline-spread", c.DeadlineSpread, "deadlines scenario: their deadlines are spread uniformly over this long (quick: 15s)")
	fs.IntVar(&c.AlertChecks, "alert-checks", c.AlertChecks, "alerts scenario: checks with a webhook going down at once (quick: 1,000)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.Quick {
		c.applyQuick(set)
	}
	if c.WrkRounds == 0 {
		c.WrkRounds = c.Rounds
	}
	c.Configs = noneList(*configs)
	c.WrkConfigs = splitList(*wrkConfigs)
	c.Scenarios = noneList(*scenarios)
	return c, c.Validate()
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// noneList is splitList, with "none" for the empty list (so a list can be emptied on the
// command line without an empty argument).
func noneList(s string) []string {
	l := splitList(s)
	if len(l) == 1 && l[0] == "none" {
		return nil
	}
	return l
}
