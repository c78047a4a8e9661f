package persistence

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Destination is one distinct place a user's alerts go (a Telegram chat, a Slack or Discord
// webhook, a webhook URL, an email address), with an id of its own that never changes: the
// healthchecks.io-compatible API lists destinations as its "channels" and attaches them to
// checks by that id. Its settings are sealed under the key ring, bound to its code and user
// (keyring.DestinationAD), so a rotation re-seals them and keeps the id.
type Destination struct {
	ID        int64  // row id (keyset order for Reseal)
	Code      string // the public id: a random UUID
	UserID    int64
	Kind      messages.ChannelKind
	ConfigEnc []byte // messages.ChannelConfig JSON, sealed
	CreatedAt time.Time
}

// DestinationStore keeps users' destinations, scoped to a user.
type DestinationStore interface {
	// UserChannels returns every channel row of the user's checks (any order).
	UserChannels(ctx context.Context, userID int64) ([]messages.Channel, error)
	// Destinations returns the user's destinations, oldest first (created_at, then id).
	Destinations(ctx context.Context, userID int64) ([]Destination, error)
	// CreateDestination inserts d (Code, UserID, Kind, ConfigEnc and CreatedAt set by the
	// caller) and sets d.ID. A code already used is EConflict.
	CreateDestination(ctx context.Context, d *Destination) error
}

// ValidateDestination refuses a destination either store could not keep as given.
func ValidateDestination(d *Destination) error {
	if d.Code == "" || d.UserID == 0 || d.Kind == "" || len(d.ConfigEnc) == 0 || d.CreatedAt.IsZero() {
		return messages.Errorf(messages.EInvalid, "create destination: code, user, kind, settings and time are required")
	}
	return nil
}
