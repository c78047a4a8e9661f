package main_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/waittest"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// limitedReceiver accepts `perSecond` requests in each wall-clock second and answers 429
// with Retry-After: 1 beyond; it records every accepted Idempotency-Key and every answer.
type limitedReceiver struct {
	*httptest.Server
	mu        sync.Mutex
	second    int64
	inSecond  int
	perSecond int
	keys      map[string]int
	answers   []answer
}

type answer struct {
	at     time.Time
	status int
}

func newLimitedReceiver(t *testing.T, perSecond int) *limitedReceiver {
	r := &limitedReceiver{perSecond: perSecond, keys: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		r.mu.Lock()
		defer r.mu.Unlock()
		if s := now.Unix(); s != r.second {
			r.second, r.inSecond = s, 0
		}
		r.inSecond++
		if r.inSecond > r.perSecond {
			r.answers = append(r.answers, answer{now, 429})
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		r.answers = append(r.answers, answer{now, 200})
		r.keys[req.Header.Get("Idempotency-Key")]++
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *limitedReceiver) snapshot() (map[string]int, []answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make(map[string]int, len(r.keys))
	for k, v := range r.keys {
		keys[k] = v
	}
	return keys, append([]answer(nil), r.answers...)
}

// downChecks creates n checks (interval 1 s, grace 1 s) alerting url, pings each once, and
// returns their ids: all of them go down about 2 s later.
func downChecks(t *testing.T, d *daemon, u user, n int, url string) []int64 {
	t.Helper()
	ids := make([]int64, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c := d.createCheck(u.AuthKey, map[string]any{"slug": fmt.Sprintf("c%d", i), "interval_seconds": 1, "grace_seconds": 1})
			ids[i] = c.ID
			if code := d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", c.ID),
				map[string]any{"webhook_url": url, "webhook_enabled": true}, nil); code != 200 {
				t.Errorf("set webhook: %d", code)
			}
		}(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if code, _, _ := d.ping("GET", fmt.Sprintf("/p/%s/c%d", u.UserSlug, i), ""); code != 200 {
				t.Errorf("ping: %d", code)
			}
		}(i)
	}
	wg.Wait()
	return ids
}

// TestRateLimitedReceiverFindsTheLimit: 200 checks go down at once, all alerting one
// receiver that takes 5 requests/s; the limiter starts at 2 rps and must find the limit.
func TestRateLimitedReceiverFindsTheLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("90 s scenario")
	}
	rcv := newLimitedReceiver(t, 5)
	d := startDaemonEnv(t, "", []string{"TTR_RC_START_RPS=2", "TTR_RC_AI_STEP=0.5", "TTR_RC_MAX_RPS=20"})
	u := d.newUser()
	const n = 200
	start := time.Now()
	downChecks(t, d, u, n, rcv.URL+"/limited")
	waittest.Until(t, 95*time.Second, "every alert delivered", func() bool {
		keys, _ := rcv.snapshot()
		return len(keys) >= n
	})
	took := time.Since(start)
	keys, answers := rcv.snapshot()
	for k, c := range keys {
		if !strings.HasPrefix(k, "down:") || c != 1 {
			t.Errorf("key %q arrived %d times", k, c)
		}
	}
	var late, limited int
	for _, a := range answers {
		if a.at.Sub(start) > 20*time.Second {
			late++
			if a.status == 429 {
				limited++
			}
		}
	}
	share := 0.0
	if late > 0 {
		share = float64(limited) / float64(late)
	}
	t.Logf("%d alerts delivered in %v; %d requests after the first 20 s, %.1f%% answered 429", len(keys), took.Round(time.Second), late, 100*share)
	if took > 90*time.Second {
		t.Errorf("took %v, want ≤ 90 s", took)
	}
	if share > 0.20 {
		t.Errorf("%.1f%% of requests after 20 s got a 429, want ≤ 20%%", 100*share)
	}
}

