package persistence

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// AdminStore holds operator accounts and what their sign-ins leave behind: the allow-list of
// refresh tokens, revoked access tokens and metrics tokens. None of it names a user.
//
// Error contract as Store's: ErrNotFound for a missing admin or token; EConflict for a
// username in use.
type AdminStore interface {
	// CreateAdmin inserts a (Username, PasswordHash, CreatedAt set) and sets a.ID. A taken
	// username is EConflict.
	CreateAdmin(ctx context.Context, a *Admin) error
	// AdminByUsername reads an admin by username.
	AdminByUsername(ctx context.Context, username string) (Admin, error)
	// AdminByID reads an admin by id.
	AdminByID(ctx context.Context, id int64) (Admin, error)
	// ListAdmins returns every admin, by username.
	ListAdmins(ctx context.Context) ([]Admin, error)
	// SetAdminPassword replaces the admin's password hash and ends their refresh tokens and
	// browser sessions (every browser signed in must sign in again).
	SetAdminPassword(ctx context.Context, username, hash string, at time.Time) error
	// DeleteAdmin deletes the admin, their refresh tokens and their browser sessions.
	DeleteAdmin(ctx context.Context, username string) error

	// AddRefreshToken allow-lists a refresh token (the first of a family, at sign-in).
	AddRefreshToken(ctx context.Context, t RefreshToken) error
	// RotateRefreshToken spends the allow-listed refresh token usedJTI and allow-lists next
	// in its family, in one transaction. A token already spent is a theft or a replay: its
	// whole family is revoked and RefreshReused returned. An unknown, revoked or expired
	// token is RefreshUnknown. On RefreshRotated, next.Family and next.AdminID are set from
	// the spent token's.
	RotateRefreshToken(ctx context.Context, usedJTI string, next *RefreshToken, now time.Time) (RefreshOutcome, error)
	// RevokeRefreshFamily ends every refresh token of a family (logout).
	RevokeRefreshFamily(ctx context.Context, family string) error
	// RevokeAccessToken refuses the access token jti until until (its expiry).
	RevokeAccessToken(ctx context.Context, jti string, until time.Time) error
	// AccessTokenRevoked reports whether jti was revoked.
	AccessTokenRevoked(ctx context.Context, jti string) (bool, error)
	// PruneAdminTokens deletes refresh tokens and revocations that ended before now, and
	// returns how many rows it deleted.
	PruneAdminTokens(ctx context.Context, now time.Time) (int64, error)

	// CreateMetricsToken stores a metrics token (Hash, Prefix, Name, CreatedAt set) and sets
	// t.ID.
	CreateMetricsToken(ctx context.Context, t *MetricsToken) error
	// MetricsTokenByHash finds a metrics token that is not revoked by the SHA-256 of its
	// value; ErrNotFound otherwise.
	MetricsTokenByHash(ctx context.Context, hash []byte) (MetricsToken, error)
	// ListMetricsTokens returns every metrics token, revoked ones included, by id.
	ListMetricsTokens(ctx context.Context) ([]MetricsToken, error)
	// RevokeMetricsToken revokes a metrics token; ErrNotFound when there is none.
	RevokeMetricsToken(ctx context.Context, id int64, at time.Time) error

	// CreateAdminSession stores a new browser session of an admin.
	CreateAdminSession(ctx context.Context, s AdminSession) error
	// AdminSessionByHash returns the admin session whose token hashes to hash; ErrNotFound
	// when there is none (expiry is the caller's decision).
	AdminSessionByHash(ctx context.Context, hash []byte) (AdminSession, error)
	// TouchAdminSession records a use of the session at seenAt.
	TouchAdminSession(ctx context.Context, hash []byte, seenAt time.Time) error
	// DeleteAdminSession ends one admin session (no error when it is already gone).
	DeleteAdminSession(ctx context.Context, hash []byte) error
	// PruneAdminSessions deletes admin sessions that expired absolutely before now or were
	// idle since before idleBefore, and returns how many it deleted.
	PruneAdminSessions(ctx context.Context, now, idleBefore time.Time) (int64, error)
}

