package persistence

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// AccountStore holds what a user changes about their own account, and the web UI's sessions.
// Every query names the user, except those keyed by a secret's hash (a session token, a
// retired key) and the pruning of expired rows.
//
// Error contract as Store's: ErrNotFound for a missing user or session; EConflict for a user
// slug in use or held for someone else.
type AccountStore interface {
	// UserByID reads a user with their display settings.
	UserByID(ctx context.Context, userID int64) (messages.User, messages.UserPrefs, error)
	// UpdateUserSettings applies the non-nil fields of set.
	UpdateUserSettings(ctx context.Context, userID int64, set messages.UserSettings) error
	// SetPingKey replaces the user's sealed ping key and its lookup index.
	SetPingKey(ctx context.Context, userID int64, enc, index []byte) error
	// SlugHeld reports whether slug is held at now for anyone but userID (a deleted account's
	// slug is held for nobody; userID 0 asks for a new user).
	SlugHeld(ctx context.Context, slug string, userID int64, now time.Time) (bool, error)
	// ChangeUserSlug gives the user slug newSlug and holds the old one for them until
	// holdUntil. EConflict when another user has newSlug or it is held for someone else at
	// now. It returns the old slug.
	ChangeUserSlug(ctx context.Context, userID int64, newSlug string, now, holdUntil time.Time) (string, error)

	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s messages.Session) error
	// SessionByHash returns the session whose token hashes to hash; ErrNotFound when there
	// is none (expiry is the caller's decision: it knows the idle timeout).
	SessionByHash(ctx context.Context, hash []byte) (messages.Session, error)
	// TouchSession records a use of the session at seenAt.
	TouchSession(ctx context.Context, hash []byte, seenAt time.Time) error
	// DeleteSession ends one session (no error when it is already gone).
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteUserSessions ends every session of the user but keep (nil = all) and returns how
	// many it ended.
	DeleteUserSessions(ctx context.Context, userID int64, keep []byte) (int64, error)
	// PruneAccounts deletes sessions that expired absolutely or were idle since before
	// idleBefore, and slug holds that ended before now. It returns how many rows it deleted.
	// (Access keys replaced or ended are CredentialStore's retired credentials.)
	PruneAccounts(ctx context.Context, now, idleBefore time.Time) (int64, error)
}
