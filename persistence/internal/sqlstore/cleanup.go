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

// The cleanup's queries across users (persistence.CleanupStore) and the user's last-seen
// time. They walk the tables by primary key in pages, so a run never holds a long read over
// the whole store.

// userActivityColumns are read by scanUserActivity; u is users.
const userActivityColumns = `u.id, u.slug, u.created_at, u.last_seen_at, u.disabled_at,
	(SELECT count(*) FROM checks c WHERE c.user_id = u.id),
	EXISTS (SELECT 1 FROM telegram_links t WHERE t.user_id = u.id)`

func scanUserActivity(row Row) (persistence.UserActivity, error) {
	var (
		u                       persistence.UserActivity
		created, seen, disabled sql.NullInt64
	)
	if err := row.Scan(&u.ID, &u.Slug, &created, &seen, &disabled, &u.Checks, &u.TelegramLinked); err != nil {
		return u, err
	}
	u.CreatedAt, u.LastSeenAt, u.DisabledAt = FromMS(created), FromMS(seen), FromMS(disabled)
	return u, nil
}

type cleanupSQL struct {
	touchUser, countChecks, inactiveChecks, inactiveUsers, userActivityByID string
	acquireJobLease, releaseJobLease                                        string
}

func newCleanupSQL(r func(string) string) cleanupSQL {
	return cleanupSQL{
		touchUser: r(`UPDATE users SET last_seen_at = $1
			WHERE id = $2 AND (last_seen_at IS NULL OR last_seen_at <= $3)`),
		countChecks: `SELECT count(*) FROM checks`,
		inactiveChecks: r(`SELECT ` + schema.CheckColumns + ` FROM checks
			WHERE id > $1 AND status <> $2 AND COALESCE(last_ping, created_at) < $3
			ORDER BY id LIMIT $4`),
		inactiveUsers: r(`SELECT ` + userActivityColumns + ` FROM users u
			WHERE u.id > $1 AND u.created_at < $2 AND (u.last_seen_at IS NULL OR u.last_seen_at < $2)
				AND u.disabled_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM telegram_links t WHERE t.user_id = u.id)
			ORDER BY u.id LIMIT $3`),
		userActivityByID: r(`SELECT ` + userActivityColumns + ` FROM users u WHERE u.id = $1`),
		// One conditional upsert, so two nodes racing for a free lease cannot both get it.
		acquireJobLease: r(`INSERT INTO job_leases (name, holder, lease_until) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
			WHERE job_leases.holder = excluded.holder OR job_leases.lease_until < $4`),
		releaseJobLease: r(`DELETE FROM job_leases WHERE name = $1 AND holder = $2`),
	}
}

// TouchUser records that the user was seen at at, at most once per SeenResolution.
func (s *Store) TouchUser(ctx context.Context, userID int64, at time.Time) error {
	_, err := s.cfg.Write.Exec(ctx, s.q.touchUser, at.UnixMilli(), userID, at.Add(-persistence.SeenResolution).UnixMilli())
	if err != nil {
		return fmt.Errorf("touch user %d: %w", userID, s.mapErr(err))
	}
	return nil
}

// CountChecks counts every check.
func (s *Store) CountChecks(ctx context.Context) (int64, error) {
	var n int64
	if err := s.cfg.Read.QueryRow(ctx, s.q.countChecks).Scan(&n); err != nil {
		return 0, fmt.Errorf("count checks: %w", s.mapErr(err))
	}
	return n, nil
}

// InactiveChecks returns unpaused checks whose last activity is before before, by id.
func (s *Store) InactiveChecks(ctx context.Context, before time.Time, afterID int64, limit int) ([]messages.Check, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, ScanCheck, s.q.inactiveChecks, afterID, string(messages.StatusPaused), before.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("inactive checks: %w", s.mapErr(err))
	}
	return out, nil
}

// InactiveUsers returns enabled users without a Telegram link, created and last seen
// before before, by id.
func (s *Store) InactiveUsers(ctx context.Context, before time.Time, afterID int64, limit int) ([]persistence.UserActivity, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, scanUserActivity, s.q.inactiveUsers, afterID, before.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("inactive users: %w", s.mapErr(err))
	}
	return out, nil
}

// UserActivityByID reads one user's activity.
func (s *Store) UserActivityByID(ctx context.Context, userID int64) (persistence.UserActivity, error) {
	u, err := scanUserActivity(s.cfg.Read.QueryRow(ctx, s.q.userActivityByID, userID))
	if err != nil {
		return u, s.mapErr(err)
	}
	return u, nil
}

// AcquireJobLease takes or renews a named lease.
func (s *Store) AcquireJobLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	if name == "" || holder == "" {
		return false, messages.Errorf(messages.EInvalid, "job lease: empty name or holder")
	}
	n, err := s.cfg.Write.Exec(ctx, s.q.acquireJobLease, name, holder, until.UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("acquire job lease %s: %w", name, s.mapErr(err))
	}
	return n == 1, nil
}

// ReleaseJobLease deletes holder's lease of name.
func (s *Store) ReleaseJobLease(ctx context.Context, name, holder string) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.releaseJobLease, name, holder); err != nil {
		return fmt.Errorf("release job lease %s: %w", name, s.mapErr(err))
	}
	return nil
}