// AdminSession is an admin's browser session (the admin pages). Deleting the admin, or
// changing their password, ends it.
type AdminSession struct {
	TokenHash []byte
	AdminID   int64
	CreatedAt time.Time
	SeenAt    time.Time // last use, refreshed at most once a minute (idle expiry)
	ExpiresAt time.Time // absolute expiry
}

// SiteStore is what admins read and change across users. Its queries name no user in their
// WHERE clause on purpose; they live in one file per store.
type SiteStore interface {
	// SetUserDisabled disables the user at at, or enables them when at is zero. ErrNotFound
	// when there is no such user.
	SetUserDisabled(ctx context.Context, userID int64, at time.Time) error
	// ListUsers returns up to limit users with id > afterID, by id, with their check counts.
	ListUsers(ctx context.Context, afterID int64, limit int) ([]UserSummary, error)
	// SearchChecks returns up to limit checks of any user with id > afterID whose name or
	// slug contains q (case-insensitively for ASCII; "" matches all), by id.
	SearchChecks(ctx context.Context, q string, afterID int64, limit int) ([]CheckSummary, error)
	// DeleteUser deletes the user and holds their slug (for nobody) until holdUntil. The
	// user's checks must have been deleted first (through their actors): EConflict while
	// any remains.
	DeleteUser(ctx context.Context, userID int64, holdUntil time.Time) error
	// SiteStats counts users, checks by status (Late as in CheckStats), the pings and
	// delivered alerts of the minute before now (among the newest RecentRows rows of each
	// log: a floor when busier) and the outbox backlog.
	SiteStats(ctx context.Context, now time.Time) (SiteStats, error)
}

// RecentRows bounds how many of the newest ping and outbox rows SiteStats looks at to count
// a minute's traffic, so the count costs the same however large the logs grow.
const RecentRows = 100_000

// Admin is an operator account.
type Admin struct {
	ID           int64
	Username     string
	PasswordHash string // argon2id, PHC string format
	CreatedAt    time.Time
	UpdatedAt    time.Time // last password change
}

// RefreshToken is an allow-listed refresh token: one per sign-in family and rotation.
type RefreshToken struct {
	JTI       string
	Family    string // the sign-in it descends from; revoked as a whole
	AdminID   int64
	ExpiresAt time.Time
}

// RefreshOutcome is the result of RotateRefreshToken.
type RefreshOutcome int

// Refresh outcomes.
const (
	RefreshRotated RefreshOutcome = iota + 1 // spent and replaced
	RefreshReused                            // already spent: the family is revoked
	RefreshUnknown                           // not allow-listed, revoked or expired
)

// MetricsToken is a token that opens /metrics and nothing else.
type MetricsToken struct {
	ID        int64
	Name      string // the operator's label
	Prefix    string // the first characters of the token, shown in lists
	Hash      []byte // SHA-256 of the token
	CreatedAt time.Time
	RevokedAt time.Time // zero while valid
}

// UserSummary is a user as the admin pages list them.
type UserSummary struct {
	ID            int64
	Slug          string
	KeyHashPrefix string // the first hex digits of the access key's SHA-256
	CreatedAt     time.Time
	DisabledAt    time.Time // zero when enabled
	Checks        int64
	LastPing      time.Time // the latest ping of any of their checks (zero: none)
	LastSeen      time.Time // the last sign-in or API use, recorded at most once an hour (zero: never)
}

// CheckSummary is a check as the admin search lists it.
type CheckSummary struct {
	ID       int64
	UserID   int64
	UserSlug string
	Slug     string
	Name     string
	Status   messages.CheckStatus
	LastPing time.Time
}

// SiteStats are the figures of the admin overview.
type SiteStats struct {
	Users, DisabledUsers int64
	Checks               Stats
	PingsLastMinute      int64
	AlertsLastMinute     int64 // outbox rows delivered
	OutboxPending        int64
}
