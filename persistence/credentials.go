package persistence

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// CredentialStore holds scoped API tokens, retired credentials and the allowed networks of
// access keys (docs/api.md "API tokens", "Key hygiene"). Every query names the user except
// the lookups by a credential's own digest or prefix and the pruning.
//
// Error contract as Store's: ErrNotFound for a token that does not exist or belongs to
// another user, and for a digest that was never retired.
type CredentialStore interface {
	// CreateAPIToken inserts t (CreatedAt set by the caller) and sets t.ID.
	CreateAPIToken(ctx context.Context, t *messages.APIToken) error
	// CountAPITokens counts the user's tokens (expired ones included: they still count
	// against the quota until revoked).
	CountAPITokens(ctx context.Context, userID int64) (int64, error)
	// ListAPITokens returns the user's tokens by id, at most limit.
	ListAPITokens(ctx context.Context, userID int64, limit int) ([]messages.APIToken, error)
	// GetAPIToken returns one of the user's tokens.
	GetAPIToken(ctx context.Context, userID, id int64) (messages.APIToken, error)
	// APITokensByPrefix returns the tokens whose prefix is prefix (any user): the caller
	// compares digests in constant time.
	APITokensByPrefix(ctx context.Context, prefix string) ([]messages.APIToken, error)
	// APITokenUser returns the user who owns the token.
	APITokenUser(ctx context.Context, tokenID int64) (messages.User, error)
	// UpdateAPIToken writes t's name, expiry and networks (the token's id and user name it).
	UpdateAPIToken(ctx context.Context, t messages.APIToken) error
	// RevokeAPIToken deletes the user's token and retires its digest at at, in one
	// transaction.
	RevokeAPIToken(ctx context.Context, userID, id int64, at time.Time) error
	// TouchAPIToken sets the token's last use to at unless it is already at or after
	// notBefore (so that nodes racing write once).
	TouchAPIToken(ctx context.Context, id int64, at, notBefore time.Time) error

	// RetireKey records the digest of an access key the user no longer has (rotated away,
	// or the account deleted) as retired at at. Recording it again keeps the first time.
	RetireKey(ctx context.Context, userID int64, digest []byte, at time.Time) error
	// ReplaceAuthKey gives the user the access key newHash while oldHash is still theirs
	// (EConflict otherwise) and retires oldHash at at, in one transaction.
	ReplaceAuthKey(ctx context.Context, userID int64, oldHash, newHash []byte, at time.Time) error
	// RetiredCredential returns the retired credential whose digest is digest when it was
	// retired at or after since; ErrNotFound otherwise.
	RetiredCredential(ctx context.Context, digest []byte, since time.Time) (messages.RetiredCredential, error)
	// PruneRetired deletes up to limit credentials retired before before and returns how
	// many it deleted.
	PruneRetired(ctx context.Context, before time.Time, limit int) (int64, error)

	// KeyNetworks returns the networks the user's access key may be used from ("" = any).
	KeyNetworks(ctx context.Context, userID int64) (string, error)
	// SetKeyNetworks replaces them ("" = any client).
	SetKeyNetworks(ctx context.Context, userID int64, networks string) error
}

// AuditStore holds the authentication activity log.
type AuditStore interface {
	// InsertAudit appends e and sets e.ID.
	InsertAudit(ctx context.Context, e *messages.AuditEvent) error
	// ListAudit returns the user's events newest first, with an id below beforeID (0 = from
	// the newest), at most limit.
	ListAudit(ctx context.Context, userID, beforeID int64, limit int) ([]messages.AuditEvent, error)
	// ListAllAudit is ListAudit over every user, unknown credentials included (for admins).
	ListAllAudit(ctx context.Context, beforeID int64, limit int) ([]messages.AuditEvent, error)
	// PruneAudit deletes up to limit events older than before and returns how many it
	// deleted.
	PruneAudit(ctx context.Context, before time.Time, limit int) (int64, error)
}
