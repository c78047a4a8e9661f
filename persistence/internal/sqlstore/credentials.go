package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// API tokens, retired credentials, access-key networks (persistence.CredentialStore) and the
// sign-in activity log (persistence.AuditStore).

const tokenColumns = `id, user_id, name, prefix, digest, scopes, networks, created_at, expires_at, last_used_at`

func scanToken(row Row) (messages.APIToken, error) {
	var (
		t                          messages.APIToken
		created, expires, lastUsed sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Digest, &t.Scopes, &t.Networks, &created, &expires, &lastUsed); err != nil {
		return t, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = FromMS(created), FromMS(expires), FromMS(lastUsed)
	return t, nil
}

const auditColumns = `id, user_id, at, event, method, credential, outcome, reason, ip_hmac, ua_family`

func scanAudit(row Row) (messages.AuditEvent, error) {
	var (
		e  messages.AuditEvent
		at int64
	)
	err := row.Scan(&e.ID, &e.UserID, &at, &e.Event, &e.Method, &e.Credential, &e.Outcome, &e.Reason, &e.IPHash, &e.UAFamily)
	e.At = time.UnixMilli(at).UTC()
	return e, err
}

type credentialSQL struct {
	createAPIToken, countAPITokens, listAPITokens, getAPIToken, apiTokensByPrefix string
	apiTokenUser, updateAPIToken, deleteAPIToken, retire, touchAPIToken           string
	replaceAuthKey, retiredCredential, pruneRetired, keyNetworks, deleteNetworks  string
	setKeyNetworks, insertAudit, listAudit, listAllAudit, pruneAudit              string
}

func newCredentialSQL(r func(string) string) credentialSQL {
	return credentialSQL{
		createAPIToken: r(`INSERT INTO api_tokens (user_id, name, prefix, digest, scopes, networks, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`),
		countAPITokens:    r(`SELECT count(*) FROM api_tokens WHERE user_id = $1`),
		listAPITokens:     r(`SELECT ` + tokenColumns + ` FROM api_tokens WHERE user_id = $1 ORDER BY id LIMIT $2`),
		getAPIToken:       r(`SELECT ` + tokenColumns + ` FROM api_tokens WHERE user_id = $1 AND id = $2`),
		apiTokensByPrefix: r(`SELECT ` + tokenColumns + ` FROM api_tokens WHERE prefix = $1 LIMIT 16`),
		apiTokenUser: r(`SELECT ` + userColumns + ` FROM users
			WHERE id = (SELECT user_id FROM api_tokens WHERE id = $1)`),
		updateAPIToken: r(`UPDATE api_tokens SET name = $1, expires_at = $2, networks = $3 WHERE user_id = $4 AND id = $5`),
		deleteAPIToken: r(`DELETE FROM api_tokens WHERE user_id = $1 AND id = $2 RETURNING digest`),
		retire: r(`INSERT INTO retired_credentials (digest, user_id, kind, retired_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (digest) DO NOTHING`),
		touchAPIToken: r(`UPDATE api_tokens SET last_used_at = $1
			WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`),
		replaceAuthKey:    r(`UPDATE users SET auth_key_hash = $1 WHERE id = $2 AND auth_key_hash = $3`),
		retiredCredential: r(`SELECT kind, user_id, retired_at FROM retired_credentials WHERE digest = $1 AND retired_at >= $2`),
		pruneRetired: r(`DELETE FROM retired_credentials WHERE digest IN
			(SELECT digest FROM retired_credentials WHERE retired_at < $1 LIMIT $2)`),
		keyNetworks:    r(`SELECT networks FROM key_networks WHERE user_id = $1`),
		deleteNetworks: r(`DELETE FROM key_networks WHERE user_id = $1`),
		setKeyNetworks: r(`INSERT INTO key_networks (user_id, networks) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET networks = excluded.networks`),
		insertAudit: r(`INSERT INTO auth_activity (user_id, at, event, method, credential, outcome, reason, ip_hmac, ua_family)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`),
		listAudit:    r(`SELECT ` + auditColumns + ` FROM auth_activity WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`),
		listAllAudit: r(`SELECT ` + auditColumns + ` FROM auth_activity WHERE id < $1 ORDER BY id DESC LIMIT $2`),
		pruneAudit: r(`DELETE FROM auth_activity WHERE id IN
			(SELECT id FROM auth_activity WHERE at < $1 LIMIT $2)`),
	}
}

// CreateAPIToken inserts t and sets t.ID.
func (s *Store) CreateAPIToken(ctx context.Context, t *messages.APIToken) error {
	err := s.cfg.Write.QueryRow(ctx, s.q.createAPIToken,
		t.UserID, t.Name, t.Prefix, Blob(t.Digest), t.Scopes, t.Networks, MS(t.CreatedAt), MS(t.ExpiresAt)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("create api token: %w", s.mapErr(err))
	}
	return nil
}

// CountAPITokens counts the user's tokens.
func (s *Store) CountAPITokens(ctx context.Context, userID int64) (int64, error) {
	var n int64
	if err := s.cfg.Read.QueryRow(ctx, s.q.countAPITokens, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count api tokens: %w", s.mapErr(err))
	}
	return n, nil
}

// ListAPITokens returns the user's tokens by id.
func (s *Store) ListAPITokens(ctx context.Context, userID int64, limit int) ([]messages.APIToken, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, scanToken, s.q.listAPITokens, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", s.mapErr(err))
	}
	return out, nil
}

