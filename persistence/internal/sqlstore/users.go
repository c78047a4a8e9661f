package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ttr-rip/ttr/messages"
)

const userColumns = `id, slug, auth_key_hash, ping_key_enc, ping_key_index, slug_pings, created_at, disabled_at, last_seen_at`

func scanUser(row Row) (messages.User, error) {
	var (
		u                       messages.User
		created, disabled, seen sql.NullInt64
	)
	if err := row.Scan(&u.ID, &u.Slug, &u.AuthKeyHash, &u.PingKeyEnc, &u.PingKeyIndex, &u.SlugPings, &created, &disabled, &seen); err != nil {
		return messages.User{}, err
	}
	u.CreatedAt, u.DisabledAt, u.LastSeenAt = FromMS(created), FromMS(disabled), FromMS(seen)
	return u, nil
}

type userSQL struct {
	insertUser, userByAuthKeyHash, userBySlug, userByPingKeyIndex string
}

func newUserSQL(r func(string) string) userSQL {
	by := func(col string) string { return r(`SELECT ` + userColumns + ` FROM users WHERE ` + col + ` = $1`) }
	return userSQL{
		insertUser: r(`INSERT INTO users (slug, auth_key_hash, ping_key_enc, ping_key_index, slug_pings, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`),
		userByAuthKeyHash:  by("auth_key_hash"),
		userBySlug:         by("slug"),
		userByPingKeyIndex: by("ping_key_index"),
	}
}

// CreateUser inserts u and sets u.ID. A taken slug is EConflict.
func (s *Store) CreateUser(ctx context.Context, u *messages.User) error {
	err := s.cfg.Write.QueryRow(ctx, s.q.insertUser, u.Slug, Blob(u.AuthKeyHash), Blob(u.PingKeyEnc),
		Blob(u.PingKeyIndex), u.SlugPings, MS(u.CreatedAt)).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("create user: %w", s.mapErr(err))
	}
	return nil
}

// UserByAuthKeyHash finds the user whose access key hashes to hash.
func (s *Store) UserByAuthKeyHash(ctx context.Context, hash []byte) (messages.User, error) {
	return s.userBy(ctx, s.q.userByAuthKeyHash, hash)
}

// UserBySlug finds a user by slug.
func (s *Store) UserBySlug(ctx context.Context, slug string) (messages.User, error) {
	return s.userBy(ctx, s.q.userBySlug, slug)
}

// UserByPingKeyIndex finds the user whose ping key has the lookup index.
func (s *Store) UserByPingKeyIndex(ctx context.Context, index []byte) (messages.User, error) {
	return s.userBy(ctx, s.q.userByPingKeyIndex, index)
}

// userBy reads one user by a unique column.
func (s *Store) userBy(ctx context.Context, query string, v any) (messages.User, error) {
	if b, ok := v.([]byte); ok && len(b) == 0 {
		return messages.User{}, messages.ErrNotFound
	}
	u, err := scanUser(s.cfg.Read.QueryRow(ctx, query, v))
	if err != nil {
		return messages.User{}, s.mapErr(err)
	}
	return u, nil
}

// UserColumns are the users columns ScanUser reads, in its order.
const UserColumns = userColumns

// ScanUser reads a row of UserColumns.
func ScanUser(row Row) (messages.User, error) { return scanUser(row) }
