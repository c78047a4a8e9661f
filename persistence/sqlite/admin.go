package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

const adminColumns = `id, username, password_hash, created_at, updated_at`

func scanAdmin(row scanner) (persistence.Admin, error) {
	var (
		a                persistence.Admin
		created, updated sql.NullInt64
	)
	if err := row.Scan(&a.ID, &a.Username, &a.PasswordHash, &created, &updated); err != nil {
		return persistence.Admin{}, err
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return a, nil
}

// CreateAdmin inserts a and sets a.ID. A taken username is EConflict.
func (s *Store) CreateAdmin(ctx context.Context, a *persistence.Admin) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO admins (username, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?) RETURNING id`, a.Username, a.PasswordHash, a.CreatedAt.UnixMilli(), a.CreatedAt.UnixMilli()).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("create admin: %w", s.mapErr(err))
	}
	return nil
}

// AdminByUsername reads an admin by username.
func (s *Store) AdminByUsername(ctx context.Context, username string) (persistence.Admin, error) {
	a, err := scanAdmin(s.r.QueryRowContext(ctx, `SELECT `+adminColumns+` FROM admins WHERE username = ?`, username))
	return a, s.mapErr(err)
}

// AdminByID reads an admin by id.
func (s *Store) AdminByID(ctx context.Context, id int64) (persistence.Admin, error) {
	a, err := scanAdmin(s.r.QueryRowContext(ctx, `SELECT `+adminColumns+` FROM admins WHERE id = ?`, id))
	return a, s.mapErr(err)
}

// ListAdmins returns every admin by username.
func (s *Store) ListAdmins(ctx context.Context) ([]persistence.Admin, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+adminColumns+` FROM admins ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []persistence.Admin
	for rows.Next() {
		a, err := scanAdmin(rows)
		if err != nil {
			return nil, fmt.Errorf("list admins: %w", s.mapErr(err))
		}
		out = append(out, a)
	}
	return out, s.mapErr(rows.Err())
}

// SetAdminPassword replaces the admin's password hash and ends their refresh tokens.
func (s *Store) SetAdminPassword(ctx context.Context, username, hash string, at time.Time) error {
	return s.adminTx(ctx, "set admin password", func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `UPDATE admins SET password_hash = ?, updated_at = ? WHERE username = ? RETURNING id`,
			hash, at.UnixMilli(), username).Scan(&id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM admin_refresh_tokens WHERE admin_id = ?`, id)
		return err
	})
}

// DeleteAdmin deletes the admin and their refresh tokens.
func (s *Store) DeleteAdmin(ctx context.Context, username string) error {
	return s.adminTx(ctx, "delete admin", func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `DELETE FROM admins WHERE username = ? RETURNING id`, username).Scan(&id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM admin_refresh_tokens WHERE admin_id = ?`, id)
		return err
	})
}

// AddRefreshToken allow-lists a refresh token.
func (s *Store) AddRefreshToken(ctx context.Context, t persistence.RefreshToken) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO admin_refresh_tokens (jti, family, admin_id, expires_at) VALUES (?, ?, ?, ?)`,
		t.JTI, t.Family, t.AdminID, t.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("add refresh token: %w", s.mapErr(err))
	}
	return nil
}

// RotateRefreshToken spends usedJTI and allow-lists next in its family (see
// persistence.AdminStore). The single writer connection serialises rotations.
func (s *Store) RotateRefreshToken(ctx context.Context, usedJTI string, next *persistence.RefreshToken, now time.Time) (persistence.RefreshOutcome, error) {
	var out persistence.RefreshOutcome
	err := s.adminTx(ctx, "rotate refresh token", func(tx *sql.Tx) error {
		var (
			expires int64
			used    sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, `SELECT family, admin_id, expires_at, used_at FROM admin_refresh_tokens WHERE jti = ?`, usedJTI).
			Scan(&next.Family, &next.AdminID, &expires, &used)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out = persistence.RefreshUnknown
			return nil
		case err != nil:
			return err
		case used.Valid:
			out = persistence.RefreshReused
			_, err := tx.ExecContext(ctx, `DELETE FROM admin_refresh_tokens WHERE family = ?`, next.Family)
			return err
		case expires <= now.UnixMilli():
			out = persistence.RefreshUnknown
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE admin_refresh_tokens SET used_at = ? WHERE jti = ?`, now.UnixMilli(), usedJTI); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO admin_refresh_tokens (jti, family, admin_id, expires_at) VALUES (?, ?, ?, ?)`,
			next.JTI, next.Family, next.AdminID, next.ExpiresAt.UnixMilli()); err != nil {
			return err
		}
		out = persistence.RefreshRotated
		return nil
	})
	return out, err
}

// RevokeRefreshFamily ends every refresh token of a family.
func (s *Store) RevokeRefreshFamily(ctx context.Context, family string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM admin_refresh_tokens WHERE family = ?`, family); err != nil {
		return fmt.Errorf("revoke refresh family: %w", s.mapErr(err))
	}
	return nil
}

