package main_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// TestDownWithinASecondAndAlerts walks the core loop on the real binary: a check with a 2 s
// interval and 1 s grace stops pinging, goes down within 1 s of its deadline, a webhook
// receives the down alert with an Idempotency-Key, and a ping brings it up with an up alert.
func TestDownWithinASecondAndAlerts(t *testing.T) {
	internal := freeport.Addr(t)
	d := startDaemon(t, "", "--internal-addr", internal)
	rcv := newReceiver(t)
	u := d.newUser()
	c := d.createCheck(u.AuthKey, map[string]any{"name": "backup", "slug": "backup", "interval_seconds": 2, "grace_seconds": 1})
	if c.Status != "new" {
		t.Fatalf("new check status %q", c.Status)
	}
	if code := d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", c.ID),
		map[string]any{"webhook_url": rcv.URL + "/hook", "webhook_enabled": true}, nil); code != 200 {
		t.Fatalf("set webhook: %d", code)
	}
	code, body, hdr := d.ping("GET", "/p/"+u.UserSlug+"/backup", "")
	if code != 200 || body != "OK" || hdr.Get("Ping-Body-Limit") != "10000" {
		t.Fatalf("ping: %d %q limit=%q", code, body, hdr.Get("Ping-Body-Limit"))
	}
	c = d.getCheck(u.AuthKey, c.ID)
	if c.Status != "up" || c.NextDeadline == nil {
		t.Fatalf("after ping: status %q deadline %v", c.Status, c.NextDeadline)
	}
	deadline := *c.NextDeadline
	if got := deadline.Sub(*c.LastPing); got != 3*time.Second {
		t.Fatalf("deadline is %v after the ping, want interval+grace = 3s", got)
	}
	waittest.Until(t, 10*time.Second, "check down", func() bool { return d.getCheck(u.AuthKey, c.ID).Status == "down" })
	if late := time.Since(deadline); late > 1500*time.Millisecond {
		// The poll above adds up to one request of delay; the flip time is checked exactly below.
		t.Errorf("down observed %v after the deadline", late)
	}
	flips := d.flips(u.AuthKey, c.ID)
	if len(flips) == 0 || flips[0].To != "down" {
		t.Fatalf("flips: %+v", flips)
	}
	if !flips[0].At.Equal(deadline) {
		t.Errorf("down flip at %v, want the deadline %v", flips[0].At, deadline)
	}
	// The lag from the deadline to the flip's commit is what operators watch in production.
	m := scrapeMetrics(t, internal)
	if n := m["ttr_check_deadline_lag_seconds_count"]; n != 1 {
		t.Errorf("ttr_check_deadline_lag_seconds_count = %v, want 1 (one missed deadline)", n)
	}
	if lag := m["ttr_check_deadline_lag_seconds_sum"]; lag < 0 || lag > 1 {
		t.Errorf("deadline lag %v s, want within a second", lag)
	}
	if n := m["ttr_wheel_entries"]; n != 0 {
		t.Errorf("ttr_wheel_entries = %v after the down alert (no re-alert configured), want 0", n)
	}
	waittest.Until(t, 10*time.Second, "down alert", func() bool { return len(rcv.deliveries()) >= 1 })
	dl := rcv.deliveries()[0]
	if !strings.HasPrefix(dl.Key, "down:") || dl.Payload["status"] != "down" || dl.Payload["check_name"] != "backup" {
		t.Fatalf("down delivery: key %q payload %v", dl.Key, dl.Payload)
	}
	if msg, _ := dl.Payload["message"].(string); !strings.Contains(msg, "Check Failed: [backup]") {
		t.Fatalf("down message %q", msg)
	}

	if code, _, _ := d.ping("POST", "/ping/"+c.UUID, "all good"); code != 200 {
		t.Fatalf("hc ping: %d", code)
	}
	waittest.Until(t, 10*time.Second, "up alert", func() bool { return len(rcv.deliveries()) >= 2 })
	up := rcv.deliveries()[1]
	if !strings.HasPrefix(up.Key, "up:") || up.Payload["status"] != "up" || up.Key == dl.Key {
		t.Fatalf("up delivery: key %q payload %v", up.Key, up.Payload)
	}
}

