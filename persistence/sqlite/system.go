package sqlite

import (
	"github.com/ttr-rip/ttr/persistence/internal/schema"

	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// This file holds the system queries: the ones that do not name a user (resolving a public
// UUID, activation by id, wheel loads, the sweeper, the write batcher, the outbox and node
// leases). Every other query names the user in its WHERE clause.

// LoadCheck loads a check for its actor with its channels and the request ids of its newest
// pings.
func (s *Store) LoadCheck(ctx context.Context, checkID int64, recent int) (messages.Check, []messages.Channel, []string, error) {
	// One read transaction: the check row, its channels and its pings are one snapshot.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
	}
	defer tx.Rollback()
	c, err := scanCheck(tx.QueryRowContext(ctx, `SELECT `+schema.CheckColumns+` FROM checks WHERE id = ?`, checkID))
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
	stUpdState:       `UPDATE checks SET ` + setList(schema.StateColumns) + `, version = version + 1 WHERE id = ? AND version = ?`,
	stUpdStateConfig: `UPDATE checks SET ` + setList(schema.StateColumns) + `, ` + setList(schema.ConfigColumns) + `, version = version + 1 WHERE id = ? AND version = ?`,
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
		st, args = stUpdStateConfig, append(args, configArgs(w.Config, w.ConfigVersion)...)
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

// ForEachCheck calls fn for every check's id, status and wake-up, in chunks in id order.
func (s *Store) ForEachCheck(ctx context.Context, fn func(persistence.CheckEntry) error) error {
	buf := make([]persistence.CheckEntry, 0, wakeChunk)
	var after int64
	for {
		buf = buf[:0]
		rows, err := s.r.QueryContext(ctx, `SELECT id, status, next_wake_at FROM checks
			WHERE id > ? ORDER BY id LIMIT ?`, after, wakeChunk)
		if err != nil {
			return fmt.Errorf("for each check: %w", s.mapErr(err))
		}
		for rows.Next() {
			var (
				e  persistence.CheckEntry
				at sql.NullInt64
			)
			if err := rows.Scan(&e.CheckID, &e.Status, &at); err != nil {
				rows.Close()
				return fmt.Errorf("for each check: %w", s.mapErr(err))
			}
			if at.Valid {
				e.WakeAt = time.UnixMilli(at.Int64).UTC()
			}
			buf = append(buf, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("for each check: %w", s.mapErr(err))
		}
		for _, e := range buf {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(buf) < wakeChunk {
			return nil
		}
		after = buf[len(buf)-1].CheckID
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

// ExtendDeadlines moves every deadline, wake-up and the end of flap suppression within
// [from, to] later by by and bumps the versions of the checks it changes.
func (s *Store) ExtendDeadlines(ctx context.Context, from, to time.Time, by time.Duration) (int64, error) {
	f, t, d := from.UnixMilli(), to.UnixMilli(), by.Milliseconds()
	in := func(col string) string { return col + " BETWEEN :from AND :to" }
	move := func(col string) string {
		return col + " = CASE WHEN " + in(col) + " THEN " + col + " + :by ELSE " + col + " END"
	}
	res, err := s.w.ExecContext(ctx, `UPDATE checks SET `+
		move("next_deadline")+`, `+move("run_deadline")+`, `+move("realert_due")+`, `+move("next_wake_at")+`,
		`+move("suppress_until")+`, version = version + 1
		WHERE `+in("next_deadline")+` OR `+in("run_deadline")+` OR `+in("realert_due")+` OR `+in("next_wake_at")+`
		OR `+in("suppress_until"),
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

// claimFree is the condition under which a pending outbox row's claim does not hold at
// :now: there is none, it expired, or its claimer's lease row says the lease ended before
// :lapsed (now - persistence.LeaseSkew). A claimer without a lease row is judged by
// claim_until alone. The lease is looked up by the nodes primary key.
const claimFree = `(claimed_by = '' OR claim_until IS NULL OR claim_until < :now
	OR EXISTS (SELECT 1 FROM nodes WHERE nodes.node_id = outbox.claimed_by AND nodes.lease_until < :lapsed))`

// DueDestinations returns destinations with pending rows due at now that no live claim
// holds.
func (s *Store) DueDestinations(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT dest_hash FROM outbox
		WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
		AND `+claimFree+` LIMIT :limit`,
		sql.Named("now", now.UnixMilli()), sql.Named("lapsed", lapsed(now)), sql.Named("limit", limit))
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

// CountPendingOutbox returns how many pending rows a destination has.
func (s *Store) CountPendingOutbox(ctx context.Context, destHash string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE dest_hash = ? AND status = 'pending'`, destHash).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending outbox: %w", s.mapErr(err))
	}
	return n, nil
}

// lapsed is the time before which a claimer's lease must have ended for its claims to be
// taken over at now.
func lapsed(now time.Time) int64 { return now.Add(-persistence.LeaseSkew).UnixMilli() }

// ClaimOutbox claims a pending row for node until the given time, unless another node holds
// a claim that has not expired at now and whose lease (if it has a lease row) has not
// lapsed.
func (s *Store) ClaimOutbox(ctx context.Context, id int64, node string, now, until time.Time) (bool, error) {
	if node == "" {
		return false, messages.Errorf(messages.EInvalid, "claim outbox: empty node id")
	}
	var n int64
	err := s.comb.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET claimed_by = :node, claim_until = :until
			WHERE id = :id AND status = 'pending' AND (claimed_by = :node OR `+claimFree+`)`,
			sql.Named("node", node), sql.Named("until", until.UnixMilli()), sql.Named("id", id),
			sql.Named("now", now.UnixMilli()), sql.Named("lapsed", lapsed(now)))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
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
	finished := false
	err := s.comb.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var (
			checkID int64
			channel string
		)
		err := tx.QueryRowContext(ctx, `UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?,
			last_error = ?, delivered_at = ?, claimed_by = '', claim_until = NULL
			WHERE id = ? AND claimed_by = ? RETURNING check_id, channel`,
			r.Status, r.Attempts, ms(r.NextAttemptAt), r.LastError, ms(r.DeliveredAt), r.ID, r.Node).Scan(&checkID, &channel)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if r.ChannelStatus != "" {
			_, err := tx.ExecContext(ctx, `UPDATE channels SET last_status = ?, last_message = ?, last_at = ?
				WHERE check_id = ? AND name = ?`, r.ChannelStatus, r.ChannelMessage, ms(r.At), checkID, channel)
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

// RenewLease upserts the node's lease row; until overwrites the previous value, so a
// release (an earlier time) takes effect.
func (s *Store) RenewLease(ctx context.Context, nodeID string, until time.Time) error {
	if nodeID == "" || until.IsZero() {
		return messages.Errorf(messages.EInvalid, "renew lease: empty node id or time")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO nodes (node_id, lease_until) VALUES (?, ?)
		ON CONFLICT (node_id) DO UPDATE SET lease_until = excluded.lease_until`, nodeID, until.UnixMilli())
	if err != nil {
		return fmt.Errorf("renew lease of %s: %w", nodeID, s.mapErr(err))
	}
	return nil
}

// LiveNodes returns the ids of the nodes whose lease runs past now, sorted.
func (s *Store) LiveNodes(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT node_id FROM nodes WHERE lease_until > ? ORDER BY node_id`, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("live nodes: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("live nodes: %w", s.mapErr(err))
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("live nodes: %w", s.mapErr(err))
	}
	return out, nil
}

// PruneNodes deletes the rows of nodes whose lease ended before before and that claim no
// pending outbox row (only a pending row's claim is ever taken over; the anti-join reads
// the pending rows through outbox_status_next_attempt_idx).
func (s *Store) PruneNodes(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM nodes WHERE lease_until < ?
		AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.status = 'pending' AND outbox.claimed_by = nodes.node_id)`,
		before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune nodes: %w", s.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune nodes: %w", s.mapErr(err))
	}
	return n, nil
}

// LoadRateState returns a destination's persisted rate state; false when it has none.
func (s *Store) LoadRateState(ctx context.Context, destHash string) (messages.RateState, bool, error) {
	var (
		st           messages.RateState
		until, updAt sql.NullInt64
	)
	err := s.r.QueryRowContext(ctx, `SELECT rps, burst, tokens, backoff_level, backoff_until, updated_at
		FROM notifier_state WHERE dest_hash = ?`, destHash).
		Scan(&st.RPS, &st.Burst, &st.Tokens, &st.BackoffLevel, &until, &updAt)
	if errors.Is(err, sql.ErrNoRows) {
		return messages.RateState{}, false, nil
	}
	if err != nil {
		return messages.RateState{}, false, fmt.Errorf("load rate state: %w", s.mapErr(err))
	}
	st.BackoffUntil, st.UpdatedAt = fromMS(until), fromMS(updAt)
	return st, true, nil
}

// SaveRateState upserts a destination's rate state.
func (s *Store) SaveRateState(ctx context.Context, destHash string, st messages.RateState) error {
	if err := persistence.ValidateRateState(destHash, st); err != nil {
		return err
	}
	err := s.comb.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notifier_state
			(dest_hash, rps, burst, tokens, backoff_level, backoff_until, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (dest_hash) DO UPDATE SET rps = excluded.rps, burst = excluded.burst,
				tokens = excluded.tokens, backoff_level = excluded.backoff_level,
				backoff_until = excluded.backoff_until, updated_at = excluded.updated_at`,
			destHash, st.RPS, st.Burst, st.Tokens, st.BackoffLevel, ms(st.BackoffUntil), ms(st.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("save rate state: %w", s.mapErr(err))
	}
	return nil
}

// resealTable is one table whose sealed values Reseal rewrites, read in keyset order.
type resealTable struct {
	name string
	// sel reads the batch after the given key (id, name) with its limit; its columns are
	// what scan reads.
	sel     string
	selArgs func(after resealRow, limit int) []any
	scan    func(scanner) (resealRow, error)
	// upd writes a row's new value; updArgs gives its arguments.
	upd     string
	updArgs func(r resealRow, v persistence.Sealed) []any
}

// resealRow is one sealed value with its row's primary key.
type resealRow struct {
	id     int64  // users.id, channels.check_id, outbox.id
	name   string // channels.name
	sealed persistence.Sealed
}

var resealTables = []resealTable{
	{
		name: "users",
		sel: `SELECT id, ping_key_enc, ping_key_index FROM users
			WHERE id > ? AND ping_key_enc IS NOT NULL ORDER BY id LIMIT ?`,
		selArgs: func(after resealRow, limit int) []any { return []any{after.id, limit} },
		scan: func(row scanner) (resealRow, error) {
			var r resealRow
			err := row.Scan(&r.id, &r.sealed.Value, &r.sealed.Index)
			r.sealed.Table, r.sealed.Key = "users", strconv.FormatInt(r.id, 10)
			return r, err
		},
		upd: `UPDATE users SET ping_key_enc = ?, ping_key_index = ? WHERE id = ?`,
		updArgs: func(r resealRow, v persistence.Sealed) []any {
			return []any{v.Value, blob(v.Index), r.id}
		},
	},
	{
		name: "channels",
		sel: `SELECT check_id, name, user_id, config_enc FROM channels
			WHERE (check_id, name) > (?, ?) AND config_enc IS NOT NULL ORDER BY check_id, name LIMIT ?`,
		selArgs: func(after resealRow, limit int) []any { return []any{after.id, after.name, limit} },
		scan: func(row scanner) (resealRow, error) {
			var r resealRow
			err := row.Scan(&r.id, &r.name, &r.sealed.UserID, &r.sealed.Value)
			r.sealed.Table, r.sealed.Key = "channels", strconv.FormatInt(r.id, 10)+":"+r.name
			return r, err
		},
		upd: `UPDATE channels SET config_enc = ? WHERE check_id = ? AND name = ?`,
		updArgs: func(r resealRow, v persistence.Sealed) []any {
			return []any{v.Value, r.id, r.name}
		},
	},
	{
		name: "outbox",
		// Every row, delivered and failed ones too: the old key can go only when no value
		// sealed under it is left.
		sel: `SELECT id, user_id, idempotency_key, dest_enc FROM outbox
			WHERE id > ? AND dest_enc IS NOT NULL ORDER BY id LIMIT ?`,
		selArgs: func(after resealRow, limit int) []any { return []any{after.id, limit} },
		scan: func(row scanner) (resealRow, error) {
			var (
				r   resealRow
				key sql.NullString
			)
			err := row.Scan(&r.id, &r.sealed.UserID, &key, &r.sealed.Value)
			r.sealed.Table, r.sealed.Key = "outbox", key.String
			return r, err
		},
		upd: `UPDATE outbox SET dest_enc = ? WHERE id = ?`,
		updArgs: func(r resealRow, v persistence.Sealed) []any {
			return []any{v.Value, r.id}
		},
	},
	{
		name: "destinations",
		sel: `SELECT id, user_id, code, config_enc FROM destinations
			WHERE id > ? ORDER BY id LIMIT ?`,
		selArgs: func(after resealRow, limit int) []any { return []any{after.id, limit} },
		scan: func(row scanner) (resealRow, error) {
			var r resealRow
			err := row.Scan(&r.id, &r.sealed.UserID, &r.sealed.Key, &r.sealed.Value)
			r.sealed.Table = "destinations"
			return r, err
		},
		upd: `UPDATE destinations SET config_enc = ? WHERE id = ?`,
		updArgs: func(r resealRow, v persistence.Sealed) []any {
			return []any{v.Value, r.id}
		},
	},
}

// Reseal calls f for every sealed value (users' ping keys, channels' settings, every outbox
// row's destination) and writes back what it returns. It reads each table in keyset order,
// a batch at a time; a batch is read, passed to f and written in one transaction on the
// writer, so no other write interleaves with it and nothing written meanwhile is
// overwritten with an older value. f must be quick and must not use the store: it runs
// while the batch holds the write lock.
//
// A value f returns unchanged (same Value and Index) is not written nor counted, so a run
// after an interrupted one — on f's error the batch at hand is rolled back and the batches
// before it stay rewritten — only rewrites what is left, when f returns the values already
// sealed under the first key as they are. Values written while Reseal runs must already be
// sealed under the key f seals with (every node runs the new key ring first).
func (s *Store) Reseal(ctx context.Context, f func(persistence.Sealed) (persistence.Sealed, error)) (int, error) {
	total := 0
	for i := range resealTables {
		t := &resealTables[i]
		var after resealRow
		for {
			n, last, more, err := s.resealBatch(ctx, t, after, f)
			total += n
			if err != nil {
				return total, fmt.Errorf("reseal %s: %w", t.name, err)
			}
			if !more {
				break
			}
			after = last
		}
	}
	return total, nil
}

// resealBatch rewrites the batch of t after the key after. It returns how many values it
// rewrote, the key of the batch's last row and whether there may be more rows.
func (s *Store) resealBatch(ctx context.Context, t *resealTable, after resealRow, f func(persistence.Sealed) (persistence.Sealed, error)) (int, resealRow, bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, after, false, s.mapErr(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, t.sel, t.selArgs(after, s.resealBatchSize)...)
	if err != nil {
		return 0, after, false, s.mapErr(err)
	}
	batch := make([]resealRow, 0, s.resealBatchSize)
	for rows.Next() {
		r, err := t.scan(rows)
		if err != nil {
			rows.Close()
			return 0, after, false, s.mapErr(err)
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, after, false, s.mapErr(err)
	}
	if len(batch) == 0 {
		return 0, after, false, nil
	}
	var upd *sql.Stmt
	n := 0
	for _, r := range batch {
		v, err := f(r.sealed)
		if err != nil {
			return 0, after, false, err
		}
		if err := checkResealed(r.sealed, v); err != nil {
			return 0, after, false, err
		}
		if t.name != "users" {
			v.Index = nil // only a ping key has a lookup index
		}
		if bytes.Equal(v.Value, r.sealed.Value) && bytes.Equal(v.Index, r.sealed.Index) {
			continue
		}
		if upd == nil {
			if upd, err = tx.PrepareContext(ctx, t.upd); err != nil {
				return 0, after, false, s.mapErr(err)
			}
			defer upd.Close()
		}
		if _, err := upd.ExecContext(ctx, t.updArgs(r, v)...); err != nil {
			return 0, after, false, fmt.Errorf("%s %s: %w", r.sealed.Table, r.sealed.Key, s.mapErr(err))
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return 0, after, false, s.mapErr(err)
	}
	return n, batch[len(batch)-1], len(batch) == s.resealBatchSize, nil
}

// checkResealed refuses a value f moved to another row or emptied.
func checkResealed(old, v persistence.Sealed) error {
	if v.Table != old.Table || v.Key != old.Key || v.UserID != old.UserID {
		return fmt.Errorf("%s %s: f changed the row to %s %s (user %d)", old.Table, old.Key, v.Table, v.Key, v.UserID)
	}
	if len(v.Value) == 0 {
		return fmt.Errorf("%s %s: f returned no value", old.Table, old.Key)
	}
	return nil
}

// RenameDestinations implements persistence.SecretStore.
func (s *Store) RenameDestinations(ctx context.Context, renames map[string]string) (int, error) {
	total := 0
	for oldHash, newHash := range renames {
		if oldHash == newHash {
			continue
		}
		err := s.comb.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE outbox SET dest_hash = ? WHERE dest_hash = ?`, newHash, oldHash)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += int(n)
			if _, err := tx.ExecContext(ctx, `UPDATE notifier_state SET dest_hash = ? WHERE dest_hash = ?
				AND NOT EXISTS (SELECT 1 FROM notifier_state WHERE dest_hash = ?)`, newHash, oldHash, newHash); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM notifier_state WHERE dest_hash = ?`, oldHash)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("rename destination: %w", s.mapErr(err))
		}
	}
	return total, nil
}
