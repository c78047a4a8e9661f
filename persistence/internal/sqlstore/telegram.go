package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Telegram links and the sign-in replay guard (persistence.TelegramStore).

type telegramSQL struct {
	userExists, linkTelegram, unlinkTelegram, telegramLinkOf, userByTelegramID string
	markTelegramLogin, pruneTelegramLogins                                     string
}

func newTelegramSQL(r func(string) string) telegramSQL {
	return telegramSQL{
		userExists: r(`SELECT 1 FROM users WHERE id = $1`),
		linkTelegram: r(`INSERT INTO telegram_links (user_id, telegram_id, linked_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET telegram_id = excluded.telegram_id, linked_at = excluded.linked_at`),
		unlinkTelegram: r(`DELETE FROM telegram_links WHERE user_id = $1`),
		telegramLinkOf: r(`SELECT telegram_id FROM telegram_links WHERE user_id = $1`),
		userByTelegramID: r(`SELECT ` + userColumns + ` FROM users
			WHERE id = (SELECT user_id FROM telegram_links WHERE telegram_id = $1)`),
		// One statement, so of two nodes racing with one hash the primary key lets exactly one
		// insert win. A row that has expired is taken over as new, so the result does not
		// depend on pruning, which follows on its own.
		markTelegramLogin: r(`INSERT INTO telegram_logins_seen (hash, expires_at) VALUES ($1, $2)
			ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at
			WHERE telegram_logins_seen.expires_at <= $3`),
		pruneTelegramLogins: r(`DELETE FROM telegram_logins_seen WHERE expires_at <= $1`),
	}
}

// LinkTelegram links a Telegram account to the user, replacing the user's previous link.
func (s *Store) LinkTelegram(ctx context.Context, userID, telegramID int64, at time.Time) error {
	return s.tx(ctx, "link telegram", func(tx Querier) error {
		var one int
		if err := tx.QueryRow(ctx, s.q.userExists, userID).Scan(&one); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.q.linkTelegram, userID, telegramID, at.UnixMilli())
		return err
	})
}

// UnlinkTelegram removes the user's link.
func (s *Store) UnlinkTelegram(ctx context.Context, userID int64) error {
	if _, err := s.cfg.Write.Exec(ctx, s.q.unlinkTelegram, userID); err != nil {
		return fmt.Errorf("unlink telegram: %w", s.mapErr(err))
	}
	return nil
}

// TelegramLinkOf returns the Telegram id linked to the user.
func (s *Store) TelegramLinkOf(ctx context.Context, userID int64) (int64, error) {
	var id int64
	if err := s.cfg.Read.QueryRow(ctx, s.q.telegramLinkOf, userID).Scan(&id); err != nil {
		return 0, s.mapErr(err)
	}
	return id, nil
}

// UserByTelegramID finds the user a Telegram account is linked to.
func (s *Store) UserByTelegramID(ctx context.Context, telegramID int64) (messages.User, error) {
	u, err := scanUser(s.cfg.Read.QueryRow(ctx, s.q.userByTelegramID, telegramID))
	if err != nil {
		return messages.User{}, s.mapErr(err)
	}
	return u, nil
}

// MarkTelegramLoginSeen records a payload hash and reports whether it was new (or had
// expired).
func (s *Store) MarkTelegramLoginSeen(ctx context.Context, hash []byte, now, expires time.Time) (bool, error) {
	if len(hash) == 0 {
		return false, messages.Errorf(messages.EInvalid, "telegram login: empty hash")
	}
	n, err := s.cfg.Write.Exec(ctx, s.q.markTelegramLogin, hash, expires.UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("mark telegram login: %w", s.mapErr(err))
	}
	// Best effort: a prune that fails leaves rows the next call deletes, and must not refuse
	// a sign-in whose hash is already spent.
	_, _ = s.cfg.Write.Exec(ctx, s.q.pruneTelegramLogins, now.UnixMilli())
	return n == 1, nil
}
