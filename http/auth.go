package http

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/credential"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// HeaderAuthKey carries a user's access key.
const HeaderAuthKey = "X-Auth-Key"

// maxAuthKeyLen bounds what is hashed and looked up: minted keys are 32 characters.
const maxAuthKeyLen = 256

// RetiredFor is how long a rotated or deleted key, or a revoked token, is refused with its
// own message (and without counting as a guess).
const RetiredFor = 24 * time.Hour

// Credential kinds a Principal was authenticated by.
const (
	// ViaAuthKey is a user's access key in X-Auth-Key.
	ViaAuthKey = "auth_key"
	// ViaAPIToken is a scoped API token in Authorization: Bearer ttr_….
	ViaAPIToken = "api_token"
	// ViaSession is the web UI's session cookie (with the CSRF token on writes).
	ViaSession = "session"
)

// Principal is who made an authenticated API request.
type Principal struct {
	User messages.User
	// Via names the credential (ViaAuthKey, ViaAPIToken). Admin JWTs will add their kind.
	Via string
	// TokenID and Scopes are the API token's (ViaAPIToken only: every other credential may
	// do everything its user may).
	TokenID int64
	Scopes  credential.Scopes
	// Session is the signed-in browser's session (ViaSession only).
	Session *session.Principal
}

// activityMethod names the credential in the activity log.
func activityMethod(via string) string {
	switch via {
	case ViaAuthKey:
		return "key"
	case ViaAPIToken:
		return "token"
	}
	return via
}

// credentialName names the credential within its user (the activity log, the request
// allowance): "" for the key, "token:<id>" for a token.
func (p Principal) credentialName() string {
	if p.Via == ViaAPIToken {
		return "token:" + strconv.FormatInt(p.TokenID, 10)
	}
	return ""
}

type principalKey struct{}

// PrincipalFrom returns the authenticated caller the API put in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

func withPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// errUnauthenticated is the one answer to a missing, malformed or unknown credential: the
// caller learns nothing about why.
var errUnauthenticated = &messages.Error{Code: messages.EUnauthorized, Message: "missing or invalid X-Auth-Key"}

// Answers to credentials that exist, or existed, but may not be used (docs/api.md "Key
// hygiene"): none of them is a guess.
var (
	errKeyRotated   = &messages.Error{Code: messages.EUnauthorized, Message: "this access key was rotated or its account deleted: use the current key"}
	errTokenRevoked = &messages.Error{Code: messages.EUnauthorized, Message: "this API token was revoked"}
	errTokenExpired = &messages.Error{Code: messages.EUnauthorized, Message: "this API token has expired"}
	errNetwork      = &messages.Error{Code: messages.EForbidden, Message: "this credential may not be used from your network"}
)

// authFailure is a refused credential: the answer, whether it counts as a guess toward the
// failed-authentication allowance, and what the activity log records.
type authFailure struct {
	answer *messages.Error
	guess  bool
	a      activity.Attempt
}

func (f *authFailure) Error() string { return f.answer.Error() }
func (f *authFailure) Unwrap() error { return f.answer }

func refused(answer *messages.Error, guess bool, method, reason string, userID, tokenID int64) error {
	a := activity.Attempt{UserID: userID, Method: method, Reason: reason}
	if tokenID != 0 {
		a.Credential = "token:" + strconv.FormatInt(tokenID, 10)
	}
	return &authFailure{answer: answer, guess: guess, a: a}
}

// bearerKind classifies an Authorization: Bearer credential.
type bearerKind int

const (
	bearerNone     bearerKind = iota // no bearer credential
	bearerAPIToken                   // ttr_…: a scoped API token
	bearerOther                      // anything else (admin JWTs will be classified here)
)

// classifyBearer is the one place that decides what a bearer credential is on the user API.
// Admin access tokens (JWTs) and operators' metrics tokens belong to the admin API and
// /metrics: here they are bearerOther, refused without counting as a guess (no guess of
// one could succeed at this door). An admin kind accepted here would be classified here.
func classifyBearer(cred string) bearerKind {
	switch {
	case cred == "":
		return bearerNone
	case credential.LooksLikeToken(cred):
		return bearerAPIToken
	}
	return bearerOther
}

// bearer returns the credential of an Authorization: Bearer header ("" when none).
func bearer(r *http.Request) string {
	tok, _ := bearerToken(r)
	return tok
}

// hasCredential reports whether the request carries a credential to check.
func hasCredential(r *http.Request) bool {
	return r.Header.Get(HeaderAuthKey) != "" || bearer(r) != ""
}

