package postgres

import (
	"github.com/ttr-rip/ttr/persistence/internal/schema"

	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// This file holds the system queries: the ones that do not name a user (resolving a public
// UUID, activation by id, wheel loads, the sweeper, the write batcher, the outbox and node
// leases). Every other query names the user in its WHERE clause.

// LoadCheck loads a check for its actor with its channels and the request ids of its newest
// pings, in one round trip.
func (s *Store) LoadCheck(ctx context.Context, checkID int64, recent int) (messages.Check, []messages.Channel, []string, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT `+schema.CheckColumns+` FROM checks WHERE id = $1`, checkID)
	b.Queue(`SELECT `+channelColumns+` FROM channels WHERE check_id = $1 ORDER BY name`, checkID)
	if recent > 0 {
		b.Queue(`SELECT request_id FROM pings WHERE check_id = $1 ORDER BY n DESC LIMIT $2`, checkID, recent)
	}
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	c, err := scanCheck(br.QueryRow())
	if err != nil {
		return messages.Check{}, nil, nil, s.mapErr(err)
	}
	rows, err := br.Query()
	if err != nil {
		return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
	}
	chs, err := collect(rows, scanChannel)
	if err != nil {
		return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
	}
	var rids []string
	if recent > 0 {
		rows, err := br.Query()
		if err != nil {
			return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
		}
		all, err := collect(rows, func(r pgx.Row) (string, error) {
			var rid string
			return rid, r.Scan(&rid)
		})
		if err != nil {
			return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
		}
		for _, rid := range all {
			if rid != "" {
				rids = append(rids, rid)
			}
		}
	}
	if err := br.Close(); err != nil {
		return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
	}
	return c, chs, rids, nil
}

// ResolveUUID finds a check by its public UUID. The UUID is the capability, so no user is
// named.
func (s *Store) ResolveUUID(ctx context.Context, uuid string) (messages.CheckRef, error) {
	ref, err := scanRef(s.pool.QueryRow(ctx, `SELECT id, user_id, uuid, slug FROM checks WHERE uuid = $1`, uuid))
	if err != nil {
		return messages.CheckRef{}, s.mapErr(err)
	}
	return ref, nil
}

// The statements of Commit. pgx prepares and caches each on every connection.
var (
	nState  = len(schema.StateColumns)
	nConfig = len(schema.ConfigColumns)

	sqlUpdState = fmt.Sprintf(`UPDATE checks SET %s, version = version + 1 WHERE id = $%d AND version = $%d`,
		setList(schema.StateColumns, 1), nState+1, nState+2)
	sqlUpdStateConfig = fmt.Sprintf(`UPDATE checks SET %s, %s, version = version + 1 WHERE id = $%d AND version = $%d`,
		setList(schema.StateColumns, 1), setList(schema.ConfigColumns, nState+1), nState+nConfig+1, nState+nConfig+2)
	sqlDelCheck = `DELETE FROM checks WHERE id = $1 AND version = $2`
	// sqlUpdStates is sqlUpdState for many checks (each at most once): it returns the ids of
	// the rows whose version matched.
	sqlUpdStates = `UPDATE checks AS c SET ` + fromValues(schema.StateColumns) + `, version = c.version + 1
		FROM unnest(` + typedParams(append([]string{"bigint", "bigint"}, stateTypes...)...) + `)
			AS v(id, version, ` + strings.Join(schema.StateColumns, ", ") + `)
		WHERE c.id = v.id AND c.version = v.version
		RETURNING c.id`

	sqlInsPing = `INSERT INTO pings (check_id, n, at, kind, exit_status, rid, method, remote_ip, user_agent, body, request_id, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	sqlInsPings = `INSERT INTO pings (check_id, n, at, kind, exit_status, rid, method, remote_ip, user_agent, body, request_id, reason)
		SELECT v.check_id, v.n, v.at, v.kind, v.exit_status, v.rid, v.method, v.remote_ip, v.user_agent, v.body, v.request_id, v.reason
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::integer[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::bytea[], $11::text[], $12::text[])
			AS v(check_id, n, at, kind, exit_status, rid, method, remote_ip, user_agent, body, request_id, reason)`

	sqlPrune      = `DELETE FROM pings WHERE check_id = $1 AND n <= $2`
	sqlPruneBatch = `DELETE FROM pings p USING unnest($1::bigint[], $2::bigint[]) AS v(check_id, n)
		WHERE p.check_id = v.check_id AND p.n <= v.n`

	sqlInsFlip  = `INSERT INTO flips (` + flipColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	sqlInsFlips = `INSERT INTO flips (` + flipColumns + `)
		SELECT v.id, v.check_id, v.at, v.from_status, v.to_status, v.reason, v.node
		FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
			AS v(id, check_id, at, from_status, to_status, reason, node)`

	// ORDER BY ord keeps the ids in the order of the writes: FIFO per destination.
	sqlInsOutboxes = `INSERT INTO outbox (user_id, check_id, kind, channel, dest_hash, dest_enc,
		payload, idempotency_key, status, attempts, next_attempt_at, claimed_by, claim_until,
		last_error, created_at, delivered_at)
		SELECT v.user_id, v.check_id, v.kind, v.channel, v.dest_hash, v.dest_enc, v.payload,
			v.idempotency_key, v.status, v.attempts, v.next_attempt_at, v.claimed_by, v.claim_until,
			v.last_error, v.created_at, v.delivered_at
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bytea[],
			$7::bytea[], $8::text[], $9::text[], $10::integer[], $11::bigint[], $12::text[],
			$13::bigint[], $14::text[], $15::bigint[], $16::bigint[]) WITH ORDINALITY
			AS v(user_id, check_id, kind, channel, dest_hash, dest_enc, payload, idempotency_key,
				status, attempts, next_attempt_at, claimed_by, claim_until, last_error, created_at,
				delivered_at, ord)
		ORDER BY v.ord
		ON CONFLICT (idempotency_key) DO NOTHING`

	// Only the settings: the delivery status belongs to FinishOutbox. The user is the check's.
	sqlUpsertChannel = `INSERT INTO channels (check_id, name, user_id, enabled, config_enc)
		SELECT id, $2, user_id, $3, $4 FROM checks WHERE id = $1
		ON CONFLICT (check_id, name) DO UPDATE SET enabled = excluded.enabled, config_enc = excluded.config_enc`

	sqlDelPings    = `DELETE FROM pings WHERE check_id = $1`
	sqlDelFlips    = `DELETE FROM flips WHERE check_id = $1`
	sqlDelChannels = `DELETE FROM channels WHERE check_id = $1`
)

// Commit applies the writes in one transaction, in two pipelined round trips: first BEGIN
// and the conditional check-row updates (all state-only updates as one statement, which
// returns the ids whose version matched; configuration changes and deletes one statement
// each), which tell which writes are fenced; then the appends of the writes that were not —
// all pings, prunes, flips and outbox rows of the batch as one statement each — and COMMIT.
//
// A write that fails on its own (a slug taken by a neighbour, a duplicate ping number) aborts
// the transaction; it is rolled back and run again with that write answered alone, so its
// neighbours still commit and the result is the same as applying the writes one after
// another. When a multi-row statement fails, the batch is run again with one statement per
// write to find the culprit. A connection failure fails the whole batch (Unavailable).
func (s *Store) Commit(ctx context.Context, writes []persistence.Write) ([]persistence.Outcome, error) {
	out := make([]persistence.Outcome, len(writes))
	if len(writes) == 0 {
		return out, nil
	}
	skip := make([]bool, len(writes))
	bulk, retries := true, 0
	// A connection the server closed (a restart, a failover) is found dead only when used;
	// while the first round trip fails on one, nothing can have committed, so the batch may
	// run again on another connection: the pool replaces dead ones.
	reconnects := int(s.pool.Config().MaxConns) + 1
	for {
		bad, sent, err := s.commitOnce(ctx, writes, skip, out, bulk)
		switch {
		case err == nil:
			return out, nil
		case s.closed.Load():
			return nil, persistence.Unavailable(fmt.Errorf("commit %d writes: %w", len(writes), err))
		case isUnavailable(err):
			var ce *pgconn.ConnectError
			if !sent && reconnects > 0 && ctx.Err() == nil && !errors.As(err, &ce) {
				reconnects--
				continue
			}
			return nil, persistence.Unavailable(fmt.Errorf("commit %d writes: %w", len(writes), err))
		case bad >= 0:
			out[bad] = writeOutcome(err)
			skip[bad] = true
		case bad == badBulk && bulk:
			bulk = false
		case retryable(err) && retries < 3:
			retries++
		default:
			return nil, fmt.Errorf("commit %d writes: %w", len(writes), err)
		}
	}
}

const (
	badBatch = -1 // the batch failed as a whole
	badBulk  = -2 // a multi-row statement failed because of one of its rows
)

// writeSpecific reports whether err is about the data of one statement, so that the write
// it belongs to can be answered alone.
func writeSpecific(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) < 2 {
		return false
	}
	switch pe.Code[:2] {
	case "22", "23", "54": // data exception, integrity violation, program limit
		return true
	}
	return false
}

// retryable: the batch lost a race with another transaction and may simply run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// writeOutcome classifies the error of a write that failed alone.
func writeOutcome(err error) persistence.Outcome {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		if pe.ConstraintName == "pings_check_n_key" {
			// Another activation appended this ping number first.
			return persistence.Outcome{Kind: persistence.OutcomeFenced}
		}
		if e := conflictFor(pe.ConstraintName); e != nil {
			return persistence.Outcome{Kind: persistence.OutcomeConflict, Err: e}
		}
	}
	return persistence.Outcome{Kind: persistence.OutcomeFailed, Err: err}
}

