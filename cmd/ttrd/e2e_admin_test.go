package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/messages/waittest"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// adminRun runs `ttrd admin …` with env and stdin and returns its output and exit code.
func adminRun(t *testing.T, stdin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"admin"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatal(err)
	}
	return string(out), 0
}

// adminSignIn posts a form sign-in and returns the status and access token.
func adminSignIn(t *testing.T, base, username, password string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(base+"/api/v1/token", url.Values{"username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.AccessToken
}

// bearerGet GETs path with a bearer token and returns the status and body.
func bearerGet(t *testing.T, base, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAdminCommands: the admin commands work on the embedded store while the server runs,
// and the server honours each change at once: create, sign in, metrics token (scrapes
// /metrics, opens nothing else, revocable), passwd (from stdin), delete; failed sign-ins
// reach the per-IP 429.
func TestAdminCommands(t *testing.T) {
	d := startDaemon(t, "", "--limit-auth-fail", "5")
	store := []string{"--data-dir", d.dataDir}
	pw := []string{"TTR_ADMIN_PASSWORD=first password 123"}

	if out, code := adminRun(t, "", []string{"TTR_ADMIN_PASSWORD=short"}, append([]string{"create", "--username", "root"}, store...)...); code == 0 {
		t.Fatalf("a short password was accepted: %s", out)
	}
	if out, code := adminRun(t, "", pw, append([]string{"create", "--username", "root"}, store...)...); code != 0 || !strings.Contains(out, "admin root created") {
		t.Fatalf("create: %d %s", code, out)
	}
	if out, code := adminRun(t, "", pw, append([]string{"create", "--username", "root"}, store...)...); code == 0 {
		t.Fatalf("a second admin root was created: %s", out)
	}
	if out, code := adminRun(t, "", nil, "create", "--username", "bad name"); code != 2 {
		t.Fatalf("a username with a space: %d %s, want usage (2)", code, out)
	}
	code, access := adminSignIn(t, d.URL, "root", "first password 123")
	if code != 200 || access == "" {
		t.Fatalf("sign-in after create: %d", code)
	}
	if code, body := bearerGet(t, d.URL, "/api/v1/admin/stats", access); code != 200 || !strings.Contains(body, `"nodes_online":1`) {
		t.Fatalf("admin stats: %d %s", code, body)
	}

	out, code := adminRun(t, "", nil, append([]string{"token", "--metrics", "--name", "prometheus"}, store...)...)
	token := strings.SplitN(out, "\n", 2)[0]
	if code != 0 || !strings.HasPrefix(token, "ttr_mx_") {
		t.Fatalf("token --metrics: %d %s", code, out)
	}
	if code, body := bearerGet(t, d.URL, "/metrics", token); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("scrape with the metrics token: %d %.200s", code, body)
	}
	for _, p := range []string{"/api/v1/admin/stats", "/api/v1/admin/users", "/api/v1/checks", "/api/v1/metrics/summary"} {
		if code, _ := bearerGet(t, d.URL, p, token); code != 401 {
			t.Errorf("%s with the metrics token: %d, want 401", p, code)
		}
	}
	if out, code := adminRun(t, "", nil, append([]string{"list"}, store...)...); code != 0 || !strings.Contains(out, "root") || !strings.Contains(out, "prometheus") {
		t.Errorf("list: %d %s", code, out)
	}
	if out, code := adminRun(t, "", nil, append([]string{"token", "--revoke", "1"}, store...)...); code != 0 {
		t.Fatalf("token --revoke: %d %s", code, out)
	}
	if code, _ := bearerGet(t, d.URL, "/metrics", token); code != 401 {
		t.Errorf("a revoked metrics token: %d, want 401", code)
	}

	// A new password from stdin; the old one no longer signs in.
	if out, code := adminRun(t, "second password 456\n", nil, append([]string{"passwd", "--username", "root"}, store...)...); code != 0 {
		t.Fatalf("passwd: %d %s", code, out)
	}
	if code, _ := adminSignIn(t, d.URL, "root", "first password 123"); code != 401 {
		t.Errorf("the old password: %d, want 401", code)
	}
	if code, _ := adminSignIn(t, d.URL, "root", "second password 456"); code != 200 {
		t.Errorf("the new password: %d, want 200", code)
	}
	if out, code := adminRun(t, "", nil, append([]string{"delete", "--username", "root"}, store...)...); code != 0 {
		t.Fatalf("delete: %d %s", code, out)
	}
	if code, _ := bearerGet(t, d.URL, "/api/v1/admin/stats", access); code != 401 {
		t.Errorf("a deleted admin's access token: %d, want 401", code)
	}
	// Every refused credential above counted against 127.0.0.1's allowance of 5 a minute
	// (the old password, the metrics token where it opens nothing, the revoked one): wrong
	// sign-ins are refused 401 until the allowance is spent, then 429.
	for i := range 6 {
		code, _ := adminSignIn(t, d.URL, "root", "guess number "+string(rune('a'+i)))
		if code == 429 {
			return
		}
		if code != 401 {
			t.Fatalf("wrong sign-in %d: %d, want 401 or 429", i+1, code)
		}
	}
	t.Error("six more failed sign-ins within a minute were never answered 429")
}

// TestLogoutAcrossNodes: a logout on one node of a three-node cluster is refused on the
// others at their next request (revocations are read from the store, not cached).
func TestLogoutAcrossNodes(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	env := append(os.Environ(),
		"TTR_ENCRYPTION_KEYS=k1:"+keyring.NewKey(),
		"TTR_SECRET_KEY="+keyring.NewKey())
	gossip := []string{freeport.Addr(t), freeport.Addr(t), freeport.Addr(t)}
	var nodes []*daemon
	for i := range 3 {
		var join []string
		for j, g := range gossip {
			if j != i {
				join = append(join, g)
			}
		}
		addr := freeport.Addr(t)
		d := &daemon{t: t, addr: addr, URL: "http://" + addr, env: env,
			args: append([]string{"--http-addr", addr, "--database-url", dbURL, "--remote-addr", freeport.Addr(t),
				"--gossip-addr", gossip[i], "--join", strings.Join(join, ","), "--cluster-name", "admin-e2e",
				"--gossip-probe-interval", "500ms", "--gossip-probe-timeout", "300ms",
				"--log-level", "info", "--log-format", "text"}, harnessLimits()...)}
		nodes = append(nodes, d)
	}
	for _, d := range nodes {
		d.start()
		t.Cleanup(d.kill)
	}
	cmd := exec.Command(binPath, "admin", "create", "--username", "ops", "--database-url", dbURL)
	cmd.Env = append(env, "TTR_ADMIN_PASSWORD=cluster password 1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	code, access := adminSignIn(t, nodes[0].URL, "ops", "cluster password 1")
	if code != 200 {
		t.Fatalf("sign-in on node 1: %d", code)
	}
	for i, d := range nodes {
		if code, body := bearerGet(t, d.URL, "/api/v1/admin/stats", access); code != 200 {
			t.Fatalf("node %d before logout: %d %s", i+1, code, body)
		}
	}
	req, _ := http.NewRequest("POST", nodes[0].URL+"/api/v1/logout", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loggedOut := time.Now()
	if resp.StatusCode != 204 {
		t.Fatalf("logout on node 1: %d", resp.StatusCode)
	}
	for i, d := range nodes[1:] {
		var lag time.Duration
		waittest.Until(t, 5*time.Second, "the token refused on another node", func() bool {
			code, _ := bearerGet(t, d.URL, "/api/v1/admin/stats", access)
			lag = time.Since(loggedOut)
			return code == 401
		})
		t.Logf("node %d refused the logged-out token %v after the logout answered", i+2, lag.Round(time.Millisecond))
	}
}
