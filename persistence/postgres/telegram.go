package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/messages"
)

// LinkTelegram links a Telegram account to the user, replacing the user's previous link.
func (s *Store) LinkTelegram(ctx context.Context, userID, telegramID int64, at time.Time) error {
	return s.adminTx(ctx, "link telegram", func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1`, userID).Scan(&one); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO telegram_links (user_id, telegram_id, linked_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET telegram_id = excluded.telegram_id, linked_at = excluded.linked_at`,
			userID, telegramID, at.UnixMilli())
		return err
	})
}

// UnlinkTelegram removes the user's link.
func (s *Store) UnlinkTelegram(ctx context.Context, userID int64) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM telegram_links WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("unlink telegram: %w", s.mapErr(err))
	}
	return nil
}

// TelegramLinkOf returns the Telegram id linked to the user.
func (s *Store) TelegramLinkOf(ctx context.Context, userID int64) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT telegram_id FROM telegram_links WHERE user_id = $1`, userID).Scan(&id); err != nil {
		return 0, s.mapErr(err)
	}
	return id, nil
}

// UserByTelegramID finds the user a Telegram account is linked to.
func (s *Store) UserByTelegramID(ctx context.Context, telegramID int64) (messages.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE id = (SELECT user_id FROM telegram_links WHERE telegram_id = $1)`, telegramID))
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
	tag, err := s.pool.Exec(ctx, `INSERT INTO telegram_logins_seen (hash, expires_at) VALUES ($1, $2)
		ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at
		WHERE telegram_logins_seen.expires_at <= $3`, hash, expires.UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("mark telegram login: %w", s.mapErr(err))
	}
	// Best effort: a prune that fails leaves rows the next call deletes, and must not refuse
	// a sign-in whose hash is already spent.
	_, _ = s.pool.Exec(ctx, `DELETE FROM telegram_logins_seen WHERE expires_at <= $1`, now.UnixMilli())
	return tag.RowsAffected() == 1, nil
}
