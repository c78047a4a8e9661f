package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The admins' queries across users (persistence.SiteStore): none names a user in its WHERE
// clause on purpose.

type siteSQL struct {
	setUserDisabled, listUsers, searchChecks, lockUser, userChecks, deleteUser, holdSlug, siteStats string
}

func newSiteSQL(d *Dialect) siteSQL {
	r := d.Rebind
	return siteSQL{
		setUserDisabled: r(`UPDATE users SET disabled_at = $1 WHERE id = $2`),
		listUsers: r(`SELECT u.id, u.slug, u.auth_key_hash, u.created_at, u.disabled_at, u.last_seen_at,
				(SELECT count(*) FROM checks c WHERE c.user_id = u.id),
				(SELECT max(c.last_ping) FROM checks c WHERE c.user_id = u.id)
			FROM users u WHERE u.id > $1 ORDER BY u.id LIMIT $2`),
		// LIKE compares ASCII letters case-insensitively on SQLite; ILIKE does on PostgreSQL.
		searchChecks: r(`SELECT c.id, c.user_id, u.slug, c.slug, c.name, c.status, c.last_ping
			FROM checks c JOIN users u ON u.id = c.user_id
			WHERE c.id > $1 AND (c.name ` + d.ILike + ` $2 ESCAPE '\' OR c.slug ` + d.ILike + ` $2 ESCAPE '\')
			ORDER BY c.id LIMIT $3`),
		// The user row first, locked where rows are locked, so that a check created meanwhile
		// (its insert references the row) waits and then fails, or is counted.
		lockUser:   r(`SELECT slug FROM users WHERE id = $1` + d.LockRows),
		userChecks: r(`SELECT count(*) FROM checks WHERE user_id = $1`),
		deleteUser: r(`DELETE FROM users WHERE id = $1`),
		holdSlug: r(`INSERT INTO slug_holds (slug, user_id, until) VALUES ($1, 0, $2)
			ON CONFLICT (slug) DO UPDATE SET user_id = 0, until = ` + d.Greatest + `(slug_holds.until, excluded.until)`),
		siteStats: r(`SELECT
			(SELECT count(*) FROM users),
			(SELECT count(*) FROM users WHERE disabled_at IS NOT NULL),
			(SELECT count(*) FROM (SELECT at FROM pings ORDER BY id DESC LIMIT $2) p WHERE at >= $3),
			(SELECT count(*) FROM (SELECT delivered_at FROM outbox ORDER BY id DESC LIMIT $2) o WHERE delivered_at >= $3),
			(SELECT count(*) FROM outbox WHERE status = 'pending'),
			count(*),
			count(*) FILTER (WHERE status = 'new'),
			count(*) FILTER (WHERE status = 'up'),
			count(*) FILTER (WHERE status = 'down'),
			count(*) FILTER (WHERE status = 'paused'),
			count(*) FILTER (WHERE status = 'up' AND next_due < $1 AND next_deadline > $1)
			FROM checks`),
	}
}

// SetUserDisabled disables the user at at, or enables them when at is zero.
func (s *Store) SetUserDisabled(ctx context.Context, userID int64, at time.Time) error {
	n, err := s.cfg.Write.Exec(ctx, s.q.setUserDisabled, MS(at), userID)
	if err != nil {
		return fmt.Errorf("set user disabled: %w", s.mapErr(err))
	}
	if n == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// ListUsers returns a page of users by id with their check counts.
func (s *Store) ListUsers(ctx context.Context, afterID int64, limit int) ([]persistence.UserSummary, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, func(row Row) (persistence.UserSummary, error) {
		var (
			u                       persistence.UserSummary
			hash                    []byte
			created, disabled, ping sql.NullInt64
			seen                    sql.NullInt64
		)
		err := row.Scan(&u.ID, &u.Slug, &hash, &created, &disabled, &seen, &u.Checks, &ping)
		// What a list shows of an access key: the first 8 hex digits of its hash.
		u.KeyHashPrefix = hex.EncodeToString(hash[:min(len(hash), 4)])
		u.CreatedAt, u.DisabledAt, u.LastPing, u.LastSeen = FromMS(created), FromMS(disabled), FromMS(ping), FromMS(seen)
		return u, err
	}, s.q.listUsers, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", s.mapErr(err))
	}
	return out, nil
}

// SearchChecks returns a page of every user's checks whose name or slug contains q (ASCII
// letters compared case-insensitively).
func (s *Store) SearchChecks(ctx context.Context, q string, afterID int64, limit int) ([]persistence.CheckSummary, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	pattern := containsPattern(q)
	out, err := query(ctx, s.cfg.Read, func(row Row) (persistence.CheckSummary, error) {
		var (
			c    persistence.CheckSummary
			ping sql.NullInt64
		)
		err := row.Scan(&c.ID, &c.UserID, &c.UserSlug, &c.Slug, &c.Name, (*string)(&c.Status), &ping)
		c.LastPing = FromMS(ping)
		return c, err
	}, s.q.searchChecks, afterID, pattern, limit)
	if err != nil {
		return nil, fmt.Errorf("search checks: %w", s.mapErr(err))
	}
	return out, nil
}

// DeleteUser deletes a user whose checks are gone and holds their slug for nobody.
func (s *Store) DeleteUser(ctx context.Context, userID int64, holdUntil time.Time) error {
	return s.tx(ctx, "delete user", func(tx Querier) error {
		var slug string
		if err := tx.QueryRow(ctx, s.q.lockUser, userID).Scan(&slug); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, s.q.userChecks, userID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return messages.Errorf(messages.EConflict, "the user still has %d checks", n)
		}
		if _, err := tx.Exec(ctx, s.q.deleteUser, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.q.holdSlug, slug, holdUntil.UnixMilli())
		return err
	})
}

// SiteStats counts users, checks, the last minute's traffic and the outbox backlog.
func (s *Store) SiteStats(ctx context.Context, now time.Time) (persistence.SiteStats, error) {
	var st persistence.SiteStats
	since := now.Add(-time.Minute).UnixMilli()
	err := s.cfg.Read.QueryRow(ctx, s.q.siteStats, now.UnixMilli(), persistence.RecentRows, since).Scan(
		&st.Users, &st.DisabledUsers, &st.PingsLastMinute, &st.AlertsLastMinute, &st.OutboxPending,
		&st.Checks.Total, &st.Checks.New, &st.Checks.Up, &st.Checks.Down, &st.Checks.Paused, &st.Checks.Late)
	if err != nil {
		return persistence.SiteStats{}, fmt.Errorf("site stats: %w", s.mapErr(err))
	}
	return st, nil
}