// TestKillMidBacklog: SIGKILL while a backlog waits for a slow receiver, then a restart:
// nothing is lost, and a key repeats only for the request in flight at the kill.
func TestKillMidBacklog(t *testing.T) {
	rcv := newLimitedReceiver(t, 3)
	dir := t.TempDir()
	d := startDaemonEnv(t, dir, []string{"TTR_RC_START_RPS=2", "TTR_RC_MAX_RPS=3"})
	u := d.newUser()
	const n = 40
	downChecks(t, d, u, n, rcv.URL+"/backlog")
	waittest.Until(t, 20*time.Second, "some alerts delivered", func() bool {
		keys, _ := rcv.snapshot()
		return len(keys) >= 5
	})
	d.kill()
	d.start()
	waittest.Until(t, 60*time.Second, "the whole backlog delivered after restart", func() bool {
		keys, _ := rcv.snapshot()
		return len(keys) >= n
	})
	keys, _ := rcv.snapshot()
	repeats := 0
	for _, c := range keys {
		repeats += c - 1
	}
	if len(keys) != n || repeats > 1 {
		t.Fatalf("%d distinct keys (want %d), %d repeats (want ≤ 1: the send in flight)", len(keys), n, repeats)
	}
}

// TestDownThenUpArriveInOrder: a down alert followed quickly by an up alert reach the
// receiver in that order.
func TestDownThenUpArriveInOrder(t *testing.T) {
	rcv := newReceiver(t)
	d := startDaemon(t, "")
	u := d.newUser()
	c := d.createCheck(u.AuthKey, map[string]any{"slug": "job", "interval_seconds": 3600})
	d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", c.ID), map[string]any{"webhook_url": rcv.URL, "webhook_enabled": true}, nil)
	for i := 0; i < 3; i++ {
		d.ping("GET", "/p/"+u.UserSlug+"/job/fail", "")
		d.ping("GET", "/p/"+u.UserSlug+"/job", "")
	}
	waittest.Until(t, 15*time.Second, "6 alerts", func() bool { return len(rcv.deliveries()) >= 6 })
	for i, dl := range rcv.deliveries()[:6] {
		want := "down:"
		if i%2 == 1 {
			want = "up:"
		}
		if !strings.HasPrefix(dl.Key, want) {
			t.Fatalf("delivery %d is %q, want %s…; order: %v", i, dl.Key, want, keysOf(rcv.deliveries()))
		}
	}
}

func keysOf(ds []delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Key)
	}
	return out
}

// TestFlappingSuppressesThenReports: six changes within the window pause alerts, one
// flapping notice goes out, and when suppression ends the final state is reported.
func TestFlappingSuppressesThenReports(t *testing.T) {
	rcv := newReceiver(t)
	d := startDaemonEnv(t, "", []string{"TTR_FLAP_SUPPRESS=4s"})
	u := d.newUser()
	c := d.createCheck(u.AuthKey, map[string]any{"slug": "flappy", "interval_seconds": 3600})
	d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", c.ID), map[string]any{"webhook_url": rcv.URL, "webhook_enabled": true}, nil)
	d.ping("GET", "/p/"+u.UserSlug+"/flappy", "")
	for i := 0; i < 5; i++ {
		d.ping("GET", "/p/"+u.UserSlug+"/flappy/fail", "")
		d.ping("GET", "/p/"+u.UserSlug+"/flappy", "")
	}
	d.ping("GET", "/p/"+u.UserSlug+"/flappy/fail", "") // ends down
	waittest.Until(t, 20*time.Second, "flap end reported", func() bool {
		for _, dl := range rcv.deliveries() {
			if strings.HasPrefix(dl.Key, "flap-end:") {
				return true
			}
		}
		return false
	})
	time.Sleep(time.Second)
	ds := rcv.deliveries()
	var starts, ends, downs, ups int
	for _, dl := range ds {
		switch {
		case strings.HasPrefix(dl.Key, "flap-start:"):
			starts++
		case strings.HasPrefix(dl.Key, "flap-end:"):
			ends++
		case strings.HasPrefix(dl.Key, "down:"):
			downs++
		case strings.HasPrefix(dl.Key, "up:"):
			ups++
		}
	}
	if starts != 1 || ends != 1 {
		t.Fatalf("flap notices start=%d end=%d, want 1 each; got %v", starts, ends, keysOf(ds))
	}
	// Before suppression: at most the first few changes alerted; the final state (down) must be
	// the last state reported.
	if downs+ups >= 11 {
		t.Fatalf("%d up/down alerts for 11 changes: nothing was suppressed (%v)", downs+ups, keysOf(ds))
	}
	last := ""
	for _, dl := range ds {
		if s, _ := dl.Payload["status"].(string); s == "up" || s == "down" {
			last = s
		}
	}
	if last != "down" {
		t.Fatalf("last reported state %q, want down; %v", last, keysOf(ds))
	}
}

