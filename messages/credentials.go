package messages

import "time"

// APIToken is a scoped API token as stored: its digest, never the token itself (docs/api.md
// "API tokens").
type APIToken struct {
	ID     int64
	UserID int64
	Name   string
	// Prefix is the token's first characters (kind and a few random ones): the indexed
	// lookup column, and what lists show to tell tokens apart.
	Prefix string
	Digest []byte // SHA-256 of the whole token
	// Scopes is the sorted comma list of scopes ("channels,delete,read,write").
	Scopes string
	// Networks is a comma list of CIDRs the token may be used from ("" = any client).
	Networks   string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero = never
	LastUsedAt time.Time // zero = never used; written at most once a minute
}

// Kinds of retired credentials.
const (
	RetiredKey   = "key"   // an access key replaced by a rotation or ended by a deletion
	RetiredToken = "token" // a revoked API token
)

// RetiredCredential is a credential that no longer works and is recognised as such for a
// while, so that its refusal can say why and need not count as a guess.
type RetiredCredential struct {
	Kind      string // RetiredKey or RetiredToken
	UserID    int64
	RetiredAt time.Time
}

// The activity log's rows written outside the edge (the edge's events are named in
// package http/activity): the cleanup's removals, with method "cleanup" and the removed
// row in Credential ("check:17", "user:9").
const (
	AuditEventCleanup  = "cleanup_remove"
	AuditMethodCleanup = "cleanup"
)

// AuditEvent is one row of the authentication activity log. It never holds a client
// address: IPHash is a keyed hash of it.
type AuditEvent struct {
	ID     int64
	UserID int64 // 0 = no user (an unknown credential)
	At     time.Time
	// Event is what happened ("auth", "token_create", "token_revoke", "key_rotate",
	// "sign_in", …).
	Event string
	// Method is the credential used ("key", "token", "session", "admin").
	Method string
	// Credential names the credential when it is not the user's key ("token:12").
	Credential string
	Outcome    string // "success" or "failure"
	Reason     string // why it failed, or a detail of a success
	IPHash     []byte
	UAFamily   string // "curl", "Chrome", "python-requests", "other", …
}