// TestRestartKeepsEverything: acknowledged pings, status and deadline survive SIGTERM and a
// restart; a check whose deadline passed while ttrd was down goes down on start, with the
// deadline as the flip time; an alert pending at shutdown is delivered after the restart.
func TestRestartKeepsEverything(t *testing.T) {
	d := startDaemon(t, "")
	rcv := newReceiver(t)
	u := d.newUser()
	long := d.createCheck(u.AuthKey, map[string]any{"slug": "long", "interval_seconds": 3600, "grace_seconds": 60})
	short := d.createCheck(u.AuthKey, map[string]any{"slug": "short", "interval_seconds": 1, "grace_seconds": 1})
	failing := d.createCheck(u.AuthKey, map[string]any{"slug": "failing", "interval_seconds": 3600, "grace_seconds": 60})
	if code := d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", failing.ID),
		map[string]any{"webhook_url": rcv.URL, "webhook_enabled": true}, nil); code != 200 {
		t.Fatalf("set webhook: %d", code)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _, _ := d.ping("POST", "/p/"+u.UserSlug+"/long", "run"); code != 200 {
				t.Errorf("ping: %d", code)
			}
		}()
	}
	wg.Wait()
	d.ping("GET", "/p/"+u.UserSlug+"/short", "")
	before := d.getCheck(u.AuthKey, long.ID)
	shortBefore := d.getCheck(u.AuthKey, short.ID)

	// The receiver refuses while the failing check alerts, so the alert is pending at shutdown.
	rcv.setStatus(503)
	d.ping("GET", "/p/"+u.UserSlug+"/failing/fail", "")
	time.Sleep(300 * time.Millisecond)
	d.stop()
	time.Sleep(2500 * time.Millisecond) // the short check's deadline passes while ttrd is down
	rcv.setStatus(200)
	d.start()

	after := d.getCheck(u.AuthKey, long.ID)
	if after.NPings != 50 || after.Status != "up" || !after.NextDeadline.Equal(*before.NextDeadline) || !after.LastPing.Equal(*before.LastPing) {
		t.Fatalf("after restart: %+v\nbefore: %+v", after, before)
	}
	waittest.Until(t, 5*time.Second, "short check down", func() bool { return d.getCheck(u.AuthKey, short.ID).Status == "down" })
	flips := d.flips(u.AuthKey, short.ID)
	if len(flips) == 0 || flips[0].To != "down" || !flips[0].At.Equal(*shortBefore.NextDeadline) {
		t.Fatalf("short check flips %+v, want down at its deadline %v", flips, shortBefore.NextDeadline)
	}
	waittest.Until(t, 15*time.Second, "pending alert delivered after restart", func() bool {
		for _, dl := range rcv.deliveries() {
			if strings.HasPrefix(dl.Key, "down:") {
				return true
			}
		}
		return false
	})
}