// commitOnce runs the writes not skipped in one transaction. On failure it returns the index
// of the write at fault, badBulk or badBatch, and whether COMMIT may have been sent.
func (s *Store) commitOnce(ctx context.Context, writes []persistence.Write, skip []bool, out []persistence.Outcome, bulk bool) (int, bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return badBatch, false, err
	}
	defer conn.Release()

	// Round trip 1: BEGIN and the conditional updates. The state-only updates go as one
	// statement when every check of the batch is distinct (a multi-row UPDATE changes a row
	// once however many source rows match it); the rest, one statement per write, in order.
	var (
		rb      = newRun()
		updated []int64 // ids the multi-row update changed
		inBulk  []bool  // write i was in the multi-row update
	)
	rb.queue(badBatch, nil, "BEGIN")
	if bulk && distinctChecks(writes, skip) {
		inBulk = make([]bool, len(writes))
		var st stateCols
		for i := range writes {
			if w := &writes[i]; !skip[i] && !w.Delete && w.Config == nil {
				st.add(w)
				inBulk[i] = true
			}
		}
		if len(st.id) > 0 {
			rb.queue(badBulk, &updated, sqlUpdStates, st.args()...)
		}
	}
	for i := range writes {
		w := &writes[i]
		switch {
		case skip[i] || (inBulk != nil && inBulk[i]):
		case w.Delete:
			rb.queue(i, nil, sqlDelCheck, w.CheckID, w.ExpectVersion)
		case w.Config != nil:
			args := append(stateArgs(&w.State), configArgs(w.Config, w.ConfigVersion)...)
			rb.queue(i, nil, sqlUpdStateConfig, append(args, w.CheckID, w.ExpectVersion)...)
		default:
			rb.queue(i, nil, sqlUpdState, append(stateArgs(&w.State), w.CheckID, w.ExpectVersion)...)
		}
	}
	if at, err := rb.run(ctx, conn); err != nil {
		bad, err := culprit(ctx, conn, rb.owner, at, err)
		return bad, false, err
	}
	changed := make(map[int64]bool, len(updated))
	for _, id := range updated {
		changed[id] = true
	}
	rowsOf := make(map[int]int64, len(rb.owner))
	for k, i := range rb.owner {
		if i >= 0 {
			rowsOf[i] = rb.tags[k].RowsAffected()
		}
	}
	live := make([]int, 0, len(writes))
	for i := range writes {
		if skip[i] {
			continue
		}
		ok := rowsOf[i] > 0
		if inBulk != nil && inBulk[i] {
			ok = changed[writes[i].CheckID]
		}
		if !ok {
			out[i] = persistence.Outcome{Kind: persistence.OutcomeFenced}
			continue
		}
		out[i] = persistence.Outcome{Kind: persistence.OutcomeCommitted}
		live = append(live, i)
	}

	// Round trip 2: the appends and COMMIT.
	rb = newRun()
	if bulk {
		queueBulk(rb, writes, live)
	}
	for _, i := range live {
		queueWrite(rb, &writes[i], i, !bulk)
	}
	rb.queue(badBatch, nil, "COMMIT")
	if at, err := rb.run(ctx, conn); err != nil {
		bad, err := culprit(ctx, conn, rb.owner, at, err)
		return bad, true, err
	}
	return 0, true, nil
}

