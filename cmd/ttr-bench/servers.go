package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is one process under test, started by the harness.
type Server struct {
	Name     string
	Addr     string    // public listener
	Internal string    // ttrd's internal listener (metrics), "" for the reference
	Started  time.Time // just before the process was started
	Ready    time.Time // when /readyz first answered 200
	cmd      *exec.Cmd
	logPath  string
	exited   chan struct{}
	waitErr  error
}

// Pid is the process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// startServer starts bin with args and the extra environment, output to logPath, and waits
// up to timeout until GET /readyz on addr answers 200.
func startServer(ctx context.Context, name, bin string, args, env []string, addr, internal, logPath string, timeout time.Duration) (*Server, error) {
	s, err := startProcess(name, bin, args, env, addr, internal, logPath)
	if err != nil {
		return nil, err
	}
	if err := s.waitReady(ctx, timeout); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%s: %w\n%s", name, err, s.LogTail(20))
	}
	return s, nil
}

// startProcess starts bin with args and the extra environment, output to logPath.
func startProcess(name, bin string, args, env []string, addr, internal, logPath string) (*Server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(cleanEnv(os.Environ()), env...)
	started := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &Server{Name: name, Addr: addr, Internal: internal, cmd: cmd, logPath: logPath, exited: make(chan struct{}), Started: started}
	go func() {
		s.waitErr = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	return s, nil
}

// cleanEnv drops TTR_* variables, so the caller's environment cannot change what is measured.
func cleanEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "TTR_") })
}

// waitReady polls /readyz until it answers 200, the process exits, or the timeout passes.
// Polls are 10 ms apart, the resolution of the start-up times measured from Started to Ready
// (ttrd opens its listener only once it is ready, so a poll before is a refused connection).
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get("http://" + s.Addr + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.Ready = time.Now()
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("exited before it was ready: %v", s.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s", timeout)
		}
	}
}

// Stop ends the process: SIGTERM, then SIGKILL after 15 s.
func (s *Server) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// LogTail is the last n lines of the server's output.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// logField is the value of key in the first JSON log line whose msg is msg ("" if none).
func (s *Server) logField(msg, key string) string {
	f, err := os.Open(s.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec["msg"] != msg {
			continue
		}
		if v, ok := rec[key]; ok {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// scrapeMetrics reads the sum and count of the Prometheus summaries or histograms named in
// names from the internal listener (summed over label sets).
func scrapeMetrics(addr string, names ...string) (map[string]float64, error) {
	body, err := fetchMetrics(addr)
	if err != nil {
		return nil, err
	}
	return parseMetricSums(body, names...), nil
}

// fetchMetrics is the text exposition of the internal listener's /metrics.
func fetchMetrics(addr string) ([]byte, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 16<<20))
}

// fetchProfile saves a CPU profile of secs seconds from a Go process's /debug/pprof/profile.
func fetchProfile(ctx context.Context, addr string, secs int, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: time.Duration(secs)*time.Second + 30*time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// parseMetricSums adds up <name>_sum and <name>_count samples of the text exposition format.
func parseMetricSums(body []byte, names ...string) map[string]float64 {
	out := map[string]float64{}
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		sp := bytes.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		series := string(line[:sp])
		metric, _, _ := strings.Cut(series, "{")
		for _, n := range names {
			if metric == n+"_sum" || metric == n+"_count" {
				var v float64
				if _, err := fmt.Sscan(string(line[sp+1:]), &v); err == nil {
					out[metric] += v
				}
			}
		}
	}
	return out
}

// sqliteJournalMode reads the journal mode from a SQLite database file's header: bytes 18 and
// 19 (file format write and read versions) are 2 in WAL mode, 1 in rollback-journal modes.
func sqliteJournalMode(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	var h [20]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:15]) != "SQLite format 3" {
		return "unknown"
	}
	switch {
	case h[18] == 2 && h[19] == 2:
		return "WAL"
	case h[18] == 1 && h[19] == 1:
		return "rollback journal"
	}
	return "unknown"
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ttrdSecrets is a fresh TTR_ENCRYPTION_KEYS and TTR_SECRET_KEY environment for a PostgreSQL
// node (the embedded store generates its own).
func ttrdSecrets() []string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return []string{
		"TTR_ENCRYPTION_KEYS=k1:" + base64.StdEncoding.EncodeToString(key),
		"TTR_SECRET_KEY=" + randomHex(32),
	}
}

// postgresAdmin creates and drops the harness's own databases on a PostgreSQL server.
type postgresAdmin struct {
	url string // of a maintenance database, e.g. postgres://postgres@127.0.0.1:5432/postgres
}

// create makes a fresh database ttr_bench_<random> and returns its name and URL.
func (a postgresAdmin) create(ctx context.Context) (name, url string, err error) {
	conn, err := pgx.Connect(ctx, a.url)
	if err != nil {
		// No server is a missing prerequisite, reported like a missing configuration, so the
		// other rows still count (make bench runs .ci/ensure-postgres first).
		return "", "", errNotAvailable{reason: fmt.Sprintf("not available: PostgreSQL does not answer at -postgres-url (%v)", strings.Join(strings.Fields(err.Error()), " "))}
	}
	defer conn.Close(context.Background())
	name = "ttr_bench_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", "", fmt.Errorf("create database %s: %w", name, err)
	}
	cfg, err := pgx.ParseConfig(a.url)
	if err != nil {
		return "", "", err
	}
	u := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	if cfg.Password != "" {
		u = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
	}
	return name, u, nil
}

// drop removes a database made by create, ending its remaining sessions.
func (a postgresAdmin) drop(name string) error {
	if !strings.HasPrefix(name, "ttr_bench_") {
		return fmt.Errorf("refusing to drop %q: not made by ttr-bench", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, a.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// postgresSettings is the server's durability settings and version, as seen by a session of
// the benchmark's database (settings can be per database).
func postgresSettings(ctx context.Context, url string) (settings, version, dataDir string, err error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", "", "", err
	}
	defer conn.Close(context.Background())
	var parts []string
	for _, name := range []string{"synchronous_commit", "fsync", "wal_sync_method", "full_page_writes"} {
		var v string
		if err := conn.QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
			return "", "", "", fmt.Errorf("SHOW %s: %w", name, err)
		}
		parts = append(parts, name+"="+v)
	}
	_ = conn.QueryRow(ctx, "SHOW server_version").Scan(&version)
	_ = conn.QueryRow(ctx, "SHOW data_directory").Scan(&dataDir) // superusers only
	return strings.Join(parts, ", "), version, dataDir, nil
}

// errNotAvailable marks a configuration that cannot run yet; it is reported, not fatal.
type errNotAvailable struct{ reason string }

func (e errNotAvailable) Error() string { return e.reason }

// isNotAvailable reports whether err says a configuration cannot run yet.
func isNotAvailable(err error) bool {
	var na errNotAvailable
	return errors.As(err, &na)
}

// tempDir makes a directory for one configuration's data and logs under base.
func tempDir(base, name string) (string, error) {
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(base, name+"-")
}

// absPath is path made absolute (for arguments of processes started elsewhere).
func absPath(path string) string {
	if p, err := filepath.Abs(path); err == nil {
		return p
	}
	return path
}
