package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

var _ persistence.DestinationStore = (*Store)(nil)

// UserChannels returns every channel row of the user's checks (index channels_user_idx).
func (s *Store) UserChannels(ctx context.Context, userID int64) ([]messages.Channel, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+channelColumns+` FROM channels
		WHERE user_id = ? ORDER BY check_id, name`, userID)
	if err != nil {
		return nil, fmt.Errorf("user channels: %w", s.mapErr(err))
	}
	defer rows.Close()
	out, err := s.collectChannels(rows)
	if err != nil {
		return nil, fmt.Errorf("user channels: %w", err)
	}
	return out, nil
}

// Destinations returns the user's destinations, oldest first.
func (s *Store) Destinations(ctx context.Context, userID int64) ([]persistence.Destination, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, code, user_id, kind, config_enc, created_at
		FROM destinations WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("destinations: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []persistence.Destination
	for rows.Next() {
		var (
			d  persistence.Destination
			at int64
		)
		if err := rows.Scan(&d.ID, &d.Code, &d.UserID, &d.Kind, &d.ConfigEnc, &at); err != nil {
			return nil, fmt.Errorf("destinations: %w", s.mapErr(err))
		}
		d.CreatedAt = time.UnixMilli(at).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("destinations: %w", s.mapErr(err))
	}
	return out, nil
}

// CreateDestination inserts d and sets d.ID.
func (s *Store) CreateDestination(ctx context.Context, d *persistence.Destination) error {
	if err := persistence.ValidateDestination(d); err != nil {
		return err
	}
	err := s.w.QueryRowContext(ctx, `INSERT INTO destinations (code, user_id, kind, config_enc, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, d.Code, d.UserID, d.Kind, d.ConfigEnc, d.CreatedAt.UnixMilli()).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("create destination: %w", s.mapErr(err))
	}
	return nil
}