// distinctChecks reports whether no check appears twice among the writes not skipped.
func distinctChecks(writes []persistence.Write, skip []bool) bool {
	seen := make(map[int64]struct{}, len(writes))
	for i := range writes {
		if skip[i] {
			continue
		}
		if _, dup := seen[writes[i].CheckID]; dup {
			return false
		}
		seen[writes[i].CheckID] = struct{}{}
	}
	return true
}

// culprit rolls back after a failed batch and names what failed: the owner of the failing
// statement if the error is about its data, else the whole batch.
func culprit(ctx context.Context, conn *pgxpool.Conn, owner []int, at int, err error) (int, error) {
	if !conn.Conn().PgConn().IsClosed() {
		// The transaction is aborted; a failed ROLLBACK leaves the connection out of the
		// idle state, and the pool then discards it.
		conn.Exec(ctx, "ROLLBACK")
	}
	if at >= 0 && at < len(owner) && writeSpecific(err) {
		return owner[at], err
	}
	return badBatch, err
}

// run is a pipelined batch whose statements each belong to a write (owner).
type run struct {
	b     pgx.Batch
	owner []int      // per statement: write index, badBulk or badBatch
	ids   []*[]int64 // per statement: where its RETURNING ids go, or nil
	tags  []pgconn.CommandTag
}

func newRun() *run { return &run{} }

func (r *run) queue(owner int, ids *[]int64, sql string, args ...any) {
	r.b.Queue(sql, args...)
	r.owner = append(r.owner, owner)
	r.ids = append(r.ids, ids)
}

// run sends the batch and reads every result. On failure it returns the index of the
// statement that failed (-1 when unknown).
func (r *run) run(ctx context.Context, conn *pgxpool.Conn) (int, error) {
	br := conn.SendBatch(ctx, &r.b)
	r.tags = make([]pgconn.CommandTag, len(r.owner))
	for k := range r.owner {
		if r.ids[k] == nil {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return k, err
			}
			r.tags[k] = tag
			continue
		}
		rows, _ := br.Query()
		var id int64
		_, err := pgx.ForEachRow(rows, []any{&id}, func() error {
			*r.ids[k] = append(*r.ids[k], id)
			return nil
		})
		if err != nil {
			br.Close()
			return k, err
		}
	}
	if err := br.Close(); err != nil {
		return -1, err
	}
	return -1, nil
}

// queueBulk queues the pings, prunes, flips and outbox rows of the live writes as one
// multi-row statement each.
func queueBulk(r *run, writes []persistence.Write, live []int) {
	var (
		p      pingCols
		pruneC []int64
		pruneN []int64
		f      flipCols
		o      outboxCols
	)
	for _, i := range live {
		w := &writes[i]
		if w.Delete {
			o.add(w)
			continue
		}
		if w.Ping != nil {
			p.add(w.CheckID, w.Ping)
		}
		if w.PruneBelow > 0 {
			pruneC, pruneN = append(pruneC, w.CheckID), append(pruneN, w.PruneBelow)
		}
		if w.Flip != nil {
			f.add(w.CheckID, w.Flip)
		}
		o.add(w)
	}
	if len(p.checkID) > 0 {
		r.queue(badBulk, nil, sqlInsPings, p.checkID, p.n, p.at, p.kind, p.exit, p.rid, p.method, p.ip, p.ua, p.body, p.reqID, p.reason)
	}
	if len(pruneC) > 0 {
		r.queue(badBulk, nil, sqlPruneBatch, pruneC, pruneN)
	}
	if len(f.id) > 0 {
		r.queue(badBulk, nil, sqlInsFlips, f.id, f.checkID, f.at, f.from, f.to, f.reason, f.node)
	}
	if len(o.userID) > 0 {
		r.queue(badBulk, nil, sqlInsOutboxes, o.userID, o.checkID, o.kind, o.channel, o.destHash, o.destEnc,
			o.payload, o.key, o.status, o.attempts, o.next, o.claimedBy, o.claimUntil, o.lastError,
			o.created, o.delivered)
	}
}