// authenticate resolves the caller of an API request from ip. It is the seam for every
// credential, tried in a fixed order: X-Auth-Key, then Authorization: Bearer (classified by
// classifyBearer). A refusal is an *authFailure. Credentials are never logged.
func (s *Server) authenticate(r *http.Request, ip netip.Addr) (Principal, error) {
	p, err := s.authenticateCredential(r, ip)
	if err == nil {
		s.seen(r.Context(), p.User)
	}
	return p, err
}

func (s *Server) authenticateCredential(r *http.Request, ip netip.Addr) (Principal, error) {
	if key := r.Header.Get(HeaderAuthKey); key != "" {
		return s.authByKey(r.Context(), key, ip)
	}
	tok := bearer(r)
	switch classifyBearer(tok) {
	case bearerAPIToken:
		return s.authByToken(r.Context(), tok, ip)
	case bearerOther:
		return Principal{}, refused(errUnauthenticated, false, "bearer", "not a user credential", 0, 0)
	}
	return Principal{}, errUnauthenticated
}

// authBySession authenticates a request that carries no header credential by the web UI's
// session cookie. A header credential always wins over a cookie, so scripts are never subject
// to the browser's CSRF rules; a cookie-authenticated write must carry the session's CSRF
// token in X-CSRF-Token and come from the same origin. A stale cookie is no guess: it does not
// count against the failed-authentication allowance.
func (s *Server) authBySession(r *http.Request) (Principal, error) {
	if s.deps.Sessions == nil || !s.deps.Sessions.HasSessionCookie(r) {
		return Principal{}, errUnauthenticated
	}
	sp, err := s.deps.Sessions.Resolve(r)
	if err != nil {
		return Principal{}, err
	}
	if !sp.User.DisabledAt.IsZero() {
		return Principal{}, errDisabled
	}
	if !safeMethod(r.Method) {
		if err := s.deps.Sessions.VerifyCSRFHeader(r, &sp); err != nil {
			return Principal{}, err
		}
	}
	s.seen(r.Context(), sp.User)
	return Principal{User: sp.User, Via: ViaSession, Scopes: credential.All, Session: &sp}, nil
}

// safeMethod reports whether a method changes nothing (no CSRF check needed).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// seen records that the user signed in or used the API, for the cleanup of inactive
// accounts. The time read with the user decides, so a busy client costs one write per
// persistence.SeenResolution, not one per request; a failed write only delays the record.
func (s *Server) seen(ctx context.Context, u messages.User) {
	now := s.now()
	if !u.LastSeenAt.IsZero() && now.Sub(u.LastSeenAt) < persistence.SeenResolution {
		return
	}
	if err := s.deps.Store.TouchUser(ctx, u.ID, now); err != nil {
		s.log.DebugContext(ctx, "record the user's last sign-in", "user_id", u.ID, "err", err)
	}
}

// authenticateLimited is authenticate under the failed-authentication allowance of the
// client's IP: a client over it is refused before its credential is looked at, and a
// credential that does not authenticate counts against it (then the answer is 429 instead of
// 401 when it was one too many). A request without a credential is no guess and does not
// count; nor does a credential that exists or recently existed (a rotated key, a revoked or
// expired token, a credential used from outside its networks). Outcomes go to the activity
// log.
func (s *Server) authenticateLimited(r *http.Request) (Principal, error) {
	lim := s.deps.Limits
	if !hasCredential(r) {
		return s.authBySession(r)
	}
	ip := lim.ClientIP(r)
	if err := lim.AuthBlocked(ip); err != nil {
		return Principal{}, err
	}
	p, err := s.authenticate(r, ip)
	var f *authFailure
	if !errors.As(err, &f) {
		if err == nil {
			s.deps.Activity.Succeeded(r.Context(), activity.Attempt{UserID: p.User.ID, Method: activityMethod(p.Via),
				Credential: p.credentialName(), IP: ip, UserAgent: r.UserAgent()})
		}
		return p, err
	}
	f.a.IP, f.a.UserAgent = ip, r.UserAgent()
	s.deps.Activity.Failed(r.Context(), f.a)
	if !f.guess {
		return p, err
	}
	if key := r.Header.Get(HeaderAuthKey); key != "" {
		if rotated := s.deps.KeyRecentlyRotated; rotated != nil && len(key) <= maxAuthKeyLen &&
			rotated(r.Context(), keyring.Hash([]byte(key))) {
			return p, err
		}
	}
	if lerr := lim.AuthFailed(r.Context(), ip); lerr != nil {
		return p, lerr
	}
	return p, err
}

