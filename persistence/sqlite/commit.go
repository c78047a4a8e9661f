package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/internal/sqlstore"
)

// This file holds the writes SQLite runs its own way: the group commit on the writer, with
// its statements prepared once, and the outcome of a delivery (two statements where
// PostgreSQL has one). Like every system query, they name no user.

// commitStmts are the statements of Commit (indexed as sqlstore.CommitSQL), prepared once
// on the writer connection.
type commitStmts [sqlstore.NCommitSQL]*sql.Stmt

func (c *commitStmts) prepare(ctx context.Context, db *sql.DB) error {
	for i, q := range dialect.CommitSQL() {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		c[i] = st
	}
	return nil
}

func (c *commitStmts) close() {
	for _, st := range c {
		if st != nil {
			st.Close()
		}
	}
}

// batchTx is one Commit transaction; it binds the prepared statements to it on first use.
type batchTx struct {
	ctx   context.Context
	tx    *sql.Tx
	base  *commitStmts
	bound commitStmts
}

func (b *batchTx) exec(st int, args ...any) (sql.Result, error) {
	if b.bound[st] == nil {
		b.bound[st] = b.tx.StmtContext(b.ctx, b.base[st])
	}
	return b.bound[st].ExecContext(b.ctx, args...)
}

// Commit applies the writes in one transaction on the writer connection. A write whose
// version condition fails is fenced and changes nothing. A write that fails on its own (a
// slug taken by a neighbour, a duplicate ping number) rolls the transaction back; it is then
// answered alone and the batch is run again without it, so its neighbours still commit — the
// result is the same as applying the writes one after another.
func (s *Store) Commit(ctx context.Context, writes []persistence.Write) ([]persistence.Outcome, error) {
	// The driver watches a cancellable context with a goroutine per statement (to interrupt
	// it) and database/sql with one per transaction: thousands a second here. A local commit
	// is not interrupted anyway while it waits on the disk, so it runs without the deadline.
	ctx = context.WithoutCancel(ctx)
	out := make([]persistence.Outcome, len(writes))
	skip := make([]bool, len(writes))
	for {
		bad, err := s.commitOnce(ctx, writes, skip, out)
		if err == nil {
			return out, nil
		}
		if bad < 0 {
			return nil, fmt.Errorf("commit %d writes: %w", len(writes), s.mapErr(err))
		}
		out[bad] = dialect.WriteOutcome(err)
		skip[bad] = true
	}
}

// commitOnce runs the writes not skipped in one transaction. On a write's own failure it
// returns that write's index; on any other failure -1.
func (s *Store) commitOnce(ctx context.Context, writes []persistence.Write, skip []bool, out []persistence.Outcome) (int, error) {
	if s.closed.Load() {
		return -1, persistence.Unavailable(errors.New("sqlite: store closed"))
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return -1, err
	}
	defer tx.Rollback()
	b := &batchTx{ctx: ctx, tx: tx, base: &s.stmts}
	for i := range writes {
		if skip[i] {
			continue
		}
		w := &writes[i]
		kind, err := b.apply(w)
		if err != nil {
			if isConstraint(err) {
				return i, err
			}
			return -1, fmt.Errorf("check %d: %w", w.CheckID, err)
		}
		out[i] = persistence.Outcome{Kind: kind}
	}
	if err := tx.Commit(); err != nil {
		return -1, err
	}
	return 0, nil
}

func (b *batchTx) apply(w *persistence.Write) (persistence.OutcomeKind, error) {
	if w.Delete {
		res, err := b.exec(sqlstore.DelCheck, w.CheckID, w.ExpectVersion)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return persistence.OutcomeFenced, nil
		}
		for _, st := range []int{sqlstore.DelPings, sqlstore.DelFlips, sqlstore.DelChannels, sqlstore.DelMarks, sqlstore.DelPageChecks} {
			if _, err := b.exec(st, w.CheckID); err != nil {
				return 0, err
			}
		}
		// Alerts already due are still delivered: outbox rows outlive the check.
		if err := b.insertOutbox(w); err != nil {
			return 0, err
		}
		return persistence.OutcomeCommitted, nil
	}

	// The arguments of each statement in turn, on the stack: database/sql keeps none of them.
	var buf [64]any
	st, args := sqlstore.UpdState, sqlstore.StateArgs(buf[:0], &w.State)
	if w.Config != nil {
		st, args = sqlstore.UpdStateConfig, sqlstore.ConfigArgs(args, w.Config, w.ConfigVersion)
	}
	res, err := b.exec(st, append(args, w.CheckID, w.ExpectVersion)...)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return persistence.OutcomeFenced, nil
	}
	if p := w.Ping; p != nil {
		if _, err := b.exec(sqlstore.InsPing, sqlstore.PingArgs(buf[:0], w.CheckID, p)...); err != nil {
			return 0, err
		}
	}
	if w.PruneBelow > 0 {
		if _, err := b.exec(sqlstore.Prune, w.CheckID, w.PruneBelow); err != nil {
			return 0, err
		}
	}
	if f := w.Flip; f != nil {
		if _, err := b.exec(sqlstore.InsFlip, sqlstore.FlipArgs(buf[:0], w.CheckID, f)...); err != nil {
			return 0, err
		}
		if _, err := b.exec(sqlstore.InsMark, sqlstore.MarkArgs(w.CheckID, f)...); err != nil {
			return 0, err
		}
	}
	if err := b.insertOutbox(w); err != nil {
		return 0, err
	}
	if ch := w.Channel; ch != nil {
		if _, err := b.exec(sqlstore.UpsertChannel, sqlstore.ChannelArgs(w.CheckID, ch)...); err != nil {
			return 0, err
		}
	}
	return persistence.OutcomeCommitted, nil
}

func (b *batchTx) insertOutbox(w *persistence.Write) error {
	var buf [16]any
	for i := range w.Outbox {
		if _, err := b.exec(sqlstore.InsOutbox, sqlstore.OutboxArgs(buf[:0], &w.Outbox[i], w.CheckID)...); err != nil {
			return err
		}
	}
	return nil
}

// FinishOutbox records a send's outcome if node still holds the claim, releases the claim,
// and updates the channel's last status when r.ChannelStatus is set (SQLite has no UPDATE
// in a WITH clause: two statements, in the write combiner's shared transaction).
func (s *Store) FinishOutbox(ctx context.Context, r persistence.OutboxResult) (bool, error) {
	if r.Node == "" {
		return false, messages.Errorf(messages.EInvalid, "finish outbox: empty node id")
	}
	finished := false
	err := s.comb.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var (
			checkID int64
			channel string
		)
		err := tx.QueryRowContext(ctx, `UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?,
			last_error = ?, delivered_at = ?, claimed_by = '', claim_until = NULL
			WHERE id = ? AND claimed_by = ? RETURNING check_id, channel`,
			string(r.Status), r.Attempts, sqlstore.MS(r.NextAttemptAt), r.LastError, sqlstore.MS(r.DeliveredAt),
			r.ID, r.Node).Scan(&checkID, &channel)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if r.ChannelStatus != messages.DeliveryNone {
			_, err := tx.ExecContext(ctx, `UPDATE channels SET last_status = ?, last_message = ?, last_at = ?
				WHERE check_id = ? AND name = ?`, string(r.ChannelStatus), r.ChannelMessage, sqlstore.MS(r.At), checkID, channel)
			if err != nil {
				return err
			}
		}
		finished = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("finish outbox %d: %w", r.ID, s.mapErr(err))
	}
	return finished, nil
}
