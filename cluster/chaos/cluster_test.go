package chaos_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/messages/waittest"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// cluster is three ttrd nodes on one PostgreSQL database, plus the readiness poller a load
// balancer would run (every 100 ms) and the clients the tests use.
type cluster struct {
	t      *testing.T
	nodes  []*node
	dbURL  string
	logDir string

	api  *http.Client // setup and verification calls
	pool *http.Client // the load: keep-alive connections to every node
	rr   atomic.Uint64

	stopPoll chan struct{}
	pollDone sync.WaitGroup
}

// clusterOpts configures startCluster.
type clusterOpts struct {
	// Bin is the ttrd binary the nodes start with (binPath when empty): an older release for
	// the upgrade scenarios.
	Bin   string
	DBURL string // default: a fresh database on the shared test server
	// Relaxed failure detection (docs/testing.md#fault-tests: a 2-core machine under load
	// starves probes). The kill -9 scenario runs with ttrd's defaults.
	Relaxed bool
	Nodes   int // default 3
}

// relaxedGossip are the failure-detection settings of the scenarios that may relax them:
// slower probes with a longer timeout, so a starved node is not declared dead, and a killed
// one is after at most about 1 + 0.3 + 2×0.5 s (each of two peers is probed every second).
// The suspicion multiplier stays 2: above it memberlist waits for peer confirmations, from
// up to SuspicionMaxTimeoutMult × the minimum, and counts dead members still remembered
// (GossipToTheDeadTime) as peers that could confirm — with ×4, the first kill of a node
// took 2 s to detect and each later one 5.7–7 s (12 s shortened by one confirmation).
var relaxedGossip = []string{"--gossip-probe-interval", "500ms", "--gossip-probe-timeout", "300ms", "--gossip-suspicion-mult", "2"}

// startCluster starts the nodes, waits until each is ready and sees every other as active.
func startCluster(t *testing.T, o clusterOpts) *cluster {
	t.Helper()
	requireCluster(t)
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.DBURL == "" {
		o.DBURL = storetest.PostgresURL(t)
	}
	logDir, err := os.MkdirTemp("", "ttr-chaos-"+strings.ReplaceAll(t.Name(), "/", "_")+"-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, dbURL: o.DBURL, logDir: logDir, stopPoll: make(chan struct{}),
		api: &http.Client{Timeout: 15 * time.Second},
		pool: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second,
		}},
	}
	env := []string{
		"TTR_ENCRYPTION_KEYS=k1:" + keyring.NewKey(),
		"TTR_SECRET_KEY=" + keyring.NewKey(),
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TTR_") { // nothing of the caller's ttr settings leaks in
			env = append(env, kv)
		}
	}
	// Flags are given only when the binary the nodes start with has them (an older release
	// for the upgrade scenarios).
	has := hasFlag
	if o.Bin != "" {
		help, _ := exec.Command(o.Bin, "-h").CombinedOutput()
		has = func(name string) bool { return hasFlagIn(string(help), name) }
	}
	clusterName := "chaos-" + storetest.RandomHex(4)
	gossip := make([]string, o.Nodes)
	for i := range gossip {
		gossip[i] = freeport.Addr(t)
	}
	for i := 0; i < o.Nodes; i++ {
		httpAddr, internal := freeport.Addr(t), freeport.Addr(t)
		var join []string
		for j, g := range gossip {
			if j != i {
				join = append(join, g)
			}
		}
		n := &node{t: t, idx: i, name: fmt.Sprintf("node%d", i+1), bin: o.Bin,
			URL: "http://" + httpAddr, InternalURL: "http://" + internal, gossipAddr: gossip[i],
			env: env, logPath: filepath.Join(logDir, fmt.Sprintf("node%d.log", i+1)),
			args: []string{
				"--database-url", o.DBURL, "--http-addr", httpAddr, "--internal-addr", internal,
				"--remote-addr", freeport.Addr(t), "--gossip-addr", gossip[i], "--join", strings.Join(join, ","),
				"--cluster-name", clusterName, "--node-name", fmt.Sprintf("node%d", i+1),
				"--shutdown-delay", "1s", "--webhook-allow-nets", "127.0.0.0/8",
				"--alert-backoff", "200ms", "--alert-backoff-max", "1s",
				"--log-level", logLevel(), "--log-format", "text",
			}}
		// The fault tests ping, sign up and alert one sink host fast from 127.0.0.1: abuse
		// limits off (docs/benchmarks.md), on binaries that have them.
		for k := 0; k < len(harnessLimits); k += 2 {
			if has(strings.TrimPrefix(harnessLimits[k], "--")) {
				n.args = append(n.args, harnessLimits[k], harnessLimits[k+1])
			}
		}
		if o.Relaxed {
			for k := 0; k < len(relaxedGossip); k += 2 {
				if has(strings.TrimPrefix(relaxedGossip[k], "--")) {
					n.args = append(n.args, relaxedGossip[k], relaxedGossip[k+1])
				}
			}
		}
		c.nodes = append(c.nodes, n)
	}
	t.Cleanup(c.close)
	for _, n := range c.nodes {
		n.start()
	}
	for _, n := range c.nodes {
		n.waitReady(60 * time.Second)
	}
	c.pollDone.Add(1)
	go c.pollReadiness()
	c.waitStable(30 * time.Second)
	t.Logf("cluster of %d nodes up (logs in %s)", o.Nodes, logDir)
	return c
}