// TestPingAPIShapes checks every ping URL shape against one check, and the error replies.
func TestPingAPIShapes(t *testing.T) {
	d := startDaemon(t, "")
	u := d.newUser()
	c := d.createCheck(u.AuthKey, map[string]any{"slug": "job", "interval_seconds": 3600})
	ok := []struct{ method, path string }{
		{"GET", "/p/" + u.UserSlug + "/job"},
		{"HEAD", "/p/" + u.UserSlug + "/job/start"},
		{"POST", "/p/" + u.UserSlug + "/" + c.UUID + "/log"},
		{"GET", "/p/" + u.UserSlug + "/job/0"},
		{"GET", "/ping/" + c.UUID},
		{"POST", "/ping/" + c.UUID + "/fail"},
		{"GET", "/ping/" + u.PingKey + "/job"},
		{"GET", "/ping/" + u.PingKey + "/job/17"},
		{"GET", "/ping/" + c.UUID + "?rid=0b7d64b8-5f2e-4a53-9a7f-7d3f6b2f7c11"},
	}
	for _, p := range ok {
		if code, _, _ := d.ping(p.method, p.path, "x"); code != 200 {
			t.Errorf("%s %s = %d, want 200", p.method, p.path, code)
		}
	}
	bad := []struct {
		path string
		want int
	}{
		{"/p/" + u.UserSlug + "/nope", 404},
		{"/ping/00000000-0000-4000-8000-000000000000", 404},
		{"/p/" + u.UserSlug + "/job/256", 400},
		{"/p/" + u.UserSlug + "/job/007", 400},
		{"/p/" + u.UserSlug + "/job/bogus", 404},
		{"/ping/" + c.UUID + "?rid=not-a-uuid", 400},
		{"/p/" + u.UserSlug + "/new-one?create=1", 404},
	}
	for _, b := range bad {
		if code, _, _ := d.ping("GET", b.path, ""); code != b.want {
			t.Errorf("GET %s = %d, want %d", b.path, code, b.want)
		}
	}
	// create=1 on a ping-key URL provisions the check once, even when raced.
	var wg sync.WaitGroup
	codes := make(chan int, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, _ := d.ping("GET", "/ping/"+u.PingKey+"/auto-made?create=1", "")
			codes <- code
		}()
	}
	wg.Wait()
	close(codes)
	created := 0
	for code := range codes {
		switch code {
		case 201:
			created++
		case 200:
		default:
			t.Errorf("create=1 ping answered %d", code)
		}
	}
	if created != 1 {
		t.Errorf("%d pings reported creating the check, want 1", created)
	}
	var list struct {
		Items []checkJSON `json:"items"`
	}
	d.api(u.AuthKey, "GET", "/api/v1/checks?size=100", nil, &list)
	n := 0
	for _, it := range list.Items {
		if it.Slug == "auto-made" {
			n++
			if it.NPings != 10 {
				t.Errorf("auto-made check has %d pings, want 10", it.NPings)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d checks named auto-made, want 1", n)
	}
	// A large body is truncated to the limit and still counted.
	big := strings.Repeat("a", 50000)
	if code, _, _ := d.ping("POST", "/p/"+u.UserSlug+"/job", big); code != 200 {
		t.Errorf("large body ping = %d, want 200", code)
	}
	var pings []map[string]any
	var wrapped struct {
		Pings []map[string]any `json:"pings"`
	}
	d.api(u.AuthKey, "GET", fmt.Sprintf("/api/v1/checks/%d/pings", c.ID), nil, &wrapped)
	pings = wrapped.Pings
	if len(pings) == 0 {
		t.Fatal("no pings listed")
	}
	resp, err := http.DefaultClient.Do(mustReq(t, "GET", fmt.Sprintf("%s/api/v1/checks/%d/pings/%v/body", d.URL, c.ID, pings[0]["n"]), u.AuthKey))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != 10000 {
		t.Errorf("stored body is %d bytes, want the 10000-byte limit", resp.ContentLength)
	}
}

func mustReq(t *testing.T, method, url, key string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Auth-Key", key)
	return r
}

// TestBadInputNeverFails500 throws malformed requests at the real binary.
func TestBadInputNeverFails500(t *testing.T) {
	d := startDaemon(t, "")
	u := d.newUser()
	c := d.createCheck(u.AuthKey, map[string]any{"slug": "job"})
	cases := []struct {
		method, path, body string
		key                bool
		want               int
	}{
		{"GET", "/api/v1/checks", "", false, 401},
		{"POST", "/api/v1/checks", `{"name":`, true, 400},
		{"POST", "/api/v1/checks", `{"bogus":1}`, true, 400},
		{"POST", "/api/v1/checks", `{"interval_seconds":"soon"}`, true, 400},
		{"POST", "/api/v1/checks", `{"interval_seconds":0}`, true, 400},
		{"POST", "/api/v1/checks", `{"schedule_type":"cron","schedule":"0 0 30 2 *"}`, true, 400},
		{"POST", "/api/v1/checks", `{"schedule_type":"cron","schedule":"* * * * *","tz":"Mars/Olympus"}`, true, 400},
		{"POST", "/api/v1/checks", `{"slug":"job"}`, true, 409},
		{"POST", "/api/v1/checks", `{"slug":"start"}`, true, 400},
		{"POST", "/api/v1/checks", `{"slug":"12345"}`, true, 400},
		{"POST", "/api/v1/checks", `{"slug":"0b7d64b8-5f2e-4a53-9a7f-7d3f6b2f7c11"}`, true, 400},
		{"POST", "/api/v1/checks", `{"name":"` + strings.Repeat("x", 200000) + `"}`, true, 413},
		{"POST", "/api/v1/checks", `{"name":"a\u0000b"}`, true, 400},
		{"POST", "/api/v1/checks", `{"content_rule":{"type":"present","pattern":"\u0000"}}`, true, 400},
		{"GET", "/api/v1/checks?size=0", "", true, 400},
		{"GET", "/api/v1/checks?sort_by=evil", "", true, 400},
		{"GET", "/api/v1/checks?cursor=%%%", "", true, 400},
		{"GET", "/api/v1/checks/abc", "", true, 404},
		{"GET", "/api/v1/checks/999999", "", true, 404},
		{"PATCH", fmt.Sprintf("/api/v1/checks/%d", c.ID), `{"grace_seconds":-5}`, true, 400},
		{"PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", c.ID), `{"webhook_url":"ftp://x"}`, true, 400},
		{"POST", "/api/v1/schedule/preview", `{"schedule_type":"oncalendar","schedule":"Mon..Fri 25:00"}`, true, 400},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path[:min(len(tc.path), 40)], func(t *testing.T) {
			key := ""
			if tc.key {
				key = u.AuthKey
			}
			var out map[string]any
			code := d.api(key, tc.method, tc.path, tc.body, &out)
			if code != tc.want {
				t.Fatalf("got %d (%v), want %d", code, out, tc.want)
			}
			if code >= 400 {
				if detail, _ := out["detail"].(string); detail == "" {
					t.Fatalf("error without detail: %v", out)
				}
			}
		})
	}
	// Another user cannot see the check.
	other := d.newUser()
	if code := d.api(other.AuthKey, "GET", fmt.Sprintf("/api/v1/checks/%d", c.ID), nil, nil); code != 404 {
		t.Fatalf("other user's GET = %d, want 404", code)
	}
	if code := d.api(other.AuthKey, "POST", fmt.Sprintf("/api/v1/checks/%d/pause", c.ID), nil, nil); code != 404 {
		t.Fatalf("other user's pause = %d, want 404", code)
	}
}