// queueWrite queues the statements of write i that follow its check-row update: all of them
// when appends is set, else only those queueBulk leaves out (channel settings, deletes).
func queueWrite(r *run, w *persistence.Write, i int, appends bool) {
	q := func(sql string, args ...any) { r.queue(i, nil, sql, args...) }
	if w.Delete {
		q(sqlDelPings, w.CheckID)
		q(sqlDelFlips, w.CheckID)
		q(sqlDelChannels, w.CheckID)
		if appends {
			for k := range w.Outbox {
				q(outboxInsert, outboxArgs(&w.Outbox[k], w.CheckID)...)
			}
		}
		return
	}
	if appends {
		if p := w.Ping; p != nil {
			q(sqlInsPing, w.CheckID, p.N, ms(p.At), cleanText(p.Kind), p.ExitStatus, cleanText(p.RID),
				cleanText(p.Method), cleanText(p.RemoteIP), cleanText(p.UserAgent), blob(p.Body),
				cleanText(p.RequestID), cleanText(p.Reason))
		}
		if w.PruneBelow > 0 {
			q(sqlPrune, w.CheckID, w.PruneBelow)
		}
		if f := w.Flip; f != nil {
			q(sqlInsFlip, f.ID, w.CheckID, ms(f.At), f.From, f.To, f.Reason, f.Node)
		}
		for k := range w.Outbox {
			q(outboxInsert, outboxArgs(&w.Outbox[k], w.CheckID)...)
		}
	}
	if ch := w.Channel; ch != nil {
		q(sqlUpsertChannel, w.CheckID, ch.Name, ch.Enabled, blob(ch.ConfigEnc))
	}
}

// stateTypes are the SQL types of schema.StateColumns, in order.
var stateTypes = []string{"text", "bigint", "text", "bigint", "text", "bigint", "bigint",
	"bigint", "bigint", "bigint", "bigint", "bigint", "integer", "text", "boolean", "integer",
	"bigint", "text", "bytea", "bigint", "bigint", "text"}

// typedParams renders "$1::t1[], $2::t2[], …" for unnest.
func typedParams(types ...string) string {
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("$%d::%s[]", i+1, t)
	}
	return strings.Join(parts, ", ")
}

// fromValues renders "a = v.a, b = v.b, …".
func fromValues(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + " = v." + c
	}
	return strings.Join(parts, ", ")
}

// stateCols, pingCols, flipCols and outboxCols gather rows column by column for unnest.
type stateCols struct {
	id, version                                              []int64
	status, lastPingKind, lastStartRID, downFlip, lastReason []string
	lastPing, lastStart, lastDur, nextDue, nextDeadline      []*int64
	runDeadline, realertDue, nextWakeAt                      []*int64
	nPings, flipSeq                                          []int64
	failureCount, realertCount                               []int32
	downAlerted                                              []bool
	flapHistory                                              [][]byte
	flapSince, suppressUntil                                 []*int64
	lastSentStatus                                           []string
}

func (c *stateCols) add(w *persistence.Write) {
	s := &w.State
	c.id = append(c.id, w.CheckID)
	c.version = append(c.version, w.ExpectVersion)
	c.status = append(c.status, s.Status)
	c.lastPing = append(c.lastPing, ms(s.LastPing))
	c.lastPingKind = append(c.lastPingKind, s.LastPingKind)
	c.lastStart = append(c.lastStart, ms(s.LastStart))
	c.lastStartRID = append(c.lastStartRID, s.LastStartRID)
	c.lastDur = append(c.lastDur, durMS(s.LastDuration))
	c.nextDue = append(c.nextDue, ms(s.NextDue))
	c.nextDeadline = append(c.nextDeadline, ms(s.NextDeadline))
	c.runDeadline = append(c.runDeadline, ms(s.RunDeadline))
	c.realertDue = append(c.realertDue, ms(s.RealertDue))
	c.nextWakeAt = append(c.nextWakeAt, ms(s.NextWakeAt))
	c.nPings = append(c.nPings, s.NPings)
	c.failureCount = append(c.failureCount, s.FailureCount)
	c.downFlip = append(c.downFlip, s.DownFlip)
	c.downAlerted = append(c.downAlerted, s.DownAlerted)
	c.realertCount = append(c.realertCount, s.RealertCount)
	c.flipSeq = append(c.flipSeq, s.FlipSeq)
	c.lastReason = append(c.lastReason, s.LastReason)
	c.flapHistory = append(c.flapHistory, encodeTimes(s.FlapHistory))
	c.flapSince = append(c.flapSince, ms(s.FlapSince))
	c.suppressUntil = append(c.suppressUntil, ms(s.SuppressUntil))
	c.lastSentStatus = append(c.lastSentStatus, s.LastSentStatus)
}

// args follows the order of sqlUpdStates (id, version, then schema.StateColumns).
func (c *stateCols) args() []any {
	return []any{c.id, c.version, c.status, c.lastPing, c.lastPingKind, c.lastStart,
		c.lastStartRID, c.lastDur, c.nextDue, c.nextDeadline, c.runDeadline, c.realertDue,
		c.nextWakeAt, c.nPings, c.failureCount, c.downFlip, c.downAlerted, c.realertCount,
		c.flipSeq, c.lastReason, c.flapHistory, c.flapSince, c.suppressUntil, c.lastSentStatus}
}

type pingCols struct {
	checkID, n                               []int64
	at                                       []*int64
	kind, rid, method, ip, ua, reqID, reason []string
	exit                                     []int32
	body                                     [][]byte
}

