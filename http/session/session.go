package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
)

// Cookie names (docs/operations.md "Cookies"). The __Host- prefix makes the browser refuse the cookie unless it is
// Secure, host-only and for path /, so a sibling subdomain cannot plant one; it can only be
// used over https.
const (
	CookieSession       = "__Host-ttr_session"
	CookieCSRF          = "__Host-csrf"
	CookieSessionPlain  = "ttr_session"
	CookieCSRFPlain     = "ttr_csrf"
	HeaderCSRF          = "X-CSRF-Token"
	FormFieldCSRF       = "csrf"
	tokenBytes          = 32
	maxCookieLen        = 256
	purposeSessionToken = "session"
)

// Store is what sessions need of the store (persistence.Store implements it).
type Store interface {
	CreateSession(ctx context.Context, s messages.Session) error
	SessionByHash(ctx context.Context, hash []byte) (messages.Session, error)
	TouchSession(ctx context.Context, hash []byte, seenAt time.Time) error
	DeleteSession(ctx context.Context, hash []byte) error
	DeleteUserSessions(ctx context.Context, userID int64, keep []byte) (int64, error)
	UserByID(ctx context.Context, userID int64) (messages.User, messages.UserPrefs, error)
	UserByAuthKeyHash(ctx context.Context, hash []byte) (messages.User, error)
	// RetiredCredential finds a credential retired at or after since (ErrNotFound: none).
	RetiredCredential(ctx context.Context, digest []byte, since time.Time) (messages.RetiredCredential, error)
	// KeyNetworks returns the client networks the user's access key may be used from ("" =
	// any).
	KeyNetworks(ctx context.Context, userID int64) (string, error)
	// TouchUser records that the user was seen (sign-ins and session use keep an account
	// that is used only through the web UI from counting as inactive).
	TouchUser(ctx context.Context, userID int64, at time.Time) error
}

// Config configures sessions. The zero value is not valid: start from DefaultConfig.
type Config struct {
	// Secure says the public URL is https: cookies get the __Host- names and the Secure
	// attribute. Plain HTTP (a loopback address, or --insecure-cookies) uses ttr_session and
	// ttr_csrf without Secure.
	Secure bool
	// IdleTimeout ends a session not used for this long (default 7 days).
	IdleTimeout time.Duration
	// MaxAge ends a session this long after sign-in, used or not (default 30 days).
	MaxAge time.Duration
	// CacheTTL is how long a node trusts a looked-up session before asking the store again
	// (default 250 ms, at most 500 ms): a sign-out on one node reaches the others within it.
	CacheTTL time.Duration
	// RetiredFor is how long a rotated or deleted key is refused as such rather than as a
	// guess (the edge's RetiredFor; default 24 h).
	RetiredFor time.Duration
	// AdminIdleTimeout ends an admin session not used for this long (default 30 minutes).
	AdminIdleTimeout time.Duration
	// AdminMaxAge ends an admin session this long after sign-in (default 8 hours).
	AdminMaxAge time.Duration
	// TrustedOrigins are origins (scheme://host[:port]) besides the request's own whose
	// state-changing requests are accepted: the public URL, when a proxy rewrites Host.
	TrustedOrigins []string
}

// DefaultConfig returns the documented defaults (plain-HTTP cookies).
func DefaultConfig() Config {
	return Config{IdleTimeout: 7 * 24 * time.Hour, MaxAge: 30 * 24 * time.Hour, CacheTTL: 250 * time.Millisecond, RetiredFor: 24 * time.Hour,
		AdminIdleTimeout: 30 * time.Minute, AdminMaxAge: 8 * time.Hour}
}

// maxCacheTTL bounds how stale a node's view of a session may be.
const maxCacheTTL = 500 * time.Millisecond

// touchEvery is how often a session's last use is written (its idle expiry has this slack).
const touchEvery = time.Minute

// Validate lists every problem of c.
func (c Config) Validate() error {
	var errs []error
	if c.IdleTimeout < time.Minute {
		errs = append(errs, fmt.Errorf("session idle timeout %v: want at least 1m", c.IdleTimeout))
	}
	if c.MaxAge < c.IdleTimeout {
		errs = append(errs, fmt.Errorf("session max age %v: want at least the idle timeout %v", c.MaxAge, c.IdleTimeout))
	}
	if c.AdminIdleTimeout < time.Minute || c.AdminMaxAge < c.AdminIdleTimeout {
		errs = append(errs, fmt.Errorf("admin session idle timeout %v and max age %v: want at least 1m, and the max age at least the idle timeout", c.AdminIdleTimeout, c.AdminMaxAge))
	}
	if c.CacheTTL < 0 || c.CacheTTL > maxCacheTTL {
		errs = append(errs, fmt.Errorf("session cache TTL %v: want 0 to %v", c.CacheTTL, maxCacheTTL))
	}
	return errors.Join(errs...)
}

