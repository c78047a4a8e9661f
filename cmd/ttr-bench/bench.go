package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ttr-rip/ttr/messages/freeport"
)

// Bench brings the configured configurations up, measures them round by round and collects a
// Report.
type Bench struct {
	cfg     Config
	log     io.Writer // progress
	workDir string    // this run's scratch directory
	wrkPath string    // "" when wrk is not used
	pg      postgresAdmin
	pgVer   string
	start   time.Time // of the run, for the progress log
	pprofs  []string  // CPU profiles written (-profile)
}

// logf writes a progress line stamped with the time since the run started.
func (b *Bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%6.1fs  "+format, append([]any{time.Since(b.start).Seconds()}, args...)...)
}

// deployment is a configuration brought up, provisioned and ready to load.
type deployment struct {
	servers    []*Server
	fixture    Fixture
	durability string
	db         string   // PostgreSQL database whose processes count as DB CPU ("" for none)
	cleanup    []func() // run in reverse order
	closeOnce  sync.Once
}

// close stops the servers and undoes the set-up (once).
func (d *deployment) close() {
	d.closeOnce.Do(func() {
		for _, s := range d.servers {
			s.Stop()
		}
		for i := len(d.cleanup) - 1; i >= 0; i-- {
			d.cleanup[i]()
		}
	})
}

// target is the load target of the deployment: every node with the fixture's requests.
func (d *deployment) target() Target {
	var t Target
	for _, s := range d.servers {
		t.Nodes = append(t.Nodes, TargetNode{Addr: s.Addr, Reqs: d.fixture.requests(s.Addr)})
	}
	return t
}

// exited names a server that is no longer running, or "".
func (d *deployment) exited() string {
	for _, s := range d.servers {
		select {
		case <-s.exited:
			return s.Name
		default:
		}
	}
	return ""
}

// setup brings a configuration up. New configurations (the cluster) plug in here.
func (b *Bench) setup(ctx context.Context, name string) (*deployment, error) {
	switch name {
	case cfgRef:
		return b.startRef(ctx)
	case cfgSQLite:
		return b.startSQLite(ctx)
	case cfgPostgres:
		return b.startPostgres(ctx)
	case cfgCluster3:
		return b.startCluster3(ctx)
	}
	return nil, fmt.Errorf("unknown configuration %q", name)
}

// startRef starts the reference server and synthesises URLs of the same shape as ttrd's.
func (b *Bench) startRef(ctx context.Context) (*deployment, error) {
	addr, err := freeport.Pick()
	if err != nil {
		return nil, err
	}
	s, err := startServer(ctx, cfgRef, filepath.Join(b.cfg.Bin, "ttr-ref"), []string{"-addr", addr}, nil,
		addr, "", b.logPath(cfgRef), time.Minute)
	if err != nil {
		return nil, err
	}
	return &deployment{servers: []*Server{s}, fixture: syntheticFixture(b.cfg.Checks),
		durability: "none: answers 200 \"OK\" without storing anything"}, nil
}

// startTTRD starts one ttrd node with the given store flags and environment.
func (b *Bench) startTTRD(ctx context.Context, name string, storeArgs, env []string) (*Server, error) {
	return b.startTTRDWithin(ctx, name, storeArgs, env, time.Minute)
}

// startTTRDWithin starts one ttrd node and waits up to timeout for it to be ready.
func (b *Bench) startTTRDWithin(ctx context.Context, name string, storeArgs, env []string, timeout time.Duration) (*Server, error) {
	addr, err := freeport.Pick()
	if err != nil {
		return nil, err
	}
	internal, err := freeport.Pick()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--http-addr", addr, "--internal-addr", internal, "--log-level", "info", "--log-format", "json"}, benchLimits...)
	args = append(args, storeArgs...)
	return startServer(ctx, name, b.ttrdPath(), args, env, addr, internal, b.logPath(name), timeout)
}

// benchLimits turns off the abuse limits and quotas a benchmark would measure instead of the
// server: it provisions 10,000 checks through one key and pings from one address
// (docs/benchmarks.md "Limits").
var benchLimits = []string{"--limit-signup", "0", "--limit-auth-fail", "0", "--limit-api-credential", "0",
	"--limit-api-ip", "0", "--limit-ping-check", "0", "--limit-ping-ip", "0", "--limit-test-send", "0",
	"--limit-alert-host", "0", "--limit-rule-budget", "0", "--quota-checks", "0"}

