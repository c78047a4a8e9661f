package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/internal/schema"
	"github.com/ttr-rip/ttr/persistence/internal/sqlstore"
)

// This file holds what PostgreSQL runs its own way, all of it system queries (they name no
// user): the group commit, pipelined; activation's three reads in one round trip; the outcome
// of a delivery in one statement; Reseal's batch updates through unnest.

// LoadCheck loads a check for its actor with its channels and the request ids of its newest
// pings, in one round trip.
func (s *Store) LoadCheck(ctx context.Context, checkID int64, recent int) (messages.Check, []messages.Channel, []string, error) {
	b := &pgx.Batch{}
	b.Queue(sqlstore.LoadCheckSQL, checkID)
	b.Queue(sqlstore.LoadChannelsSQL, checkID)
	if recent > 0 {
		b.Queue(sqlstore.RecentRIDsSQL, checkID, recent)
	}
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	c, err := sqlstore.ScanCheck(br.QueryRow())
	if err != nil {
		return messages.Check{}, nil, nil, s.mapErr(err)
	}
	fail := func(err error) (messages.Check, []messages.Channel, []string, error) {
		return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
	}
	rows, err := br.Query()
	if err != nil {
		return fail(err)
	}
	chs, err := sqlstore.Collect(rows, sqlstore.ScanChannel)
	if err != nil {
		return fail(err)
	}
	var rids []string
	if recent > 0 {
		rows, err := br.Query()
		if err != nil {
			return fail(err)
		}
		all, err := sqlstore.Collect(rows, func(r sqlstore.Row) (rid string, err error) { return rid, r.Scan(&rid) })
		if err != nil {
			return fail(err)
		}
		rids = sqlstore.RequestIDs(all)
	}
	if err := br.Close(); err != nil {
		return fail(err)
	}
	return c, chs, rids, nil
}

