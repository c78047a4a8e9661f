package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// binPath is the ttrd binary built once for the end-to-end tests.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ttrd-e2e-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "ttrd")
	build := exec.Command("go", "build", "-race", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build ttrd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemon is one running ttrd process.
type daemon struct {
	t       *testing.T
	URL     string
	addr    string
	dataDir string
	args    []string
	env     []string
	bin     string // the binary to run (default: binPath, the current code)
	label   string // names the process in failures (default: ttrd)
	cmd     *exec.Cmd
	logs    *syncBuffer
	exited  chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harnessLimits turns off the abuse limits and quotas end-to-end tests would trip over: they
// sign up many users, ping and test-send fast, all from 127.0.0.1 (docs/benchmarks.md lists
// the flags every harness sets). A test of a limit passes its own flags after these.
func harnessLimits() []string {
	return []string{"--limit-signup", "0", "--limit-auth-fail", "0", "--limit-admin-signin", "0", "--limit-api-credential", "0", "--limit-api-ip", "0",
		"--limit-ping-check", "0", "--limit-test-send", "0", "--limit-alert-host", "0", "--quota-checks", "0"}
}

// startDaemon starts ttrd on a fresh data directory (unless dataDir is given through
// reuse) with extra flags, and waits until /readyz answers 200.
func startDaemon(t *testing.T, dataDir string, extra ...string) *daemon {
	t.Helper()
	return newDaemon(t, dataDir, nil, extra)
}

// newDaemon starts ttrd with the harness flags, extra flags after them (so a test may
// override a limit) and extra environment variables.
func newDaemon(t *testing.T, dataDir string, env, extra []string) *daemon {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	addr := freeport.Addr(t)
	d := &daemon{t: t, addr: addr, URL: "http://" + addr, dataDir: dataDir,
		args: append([]string{"--http-addr", addr, "--data-dir", dataDir, "--webhook-allow-nets", "127.0.0.0/8",
			"--alert-backoff", "200ms", "--alert-backoff-max", "1s", "--log-level", "debug", "--log-format", "text"},
			append(harnessLimits(), extra...)...),
		env: append(os.Environ(), env...)}
	d.start()
	t.Cleanup(d.kill)
	return d
}

// name is how failures name the process.
func (d *daemon) name() string {
	if d.label != "" {
		return "ttrd, " + d.label + ","
	}
	return "ttrd"
}

func (d *daemon) start() {
	d.t.Helper()
	bin := d.bin
	if bin == "" {
		bin = binPath
	}
	d.cmd = exec.Command(bin, d.args...)
	d.cmd.Env = d.env
	d.logs = &syncBuffer{}
	d.cmd.Stderr = d.logs
	stdout, _ := d.cmd.StdoutPipe()
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.exited = make(chan struct{})
	printed := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case printed <- sc.Text():
			default:
			}
		}
	}()
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	waittest.UntilWhy(d.t, 30*time.Second, d.name()+" to be ready", func() (bool, string) {
		select {
		case <-d.exited:
			d.t.Fatalf("%s exited during start:\n%s", d.name(), d.logs.String())
		default:
		}
		resp, err := http.Get(d.URL + "/readyz")
		if err != nil {
			return false, d.logs.String()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, d.logs.String()
	})
	select {
	case line := <-printed:
		if !strings.Contains(line, d.URL) {
			d.t.Errorf("%s printed %q, want its URL %s", d.name(), line, d.URL)
		}
	case <-time.After(5 * time.Second):
		d.t.Errorf("%s did not print its URL", d.name())
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (d *daemon) stop() {
	d.t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		d.t.Fatalf("%s did not stop within 30s of SIGTERM:\n%s", d.name(), d.logs.String())
	}
	if code := d.cmd.ProcessState.ExitCode(); code != 0 {
		d.t.Fatalf("%s exited with %d after SIGTERM:\n%s", d.name(), code, d.logs.String())
	}
}

// restart stops (SIGTERM) and starts again on the same data directory and port.
func (d *daemon) restart() {
	d.t.Helper()
	d.stop()
	d.start()
}

func (d *daemon) kill() {
	if d.cmd != nil && d.cmd.Process != nil {
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	logs := d.logs.String()
	if strings.Contains(logs, "WARNING: DATA RACE") {
		d.t.Errorf("%s reported a data race:\n%s", d.name(), logs[strings.Index(logs, "WARNING: DATA RACE"):])
	} else if d.t.Failed() {
		d.t.Logf("%s logs:\n%s", d.name(), tail(logs, 60))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// api calls the REST API and decodes a JSON answer into out (when non-nil).
func (d *daemon) api(key, method, path string, body any, out any) int {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, d.URL+path, rd)
	if key != "" {
		req.Header.Set("X-Auth-Key", key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			d.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// ping sends a ping and returns the status and body.
func (d *daemon) ping(method, path string, body string) (int, string, http.Header) {
	d.t.Helper()
	req, _ := http.NewRequest(method, d.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("ping %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

type user struct {
	AuthKey  string `json:"auth_key"`
	UserSlug string `json:"user_slug"`
	PingKey  string `json:"ping_key"`
}

func (d *daemon) newUser() user {
	d.t.Helper()
	var u user
	if code := d.api("", "POST", "/api/v1/users", map[string]any{}, &u); code != 201 { // a JSON body: sign-up must declare JSON
		d.t.Fatalf("create user: %d", code)
	}
	return u
}

type checkJSON struct {
	ID                  int64          `json:"id"`
	UUID                string         `json:"uuid"`
	Slug                string         `json:"slug"`
	Status              string         `json:"status"`
	Late                bool           `json:"late"`
	Started             bool           `json:"started"`
	NPings              int64          `json:"n_pings"`
	FailureCount        int64          `json:"failure_count"`
	LastPing            *time.Time     `json:"last_ping"`
	NextDeadline        *time.Time     `json:"next_deadline"`
	LastDurationSeconds *float64       `json:"last_duration_seconds"`
	PingURL             string         `json:"ping_url"`
	HCPingURL           string         `json:"hc_ping_url"`
	Channels            map[string]any `json:"channels"`
}

func (d *daemon) createCheck(key string, body map[string]any) checkJSON {
	d.t.Helper()
	var c checkJSON
	if code := d.api(key, "POST", "/api/v1/checks", body, &c); code != 201 {
		d.t.Fatalf("create check %v: %d", body, code)
	}
	return c
}

func (d *daemon) getCheck(key string, id int64) checkJSON {
	d.t.Helper()
	var c checkJSON
	if code := d.api(key, "GET", fmt.Sprintf("/api/v1/checks/%d", id), nil, &c); code != 200 {
		d.t.Fatalf("get check %d: %d", id, code)
	}
	return c
}

type flipJSON struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
}

func (d *daemon) flips(key string, id int64) []flipJSON {
	d.t.Helper()
	var out struct {
		Flips []flipJSON `json:"flips"`
	}
	if code := d.api(key, "GET", fmt.Sprintf("/api/v1/checks/%d/flips", id), nil, &out); code != 200 {
		d.t.Fatalf("flips: %d", code)
	}
	return out.Flips
}

// receiver is a local webhook receiver that records every delivery.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []delivery
	status  int // answer (default 200)
	arrived chan struct{}
}

type delivery struct {
	Key     string
	Payload map[string]any
	At      time.Time
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: 200, arrived: make(chan struct{}, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var p map[string]any
		_ = json.NewDecoder(req.Body).Decode(&p)
		r.mu.Lock()
		status := r.status
		if status == 200 {
			r.got = append(r.got, delivery{Key: req.Header.Get("Idempotency-Key"), Payload: p, At: time.Now()})
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		if status == 200 {
			r.arrived <- struct{}{}
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setStatus(s int) {
	r.mu.Lock()
	r.status = s
	r.mu.Unlock()
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

var httpClient = &http.Client{Timeout: 15 * time.Second}

// runTTRD runs a ttrd subcommand to completion and returns its combined output.
func runTTRD(t *testing.T, args, env []string) string {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ttrd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