func (c *pingCols) add(checkID int64, p *messages.PingRecord) {
	c.checkID = append(c.checkID, checkID)
	c.n = append(c.n, p.N)
	c.at = append(c.at, ms(p.At))
	c.kind = append(c.kind, cleanText(p.Kind))
	c.exit = append(c.exit, p.ExitStatus)
	c.rid = append(c.rid, cleanText(p.RID))
	c.method = append(c.method, cleanText(p.Method))
	c.ip = append(c.ip, cleanText(p.RemoteIP))
	c.ua = append(c.ua, cleanText(p.UserAgent))
	c.body = append(c.body, blob(p.Body))
	c.reqID = append(c.reqID, cleanText(p.RequestID))
	c.reason = append(c.reason, cleanText(p.Reason))
}

type flipCols struct {
	id, from, to, reason, node []string
	checkID                    []int64
	at                         []*int64
}

func (c *flipCols) add(checkID int64, f *messages.Flip) {
	c.id = append(c.id, f.ID)
	c.checkID = append(c.checkID, checkID)
	c.at = append(c.at, ms(f.At))
	c.from = append(c.from, f.From)
	c.to = append(c.to, f.To)
	c.reason = append(c.reason, f.Reason)
	c.node = append(c.node, f.Node)
}

type outboxCols struct {
	userID, checkID                            []int64
	kind, channel, destHash, status, claimedBy []string
	lastError                                  []string
	destEnc, payload                           [][]byte
	key                                        []*string
	attempts                                   []int32
	next, claimUntil, created, delivered       []*int64
}

func (c *outboxCols) add(w *persistence.Write) {
	for k := range w.Outbox {
		o := &w.Outbox[k]
		checkID := o.CheckID
		if checkID == 0 {
			checkID = w.CheckID
		}
		status := o.Status
		if status == "" {
			status = messages.OutboxPending
		}
		c.userID = append(c.userID, o.UserID)
		c.checkID = append(c.checkID, checkID)
		c.kind = append(c.kind, o.Kind)
		c.channel = append(c.channel, o.Channel)
		c.destHash = append(c.destHash, o.DestHash)
		c.destEnc = append(c.destEnc, blob(o.DestEnc))
		c.payload = append(c.payload, blob(o.Payload))
		c.key = append(c.key, nullStr(o.IdempotencyKey))
		c.status = append(c.status, status)
		c.attempts = append(c.attempts, o.Attempts)
		c.next = append(c.next, ms(o.NextAttemptAt))
		c.claimedBy = append(c.claimedBy, o.ClaimedBy)
		c.claimUntil = append(c.claimUntil, ms(o.ClaimUntil))
		c.lastError = append(c.lastError, o.LastError)
		c.created = append(c.created, ms(o.CreatedAt))
		c.delivered = append(c.delivered, ms(o.DeliveredAt))
	}
}

// wakeChunk is how many wake-ups ForEachWake reads per query.
const wakeChunk = 1000

