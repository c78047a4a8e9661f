package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	c, err := scanCheck(s.r.QueryRowContext(ctx, `SELECT `+schema.CheckColumns+` FROM checks WHERE badge_id = ?`, badgeID))
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
	rows, err := s.r.QueryContext(ctx, `SELECT c.status, c.next_due, c.next_deadline
		FROM users u JOIN checks c ON c.user_id = u.id
		WHERE u.badge_key = ? AND instr(c.tags, ?) > 0 LIMIT ?`, badgeKey, " "+tag+" ", limit)
	if err != nil {
		return nil, fmt.Errorf("tag badge: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []messages.CheckState
	for rows.Next() {
		var (
			st            messages.CheckState
			due, deadline sql.NullInt64
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
	var key sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT badge_key FROM users WHERE id = ?`, userID).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", messages.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("user badge key: %w", s.mapErr(err))
	}
	return key.String, nil
}

// SetUserBadgeKey replaces the user's tag-badge key.
func (s *Store) SetUserBadgeKey(ctx context.Context, userID int64, key string) error {
	if key == "" {
		return messages.Errorf(messages.EInvalid, "set badge key: empty key")
	}
	res, err := s.w.ExecContext(ctx, `UPDATE users SET badge_key = ? WHERE id = ?`, key, userID)
	if err != nil {
		return fmt.Errorf("set badge key: %w", s.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set badge key: %w", s.mapErr(err))
	} else if n == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// CheckActivity returns the user's average run duration and recent pings and alerts.
func (s *Store) CheckActivity(ctx context.Context, userID int64, since time.Time) (persistence.Activity, error) {
	var (
		a   persistence.Activity
		avg sql.NullFloat64
	)
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(last_duration_ms) FROM checks WHERE user_id = ?),
		(SELECT avg(last_duration_ms) FROM checks WHERE user_id = ?),
		(SELECT count(*) FROM pings p JOIN checks c ON p.check_id = c.id WHERE c.user_id = ? AND p.at >= ?),
		(SELECT count(*) FROM outbox o JOIN checks c ON o.check_id = c.id
			WHERE c.user_id = ? AND o.user_id = ? AND o.kind <> ? AND o.created_at >= ?)`,
		userID, userID, userID, since.UnixMilli(), userID, userID, messages.AlertTest, since.UnixMilli(),
	).Scan(&a.DurationChecks, &avg, &a.Pings, &a.Alerts)
	if err != nil {
		return persistence.Activity{}, fmt.Errorf("check activity: %w", s.mapErr(err))
	}
	a.AvgDuration = time.Duration(avg.Float64 * float64(time.Millisecond))
	return a, nil
}