// authByKey looks the user up by the SHA-256 of the key. The lookup is by hash, so there is
// no secret comparison to time. An unknown key that was retired recently is refused as
// rotated; a known key used from outside its networks is refused as such.
func (s *Server) authByKey(ctx context.Context, key string, ip netip.Addr) (Principal, error) {
	if len(key) > maxAuthKeyLen {
		return Principal{}, refused(errUnauthenticated, true, "key", "unknown key", 0, 0)
	}
	hash := keyring.Hash([]byte(key))
	u, err := s.deps.Store.UserByAuthKeyHash(ctx, hash)
	if err != nil {
		if messages.CodeOf(err) != messages.ENotFound {
			return Principal{}, err
		}
		return Principal{}, s.retired(ctx, hash, "key", "unknown key")
	}
	if c := s.deps.Credentials; c != nil {
		nets, err := c.KeyNetworks(ctx, u.ID)
		if err != nil {
			return Principal{}, err
		}
		if !credential.Allowed(nets, ip) {
			return Principal{}, refused(errNetwork, false, "key", "network not allowed", u.ID, 0)
		}
	}
	if !u.DisabledAt.IsZero() {
		return Principal{}, errDisabled
	}
	return Principal{User: u, Via: ViaAuthKey, Scopes: credential.All}, nil
}

// errDisabled answers every request of a user an admin disabled (their pings still count).
var errDisabled = messages.Errorf(messages.EForbidden, "this account is disabled")

// retired answers a credential that matched nothing: a recently retired one with its own
// message (no guess), anything else as unknown (a guess).
func (s *Server) retired(ctx context.Context, digest []byte, method, unknown string) error {
	if c := s.deps.Credentials; c != nil {
		rc, err := c.RetiredCredential(ctx, digest, s.now().Add(-RetiredFor))
		switch {
		case err == nil && rc.Kind == messages.RetiredToken:
			return refused(errTokenRevoked, false, method, "revoked token", rc.UserID, 0)
		case err == nil:
			return refused(errKeyRotated, false, method, "rotated key", rc.UserID, 0)
		case messages.CodeOf(err) != messages.ENotFound:
			return err
		}
	}
	return refused(errUnauthenticated, true, method, unknown, 0, 0)
}

// touchEvery is how often a token's last use is written.
const touchEvery = time.Minute

// authByToken finds a scoped API token by its prefix and compares digests in constant time.
// Nothing is cached: a revoked token is refused by every node from the next request on.
func (s *Server) authByToken(ctx context.Context, tok string, ip netip.Addr) (Principal, error) {
	prefix, ok := credential.Parse(tok)
	c := s.deps.Credentials
	if !ok || c == nil {
		return Principal{}, refused(errUnauthenticated, true, "token", "unknown token", 0, 0)
	}
	digest := credential.Digest(tok)
	cands, err := c.APITokensByPrefix(ctx, prefix)
	if err != nil {
		return Principal{}, err
	}
	var t *messages.APIToken
	for i := range cands {
		if credential.SameDigest(cands[i].Digest, digest) {
			t = &cands[i]
		}
	}
	if t == nil {
		return Principal{}, s.retired(ctx, digest, "token", "unknown token")
	}
	now := s.now()
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return Principal{}, refused(errTokenExpired, false, "token", "expired token", t.UserID, t.ID)
	}
	if !credential.Allowed(t.Networks, ip) {
		return Principal{}, refused(errNetwork, false, "token", "network not allowed", t.UserID, t.ID)
	}
	u, err := c.APITokenUser(ctx, t.ID)
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound { // the account went meanwhile
			return Principal{}, refused(errUnauthenticated, false, "token", "no such user", 0, t.ID)
		}
		return Principal{}, err
	}
	if !u.DisabledAt.IsZero() {
		return Principal{}, errDisabled
	}
	if t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) >= touchEvery {
		if err := c.TouchAPIToken(ctx, t.ID, now.UTC().Truncate(time.Millisecond), now.Add(-touchEvery)); err != nil {
			s.log.WarnContext(ctx, "api token last use not recorded", "err", err)
		}
	}
	return Principal{User: u, Via: ViaAPIToken, TokenID: t.ID, Scopes: credential.ScopesFromStored(t.Scopes)}, nil
}
