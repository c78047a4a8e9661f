package main

// The retention soak (docs/operations.md, "Retention"; `make soak`): two ttrd nodes on the
// same kind of store, one with a small --ping-log-limit and the retention pass every minute,
// one keeping every ping, take the same open-loop load at a fixed rate in alternating slices
// (so the machine's own drift hits both alike). After every slice the soak samples each
// store's size; at the end it compares throughput and p99 and says whether the pruned store
// stayed flat once every check reached the limit.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// SoakConfig is one soak run's settings.
type SoakConfig struct {
	Store       string        // sqlite or postgres
	Checks      int           // checks on each node
	Rate        float64       // pings/s during a node's slice
	Duration    time.Duration // load time per node (the run takes twice this, plus set-up)
	Slice       time.Duration // one node's turn
	Limit       int64         // --ping-log-limit of the pruned node
	Every       time.Duration // --retention-every of the pruned node
	Conns       int
	Bin, Work   string
	Out         string
	PostgresURL string
}

// SoakSample is one slice: the load a node took and both stores' sizes after it.
type SoakSample struct {
	At       float64          `json:"at_s"` // since the load began
	Node     string           `json:"node"` // pruned | unpruned
	OK       int64            `json:"ok"`
	Errors   int64            `json:"errors"`
	RPS      float64          `json:"rps"`
	P50MS    float64          `json:"p50_ms"`
	P99MS    float64          `json:"p99_ms"`
	Size     map[string]int64 `json:"size_bytes"` // by node: database (SQLite: ttr.db; PostgreSQL: the database)
	WAL      map[string]int64 `json:"wal_bytes,omitempty"`
	Pings    map[string]int64 `json:"pings"`       // rows of the ping log, by node
	Pruned   float64          `json:"pruned_rows"` // ping rows the pruned node's retention pass deleted so far
	Vacuum   *pgVacuum        `json:"pg_pings,omitempty"`
	MaxPings int64            `json:"max_pings_per_check"` // the pruned node's fullest check
}

// pgVacuum is pg_stat_user_tables for the pruned node's pings table.
type pgVacuum struct {
	Live, Dead, AutoVacuums, AutoAnalyzes int64
	LastAutoVacuum                        string
}

func parseSoakFlags(args []string, stderr io.Writer) (SoakConfig, error) {
	c := SoakConfig{Store: "sqlite", Checks: 1000, Rate: 200, Duration: 10 * time.Minute, Slice: time.Minute, Limit: 20,
		Every: time.Minute, Conns: 16, Bin: "bin", Work: "bin/bench-work", Out: "bin/soak",
		PostgresURL: DefaultConfig().PostgresURL}
	fs := flag.NewFlagSet("ttr-bench soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Store, "store", c.Store, "sqlite or postgres")
	fs.IntVar(&c.Checks, "checks", c.Checks, "checks on each node")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "pings per second during a node's slice (open loop)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "load time per node; the run takes about twice this")
	fs.DurationVar(&c.Slice, "slice", c.Slice, "length of one node's turn; the turns alternate")
	fs.Int64Var(&c.Limit, "limit", c.Limit, "--ping-log-limit of the pruned node")
	fs.DurationVar(&c.Every, "every", c.Every, "--retention-every of the pruned node")
	fs.IntVar(&c.Conns, "conns", c.Conns, "keep-alive connections of the load generator")
	fs.StringVar(&c.Bin, "bin", c.Bin, "directory holding ttrd")
	fs.StringVar(&c.Work, "work", c.Work, "parent directory of the scratch data and logs")
	fs.StringVar(&c.Out, "out", c.Out, "directory for soak.md and soak.json")
	fs.StringVar(&c.PostgresURL, "postgres-url", c.PostgresURL, "PostgreSQL maintenance database (with -store postgres)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var errs []error
	if c.Store != "sqlite" && c.Store != "postgres" {
		errs = append(errs, fmt.Errorf("-store %q: want sqlite or postgres", c.Store))
	}
	if c.Checks < 1 || c.Rate <= 0 || c.Limit < 1 || c.Conns < 1 {
		errs = append(errs, errors.New("-checks, -rate, -limit and -conns must be positive"))
	}
	if c.Slice < time.Second || c.Duration < c.Slice {
		errs = append(errs, errors.New("-slice must be at least 1s and -duration at least one slice"))
	}
	return c, errors.Join(errs...)
}

// soakNode is one of the two nodes and how to read its store.
type soakNode struct {
	name    string
	srv     *Server
	fixture Fixture
	dataDir string // SQLite
	dbURL   string // PostgreSQL
}

func runSoak(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseSoakFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "ttr-bench soak:", err)
		return 2
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		fmt.Fprintln(stderr, "ttr-bench soak:", err)
		return 1
	}
	work, err := tempDir(cfg.Work, "soak")
	if err != nil {
		fmt.Fprintln(stderr, "ttr-bench soak:", err)
		return 1
	}
	b := &Bench{cfg: Config{Bin: cfg.Bin, Checks: cfg.Checks, ProvisionN: 16}, log: stderr, workDir: work,
		pg: postgresAdmin{url: cfg.PostgresURL}, start: time.Now()}
	samples, nodes, err := soak(ctx, b, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "ttr-bench soak: %v (logs in %s)\n", err, work)
		if len(samples) == 0 {
			return 1
		}
	} else {
		_ = os.RemoveAll(work)
	}
	md := renderSoak(cfg, samples, nodes)
	js, _ := json.MarshalIndent(map[string]any{"config": cfg, "samples": samples}, "", "  ")
	if werr := errors.Join(os.WriteFile(filepath.Join(cfg.Out, "soak.json"), append(js, '\n'), 0o644),
		os.WriteFile(filepath.Join(cfg.Out, "soak.md"), []byte(md), 0o644)); werr != nil {
		fmt.Fprintln(stderr, "ttr-bench soak:", werr)
		return 1
	}
	fmt.Fprint(stdout, md)
	fmt.Fprintf(stdout, "\nresults: %s\n", filepath.Join(cfg.Out, "soak.md"))
	if err != nil {
		return 1
	}
	return 0
}