// RevokeAccessToken refuses jti until until.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, until time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO revoked_tokens (jti, until) VALUES (?, ?)
		ON CONFLICT (jti) DO UPDATE SET until = max(until, excluded.until)`, jti, until.UnixMilli())
	if err != nil {
		return fmt.Errorf("revoke access token: %w", s.mapErr(err))
	}
	return nil
}

// AccessTokenRevoked reports whether jti was revoked.
func (s *Store) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM revoked_tokens WHERE jti = ?`, jti).Scan(&n); err != nil {
		return false, fmt.Errorf("access token revoked: %w", s.mapErr(err))
	}
	return n > 0, nil
}

// PruneAdminTokens deletes refresh tokens and revocations that ended before now.
func (s *Store) PruneAdminTokens(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	err := s.adminTx(ctx, "prune admin tokens", func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM admin_refresh_tokens WHERE expires_at < ?`, `DELETE FROM revoked_tokens WHERE until < ?`} {
			res, err := tx.ExecContext(ctx, q, now.UnixMilli())
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}

const metricsTokenColumns = `id, name, prefix, token_hash, created_at, revoked_at`

func scanMetricsToken(row scanner) (persistence.MetricsToken, error) {
	var (
		t                persistence.MetricsToken
		created, revoked sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.Name, &t.Prefix, &t.Hash, &created, &revoked); err != nil {
		return persistence.MetricsToken{}, err
	}
	t.CreatedAt, t.RevokedAt = fromMS(created), fromMS(revoked)
	return t, nil
}

// CreateMetricsToken stores a metrics token and sets t.ID.
func (s *Store) CreateMetricsToken(ctx context.Context, t *persistence.MetricsToken) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO metrics_tokens (token_hash, prefix, name, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		blob(t.Hash), t.Prefix, cleanText(t.Name), t.CreatedAt.UnixMilli()).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("create metrics token: %w", s.mapErr(err))
	}
	return nil
}

// MetricsTokenByHash finds a valid metrics token by its hash.
func (s *Store) MetricsTokenByHash(ctx context.Context, hash []byte) (persistence.MetricsToken, error) {
	if len(hash) == 0 {
		return persistence.MetricsToken{}, messages.ErrNotFound
	}
	t, err := scanMetricsToken(s.r.QueryRowContext(ctx, `SELECT `+metricsTokenColumns+` FROM metrics_tokens
		WHERE token_hash = ? AND revoked_at IS NULL`, hash))
	return t, s.mapErr(err)
}

// ListMetricsTokens returns every metrics token by id.
func (s *Store) ListMetricsTokens(ctx context.Context) ([]persistence.MetricsToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+metricsTokenColumns+` FROM metrics_tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list metrics tokens: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []persistence.MetricsToken
	for rows.Next() {
		t, err := scanMetricsToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list metrics tokens: %w", s.mapErr(err))
		}
		out = append(out, t)
	}
	return out, s.mapErr(rows.Err())
}

// RevokeMetricsToken revokes a metrics token (the first revocation's time stays).
func (s *Store) RevokeMetricsToken(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE metrics_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("revoke metrics token: %w", s.mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// adminTx runs f in a write transaction; sql.ErrNoRows from f is ErrNotFound.
func (s *Store) adminTx(ctx context.Context, what string, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return messages.ErrNotFound
		}
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	return nil
}
