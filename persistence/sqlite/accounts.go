package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/ttr-rip/ttr/persistence/internal/sqlstore"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// errSlugHeld answers a user slug that is held for someone else (24 h after its
// release).
var errSlugHeld = &messages.Error{Code: messages.EConflict, Message: "user slug already in use"}

// UserByID reads a user with their display settings.
func (s *Store) UserByID(ctx context.Context, userID int64) (messages.User, messages.UserPrefs, error) {
	var p messages.UserPrefs
	u, err := sqlstore.ScanUser(withExtra{row: s.r.QueryRowContext(ctx, `SELECT `+sqlstore.UserColumns+`, theme, theme_mode, tz FROM users WHERE id = ?`, userID), extra: []any{&p.Theme, &p.ThemeMode, &p.TZ}})
	if err != nil {
		return messages.User{}, messages.UserPrefs{}, s.mapErr(err)
	}
	return u, p, nil
}

// withExtra scans the user columns (scanUser) and then columns selected after them.
type withExtra struct {
	row   sqlstore.Row
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// UpdateUserSettings applies the non-nil fields of set.
func (s *Store) UpdateUserSettings(ctx context.Context, userID int64, set messages.UserSettings) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET
		slug_pings = COALESCE(?, slug_pings), theme = COALESCE(?, theme),
		theme_mode = COALESCE(?, theme_mode), tz = COALESCE(?, tz) WHERE id = ?`,
		optBool(set.SlugPings), optStr(set.Theme), optStr(set.ThemeMode), optStr(set.TZ), userID)
	return s.affectedOne(res, err, "update user settings")
}

// SetPingKey replaces the user's sealed ping key and its lookup index.
func (s *Store) SetPingKey(ctx context.Context, userID int64, enc, index []byte) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET ping_key_enc = ?, ping_key_index = ? WHERE id = ?`, enc, index, userID)
	return s.affectedOne(res, err, "set ping key")
}

// SlugHeld reports whether slug is held at now for a user other than userID.
func (s *Store) SlugHeld(ctx context.Context, slug string, userID int64, now time.Time) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM slug_holds WHERE slug = ? AND until > ? AND (user_id <> ? OR user_id = 0)`,
		slug, now.UnixMilli(), userID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("slug held: %w", s.mapErr(err))
	}
	return n > 0, nil
}

// ChangeUserSlug renames the user's slug, holding the old one for them.
func (s *Store) ChangeUserSlug(ctx context.Context, userID int64, newSlug string, now, holdUntil time.Time) (string, error) {
	var old string
	err := s.inTx(ctx, "change user slug", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT slug FROM users WHERE id = ?`, userID).Scan(&old); err != nil {
			return err
		}
		if old == newSlug {
			return nil
		}
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM slug_holds WHERE slug = ? AND until > ? AND user_id <> ?`,
			newSlug, now.UnixMilli(), userID).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return errSlugHeld
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET slug = ? WHERE id = ?`, newSlug, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM slug_holds WHERE slug = ?`, newSlug); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO slug_holds (slug, user_id, until) VALUES (?, ?, ?)
			ON CONFLICT (slug) DO UPDATE SET user_id = excluded.user_id, until = excluded.until`, old, userID, holdUntil.UnixMilli())
		return err
	})
	return old, err
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, ss messages.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, seen_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
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
	err := s.r.QueryRowContext(ctx, `SELECT user_id, created_at, seen_at, expires_at FROM sessions WHERE token_hash = ?`, hash).
		Scan(&ss.UserID, &created, &seen, &expires)
	if err != nil {
		return messages.Session{}, s.mapErr(err)
	}
	ss.CreatedAt, ss.SeenAt, ss.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(seen).UTC(), time.UnixMilli(expires).UTC()
	return ss, nil
}

// TouchSession records a use of the session.
func (s *Store) TouchSession(ctx context.Context, hash []byte, seenAt time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE sessions SET seen_at = ? WHERE token_hash = ? AND seen_at < ?`,
		seenAt.UnixMilli(), hash, seenAt.UnixMilli()); err != nil {
		return fmt.Errorf("touch session: %w", s.mapErr(err))
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash); err != nil {
		return fmt.Errorf("delete session: %w", s.mapErr(err))
	}
	return nil
}

// DeleteUserSessions ends the user's sessions but keep.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep []byte) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?`, userID, sqlstore.Blob(keep))
	if err != nil {
		return 0, fmt.Errorf("delete user sessions: %w", s.mapErr(err))
	}
	return res.RowsAffected()
}

// PruneAccounts deletes expired sessions and slug holds.
func (s *Store) PruneAccounts(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	var total int64
	err := s.inTx(ctx, "prune accounts", func(tx *sql.Tx) error {
		for _, st := range []struct {
			q    string
			args []any
		}{
			{`DELETE FROM sessions WHERE expires_at <= ? OR seen_at < ?`, []any{now.UnixMilli(), idleBefore.UnixMilli()}},
			{`DELETE FROM slug_holds WHERE until <= ?`, []any{now.UnixMilli()}},
		} {
			res, err := tx.ExecContext(ctx, st.q, st.args...)
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

// inTx runs f in a write transaction, mapping errors to the Store's contract.
func (s *Store) inTx(ctx context.Context, what string, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	return nil
}

// affectedOne turns an UPDATE of one user's row into the contract: ErrNotFound when no row
// matched.
func (s *Store) affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	} else if n == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// optBool and optStr pass an optional value to COALESCE (NULL keeps the column).
func optBool(p *bool) any {
	if p == nil {
		return nil
	}
	return *p
}

func optStr(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}