func logLevel() string {
	if l := os.Getenv("TTR_CHAOS_LOG_LEVEL"); l != "" {
		return l
	}
	return "info"
}

// close stops every process; the logs stay when the test failed (their tails are printed)
// or TTR_CHAOS_KEEP_LOGS is set.
func (c *cluster) close() {
	select {
	case <-c.stopPoll:
	default:
		close(c.stopPoll)
	}
	c.pollDone.Wait()
	for _, n := range c.nodes {
		n.kill()
		if n.log != nil {
			n.log.Close()
		}
	}
	var problems []string
	for _, n := range c.nodes {
		if lines := n.grepLog(5, "panic:", "fatal error:", "WARNING: DATA RACE"); len(lines) > 0 {
			problems = append(problems, n.name+": "+strings.Join(lines, "\n"))
		}
	}
	if len(problems) > 0 {
		c.t.Errorf("a node crashed:\n%s", strings.Join(problems, "\n"))
	}
	if c.t.Failed() {
		for _, n := range c.nodes {
			c.t.Logf("----- last lines of %s (%s) -----\n%s", n.name, n.logPath, n.tail(40))
		}
		c.t.Logf("full logs kept in %s", c.logDir)
		return
	}
	if os.Getenv("TTR_CHAOS_KEEP_LOGS") == "" {
		os.RemoveAll(c.logDir)
	}
}

// pollReadiness keeps every node's ready flag current, as a load balancer's health check.
func (c *cluster) pollReadiness() {
	defer c.pollDone.Done()
	cl := &http.Client{Timeout: 500 * time.Millisecond}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.stopPoll:
			return
		case <-tick.C:
		}
		var wg sync.WaitGroup
		for _, n := range c.nodes {
			if !n.running.Load() || n.paused.Load() {
				n.ready.Store(false)
				continue
			}
			wg.Add(1)
			go func(n *node) {
				defer wg.Done()
				code, err := getStatus(cl, n.URL+"/readyz")
				n.ready.Store(err == nil && code == 200 && n.running.Load() && !n.paused.Load())
			}(n)
		}
		wg.Wait()
	}
}

// pick returns the next ready node round-robin, avoiding not (when another is ready). When
// no node is ready it fails open, as load balancers do when every backend is unhealthy
// (a PostgreSQL outage makes every node not ready, and pings must still reach them to be
// refused): the next running node, or nil when none runs.
func (c *cluster) pick(not *node) *node {
	k := int(c.rr.Add(1))
	usable := []func(*node) bool{
		func(n *node) bool { return n.ready.Load() },
		func(n *node) bool { return n.running.Load() && !n.paused.Load() },
	}
	for _, ok := range usable {
		var fallback *node
		for i := range c.nodes {
			n := c.nodes[(k+i)%len(c.nodes)]
			if !ok(n) {
				continue
			}
			if n == not {
				fallback = n
				continue
			}
			return n
		}
		if fallback != nil {
			return fallback
		}
	}
	return nil
}

