package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The admins' queries across users (persistence.SiteStore): none names a user in its WHERE
// clause on purpose.

// SetUserDisabled disables the user at at, or enables them when at is zero.
func (s *Store) SetUserDisabled(ctx context.Context, userID int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET disabled_at = ? WHERE id = ?`, ms(at), userID)
	if err != nil {
		return fmt.Errorf("set user disabled: %w", s.mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// ListUsers returns a page of users by id with their check counts.
func (s *Store) ListUsers(ctx context.Context, afterID int64, limit int) ([]persistence.UserSummary, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT u.id, u.slug, u.auth_key_hash, u.created_at, u.disabled_at,
			(SELECT count(*) FROM checks c WHERE c.user_id = u.id),
			(SELECT max(c.last_ping) FROM checks c WHERE c.user_id = u.id)
		FROM users u WHERE u.id > ? ORDER BY u.id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []persistence.UserSummary
	for rows.Next() {
		var (
			u                       persistence.UserSummary
			hash                    []byte
			created, disabled, ping sql.NullInt64
		)
		if err := rows.Scan(&u.ID, &u.Slug, &hash, &created, &disabled, &u.Checks, &ping); err != nil {
			return nil, fmt.Errorf("list users: %w", s.mapErr(err))
		}
		u.KeyHashPrefix = keyHashPrefix(hash)
		u.CreatedAt, u.DisabledAt, u.LastPing = fromMS(created), fromMS(disabled), fromMS(ping)
		out = append(out, u)
	}
	return out, s.mapErr(rows.Err())
}

// keyHashPrefix is what a list shows of an access key: the first 8 hex digits of its hash.
func keyHashPrefix(hash []byte) string {
	return hex.EncodeToString(hash[:min(len(hash), 4)])
}

// SearchChecks returns a page of every user's checks whose name or slug contains q.
func (s *Store) SearchChecks(ctx context.Context, q string, afterID int64, limit int) ([]persistence.CheckSummary, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	pattern := "%" + likeEscape(q) + "%"
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.user_id, u.slug, c.slug, c.name, c.status, c.last_ping
		FROM checks c JOIN users u ON u.id = c.user_id
		WHERE c.id > ? AND (c.name LIKE ? ESCAPE '\' OR c.slug LIKE ? ESCAPE '\')
		ORDER BY c.id LIMIT ?`, afterID, pattern, pattern, limit)
	if err != nil {
		return nil, fmt.Errorf("search checks: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []persistence.CheckSummary
	for rows.Next() {
		var (
			c    persistence.CheckSummary
			ping sql.NullInt64
		)
		if err := rows.Scan(&c.ID, &c.UserID, &c.UserSlug, &c.Slug, &c.Name, &c.Status, &ping); err != nil {
			return nil, fmt.Errorf("search checks: %w", s.mapErr(err))
		}
		c.LastPing = fromMS(ping)
		out = append(out, c)
	}
	return out, s.mapErr(rows.Err())
}

// likeEscape makes q match itself in a LIKE pattern with ESCAPE '\'.
func likeEscape(q string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
}

// DeleteUser deletes a user whose checks are gone and holds their slug for nobody.
func (s *Store) DeleteUser(ctx context.Context, userID int64, holdUntil time.Time) error {
	return s.adminTx(ctx, "delete user", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM checks WHERE user_id = ?`, userID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return messages.Errorf(messages.EConflict, "the user still has %d checks", n)
		}
		var slug string
		if err := tx.QueryRowContext(ctx, `DELETE FROM users WHERE id = ? RETURNING slug`, userID).Scan(&slug); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO slug_holds (slug, user_id, until) VALUES (?, 0, ?)
			ON CONFLICT (slug) DO UPDATE SET user_id = 0, until = max(until, excluded.until)`, slug, holdUntil.UnixMilli())
		return err
	})
}

// SiteStats counts users, checks, the last minute's traffic and the outbox backlog.
func (s *Store) SiteStats(ctx context.Context, now time.Time) (persistence.SiteStats, error) {
	var st persistence.SiteStats
	t := now.UnixMilli()
	since := now.Add(-time.Minute).UnixMilli()
	err := s.r.QueryRowContext(ctx, `SELECT count(*), count(disabled_at) FROM users`).Scan(&st.Users, &st.DisabledUsers)
	if err == nil {
		err = s.r.QueryRowContext(ctx, `SELECT count(*),
			COALESCE(sum(status = 'new'), 0),
			COALESCE(sum(status = 'up'), 0),
			COALESCE(sum(status = 'down'), 0),
			COALESCE(sum(status = 'paused'), 0),
			COALESCE(sum(status = 'up' AND next_due < ? AND next_deadline > ?), 0)
			FROM checks`, t, t).Scan(&st.Checks.Total, &st.Checks.New, &st.Checks.Up, &st.Checks.Down, &st.Checks.Paused, &st.Checks.Late)
	}
	if err == nil {
		err = s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT at FROM pings ORDER BY id DESC LIMIT ?) WHERE at >= ?`,
			persistence.RecentRows, since).Scan(&st.PingsLastMinute)
	}
	if err == nil {
		err = s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT delivered_at FROM outbox ORDER BY id DESC LIMIT ?)
			WHERE delivered_at >= ?`, persistence.RecentRows, since).Scan(&st.AlertsLastMinute)
	}
	if err == nil {
		err = s.r.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE status = 'pending'`).Scan(&st.OutboxPending)
	}
	if err != nil {
		return persistence.SiteStats{}, fmt.Errorf("site stats: %w", s.mapErr(err))
	}
	return st, nil
}
