package session

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Admin sessions (docs/operations.md "Admin pages"): an operator signed in to the admin
// pages. They are kept apart from users' sessions — their own cookie (SameSite=Strict), their
// own table, a shorter idle and absolute expiry, no cache (every request asks the store, so a
// sign-out, a new password or a deleted admin takes effect on every node at the next request)
// — and their forms carry a CSRF token bound to the admin session by an HMAC.

// Cookie names of admin sessions.
const (
	CookieAdmin      = "__Host-ttr_admin"
	CookieAdminPlain = "ttr_admin"
	purposeAdmin     = "admin-session"
)

// AdminStore is what admin sessions need of the store (persistence.Store implements it).
type AdminStore interface {
	CreateAdminSession(ctx context.Context, s persistence.AdminSession) error
	AdminSessionByHash(ctx context.Context, hash []byte) (persistence.AdminSession, error)
	TouchAdminSession(ctx context.Context, hash []byte, seenAt time.Time) error
	DeleteAdminSession(ctx context.Context, hash []byte) error
	PruneAdminSessions(ctx context.Context, now, idleBefore time.Time) (int64, error)
	AdminByID(ctx context.Context, id int64) (persistence.Admin, error)
}

// AdminPrincipal is a browser signed in as an admin.
type AdminPrincipal struct {
	Session persistence.AdminSession
	Admin   persistence.Admin
}

// ErrNoAdminSession says the request carries no valid admin session.
var ErrNoAdminSession = &messages.Error{Code: messages.EUnauthorized, Message: "not signed in as an admin"}

// errNoAdmins answers admin session calls of a Manager built without Deps.Admins.
var errNoAdmins = errors.New("session: no admin store configured")

// AdminCookie names the admin session cookie of this set-up.
func (m *Manager) AdminCookie() string {
	if m.cfg.Secure {
		return CookieAdmin
	}
	return CookieAdminPlain
}

// AdminEnabled reports whether the Manager can hold admin sessions.
func (m *Manager) AdminEnabled() bool { return m.deps.Admins != nil }

// BeginAdmin signs adminID in to the admin pages: a new admin session and its cookie. An
// admin session r already carried is ended first (no session fixation). Expired and idle
// admin sessions of anyone are pruned on the way (few rows, indexed).
func (m *Manager) BeginAdmin(w http.ResponseWriter, r *http.Request, adminID int64) (AdminPrincipal, error) {
	st := m.deps.Admins
	if st == nil {
		return AdminPrincipal{}, errNoAdmins
	}
	ctx := r.Context()
	if old := m.adminHash(r); old != nil {
		_ = st.DeleteAdminSession(ctx, old)
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return AdminPrincipal{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := m.now().UTC().Truncate(time.Millisecond)
	if _, err := st.PruneAdminSessions(ctx, now, now.Add(-m.cfg.AdminIdleTimeout)); err != nil {
		m.log.WarnContext(ctx, "prune admin sessions", "err", err)
	}
	s := persistence.AdminSession{TokenHash: m.deps.Index(purposeAdmin, []byte(token)), AdminID: adminID,
		CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(m.cfg.AdminMaxAge)}
	if err := st.CreateAdminSession(ctx, s); err != nil {
		return AdminPrincipal{}, err
	}
	a, err := st.AdminByID(ctx, adminID)
	if err != nil {
		return AdminPrincipal{}, err
	}
	m.setAdminCookie(w, token, m.cfg.AdminMaxAge)
	return AdminPrincipal{Session: s, Admin: a}, nil
}

// ResolveAdmin returns the admin signed in on r, or ErrNoAdminSession. A session past its
// idle or absolute expiry, or whose admin is gone, is ended.
func (m *Manager) ResolveAdmin(r *http.Request) (AdminPrincipal, error) {
	st := m.deps.Admins
	hash := m.adminHash(r)
	if st == nil || hash == nil {
		return AdminPrincipal{}, ErrNoAdminSession
	}
	ctx := r.Context()
	s, err := st.AdminSessionByHash(ctx, hash)
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			m.Failed(r, ReasonBadSession)
			return AdminPrincipal{}, ErrNoAdminSession
		}
		return AdminPrincipal{}, err
	}
	now := m.now()
	if !now.Before(s.ExpiresAt) || now.Sub(s.SeenAt) >= m.cfg.AdminIdleTimeout {
		_ = st.DeleteAdminSession(ctx, hash)
		return AdminPrincipal{}, ErrNoAdminSession
	}
	a, err := st.AdminByID(ctx, s.AdminID)
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			return AdminPrincipal{}, ErrNoAdminSession
		}
		return AdminPrincipal{}, err
	}
	if now.Sub(s.SeenAt) >= touchEvery {
		seen := now.UTC().Truncate(time.Millisecond)
		if err := st.TouchAdminSession(ctx, hash, seen); err != nil {
			m.log.WarnContext(ctx, "touch admin session", "err", err)
		} else {
			s.SeenAt = seen
		}
	}
	return AdminPrincipal{Session: s, Admin: a}, nil
}

// EndAdmin signs r's browser out of the admin pages.
func (m *Manager) EndAdmin(w http.ResponseWriter, r *http.Request) error {
	if hash := m.adminHash(r); hash != nil && m.deps.Admins != nil {
		if err := m.deps.Admins.DeleteAdminSession(r.Context(), hash); err != nil {
			return err
		}
	}
	m.setAdminCookie(w, "", -1)
	return nil
}

// AdminCSRF is the CSRF token of the admin pages' forms: an HMAC of the admin session's
// token hash. Only this server can compute it, and only for that session.
func (m *Manager) AdminCSRF(p AdminPrincipal) string {
	return base64.RawURLEncoding.EncodeToString(m.mac("admin", p.Session.TokenHash))
}

// VerifyAdminCSRF checks a state-changing request of an admin session: not from another
// origin, and carrying the session's token in X-CSRF-Token or the form field "csrf". The
// caller must have bounded the body before a form is parsed.
func (m *Manager) VerifyAdminCSRF(r *http.Request, p AdminPrincipal) error {
	if err := m.cop.Check(r); err != nil {
		m.Failed(r, ReasonCrossOrigin)
		return ErrCSRF
	}
	sent := r.Header.Get(HeaderCSRF)
	if sent == "" {
		sent = r.PostFormValue(FormFieldCSRF)
	}
	if sent == "" || !hmac.Equal([]byte(sent), []byte(m.AdminCSRF(p))) {
		m.Failed(r, ReasonCSRF)
		return ErrCSRF
	}
	return nil
}

// HasAdminCookie reports whether r carries an admin session cookie at all.
func (m *Manager) HasAdminCookie(r *http.Request) bool { return m.adminHash(r) != nil }

// adminHash returns the stored form of r's admin session token, or nil without a plausible
// one.
func (m *Manager) adminHash(r *http.Request) []byte {
	c, err := r.Cookie(m.AdminCookie())
	if err != nil || c.Value == "" || len(c.Value) > maxCookieLen {
		return nil
	}
	return m.deps.Index(purposeAdmin, []byte(c.Value))
}

// setAdminCookie writes the admin session cookie: HttpOnly, SameSite=Strict (no other site's
// page or link makes the browser send it), Secure on https; maxAge < 0 deletes it.
func (m *Manager) setAdminCookie(w http.ResponseWriter, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: m.AdminCookie(), Value: value, Path: "/", HttpOnly: true, Secure: m.cfg.Secure, SameSite: http.SameSiteStrictMode}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}
