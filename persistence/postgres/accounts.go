package postgres

import (
	"context"
	"errors"
	"fmt"
	"github.com/ttr-rip/ttr/persistence/internal/sqlstore"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// errSlugHeld answers a user slug that is held for someone else (24 h after its
// release).
var errSlugHeld = &messages.Error{Code: messages.EConflict, Message: "user slug already in use"}

// UserByID reads a user with their display settings.
func (s *Store) UserByID(ctx context.Context, userID int64) (messages.User, messages.UserPrefs, error) {
	var p messages.UserPrefs
	u, err := sqlstore.ScanUser(withExtra{row: s.pool.QueryRow(ctx, `SELECT `+sqlstore.UserColumns+`, theme, theme_mode, tz FROM users WHERE id = $1`, userID), extra: []any{&p.Theme, &p.ThemeMode, &p.TZ}})
	if err != nil {
		return messages.User{}, messages.UserPrefs{}, s.mapErr(err)
	}
	return u, p, nil
}

// withExtra scans the user columns (scanUser) and then columns selected after them.
type withExtra struct {
	row   pgx.Row
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// UpdateUserSettings applies the non-nil fields of set.
func (s *Store) UpdateUserSettings(ctx context.Context, userID int64, set messages.UserSettings) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET
		slug_pings = COALESCE($1, slug_pings), theme = COALESCE($2, theme),
		theme_mode = COALESCE($3, theme_mode), tz = COALESCE($4, tz) WHERE id = $5`,
		set.SlugPings, set.Theme, set.ThemeMode, set.TZ, userID)
	return s.affectedOne(tag, err, "update user settings")
}

// SetPingKey replaces the user's sealed ping key and its lookup index.
func (s *Store) SetPingKey(ctx context.Context, userID int64, enc, index []byte) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET ping_key_enc = $1, ping_key_index = $2 WHERE id = $3`, enc, index, userID)
	return s.affectedOne(tag, err, "set ping key")
}

// SlugHeld reports whether slug is held at now for a user other than userID.
func (s *Store) SlugHeld(ctx context.Context, slug string, userID int64, now time.Time) (bool, error) {
	var held bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM slug_holds WHERE slug = $1 AND until > $2 AND (user_id <> $3 OR user_id = 0))`,
		slug, now.UnixMilli(), userID).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("slug held: %w", s.mapErr(err))
	}
	return held, nil
}

// ChangeUserSlug renames the user's slug, holding the old one for them. The hold row of the
// new slug is locked first (FOR UPDATE), so a concurrent change cannot slip past it.
func (s *Store) ChangeUserSlug(ctx context.Context, userID int64, newSlug string, now, holdUntil time.Time) (string, error) {
	var old string
	err := s.inTx(ctx, "change user slug", func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT slug FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&old); err != nil {
			return err
		}
		if old == newSlug {
			return nil
		}
		var holder int64
		var until int64
		err := tx.QueryRow(ctx, `SELECT user_id, until FROM slug_holds WHERE slug = $1 FOR UPDATE`, newSlug).Scan(&holder, &until)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case until > now.UnixMilli() && holder != userID:
			return errSlugHeld
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET slug = $1 WHERE id = $2`, newSlug, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM slug_holds WHERE slug = $1`, newSlug); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO slug_holds (slug, user_id, until) VALUES ($1, $2, $3)
			ON CONFLICT (slug) DO UPDATE SET user_id = excluded.user_id, until = excluded.until`, old, userID, holdUntil.UnixMilli())
		return err
	})
	return old, err
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, ss messages.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		ss.TokenHash, ss.UserID, ss.CreatedAt.UnixMilli(), ss.SeenAt.UnixMilli(), ss.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("create session: %w", s.mapErr(err))
	}
	return nil
}

// SessionByHash returns the session whose token hashes to hash.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (messages.Session, error) {
	if len(hash) == 0 {
		return messages.Session{}, messages.ErrNotFound
	}
	ss := messages.Session{TokenHash: hash}
	var created, seen, expires int64
	err := s.pool.QueryRow(ctx, `SELECT user_id, created_at, seen_at, expires_at FROM sessions WHERE token_hash = $1`, hash).
		Scan(&ss.UserID, &created, &seen, &expires)
	if err != nil {
		return messages.Session{}, s.mapErr(err)
	}
	ss.CreatedAt, ss.SeenAt, ss.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(seen).UTC(), time.UnixMilli(expires).UTC()
	return ss, nil
}

// TouchSession records a use of the session.
func (s *Store) TouchSession(ctx context.Context, hash []byte, seenAt time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET seen_at = $1 WHERE token_hash = $2 AND seen_at < $1`, seenAt.UnixMilli(), hash); err != nil {
		return fmt.Errorf("touch session: %w", s.mapErr(err))
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hash); err != nil {
		return fmt.Errorf("delete session: %w", s.mapErr(err))
	}
	return nil
}

// DeleteUserSessions ends the user's sessions but keep.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep []byte) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2`, userID, sqlstore.Blob(keep))
	if err != nil {
		return 0, fmt.Errorf("delete user sessions: %w", s.mapErr(err))
	}
	return tag.RowsAffected(), nil
}

// PruneAccounts deletes expired sessions and slug holds.
func (s *Store) PruneAccounts(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	var total int64
	err := s.inTx(ctx, "prune accounts", func(tx pgx.Tx) error {
		for _, st := range []struct {
			q    string
			args []any
		}{
			{`DELETE FROM sessions WHERE expires_at <= $1 OR seen_at < $2`, []any{now.UnixMilli(), idleBefore.UnixMilli()}},
			{`DELETE FROM slug_holds WHERE until <= $1`, []any{now.UnixMilli()}},
		} {
			tag, err := tx.Exec(ctx, st.q, st.args...)
			if err != nil {
				return err
			}
			total += tag.RowsAffected()
		}
		return nil
	})
	return total, err
}

// inTx runs f in a transaction, mapping errors to the Store's contract.
func (s *Store) inTx(ctx context.Context, what string, f func(tx pgx.Tx) error) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, persistence.Unavailable(errors.New("postgres: store closed")))
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := f(tx); err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	return nil
}

// affectedOne turns an UPDATE of one user's row into the contract: ErrNotFound when no row
// matched.
func (s *Store) affectedOne(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return messages.ErrNotFound
	}
	return nil
}
