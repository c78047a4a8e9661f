package sqlite

import (
	"context"
	"fmt"

	"github.com/ttr-rip/ttr/messages"
)

// CreateUser inserts u and sets u.ID. A taken slug is EConflict.
func (s *Store) CreateUser(ctx context.Context, u *messages.User) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO users (slug, auth_key_hash, ping_key_enc, ping_key_index, slug_pings, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Slug, blob(u.AuthKeyHash), blob(u.PingKeyEnc), blob(u.PingKeyIndex), u.SlugPings, ms(u.CreatedAt)).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("create user: %w", s.mapErr(err))
	}
	return nil
}

// UserByAuthKeyHash finds the user whose access key hashes to hash.
func (s *Store) UserByAuthKeyHash(ctx context.Context, hash []byte) (messages.User, error) {
	return s.userBy(ctx, "auth_key_hash", hash)
}

// UserBySlug finds a user by slug.
func (s *Store) UserBySlug(ctx context.Context, slug string) (messages.User, error) {
	return s.userBy(ctx, "slug", slug)
}

// UserByPingKeyIndex finds the user whose ping key has the lookup index.
func (s *Store) UserByPingKeyIndex(ctx context.Context, index []byte) (messages.User, error) {
	return s.userBy(ctx, "ping_key_index", index)
}

// userBy reads one user by a unique column; col is one of the constants above, never input.
func (s *Store) userBy(ctx context.Context, col string, v any) (messages.User, error) {
	if b, ok := v.([]byte); ok && len(b) == 0 {
		return messages.User{}, messages.ErrNotFound
	}
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+col+` = ?`, v))
	if err != nil {
		return messages.User{}, s.mapErr(err)
	}
	return u, nil
}