// waitStable waits until every running node is ready and sees all of them active.
func (c *cluster) waitStable(timeout time.Duration) {
	c.t.Helper()
	waittest.UntilWhy(c.t, timeout, "a stable cluster", func() (bool, string) {
		var want int
		for _, n := range c.nodes {
			if n.running.Load() {
				want++
			}
		}
		for _, n := range c.nodes {
			if !n.running.Load() {
				continue
			}
			v, err := n.clusterView()
			if err != nil {
				return false, fmt.Sprintf("%s: %v", n.name, err)
			}
			if v.activeMembers() != want || v.Fenced {
				return false, fmt.Sprintf("%s sees %d active members (want %d), fenced=%v: %s", n.name, v.activeMembers(), want, v.Fenced, v.summary())
			}
			if code, err := getStatus(c.api, n.URL+"/readyz"); err != nil || code != 200 {
				return false, fmt.Sprintf("%s /readyz %d %v", n.name, code, err)
			}
		}
		return true, ""
	})
}

// call makes a setup or verification API call on a ready node, retrying connection errors,
// 429 and 503 for up to 30 s; it returns the final status and decodes a 2xx body into out.
func (c *cluster) call(method, path, key string, body, out any) (int, error) {
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	deadline := time.Now().Add(30 * time.Second)
	var lastErr error
	var prev *node
	for {
		n := c.pick(prev)
		if n != nil {
			prev = n
			code, b, err := c.callOn(n, method, path, key, payload)
			switch {
			case err == nil && code/100 == 2:
				if out != nil && len(b) > 0 {
					if err := json.Unmarshal(b, out); err != nil {
						return code, fmt.Errorf("%s %s on %s: %w: %s", method, path, n.name, err, b)
					}
				}
				return code, nil
			case err == nil && code != 429 && code != 503:
				return code, fmt.Errorf("%s %s on %s: %d %s", method, path, n.name, code, bytes.TrimSpace(b))
			case err == nil:
				lastErr = fmt.Errorf("%s %s on %s: %d %s", method, path, n.name, code, bytes.TrimSpace(b))
			default:
				lastErr = err
			}
		} else {
			lastErr = errors.New("no ready node")
		}
		if time.Now().After(deadline) {
			return 0, lastErr
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) callOn(n *node, method, path, key string, payload []byte) (int, []byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequest(method, n.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if key != "" {
		req.Header.Set("X-Auth-Key", key)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.api.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// mustCall is call that fails the test on an error.
func (c *cluster) mustCall(method, path, key string, body, out any) {
	c.t.Helper()
	if _, err := c.call(method, path, key, body, out); err != nil {
		c.t.Fatal(err)
	}
}

// running returns the nodes whose process runs and is not paused.
func (c *cluster) running() []*node {
	var out []*node
	for _, n := range c.nodes {
		if n.running.Load() && !n.paused.Load() {
			out = append(out, n)
		}
	}
	return out
}

// byName finds a node by its --node-name.
func (c *cluster) byName(name string) *node {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

// clusterView is what a node's /cluster says, read defensively: the shape is the lead's and
// may grow (per-check lists instead of counts). Lists, when present, are used; counts
// otherwise (-1 = absent).
type clusterView struct {
	SelfID, SelfName string
	State            string
	Fenced           bool
	Members          []memberView
	WheelCount       int     // wheel entries held
	WheelIDs         []int64 // nil when /cluster gives only a count
	CheckActors      int     // check activations held
	CheckActorIDs    []int64 // nil when /cluster gives only a count
	Raw              map[string]any
}

type memberView struct {
	ID, Name, State string
	Placed, StoreOK bool
}

func (v clusterView) activeMembers() int {
	n := 0
	for _, m := range v.Members {
		if m.State == "active" && m.Placed {
			n++
		}
	}
	return n
}

func (v clusterView) summary() string {
	var ms []string
	for _, m := range v.Members {
		ms = append(ms, fmt.Sprintf("%s/%s:%s placed=%v store_ok=%v", m.Name, short(m.ID), m.State, m.Placed, m.StoreOK))
	}
	return fmt.Sprintf("self=%s/%s state=%s fenced=%v wheel=%d check_actors=%d members=[%s]",
		v.SelfName, short(v.SelfID), v.State, v.Fenced, v.WheelCount, v.CheckActors, strings.Join(ms, " "))
}

func short(id string) string {
	if len(id) > 6 {
		return id[:6]
	}
	return id
}

// clusterView fetches and parses /cluster from the internal listener.
func (n *node) clusterView() (clusterView, error) {
	cl := &http.Client{Timeout: 2 * time.Second}
	resp, err := cl.Get(n.InternalURL + "/cluster")
	if err != nil {
		return clusterView{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return clusterView{}, fmt.Errorf("/cluster: %d %s", resp.StatusCode, b)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return clusterView{}, fmt.Errorf("/cluster: %w", err)
	}
	return parseClusterView(raw), nil
}

// field looks a key up case-insensitively and ignoring underscores.
func field(m map[string]any, names ...string) (any, bool) {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	for _, name := range names {
		for k, v := range m {
			if norm(k) == norm(name) {
				return v, true
			}
		}
	}
	return nil, false
}

func str(m map[string]any, names ...string) string {
	v, _ := field(m, names...)
	s, _ := v.(string)
	return s
}

func boolean(m map[string]any, names ...string) bool {
	v, _ := field(m, names...)
	b, _ := v.(bool)
	return b
}

// countOrIDs reads a number, a list of ids (numbers, "check/N" strings or objects with an
// id), or an object holding one of those.
func countOrIDs(v any) (int, []int64) {
	switch x := v.(type) {
	case float64:
		return int(x), nil
	case []any:
		ids := make([]int64, 0, len(x))
		for _, e := range x {
			if id, ok := idOf(e); ok {
				ids = append(ids, id)
			}
		}
		return len(x), ids
	case map[string]any:
		if l, ok := field(x, "ids", "entries", "checks", "list"); ok {
			if _, ids := countOrIDs(l); ids != nil {
				return len(ids), ids
			}
		}
		if cnt, ok := field(x, "active", "count", "len", "entries", "total"); ok {
			if f, ok := cnt.(float64); ok {
				return int(f), nil
			}
		}
	}
	return -1, nil
}

func idOf(e any) (int64, bool) {
	switch x := e.(type) {
	case float64:
		return int64(x), true
	case string:
		s := strings.TrimPrefix(x, "check/")
		id, err := strconv.ParseInt(s, 10, 64)
		return id, err == nil
	case map[string]any:
		if v, ok := field(x, "check_id", "id", "identity"); ok {
			return idOf(v)
		}
	}
	return 0, false
}

func parseClusterView(raw map[string]any) clusterView {
	v := clusterView{Raw: raw, WheelCount: -1, CheckActors: -1}
	if self, ok := field(raw, "self"); ok {
		if m, ok := self.(map[string]any); ok {
			v.SelfID, v.SelfName = str(m, "id", "node_id"), str(m, "name", "node_name")
		}
	}
	v.State = str(raw, "state")
	v.Fenced = boolean(raw, "fenced")
	if ms, ok := field(raw, "members"); ok {
		if list, ok := ms.([]any); ok {
			for _, e := range list {
				m, ok := e.(map[string]any)
				if !ok {
					continue
				}
				mv := memberView{ID: str(m, "id", "node_id"), Name: str(m, "name", "node_name"), State: str(m, "state"),
					StoreOK: boolean(m, "store_ok")}
				if p, ok := field(m, "placed"); ok {
					mv.Placed, _ = p.(bool)
				} else {
					mv.Placed = mv.State == "active"
				}
				v.Members = append(v.Members, mv)
			}
		}
	}
	if w, ok := field(raw, "wheel", "wheel_entries", "deadlines"); ok {
		v.WheelCount, v.WheelIDs = countOrIDs(w)
	}
	if a, ok := field(raw, "actors", "activations"); ok {
		if m, ok := a.(map[string]any); ok {
			if ch, ok := field(m, "check", "checks"); ok {
				v.CheckActors, v.CheckActorIDs = countOrIDs(ch)
			}
		}
	}
	return v
}

// metrics reads the node's /metrics: unlabelled series by name, labelled ones by their full
// name{labels}.
func (n *node) metrics() (map[string]float64, error) {
	cl := &http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get(n.InternalURL + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		f, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = f
	}
	return out, sc.Err()
}

// forceGC makes the node collect garbage: the heap profile handler runs runtime.GC first
// when asked with gc=1.
func (n *node) forceGC() error {
	cl := &http.Client{Timeout: 30 * time.Second}
	resp, err := cl.Get(n.InternalURL + "/debug/pprof/heap?gc=1")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("/debug/pprof/heap?gc=1: %d", resp.StatusCode)
	}
	return nil
}