// The statements of Commit: the single-row ones of sqlstore.CommitSQL, and multi-row
// versions that take a column of values per array parameter (unnest). pgx prepares and
// caches each on every connection.
var (
	commitSQL = dialect.CommitSQL()

	// sqlUpdStates is the state update for many checks (each at most once): it returns the
	// ids of the rows whose version matched.
	sqlUpdStates = `UPDATE checks AS c SET ` + fromValues(schema.StateColumns) + `, version = c.version + 1
		FROM unnest(` + typedParams(append([]string{"bigint", "bigint"}, stateTypes...)...) + `)
			AS v(id, version, ` + strings.Join(schema.StateColumns, ", ") + `)
		WHERE c.id = v.id AND c.version = v.version
		RETURNING c.id`

	sqlInsPings = `INSERT INTO pings (check_id, n, at, kind, exit_status, rid, method, remote_ip, user_agent, body, request_id, reason, forwarded_proto)
		SELECT v.check_id, v.n, v.at, v.kind, v.exit_status, v.rid, v.method, v.remote_ip, v.user_agent, v.body, v.request_id, v.reason, v.forwarded_proto
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::integer[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::bytea[], $11::text[], $12::text[], $13::text[])
			AS v(check_id, n, at, kind, exit_status, rid, method, remote_ip, user_agent, body, request_id, reason, forwarded_proto)`

	sqlPruneBatch = `DELETE FROM pings p USING unnest($1::bigint[], $2::bigint[]) AS v(check_id, n)
		WHERE p.check_id = v.check_id AND p.n <= v.n`

	sqlInsFlips = `INSERT INTO flips (` + sqlstore.FlipColumns + `)
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
			out[bad] = dialect.WriteOutcome(err)
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
			rb.queue(i, nil, commitSQL[sqlstore.DelCheck], w.CheckID, w.ExpectVersion)
		case w.Config != nil:
			args := sqlstore.ConfigArgs(sqlstore.StateArgs(nil, &w.State), w.Config, w.ConfigVersion)
			rb.queue(i, nil, commitSQL[sqlstore.UpdStateConfig], append(args, w.CheckID, w.ExpectVersion)...)
		default:
			rb.queue(i, nil, commitSQL[sqlstore.UpdState], append(sqlstore.StateArgs(nil, &w.State), w.CheckID, w.ExpectVersion)...)
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
		r.queue(badBulk, nil, sqlInsPings, p.checkID, p.n, p.at, p.kind, p.exit, p.rid, p.method, p.ip, p.ua, p.body, p.reqID, p.reason, p.proto)
	}
	if len(pruneC) > 0 {
		r.queue(badBulk, nil, sqlPruneBatch, pruneC, pruneN)
	}
	if len(f.id) > 0 {
		r.queue(badBulk, nil, sqlInsFlips, f.id, f.checkID, f.at, f.from, f.to, f.reason, f.node)
		// Each mark reads the one before it: one statement per flip, in the writes' order
		// (two flips of a check in one batch stay in order). Flips are rare next to pings.
		for _, i := range live {
			if w := &writes[i]; !w.Delete && w.Flip != nil {
				r.queue(i, nil, commitSQL[sqlstore.InsMark], sqlstore.MarkArgs(w.CheckID, w.Flip)...)
			}
		}
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
	q := func(st int, args ...any) { r.queue(i, nil, commitSQL[st], args...) }
	outbox := func() {
		for k := range w.Outbox {
			q(sqlstore.InsOutbox, sqlstore.OutboxArgs(nil, &w.Outbox[k], w.CheckID)...)
		}
	}
	if w.Delete {
		q(sqlstore.DelPings, w.CheckID)
		q(sqlstore.DelFlips, w.CheckID)
		q(sqlstore.DelChannels, w.CheckID)
		q(sqlstore.DelMarks, w.CheckID)
		q(sqlstore.DelPageChecks, w.CheckID)
		if appends {
			outbox() // alerts already due are still delivered: outbox rows outlive the check
		}
		return
	}
	if appends {
		if p := w.Ping; p != nil {
			q(sqlstore.InsPing, sqlstore.PingArgs(nil, w.CheckID, p)...)
		}
		if w.PruneBelow > 0 {
			q(sqlstore.Prune, w.CheckID, w.PruneBelow)
		}
		if f := w.Flip; f != nil {
			q(sqlstore.InsFlip, sqlstore.FlipArgs(nil, w.CheckID, f)...)
			q(sqlstore.InsMark, sqlstore.MarkArgs(w.CheckID, f)...)
		}
		outbox()
	}
	if ch := w.Channel; ch != nil {
		q(sqlstore.UpsertChannel, sqlstore.ChannelArgs(w.CheckID, ch)...)
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
	c.status = append(c.status, string(s.Status))
	c.lastPing = append(c.lastPing, msp(s.LastPing))
	c.lastPingKind = append(c.lastPingKind, string(s.LastPingKind))
	c.lastStart = append(c.lastStart, msp(s.LastStart))
	c.lastStartRID = append(c.lastStartRID, s.LastStartRID)
	c.lastDur = append(c.lastDur, durp(s.LastDuration))
	c.nextDue = append(c.nextDue, msp(s.NextDue))
	c.nextDeadline = append(c.nextDeadline, msp(s.NextDeadline))
	c.runDeadline = append(c.runDeadline, msp(s.RunDeadline))
	c.realertDue = append(c.realertDue, msp(s.RealertDue))
	c.nextWakeAt = append(c.nextWakeAt, msp(s.NextWakeAt))
	c.nPings = append(c.nPings, s.NPings)
	c.failureCount = append(c.failureCount, s.FailureCount)
	c.downFlip = append(c.downFlip, s.DownFlip)
	c.downAlerted = append(c.downAlerted, s.DownAlerted)
	c.realertCount = append(c.realertCount, s.RealertCount)
	c.flipSeq = append(c.flipSeq, s.FlipSeq)
	c.lastReason = append(c.lastReason, s.LastReason)
	c.flapHistory = append(c.flapHistory, sqlstore.EncodeTimes(s.FlapHistory))
	c.flapSince = append(c.flapSince, msp(s.FlapSince))
	c.suppressUntil = append(c.suppressUntil, msp(s.SuppressUntil))
	c.lastSentStatus = append(c.lastSentStatus, string(s.LastSentStatus))
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
	proto                                    []string
	exit                                     []int32
	body                                     [][]byte
}

func (c *pingCols) add(checkID int64, p *messages.PingRecord) {
	c.checkID = append(c.checkID, checkID)
	c.n = append(c.n, p.N)
	c.at = append(c.at, msp(p.At))
	c.kind = append(c.kind, sqlstore.CleanText(string(p.Kind)))
	c.exit = append(c.exit, p.ExitStatus)
	c.rid = append(c.rid, sqlstore.CleanText(p.RID))
	c.method = append(c.method, sqlstore.CleanText(p.Method))
	c.ip = append(c.ip, sqlstore.CleanText(p.RemoteIP))
	c.ua = append(c.ua, sqlstore.CleanText(p.UserAgent))
	c.body = append(c.body, blob(p.Body))
	c.reqID = append(c.reqID, sqlstore.CleanText(p.RequestID))
	c.reason = append(c.reason, sqlstore.CleanText(p.Reason))
	c.proto = append(c.proto, sqlstore.CleanText(p.ForwardedProto))
}

type flipCols struct {
	id, from, to, reason, node []string
	checkID                    []int64
	at                         []*int64
}

func (c *flipCols) add(checkID int64, f *messages.Flip) {
	c.id = append(c.id, f.ID)
	c.checkID = append(c.checkID, checkID)
	c.at = append(c.at, msp(f.At))
	c.from = append(c.from, string(f.From))
	c.to = append(c.to, string(f.To))
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
		o := sqlstore.OutboxRow(&w.Outbox[k], w.CheckID)
		c.userID = append(c.userID, o.UserID)
		c.checkID = append(c.checkID, o.CheckID)
		c.kind = append(c.kind, string(o.Kind))
		c.channel = append(c.channel, string(o.Channel))
		c.destHash = append(c.destHash, o.DestHash)
		c.destEnc = append(c.destEnc, blob(o.DestEnc))
		c.payload = append(c.payload, blob(o.Payload))
		c.key = append(c.key, nullStr(o.IdempotencyKey))
		c.status = append(c.status, string(o.Status))
		c.attempts = append(c.attempts, o.Attempts)
		c.next = append(c.next, msp(o.NextAttemptAt))
		c.claimedBy = append(c.claimedBy, o.ClaimedBy)
		c.claimUntil = append(c.claimUntil, msp(o.ClaimUntil))
		c.lastError = append(c.lastError, o.LastError)
		c.created = append(c.created, msp(o.CreatedAt))
		c.delivered = append(c.delivered, msp(o.DeliveredAt))
	}
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
		r.ID, r.Node, string(r.Status), r.Attempts, sqlstore.MS(r.NextAttemptAt), r.LastError, sqlstore.MS(r.DeliveredAt),
		string(r.ChannelStatus), r.ChannelMessage, sqlstore.MS(r.At)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("finish outbox %d: %w", r.ID, s.mapErr(err))
	}
	return n == 1, nil
}

// resealUpdates write a batch of resealed values of a table in one statement.
var resealUpdates = map[string]struct {
	sql  string
	args func(rows []sqlstore.ResealRow) []any
}{
	"users": {
		sql: `UPDATE users u SET ping_key_enc = v.enc, ping_key_index = v.idx
			FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS v(id, enc, idx) WHERE u.id = v.id`,
		args: func(rows []sqlstore.ResealRow) []any {
			ids, encs, idxs := make([]int64, len(rows)), make([][]byte, len(rows)), make([][]byte, len(rows))
			for k, r := range rows {
				ids[k], encs[k], idxs[k] = r.ID, r.Sealed.Value, blob(r.Sealed.Index)
			}
			return []any{ids, encs, idxs}
		},
	},
	"channels": {
		sql: `UPDATE channels c SET config_enc = v.enc
			FROM unnest($1::bigint[], $2::text[], $3::bytea[]) AS v(check_id, name, enc)
			WHERE c.check_id = v.check_id AND c.name = v.name`,
		args: func(rows []sqlstore.ResealRow) []any {
			ids, names, encs := make([]int64, len(rows)), make([]string, len(rows)), make([][]byte, len(rows))
			for k, r := range rows {
				ids[k], names[k], encs[k] = r.ID, r.Name, r.Sealed.Value
			}
			return []any{ids, names, encs}
		},
	},
	"outbox": {
		sql: `UPDATE outbox o SET dest_enc = v.enc
			FROM unnest($1::bigint[], $2::bytea[]) AS v(id, enc) WHERE o.id = v.id`,
		args: idsAndValues,
	},
	"destinations": {
		sql: `UPDATE destinations d SET config_enc = v.enc
			FROM unnest($1::bigint[], $2::bytea[]) AS v(id, enc) WHERE d.id = v.id`,
		args: idsAndValues,
	},
}

// idsAndValues are the arrays of a batch update keyed by id.
func idsAndValues(rows []sqlstore.ResealRow) []any {
	ids, encs := make([]int64, len(rows)), make([][]byte, len(rows))
	for k, r := range rows {
		ids[k], encs[k] = r.ID, r.Sealed.Value
	}
	return []any{ids, encs}
}

// resealUpdate writes a batch of resealed values in one statement (sqlstore.Config.ResealUpdate).
func resealUpdate(ctx context.Context, tx sqlstore.Querier, t *sqlstore.ResealTable, rows []sqlstore.ResealRow) error {
	u, ok := resealUpdates[t.Name]
	if !ok {
		return fmt.Errorf("reseal: no batch update for table %s", t.Name)
	}
	_, err := tx.Exec(ctx, u.sql, u.args(rows)...)
	return err
}

// msp, durp, blob and nullStr are sqlstore's MS, DurMS, Blob and NullStr typed for the
// arrays unnest reads.
func msp(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

func durp(d time.Duration) *int64 {
	if d < 0 {
		return nil
	}
	v := d.Milliseconds()
	return &v
}

func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
