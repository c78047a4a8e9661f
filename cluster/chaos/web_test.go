package chaos_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var csrfMetaRE = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// TestWebSessionSignOutAcrossNodes: a browser session is valid on every node of a 3-node
// cluster (sessions live in the shared store), and once it is signed out on one node the
// others refuse its cookie within 5 s — in practice within their session cache's TTL. The lag
// is reported.
func TestWebSessionSignOutAcrossNodes(t *testing.T) {
	c := startCluster(t, clusterOpts{Relaxed: true})
	var u struct {
		AuthKey string `json:"auth_key"`
	}
	c.mustCall("POST", "/api/v1/users", "", map[string]any{}, &u) // sign-up must declare JSON

	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(base, path string) (int, string) {
		t.Helper()
		resp, err := cl.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(base, path string, form url.Values) int {
		t.Helper()
		resp, err := cl.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// Cookie jars key cookies by host, not port: every node here is 127.0.0.1, so the jar
	// already sends the browser's cookies to all three. After the sign-out (which clears them
	// in the jar) the old session cookie is sent explicitly, as a stolen or stale copy would be.
	withCookie := func(base, path, cookie string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	_, page := get(n1.URL, "/signin")
	m := csrfMetaRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	if code := post(n1.URL, "/signin", url.Values{"key": {u.AuthKey}, "csrf": {m[1]}}); code != http.StatusSeeOther {
		t.Fatalf("sign-in on node 1: %d", code)
	}
	for _, n := range []*node{n1, n2, n3} {
		if code, _ := get(n.URL, "/api/v1/user/me"); code != 200 {
			t.Fatalf("session on %s: %d, want 200", n.name, code)
		}
	}
	_, page = get(n1.URL, "/account")
	m = csrfMetaRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the account page")
	}
	base, _ := url.Parse(n1.URL)
	var cookie string
	for _, c := range jar.Cookies(base) {
		if c.Name == "ttr_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatal("no ttr_session cookie after sign-in")
	}
	// Warm the other nodes' session caches right before the sign-out: the lag measured is
	// then the worst case, a cached session.
	for _, n := range []*node{n2, n3} {
		if code, _ := withCookie(n.URL, "/api/v1/user/me", cookie); code != 200 {
			t.Fatalf("session on %s before the sign-out: %d", n.name, code)
		}
	}
	signedOut := time.Now()
	if code := post(n1.URL, "/signout", url.Values{"csrf": {m[1]}}); code != http.StatusSeeOther {
		t.Fatalf("sign-out on node 1: %d", code)
	}
	for _, n := range []*node{n2, n3} {
		var lag time.Duration
		for {
			code, body := withCookie(n.URL, "/api/v1/user/me", cookie)
			if code == 401 {
				lag = time.Since(signedOut)
				break
			}
			if code != 200 {
				t.Fatalf("%s during the wait: %d %s", n.name, code, strings.TrimSpace(body))
			}
			if time.Since(signedOut) > 5*time.Second {
				t.Fatalf("%s still accepts the signed-out session after 5 s", n.name)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s refused the signed-out session %v after the sign-out on node1", n.name, lag.Round(time.Millisecond))
	}
}
