package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// This file holds the system queries: the ones that do not name a user (resolving a public
// UUID, activation by id, wheel loads, the sweeper, the write batcher and the outbox). Every
// other query names the user in its WHERE clause.

// LoadCheck loads a check for its actor with its channels and the request ids of its newest
// pings.
func (s *Store) LoadCheck(ctx context.Context, checkID int64, recent int) (messages.Check, []messages.Channel, []string, error) {
	// One read transaction: the check row, its channels and its pings are one snapshot.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
	}
	defer tx.Rollback()
	c, err := scanCheck(tx.QueryRowContext(ctx, `SELECT `+checkColumns+` FROM checks WHERE id = ?`, checkID))
	if err != nil {
		return messages.Check{}, nil, nil, s.mapErr(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+channelColumns+` FROM channels WHERE check_id = ? ORDER BY name`, checkID)
	if err != nil {
		return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
	}
	chs, err := s.collectChannels(rows)
	rows.Close()
	if err != nil {
		return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, err)
	}
	var rids []string
	if recent > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT request_id FROM pings WHERE check_id = ? ORDER BY n DESC LIMIT ?`, checkID, recent)
		if err != nil {
			return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
		}
		defer rows.Close()
		for rows.Next() {
			var rid string
			if err := rows.Scan(&rid); err != nil {
				return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
			}
			if rid != "" {
				rids = append(rids, rid)
			}
		}
		if err := rows.Err(); err != nil {
			return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
		}
	}
	return c, chs, rids, nil
}

// ResolveUUID finds a check by its public UUID. The UUID is the capability, so no user is
// named.
func (s *Store) ResolveUUID(ctx context.Context, uuid string) (messages.CheckRef, error) {
	ref, err := scanRef(s.r.QueryRowContext(ctx, `SELECT id, user_id, uuid, slug FROM checks WHERE uuid = ?`, uuid))
	if err != nil {
		return messages.CheckRef{}, s.mapErr(err)
	}
	return ref, nil
}

// The statements of Commit, prepared once on the writer connection.
const (
	stUpdState = iota
	stUpdStateConfig
	stDelCheck
	stInsPing
	stPrune
	stInsFlip
	stInsOutbox
	stUpsertChannel
	stDelPings
	stDelFlips
	stDelChannels
	nStmts
)

type commitStmts [nStmts]*sql.Stmt

var commitSQL = [nStmts]string{
	stUpdState:       `UPDATE checks SET ` + setList(stateColumns) + `, version = version + 1 WHERE id = ? AND version = ?`,
	stUpdStateConfig: `UPDATE checks SET ` + setList(stateColumns) + `, ` + setList(configColumns) + `, version = version + 1 WHERE id = ? AND version = ?`,
	stDelCheck:       `DELETE FROM checks WHERE id = ? AND version = ?`,
	stInsPing: `INSERT INTO pings (check_id, n, at, kind, exit_status, rid, method, remote_ip, user_agent, body, request_id, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	stPrune:     `DELETE FROM pings WHERE check_id = ? AND n <= ?`,
	stInsFlip:   `INSERT INTO flips (` + flipColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`,
	stInsOutbox: outboxInsert,
	// Only the settings: the delivery status belongs to FinishOutbox. The user is the check's.
	stUpsertChannel: `INSERT INTO channels (check_id, name, user_id, enabled, config_enc)
		SELECT id, ?, user_id, ?, ? FROM checks WHERE id = ?
		ON CONFLICT (check_id, name) DO UPDATE SET enabled = excluded.enabled, config_enc = excluded.config_enc`,
	stDelPings:    `DELETE FROM pings WHERE check_id = ?`,
	stDelFlips:    `DELETE FROM flips WHERE check_id = ?`,
	stDelChannels: `DELETE FROM channels WHERE check_id = ?`,
}

func (c *commitStmts) prepare(ctx context.Context, db *sql.DB) error {
	for i, q := range commitSQL {
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
		out[bad] = writeOutcome(err)
		skip[bad] = true
	}
}

// writeOutcome classifies the error of a write that failed alone.
func writeOutcome(err error) persistence.Outcome {
	cols := uniqueConstraint(err)
	if strings.HasPrefix(cols, "pings.check_id, pings.n") {
		// Another activation appended this ping number first.
		return persistence.Outcome{Kind: persistence.OutcomeFenced}
	}
	if e := conflictFor(cols); e != nil {
		return persistence.Outcome{Kind: persistence.OutcomeConflict, Err: e}
	}
	return persistence.Outcome{Kind: persistence.OutcomeFailed, Err: err}
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
		res, err := b.exec(stDelCheck, w.CheckID, w.ExpectVersion)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return persistence.OutcomeFenced, nil
		}
		for _, st := range []int{stDelPings, stDelFlips, stDelChannels} {
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

	st, args := stUpdState, stateArgs(&w.State)
	if w.Config != nil {
		st, args = stUpdStateConfig, append(args, configArgs(w.Config)...)
	}
	res, err := b.exec(st, append(args, w.CheckID, w.ExpectVersion)...)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return persistence.OutcomeFenced, nil
	}
	if p := w.Ping; p != nil {
		_, err := b.exec(stInsPing, w.CheckID, p.N, ms(p.At), cleanText(p.Kind), p.ExitStatus,
			cleanText(p.RID), cleanText(p.Method), cleanText(p.RemoteIP), cleanText(p.UserAgent),
			blob(p.Body), cleanText(p.RequestID), cleanText(p.Reason))
		if err != nil {
			return 0, err
		}
	}
	if w.PruneBelow > 0 {
		if _, err := b.exec(stPrune, w.CheckID, w.PruneBelow); err != nil {
			return 0, err
		}
	}
	if f := w.Flip; f != nil {
		if _, err := b.exec(stInsFlip, f.ID, w.CheckID, ms(f.At), f.From, f.To, f.Reason, f.Node); err != nil {
			return 0, err
		}
	}
	if err := b.insertOutbox(w); err != nil {
		return 0, err
	}
	if ch := w.Channel; ch != nil {
		if _, err := b.exec(stUpsertChannel, ch.Name, ch.Enabled, blob(ch.ConfigEnc), w.CheckID); err != nil {
			return 0, err
		}
	}
	return persistence.OutcomeCommitted, nil
}

func (b *batchTx) insertOutbox(w *persistence.Write) error {
	for i := range w.Outbox {
		if _, err := b.exec(stInsOutbox, outboxArgs(&w.Outbox[i], w.CheckID)...); err != nil {
			return err
		}
	}
	return nil
}

// wakeChunk is how many wake-ups ForEachWake reads per query.
const wakeChunk = 1000

// ForEachWake calls fn for every check with a wake-up time. It reads in chunks in id order,
// so no read transaction stays open while fn runs and memory stays bounded.
func (s *Store) ForEachWake(ctx context.Context, fn func(checkID int64, at time.Time) error) error {
	type wake struct{ id, at int64 }
	buf := make([]wake, 0, wakeChunk)
	var after int64
	for {
		buf = buf[:0]
		rows, err := s.r.QueryContext(ctx, `SELECT id, next_wake_at FROM checks
			WHERE id > ? AND next_wake_at IS NOT NULL ORDER BY id LIMIT ?`, after, wakeChunk)
		if err != nil {
			return fmt.Errorf("for each wake: %w", s.mapErr(err))
		}
		for rows.Next() {
			var w wake
			if err := rows.Scan(&w.id, &w.at); err != nil {
				rows.Close()
				return fmt.Errorf("for each wake: %w", s.mapErr(err))
			}
			buf = append(buf, w)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("for each wake: %w", s.mapErr(err))
		}
		for _, w := range buf {
			if err := fn(w.id, time.UnixMilli(w.at).UTC()); err != nil {
				return err
			}
		}
		if len(buf) < wakeChunk {
			return nil
		}
		after = buf[len(buf)-1].id
	}
}

// DueChecks returns up to limit checks whose wake-up is at or before t, earliest first.
func (s *Store) DueChecks(ctx context.Context, t time.Time, limit int) ([]persistence.Wake, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, next_wake_at FROM checks
		WHERE next_wake_at IS NOT NULL AND next_wake_at <= ? ORDER BY next_wake_at, id LIMIT ?`, t.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("due checks: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []persistence.Wake
	for rows.Next() {
		var (
			id int64
			at int64
		)
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("due checks: %w", s.mapErr(err))
		}
		out = append(out, persistence.Wake{CheckID: id, At: time.UnixMilli(at).UTC()})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due checks: %w", s.mapErr(err))
	}
	return out, nil
}