// ttrdPath is the ttrd binary under test.
func (b *Bench) ttrdPath() string { return filepath.Join(b.cfg.Bin, "ttrd") }

// logPath is where the server called name writes its output.
func (b *Bench) logPath(name string) string { return filepath.Join(b.workDir, name+".log") }

// startSQLite starts ttrd on the embedded store in a fresh data directory.
func (b *Bench) startSQLite(ctx context.Context) (*deployment, error) {
	data := filepath.Join(b.workDir, "sqlite-data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	d := &deployment{cleanup: []func(){func() { _ = os.RemoveAll(data) }}}
	s, err := b.startTTRD(ctx, cfgSQLite, []string{"--data-dir", absPath(data)}, nil)
	if err != nil {
		d.close()
		return nil, err
	}
	d.servers = []*Server{s}
	if err := b.provision(ctx, d); err != nil {
		d.close()
		return nil, err
	}
	desc := s.logField("ttrd ready", "store")
	sync := "unknown"
	if strings.Contains(desc, "synchronous=FULL") {
		sync = "FULL"
	}
	d.durability = fmt.Sprintf("journal_mode=%s, synchronous=%s (journal mode read from the database file header, synchronous as ttrd reports its store: %q; data on %s)",
		sqliteJournalMode(filepath.Join(data, "ttr.db")), sync, desc, fsType(data))
	return d, nil
}

// startPostgres starts ttrd on a fresh PostgreSQL database, dropped afterwards.
func (b *Bench) startPostgres(ctx context.Context) (*deployment, error) {
	name, url, err := b.pg.create(ctx)
	if err != nil {
		return nil, err
	}
	d := &deployment{db: name, cleanup: []func(){func() {
		if err := b.pg.drop(name); err != nil {
			b.logf("drop database %s: %v\n", name, err)
		}
	}}}
	settings, version, dataDir, err := postgresSettings(ctx, url)
	if err != nil {
		d.close()
		return nil, err
	}
	b.pgVer = version
	s, err := b.startTTRD(ctx, cfgPostgres, []string{"--database-url", url}, ttrdSecrets())
	if err != nil {
		d.close()
		return nil, err
	}
	d.servers = []*Server{s}
	if err := b.provision(ctx, d); err != nil {
		d.close()
		return nil, err
	}
	fs := "unknown"
	if dataDir != "" {
		fs = fsType(dataDir)
	}
	d.durability = fmt.Sprintf("%s (SHOW in the benchmark's database; PostgreSQL %s, data on %s; ttrd reports its store: %q)",
		settings, version, fs, s.logField("ttrd ready", "store"))
	return d, nil
}

// provision creates the checks through the API of the first node.
func (b *Bench) provision(ctx context.Context, d *deployment) error {
	f, err := provision(ctx, d.servers[0].Addr, b.cfg.Checks, b.cfg.ProvisionN)
	if err != nil {
		return fmt.Errorf("provision %d checks: %w", b.cfg.Checks, err)
	}
	b.logf("%-15s provisioned %s checks in %.1f s (%s/s)\n", d.servers[0].Name,
		fmtInt(float64(b.cfg.Checks)), f.Seconds, fmtInt(float64(b.cfg.Checks)/f.Seconds))
	d.fixture = f
	return nil
}

// snapshot is the CPU counters around a phase.
type snapshot struct {
	server, db, self float64
	busy, total      float64
}

func (b *Bench) snap(d *deployment) snapshot {
	var s snapshot
	for _, srv := range d.servers {
		if c, err := procCPU(srv.Pid()); err == nil {
			s.server += c
		}
	}
	if d.db != "" {
		s.db, _ = postgresCPU(d.db)
	}
	s.self, _ = procCPU(os.Getpid())
	s.busy, s.total, _ = machineCPU()
	return s
}

// subject is one configuration under measurement: its deployment and its results so far.
type subject struct {
	res         *ConfigResult
	d           *deployment
	target      Target
	script      string // wrk's script; "" when wrk does not run against it
	closedRates []float64
	metrics     map[string]float64 // store metrics before the measured phases
}

// name is the configuration's name.
func (s *subject) name() string { return s.res.Name }

// check turns a phase's error, or a server that exited meanwhile, into a failure.
func (s *subject) check(err error) error {
	if err != nil {
		return err
	}
	if gone := s.d.exited(); gone != "" {
		return fmt.Errorf("%s exited during the run", gone)
	}
	return nil
}

// fail records why a configuration stopped, with the servers' last log lines when one died,
// and stops it; the other configurations go on.
func (b *Bench) fail(s *subject, err error) {
	s.res.Status, s.res.Note = "failed", err.Error()
	if s.d.exited() != "" {
		for _, srv := range s.d.servers {
			s.res.Note += "\n" + srv.LogTail(20)
		}
	}
	b.logf("%-15s failed: %s\n", s.name(), s.res.Note)
	s.d.close()
}

// measureAll brings every configuration up, then measures them with their rounds interleaved
// (round 1 of each, then round 2 of each, …), so that a change in the machine's background load
// falls on all configurations alike and each ratio to the reference compares like with like.
func (b *Bench) measureAll(ctx context.Context) []ConfigResult {
	results := make([]ConfigResult, len(b.cfg.Configs))
	var subs []*subject
	defer func() {
		for _, s := range subs {
			s.d.close()
		}
	}()
	for i, name := range b.cfg.Configs {
		res := &results[i]
		*res = ConfigResult{Name: name, Status: "ok"}
		if ctx.Err() != nil {
			res.Status, res.Note = "failed", "interrupted"
			continue
		}
		b.logf("%-15s starting\n", name)
		d, err := b.setup(ctx, name)
		if err != nil {
			res.Status, res.Note = "failed", err.Error()
			if isNotAvailable(err) {
				res.Status = "unavailable"
			}
			b.logf("%-15s %s\n", name, err)
			continue
		}
		res.Durability, res.Nodes, res.ProvisionSeconds = d.durability, len(d.servers), d.fixture.Seconds
		b.logf("%-15s durability: %s\n", name, d.durability)
		s := &subject{res: res, d: d, target: d.target()}
		subs = append(subs, s)
		if b.wrkPath != "" && slices.Contains(b.cfg.WrkConfigs, name) {
			if s.script, err = writeWrkScript(b.workDir, name, d.fixture.paths()); err != nil {
				b.fail(s, err)
			}
		}
	}
	// each runs f for every configuration still being measured.
	each := func(f func(s *subject) error) {
		for _, s := range subs {
			if s.res.Status != "ok" || ctx.Err() != nil {
				continue
			}
			if err := f(s); err != nil {
				b.fail(s, err)
			}
		}
	}
	seed := b.cfg.Seed

	each(func(s *subject) error {
		if b.cfg.Warmup > 0 {
			w, err := runClosed(ctx, s.target, b.cfg.Conns, b.cfg.Warmup, seed)
			if err := s.check(err); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
			b.logf("%-15s warm-up: %s req/s, %d errors\n", s.name(), fmtInt(float64(w.OK)/w.Elapsed.Seconds()), w.ErrorCount())
		}
		s.metrics = b.metrics(s.d)
		return nil
	})

	for round := 1; round <= b.cfg.Rounds; round++ {
		each(func(s *subject) error {
			before := b.snap(s.d)
			r, err := runClosed(ctx, s.target, b.cfg.Conns, b.cfg.Duration, seed+uint64(round))
			if err := s.check(err); err != nil {
				return fmt.Errorf("closed loop round %d: %w", round, err)
			}
			p := b.phase("closed", round, r, before, b.snap(s.d))
			s.res.Phases = append(s.res.Phases, p)
			s.closedRates = append(s.closedRates, p.ReqPerSec)
			b.logf("%-15s closed loop %d/%d: %s req/s, %d errors, server CPU %.0f µs/req\n", s.name(), round, b.cfg.Rounds,
				fmtInt(p.ReqPerSec), p.ErrorCount(), p.ServerCPU/float64(max(p.OK, 1))*1e6)
			if s.script == "" || round > b.cfg.WrkRounds {
				return nil
			}
			before = b.snap(s.d)
			wr, err := runWrk(ctx, b.wrkPath, s.script, s.target.Nodes[0].Addr, b.cfg.Conns, b.cfg.Duration)
			if err := s.check(err); err != nil {
				return fmt.Errorf("wrk round %d: %w", round, err)
			}
			p = b.wrkPhase(round, wr, before, b.snap(s.d))
			s.res.Phases = append(s.res.Phases, p)
			b.logf("%-15s wrk         %d/%d: %s req/s, %d errors\n", s.name(), round, b.cfg.WrkRounds, fmtInt(p.ReqPerSec), p.ErrorCount())
			return nil
		})
	}

	if b.cfg.Profile {
		each(func(s *subject) error { return b.profile(ctx, s.d, s.target) })
	}

	each(func(s *subject) error {
		s.res.OpenRate = b.cfg.OpenFraction * median(s.closedRates)
		return nil
	})
	for round := 1; round <= b.cfg.Rounds; round++ {
		each(func(s *subject) error {
			if s.res.OpenRate <= 0 {
				return nil
			}
			before := b.snap(s.d)
			r, err := runOpen(ctx, s.target, b.cfg.Conns, b.cfg.Duration, s.res.OpenRate, seed+uint64(100+round))
			if err := s.check(err); err != nil {
				return fmt.Errorf("open loop round %d: %w", round, err)
			}
			p := b.phase("open", round, r, before, b.snap(s.d))
			p.TargetRate = s.res.OpenRate
			p.PacerLag = percentiles(r.Lag)
			s.res.Phases = append(s.res.Phases, p)
			b.logf("%-15s open loop %d/%d at %s/s: p50 %s, p99 %s, p99.9 %s, %d errors\n", s.name(), round, b.cfg.Rounds,
				fmtInt(s.res.OpenRate), fmtMicros(p.Latency["p50"]), fmtMicros(p.Latency["p99"]), fmtMicros(p.Latency["p99.9"]), p.ErrorCount())
			return nil
		})
	}

	each(func(s *subject) error {
		if after := b.metrics(s.d); after != nil && s.metrics != nil {
			delta := func(k string) float64 { return after[k] - s.metrics[k] }
			if n := delta("ttr_store_batch_size_count"); n > 0 {
				s.res.MeanBatchSize = delta("ttr_store_batch_size_sum") / n
			}
			if n := delta("ttr_store_commit_seconds_count"); n > 0 {
				s.res.MeanCommitMillis = delta("ttr_store_commit_seconds_sum") / n * 1e3
			}
		}
		for _, srv := range s.d.servers {
			if rss, err := procPeakRSS(srv.Pid()); err == nil {
				s.res.PeakRSSBytes += rss
			}
		}
		return nil
	})
	for _, s := range subs {
		if s.res.Status == "ok" && ctx.Err() != nil {
			s.res.Status, s.res.Note = "failed", "interrupted"
		}
	}
	return results
}

// profile runs an unmeasured closed loop while each ttrd node records a CPU profile, saved as
// <out>/<server name>.cpu.pprof (read with: go tool pprof -top bin/ttrd <file>).
func (b *Bench) profile(ctx context.Context, d *deployment, target Target) error {
	secs := max(1, int(b.cfg.Duration/time.Second))
	errc := make(chan error, len(d.servers))
	n := 0
	for _, s := range d.servers {
		if s.Internal == "" {
			continue
		}
		n++
		path := filepath.Join(b.cfg.Out, s.Name+".cpu.pprof") // the nodes of a cluster have names of their own
		go func() { errc <- fetchProfile(ctx, s.Internal, secs, path) }()
		b.pprofs = append(b.pprofs, path)
		b.logf("%-15s profiling %d s into %s\n", s.Name, secs, path)
	}
	if n == 0 {
		return nil
	}
	if _, err := runClosed(ctx, target, b.cfg.Conns, time.Duration(secs)*time.Second+time.Second, b.cfg.Seed); err != nil {
		return err
	}
	var errs []error
	for range n {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}

// metrics sums the store's batch and commit metrics over the nodes (nil without them).
func (b *Bench) metrics(d *deployment) map[string]float64 {
	var out map[string]float64
	for _, s := range d.servers {
		if s.Internal == "" {
			continue
		}
		m, err := scrapeMetrics(s.Internal, "ttr_store_batch_size", "ttr_store_commit_seconds")
		if err != nil {
			b.logf("%-15s metrics: %v\n", s.Name, err)
			continue
		}
		if out == nil {
			out = map[string]float64{}
		}
		for k, v := range m {
			out[k] += v
		}
	}
	return out
}

// phase records a closed- or open-loop phase.
func (b *Bench) phase(kind string, round int, r PhaseResult, before, after snapshot) Phase {
	p := Phase{Kind: kind, Round: round, Seconds: r.Elapsed.Seconds(), OK: r.OK, OKPerNode: r.PerNode, Errors: r.Errors,
		Latency: percentiles(r.Latency), ServerCPU: after.server - before.server, DBCPU: after.db - before.db,
		GenCPU: after.self - before.self, MachineBusy: after.busy - before.busy, MachineTotal: after.total - before.total}
	if p.Seconds > 0 {
		p.ReqPerSec = float64(r.OK) / p.Seconds
	}
	if len(p.Errors) == 0 {
		p.Errors = nil
	}
	return p
}

// wrkPhase records a wrk run; the generator's CPU is wrk's.
func (b *Bench) wrkPhase(round int, r WrkResult, before, after snapshot) Phase {
	p := Phase{Kind: "wrk", Round: round, Seconds: r.Seconds, OK: r.OK, Errors: r.Errors, Latency: r.Latency,
		ServerCPU: after.server - before.server, DBCPU: after.db - before.db, GenCPU: r.CPU,
		MachineBusy: after.busy - before.busy, MachineTotal: after.total - before.total}
	if r.Seconds > 0 {
		p.ReqPerSec = float64(r.OK) / r.Seconds
	}
	if len(p.Errors) == 0 {
		p.Errors = nil
	}
	return p
}

// Run measures every configuration and returns the report.
func (b *Bench) Run(ctx context.Context, args []string) (*Report, error) {
	b.start = time.Now()
	rep := &Report{
		Started: b.start.UTC(),
		Command: commandLine(args),
		Via:     b.cfg.Via,
		Machine: Machine{NProc: runtime.NumCPU(), CPUModel: cpuModel(), LoadAvgBefore: loadAverage(),
			GoVersion: runtime.Version(), Kernel: readTrim("/proc/sys/kernel/osrelease"), Source: gitSource()},
		Settings: Settings{DurationSeconds: b.cfg.Duration.Seconds(), Rounds: b.cfg.Rounds, WrkRounds: b.cfg.WrkRounds, WarmupSeconds: b.cfg.Warmup.Seconds(),
			Conns: b.cfg.Conns, Checks: b.cfg.Checks, OpenFraction: b.cfg.OpenFraction, Seed: b.cfg.Seed, Quick: b.cfg.Quick,
			Configs: b.cfg.Configs, Scenarios: b.cfg.Scenarios},
	}
	for _, bin := range []string{"ttrd", "ttr-ref"} {
		if _, err := os.Stat(filepath.Join(b.cfg.Bin, bin)); err != nil {
			return nil, fmt.Errorf("%s not built (make builds bin/ttrd, bin/ttr-ref and bin/ttr-bench first): %w", bin, err)
		}
	}
	if b.cfg.Wrk && len(b.cfg.WrkConfigs) > 0 {
		var note string
		b.wrkPath, note = findWrk(ctx, b.log)
		if note != "" {
			rep.Notes = append(rep.Notes, note)
			b.logf("%s\n", note)
		} else if out, err := exec.Command(b.wrkPath, "-v").CombinedOutput(); len(out) > 0 || err == nil {
			first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
			rep.Machine.Wrk, _, _ = strings.Cut(first, " Copyright")
		}
	}
	rep.Configs = b.measureAll(ctx)
	rep.Scenarios = b.runScenarios(ctx)
	rep.Machine.Postgres = b.pgVer
	rep.Machine.LoadAvgAfter = loadAverage()
	rep.Rows = buildRows(rep.Configs)
	rep.Notes = append(rep.Notes, analysisNotes(rep)...)
	rep.Notes = append(rep.Notes, scenarioNotes(rep.Scenarios)...)
	if len(b.pprofs) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("CPU profiles of ttrd during an extra closed loop: %s (read with `go tool pprof -top %s <file>`).",
			strings.Join(b.pprofs, ", "), filepath.Join(b.cfg.Bin, "ttrd")))
	}
	rep.Finished = time.Now().UTC()
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	for _, c := range rep.Configs {
		if c.Status == "failed" {
			return rep, errors.New(c.Name + " failed: " + firstLine(c.Note))
		}
	}
	if failed := rep.Scenarios.failedScenarios(); len(failed) > 0 {
		return rep, errors.New("scenario " + failed[0])
	}
	return rep, nil
}

// readTrim is a small file's content without surrounding space ("" on error).
func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// commandLine is how ttr-bench was invoked, with passwords in URLs redacted.
func commandLine(args []string) string {
	out := []string{"ttr-bench"}
	for _, a := range args {
		if u, err := url.Parse(a); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				a = u.Redacted()
			}
		}
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

// gitSource is the commit of the working tree ("abc1234", "abc1234 with uncommitted changes"),
// or "" outside a git checkout. make builds the binaries from this tree just before the run.
func gitSource() string {
	head, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	src := strings.TrimSpace(string(head))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		src += " with uncommitted changes"
	}
	return src
}
