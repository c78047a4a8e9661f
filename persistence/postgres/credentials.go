package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

var (
	_ persistence.CredentialStore = (*Store)(nil)
	_ persistence.AuditStore      = (*Store)(nil)
)

const tokenColumns = `id, user_id, name, prefix, digest, scopes, networks, created_at, expires_at, last_used_at`

func scanToken(row pgx.Row) (messages.APIToken, error) {
	var (
		t                          messages.APIToken
		created, expires, lastUsed *int64
	)
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Digest, &t.Scopes, &t.Networks, &created, &expires, &lastUsed); err != nil {
		return t, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = fromMS(created), fromMS(expires), fromMS(lastUsed)
	return t, nil
}

// CreateAPIToken inserts t and sets t.ID.
func (s *Store) CreateAPIToken(ctx context.Context, t *messages.APIToken) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, prefix, digest, scopes, networks, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		t.UserID, t.Name, t.Prefix, blob(t.Digest), t.Scopes, t.Networks, ms(t.CreatedAt), ms(t.ExpiresAt)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("create api token: %w", s.mapErr(err))
	}
	return nil
}

// CountAPITokens counts the user's tokens.
func (s *Store) CountAPITokens(ctx context.Context, userID int64) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count api tokens: %w", s.mapErr(err))
	}
	return n, nil
}

// ListAPITokens returns the user's tokens by id.
func (s *Store) ListAPITokens(ctx context.Context, userID int64, limit int) ([]messages.APIToken, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	return s.tokens(ctx, "list api tokens", `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1 ORDER BY id LIMIT $2`, userID, limit)
}

// GetAPIToken returns one of the user's tokens.
func (s *Store) GetAPIToken(ctx context.Context, userID, id int64) (messages.APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1 AND id = $2`, userID, id))
	if err != nil {
		return t, fmt.Errorf("get api token: %w", s.mapErr(err))
	}
	return t, nil
}

// APITokensByPrefix returns the tokens with prefix (index api_tokens_prefix).
func (s *Store) APITokensByPrefix(ctx context.Context, prefix string) ([]messages.APIToken, error) {
	return s.tokens(ctx, "api tokens by prefix", `SELECT `+tokenColumns+` FROM api_tokens WHERE prefix = $1 LIMIT 16`, prefix)
}

func (s *Store) tokens(ctx context.Context, what, query string, args ...any) ([]messages.APIToken, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	defer rows.Close()
	var out []messages.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, s.mapErr(err))
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	return out, nil
}

// APITokenUser returns the token's owner.
func (s *Store) APITokenUser(ctx context.Context, tokenID int64) (messages.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE id = (SELECT user_id FROM api_tokens WHERE id = $1)`, tokenID))
	if err != nil {
		return u, fmt.Errorf("api token user: %w", s.mapErr(err))
	}
	return u, nil
}

// UpdateAPIToken writes t's name, expiry and networks.
func (s *Store) UpdateAPIToken(ctx context.Context, t messages.APIToken) error {
	res, err := s.pool.Exec(ctx, `UPDATE api_tokens SET name = $1, expires_at = $2, networks = $3 WHERE user_id = $4 AND id = $5`,
		t.Name, ms(t.ExpiresAt), t.Networks, t.UserID, t.ID)
	return s.oneRow(res, err, "update api token")
}

// RevokeAPIToken deletes the token and retires its digest.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64, at time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("revoke api token: %w", s.mapErr(err))
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit: nothing to undo
	var digest []byte
	if err := tx.QueryRow(ctx, `DELETE FROM api_tokens WHERE user_id = $1 AND id = $2 RETURNING digest`, userID, id).Scan(&digest); err != nil {
		return fmt.Errorf("revoke api token: %w", s.mapErr(err))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO retired_credentials (digest, user_id, kind, retired_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (digest) DO NOTHING`, digest, userID, messages.RetiredToken, at.UnixMilli()); err != nil {
		return fmt.Errorf("revoke api token: %w", s.mapErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("revoke api token: %w", s.mapErr(err))
	}
	return nil
}

// TouchAPIToken records a use of the token unless a recent one is recorded.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at, notBefore time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1
		WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`, at.UnixMilli(), id, notBefore.UnixMilli()); err != nil {
		return fmt.Errorf("touch api token: %w", s.mapErr(err))
	}
	return nil
}

