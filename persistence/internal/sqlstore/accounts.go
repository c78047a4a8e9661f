package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// errSlugHeld answers a user slug that is held for someone else (24 h after its release).
var errSlugHeld = &messages.Error{Code: messages.EConflict, Message: "user slug already in use"}

type accountSQL struct {
	userByID, updateUserSettings, setPingKey, slugHeld                            string
	lockUserSlug, lockSlugHold, renameUser, dropSlugHold, holdOldSlug             string
	createSession, sessionByHash, touchSession, deleteSession, deleteUserSessions string
	pruneSessions, pruneSlugHolds                                                 string
}

func newAccountSQL(d *Dialect) accountSQL {
	r := d.Rebind
	return accountSQL{
		userByID: r(`SELECT ` + userColumns + `, theme, theme_mode, tz FROM users WHERE id = $1`),
		// A nil field is NULL: COALESCE keeps the column.
		updateUserSettings: r(`UPDATE users SET
			slug_pings = COALESCE($1, slug_pings), theme = COALESCE($2, theme),
			theme_mode = COALESCE($3, theme_mode), tz = COALESCE($4, tz) WHERE id = $5`),
		setPingKey: r(`UPDATE users SET ping_key_enc = $1, ping_key_index = $2 WHERE id = $3`),
		slugHeld:   r(`SELECT count(*) FROM slug_holds WHERE slug = $1 AND until > $2 AND (user_id <> $3 OR user_id = 0)`),
		// Both rows are locked first (where the dialect locks rows), so a concurrent change
		// cannot slip past the hold.
		lockUserSlug: r(`SELECT slug FROM users WHERE id = $1` + d.LockRows),
		lockSlugHold: r(`SELECT user_id, until FROM slug_holds WHERE slug = $1` + d.LockRows),
		renameUser:   r(`UPDATE users SET slug = $1 WHERE id = $2`),
		dropSlugHold: r(`DELETE FROM slug_holds WHERE slug = $1`),
		holdOldSlug: r(`INSERT INTO slug_holds (slug, user_id, until) VALUES ($1, $2, $3)
			ON CONFLICT (slug) DO UPDATE SET user_id = excluded.user_id, until = excluded.until`),
		createSession:      r(`INSERT INTO sessions (token_hash, user_id, created_at, seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)`),
		sessionByHash:      r(`SELECT user_id, created_at, seen_at, expires_at FROM sessions WHERE token_hash = $1`),
		touchSession:       r(`UPDATE sessions SET seen_at = $1 WHERE token_hash = $2 AND seen_at < $1`),
		deleteSession:      r(`DELETE FROM sessions WHERE token_hash = $1`),
		deleteUserSessions: r(`DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2`),
		pruneSessions:      r(`DELETE FROM sessions WHERE expires_at <= $1 OR seen_at < $2`),
		pruneSlugHolds:     r(`DELETE FROM slug_holds WHERE until <= $1`),
	}
}

// UserByID reads a user with their display settings.
func (s *Store) UserByID(ctx context.Context, userID int64) (messages.User, messages.UserPrefs, error) {
	var p messages.UserPrefs
	u, err := scanUser(withExtra{row: s.cfg.Read.QueryRow(ctx, s.q.userByID, userID), extra: []any{&p.Theme, &p.ThemeMode, &p.TZ}})
	if err != nil {
		return messages.User{}, messages.UserPrefs{}, s.mapErr(err)
	}
	return u, p, nil
}

