package account

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/http/credential"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
)

// Scoped API tokens and the access key's allowed networks, as the API's /user/api-tokens
// and /user/key-networks and the account page both change them (docs/api.md "API tokens").

// MaxTokenName bounds a token's name (characters).
const MaxTokenName = 100

// TokenStore is what tokens need of the store (persistence.CredentialStore).
type TokenStore interface {
	CreateAPIToken(ctx context.Context, t *messages.APIToken) error
	CountAPITokens(ctx context.Context, userID int64) (int64, error)
	KeyNetworks(ctx context.Context, userID int64) (string, error)
	SetKeyNetworks(ctx context.Context, userID int64, networks string) error
}

// Tokens makes scoped API tokens and sets the key's networks.
type Tokens struct {
	Store  TokenStore
	Quotas limit.Quotas
	Now    func() time.Time // nil = time.Now
}

// TokenSpec is a token to make: names of scopes and CIDRs as a client sends them; a zero
// ExpiresAt never expires.
type TokenSpec struct {
	Name      string
	Scopes    []string
	ExpiresAt time.Time
	Networks  []string
}

// ValidTokenName checks a token's name: one line of text, without control characters (a
// NUL is also what PostgreSQL refuses to store).
func ValidTokenName(name string) error {
	if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > MaxTokenName || !utf8.ValidString(name) {
		return messages.Errorf(messages.EInvalid, "name must be 1 to %d characters", MaxTokenName)
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return messages.Errorf(messages.EInvalid, "name must not contain control characters (line breaks, tabs, NUL)")
	}
	return nil
}

// maxExpiryYear is the last year an expiry may fall in (UTC): RFC 3339, in which the token
// is answered and listed, has four-digit years, and a time beyond it could be stored but
// never shown again.
const maxExpiryYear = 9999

// ValidExpiry checks an expiry at now: zero (never) or in the future, before the year 10000.
func ValidExpiry(t, now time.Time) error {
	if t.IsZero() {
		return nil
	}
	if !t.After(now) {
		return messages.Errorf(messages.EInvalid, "expires_at must be in the future")
	}
	if t.UTC().Year() > maxExpiryYear {
		return messages.Errorf(messages.EInvalid, "expires_at must be before the year %d (UTC)", maxExpiryYear+1)
	}
	return nil
}

// Create validates spec, checks the token quota and stores a new token of the user. The
// token itself is returned once, here; the store keeps its digest.
func (t *Tokens) Create(ctx context.Context, userID int64, spec TokenSpec) (messages.APIToken, string, error) {
	if t == nil || t.Store == nil {
		return messages.APIToken{}, "", errors.New("account: no token store configured")
	}
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	if err := ValidTokenName(spec.Name); err != nil {
		return messages.APIToken{}, "", err
	}
	scopes, err := credential.ParseScopes(spec.Scopes)
	if err != nil {
		return messages.APIToken{}, "", messages.Errorf(messages.EInvalid, "%s", err.Error())
	}
	if err := ValidExpiry(spec.ExpiresAt, now); err != nil {
		return messages.APIToken{}, "", err
	}
	nets, err := credential.ParseNetworks(spec.Networks)
	if err != nil {
		return messages.APIToken{}, "", messages.Errorf(messages.EInvalid, "%s", err.Error())
	}
	have, err := t.Store.CountAPITokens(ctx, userID)
	if err != nil {
		return messages.APIToken{}, "", err
	}
	if err := t.Quotas.AllowAPIToken(have, 1); err != nil {
		return messages.APIToken{}, "", err
	}
	m, err := credential.Mint(scopes)
	if err != nil {
		return messages.APIToken{}, "", err
	}
	tok := messages.APIToken{UserID: userID, Name: spec.Name, Prefix: m.Prefix, Digest: m.Digest, Scopes: scopes.String(),
		Networks: nets, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	if !spec.ExpiresAt.IsZero() {
		tok.ExpiresAt = spec.ExpiresAt.UTC().Truncate(time.Millisecond)
	}
	if err := t.Store.CreateAPIToken(ctx, &tok); err != nil {
		return messages.APIToken{}, "", err
	}
	return tok, m.Token, nil
}

// ErrLockout refuses key networks that leave out the client setting them with the key.
var ErrLockout = messages.Errorf(messages.EInvalid, "allowed_networks must include your own address, or this key would stop working at once")

// SetKeyNetworks replaces the networks the user's access key may be used from (none = any
// client) and returns them as stored. When mustAllow is valid (the caller uses the key
// itself) a list leaving it out is refused: it would lock the key out at once.
func (t *Tokens) SetKeyNetworks(ctx context.Context, userID int64, list []string, mustAllow func(stored string) bool) (string, error) {
	nets, err := credential.ParseNetworks(list)
	if err != nil {
		return "", messages.Errorf(messages.EInvalid, "%s", err.Error())
	}
	if mustAllow != nil && !mustAllow(nets) {
		return "", ErrLockout
	}
	if err := t.Store.SetKeyNetworks(ctx, userID, nets); err != nil {
		return "", err
	}
	return nets, nil
}
