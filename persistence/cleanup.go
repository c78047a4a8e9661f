package persistence

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// SeenResolution is how often a user's last_seen_at is written at most: an authenticated
// request writes it only when the stored value is at least this old, so a busy API client
// costs one write an hour, not one a request.
const SeenResolution = time.Hour

// CleanupStore is what the cleanup of inactive checks and users reads across users, and the
// named leases that let one node at a time run it. Its queries name no user on purpose; they
// live in one file per store. The queries are pre-filters: the cleanup decides each row with
// its own rules (package actors/cleanup/selection) and may keep rows they return.
type CleanupStore interface {
	// CountChecks counts every check of every user.
	CountChecks(ctx context.Context) (int64, error)
	// InactiveChecks returns up to limit checks with id > afterID, by id, that are not
	// paused and whose last ping (their creation when never pinged) is before before.
	InactiveChecks(ctx context.Context, before time.Time, afterID int64, limit int) ([]messages.Check, error)
	// InactiveUsers returns up to limit users with id > afterID, by id, created before
	// before, not disabled, not seen since before (or never), and without a Telegram link,
	// with their check counts.
	InactiveUsers(ctx context.Context, before time.Time, afterID int64, limit int) ([]UserActivity, error)
	// UserActivityByID reads what the cleanup decides a user by, whatever its values.
	// ENotFound when there is no such user.
	UserActivityByID(ctx context.Context, userID int64) (UserActivity, error)

	// AcquireJobLease takes or renews the lease of job name for holder until until, and
	// reports whether holder has it: it succeeds when nobody holds it, its lease ended before
	// now, or holder holds it already. An empty name or holder is EInvalid.
	AcquireJobLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseJobLease ends holder's lease of job name (nothing when another holds it).
	ReleaseJobLease(ctx context.Context, name, holder string) error
}

// UserActivity is what the cleanup decides a user by.
type UserActivity struct {
	ID             int64
	Slug           string
	CreatedAt      time.Time
	LastSeenAt     time.Time // zero: never
	DisabledAt     time.Time // zero: enabled
	Checks         int64
	TelegramLinked bool
}

// TelegramStore links Telegram accounts to users and remembers the sign-in payloads already
// accepted (each is accepted once, cluster-wide).
type TelegramStore interface {
	// LinkTelegram links the Telegram account telegramID to the user (replacing the user's
	// previous link). EConflict when another user has it linked; ENotFound for an unknown
	// user.
	LinkTelegram(ctx context.Context, userID, telegramID int64, at time.Time) error
	// UnlinkTelegram removes the user's link (nothing when there is none).
	UnlinkTelegram(ctx context.Context, userID int64) error
	// TelegramLinkOf returns the Telegram id linked to the user; ENotFound when none.
	TelegramLinkOf(ctx context.Context, userID int64) (int64, error)
	// UserByTelegramID finds the user the Telegram account is linked to; ENotFound when none.
	UserByTelegramID(ctx context.Context, telegramID int64) (messages.User, error)
	// MarkTelegramLoginSeen records a payload hash until expires and reports whether it is
	// new: false when it was recorded before and has not expired at now (a replay). Of two
	// nodes racing with one hash exactly one sees true. Expired hashes are pruned on the way.
	// An empty hash is EInvalid.
	MarkTelegramLoginSeen(ctx context.Context, hash []byte, now, expires time.Time) (bool, error)
}
