package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/internal/schema"
)

var _ persistence.BadgeStore = (*Store)(nil)

// CheckByBadgeID returns the check with badge id badgeID (index checks_badge_id).
func (s *Store) CheckByBadgeID(ctx context.Context, badgeID string) (messages.Check, error) {
	if badgeID == "" {
		return messages.Check{}, messages.ErrNotFound
	}
	c, err := scanCheck(s.pool.QueryRow(ctx, `SELECT `+schema.CheckColumns+` FROM checks WHERE badge_id = $1`, badgeID))
	if err != nil {
		return messages.Check{}, fmt.Errorf("check by badge id: %w", s.mapErr(err))
	}
	return c, nil
}

// TagBadge returns the states of the checks carrying tag of the user with badgeKey.
func (s *Store) TagBadge(ctx context.Context, badgeKey, tag string, limit int) ([]messages.CheckState, error) {
	if badgeKey == "" || tag == "" {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT c.status, c.next_due, c.next_deadline
		FROM users u JOIN checks c ON c.user_id = u.id
		WHERE u.badge_key = $1 AND strpos(c.tags, $2) > 0 LIMIT $3`, badgeKey, " "+tag+" ", limit)
	if err != nil {
		return nil, fmt.Errorf("tag badge: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []messages.CheckState
	for rows.Next() {
		var (
			st            messages.CheckState
			due, deadline *int64
		)
		if err := rows.Scan(&st.Status, &due, &deadline); err != nil {
			return nil, fmt.Errorf("tag badge: %w", s.mapErr(err))
		}
		st.NextDue, st.NextDeadline = fromMS(due), fromMS(deadline)
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tag badge: %w", s.mapErr(err))
	}
	return out, nil
}

// UserBadgeKey returns the user's tag-badge key ("" when none).
func (s *Store) UserBadgeKey(ctx context.Context, userID int64) (string, error) {
	var key *string
	err := s.pool.QueryRow(ctx, `SELECT badge_key FROM users WHERE id = $1`, userID).Scan(&key)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", messages.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("user badge key: %w", s.mapErr(err))
	}
	if key == nil {
		return "", nil
	}
	return *key, nil
}

// SetUserBadgeKey replaces the user's tag-badge key.
func (s *Store) SetUserBadgeKey(ctx context.Context, userID int64, key string) error {
	if key == "" {
		return messages.Errorf(messages.EInvalid, "set badge key: empty key")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE users SET badge_key = $1 WHERE id = $2`, key, userID)
	if err != nil {
		return fmt.Errorf("set badge key: %w", s.mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// CheckActivity returns the user's average run duration and recent pings and alerts.
func (s *Store) CheckActivity(ctx context.Context, userID int64, since time.Time) (persistence.Activity, error) {
	var (
		a   persistence.Activity
		avg *float64
	)
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(last_duration_ms) FROM checks WHERE user_id = $1),
		(SELECT avg(last_duration_ms)::float8 FROM checks WHERE user_id = $1),
		(SELECT count(*) FROM pings p JOIN checks c ON p.check_id = c.id WHERE c.user_id = $1 AND p.at >= $2),
		(SELECT count(*) FROM outbox o JOIN checks c ON o.check_id = c.id
			WHERE c.user_id = $1 AND o.user_id = $1 AND o.kind <> $3 AND o.created_at >= $2)`,
		userID, since.UnixMilli(), messages.AlertTest,
	).Scan(&a.DurationChecks, &avg, &a.Pings, &a.Alerts)
	if err != nil {
		return persistence.Activity{}, fmt.Errorf("check activity: %w", s.mapErr(err))
	}
	if avg != nil {
		a.AvgDuration = time.Duration(*avg * float64(time.Millisecond))
	}
	return a, nil
}