// withExtra scans the user columns (scanUser) and then columns selected after them.
type withExtra struct {
	row   Row
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// UpdateUserSettings applies the non-nil fields of set.
func (s *Store) UpdateUserSettings(ctx context.Context, userID int64, set messages.UserSettings) error {
	n, err := s.cfg.Write.Exec(ctx, s.q.updateUserSettings, opt(set.SlugPings), opt(set.Theme), opt(set.ThemeMode), opt(set.TZ), userID)
	return s.affectedOne(n, err, "update user settings")
}

// SetPingKey replaces the user's sealed ping key and its lookup index.
func (s *Store) SetPingKey(ctx context.Context, userID int64, enc, index []byte) error {
	n, err := s.cfg.Write.Exec(ctx, s.q.setPingKey, enc, index, userID)
	return s.affectedOne(n, err, "set ping key")
}

// SlugHeld reports whether slug is held at now for a user other than userID.
func (s *Store) SlugHeld(ctx context.Context, slug string, userID int64, now time.Time) (bool, error) {
	var n int64
	if err := s.cfg.Read.QueryRow(ctx, s.q.slugHeld, slug, now.UnixMilli(), userID).Scan(&n); err != nil {
		return false, fmt.Errorf("slug held: %w", s.mapErr(err))
	}
	return n > 0, nil
}

// ChangeUserSlug renames the user's slug, holding the old one for them.
func (s *Store) ChangeUserSlug(ctx context.Context, userID int64, newSlug string, now, holdUntil time.Time) (string, error) {
	var old string
	err := s.tx(ctx, "change user slug", func(tx Querier) error {
		if err := tx.QueryRow(ctx, s.q.lockUserSlug, userID).Scan(&old); err != nil {
			return err
		}
		if old == newSlug {
			return nil
		}
		var holder, until int64
		err := tx.QueryRow(ctx, s.q.lockSlugHold, newSlug).Scan(&holder, &until)
		switch {
		case errors.Is(err, sql.ErrNoRows): // pgx.ErrNoRows wraps it
		case err != nil:
			return err
		case until > now.UnixMilli() && holder != userID:
			return errSlugHeld
		}
		if _, err := tx.Exec(ctx, s.q.renameUser, newSlug, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.q.dropSlugHold, newSlug); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, s.q.holdOldSlug, old, userID, holdUntil.UnixMilli())
		return err
	})
	return old, err
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, ss messages.Session) error {
	_, err := s.cfg.Write.Exec(ctx, s.q.createSession, ss.TokenHash, ss.UserID, ss.CreatedAt.UnixMilli(), ss.SeenAt.UnixMilli(), ss.ExpiresAt.UnixMilli())
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
	if err := s.cfg.Read.QueryRow(ctx, s.q.sessionByHash, hash).Scan(&ss.UserID, &created, &seen, &expires); err != nil {
		return messages.Session{}, s.mapErr(err)
	}
	ss.CreatedAt, ss.SeenAt, ss.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(seen).UTC(), time.UnixMilli(expires).UTC()
	return ss, nil
}

// TouchSession records a use of the session.
func (s *Store) TouchSession(ctx context.Context, hash []byte, seenAt time.Time) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.touchSession, seenAt.UnixMilli(), hash); err != nil {
		return fmt.Errorf("touch session: %w", s.mapErr(err))
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.deleteSession, hash); err != nil {
		return fmt.Errorf("delete session: %w", s.mapErr(err))
	}
	return nil
}

// DeleteUserSessions ends the user's sessions but keep.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep []byte) (int64, error) {
	n, err := s.cfg.Write.Exec(ctx, s.q.deleteUserSessions, userID, Blob(keep))
	if err != nil {
		return 0, fmt.Errorf("delete user sessions: %w", s.mapErr(err))
	}
	return n, nil
}

// PruneAccounts deletes expired sessions and slug holds.
func (s *Store) PruneAccounts(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	var total int64
	err := s.tx(ctx, "prune accounts", func(tx Querier) error {
		total = 0
		for _, st := range []struct {
			q    string
			args []any
		}{
			{s.q.pruneSessions, []any{now.UnixMilli(), idleBefore.UnixMilli()}},
			{s.q.pruneSlugHolds, []any{now.UnixMilli()}},
		} {
			n, err := tx.Exec(ctx, st.q, st.args...)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, err
}

// affectedOne turns an UPDATE of one user's row into the contract: ErrNotFound when no row
// matched.
func (s *Store) affectedOne(n int64, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if n == 0 {
		return messages.ErrNotFound
	}
	return nil
}

// opt passes an optional value to COALESCE: nil is NULL, which keeps the column.
func opt[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
