package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// withLimits gives an API env the limits of cfg on its clock, and the quotas q.
func withLimits(tb testing.TB, cfg limit.Config, q limit.Quotas) func(*ttrhttp.Config, *ttrhttp.Deps) {
	return func(c *ttrhttp.Config, d *ttrhttp.Deps) {
		l, err := limit.New(cfg, limit.Deps{Now: d.Now})
		if err != nil {
			tb.Fatal(err)
		}
		d.Limits = l
		c.Quotas = q
	}
}

// want429 asserts a 429 with Retry-After; json says whether the body must be {"detail"}.
func want429(t *testing.T, rec *httptest.ResponseRecorder, what string, wantRetry string) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("%s: %d %s, want 429", what, rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Retry-After"); got != wantRetry {
		t.Errorf("%s: Retry-After %q, want %q", what, got, wantRetry)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want JSON", what, ct)
	}
	if d := apiDetail(t, rec); d == "" {
		t.Errorf("%s: no detail", what)
	}
}

func TestSignUpLimit(t *testing.T) {
	e := newAPIEnv(t, withLimits(t, limit.Config{SignUp: ratelimit.PerHour(10)}, limit.Quotas{}))
	for i := range 10 {
		if rec := e.do("POST", "/api/v1/users", "", nil); rec.Code != 201 {
			t.Fatalf("sign-up %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	want429(t, e.do("POST", "/api/v1/users", "", nil), "eleventh sign-up", "360")
}

func TestFailedAuthLimit(t *testing.T) {
	rotated := []byte(nil)
	e := newAPIEnv(t, withLimits(t, limit.Config{AuthFail: ratelimit.PerMinute(5)}, limit.Quotas{}),
		func(_ *ttrhttp.Config, d *ttrhttp.Deps) {
			d.KeyRecentlyRotated = func(_ context.Context, h []byte) bool { return string(h) == string(rotated) }
		})
	u := e.newUser()
	// A rotated key's failures do not count.
	old := strings.Repeat("r", 32)
	rotated = keyring.Hash([]byte(old))
	for range 20 {
		if rec := e.do("GET", "/api/v1/checks", old, nil); rec.Code != 401 {
			t.Fatalf("rotated key: %d, want 401", rec.Code)
		}
	}
	// Nor do requests without a credential.
	for range 20 {
		if rec := e.do("GET", "/api/v1/checks", "", nil); rec.Code != 401 {
			t.Fatalf("no key: %d, want 401", rec.Code)
		}
	}
	for i := range 5 {
		if rec := e.do("GET", "/api/v1/checks", "wrong-key-"+strconv.Itoa(i), nil); rec.Code != 401 {
			t.Fatalf("wrong key %d: %d, want 401", i+1, rec.Code)
		}
	}
	want429(t, e.do("GET", "/api/v1/checks", "wrong-key-6", nil), "sixth wrong key", "12")
	// The IP is blocked now, whatever it sends: guessing right does not help.
	want429(t, e.do("GET", "/api/v1/checks", u.Key, nil), "right key while blocked", "12")
}

func TestAPILimits(t *testing.T) {
	t.Run("per credential", func(t *testing.T) {
		e := newAPIEnv(t, withLimits(t, limit.Config{APICredential: ratelimit.PerSecond(2, 3)}, limit.Quotas{}))
		u, v := e.newUser(), e.newUser()
		for i := range 3 {
			if rec := e.do("GET", "/api/v1/checks", u.Key, nil); rec.Code != 200 {
				t.Fatalf("request %d: %d", i+1, rec.Code)
			}
		}
		want429(t, e.do("GET", "/api/v1/checks", u.Key, nil), "fourth request", "1")
		if rec := e.do("GET", "/api/v1/checks", v.Key, nil); rec.Code != 200 {
			t.Errorf("another credential: %d", rec.Code)
		}
	})
	t.Run("per IP", func(t *testing.T) {
		e := newAPIEnv(t, withLimits(t, limit.Config{APIIP: ratelimit.PerSecond(1, 3)}, limit.Quotas{}))
		u := e.newUser() // 1
		e.do("GET", "/api/v1/checks", u.Key, nil)
		e.do("GET", "/api/v1/checks/stats", u.Key, nil)
		want429(t, e.do("GET", "/api/v1/checks", u.Key, nil), "fourth request", "1")
		want429(t, e.do("GET", "/api/v1/checks/1", u.Key, nil), "a check route", "1")
		want429(t, e.do("POST", "/api/v1/users", "", nil), "sign-up", "1")
	})
}

func TestTestSendLimit(t *testing.T) {
	log := &sendLog{}
	n, o := log.recording(nil, nil, nil)
	e := newAPIEnv(t, withNotifiers(n, o), withLimits(t, limit.Config{TestSend: ratelimit.PerMinute(10)}, limit.Quotas{}))
	u, v := e.newUser(), e.newUser()
	for _, usr := range []apiUser{u, v} {
		id := apiID(t, e.create(usr, map[string]any{"slug": "job"}))
		if rec := e.do("PUT", channelPath(id, "webhook"), usr.Key, map[string]any{"webhook_url": "https://example.com/h"}); rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	checkOf := func(usr apiUser) int64 {
		var list struct {
			Items []map[string]any `json:"items"`
		}
		apiJSON(t, e.do("GET", "/api/v1/checks", usr.Key, nil), &list)
		for _, c := range list.Items {
			if c["slug"] == "job" {
				return apiID(t, c)
			}
		}
		t.Fatal("no check job")
		return 0
	}
	uc, vc := checkOf(u), checkOf(v)
	for i := range 10 {
		suffix := []string{"test", "test-queue"}[i%2]
		if rec := e.do("POST", channelPath(uc, "webhook", suffix), u.Key, nil); rec.Code != 200 && rec.Code != 202 {
			t.Fatalf("test send %d (%s): %d %s", i+1, suffix, rec.Code, rec.Body)
		}
	}
	want429(t, e.do("POST", channelPath(uc, "webhook", "test"), u.Key, nil), "eleventh test send", "6")
	want429(t, e.do("POST", channelPath(uc, "webhook", "test-queue"), u.Key, nil), "twelfth test send", "6")
	if rec := e.do("POST", channelPath(vc, "webhook", "test"), v.Key, nil); rec.Code != 200 {
		t.Errorf("another user's test send: %d %s", rec.Code, rec.Body)
	}
}

func TestChecksQuota(t *testing.T) {
	e := newAPIEnv(t, withLimits(t, limit.Config{}, limit.Quotas{Checks: 2}))
	u, v := e.newUser(), e.newUser()
	e.create(u, nil)
	e.create(u, nil)
	rec := e.do("POST", "/api/v1/checks", u.Key, map[string]any{"name": "third"})
	if rec.Code != http.StatusForbidden || apiDetail(t, rec) != "quota exceeded: at most 2 checks per user" {
		t.Fatalf("third check: %d %s, want 403 naming the quota", rec.Code, rec.Body)
	}
	if rec := e.do("POST", "/api/v1/checks", v.Key, map[string]any{"name": "first"}); rec.Code != 201 {
		t.Errorf("another user's first check: %d %s", rec.Code, rec.Body)
	}
	// ?create=1 is bound by the same quota, and still finds the checks that exist. Over it,
	// the check is not found, as healthchecks.io answers past its check limit.
	e.checks.PingFn = func(context.Context, int64, *messages.Ping) (string, error) { return "", nil }
	if rec := e.do("GET", "/ping/"+u.PingKey+"/new-one?create=1", "", nil); rec.Code != 404 ||
		rec.Body.String() != "not found" {
		t.Errorf("auto-provision over the quota: %d %s, want 404", rec.Code, rec.Body)
	}
}

func TestPingIPLimit(t *testing.T) {
	e := newAPIEnv(t, withLimits(t, limit.Config{PingIP: ratelimit.PerSecond(1, 2)}, limit.Quotas{}))
	u := e.newUser()
	e.create(u, map[string]any{"slug": "job"})
	e.checks.PingFn = func(context.Context, int64, *messages.Ping) (string, error) { return "", nil }
	for i := range 2 {
		if rec := e.do("GET", "/p/"+u.Slug+"/job", "", nil); rec.Code != 200 {
			t.Fatalf("ping %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	rec := e.do("GET", "/p/"+u.Slug+"/job", "", nil)
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "1" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("third ping: %d %v %s, want a text 429 with Retry-After", rec.Code, rec.Header(), rec.Body)
	}
}

func TestPingOverTheCheckLimitIs429Text(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	e.create(u, map[string]any{"slug": "job"})
	e.checks.PingFn = func(context.Context, int64, *messages.Ping) (string, error) {
		return "", &messages.Error{Code: messages.ERateLimited, Message: "too many pings for this check", RetryAfter: 50e6}
	}
	rec := e.do("POST", "/p/"+u.Slug+"/job", "", "body")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "1" || rec.Body.String() != "too many pings for this check" {
		t.Errorf("%d %v %q, want 429 text with Retry-After 1", rec.Code, rec.Header(), rec.Body)
	}
}

func TestTrustedProxyIPAndProto(t *testing.T) {
	var got *messages.Ping
	e := newAPIEnv(t, withLimits(t, limit.Config{TrustProxy: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, limit.Quotas{}))
	u := e.newUser()
	e.create(u, map[string]any{"slug": "job"})
	e.checks.PingFn = func(_ context.Context, _ int64, p *messages.Ping) (string, error) { got = p; return "", nil }
	// httptest requests come from 192.0.2.1: a trusted proxy here.
	e.do("GET", "/p/"+u.Slug+"/job", "", nil, "X-Forwarded-For", "1.1.1.1, 203.0.113.7", "X-Forwarded-Proto", "https")
	if got == nil || got.RemoteIp != "203.0.113.7" || got.ForwardedProto != "https" {
		t.Errorf("ping = %+v, want remote 203.0.113.7 via https", got)
	}
}

func TestContentTypeStrict(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	tests := []struct {
		ct   string
		want int
	}{
		{"", 400}, {"application/jsonfoo", 400}, {"text/plain", 400}, {"application/x-www-form-urlencoded", 400},
		{"multipart/form-data; boundary=x", 400}, {"application/json", 201}, {"application/json; charset=utf-8", 201},
		{"Application/JSON", 201},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/v1/checks", "/api/v1/users"} {
			req := httptest.NewRequest("POST", path, strings.NewReader(`{}`))
			req.Header.Set("X-Auth-Key", u.Key)
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("POST %s with %q: %d %s, want %d", path, tt.ct, rec.Code, rec.Body, tt.want)
			}
		}
	}
}

func TestSignUpRefusesCrossOrigin(t *testing.T) {
	e := newAPIEnv(t)
	tests := []struct {
		name string
		hdr  []string
		want int
	}{
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"other origin", []string{"Origin", "https://evil.example"}, 403},
		{"same origin", []string{"Sec-Fetch-Site", "same-origin"}, 201},
		{"no browser headers (curl)", nil, 201},
	}
	for _, tt := range tests {
		if rec := e.do("POST", "/api/v1/users", "", nil, tt.hdr...); rec.Code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, rec.Code, rec.Body, tt.want)
		}
	}
}

func TestNoCORSOnTheAPI(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	for _, rq := range []struct{ method, path string }{
		{"OPTIONS", "/api/v1/checks"}, {"GET", "/api/v1/checks"}, {"POST", "/api/v1/users"}, {"OPTIONS", "/api/v1/users"},
		{"OPTIONS", "/api/v1/checks/1"}, {"GET", "/api/v1/checks/stats"},
	} {
		rec := e.do(rq.method, rq.path, u.Key, nil, "Origin", "https://other.example", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "x-auth-key")
		for k := range rec.Header() {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s %s answered %s: %v", rq.method, rq.path, k, rec.Header()[k])
			}
		}
	}
}

func TestHSTS(t *testing.T) {
	for _, on := range []bool{false, true} {
		e := newAPIEnv(t, func(c *ttrhttp.Config, _ *ttrhttp.Deps) { c.HSTS = on })
		got := e.do("GET", "/healthz", "", nil).Header().Get("Strict-Transport-Security")
		if (got != "") != on {
			t.Errorf("HSTS %v: header %q", on, got)
		}
	}
}

func TestCostlyContentRuleRefused(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	audit := strings.Repeat("[a-z]{1,1000}", 20) + "Q"
	rec := e.do("POST", "/api/v1/checks", u.Key, map[string]any{"content_rule": map[string]any{"type": "absent", "pattern": audit, "regex": true}})
	if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), "exceeds the limit of 100") {
		t.Errorf("%d %s, want 400 naming the limit", rec.Code, rec.Body)
	}
	rec = e.do("POST", "/api/v1/checks", u.Key, map[string]any{"content_rule": map[string]any{"type": "absent", "pattern": "(?:[a-z]{1,100}){3}Q", "regex": true}})
	if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), "the limit is 150") {
		t.Errorf("%d %s, want 400 naming the limit", rec.Code, rec.Body)
	}
}