// GetAPIToken returns one of the user's tokens.
func (s *Store) GetAPIToken(ctx context.Context, userID, id int64) (messages.APIToken, error) {
	t, err := scanToken(s.cfg.Read.QueryRow(ctx, s.q.getAPIToken, userID, id))
	if err != nil {
		return t, fmt.Errorf("get api token: %w", s.mapErr(err))
	}
	return t, nil
}

// APITokensByPrefix returns the tokens with prefix (index api_tokens_prefix).
func (s *Store) APITokensByPrefix(ctx context.Context, prefix string) ([]messages.APIToken, error) {
	out, err := query(ctx, s.cfg.Read, scanToken, s.q.apiTokensByPrefix, prefix)
	if err != nil {
		return nil, fmt.Errorf("api tokens by prefix: %w", s.mapErr(err))
	}
	return out, nil
}

// APITokenUser returns the token's owner.
func (s *Store) APITokenUser(ctx context.Context, tokenID int64) (messages.User, error) {
	u, err := scanUser(s.cfg.Read.QueryRow(ctx, s.q.apiTokenUser, tokenID))
	if err != nil {
		return u, fmt.Errorf("api token user: %w", s.mapErr(err))
	}
	return u, nil
}

// UpdateAPIToken writes t's name, expiry and networks.
func (s *Store) UpdateAPIToken(ctx context.Context, t messages.APIToken) error {
	n, err := s.cfg.Write.Exec(ctx, s.q.updateAPIToken, t.Name, MS(t.ExpiresAt), t.Networks, t.UserID, t.ID)
	if err != nil {
		return fmt.Errorf("update api token: %w", s.mapErr(err))
	}
	if n == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// RevokeAPIToken deletes the token and retires its digest.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64, at time.Time) error {
	err := s.inTx(ctx, func(tx Querier) error {
		var digest []byte
		if err := tx.QueryRow(ctx, s.q.deleteAPIToken, userID, id).Scan(&digest); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.q.retire, digest, userID, messages.RetiredToken, at.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke api token: %w", s.mapErr(err))
	}
	return nil
}

// TouchAPIToken records a use of the token unless a recent one is recorded.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at, notBefore time.Time) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.touchAPIToken, at.UnixMilli(), id, notBefore.UnixMilli()); err != nil {
		return fmt.Errorf("touch api token: %w", s.mapErr(err))
	}
	return nil
}

// RetireKey records an access key's digest as retired.
func (s *Store) RetireKey(ctx context.Context, userID int64, digest []byte, at time.Time) error {
	if len(digest) == 0 {
		return messages.Errorf(messages.EInvalid, "retire key: empty digest")
	}
	if _, err := s.cfg.Write.Exec(ctx, s.q.retire, digest, userID, messages.RetiredKey, at.UnixMilli()); err != nil {
		return fmt.Errorf("retire key: %w", s.mapErr(err))
	}
	return nil
}