// soak starts the two nodes, provisions them and runs the alternating slices.
func soak(ctx context.Context, b *Bench, cfg SoakConfig) ([]SoakSample, []*soakNode, error) {
	extra := map[string][]string{
		"pruned": {"--ping-log-limit", fmt.Sprint(cfg.Limit), "--ping-dedupe-window", fmt.Sprint(min(cfg.Limit, 100)),
			"--retention-every", cfg.Every.String()},
		"unpruned": {"--ping-log-limit", "0", "--retention-flips-days", "0", "--retention-outbox-days", "0",
			"--retention-activity-days", "0"},
	}
	var nodes []*soakNode
	defer func() {
		for _, n := range nodes {
			n.srv.Stop()
		}
	}()
	for _, name := range []string{"pruned", "unpruned"} {
		n := &soakNode{name: name}
		var storeArgs, env []string
		if cfg.Store == "sqlite" {
			n.dataDir = filepath.Join(b.workDir, name)
			if err := os.MkdirAll(n.dataDir, 0o700); err != nil {
				return nil, nodes, err
			}
			storeArgs = []string{"--data-dir", absPath(n.dataDir)}
		} else {
			db, url, err := b.pg.create(ctx)
			if err != nil {
				return nil, nodes, err
			}
			defer func() {
				if err := b.pg.drop(db); err != nil {
					b.logf("drop database %s: %v\n", db, err)
				}
			}()
			n.dbURL = url
			// Each node is a cluster of its own on PostgreSQL: give it a free gossip port.
			storeArgs, env = []string{"--database-url", url, "--gossip-addr", "127.0.0.1:0"}, ttrdSecrets()
		}
		srv, err := b.startTTRD(ctx, "soak-"+name, append(storeArgs, extra[name]...), env)
		if err != nil {
			return nil, nodes, err
		}
		n.srv = srv
		nodes = append(nodes, n)
		if n.fixture, err = provision(ctx, srv.Addr, cfg.Checks, 16); err != nil {
			return nil, nodes, fmt.Errorf("provision %s: %w", name, err)
		}
		b.logf("%-10s ready at %s with %d checks\n", name, srv.Addr, cfg.Checks)
	}

	var samples []SoakSample
	start := time.Now()
	slices := int(cfg.Duration / cfg.Slice)
	for i := range slices {
		// ABBA order: each node goes first as often as second.
		order := []*soakNode{nodes[0], nodes[1]}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, n := range order {
			t := Target{Nodes: []TargetNode{{Addr: n.srv.Addr, Reqs: n.fixture.requests(n.srv.Addr)}}}
			r, err := runOpen(ctx, t, cfg.Conns, cfg.Slice, cfg.Rate, uint64(i))
			if err != nil {
				return samples, nodes, fmt.Errorf("slice %d on %s: %w", i, n.name, err)
			}
			s := SoakSample{At: time.Since(start).Seconds(), Node: n.name, OK: r.OK, Errors: r.ErrorCount(),
				RPS: float64(r.OK) / r.Elapsed.Seconds(), P50MS: ms(r.Latency.Percentile(50)), P99MS: ms(r.Latency.Percentile(99)),
				Size: map[string]int64{}, WAL: map[string]int64{}, Pings: map[string]int64{}}
			for _, m := range nodes {
				if err := m.measure(ctx, &s); err != nil {
					return samples, nodes, fmt.Errorf("measure %s: %w", m.name, err)
				}
			}
			if body, err := fetchMetrics(nodes[0].srv.Internal); err == nil {
				s.Pruned = metricValue(body, `ttr_retention_pruned_rows_total{table="pings"}`)
			}
			samples = append(samples, s)
			b.logf("slice %2d %-8s %6.0f/s p50 %6.2f ms p99 %7.2f ms err %d | size pruned %s unpruned %s | pings %d / %d (max %d per check) pruned %.0f\n",
				i, n.name, s.RPS, s.P50MS, s.P99MS, s.Errors, fmtSize(s.Size["pruned"]+s.WAL["pruned"]),
				fmtSize(s.Size["unpruned"]+s.WAL["unpruned"]), s.Pings["pruned"], s.Pings["unpruned"], s.MaxPings, s.Pruned)
		}
	}
	return samples, nodes, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// measure adds the node's store size and ping count to s.
func (n *soakNode) measure(ctx context.Context, s *SoakSample) error {
	if n.dataDir != "" {
		for _, f := range []struct {
			name string
			into map[string]int64
		}{{"ttr.db", s.Size}, {"ttr.db-wal", s.WAL}} {
			if st, err := os.Stat(filepath.Join(n.dataDir, f.name)); err == nil {
				f.into[n.name] = st.Size()
			}
		}
		db, err := openSQLiteRO(filepath.Join(n.dataDir, "ttr.db"))
		if err != nil {
			return err
		}
		defer db.Close()
		var rows, most int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pings`).Scan(&rows); err != nil {
			return err
		}
		s.Pings[n.name] = rows
		if n.name == "pruned" {
			if err := db.QueryRowContext(ctx, `SELECT COALESCE(max(c), 0) FROM (SELECT count(*) AS c FROM pings GROUP BY check_id)`).Scan(&most); err != nil {
				return err
			}
			s.MaxPings = most
		}
		return nil
	}
	conn, err := pgx.Connect(ctx, n.dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var size, rows int64
	if err := conn.QueryRow(ctx, `SELECT pg_database_size(current_database()), (SELECT count(*) FROM pings)`).Scan(&size, &rows); err != nil {
		return err
	}
	s.Size[n.name], s.Pings[n.name] = size, rows
	if n.name != "pruned" {
		return nil
	}
	var v pgVacuum
	var last *time.Time
	if err := conn.QueryRow(ctx, `SELECT n_live_tup, n_dead_tup, autovacuum_count, autoanalyze_count, last_autovacuum
		FROM pg_stat_user_tables WHERE relname = 'pings'`).Scan(&v.Live, &v.Dead, &v.AutoVacuums, &v.AutoAnalyzes, &last); err != nil {
		return err
	}
	if last != nil {
		v.LastAutoVacuum = last.UTC().Format(time.RFC3339)
	}
	s.Vacuum = &v
	var most int64
	if err := conn.QueryRow(ctx, `SELECT COALESCE(max(c), 0) FROM (SELECT count(*) AS c FROM pings GROUP BY check_id) t`).Scan(&most); err != nil {
		return err
	}
	s.MaxPings = most
	return nil
}

// renderSoak is the report: every slice, then the comparison and the verdict on flatness.
func renderSoak(cfg SoakConfig, samples []SoakSample, nodes []*soakNode) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Retention soak (%s)\n\n", cfg.Store)
	fmt.Fprintf(&b, "%d checks per node, %.0f pings/s open loop in alternating %v slices, %v of load per node; "+
		"pruned node: --ping-log-limit %d, --retention-every %v; unpruned node: --ping-log-limit 0 and no retention.\n\n",
		cfg.Checks, cfg.Rate, cfg.Slice, cfg.Duration, cfg.Limit, cfg.Every)
	b.WriteString("| t (s) | node | pings/s | p50 ms | p99 ms | errors | pruned store | unpruned store | pings pruned / unpruned | fullest check | ping rows the pass pruned |")
	if cfg.Store == "postgres" {
		b.WriteString(" pings live / dead, autovacuums (pruned) |")
	}
	b.WriteString("\n|---|---|---|---|---|---|---|---|---|---|---|")
	if cfg.Store == "postgres" {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, s := range samples {
		fmt.Fprintf(&b, "| %.0f | %s | %.0f | %.2f | %.2f | %d | %s | %s | %d / %d | %d | %.0f |", s.At, s.Node, s.RPS, s.P50MS, s.P99MS, s.Errors,
			sizeCell(s, "pruned"), sizeCell(s, "unpruned"), s.Pings["pruned"], s.Pings["unpruned"], s.MaxPings, s.Pruned)
		if v := s.Vacuum; v != nil {
			fmt.Fprintf(&b, " %d / %d, %d |", v.Live, v.Dead, v.AutoVacuums)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, name := range []string{"pruned", "unpruned"} {
		var rps, p99 []float64
		var errs int64
		for _, s := range samples {
			if s.Node == name {
				rps, p99 = append(rps, s.RPS), append(p99, s.P99MS)
				errs += s.Errors
			}
		}
		slices.Sort(rps)
		slices.Sort(p99)
		if len(rps) > 0 {
			fmt.Fprintf(&b, "- %s: median %.0f pings/s, p99 median %.2f ms (worst slice %.2f ms), %d errors over %d slices\n",
				name, rps[len(rps)/2], p99[len(p99)/2], p99[len(p99)-1], errs, len(rps))
		}
	}
	// Flat: from the first sample where the pruned node holds checks × limit pings, the
	// pruned store's size (database + WAL) changes by how much, against the unpruned one's.
	reached := -1
	for i, s := range samples {
		if s.Pings["pruned"] >= int64(cfg.Checks)*cfg.Limit {
			reached = i
			break
		}
	}
	if reached >= 0 && reached < len(samples)-1 {
		first, last := samples[reached], samples[len(samples)-1]
		// The database itself; the WAL (SQLite) is bounded by ttrd's checkpointer whatever
		// the database holds, and shown beside it.
		grow := func(name string) string {
			a, z := first.Size[name], last.Size[name]
			out := fmt.Sprintf("%s → %s (%+.1f %%)", fmtSize(a), fmtSize(z), 100*float64(z-a)/float64(max(a, 1)))
			if first.WAL[name]+last.WAL[name] > 0 {
				out += fmt.Sprintf(", WAL %s → %s", fmtSize(first.WAL[name]), fmtSize(last.WAL[name]))
			}
			return out
		}
		fmt.Fprintf(&b, "- the pruned node held checks × limit pings by t = %.0f s; from then to the end the pruned database went %s, the unpruned %s; pruned node's ping rows %d → %d\n",
			first.At, grow("pruned"), grow("unpruned"), first.Pings["pruned"], last.Pings["pruned"])
	} else {
		b.WriteString("- the pruned node never held checks × limit pings before the end: no verdict on flatness\n")
	}
	_ = nodes
	return b.String()
}

func sizeCell(s SoakSample, name string) string {
	if w, ok := s.WAL[name]; ok && w > 0 {
		return fmtSize(s.Size[name]) + " + WAL " + fmtSize(w)
	}
	return fmtSize(s.Size[name])
}

// fmtSize formats a size with a unit that keeps it readable (the soak's stores are small).
func fmtSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
}

// openSQLiteRO opens a ttrd database read-only (beside the running node: WAL readers do not
// block its writer).
func openSQLiteRO(path string) (*sql.DB, error) {
	return sql.Open("sqlite", path+"?_query_only=1")
}

// metricValue is the value of one series (name and labels as exposed) in a text exposition, 0
// when absent.
func metricValue(body []byte, series string) float64 {
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return f
			}
		}
	}
	return 0
}