// scrapeMetrics returns the unlabelled samples of the internal listener's /metrics.
func scrapeMetrics(t *testing.T, internal string) map[string]float64 {
	t.Helper()
	resp, err := httpClient.Get("http://" + internal + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out
}

// TestInternalListener: --internal-addr serves Prometheus metrics (pings, batches, HTTP) and
// pprof, and the public listener serves neither.
func TestInternalListener(t *testing.T) {
	internal := freeport.Addr(t)
	d := startDaemon(t, "", "--internal-addr", internal)
	u := d.newUser()
	d.createCheck(u.AuthKey, map[string]any{"slug": "job"})
	d.ping("GET", "/p/"+u.UserSlug+"/job", "")
	resp, err := httpClient.Get("http://" + internal + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"ttr_pings_total", "ttr_ping_duration_seconds", "ttr_store_batch_size",
		"ttr_store_commit_seconds", "ttr_http_requests_total", "go_goroutines"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if code, err := httpGet("http://" + internal + "/debug/pprof/"); err != nil || code != 200 {
		t.Errorf("/debug/pprof/ = %d %v", code, err)
	}
	for _, p := range []string{"/metrics", "/debug/pprof/"} {
		if code, _ := httpGet(d.URL + p); code == 200 {
			t.Errorf("public listener serves %s", p)
		}
	}
}

// TestInternalListenerToken: with --internal-token every path of the internal listener
// refuses a request without the bearer token, and an internal listener off loopback without
// a token does not start at all.
func TestInternalListenerToken(t *testing.T) {
	internal := freeport.Addr(t)
	const token = "internal-token-for-the-test-0123"
	d := startDaemon(t, "", "--internal-addr", internal, "--internal-token", token)
	for _, p := range []string{"/metrics", "/debug/pprof/", "/cluster"} {
		if code, err := httpGet("http://" + internal + p); err != nil || code != 401 {
			t.Errorf("%s without a token = %d %v, want 401", p, code, err)
		}
		req, _ := http.NewRequest("GET", "http://"+internal+p, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s with the token = %d", p, resp.StatusCode)
		}
	}
	_ = d
	out, err := exec.Command(binPath, "--http-addr", freeport.Addr(t), "--data-dir", t.TempDir(),
		"--internal-addr", "0.0.0.0:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--internal-token") {
		t.Fatalf("an internal listener on 0.0.0.0 without a token started or did not say why: %v\n%s", err, out)
	}
}

// TestStartupChecksListEveryProblem: a PostgreSQL node with a weak secret and a placeholder
// key ring refuses to start, naming both problems, and never prints the secret.
func TestStartupChecksListEveryProblem(t *testing.T) {
	cmd := exec.Command(binPath, "--http-addr", "0.0.0.0:0", "--database-url", "postgres://u:pw@127.0.0.1:1/x")
	cmd.Env = append(os.Environ(), "TTR_ENCRYPTION_KEYS=k1:CHANGE_ME", "TTR_SECRET_KEY=tooshort-tooshort")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("started with a weak secret")
	}
	for _, want := range []string{"TTR_SECRET_KEY: is weak", "TTR_ENCRYPTION_KEYS: holds a placeholder"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "tooshort") || strings.Contains(string(out), ":pw@") {
		t.Errorf("a secret reached the output:\n%s", out)
	}
}

// TestPortTakenStopsTheStart: when --internal-addr is already taken, ttrd says which port
// and exits before its actor system starts: the HTTP ports are claimed first, so nothing
// joins a cluster only to leave it, and a remote on port 0 is never handed one of them.
func TestPortTakenStopsTheStart(t *testing.T) {
	held, err := net.Listen("tcp", freeport.Addr(t))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	out, err := exec.Command(binPath, "--http-addr", freeport.Addr(t), "--data-dir", t.TempDir(),
		"--internal-addr", held.Addr().String(), "--log-format", "text").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "listen on --internal-addr") {
		t.Fatalf("ttrd started on a taken --internal-addr or did not name it: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "cluster node started") {
		t.Errorf("the actor system started before the ports were claimed:\n%s", out)
	}
}