// Deps are a Manager's collaborators.
type Deps struct {
	Store Store
	// Index is the keyed hash of a secret for lookups (keyring.Ring.Index); session tokens
	// are stored as Index("session", token).
	Index func(purpose string, value []byte) []byte
	// CSRFKey signs CSRF tokens (at least 32 bytes, derived from the server secret, the same
	// on every node).
	CSRFKey []byte
	// OnAuthFailure, when set, is told of every refused credential (see Failed).
	OnAuthFailure func(r *http.Request, reason Reason)
	// Admins holds admin sessions (the admin pages); nil = none.
	Admins AdminStore
	// Limits holds the failed-authentication allowance of client IPs that KeyUser enforces;
	// nil = no limits.
	Limits *limit.Limits
	Logger *slog.Logger
	Now    func() time.Time
}

// Principal is a signed-in browser: its session and its user.
type Principal struct {
	Session messages.Session
	User    messages.User
	Prefs   messages.UserPrefs
}

// Manager creates, resolves and ends sessions and checks CSRF tokens. It is safe for
// concurrent use.
type Manager struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	now  func() time.Time
	cop  *http.CrossOriginProtection

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	p  Principal
	at time.Time
}

// maxCached bounds the lookup cache; when full it starts over (entries live < 1 s anyway).
const maxCached = 10000

// New builds a Manager.
func New(cfg Config, deps Deps) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Index == nil {
		return nil, errors.New("session: Store and Index are required")
	}
	if len(deps.CSRFKey) < 32 {
		return nil, errors.New("session: the CSRF key must be at least 32 bytes")
	}
	m := &Manager{cfg: cfg, deps: deps, log: deps.Logger, now: deps.Now, cop: http.NewCrossOriginProtection(), cache: map[string]cached{}}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	for _, o := range cfg.TrustedOrigins {
		if err := m.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("session: trusted origin %q: %w", o, err)
		}
	}
	// Refusals are answered by VerifyCSRF's caller, as every other error of the edge.
	m.cop.SetDenyHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	return m, nil
}

// Config returns the Manager's configuration.
func (m *Manager) Config() Config { return m.cfg }

// SessionCookie names the session cookie of this set-up.
func (m *Manager) SessionCookie() string {
	if m.cfg.Secure {
		return CookieSession
	}
	return CookieSessionPlain
}

// CSRFCookie names the CSRF cookie of this set-up.
func (m *Manager) CSRFCookie() string {
	if m.cfg.Secure {
		return CookieCSRF
	}
	return CookieCSRFPlain
}

// ErrNoSession says the request carries no valid session cookie.
var ErrNoSession = &messages.Error{Code: messages.EUnauthorized, Message: "not signed in"}

