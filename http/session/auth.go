package session

import (
	"context"
	"crypto/sha256"
	"net/http"

	"github.com/ttr-rip/ttr/http/credential"
	"github.com/ttr-rip/ttr/messages"
)

// Reason says why a credential was refused.
type Reason string

// Reasons for Failed.
const (
	// ReasonUnknownKey is an access key that matches no user: a guess, or a typo.
	ReasonUnknownKey Reason = "unknown_key"
	// ReasonRetiredKey is a key replaced by a rotation or ended by a deletion (within its
	// retirement): refused, but not a guess.
	ReasonRetiredKey Reason = "retired_key"
	// ReasonBadSession is a session cookie that matches no live session.
	ReasonBadSession Reason = "bad_session"
	// ReasonCSRF is a missing or wrong CSRF token.
	ReasonCSRF Reason = "csrf"
	// ReasonCrossOrigin is a state-changing request from another origin.
	ReasonCrossOrigin Reason = "cross_origin"
	// ReasonNetwork is a valid key used from outside the networks its user allowed.
	ReasonNetwork Reason = "network_not_allowed"
)

// Counts reports whether a refusal counts toward the failed-authentication limit: a key
// guess does; a retired key (its owner's scripts not yet updated), a stale session cookie
// (signed out elsewhere; its 256 random bits are not worth guessing) and CSRF refusals do not.
func (r Reason) Counts() bool { return r == ReasonUnknownKey }

// ErrBadKey is the one answer to an unknown or retired access key: the caller learns nothing
// about which.
var ErrBadKey = &messages.Error{Code: messages.EUnauthorized, Message: "missing or invalid X-Auth-Key"}

// maxKeyLen bounds what is hashed and looked up: minted keys are 32 characters.
const maxKeyLen = 256

// Failed is the one path every refused credential takes (keys, sessions, CSRF): it logs at
// debug and tells OnAuthFailure, where a failed-auth limiter hooks in.
func (m *Manager) Failed(r *http.Request, reason Reason) {
	m.log.DebugContext(r.Context(), "credential refused", "reason", string(reason), "path", r.URL.Path)
	if m.deps.OnAuthFailure != nil {
		m.deps.OnAuthFailure(r, reason)
	}
}

// KeyUser finds the user of an access key (the web UI's sign-in), under the failed-
// authentication allowance of the client's IP: a client over it is refused (429) before the
// key is looked at. An unknown key is ErrBadKey, reported to Failed as ReasonUnknownKey and
// counted against the allowance (429 instead when it was one too many), or as
// ReasonRetiredKey, not counted, when it was rotated away or its account deleted recently.
func (m *Manager) KeyUser(ctx context.Context, r *http.Request, key string) (messages.User, error) {
	ip := m.deps.Limits.ClientIP(r)
	if err := m.deps.Limits.AuthBlocked(ip); err != nil {
		return messages.User{}, err
	}
	fail := func(reason Reason) (messages.User, error) {
		m.Failed(r, reason)
		if reason.Counts() {
			if err := m.deps.Limits.AuthFailed(ctx, ip); err != nil {
				return messages.User{}, err
			}
		}
		return messages.User{}, ErrBadKey
	}
	if key == "" || len(key) > maxKeyLen {
		return fail(ReasonUnknownKey)
	}
	sum := sha256.Sum256([]byte(key))
	u, err := m.deps.Store.UserByAuthKeyHash(ctx, sum[:])
	if err == nil {
		nets, nerr := m.deps.Store.KeyNetworks(ctx, u.ID)
		if nerr != nil {
			return messages.User{}, nerr
		}
		if !credential.Allowed(nets, ip) {
			m.Failed(r, ReasonNetwork)
			return messages.User{}, ErrNetwork
		}
		if !u.DisabledAt.IsZero() {
			return messages.User{}, ErrDisabled
		}
		return u, nil
	}
	if messages.CodeOf(err) != messages.ENotFound {
		return messages.User{}, err
	}
	_, rerr := m.deps.Store.RetiredCredential(ctx, sum[:], m.now().Add(-m.cfg.RetiredFor))
	switch {
	case rerr == nil:
		return fail(ReasonRetiredKey)
	case messages.CodeOf(rerr) != messages.ENotFound:
		return messages.User{}, rerr
	}
	return fail(ReasonUnknownKey)
}

// ErrNetwork refuses a key used from outside the networks its user allowed.
var ErrNetwork = messages.Errorf(messages.EForbidden, "this credential may not be used from your network")

// ErrDisabled refuses a user an admin disabled.
var ErrDisabled = messages.Errorf(messages.EForbidden, "this account is disabled")
