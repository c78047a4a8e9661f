package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

const adminColumns = `id, username, password_hash, created_at, updated_at`

func scanAdmin(row pgx.Row) (persistence.Admin, error) {
	var (
		a                persistence.Admin
		created, updated *int64
	)
	if err := row.Scan(&a.ID, &a.Username, &a.PasswordHash, &created, &updated); err != nil {
		return persistence.Admin{}, err
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return a, nil
}

// CreateAdmin inserts a and sets a.ID. A taken username is EConflict.
func (s *Store) CreateAdmin(ctx context.Context, a *persistence.Admin) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO admins (username, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $3) RETURNING id`, a.Username, a.PasswordHash, a.CreatedAt.UnixMilli()).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("create admin: %w", s.mapErr(err))
	}
	return nil
}

// AdminByUsername reads an admin by username.
func (s *Store) AdminByUsername(ctx context.Context, username string) (persistence.Admin, error) {
	a, err := scanAdmin(s.pool.QueryRow(ctx, `SELECT `+adminColumns+` FROM admins WHERE username = $1`, username))
	return a, s.mapErr(err)
}

// AdminByID reads an admin by id.
func (s *Store) AdminByID(ctx context.Context, id int64) (persistence.Admin, error) {
	a, err := scanAdmin(s.pool.QueryRow(ctx, `SELECT `+adminColumns+` FROM admins WHERE id = $1`, id))
	return a, s.mapErr(err)
}

// ListAdmins returns every admin by username.
func (s *Store) ListAdmins(ctx context.Context) ([]persistence.Admin, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+adminColumns+` FROM admins ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", s.mapErr(err))
	}
	out, err := collect(rows, scanAdmin)
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", s.mapErr(err))
	}
	return out, nil
}

// SetAdminPassword replaces the admin's password hash and ends their refresh tokens.
func (s *Store) SetAdminPassword(ctx context.Context, username, hash string, at time.Time) error {
	return s.adminTx(ctx, "set admin password", func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `UPDATE admins SET password_hash = $1, updated_at = $2 WHERE username = $3 RETURNING id`,
			hash, at.UnixMilli(), username).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM admin_refresh_tokens WHERE admin_id = $1`, id)
		return err
	})
}

// DeleteAdmin deletes the admin and their refresh tokens.
func (s *Store) DeleteAdmin(ctx context.Context, username string) error {
	return s.adminTx(ctx, "delete admin", func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `DELETE FROM admins WHERE username = $1 RETURNING id`, username).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM admin_refresh_tokens WHERE admin_id = $1`, id)
		return err
	})
}

// AddRefreshToken allow-lists a refresh token.
func (s *Store) AddRefreshToken(ctx context.Context, t persistence.RefreshToken) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO admin_refresh_tokens (jti, family, admin_id, expires_at) VALUES ($1, $2, $3, $4)`,
		t.JTI, t.Family, t.AdminID, t.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("add refresh token: %w", s.mapErr(err))
	}
	return nil
}

// RotateRefreshToken spends usedJTI and allow-lists next in its family (see
// persistence.AdminStore). The conditional UPDATE lets one of two concurrent rotations of
// the same token win; the other finds it spent and revokes the family, the winner's new
// token included.
func (s *Store) RotateRefreshToken(ctx context.Context, usedJTI string, next *persistence.RefreshToken, now time.Time) (persistence.RefreshOutcome, error) {
	var out persistence.RefreshOutcome
	err := s.adminTx(ctx, "rotate refresh token", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE admin_refresh_tokens SET used_at = $2
			WHERE jti = $1 AND used_at IS NULL AND expires_at > $2 RETURNING family, admin_id`, usedJTI, now.UnixMilli()).
			Scan(&next.Family, &next.AdminID)
		if err == nil {
			if _, err := tx.Exec(ctx, `INSERT INTO admin_refresh_tokens (jti, family, admin_id, expires_at) VALUES ($1, $2, $3, $4)`,
				next.JTI, next.Family, next.AdminID, next.ExpiresAt.UnixMilli()); err != nil {
				return err
			}
			out = persistence.RefreshRotated
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var (
			family string
			used   *int64
		)
		err = tx.QueryRow(ctx, `SELECT family, used_at FROM admin_refresh_tokens WHERE jti = $1`, usedJTI).Scan(&family, &used)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			out = persistence.RefreshUnknown
			return nil
		case err != nil:
			return err
		case used == nil: // expired
			out = persistence.RefreshUnknown
			return nil
		}
		out = persistence.RefreshReused
		_, err = tx.Exec(ctx, `DELETE FROM admin_refresh_tokens WHERE family = $1`, family)
		return err
	})
	return out, err
}

