package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/internal/schema"
)

// Badges (persistence.BadgeStore) and the user's activity summary (persistence.ActivityStore).
// A badge is public: CheckByBadgeID and TagBadge find their rows by the badge's secret id or
// key, not by a user.

type badgeSQL struct {
	checkByBadgeID, tagBadge, userBadgeKey, setUserBadgeKey, checkActivity string
}

func newBadgeSQL(d *Dialect) badgeSQL {
	r := d.Rebind
	return badgeSQL{
		checkByBadgeID: r(`SELECT ` + schema.CheckColumns + ` FROM checks WHERE badge_id = $1`),
		tagBadge: r(`SELECT c.status, c.next_due, c.next_deadline
			FROM users u JOIN checks c ON c.user_id = u.id
			WHERE u.badge_key = $1 AND ` + d.Contains("c.tags", "$2") + ` LIMIT $3`),
		userBadgeKey:    r(`SELECT badge_key FROM users WHERE id = $1`),
		setUserBadgeKey: r(`UPDATE users SET badge_key = $1 WHERE id = $2`),
		checkActivity: r(`SELECT
			(SELECT count(last_duration_ms) FROM checks WHERE user_id = $1),
			(SELECT CAST(avg(last_duration_ms) AS DOUBLE PRECISION) FROM checks WHERE user_id = $1),
			(SELECT count(*) FROM pings p JOIN checks c ON p.check_id = c.id WHERE c.user_id = $1 AND p.at >= $2),
			(SELECT count(*) FROM outbox o JOIN checks c ON o.check_id = c.id
				WHERE c.user_id = $1 AND o.user_id = $1 AND o.kind <> $3 AND o.created_at >= $2)`),
	}
}

// CheckByBadgeID returns the check with badge id badgeID (index checks_badge_id).
func (s *Store) CheckByBadgeID(ctx context.Context, badgeID string) (messages.Check, error) {
	if badgeID == "" {
		return messages.Check{}, messages.ErrNotFound
	}
	c, err := ScanCheck(s.cfg.Read.QueryRow(ctx, s.q.checkByBadgeID, badgeID))
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
	out, err := query(ctx, s.cfg.Read, func(row Row) (messages.CheckState, error) {
		var (
			st            messages.CheckState
			due, deadline sql.NullInt64
		)
		err := row.Scan((*string)(&st.Status), &due, &deadline)
		st.NextDue, st.NextDeadline = FromMS(due), FromMS(deadline)
		return st, err
	}, s.q.tagBadge, badgeKey, " "+tag+" ", limit)
	if err != nil {
		return nil, fmt.Errorf("tag badge: %w", s.mapErr(err))
	}
	return out, nil
}

// UserBadgeKey returns the user's tag-badge key ("" when none).
func (s *Store) UserBadgeKey(ctx context.Context, userID int64) (string, error) {
	var key sql.NullString
	switch err := s.mapErr(s.cfg.Read.QueryRow(ctx, s.q.userBadgeKey, userID).Scan(&key)); err {
	case nil:
		return key.String, nil
	case messages.ErrNotFound:
		return "", err
	default:
		return "", fmt.Errorf("user badge key: %w", err)
	}
}

// SetUserBadgeKey replaces the user's tag-badge key.
func (s *Store) SetUserBadgeKey(ctx context.Context, userID int64, key string) error {
	if key == "" {
		return messages.Errorf(messages.EInvalid, "set badge key: empty key")
	}
	n, err := s.cfg.Write.Exec(ctx, s.q.setUserBadgeKey, key, userID)
	if err != nil {
		return fmt.Errorf("set badge key: %w", s.mapErr(err))
	}
	if n == 0 {
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
	err := s.cfg.Read.QueryRow(ctx, s.q.checkActivity, userID, since.UnixMilli(), messages.AlertTest).
		Scan(&a.DurationChecks, &avg, &a.Pings, &a.Alerts)
	if err != nil {
		return persistence.Activity{}, fmt.Errorf("check activity: %w", s.mapErr(err))
	}
	a.AvgDuration = time.Duration(avg.Float64 * float64(time.Millisecond))
	return a, nil
}
