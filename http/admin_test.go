package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/adminauth"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// adminKey signs the test environment's admin tokens.
var adminKey = []byte("admin-test-key-of-thirty-two-by!")

const adminPassword = "correct horse battery staple"

// adminEnv is the edge over the real store and check actors with the operator side on.
type adminEnv struct {
	*realEnv
	clk    *adminClock
	tokens *adminauth.Tokens
	admin  persistence.Admin
}

// adminClock is the tokens' clock, moved by tests.
type adminClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *adminClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *adminClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newAdminEnv starts the edge with admin "root" (password adminPassword), /metrics on a
// registry holding one counter, and the limits of cfg (none when nil).
func newAdminEnv(t *testing.T, cfg *limit.Config) *adminEnv {
	t.Helper()
	return newAdminEnvOn(t, openSQLite(t), cfg)
}

// newAdminEnvOn is newAdminEnv over the store st, with API tokens on.
func newAdminEnvOn(t *testing.T, st persistence.Store, cfg *limit.Config) *adminEnv {
	t.Helper()
	clk := &adminClock{t: time.Now()}
	tokens, err := adminauth.New(adminauth.DefaultConfig(), adminauth.Keys{Sign: adminKey}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	fast := adminauth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	verifier, err := adminauth.NewVerifier(fast)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	probe := prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_test_probe_total", Help: "A metric the test looks for."})
	reg.MustRegister(probe)
	probe.Inc()
	e := &adminEnv{clk: clk, tokens: tokens}
	hash, err := adminauth.HashPassword(adminPassword, fast)
	if err != nil {
		t.Fatal(err)
	}
	e.realEnv = newRealEnvOn(t, st, nil, func(c *ttrhttp.Config, d *ttrhttp.Deps) {
		d.Credentials = st
		if cfg != nil {
			l, err := limit.New(*cfg, limit.Deps{})
			if err != nil {
				t.Fatal(err)
			}
			d.Limits = l
		}
		st := d.Store.(ttrhttp.AdminStore)
		e.admin = persistence.Admin{Username: "root", PasswordHash: hash, CreatedAt: time.Now()}
		if err := st.CreateAdmin(context.Background(), &e.admin); err != nil {
			t.Fatal(err)
		}
		d.Admin = &ttrhttp.AdminDeps{Store: st, Tokens: tokens, Verifier: verifier, Metrics: reg}
	})
	return e
}

// req sends a request from client ip with headers and cookies; body is a string.
func (e *adminEnv) req(method, path, ip, body string, hdr map[string]string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if ip != "" {
		r.RemoteAddr = ip + ":4321"
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	return rec
}

// signInAs posts a form sign-in from ip.
func (e *adminEnv) signInAs(username, password, ip string) *httptest.ResponseRecorder {
	e.t.Helper()
	form := url.Values{"username": {username}, "password": {password}}.Encode()
	return e.req("POST", "/api/v1/token", ip, form, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// session is what a sign-in gives a browser.
type session struct {
	access, csrf string
	refresh      *http.Cookie
}

// signIn signs root in and returns the access token, CSRF token and refresh cookie.
func (e *adminEnv) signIn() session {
	e.t.Helper()
	rec := e.signInAs("root", adminPassword, "")
	if rec.Code != 200 {
		e.t.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}
	return e.sessionOf(rec)
}

func (e *adminEnv) sessionOf(rec *httptest.ResponseRecorder) session {
	e.t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		CSRFToken   string `json:"csrf_token"`
	}
	apiJSON(e.t, rec, &out)
	if out.TokenType != "Bearer" || out.ExpiresIn != 600 || out.AccessToken == "" || out.CSRFToken == "" {
		e.t.Fatalf("token answer %+v", out)
	}
	var refresh *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "__Host-ttr_refresh" {
			refresh = c
		}
	}
	if refresh == nil {
		e.t.Fatalf("no __Host-ttr_refresh cookie in %v", rec.Result().Cookies())
	}
	if !refresh.HttpOnly || !refresh.Secure || refresh.SameSite != http.SameSiteStrictMode || refresh.Path != "/" {
		e.t.Errorf("refresh cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/", refresh)
	}
	return session{access: out.AccessToken, csrf: out.CSRFToken, refresh: refresh}
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func TestAdminSignIn(t *testing.T) {
	e := newAdminEnv(t, nil)
	s := e.signIn()
	if rec := e.req("GET", "/api/v1/admin/stats", "", "", bearer(s.access)); rec.Code != 200 {
		t.Fatalf("stats with the access token: %d %s", rec.Code, rec.Body)
	}
	// JSON works as well as a form.
	rec := e.req("POST", "/api/v1/token", "", `{"username":"root","password":"`+adminPassword+`"}`,
		map[string]string{"Content-Type": "application/json"})
	if rec.Code != 200 {
		t.Fatalf("JSON sign-in: %d %s", rec.Code, rec.Body)
	}
	e.sessionOf(rec)

	for _, tc := range []struct {
		name, ctype, body string
		want              int
	}{
		{"wrong password", "application/x-www-form-urlencoded", "username=root&password=wrong+password+1", 401},
		{"unknown admin", "application/x-www-form-urlencoded", "username=nobody&password=" + url.QueryEscape(adminPassword), 401},
		{"no password", "application/x-www-form-urlencoded", "username=root", 400},
		{"text body", "text/plain", "username=root&password=x", 400},
		{"unknown JSON field", "application/json", `{"username":"root","password":"x","admin":true}`, 400},
		{"long username", "application/json", `{"username":"` + strings.Repeat("a", 65) + `","password":"x"}`, 400},
		{"huge body", "application/x-www-form-urlencoded", "username=root&password=" + strings.Repeat("x", 8<<10), 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.req("POST", "/api/v1/token", "", tc.body, map[string]string{"Content-Type": tc.ctype})
			if rec.Code != tc.want {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if len(rec.Result().Cookies()) != 0 {
				t.Error("a refused sign-in set a cookie")
			}
		})
	}
	// Wrong password and unknown admin read the same.
	a := apiDetail(t, e.signInAs("root", "wrong password 1", ""))
	b := apiDetail(t, e.signInAs("nobody", "wrong password 1", ""))
	if a != b {
		t.Errorf("wrong password says %q, unknown admin %q: they must not differ", a, b)
	}
	// Another site's form cannot sign in (the browser says where it came from).
	rec = e.req("POST", "/api/v1/token", "", "username=root&password="+url.QueryEscape(adminPassword),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site"})
	if rec.Code != 403 {
		t.Errorf("cross-site sign-in: %d, want 403", rec.Code)
	}
}

// forge signs claims with method and key, as an attacker (or a buggy client) would.
func forge(t *testing.T, method jwt.SigningMethod, c *adminauth.Claims, key any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAdminTokensRefused(t *testing.T) {
	e := newAdminEnv(t, nil)
	s := e.signIn()
	now := e.clk.Now()
	valid := func(f func(c *adminauth.Claims)) *adminauth.Claims {
		c := &adminauth.Claims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer: "ttr", Subject: apiItoa(e.admin.ID), Audience: jwt.ClaimStrings{"ttr-admin"},
				ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: "forged-1",
			},
			Type: adminauth.Access, Family: "fam",
		}
		if f != nil {
			f(c)
		}
		return c
	}
	if rec := e.req("GET", "/api/v1/admin/users", "", "", bearer(forge(t, jwt.SigningMethodHS256, valid(nil), adminKey))); rec.Code != 200 {
		t.Fatalf("control: a well-formed token signed with the key: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		name string
		hdr  map[string]string
	}{
		{"missing", nil},
		{"not bearer", map[string]string{"Authorization": "Basic cm9vdDp4"}},
		{"garbage", bearer("abc.def.ghi")},
		{"wrong key", bearer(forge(t, jwt.SigningMethodHS256, valid(nil), []byte("some other key of thirty-two b!!")))},
		{"expired", bearer(forge(t, jwt.SigningMethodHS256, valid(func(c *adminauth.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second))
		}), adminKey))},
		{"no exp", bearer(forge(t, jwt.SigningMethodHS256, valid(func(c *adminauth.Claims) { c.ExpiresAt = nil }), adminKey))},
		{"alg none", bearer(forge(t, jwt.SigningMethodNone, valid(nil), jwt.UnsafeAllowNoneSignatureType))},
		{"HS384", bearer(forge(t, jwt.SigningMethodHS384, valid(nil), adminKey))},
		{"wrong audience", bearer(forge(t, jwt.SigningMethodHS256, valid(func(c *adminauth.Claims) { c.Audience = jwt.ClaimStrings{"other"} }), adminKey))},
		{"refresh typed as access", bearer(s.refresh.Value)},
		{"unknown admin", bearer(forge(t, jwt.SigningMethodHS256, valid(func(c *adminauth.Claims) { c.Subject = "999" }), adminKey))},
		{"user key as bearer", bearer(e.newUser().Key)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/v1/admin/stats", "/api/v1/admin/users", "/metrics"} {
				if rec := e.req("GET", path, "", "", tc.hdr); rec.Code != 401 {
					t.Errorf("%s: %d %s, want 401", path, rec.Code, rec.Body)
				}
			}
		})
	}
	// The real access token expires after ten minutes.
	e.clk.Add(10*time.Minute + time.Second)
	if rec := e.req("GET", "/api/v1/admin/stats", "", "", bearer(s.access)); rec.Code != 401 {
		t.Errorf("access token after 10 minutes: %d, want 401", rec.Code)
	}
}