// ExtendDeadlines moves every deadline and wake-up within [from, to] later by by and bumps
// the versions of the checks it changes.
func (s *Store) ExtendDeadlines(ctx context.Context, from, to time.Time, by time.Duration) (int64, error) {
	f, t, d := from.UnixMilli(), to.UnixMilli(), by.Milliseconds()
	in := func(col string) string { return col + " BETWEEN :from AND :to" }
	move := func(col string) string {
		return col + " = CASE WHEN " + in(col) + " THEN " + col + " + :by ELSE " + col + " END"
	}
	res, err := s.w.ExecContext(ctx, `UPDATE checks SET `+
		move("next_deadline")+`, `+move("run_deadline")+`, `+move("realert_due")+`, `+move("next_wake_at")+`,
		version = version + 1
		WHERE `+in("next_deadline")+` OR `+in("run_deadline")+` OR `+in("realert_due")+` OR `+in("next_wake_at"),
		sql.Named("from", f), sql.Named("to", t), sql.Named("by", d))
	if err != nil {
		return 0, fmt.Errorf("extend deadlines: %w", s.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("extend deadlines: %w", s.mapErr(err))
	}
	return n, nil
}

// DueDestinations returns destinations with pending rows due at now that no live claim
// holds.
func (s *Store) DueDestinations(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	t := now.UnixMilli()
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT dest_hash FROM outbox
		WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
		AND (claimed_by = '' OR claim_until IS NULL OR claim_until < ?) LIMIT ?`, t, t, limit)
	if err != nil {
		return nil, fmt.Errorf("due destinations: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("due destinations: %w", s.mapErr(err))
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due destinations: %w", s.mapErr(err))
	}
	return out, nil
}

// PendingOutbox returns a destination's pending rows in FIFO order.
func (s *Store) PendingOutbox(ctx context.Context, destHash string, limit int) ([]messages.OutboxRow, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE dest_hash = ? AND status = 'pending' ORDER BY id LIMIT ?`, destHash, limit)
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", s.mapErr(err))
	}
	defer rows.Close()
	out, err := s.collectOutbox(rows)
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", err)
	}
	return out, nil
}