// TestSecretsAtRestAndRotation: the database holds no plaintext secret; after `ttrd secrets
// rotate` with a new first key and the old key then removed, the channel still delivers.
func TestSecretsAtRestAndRotation(t *testing.T) {
	rcv := newReceiver(t)
	dir := t.TempDir()
	oldKey, newKey := keyring.NewKey(), keyring.NewKey()
	secret := "0123456789abcdef0123456789abcdef-rotation"
	d := startDaemonEnv(t, dir, []string{"TTR_ENCRYPTION_KEYS=k1:" + oldKey, "TTR_SECRET_KEY=" + secret})
	u := d.newUser()
	c := d.createCheck(u.AuthKey, map[string]any{"slug": "job", "interval_seconds": 3600})
	hook := rcv.URL + "/secret-path-" + strings.Repeat("z", 12)
	d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", c.ID), map[string]any{"webhook_url": hook, "webhook_enabled": true}, nil)
	d.ping("GET", "/p/"+u.UserSlug+"/job/fail", "")
	waittest.Until(t, 10*time.Second, "down alert", func() bool { return len(rcv.deliveries()) >= 1 })
	d.stop()
	for _, name := range []string{"ttr.db", "ttr.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		for _, plain := range []string{"secret-path-", u.PingKey, u.AuthKey} {
			if strings.Contains(string(b), plain) {
				t.Fatalf("%s contains a plaintext secret (%q…)", name, plain[:8])
			}
		}
	}
	rotate := runTTRD(t, []string{"secrets", "rotate", "--data-dir", dir},
		[]string{"TTR_ENCRYPTION_KEYS=k2:" + newKey + ",k1:" + oldKey, "TTR_SECRET_KEY=" + secret})
	if !strings.Contains(rotate, "re-sealed") {
		t.Fatalf("secrets rotate said: %s", rotate)
	}
	d.env = append(os.Environ(), "TTR_ENCRYPTION_KEYS=k2:"+newKey, "TTR_SECRET_KEY="+secret)
	d.start()
	d.ping("GET", "/p/"+u.UserSlug+"/job", "")
	waittest.Until(t, 10*time.Second, "up alert after rotation", func() bool { return len(rcv.deliveries()) >= 2 })
	if k := rcv.deliveries()[1].Key; !strings.HasPrefix(k, "up:") {
		t.Fatalf("after rotation got %q", k)
	}
	// The ping key still resolves (its index was recomputed).
	if code, _, _ := d.ping("GET", "/ping/"+u.PingKey+"/job", ""); code != 200 {
		t.Fatalf("ping-key URL after rotation: %d", code)
	}
}

// TestBlackholedReceiverDoesNotDelayOthers: one destination that never answers does not
// hold up another destination's alerts.
func TestBlackholedReceiverDoesNotDelayOthers(t *testing.T) {
	var stuck atomic.Int32
	released := make(chan struct{})
	hole := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stuck.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client going away
		select {
		case <-r.Context().Done():
		case <-released:
		}
	}))
	t.Cleanup(hole.Close)
	t.Cleanup(func() { close(released) })
	rcv := newReceiver(t)
	d := startDaemon(t, "")
	u := d.newUser()
	a := d.createCheck(u.AuthKey, map[string]any{"slug": "a", "interval_seconds": 3600})
	b := d.createCheck(u.AuthKey, map[string]any{"slug": "b", "interval_seconds": 3600})
	d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", a.ID), map[string]any{"webhook_url": hole.URL, "webhook_enabled": true}, nil)
	d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", b.ID), map[string]any{"webhook_url": rcv.URL, "webhook_enabled": true}, nil)
	d.ping("GET", "/p/"+u.UserSlug+"/a/fail", "")
	waittest.Until(t, 5*time.Second, "the black hole holds a request", func() bool { return stuck.Load() > 0 })
	start := time.Now()
	d.ping("GET", "/p/"+u.UserSlug+"/b/fail", "")
	waittest.Until(t, 5*time.Second, "the other destination's alert", func() bool { return len(rcv.deliveries()) >= 1 })
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the other destination waited %v", took)
	}
}

// startDaemonEnv is startDaemon with extra environment variables.
func startDaemonEnv(t *testing.T, dataDir string, env []string, extra ...string) *daemon {
	t.Helper()
	return newDaemon(t, dataDir, env, extra)
}