// ForEachWake calls fn for every check with a wake-up time. It reads in chunks in id order,
// so no connection is held while fn runs and memory stays bounded.
func (s *Store) ForEachWake(ctx context.Context, fn func(checkID int64, at time.Time) error) error {
	ids := make([]int64, 0, wakeChunk)
	ats := make([]int64, 0, wakeChunk)
	var after int64
	for {
		ids, ats = ids[:0], ats[:0]
		rows, err := s.pool.Query(ctx, `SELECT id, next_wake_at FROM checks
			WHERE id > $1 AND next_wake_at IS NOT NULL ORDER BY id LIMIT $2`, after, wakeChunk)
		if err != nil {
			return fmt.Errorf("for each wake: %w", s.mapErr(err))
		}
		var id, at int64
		_, err = pgx.ForEachRow(rows, []any{&id, &at}, func() error {
			ids, ats = append(ids, id), append(ats, at)
			return nil
		})
		if err != nil {
			return fmt.Errorf("for each wake: %w", s.mapErr(err))
		}
		for k := range ids {
			if err := fn(ids[k], time.UnixMilli(ats[k]).UTC()); err != nil {
				return err
			}
		}
		if len(ids) < wakeChunk {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// ForEachCheck calls fn for every check's id, status and wake-up, in chunks in id order.
func (s *Store) ForEachCheck(ctx context.Context, fn func(persistence.CheckEntry) error) error {
	buf := make([]persistence.CheckEntry, 0, wakeChunk)
	var after int64
	for {
		buf = buf[:0]
		rows, err := s.pool.Query(ctx, `SELECT id, status, next_wake_at FROM checks
			WHERE id > $1 ORDER BY id LIMIT $2`, after, wakeChunk)
		if err != nil {
			return fmt.Errorf("for each check: %w", s.mapErr(err))
		}
		var (
			e  persistence.CheckEntry
			at *int64
		)
		_, err = pgx.ForEachRow(rows, []any{&e.CheckID, &e.Status, &at}, func() error {
			e.WakeAt = time.Time{}
			if at != nil {
				e.WakeAt = time.UnixMilli(*at).UTC()
			}
			buf = append(buf, e)
			return nil
		})
		if err != nil {
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
	rows, err := s.pool.Query(ctx, `SELECT id, next_wake_at FROM checks
		WHERE next_wake_at <= $1 ORDER BY next_wake_at, id LIMIT $2`, t.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("due checks: %w", s.mapErr(err))
	}
	out, err := collect(rows, func(r pgx.Row) (persistence.Wake, error) {
		var (
			w  persistence.Wake
			at int64
		)
		err := r.Scan(&w.CheckID, &at)
		w.At = time.UnixMilli(at).UTC()
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("due checks: %w", s.mapErr(err))
	}
	return out, nil
}

// ExtendDeadlines moves every deadline, wake-up and the end of flap suppression within
// [from, to] later by by and bumps the versions of the checks it changes.
func (s *Store) ExtendDeadlines(ctx context.Context, from, to time.Time, by time.Duration) (int64, error) {
	in := func(col string) string { return col + " BETWEEN $1 AND $2" }
	move := func(col string) string {
		return col + " = CASE WHEN " + in(col) + " THEN " + col + " + $3 ELSE " + col + " END"
	}
	tag, err := s.pool.Exec(ctx, `UPDATE checks SET `+
		move("next_deadline")+`, `+move("run_deadline")+`, `+move("realert_due")+`, `+move("next_wake_at")+`,
		`+move("suppress_until")+`, version = version + 1
		WHERE `+in("next_deadline")+` OR `+in("run_deadline")+` OR `+in("realert_due")+` OR `+in("next_wake_at")+`
		OR `+in("suppress_until"),
		from.UnixMilli(), to.UnixMilli(), by.Milliseconds())
	if err != nil {
		return 0, fmt.Errorf("extend deadlines: %w", s.mapErr(err))
	}
	return tag.RowsAffected(), nil
}

// claimFree is the condition under which a pending outbox row's claim does not hold at now
// ($1): there is none, it expired, or its claimer's lease row says the lease ended before
// $2 (now - persistence.LeaseSkew). A claimer without a lease row is judged by claim_until
// alone. Inside an OR the EXISTS stays a subplan probing the nodes primary key (or a
// hashed subplan over the small nodes table); either way a claim racing with this one is
// rechecked against the claimer it now has.
const claimFree = `(claimed_by = '' OR claim_until IS NULL OR claim_until < $1
	OR EXISTS (SELECT 1 FROM nodes WHERE nodes.node_id = outbox.claimed_by AND nodes.lease_until < $2))`

// lapsed is the time before which a claimer's lease must have ended for its claims to be
// taken over at now.
func lapsed(now time.Time) int64 { return now.Add(-persistence.LeaseSkew).UnixMilli() }

// DueDestinations returns destinations with pending rows due at now that no live claim
// holds.
func (s *Store) DueDestinations(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT dest_hash FROM outbox
		WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
		AND `+claimFree+` LIMIT $3`, now.UnixMilli(), lapsed(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due destinations: %w", s.mapErr(err))
	}
	out, err := collect(rows, func(r pgx.Row) (string, error) {
		var h string
		return h, r.Scan(&h)
	})
	if err != nil {
		return nil, fmt.Errorf("due destinations: %w", s.mapErr(err))
	}
	return out, nil
}

// PendingOutbox returns a destination's pending rows in FIFO order.
func (s *Store) PendingOutbox(ctx context.Context, destHash string, limit int) ([]messages.OutboxRow, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE dest_hash = $1 AND status = 'pending' ORDER BY id LIMIT $2`, destHash, limit)
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", s.mapErr(err))
	}
	out, err := collect(rows, scanOutbox)
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", s.mapErr(err))
	}
	return out, nil
}

// CountPendingOutbox returns how many pending rows a destination has.
func (s *Store) CountPendingOutbox(ctx context.Context, destHash string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE dest_hash = $1 AND status = 'pending'`, destHash).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending outbox: %w", s.mapErr(err))
	}
	return n, nil
}

// ClaimOutbox claims a pending row for node until the given time, unless another node holds
// a claim that has not expired at now and whose lease (if it has a lease row) has not
// lapsed.
func (s *Store) ClaimOutbox(ctx context.Context, id int64, node string, now, until time.Time) (bool, error) {
	if node == "" {
		return false, messages.Errorf(messages.EInvalid, "claim outbox: empty node id")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET claimed_by = $3, claim_until = $4
		WHERE id = $5 AND status = 'pending' AND (claimed_by = $3 OR `+claimFree+`)`,
		now.UnixMilli(), lapsed(now), node, until.UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("claim outbox %d: %w", id, s.mapErr(err))
	}
	return tag.RowsAffected() == 1, nil
}

// FinishOutbox records a send's outcome if node still holds the claim, releases the claim,
// and updates the channel's last status when r.ChannelStatus is set — in one statement.
func (s *Store) FinishOutbox(ctx context.Context, r persistence.OutboxResult) (bool, error) {
	if r.Node == "" {
		return false, messages.Errorf(messages.EInvalid, "finish outbox: empty node id")
	}
	var n int64
	err := s.pool.QueryRow(ctx, `WITH o AS (
			UPDATE outbox SET status = $3, attempts = $4, next_attempt_at = $5, last_error = $6,
				delivered_at = $7, claimed_by = '', claim_until = NULL
			WHERE id = $1 AND claimed_by = $2
			RETURNING check_id, channel
		), c AS (
			UPDATE channels ch SET last_status = $8, last_message = $9, last_at = $10
			FROM o WHERE $8 <> '' AND ch.check_id = o.check_id AND ch.name = o.channel
		)
		SELECT count(*) FROM o`,
		r.ID, r.Node, r.Status, r.Attempts, ms(r.NextAttemptAt), r.LastError, ms(r.DeliveredAt),
		r.ChannelStatus, r.ChannelMessage, ms(r.At)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("finish outbox %d: %w", r.ID, s.mapErr(err))
	}
	return n == 1, nil
}

// InsertOutbox adds rows outside a check write (test sends), all or none. A row whose
// idempotency key exists already is skipped; the ID of each inserted row is set in rows.
func (s *Store) InsertOutbox(ctx context.Context, rows []messages.OutboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	// A batch outside a transaction runs as one implicit transaction.
	b := &pgx.Batch{}
	for i := range rows {
		b.Queue(outboxInsert+` RETURNING id`, outboxArgs(&rows[i], 0)...)
	}
	br := s.pool.SendBatch(ctx, b)
	ids := make([]int64, len(rows))
	for i := range rows {
		err := br.QueryRow().Scan(&ids[i])
		if err != nil && !errors.Is(err, pgx.ErrNoRows) { // no row: a duplicate, already queued
			br.Close()
			return fmt.Errorf("insert outbox: %w", s.mapErr(err))
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("insert outbox: %w", s.mapErr(err))
	}
	for i := range rows {
		if ids[i] != 0 {
			rows[i].ID = ids[i]
		}
	}
	return nil
}

// RenewLease upserts the node's lease row; until overwrites the previous value, so a
// release (an earlier time) takes effect.
func (s *Store) RenewLease(ctx context.Context, nodeID string, until time.Time) error {
	if nodeID == "" || until.IsZero() {
		return messages.Errorf(messages.EInvalid, "renew lease: empty node id or time")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO nodes (node_id, lease_until) VALUES ($1, $2)
		ON CONFLICT (node_id) DO UPDATE SET lease_until = excluded.lease_until`, nodeID, until.UnixMilli())
	if err != nil {
		return fmt.Errorf("renew lease of %s: %w", nodeID, s.mapErr(err))
	}
	return nil
}

// LiveNodes returns the ids of the nodes whose lease runs past now, sorted.
func (s *Store) LiveNodes(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT node_id FROM nodes WHERE lease_until > $1 ORDER BY node_id`, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("live nodes: %w", s.mapErr(err))
	}
	out, err := collect(rows, func(r pgx.Row) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("live nodes: %w", s.mapErr(err))
	}
	return out, nil
}

// PruneNodes deletes the rows of nodes whose lease ended before before and that claim no
// pending outbox row (only a pending row's claim is ever taken over; the anti-join reads
// the pending rows through outbox_status_next_attempt_idx).
func (s *Store) PruneNodes(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM nodes WHERE lease_until < $1
		AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.status = 'pending' AND outbox.claimed_by = nodes.node_id)`,
		before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune nodes: %w", s.mapErr(err))
	}
	return tag.RowsAffected(), nil
}

// LoadRateState returns a destination's persisted rate state; false when it has none.
func (s *Store) LoadRateState(ctx context.Context, destHash string) (messages.RateState, bool, error) {
	var (
		st           messages.RateState
		until, updAt *int64
	)
	err := s.pool.QueryRow(ctx, `SELECT rps, burst, tokens, backoff_level, backoff_until, updated_at
		FROM notifier_state WHERE dest_hash = $1`, destHash).
		Scan(&st.RPS, &st.Burst, &st.Tokens, &st.BackoffLevel, &until, &updAt)
	if errors.Is(err, pgx.ErrNoRows) {
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
	_, err := s.pool.Exec(ctx, `INSERT INTO notifier_state
		(dest_hash, rps, burst, tokens, backoff_level, backoff_until, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (dest_hash) DO UPDATE SET rps = excluded.rps, burst = excluded.burst,
			tokens = excluded.tokens, backoff_level = excluded.backoff_level,
			backoff_until = excluded.backoff_until, updated_at = excluded.updated_at`,
		destHash, st.RPS, st.Burst, st.Tokens, st.BackoffLevel, ms(st.BackoffUntil), ms(st.UpdatedAt))
	if err != nil {
		return fmt.Errorf("save rate state: %w", s.mapErr(err))
	}
	return nil
}

// resealTable is one table whose sealed values Reseal rewrites, read in keyset order.
type resealTable struct {
	name string
	// sel locks and reads the batch after the given key (id, name) with its limit; its
	// columns are what scan reads.
	sel     string
	selArgs func(after resealRow, limit int) []any
	scan    func(pgx.Row) (resealRow, error)
	// upd writes the batch's new values in one statement; updArgs gives its arguments.
	upd     string
	updArgs func(rows []resealRow) []any
}

// resealRow is one sealed value with its row's primary key; sealed holds the new value once
// f has run.
type resealRow struct {
	id     int64  // users.id, channels.check_id, outbox.id
	name   string // channels.name
	sealed persistence.Sealed
}

var resealTables = []resealTable{
	{
		name: "users",
		sel: `SELECT id, ping_key_enc, ping_key_index FROM users
			WHERE id > $1 AND ping_key_enc IS NOT NULL ORDER BY id LIMIT $2 FOR UPDATE`,
		selArgs: func(after resealRow, limit int) []any { return []any{after.id, limit} },
		scan: func(row pgx.Row) (resealRow, error) {
			var r resealRow
			err := row.Scan(&r.id, &r.sealed.Value, &r.sealed.Index)
			r.sealed.Table, r.sealed.Key = "users", strconv.FormatInt(r.id, 10)
			return r, err
		},
		upd: `UPDATE users u SET ping_key_enc = v.enc, ping_key_index = v.idx
			FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS v(id, enc, idx) WHERE u.id = v.id`,
		updArgs: func(rows []resealRow) []any {
			ids, encs, idxs := make([]int64, len(rows)), make([][]byte, len(rows)), make([][]byte, len(rows))
			for k, r := range rows {
				ids[k], encs[k], idxs[k] = r.id, r.sealed.Value, blob(r.sealed.Index)
			}
			return []any{ids, encs, idxs}
		},
	},
	{
		name: "channels",
		sel: `SELECT check_id, name, user_id, config_enc FROM channels
			WHERE (check_id, name) > ($1, $2) AND config_enc IS NOT NULL
			ORDER BY check_id, name LIMIT $3 FOR UPDATE`,
		selArgs: func(after resealRow, limit int) []any { return []any{after.id, after.name, limit} },
		scan: func(row pgx.Row) (resealRow, error) {
			var r resealRow
			err := row.Scan(&r.id, &r.name, &r.sealed.UserID, &r.sealed.Value)
			r.sealed.Table, r.sealed.Key = "channels", strconv.FormatInt(r.id, 10)+":"+r.name
			return r, err
		},
		upd: `UPDATE channels c SET config_enc = v.enc
			FROM unnest($1::bigint[], $2::text[], $3::bytea[]) AS v(check_id, name, enc)
			WHERE c.check_id = v.check_id AND c.name = v.name`,
		updArgs: func(rows []resealRow) []any {
			ids, names, encs := make([]int64, len(rows)), make([]string, len(rows)), make([][]byte, len(rows))
			for k, r := range rows {
				ids[k], names[k], encs[k] = r.id, r.name, r.sealed.Value
			}
			return []any{ids, names, encs}
		},
	},
	{
		name: "outbox",
		// Every row, delivered and failed ones too: the old key can go only when no value
		// sealed under it is left.
		sel: `SELECT id, user_id, idempotency_key, dest_enc FROM outbox
			WHERE id > $1 AND dest_enc IS NOT NULL ORDER BY id LIMIT $2 FOR UPDATE`,
		selArgs: func(after resealRow, limit int) []any { return []any{after.id, limit} },
		scan: func(row pgx.Row) (resealRow, error) {
			var (
				r   resealRow
				key *string
			)
			err := row.Scan(&r.id, &r.sealed.UserID, &key, &r.sealed.Value)
			r.sealed.Table = "outbox"
			if key != nil {
				r.sealed.Key = *key
			}
			return r, err
		},
		upd: `UPDATE outbox o SET dest_enc = v.enc
			FROM unnest($1::bigint[], $2::bytea[]) AS v(id, enc) WHERE o.id = v.id`,
		updArgs: func(rows []resealRow) []any {
			ids, encs := make([]int64, len(rows)), make([][]byte, len(rows))
			for k, r := range rows {
				ids[k], encs[k] = r.id, r.sealed.Value
			}
			return []any{ids, encs}
		},
	},
	{
		name: "destinations",
		sel: `SELECT id, user_id, code, config_enc FROM destinations
			WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE`,
		selArgs: func(after resealRow, limit int) []any { return []any{after.id, limit} },
		scan: func(row pgx.Row) (resealRow, error) {
			var r resealRow
			err := row.Scan(&r.id, &r.sealed.UserID, &r.sealed.Key, &r.sealed.Value)
			r.sealed.Table = "destinations"
			return r, err
		},
		upd: `UPDATE destinations d SET config_enc = v.enc
			FROM unnest($1::bigint[], $2::bytea[]) AS v(id, enc) WHERE d.id = v.id`,
		updArgs: func(rows []resealRow) []any {
			ids, encs := make([]int64, len(rows)), make([][]byte, len(rows))
			for k, r := range rows {
				ids[k], encs[k] = r.id, r.sealed.Value
			}
			return []any{ids, encs}
		},
	},
}

// Reseal calls f for every sealed value (users' ping keys, channels' settings, every outbox
// row's destination, destinations' settings) and writes back what it returns. It reads each table in keyset order,
// a batch at a time; a batch is read with its rows locked (FOR UPDATE), passed to f and
// written in one transaction, so nothing written meanwhile is overwritten with an older
// value. f must be quick and must not use the store: it runs while the batch holds its row
// locks.
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
	if s.closed.Load() {
		return 0, after, false, persistence.Unavailable(errors.New("postgres: store closed"))
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, after, false, s.mapErr(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, t.sel, t.selArgs(after, s.resealBatchSize)...)
	if err != nil {
		return 0, after, false, s.mapErr(err)
	}
	batch, err := collect(rows, t.scan)
	if err != nil {
		return 0, after, false, s.mapErr(err)
	}
	if len(batch) == 0 {
		return 0, after, false, nil
	}
	last := batch[len(batch)-1]
	changed := batch[:0:0]
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
		r.sealed = v
		changed = append(changed, r)
	}
	if len(changed) > 0 {
		if _, err := tx.Exec(ctx, t.upd, t.updArgs(changed)...); err != nil {
			return 0, after, false, s.mapErr(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, after, false, s.mapErr(err)
	}
	return len(changed), last, len(batch) == s.resealBatchSize, nil
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
	if s.closed.Load() {
		return 0, persistence.Unavailable(errors.New("postgres: store closed"))
	}
	total := 0
	for oldHash, newHash := range renames {
		if oldHash == newHash {
			continue
		}
		err := func() error {
			tx, err := s.pool.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			tag, err := tx.Exec(ctx, `UPDATE outbox SET dest_hash = $1 WHERE dest_hash = $2`, newHash, oldHash)
			if err != nil {
				return err
			}
			total += int(tag.RowsAffected())
			if _, err := tx.Exec(ctx, `UPDATE notifier_state SET dest_hash = $1 WHERE dest_hash = $2
				AND NOT EXISTS (SELECT 1 FROM notifier_state WHERE dest_hash = $1)`, newHash, oldHash); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM notifier_state WHERE dest_hash = $1`, oldHash); err != nil {
				return err
			}
			return tx.Commit(ctx)
		}()
		if err != nil {
			return total, fmt.Errorf("rename destination: %w", s.mapErr(err))
		}
	}
	return total, nil
}