// RevokeRefreshFamily ends every refresh token of a family.
func (s *Store) RevokeRefreshFamily(ctx context.Context, family string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM admin_refresh_tokens WHERE family = $1`, family); err != nil {
		return fmt.Errorf("revoke refresh family: %w", s.mapErr(err))
	}
	return nil
}

// RevokeAccessToken refuses jti until until.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, until time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO revoked_tokens (jti, until) VALUES ($1, $2)
		ON CONFLICT (jti) DO UPDATE SET until = GREATEST(revoked_tokens.until, excluded.until)`, jti, until.UnixMilli())
	if err != nil {
		return fmt.Errorf("revoke access token: %w", s.mapErr(err))
	}
	return nil
}

// AccessTokenRevoked reports whether jti was revoked.
func (s *Store) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var revoked bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)`, jti).Scan(&revoked); err != nil {
		return false, fmt.Errorf("access token revoked: %w", s.mapErr(err))
	}
	return revoked, nil
}

// PruneAdminTokens deletes refresh tokens and revocations that ended before now.
func (s *Store) PruneAdminTokens(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	err := s.adminTx(ctx, "prune admin tokens", func(tx pgx.Tx) error {
		for _, q := range []string{`DELETE FROM admin_refresh_tokens WHERE expires_at < $1`, `DELETE FROM revoked_tokens WHERE until < $1`} {
			tag, err := tx.Exec(ctx, q, now.UnixMilli())
			if err != nil {
				return err
			}
			total += tag.RowsAffected()
		}
		return nil
	})
	return total, err
}

const metricsTokenColumns = `id, name, prefix, token_hash, created_at, revoked_at`

func scanMetricsToken(row pgx.Row) (persistence.MetricsToken, error) {
	var (
		t                persistence.MetricsToken
		created, revoked *int64
	)
	if err := row.Scan(&t.ID, &t.Name, &t.Prefix, &t.Hash, &created, &revoked); err != nil {
		return persistence.MetricsToken{}, err
	}
	t.CreatedAt, t.RevokedAt = fromMS(created), fromMS(revoked)
	return t, nil
}

// CreateMetricsToken stores a metrics token and sets t.ID.
func (s *Store) CreateMetricsToken(ctx context.Context, t *persistence.MetricsToken) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO metrics_tokens (token_hash, prefix, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
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
	t, err := scanMetricsToken(s.pool.QueryRow(ctx, `SELECT `+metricsTokenColumns+` FROM metrics_tokens
		WHERE token_hash = $1 AND revoked_at IS NULL`, hash))
	return t, s.mapErr(err)
}

// ListMetricsTokens returns every metrics token by id.
func (s *Store) ListMetricsTokens(ctx context.Context) ([]persistence.MetricsToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+metricsTokenColumns+` FROM metrics_tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list metrics tokens: %w", s.mapErr(err))
	}
	out, err := collect(rows, scanMetricsToken)
	if err != nil {
		return nil, fmt.Errorf("list metrics tokens: %w", s.mapErr(err))
	}
	return out, nil
}

// RevokeMetricsToken revokes a metrics token (the first revocation's time stays).
func (s *Store) RevokeMetricsToken(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE metrics_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("revoke metrics token: %w", s.mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// adminTx runs f in a transaction; pgx.ErrNoRows from f is ErrNotFound.
func (s *Store) adminTx(ctx context.Context, what string, f func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	defer tx.Rollback(ctx)
	if err := f(tx); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return messages.ErrNotFound
		}
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	return nil
}