// RetireKey records an access key's digest as retired.
func (s *Store) RetireKey(ctx context.Context, userID int64, digest []byte, at time.Time) error {
	if len(digest) == 0 {
		return messages.Errorf(messages.EInvalid, "retire key: empty digest")
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO retired_credentials (digest, user_id, kind, retired_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (digest) DO NOTHING`, digest, userID, messages.RetiredKey, at.UnixMilli()); err != nil {
		return fmt.Errorf("retire key: %w", s.mapErr(err))
	}
	return nil
}

// ReplaceAuthKey swaps the user's access key hash and retires the old one.
func (s *Store) ReplaceAuthKey(ctx context.Context, userID int64, oldHash, newHash []byte, at time.Time) error {
	if len(oldHash) == 0 || len(newHash) == 0 {
		return messages.Errorf(messages.EInvalid, "replace auth key: empty hash")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("replace auth key: %w", s.mapErr(err))
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit: nothing to undo
	res, err := tx.Exec(ctx, `UPDATE users SET auth_key_hash = $1 WHERE id = $2 AND auth_key_hash = $3`, newHash, userID, oldHash)
	if err != nil {
		return fmt.Errorf("replace auth key: %w", s.mapErr(err))
	}
	if res.RowsAffected() != 1 {
		return messages.Errorf(messages.EConflict, "the access key changed meanwhile")
	}
	if _, err := tx.Exec(ctx, `INSERT INTO retired_credentials (digest, user_id, kind, retired_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (digest) DO NOTHING`, oldHash, userID, messages.RetiredKey, at.UnixMilli()); err != nil {
		return fmt.Errorf("replace auth key: %w", s.mapErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("replace auth key: %w", s.mapErr(err))
	}
	return nil
}

// RetiredCredential returns a credential retired at or after since.
func (s *Store) RetiredCredential(ctx context.Context, digest []byte, since time.Time) (messages.RetiredCredential, error) {
	var (
		rc messages.RetiredCredential
		at int64
	)
	if len(digest) == 0 {
		return rc, messages.ErrNotFound
	}
	err := s.pool.QueryRow(ctx, `SELECT kind, user_id, retired_at FROM retired_credentials WHERE digest = $1 AND retired_at >= $2`,
		digest, since.UnixMilli()).Scan(&rc.Kind, &rc.UserID, &at)
	if err != nil {
		return rc, fmt.Errorf("retired credential: %w", s.mapErr(err))
	}
	rc.RetiredAt = time.UnixMilli(at).UTC()
	return rc, nil
}

// PruneRetired deletes credentials retired before before.
func (s *Store) PruneRetired(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.prune(ctx, "prune retired credentials", `DELETE FROM retired_credentials WHERE digest IN
		(SELECT digest FROM retired_credentials WHERE retired_at < $1 LIMIT $2)`, before, limit)
}

// KeyNetworks returns the networks of the user's access key.
func (s *Store) KeyNetworks(ctx context.Context, userID int64) (string, error) {
	var nets string
	err := s.pool.QueryRow(ctx, `SELECT networks FROM key_networks WHERE user_id = $1`, userID).Scan(&nets)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("key networks: %w", s.mapErr(err))
	}
	return nets, nil
}

// SetKeyNetworks replaces the networks of the user's access key.
func (s *Store) SetKeyNetworks(ctx context.Context, userID int64, networks string) error {
	var err error
	if networks == "" {
		_, err = s.pool.Exec(ctx, `DELETE FROM key_networks WHERE user_id = $1`, userID)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO key_networks (user_id, networks) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET networks = EXCLUDED.networks`, userID, networks)
	}
	if err != nil {
		return fmt.Errorf("set key networks: %w", s.mapErr(err))
	}
	return nil
}

const auditColumns = `id, user_id, at, event, method, credential, outcome, reason, ip_hmac, ua_family`

// InsertAudit appends e.
func (s *Store) InsertAudit(ctx context.Context, e *messages.AuditEvent) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO auth_activity (user_id, at, event, method, credential, outcome, reason, ip_hmac, ua_family)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		e.UserID, e.At.UnixMilli(), e.Event, e.Method, e.Credential, e.Outcome, e.Reason, blob(e.IPHash), e.UAFamily).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("insert audit: %w", s.mapErr(err))
	}
	return nil
}

// ListAudit returns the user's events newest first.
func (s *Store) ListAudit(ctx context.Context, userID, beforeID int64, limit int) ([]messages.AuditEvent, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	return s.audit(ctx, `SELECT `+auditColumns+` FROM auth_activity WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
		userID, beforeOrMax(beforeID), limit)
}

// ListAllAudit returns every user's events newest first.
func (s *Store) ListAllAudit(ctx context.Context, beforeID int64, limit int) ([]messages.AuditEvent, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	return s.audit(ctx, `SELECT `+auditColumns+` FROM auth_activity WHERE id < $1 ORDER BY id DESC LIMIT $2`, beforeOrMax(beforeID), limit)
}

func beforeOrMax(id int64) int64 {
	if id <= 0 {
		return 1<<63 - 1
	}
	return id
}

func (s *Store) audit(ctx context.Context, query string, args ...any) ([]messages.AuditEvent, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []messages.AuditEvent
	for rows.Next() {
		var (
			e  messages.AuditEvent
			at int64
		)
		if err := rows.Scan(&e.ID, &e.UserID, &at, &e.Event, &e.Method, &e.Credential, &e.Outcome, &e.Reason, &e.IPHash, &e.UAFamily); err != nil {
			return nil, fmt.Errorf("list audit: %w", s.mapErr(err))
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit: %w", s.mapErr(err))
	}
	return out, nil
}

// PruneAudit deletes events older than before.
func (s *Store) PruneAudit(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.prune(ctx, "prune audit", `DELETE FROM auth_activity WHERE id IN
		(SELECT id FROM auth_activity WHERE at < $1 LIMIT $2)`, before, limit)
}

func (s *Store) prune(ctx context.Context, what, query string, before time.Time, limit int) (int64, error) {
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	res, err := s.pool.Exec(ctx, query, before.UnixMilli(), limit)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	return res.RowsAffected(), nil
}

// oneRow maps an update that should have touched exactly one row: none is ErrNotFound.
func (s *Store) oneRow(res pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if res.RowsAffected() == 0 {
		return messages.ErrNotFound
	}
	return nil
}
