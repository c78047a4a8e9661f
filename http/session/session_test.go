package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// countingStore counts session lookups of the real store.
type countingStore struct {
	*sqlite.Store
	lookups int
}

func (c *countingStore) SessionByHash(ctx context.Context, h []byte) (messages.Session, error) {
	c.lookups++
	return c.Store.SessionByHash(ctx, h)
}

type env struct {
	t     *testing.T
	store *countingStore
	m     *session.Manager
	now   time.Time
	user  messages.User
	fails []session.Reason
}

func newEnv(t *testing.T, edit func(*session.Config)) *env {
	t.Helper()
	st := sqlitetest.Open(t)
	ring, err := keyring.Parse("k1:"+keyring.NewKey(), strings.Repeat("s", 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: &countingStore{Store: st}, now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg := session.DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	e.m, err = session.New(cfg, session.Deps{
		Store: e.store, Index: ring.Index, CSRFKey: []byte(strings.Repeat("c", 32)),
		Now:           func() time.Time { return e.now },
		OnAuthFailure: func(_ *http.Request, r session.Reason) { e.fails = append(e.fails, r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.user = storetest.NewUser(t, st)
	return e
}

// signIn begins a session and returns the cookies a browser would send back.
func (e *env) signIn() []*http.Cookie {
	e.t.Helper()
	rec := httptest.NewRecorder()
	if _, err := e.m.Begin(rec, httptest.NewRequest("POST", "/signin", nil), e.user.ID); err != nil {
		e.t.Fatal(err)
	}
	return rec.Result().Cookies()
}

func withCookies(r *http.Request, cs []*http.Cookie) *http.Request {
	for _, c := range cs {
		r.AddCookie(c)
	}
	return r
}

func (e *env) resolve(cs []*http.Cookie) (session.Principal, error) {
	return e.m.Resolve(withCookies(httptest.NewRequest("GET", "/", nil), cs))
}

func TestCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnv(t, func(c *session.Config) { c.Secure = secure })
		byName := map[string]*http.Cookie{}
		for _, c := range e.signIn() {
			byName[c.Name] = c
		}
		sess, csrf := byName["ttr_session"], byName["ttr_csrf"]
		if secure {
			sess, csrf = byName["__Host-ttr_session"], byName["__Host-csrf"]
		}
		if sess == nil || csrf == nil {
			t.Fatalf("secure=%v: cookies %v", secure, byName)
		}
		if !sess.HttpOnly || sess.Secure != secure || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Domain != "" || sess.MaxAge != int((30*24*time.Hour)/time.Second) {
			t.Errorf("secure=%v: session cookie %+v", secure, sess)
		}
		if csrf.HttpOnly || csrf.Secure != secure || csrf.SameSite != http.SameSiteLaxMode || csrf.Path != "/" {
			t.Errorf("secure=%v: CSRF cookie %+v (the page's script must be able to read it)", secure, csrf)
		}
		if len(sess.Value) != 43 {
			t.Errorf("session token %q: want 32 random bytes in base64url", sess.Value)
		}
	}
}

func TestResolveCacheAndExpiry(t *testing.T) {
	e := newEnv(t, nil)
	cs := e.signIn()
	p, err := e.resolve(cs)
	if err != nil || p.User.ID != e.user.ID {
		t.Fatalf("resolve: %+v, %v", p.User, err)
	}
	// Within the cache TTL the store is not asked again.
	e.now = e.now.Add(100 * time.Millisecond)
	if _, err := e.resolve(cs); err != nil || e.store.lookups != 1 {
		t.Fatalf("second resolve: %v, %d lookups, want 1", err, e.store.lookups)
	}
	// After it, it is; a session ended elsewhere (another node) is then refused.
	if _, err := e.store.DeleteUserSessions(context.Background(), e.user.ID, nil); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(200 * time.Millisecond)
	if _, err := e.resolve(cs); err != session.ErrNoSession || e.store.lookups != 2 {
		t.Fatalf("after the TTL: %v, %d lookups", err, e.store.lookups)
	}
	if len(e.fails) != 1 || e.fails[0] != session.ReasonBadSession {
		t.Errorf("failures %v", e.fails)
	}

	for _, tc := range []struct {
		name  string
		after time.Duration
		ok    bool
	}{
		{"used within the idle timeout", 6 * 24 * time.Hour, true},
		{"idle too long", 7 * 24 * time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := e.signIn()
			e.now = e.now.Add(tc.after)
			_, err := e.resolve(cs)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
		})
	}
	// Absolute expiry: used every day, still over after 30 days.
	cs = e.signIn()
	for range 29 {
		e.now = e.now.Add(24 * time.Hour)
		if _, err := e.resolve(cs); err != nil {
			t.Fatalf("daily use: %v", err)
		}
	}
	e.now = e.now.Add(24 * time.Hour)
	if _, err := e.resolve(cs); err != session.ErrNoSession {
		t.Fatalf("after the max age: %v", err)
	}
}

func TestEnd(t *testing.T) {
	e := newEnv(t, nil)
	cs := e.signIn()
	if _, err := e.resolve(cs); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := e.m.End(rec, withCookies(httptest.NewRequest("POST", "/signout", nil), cs)); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge >= 0 || c.Value != "" {
			t.Errorf("cookie %s not cleared: %+v", c.Name, c)
		}
	}
	// Refused at once on this node (no cache wait).
	if _, err := e.resolve(cs); err != session.ErrNoSession {
		t.Fatalf("after sign-out: %v", err)
	}
}

// formPost builds a sign-in POST carrying cookies, a form token and extra headers.
func formPost(cs []*http.Cookie, token string, hdr map[string]string) *http.Request {
	v := url.Values{"key": {"k"}}
	if token != "" {
		v.Set("csrf", token)
	}
	r := httptest.NewRequest("POST", "http://ttr.test/signin", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, val := range hdr {
		r.Header.Set(k, val)
	}
	return withCookies(r, cs)
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	// A visitor gets an anonymous token with its cookie (login CSRF).
	rec := httptest.NewRecorder()
	anon := e.m.CSRFToken(rec, httptest.NewRequest("GET", "/", nil), nil)
	anonCookies := rec.Result().Cookies()
	if !strings.HasPrefix(anon, "a.") || len(anonCookies) != 1 || anonCookies[0].Value != anon {
		t.Fatalf("anonymous token %q, cookies %v", anon, anonCookies)
	}
	// Signed in, the token is bound to the session.
	sessCookies := e.signIn()
	p, err := e.resolve(sessCookies)
	if err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	bound := e.m.CSRFToken(rec, withCookies(httptest.NewRequest("GET", "/", nil), sessCookies), &p)
	if bound == anon || strings.HasPrefix(bound, "a.") {
		t.Fatalf("session token %q", bound)
	}
	forged := "a.nonce." + strings.Repeat("A", 43)
	forgedCookie := []*http.Cookie{{Name: "ttr_csrf", Value: forged}}
	for _, tc := range []struct {
		name    string
		cookies []*http.Cookie
		token   string
		hdr     map[string]string
		p       *session.Principal
		ok      bool
	}{
		{"anonymous, matching", anonCookies, anon, nil, nil, true},
		{"anonymous, no form token", anonCookies, "", nil, nil, false},
		{"anonymous, no cookie", nil, anon, nil, nil, false},
		{"anonymous, token differs from cookie", anonCookies, anon + "x", nil, nil, false},
		{"anonymous, forged (not signed by us)", forgedCookie, forged, nil, nil, false},
		{"anonymous, cross-site", anonCookies, anon, map[string]string{"Sec-Fetch-Site": "cross-site"}, nil, false},
		{"anonymous, other origin", anonCookies, anon, map[string]string{"Origin": "http://evil.test"}, nil, false},
		{"anonymous, same origin", anonCookies, anon, map[string]string{"Origin": "http://ttr.test", "Sec-Fetch-Site": "same-origin"}, nil, true},
		{"session, bound token", append(sessCookies[:1:1], &http.Cookie{Name: "ttr_csrf", Value: bound}), bound, nil, &p, true},
		{"session, anonymous token", append(sessCookies[:1:1], anonCookies...), anon, nil, &p, false},
		{"session, header token", append(sessCookies[:1:1], &http.Cookie{Name: "ttr_csrf", Value: bound}), "", map[string]string{"X-CSRF-Token": bound}, &p, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.m.VerifyCSRF(formPost(tc.cookies, tc.token, tc.hdr), tc.p)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if err != nil && messages.CodeOf(err) != messages.EForbidden {
				t.Fatalf("code %v", messages.CodeOf(err))
			}
		})
	}
}

func TestKeyUserReasons(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	old := "old-key-0123456789abcdefghijklmno"
	hash := keyring.Hash([]byte(old))
	u := messages.User{Slug: "keyuser", AuthKeyHash: hash, SlugPings: true, CreatedAt: e.now}
	if err := e.store.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	if got, err := e.m.KeyUser(ctx, r, old); err != nil || got.ID != u.ID {
		t.Fatalf("valid key: %v, %v", got.ID, err)
	}
	if err := e.store.ReplaceAuthKey(ctx, u.ID, hash, keyring.Hash([]byte("new")), e.now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key    string
		reason session.Reason
		counts bool
	}{
		{old, session.ReasonRetiredKey, false},
		{"never-existed", session.ReasonUnknownKey, true},
		{strings.Repeat("x", 300), session.ReasonUnknownKey, true},
	} {
		e.fails = nil
		if _, err := e.m.KeyUser(ctx, r, tc.key); err != session.ErrBadKey {
			t.Fatalf("%.10s…: %v", tc.key, err)
		}
		if len(e.fails) != 1 || e.fails[0] != tc.reason || tc.reason.Counts() != tc.counts {
			t.Errorf("%.10s…: failures %v, want %s (counts %v)", tc.key, e.fails, tc.reason, tc.counts)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*session.Config)
		ok   bool
	}{
		{"defaults", func(*session.Config) {}, true},
		{"cache too long", func(c *session.Config) { c.CacheTTL = time.Second }, false},
		{"max age below idle", func(c *session.Config) { c.MaxAge = time.Hour }, false},
		{"idle too short", func(c *session.Config) { c.IdleTimeout = time.Second }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := session.DefaultConfig()
			tc.edit(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