// ClaimOutbox claims a pending row for node until the given time, unless another node holds
// a claim that has not expired at now.
func (s *Store) ClaimOutbox(ctx context.Context, id int64, node string, now, until time.Time) (bool, error) {
	if node == "" {
		return false, messages.Errorf(messages.EInvalid, "claim outbox: empty node id")
	}
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET claimed_by = ?, claim_until = ?
		WHERE id = ? AND status = 'pending'
		AND (claimed_by = '' OR claimed_by = ? OR claim_until IS NULL OR claim_until < ?)`,
		node, until.UnixMilli(), id, node, now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("claim outbox %d: %w", id, s.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim outbox %d: %w", id, s.mapErr(err))
	}
	return n == 1, nil
}

// FinishOutbox records a send's outcome if node still holds the claim, releases the claim,
// and updates the channel's last status when r.ChannelStatus is set.
func (s *Store) FinishOutbox(ctx context.Context, r persistence.OutboxResult) (bool, error) {
	if r.Node == "" {
		return false, messages.Errorf(messages.EInvalid, "finish outbox: empty node id")
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("finish outbox %d: %w", r.ID, s.mapErr(err))
	}
	defer tx.Rollback()
	var (
		checkID int64
		channel string
	)
	err = tx.QueryRowContext(ctx, `UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?,
		last_error = ?, delivered_at = ?, claimed_by = '', claim_until = NULL
		WHERE id = ? AND claimed_by = ? RETURNING check_id, channel`,
		r.Status, r.Attempts, ms(r.NextAttemptAt), r.LastError, ms(r.DeliveredAt), r.ID, r.Node).Scan(&checkID, &channel)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("finish outbox %d: %w", r.ID, s.mapErr(err))
	}
	if r.ChannelStatus != "" {
		_, err := tx.ExecContext(ctx, `UPDATE channels SET last_status = ?, last_message = ?, last_at = ?
			WHERE check_id = ? AND name = ?`, r.ChannelStatus, r.ChannelMessage, ms(r.At), checkID, channel)
		if err != nil {
			return false, fmt.Errorf("finish outbox %d: %w", r.ID, s.mapErr(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("finish outbox %d: %w", r.ID, s.mapErr(err))
	}
	return true, nil
}

// InsertOutbox adds rows outside a check write (test sends). A row whose idempotency key
// exists already is skipped; the ID of each inserted row is set in rows.
func (s *Store) InsertOutbox(ctx context.Context, rows []messages.OutboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("insert outbox: %w", s.mapErr(err))
	}
	defer tx.Rollback()
	for i := range rows {
		var id int64
		err := tx.QueryRowContext(ctx, outboxInsert+` RETURNING id`, outboxArgs(&rows[i], 0)...).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows): // a duplicate: already queued
		case err != nil:
			return fmt.Errorf("insert outbox: %w", s.mapErr(err))
		default:
			rows[i].ID = id
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("insert outbox: %w", s.mapErr(err))
	}
	return nil
}
