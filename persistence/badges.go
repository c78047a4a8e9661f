package persistence

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// BadgeStore serves badges: lookups by a badge's own random capability, never by a user's
// login, and the user's tag-badge key. A check's badge id is part of its configuration and
// is written by its actor (CheckConfig.BadgeID); these reads answer from one indexed row or
// from one user's checks, without reaching any actor.
type BadgeStore interface {
	// CheckByBadgeID returns the check whose badge id is badgeID. ENotFound when none has it
	// (an unknown id, a disabled badge, or an id rotated away).
	CheckByBadgeID(ctx context.Context, badgeID string) (messages.Check, error)
	// TagBadge returns the name-free state of every check carrying tag, of the user whose
	// badge key is badgeKey (none when the key or the tag names nothing), at most limit.
	TagBadge(ctx context.Context, badgeKey, tag string, limit int) ([]messages.CheckState, error)
	// UserBadgeKey returns the user's tag-badge key, "" when it has none yet.
	UserBadgeKey(ctx context.Context, userID int64) (string, error)
	// SetUserBadgeKey replaces the user's tag-badge key (the old key stops working at once).
	// ENotFound for an unknown user. (Keys are random: two users never draw the same one, and
	// the unique index refuses it if they did.)
	SetUserBadgeKey(ctx context.Context, userID int64, key string) error
}

// ActivityStore answers the averages of GET /api/v1/checks/stats, scoped to a user.
type ActivityStore interface {
	// CheckActivity returns the user's average last run duration (over the checks that have
	// one) and the pings and alerts (outbox rows other than test sends) since since.
	CheckActivity(ctx context.Context, userID int64, since time.Time) (Activity, error)
}

// Activity is what CheckActivity counts.
type Activity struct {
	// DurationChecks is how many checks have a last run duration; AvgDuration is their mean.
	DurationChecks int64
	AvgDuration    time.Duration
	Pings          int64
	Alerts         int64
}
