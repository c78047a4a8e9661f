package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The operators' accounts, their tokens and the metrics tokens (persistence.AdminStore): none
// names a user.

const adminColumns = `id, username, password_hash, created_at, updated_at`

func scanAdmin(row Row) (persistence.Admin, error) {
	var (
		a                persistence.Admin
		created, updated sql.NullInt64
	)
	if err := row.Scan(&a.ID, &a.Username, &a.PasswordHash, &created, &updated); err != nil {
		return persistence.Admin{}, err
	}
	a.CreatedAt, a.UpdatedAt = FromMS(created), FromMS(updated)
	return a, nil
}

const metricsTokenColumns = `id, name, prefix, token_hash, created_at, revoked_at`

func scanMetricsToken(row Row) (persistence.MetricsToken, error) {
	var (
		t                persistence.MetricsToken
		created, revoked sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.Name, &t.Prefix, &t.Hash, &created, &revoked); err != nil {
		return persistence.MetricsToken{}, err
	}
	t.CreatedAt, t.RevokedAt = FromMS(created), FromMS(revoked)
	return t, nil
}

type adminSQL struct {
	createAdmin, adminByUsername, adminByID, listAdmins, setAdminPassword, deleteAdmin string
	deleteAdminTokens, addRefreshToken, spendRefreshToken, refreshToken, revokeFamily  string
	revokeAccessToken, accessTokenRevoked, pruneRefreshTokens, pruneRevokedTokens      string
	createMetricsToken, metricsTokenByHash, listMetricsTokens, revokeMetricsToken      string
	adminSessionSQL
}

func newAdminSQL(d *Dialect) adminSQL {
	r := d.Rebind
	return adminSQL{
		createAdmin: r(`INSERT INTO admins (username, password_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $3) RETURNING id`),
		adminByUsername:   r(`SELECT ` + adminColumns + ` FROM admins WHERE username = $1`),
		adminByID:         r(`SELECT ` + adminColumns + ` FROM admins WHERE id = $1`),
		listAdmins:        `SELECT ` + adminColumns + ` FROM admins ORDER BY username`,
		setAdminPassword:  r(`UPDATE admins SET password_hash = $1, updated_at = $2 WHERE username = $3 RETURNING id`),
		deleteAdmin:       r(`DELETE FROM admins WHERE username = $1 RETURNING id`),
		deleteAdminTokens: r(`DELETE FROM admin_refresh_tokens WHERE admin_id = $1`),
		addRefreshToken:   r(`INSERT INTO admin_refresh_tokens (jti, family, admin_id, expires_at) VALUES ($1, $2, $3, $4)`),
		spendRefreshToken: r(`UPDATE admin_refresh_tokens SET used_at = $2
			WHERE jti = $1 AND used_at IS NULL AND expires_at > $2 RETURNING family, admin_id`),
		refreshToken: r(`SELECT family, used_at FROM admin_refresh_tokens WHERE jti = $1`),
		revokeFamily: r(`DELETE FROM admin_refresh_tokens WHERE family = $1`),
		revokeAccessToken: r(`INSERT INTO revoked_tokens (jti, until) VALUES ($1, $2)
			ON CONFLICT (jti) DO UPDATE SET until = ` + d.Greatest + `(revoked_tokens.until, excluded.until)`),
		accessTokenRevoked: r(`SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)`),
		pruneRefreshTokens: r(`DELETE FROM admin_refresh_tokens WHERE expires_at < $1`),
		pruneRevokedTokens: r(`DELETE FROM revoked_tokens WHERE until < $1`),
		createMetricsToken: r(`INSERT INTO metrics_tokens (token_hash, prefix, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id`),
		metricsTokenByHash: r(`SELECT ` + metricsTokenColumns + ` FROM metrics_tokens
			WHERE token_hash = $1 AND revoked_at IS NULL`),
		listMetricsTokens:  `SELECT ` + metricsTokenColumns + ` FROM metrics_tokens ORDER BY id`,
		revokeMetricsToken: r(`UPDATE metrics_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`),
		adminSessionSQL:    newAdminSessionSQL(r),
	}
}

// CreateAdmin inserts a and sets a.ID. A taken username is EConflict.
func (s *Store) CreateAdmin(ctx context.Context, a *persistence.Admin) error {
	err := s.cfg.Write.QueryRow(ctx, s.q.createAdmin, a.Username, a.PasswordHash, a.CreatedAt.UnixMilli()).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("create admin: %w", s.mapErr(err))
	}
	return nil
}

// AdminByUsername reads an admin by username.
func (s *Store) AdminByUsername(ctx context.Context, username string) (persistence.Admin, error) {
	a, err := scanAdmin(s.cfg.Read.QueryRow(ctx, s.q.adminByUsername, username))
	return a, s.mapErr(err)
}

// AdminByID reads an admin by id.
func (s *Store) AdminByID(ctx context.Context, id int64) (persistence.Admin, error) {
	a, err := scanAdmin(s.cfg.Read.QueryRow(ctx, s.q.adminByID, id))
	return a, s.mapErr(err)
}

// ListAdmins returns every admin by username.
func (s *Store) ListAdmins(ctx context.Context) ([]persistence.Admin, error) {
	out, err := query(ctx, s.cfg.Read, scanAdmin, s.q.listAdmins)
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", s.mapErr(err))
	}
	return out, nil
}

