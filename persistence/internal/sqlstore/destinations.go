package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The user's notification destinations (persistence.DestinationStore).

type destinationSQL struct {
	userChannels, destinations, createDestination string
}

func newDestinationSQL(r func(string) string) destinationSQL {
	return destinationSQL{
		userChannels: r(`SELECT ` + channelColumns + ` FROM channels
			WHERE user_id = $1 ORDER BY check_id, name`),
		destinations: r(`SELECT id, code, user_id, kind, config_enc, created_at
			FROM destinations WHERE user_id = $1 ORDER BY created_at, id`),
		createDestination: r(`INSERT INTO destinations (code, user_id, kind, config_enc, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`),
	}
}

// UserChannels returns every channel row of the user's checks (index channels_user_idx).
func (s *Store) UserChannels(ctx context.Context, userID int64) ([]messages.Channel, error) {
	out, err := query(ctx, s.cfg.Read, ScanChannel, s.q.userChannels, userID)
	if err != nil {
		return nil, fmt.Errorf("user channels: %w", s.mapErr(err))
	}
	return out, nil
}

// Destinations returns the user's destinations, oldest first.
func (s *Store) Destinations(ctx context.Context, userID int64) ([]persistence.Destination, error) {
	out, err := query(ctx, s.cfg.Read, func(row Row) (persistence.Destination, error) {
		var (
			d  persistence.Destination
			at int64
		)
		err := row.Scan(&d.ID, &d.Code, &d.UserID, (*string)(&d.Kind), &d.ConfigEnc, &at)
		d.CreatedAt = time.UnixMilli(at).UTC()
		return d, err
	}, s.q.destinations, userID)
	if err != nil {
		return nil, fmt.Errorf("destinations: %w", s.mapErr(err))
	}
	return out, nil
}

// CreateDestination inserts d and sets d.ID.
func (s *Store) CreateDestination(ctx context.Context, d *persistence.Destination) error {
	if err := persistence.ValidateDestination(d); err != nil {
		return err
	}
	err := s.cfg.Write.QueryRow(ctx, s.q.createDestination, d.Code, d.UserID, string(d.Kind), d.ConfigEnc, d.CreatedAt.UnixMilli()).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("create destination: %w", s.mapErr(err))
	}
	return nil
}