// ReplaceAuthKey swaps the user's access key hash and retires the old one.
func (s *Store) ReplaceAuthKey(ctx context.Context, userID int64, oldHash, newHash []byte, at time.Time) error {
	if len(oldHash) == 0 || len(newHash) == 0 {
		return messages.Errorf(messages.EInvalid, "replace auth key: empty hash")
	}
	err := s.inTx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, s.q.replaceAuthKey, newHash, userID, oldHash)
		if err != nil {
			return err
		}
		if n != 1 {
			return messages.Errorf(messages.EConflict, "the access key changed meanwhile")
		}
		_, err = tx.Exec(ctx, s.q.retire, oldHash, userID, messages.RetiredKey, at.UnixMilli())
		return err
	})
	var me *messages.Error
	if errors.As(err, &me) {
		return err
	}
	if err != nil {
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
	err := s.cfg.Read.QueryRow(ctx, s.q.retiredCredential, digest, since.UnixMilli()).Scan(&rc.Kind, &rc.UserID, &at)
	if err != nil {
		return rc, fmt.Errorf("retired credential: %w", s.mapErr(err))
	}
	rc.RetiredAt = time.UnixMilli(at).UTC()
	return rc, nil
}

// PruneRetired deletes credentials retired before before.
func (s *Store) PruneRetired(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.prune(ctx, "prune retired credentials", s.q.pruneRetired, before, limit)
}

// KeyNetworks returns the networks of the user's access key.
func (s *Store) KeyNetworks(ctx context.Context, userID int64) (string, error) {
	var nets string
	switch err := s.mapErr(s.cfg.Read.QueryRow(ctx, s.q.keyNetworks, userID).Scan(&nets)); err {
	case nil, messages.ErrNotFound:
		return nets, nil
	default:
		return "", fmt.Errorf("key networks: %w", err)
	}
}

// SetKeyNetworks replaces the networks of the user's access key.
func (s *Store) SetKeyNetworks(ctx context.Context, userID int64, networks string) error {
	var err error
	if networks == "" {
		_, err = s.cfg.Write.Exec(ctx, s.q.deleteNetworks, userID)
	} else {
		_, err = s.cfg.Write.Exec(ctx, s.q.setKeyNetworks, userID, networks)
	}
	if err != nil {
		return fmt.Errorf("set key networks: %w", s.mapErr(err))
	}
	return nil
}

// InsertAudit appends e.
func (s *Store) InsertAudit(ctx context.Context, e *messages.AuditEvent) error {
	err := s.cfg.Write.QueryRow(ctx, s.q.insertAudit,
		e.UserID, e.At.UnixMilli(), e.Event, e.Method, e.Credential, e.Outcome, e.Reason, Blob(e.IPHash), e.UAFamily).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("insert audit: %w", s.mapErr(err))
	}
	return nil
}

// ListAudit returns the user's events newest first.
func (s *Store) ListAudit(ctx context.Context, userID, beforeID int64, limit int) ([]messages.AuditEvent, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, scanAudit, s.q.listAudit, userID, beforeOrMax(beforeID), limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", s.mapErr(err))
	}
	return out, nil
}

// ListAllAudit returns every user's events newest first.
func (s *Store) ListAllAudit(ctx context.Context, beforeID int64, limit int) ([]messages.AuditEvent, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, scanAudit, s.q.listAllAudit, beforeOrMax(beforeID), limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", s.mapErr(err))
	}
	return out, nil
}

func beforeOrMax(id int64) int64 {
	if id <= 0 {
		return 1<<63 - 1
	}
	return id
}

// PruneAudit deletes events older than before.
func (s *Store) PruneAudit(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.prune(ctx, "prune audit", s.q.pruneAudit, before, limit)
}

// prune runs a DELETE of at most limit rows older than before.
func (s *Store) prune(ctx context.Context, what, query string, before time.Time, limit int) (int64, error) {
	if err := CheckLimit(limit); err != nil {
		return 0, err
	}
	n, err := s.cfg.Write.Exec(ctx, query, before.UnixMilli(), limit)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	return n, nil
}