// refresh posts the refresh cookie with csrf.
func (e *adminEnv) refresh(c *http.Cookie, csrf string) *httptest.ResponseRecorder {
	e.t.Helper()
	hdr := map[string]string{}
	if csrf != "" {
		hdr["X-CSRF-Token"] = csrf
	}
	return e.req("POST", "/api/v1/token/refresh", "", "", hdr, c)
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newAdminEnv(t, nil)
	s := e.signIn()
	for _, tc := range []struct {
		name   string
		cookie *http.Cookie
		csrf   string
		want   int
	}{
		{"no cookie", nil, s.csrf, 401},
		{"no CSRF token", s.refresh, "", 403},
		{"wrong CSRF token", s.refresh, e.tokens.CSRF("another sign-in"), 403},
		{"an access token as the cookie", &http.Cookie{Name: s.refresh.Name, Value: s.access}, s.csrf, 401},
	} {
		var cookies []*http.Cookie
		if tc.cookie != nil {
			cookies = append(cookies, tc.cookie)
		}
		hdr := map[string]string{"X-CSRF-Token": tc.csrf}
		if rec := e.req("POST", "/api/v1/token/refresh", "", "", hdr, cookies...); rec.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.want)
		}
	}

	rec := e.refresh(s.refresh, s.csrf)
	if rec.Code != 200 {
		t.Fatalf("refresh: %d %s", rec.Code, rec.Body)
	}
	s2 := e.sessionOf(rec)
	if s2.refresh.Value == s.refresh.Value || s2.access == s.access {
		t.Fatal("refresh did not rotate the tokens")
	}
	if s2.csrf != s.csrf {
		t.Error("the CSRF token changed within one sign-in")
	}
	if rec := e.req("GET", "/api/v1/admin/stats", "", "", bearer(s2.access)); rec.Code != 200 {
		t.Fatalf("the refreshed access token: %d", rec.Code)
	}
	// The spent refresh token again: refused, and the whole sign-in with it.
	if rec := e.refresh(s.refresh, s.csrf); rec.Code != 401 {
		t.Fatalf("reuse of a spent refresh token: %d %s, want 401", rec.Code, rec.Body)
	}
	if rec := e.refresh(s2.refresh, s.csrf); rec.Code != 401 {
		t.Fatalf("the newest refresh token after a reuse: %d, want 401 (family revoked)", rec.Code)
	}
}

