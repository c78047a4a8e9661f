package http

import (
	"context"
	"net/http"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// HeaderAuthKey carries a user's access key.
const HeaderAuthKey = "X-Auth-Key"

// maxAuthKeyLen bounds what is hashed and looked up: minted keys are 32 characters.
const maxAuthKeyLen = 256

// Credential kinds a Principal was authenticated by.
const (
	// ViaAuthKey is a user's access key in X-Auth-Key.
	ViaAuthKey = "auth_key"
)

// Principal is who made an authenticated API request.
type Principal struct {
	User messages.User
	// Via names the credential (ViaAuthKey). Scoped API tokens and admin JWTs
	// (Authorization: Bearer) will add their kinds, and a token's scopes, here.
	Via string
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

// authenticate resolves the caller of an API request. It is the seam for every credential:
// today only X-Auth-Key; Authorization: Bearer (scoped API tokens, admin JWTs) and the web
// UI's cookie session are later sources tried here, in a fixed order. Keys are never logged.
func (s *Server) authenticate(r *http.Request) (Principal, error) {
	if key := r.Header.Get(HeaderAuthKey); key != "" {
		p, err := s.authByKey(r.Context(), key)
		if err == nil {
			s.seen(r.Context(), p.User)
		}
		return p, err
	}
	return Principal{}, errUnauthenticated
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
// count; nor does a key its user rotated away recently (Deps.KeyRecentlyRotated).
func (s *Server) authenticateLimited(r *http.Request) (Principal, error) {
	lim := s.deps.Limits
	key := r.Header.Get(HeaderAuthKey)
	if key == "" {
		return s.authenticate(r)
	}
	ip := lim.ClientIP(r)
	if err := lim.AuthBlocked(ip); err != nil {
		return Principal{}, err
	}
	p, err := s.authenticate(r)
	if messages.CodeOf(err) != messages.EUnauthorized {
		return p, err
	}
	if rotated := s.deps.KeyRecentlyRotated; rotated != nil && len(key) <= maxAuthKeyLen &&
		rotated(r.Context(), keyring.Hash([]byte(key))) {
		return p, err
	}
	if lerr := lim.AuthFailed(r.Context(), ip); lerr != nil {
		return p, lerr
	}
	return p, err
}

// authByKey looks the user up by the SHA-256 of the key. The lookup is by hash, so there is
// no secret comparison to time.
func (s *Server) authByKey(ctx context.Context, key string) (Principal, error) {
	if len(key) > maxAuthKeyLen {
		return Principal{}, errUnauthenticated
	}
	u, err := s.deps.Store.UserByAuthKeyHash(ctx, keyring.Hash([]byte(key)))
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			return Principal{}, errUnauthenticated
		}
		return Principal{}, err
	}
	if !u.DisabledAt.IsZero() {
		return Principal{}, errDisabled
	}
	return Principal{User: u, Via: ViaAuthKey}, nil
}

// errDisabled answers every request of a user an admin disabled (their pings still count).
var errDisabled = messages.Errorf(messages.EForbidden, "this account is disabled")
