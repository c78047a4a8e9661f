package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// LinkTelegram links a Telegram account to the user, replacing the user's previous link.
func (s *Store) LinkTelegram(ctx context.Context, userID, telegramID int64, at time.Time) error {
	return s.adminTx(ctx, "link telegram", func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, userID).Scan(&one); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO telegram_links (user_id, telegram_id, linked_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET telegram_id = excluded.telegram_id, linked_at = excluded.linked_at`,
			userID, telegramID, at.UnixMilli())
		return err
	})
}

// UnlinkTelegram removes the user's link.
func (s *Store) UnlinkTelegram(ctx context.Context, userID int64) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM telegram_links WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("unlink telegram: %w", s.mapErr(err))
	}
	return nil
}

// TelegramLinkOf returns the Telegram id linked to the user.
func (s *Store) TelegramLinkOf(ctx context.Context, userID int64) (int64, error) {
	var id int64
	if err := s.r.QueryRowContext(ctx, `SELECT telegram_id FROM telegram_links WHERE user_id = ?`, userID).Scan(&id); err != nil {
		return 0, s.mapErr(err)
	}
	return id, nil
}

// UserByTelegramID finds the user a Telegram account is linked to.
func (s *Store) UserByTelegramID(ctx context.Context, telegramID int64) (messages.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE id = (SELECT user_id FROM telegram_links WHERE telegram_id = ?)`, telegramID))
	if err != nil {
		return messages.User{}, s.mapErr(err)
	}
	return u, nil
}

// MarkTelegramLoginSeen records a payload hash: one statement, so of two nodes racing with
// one hash the primary key lets exactly one insert win. A row that has expired is taken over
// as new, so the result does not depend on pruning, which follows on its own.
func (s *Store) MarkTelegramLoginSeen(ctx context.Context, hash []byte, now, expires time.Time) (bool, error) {
	if len(hash) == 0 {
		return false, messages.Errorf(messages.EInvalid, "telegram login: empty hash")
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO telegram_logins_seen (hash, expires_at) VALUES (?, ?)
		ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at
		WHERE telegram_logins_seen.expires_at <= ?`, hash, expires.UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("mark telegram login: %w", s.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark telegram login: %w", s.mapErr(err))
	}
	// Best effort: a prune that fails leaves rows the next call deletes, and must not refuse
	// a sign-in whose hash is already spent.
	_, _ = s.w.ExecContext(ctx, `DELETE FROM telegram_logins_seen WHERE expires_at <= ?`, now.UnixMilli())
	return n == 1, nil
}