// SetAdminPassword replaces the admin's password hash and ends their refresh tokens and
// browser sessions.
func (s *Store) SetAdminPassword(ctx context.Context, username, hash string, at time.Time) error {
	return s.tx(ctx, "set admin password", func(tx Querier) error {
		var id int64
		if err := tx.QueryRow(ctx, s.q.setAdminPassword, hash, at.UnixMilli(), username).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.q.deleteAdminTokens, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.q.deleteAdminSessions, id)
		return err
	})
}

// DeleteAdmin deletes the admin, their refresh tokens and their browser sessions.
func (s *Store) DeleteAdmin(ctx context.Context, username string) error {
	return s.tx(ctx, "delete admin", func(tx Querier) error {
		var id int64
		if err := tx.QueryRow(ctx, s.q.deleteAdmin, username).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.q.deleteAdminTokens, id); err != nil {
			return err
		}
		// The foreign key cascades too; this does not depend on it being enforced.
		_, err := tx.Exec(ctx, s.q.deleteAdminSessions, id)
		return err
	})
}

// AddRefreshToken allow-lists a refresh token.
func (s *Store) AddRefreshToken(ctx context.Context, t persistence.RefreshToken) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.addRefreshToken, t.JTI, t.Family, t.AdminID, t.ExpiresAt.UnixMilli()); err != nil {
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
	err := s.tx(ctx, "rotate refresh token", func(tx Querier) error {
		err := tx.QueryRow(ctx, s.q.spendRefreshToken, usedJTI, now.UnixMilli()).Scan(&next.Family, &next.AdminID)
		if err == nil {
			if _, err := tx.Exec(ctx, s.q.addRefreshToken, next.JTI, next.Family, next.AdminID, next.ExpiresAt.UnixMilli()); err != nil {
				return err
			}
			out = persistence.RefreshRotated
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var (
			family string
			used   sql.NullInt64
		)
		err = tx.QueryRow(ctx, s.q.refreshToken, usedJTI).Scan(&family, &used)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out = persistence.RefreshUnknown
			return nil
		case err != nil:
			return err
		case !used.Valid: // expired
			out = persistence.RefreshUnknown
			return nil
		}
		out = persistence.RefreshReused
		_, err = tx.Exec(ctx, s.q.revokeFamily, family)
		return err
	})
	return out, err
}

// RevokeRefreshFamily ends every refresh token of a family.
func (s *Store) RevokeRefreshFamily(ctx context.Context, family string) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.revokeFamily, family); err != nil {
		return fmt.Errorf("revoke refresh family: %w", s.mapErr(err))
	}
	return nil
}

// RevokeAccessToken refuses jti until until.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, until time.Time) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.revokeAccessToken, jti, until.UnixMilli()); err != nil {
		return fmt.Errorf("revoke access token: %w", s.mapErr(err))
	}
	return nil
}

// AccessTokenRevoked reports whether jti was revoked.
func (s *Store) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var revoked bool
	if err := s.cfg.Read.QueryRow(ctx, s.q.accessTokenRevoked, jti).Scan(&revoked); err != nil {
		return false, fmt.Errorf("access token revoked: %w", s.mapErr(err))
	}
	return revoked, nil
}

// PruneAdminTokens deletes refresh tokens and revocations that ended before now.
func (s *Store) PruneAdminTokens(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	err := s.tx(ctx, "prune admin tokens", func(tx Querier) error {
		total = 0
		for _, q := range []string{s.q.pruneRefreshTokens, s.q.pruneRevokedTokens} {
			n, err := tx.Exec(ctx, q, now.UnixMilli())
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, err
}

// CreateMetricsToken stores a metrics token and sets t.ID.
func (s *Store) CreateMetricsToken(ctx context.Context, t *persistence.MetricsToken) error {
	err := s.cfg.Write.QueryRow(ctx, s.q.createMetricsToken, Blob(t.Hash), t.Prefix, CleanText(t.Name), t.CreatedAt.UnixMilli()).Scan(&t.ID)
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
	t, err := scanMetricsToken(s.cfg.Read.QueryRow(ctx, s.q.metricsTokenByHash, hash))
	return t, s.mapErr(err)
}

// ListMetricsTokens returns every metrics token by id.
func (s *Store) ListMetricsTokens(ctx context.Context) ([]persistence.MetricsToken, error) {
	out, err := query(ctx, s.cfg.Read, scanMetricsToken, s.q.listMetricsTokens)
	if err != nil {
		return nil, fmt.Errorf("list metrics tokens: %w", s.mapErr(err))
	}
	return out, nil
}

// RevokeMetricsToken revokes a metrics token (the first revocation's time stays).
func (s *Store) RevokeMetricsToken(ctx context.Context, id int64, at time.Time) error {
	n, err := s.cfg.Write.Exec(ctx, s.q.revokeMetricsToken, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("revoke metrics token: %w", s.mapErr(err))
	}
	if n == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// tx runs f in a write transaction: no row from f is ErrNotFound, any other error is
// mapped and wrapped with what.
func (s *Store) tx(ctx context.Context, what string, f func(tx Querier) error) error {
	err := s.inTx(ctx, f)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return messages.ErrNotFound
	}
	return fmt.Errorf("%s: %w", what, s.mapErr(err))
}