// Begin signs userID in: it stores a new session and sets its cookie and its CSRF cookie on
// w. A session that r already carried is ended first (no session fixation).
func (m *Manager) Begin(w http.ResponseWriter, r *http.Request, userID int64) (messages.Session, error) {
	if old := m.tokenHash(r); old != nil {
		_ = m.deps.Store.DeleteSession(r.Context(), old)
		m.evict(old)
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return messages.Session{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := m.now().UTC().Truncate(time.Millisecond)
	s := messages.Session{
		TokenHash: m.deps.Index(purposeSessionToken, []byte(token)),
		UserID:    userID, CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(m.cfg.MaxAge),
	}
	if err := m.deps.Store.CreateSession(r.Context(), s); err != nil {
		return messages.Session{}, err
	}
	if err := m.deps.Store.TouchUser(r.Context(), userID, now); err != nil {
		m.log.DebugContext(r.Context(), "record the user's sign-in", "user_id", userID, "err", err)
	}
	m.setCookie(w, m.SessionCookie(), token, true, m.cfg.MaxAge)
	m.setCookie(w, m.CSRFCookie(), m.sessionCSRF(s.TokenHash), false, m.cfg.MaxAge)
	return s, nil
}

// Resolve returns the signed-in principal of r, or ErrNoSession. A session past its idle or
// absolute expiry, or whose user is gone, is ended. Store errors are returned as they are.
func (m *Manager) Resolve(r *http.Request) (Principal, error) {
	hash := m.tokenHash(r)
	if hash == nil {
		return Principal{}, ErrNoSession
	}
	now := m.now()
	key := string(hash)
	m.mu.Lock()
	c, ok := m.cache[key]
	m.mu.Unlock()
	if ok && now.Sub(c.at) < m.cfg.CacheTTL && now.Sub(c.at) >= 0 {
		return c.p, nil
	}
	ctx := r.Context()
	s, err := m.deps.Store.SessionByHash(ctx, hash)
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			m.evict(hash)
			m.Failed(r, ReasonBadSession)
			return Principal{}, ErrNoSession
		}
		return Principal{}, err
	}
	if !now.Before(s.ExpiresAt) || now.Sub(s.SeenAt) >= m.cfg.IdleTimeout {
		_ = m.deps.Store.DeleteSession(ctx, hash)
		m.evict(hash)
		return Principal{}, ErrNoSession
	}
	u, prefs, err := m.deps.Store.UserByID(ctx, s.UserID)
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			return Principal{}, ErrNoSession
		}
		return Principal{}, err
	}
	if now.Sub(s.SeenAt) >= touchEvery {
		seen := now.UTC().Truncate(time.Millisecond)
		if err := m.deps.Store.TouchSession(ctx, hash, seen); err != nil {
			m.log.WarnContext(ctx, "touch session", "err", err)
		} else {
			s.SeenAt = seen
		}
		if now.Sub(u.LastSeenAt) >= time.Hour {
			if err := m.deps.Store.TouchUser(ctx, u.ID, seen); err != nil {
				m.log.DebugContext(ctx, "record the user's last use", "user_id", u.ID, "err", err)
			}
		}
	}
	p := Principal{Session: s, User: u, Prefs: prefs}
	if m.cfg.CacheTTL > 0 {
		m.mu.Lock()
		if len(m.cache) >= maxCached {
			clear(m.cache)
		}
		m.cache[key] = cached{p: p, at: now}
		m.mu.Unlock()
	}
	return p, nil
}

// End signs r's browser out: its session is deleted and its cookies cleared.
func (m *Manager) End(w http.ResponseWriter, r *http.Request) error {
	if hash := m.tokenHash(r); hash != nil {
		m.evict(hash)
		if err := m.deps.Store.DeleteSession(r.Context(), hash); err != nil {
			return err
		}
	}
	m.setCookie(w, m.SessionCookie(), "", true, -1)
	m.setCookie(w, m.CSRFCookie(), "", false, -1)
	return nil
}

// EndOthers ends every session of the user but keep (nil = all), and forgets them on this
// node at once; other nodes forget them within CacheTTL.
func (m *Manager) EndOthers(ctx context.Context, userID int64, keep []byte) (int64, error) {
	n, err := m.deps.Store.DeleteUserSessions(ctx, userID, keep)
	m.ForgetUser(userID, keep)
	return n, err
}

// ForgetUser drops this node's cached sessions of the user but keep (after a change made
// elsewhere, e.g. a key rotation that ended them in the store).
func (m *Manager) ForgetUser(userID int64, keep []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, c := range m.cache {
		if c.p.User.ID == userID && k != string(keep) {
			delete(m.cache, k)
		}
	}
}

func (m *Manager) evict(hash []byte) {
	m.mu.Lock()
	delete(m.cache, string(hash))
	m.mu.Unlock()
}

// tokenHash returns the stored form of r's session token, or nil without a plausible one.
func (m *Manager) tokenHash(r *http.Request) []byte {
	c, err := r.Cookie(m.SessionCookie())
	if err != nil || c.Value == "" || len(c.Value) > maxCookieLen {
		return nil
	}
	return m.deps.Index(purposeSessionToken, []byte(c.Value))
}

// HasSessionCookie reports whether r carries a session cookie at all (valid or not): such a
// request is authenticated by the cookie and must pass the CSRF checks.
func (m *Manager) HasSessionCookie(r *http.Request) bool {
	c, err := r.Cookie(m.SessionCookie())
	return err == nil && c.Value != ""
}

// setCookie writes one of the Manager's cookies: host-only, path /, SameSite=Lax, Secure on
// https; maxAge < 0 deletes it.
func (m *Manager) setCookie(w http.ResponseWriter, name, value string, httpOnly bool, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: httpOnly, Secure: m.cfg.Secure, SameSite: http.SameSiteLaxMode}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}