func TestLogout(t *testing.T) {
	e := newAdminEnv(t, nil)
	s := e.signIn()
	if rec := e.req("POST", "/api/v1/logout", "", "", nil); rec.Code != 401 {
		t.Errorf("logout without credentials: %d, want 401", rec.Code)
	}
	rec := e.req("POST", "/api/v1/logout", "", "", bearer(s.access))
	if rec.Code != 204 {
		t.Fatalf("logout: %d %s", rec.Code, rec.Body)
	}
	if c := rec.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Errorf("logout did not delete the refresh cookie: %v", c)
	}
	if rec := e.req("GET", "/api/v1/admin/stats", "", "", bearer(s.access)); rec.Code != 401 {
		t.Errorf("the access token after logout: %d, want 401", rec.Code)
	}
	if rec := e.refresh(s.refresh, s.csrf); rec.Code != 401 {
		t.Errorf("the refresh token after logout: %d, want 401", rec.Code)
	}
	// Logging out with the cookie alone needs the CSRF token.
	s = e.signIn()
	if rec := e.req("POST", "/api/v1/logout", "", "", nil, s.refresh); rec.Code != 403 {
		t.Errorf("cookie logout without CSRF: %d, want 403", rec.Code)
	}
	if rec := e.req("POST", "/api/v1/logout", "", "", map[string]string{"X-CSRF-Token": s.csrf}, s.refresh); rec.Code != 204 {
		t.Errorf("cookie logout: %d, want 204", rec.Code)
	}
	if rec := e.refresh(s.refresh, s.csrf); rec.Code != 401 {
		t.Errorf("the refresh token after a cookie logout: %d, want 401", rec.Code)
	}
}

