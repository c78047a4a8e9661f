package main_test

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/messages/waittest"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// scrape returns the samples of the internal listener's /metrics whose name (with labels,
// as written: `ttr_checks{status="up"}`) starts with prefix.
func scrape(t *testing.T, internal, prefix string) map[string]float64 {
	t.Helper()
	resp, err := httpClient.Get("http://" + internal + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// counts reads ttr_checks by status and ttr_outbox_depth.
func counts(t *testing.T, internal string) (map[string]int, int) {
	t.Helper()
	byStatus := map[string]int{}
	for name, v := range scrape(t, internal, "ttr_checks{") {
		byStatus[strings.TrimSuffix(strings.TrimPrefix(name, `ttr_checks{status="`), `"}`)] = int(v)
	}
	depth, ok := scrape(t, internal, "ttr_outbox_depth")["ttr_outbox_depth"]
	if !ok || len(byStatus) != 4 {
		t.Fatalf("/metrics lacks ttr_outbox_depth or a status of ttr_checks: %v", byStatus)
	}
	return byStatus, int(depth)
}

// waitCounts waits until the gauges read want (new, up, down, paused) and depth.
func waitCounts(t *testing.T, internal, step string, want [4]int, depth int) {
	t.Helper()
	var (
		got [4]int
		dep int
	)
	waittest.UntilWhy(t, 15*time.Second, fmt.Sprintf("%s: ttr_checks new/up/down/paused = %v and ttr_outbox_depth = %d", step, want, depth), func() (bool, string) {
		m, d := counts(t, internal)
		got, dep = [4]int{m["new"], m["up"], m["down"], m["paused"]}, d
		return got == want && dep == depth, fmt.Sprintf("got %v and %d", got, dep)
	})
}

// TestCountSeries: ttr_checks and ttr_outbox_depth follow a scripted sequence of creations,
// pings, a deadline missed, a pause, deletions and an alert held by a down receiver, then
// delivered; after a restart they are seeded from the store with the same values.
func TestCountSeries(t *testing.T) {
	internal := freeport.Addr(t)
	rcv := newReceiver(t)
	rcv.setStatus(503) // the receiver is down: alerts stay pending
	d := startDaemon(t, "", "--internal-addr", internal)
	u := d.newUser()
	waitCounts(t, internal, "no checks", [4]int{0, 0, 0, 0}, 0)

	ids := map[string]int64{}
	for _, slug := range []string{"a", "b", "c", "e", "f"} {
		ids[slug] = d.createCheck(u.AuthKey, map[string]any{"slug": slug}).ID
	}
	// d misses its deadline one second after its ping, and alerts the receiver.
	ids["d"] = d.createCheck(u.AuthKey, map[string]any{"slug": "d", "interval_seconds": 1, "grace_seconds": 1}).ID
	if code := d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", ids["d"]),
		map[string]any{"webhook_url": rcv.URL, "webhook_enabled": true}, nil); code != 200 {
		t.Fatalf("set webhook: %d", code)
	}
	waitCounts(t, internal, "six new checks", [4]int{6, 0, 0, 0}, 0)

	for _, slug := range []string{"a", "b", "c"} {
		if code, _, _ := d.ping("GET", "/p/"+u.UserSlug+"/"+slug, ""); code != 200 {
			t.Fatalf("ping %s: %d", slug, code)
		}
	}
	waitCounts(t, internal, "three pinged", [4]int{3, 3, 0, 0}, 0)

	if code, _, _ := d.ping("GET", "/p/"+u.UserSlug+"/d", ""); code != 200 {
		t.Fatalf("ping d: %d", code)
	}
	waitCounts(t, internal, "d down, its alert pending", [4]int{2, 3, 1, 0}, 1)

	if code := d.api(u.AuthKey, "POST", fmt.Sprintf("/api/v1/checks/%d/pause", ids["e"]), nil, nil); code != 200 {
		t.Fatalf("pause: %d", code)
	}
	for _, slug := range []string{"f", "b"} {
		if code := d.api(u.AuthKey, "DELETE", fmt.Sprintf("/api/v1/checks/%d", ids[slug]), nil, nil); code != 200 && code != 204 {
			t.Fatalf("delete %s: %d", slug, code)
		}
	}
	waitCounts(t, internal, "e paused, f and b deleted", [4]int{0, 2, 1, 1}, 1)

	rcv.setStatus(200)
	waittest.Until(t, 15*time.Second, "the down alert delivered", func() bool { return len(rcv.deliveries()) >= 1 })
	waitCounts(t, internal, "the alert delivered", [4]int{0, 2, 1, 1}, 0)

	// d comes back up (and would go down again a second later: pause it).
	if code, _, _ := d.ping("GET", "/p/"+u.UserSlug+"/d", ""); code != 200 {
		t.Fatalf("ping d: %d", code)
	}
	if code := d.api(u.AuthKey, "POST", fmt.Sprintf("/api/v1/checks/%d/pause", ids["d"]), nil, nil); code != 200 {
		t.Fatalf("pause d: %d", code)
	}
	waittest.Until(t, 15*time.Second, "the up alert delivered", func() bool { return len(rcv.deliveries()) >= 2 })
	waitCounts(t, internal, "d up, then paused", [4]int{0, 2, 0, 2}, 0)

	// A restart counts from the store: the same values.
	d.restart()
	waitCounts(t, internal, "after a restart", [4]int{0, 2, 0, 2}, 0)
}

// TestCountSeriesHandover: in a cluster each node counts only the checks it owns. When a
// second node joins, the checks that move to it are counted there and no longer on the
// first (no check counted twice, none lost); when it leaves, the first counts them again.
func TestCountSeriesHandover(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	env := append(os.Environ(), "TTR_ENCRYPTION_KEYS=k1:"+keyring.NewKey(), "TTR_SECRET_KEY="+keyring.NewKey())
	gossip := []string{freeport.Addr(t), freeport.Addr(t)}
	internal := []string{freeport.Addr(t), freeport.Addr(t)}
	node := func(i int) *daemon {
		addr := freeport.Addr(t)
		args := []string{"--http-addr", addr, "--database-url", dbURL, "--remote-addr", freeport.Addr(t),
			"--gossip-addr", gossip[i], "--cluster-name", "census-e2e", "--node-name", fmt.Sprintf("n%d", i+1),
			"--internal-addr", internal[i], "--gossip-probe-interval", "500ms", "--gossip-probe-timeout", "300ms",
			"--log-level", "info", "--log-format", "text"}
		if i > 0 {
			args = append(args, "--join", gossip[0])
		}
		d := &daemon{t: t, addr: addr, URL: "http://" + addr, env: env, args: append(args, harnessLimits()...)}
		d.start()
		t.Cleanup(d.kill)
		return d
	}
	const n = 16
	a := node(0)
	u := a.newUser()
	var ids []int64
	for i := range n {
		ids = append(ids, a.createCheck(u.AuthKey, map[string]any{"slug": fmt.Sprintf("c%d", i)}).ID)
		if code, _, _ := a.ping("GET", fmt.Sprintf("/p/%s/c%d", u.UserSlug, i), ""); code != 200 {
			t.Fatalf("ping c%d: %d", i, code)
		}
	}
	waitCounts(t, internal[0], "one node owns every check", [4]int{0, n, 0, 0}, 0)

	b := node(1)
	// owners counts the checks each node owns, as the API reports it.
	owners := func() map[string]int {
		out := map[string]int{}
		for _, id := range ids {
			var c struct {
				Owner string `json:"owner_node"`
			}
			if code := b.api(u.AuthKey, "GET", fmt.Sprintf("/api/v1/checks/%d", id), nil, &c); code != 200 {
				t.Fatalf("GET check %d: %d", id, code)
			}
			out[c.Owner]++
		}
		return out
	}
	up := func(i int) int { m, _ := counts(t, internal[i]); return m["up"] }
	var own map[string]int
	waittest.Until(t, 30*time.Second, "the checks split between the nodes and counted where they are owned", func() bool {
		own = owners()
		return own["n1"] > 0 && own["n2"] > 0 && own["n1"]+own["n2"] == n && up(0) == own["n1"] && up(1) == own["n2"]
	})
	// Settled: it stays so, and the pings the second node routes change nothing.
	for i := range n {
		if code, _, _ := b.ping("GET", fmt.Sprintf("/p/%s/c%d", u.UserSlug, i), ""); code != 200 {
			t.Fatalf("ping c%d through n2: %d", i, code)
		}
	}
	for range 10 {
		if u0, u1 := up(0), up(1); u0+u1 != n || u0 != own["n1"] {
			t.Fatalf("after the handover: n1 counts %d up, n2 %d; owners %v", u0, u1, own)
		}
		time.Sleep(100 * time.Millisecond)
	}

	b.stop()
	waitCounts(t, internal[0], "the second node left: the first owns every check again", [4]int{0, n, 0, 0}, 0)
}
