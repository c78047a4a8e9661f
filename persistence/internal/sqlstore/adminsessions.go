package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/persistence"
)

// Admins' browser sessions (persistence.AdminStore): keyed by a secret's hash, or by the
// admin; none names a user.

type adminSessionSQL struct {
	createAdminSession, adminSessionByHash, touchAdminSession, deleteAdminSession string
	deleteAdminSessions, pruneAdminSessions                                       string
}

func newAdminSessionSQL(r func(string) string) adminSessionSQL {
	return adminSessionSQL{
		createAdminSession: r(`INSERT INTO admin_sessions (token_hash, admin_id, created_at, seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`),
		adminSessionByHash:  r(`SELECT admin_id, created_at, seen_at, expires_at FROM admin_sessions WHERE token_hash = $1`),
		touchAdminSession:   r(`UPDATE admin_sessions SET seen_at = $1 WHERE token_hash = $2 AND seen_at < $1`),
		deleteAdminSession:  r(`DELETE FROM admin_sessions WHERE token_hash = $1`),
		deleteAdminSessions: r(`DELETE FROM admin_sessions WHERE admin_id = $1`),
		pruneAdminSessions:  r(`DELETE FROM admin_sessions WHERE expires_at <= $1 OR seen_at < $2`),
	}
}

// CreateAdminSession stores a new admin session.
func (s *Store) CreateAdminSession(ctx context.Context, a persistence.AdminSession) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.createAdminSession, a.TokenHash, a.AdminID,
		a.CreatedAt.UnixMilli(), a.SeenAt.UnixMilli(), a.ExpiresAt.UnixMilli()); err != nil {
		return fmt.Errorf("create admin session: %w", s.mapErr(err))
	}
	return nil
}

// AdminSessionByHash returns the admin session whose token hashes to hash.
func (s *Store) AdminSessionByHash(ctx context.Context, hash []byte) (persistence.AdminSession, error) {
	a := persistence.AdminSession{TokenHash: hash}
	var created, seen, expires sql.NullInt64
	if err := s.cfg.Read.QueryRow(ctx, s.q.adminSessionByHash, hash).Scan(&a.AdminID, &created, &seen, &expires); err != nil {
		return persistence.AdminSession{}, s.mapErr(err)
	}
	a.CreatedAt, a.SeenAt, a.ExpiresAt = FromMS(created), FromMS(seen), FromMS(expires)
	return a, nil
}

// TouchAdminSession records a use of the session (never moving seen_at back).
func (s *Store) TouchAdminSession(ctx context.Context, hash []byte, seenAt time.Time) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.touchAdminSession, seenAt.UnixMilli(), hash); err != nil {
		return fmt.Errorf("touch admin session: %w", s.mapErr(err))
	}
	return nil
}

// DeleteAdminSession ends one admin session.
func (s *Store) DeleteAdminSession(ctx context.Context, hash []byte) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.deleteAdminSession, hash); err != nil {
		return fmt.Errorf("delete admin session: %w", s.mapErr(err))
	}
	return nil
}

// PruneAdminSessions deletes expired and idle admin sessions.
func (s *Store) PruneAdminSessions(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	n, err := s.cfg.Write.Exec(ctx, s.q.pruneAdminSessions, now.UnixMilli(), idleBefore.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune admin sessions: %w", s.mapErr(err))
	}
	return n, nil
}
