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
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
)

// TestAdminSessions: an admin session has its own Strict cookie, refuses a user's cookie and
// a forged CSRF token, ends on sign-out, when idle, at its max age, and when the admin's
// password changes — each at the next request, with no cache.
func TestAdminSessions(t *testing.T) {
	ctx := context.Background()
	st := sqlitetest.Open(t)
	ring, _ := keyring.Parse("k1:"+keyring.NewKey(), strings.Repeat("s", 32))
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	m, err := session.New(session.DefaultConfig(), session.Deps{Store: st, Admins: st, Index: ring.Index,
		CSRFKey: []byte(strings.Repeat("c", 32)), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	a := persistence.Admin{Username: "root", PasswordHash: "h", CreatedAt: now}
	if err := st.CreateAdmin(ctx, &a); err != nil {
		t.Fatal(err)
	}
	begin := func() []*http.Cookie {
		rec := httptest.NewRecorder()
		if _, err := m.BeginAdmin(rec, httptest.NewRequest("POST", "/admin/login", nil), a.ID); err != nil {
			t.Fatal(err)
		}
		cs := rec.Result().Cookies()
		if len(cs) != 1 || cs[0].Name != "ttr_admin" || cs[0].SameSite != http.SameSiteStrictMode || !cs[0].HttpOnly {
			t.Fatalf("admin cookie %+v", cs)
		}
		return cs
	}
	resolve := func(cs []*http.Cookie) (session.AdminPrincipal, error) {
		return m.ResolveAdmin(withCookies(httptest.NewRequest("GET", "/admin", nil), cs))
	}
	cs := begin()
	p, err := resolve(cs)
	if err != nil || p.Admin.Username != "root" {
		t.Fatalf("resolve: %+v %v", p, err)
	}
	// A user's session cookie with the same value is no admin session.
	if _, err := resolve([]*http.Cookie{{Name: "ttr_session", Value: cs[0].Value}}); err != session.ErrNoAdminSession {
		t.Fatalf("a user cookie as an admin session: %v", err)
	}

	// CSRF: the session's token passes; none, another's or a cross-site post does not.
	post := func(token string, hdr map[string]string) *http.Request {
		r := httptest.NewRequest("POST", "http://ttr.test/admin/users/1/disable", strings.NewReader(url.Values{"csrf": {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return withCookies(r, cs)
	}
	tok := m.AdminCSRF(p)
	other := begin()
	po, _ := resolve(other)
	for _, tc := range []struct {
		name string
		r    *http.Request
		ok   bool
	}{
		{"own token", post(tok, nil), true},
		{"no token", post("", nil), false},
		{"another session's token", post(m.AdminCSRF(po), nil), false},
		{"cross-site", post(tok, map[string]string{"Sec-Fetch-Site": "cross-site"}), false},
	} {
		if err := m.VerifyAdminCSRF(tc.r, p); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
	}

	// Sign-out ends it at once.
	rec := httptest.NewRecorder()
	if err := m.EndAdmin(rec, withCookies(httptest.NewRequest("POST", "/admin/logout", nil), cs)); err != nil {
		t.Fatal(err)
	}
	if _, err := resolve(cs); err != session.ErrNoAdminSession {
		t.Fatalf("after sign-out: %v", err)
	}
	// Idle for 30 minutes: ended; used every 20 minutes: ends at the 8-hour max age.
	cs = begin()
	now = now.Add(31 * time.Minute)
	if _, err := resolve(cs); err != session.ErrNoAdminSession {
		t.Fatalf("after 31 idle minutes: %v", err)
	}
	cs = begin()
	start := now
	for now.Sub(start) < 8*time.Hour-20*time.Minute {
		now = now.Add(20 * time.Minute)
		if _, err := resolve(cs); err != nil {
			t.Fatalf("used every 20 minutes, at %v: %v", now.Sub(start), err)
		}
	}
	now = start.Add(8 * time.Hour)
	if _, err := resolve(cs); err != session.ErrNoAdminSession {
		t.Fatalf("after the max age: %v", err)
	}
	// A new password ends every session of the admin.
	cs = begin()
	if err := st.SetAdminPassword(ctx, "root", "new", now); err != nil {
		t.Fatal(err)
	}
	if _, err := resolve(cs); err != session.ErrNoAdminSession {
		t.Fatalf("after a new password: %v", err)
	}
}