func TestDisabledUserRefused(t *testing.T) {
	e := newAdminEnv(t, nil)
	s := e.signIn()
	u := e.newUser()
	e.create(u, map[string]any{"slug": "job", "schedule_type": "interval", "interval_seconds": 60})
	path := "/api/v1/admin/users/" + apiItoa(u.ID)
	if rec := e.req("POST", path+"/disable", "", "", bearer(s.access)); rec.Code != 204 {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("GET", "/api/v1/checks", u.Key, nil); rec.Code != 403 {
		t.Errorf("a disabled user's API call: %d %s, want 403", rec.Code, rec.Body)
	}
	if rec := e.do("POST", "/api/v1/checks", u.Key, `{}`); rec.Code != 403 {
		t.Errorf("a disabled user's create: %d, want 403", rec.Code)
	}
	if rec := e.ping("/p/"+u.Slug+"/job", ""); rec.Code != 200 {
		t.Errorf("a disabled user's ping: %d %s, want 200 (pings still count)", rec.Code, rec.Body)
	}
	if rec := e.req("POST", path+"/enable", "", "", bearer(s.access)); rec.Code != 204 {
		t.Fatalf("enable: %d %s", rec.Code, rec.Body)
	}
	rec := e.do("GET", "/api/v1/checks", u.Key, nil)
	if rec.Code != 200 {
		t.Fatalf("an enabled user's API call: %d", rec.Code)
	}
	var page struct {
		Items []struct {
			NPings int `json:"n_pings"`
		} `json:"items"`
	}
	apiJSON(t, rec, &page)
	if len(page.Items) != 1 || page.Items[0].NPings != 1 {
		t.Errorf("the ping while disabled did not count: %v", page.Items)
	}
	for _, p := range []string{"/api/v1/admin/users/999999/disable", "/api/v1/admin/users/999999/enable"} {
		if rec := e.req("POST", p, "", "", bearer(s.access)); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
	if rec := e.req("POST", "/api/v1/admin/users/x1/disable", "", "", bearer(s.access)); rec.Code != 404 {
		t.Errorf("a malformed id: %d, want 404", rec.Code)
	}
}

func TestAdminDeleteUser(t *testing.T) {
	e := newAdminEnv(t, nil)
	s := e.signIn()
	u, other := e.newUser(), e.newUser()
	for _, slug := range []string{"a", "b", "c"} {
		e.create(u, map[string]any{"slug": slug, "name": "gone " + slug})
	}
	e.create(other, map[string]any{"slug": "a", "name": "kept"})
	rec := e.req("DELETE", "/api/v1/admin/users/"+apiItoa(u.ID), "", "", bearer(s.access))
	if rec.Code != 204 {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("GET", "/api/v1/checks", u.Key, nil); rec.Code != 401 {
		t.Errorf("the deleted user's key: %d, want 401", rec.Code)
	}
	rec = e.req("GET", "/api/v1/admin/checks?q=", "", "", bearer(s.access))
	var res struct {
		Items []map[string]any `json:"items"`
	}
	apiJSON(t, rec, &res)
	if len(res.Items) != 1 || res.Items[0]["name"] != "kept" {
		t.Errorf("checks after deleting a user: %v, want only the other user's", res.Items)
	}
	if rec := e.ping("/p/"+u.Slug+"/a", ""); rec.Code != 404 {
		t.Errorf("a ping to a deleted user's check: %d, want 404", rec.Code)
	}
	if rec := e.req("DELETE", "/api/v1/admin/users/"+apiItoa(u.ID), "", "", bearer(s.access)); rec.Code != 404 {
		t.Errorf("second delete: %d, want 404", rec.Code)
	}
}

func TestAdminListsPaged(t *testing.T) {
	e := newAdminEnv(t, nil)
	s := e.signIn()
	users := []apiUser{e.newUser(), e.newUser(), e.newUser()}
	e.create(users[1], map[string]any{"name": "Nightly backup"})
	e.create(users[2], map[string]any{"name": "BACKUP weekly"})
	e.create(users[2], map[string]any{"name": "cleanup"})
	var seen []string
	cursor := ""
	for range 5 {
		rec := e.req("GET", "/api/v1/admin/users?size=2&cursor="+cursor, "", "", bearer(s.access))
		if rec.Code != 200 {
			t.Fatalf("users: %d %s", rec.Code, rec.Body)
		}
		var page struct {
			Items []struct {
				UserSlug string `json:"user_slug"`
				Checks   int    `json:"checks"`
				Disabled bool   `json:"disabled"`
				Prefix   string `json:"key_hash_prefix"`
			} `json:"items"`
			Next string `json:"next_cursor"`
		}
		apiJSON(t, rec, &page)
		for _, it := range page.Items {
			seen = append(seen, it.UserSlug)
			if len(it.Prefix) != 8 {
				t.Errorf("key hash prefix %q", it.Prefix)
			}
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if want := []string{users[0].Slug, users[1].Slug, users[2].Slug}; strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("users over pages: %v, want %v", seen, want)
	}
	rec := e.req("GET", "/api/v1/admin/checks?q=backup", "", "", bearer(s.access))
	var res struct {
		Items []map[string]any `json:"items"`
	}
	apiJSON(t, rec, &res)
	if len(res.Items) != 2 {
		t.Errorf("search across users: %v, want the two backups", res.Items)
	}
	for _, bad := range []string{"/api/v1/admin/users?size=0", "/api/v1/admin/users?cursor=abc", "/api/v1/admin/checks?q=" + strings.Repeat("x", 201)} {
		if rec := e.req("GET", bad, "", "", bearer(s.access)); rec.Code != 400 {
			t.Errorf("%s: %d, want 400", bad, rec.Code)
		}
	}
}

func TestMetricsTokenOpensMetricsOnly(t *testing.T) {
	e := newAdminEnv(t, nil)
	token := ttrhttp.MetricsTokenPrefix + "abcdefghijklmnopqrstuvwxyz012345"
	mt := persistence.MetricsToken{Name: "prometheus", Prefix: token[:13], Hash: keyring.Hash([]byte(token)), CreatedAt: time.Now()}
	if err := e.st.CreateMetricsToken(context.Background(), &mt); err != nil {
		t.Fatal(err)
	}
	rec := e.req("GET", "/metrics", "", "", bearer(token))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "ttr_test_probe_total 1") {
		t.Fatalf("scrape with the metrics token: %d %.200s", rec.Code, rec.Body)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/admin/stats"}, {"GET", "/api/v1/admin/users"}, {"GET", "/api/v1/checks"},
		{"GET", "/api/v1/metrics/summary"}, {"POST", "/api/v1/logout"},
	} {
		if rec := e.req(tc.method, tc.path, "", "", bearer(token)); rec.Code != 401 {
			t.Errorf("%s %s with the metrics token: %d, want 401", tc.method, tc.path, rec.Code)
		}
		if rec := e.req(tc.method, tc.path, "", "", map[string]string{"X-Auth-Key": token}); rec.Code != 401 {
			t.Errorf("%s %s with the metrics token as a key: %d, want 401", tc.method, tc.path, rec.Code)
		}
	}
	if rec := e.req("GET", "/metrics", "", "", nil); rec.Code != 401 {
		t.Errorf("/metrics without a token: %d, want 401", rec.Code)
	}
	// An admin opens it too.
	if rec := e.req("GET", "/metrics", "", "", bearer(e.signIn().access)); rec.Code != 200 {
		t.Errorf("/metrics for an admin: %d", rec.Code)
	}
	// Revoked: refused.
	if err := e.st.RevokeMetricsToken(context.Background(), mt.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if rec := e.req("GET", "/metrics", "", "", bearer(token)); rec.Code != 401 {
		t.Errorf("a revoked metrics token: %d, want 401", rec.Code)
	}
}

func TestAdminSignInLimits(t *testing.T) {
	t.Run("per client IP", func(t *testing.T) {
		cfg := limit.Config{AuthFail: ratelimit.PerMinute(5)}
		e := newAdminEnv(t, &cfg)
		for i := range 5 {
			if rec := e.signInAs("root", "wrong password "+apiItoa(int64(i)), "192.0.2.7"); rec.Code != 401 {
				t.Fatalf("failure %d: %d %s", i+1, rec.Code, rec.Body)
			}
		}
		want429(t, e.signInAs("root", "wrong password 6", "192.0.2.7"), "sixth failure", "12")
		// Blocked: even the right password from that address waits.
		want429(t, e.signInAs("root", adminPassword, "192.0.2.7"), "right password from a blocked IP", "12")
		if rec := e.signInAs("root", adminPassword, "198.51.100.1"); rec.Code != 200 {
			t.Errorf("the admin from another IP: %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("per username and client IP", func(t *testing.T) {
		cfg := limit.Config{AdminSignIn: ratelimit.PerHour(10)}
		e := newAdminEnv(t, &cfg)
		for i := range 10 {
			if rec := e.signInAs("root", "wrong password "+apiItoa(int64(i)), "192.0.2.7"); rec.Code != 401 {
				t.Fatalf("failure %d: %d %s", i+1, rec.Code, rec.Body)
			}
		}
		want429(t, e.signInAs("root", "wrong password x", "192.0.2.7"), "eleventh failure", "360")
		want429(t, e.signInAs("root", adminPassword, "192.0.2.7"), "right password from the blocked pair", "360")
		// The attacker's guesses never lock the admin out elsewhere.
		if rec := e.signInAs("root", adminPassword, "198.51.100.1"); rec.Code != 200 {
			t.Errorf("the admin from another IP: %d %s", rec.Code, rec.Body)
		}
		if rec := e.signInAs("alice", "wrong password", "192.0.2.7"); rec.Code != 401 {
			t.Errorf("another username from the same IP: %d, want 401", rec.Code)
		}
	})
}

func TestMetricsSummary(t *testing.T) {
	e := newAdminEnv(t, nil)
	s := e.signIn()
	u, other := e.newUser(), e.newUser()
	e.create(u, nil)
	e.create(other, nil)
	e.create(other, nil)
	rec := e.do("GET", "/api/v1/metrics/summary", u.Key, nil)
	var sum struct {
		Scope  string            `json:"scope"`
		Checks map[string]int    `json:"checks"`
		Health map[string]string `json:"health"`
		Site   *struct {
			Users int `json:"users"`
		} `json:"site"`
	}
	apiJSON(t, rec, &sum)
	if sum.Scope != "user" || sum.Checks["total"] != 1 || sum.Site != nil || sum.Health["checks"] != "green" {
		t.Errorf("a user's summary: %+v, want their own one check", sum)
	}
	etag := rec.Header().Get("ETag")
	if rec := e.do("GET", "/api/v1/metrics/summary", u.Key, nil, "If-None-Match", etag); rec.Code != 304 {
		t.Errorf("If-None-Match with the ETag: %d, want 304", rec.Code)
	}
	rec = e.req("GET", "/api/v1/metrics/summary", "", "", bearer(s.access))
	sum.Site = nil
	apiJSON(t, rec, &sum)
	if sum.Scope != "cluster" || sum.Checks["total"] != 3 || sum.Site == nil || sum.Site.Users != 2 {
		t.Errorf("an admin's summary: %+v, want 3 checks of 2 users", sum)
	}
}
