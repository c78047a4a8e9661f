package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/internal/schema"
)

// This file holds the system queries: the ones that do not name a user (resolving a public
// UUID, activation by id, wheel loads, the sweeper, the outbox, node leases and the
// notifiers' rate state; Commit's statements are in commit.go and Reseal's in reseal.go).
// Every other query names the user in its WHERE clause.

// The three reads of LoadCheck, for a store that sends them its own way (written for
// PostgreSQL; Rebind them for another dialect).
const (
	LoadCheckSQL    = `SELECT ` + schema.CheckColumns + ` FROM checks WHERE id = $1`
	LoadChannelsSQL = `SELECT ` + channelColumns + ` FROM channels WHERE check_id = $1 ORDER BY name`
	RecentRIDsSQL   = `SELECT request_id FROM pings WHERE check_id = $1 ORDER BY n DESC LIMIT $2`
)

type systemSQL struct {
	loadCheck, loadChannels, recentRIDs, resolveUUID string
	checks, dueChecks, extendDeadlines               string
}

func newSystemSQL(r func(string) string) systemSQL {
	in := func(col string) string { return col + " BETWEEN $1 AND $2" }
	move := func(col string) string {
		return col + " = CASE WHEN " + in(col) + " THEN " + col + " + $3 ELSE " + col + " END"
	}
	return systemSQL{
		loadCheck:    r(LoadCheckSQL),
		loadChannels: r(LoadChannelsSQL),
		recentRIDs:   r(RecentRIDsSQL),
		resolveUUID:  r(`SELECT ` + refColumns + ` FROM checks WHERE uuid = $1`),
		checks: r(`SELECT id, status, next_wake_at FROM checks
			WHERE id > $1 ORDER BY id LIMIT $2`),
		dueChecks: r(`SELECT id, next_wake_at FROM checks
			WHERE next_wake_at IS NOT NULL AND next_wake_at <= $1 ORDER BY next_wake_at, id LIMIT $2`),
		extendDeadlines: r(`UPDATE checks SET ` +
			move("next_deadline") + `, ` + move("run_deadline") + `, ` + move("realert_due") + `, ` +
			move("next_wake_at") + `, ` + move("suppress_until") + `, version = version + 1
			WHERE ` + in("next_deadline") + ` OR ` + in("run_deadline") + ` OR ` + in("realert_due") +
			` OR ` + in("next_wake_at") + ` OR ` + in("suppress_until")),
	}
}

// ResolveUUID finds a check by its public UUID. The UUID is the capability, so no user is
// named.
func (s *Store) ResolveUUID(ctx context.Context, uuid string) (messages.CheckRef, error) {
	ref, err := scanRef(s.cfg.Read.QueryRow(ctx, s.q.resolveUUID, uuid))
	if err != nil {
		return messages.CheckRef{}, s.mapErr(err)
	}
	return ref, nil
}

// LoadCheck loads a check for its actor with its channels and the request ids of its newest
// pings, in a read transaction where the store has one (Config.ReadTx), so that the three
// are one snapshot.
func (s *Store) LoadCheck(ctx context.Context, checkID int64, recent int) (messages.Check, []messages.Channel, []string, error) {
	q := s.cfg.Read
	if s.cfg.ReadTx != nil {
		tx, err := s.cfg.ReadTx(ctx)
		if err != nil {
			return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
		}
		defer tx.Rollback(ctx)
		q = tx
	}
	c, err := ScanCheck(q.QueryRow(ctx, s.q.loadCheck, checkID))
	if err != nil {
		return messages.Check{}, nil, nil, s.mapErr(err)
	}
	chs, err := query(ctx, q, ScanChannel, s.q.loadChannels, checkID)
	if err != nil {
		return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
	}
	var rids []string
	if recent > 0 {
		all, err := query(ctx, q, scanString, s.q.recentRIDs, checkID, recent)
		if err != nil {
			return messages.Check{}, nil, nil, fmt.Errorf("load check %d: %w", checkID, s.mapErr(err))
		}
		rids = RequestIDs(all)
	}
	return c, chs, rids, nil
}

// RequestIDs keeps the request ids that are set, in order.
func RequestIDs(all []string) []string {
	var rids []string
	for _, rid := range all {
		if rid != "" {
			rids = append(rids, rid)
		}
	}
	return rids
}

// ForEachCheck calls fn for every check's id, status and wake-up, in id order.
func (s *Store) ForEachCheck(ctx context.Context, fn func(persistence.CheckEntry) error) error {
	var ferr error
	err := inChunks(ctx, s.cfg.Read, s.q.checks, func(row Row) (persistence.CheckEntry, error) {
		var (
			e  persistence.CheckEntry
			at sql.NullInt64
		)
		err := row.Scan(&e.CheckID, (*string)(&e.Status), &at)
		e.WakeAt = FromMS(at)
		return e, err
	}, func(e persistence.CheckEntry) int64 { return e.CheckID },
		func(e persistence.CheckEntry) error { ferr = fn(e); return ferr })
	switch {
	case ferr != nil:
		return ferr
	case err != nil:
		return fmt.Errorf("for each check: %w", s.mapErr(err))
	}
	return nil
}

// wakeChunk is how many rows inChunks reads per query.
const wakeChunk = 1000

// inChunks calls fn for every row of query (which takes the last id read and a limit, and
// orders by id), wakeChunk rows at a time: no connection or read transaction is held while
// fn runs, and memory stays bounded.
func inChunks[T any](ctx context.Context, q Querier, query string, scan func(Row) (T, error), id func(T) int64, fn func(T) error) error {
	buf := make([]T, 0, wakeChunk)
	var after int64
	for {
		rows, err := q.Query(ctx, query, after, wakeChunk)
		if err != nil {
			return err
		}
		buf = buf[:0]
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				rows.Close()
				return err
			}
			buf = append(buf, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, v := range buf {
			if err := fn(v); err != nil {
				return err
			}
		}
		if len(buf) < wakeChunk {
			return nil
		}
		after = id(buf[len(buf)-1])
	}
}

func scanWake(row Row) (persistence.Wake, error) {
	var (
		w  persistence.Wake
		at int64
	)
	err := row.Scan(&w.CheckID, &at)
	w.At = time.UnixMilli(at).UTC()
	return w, err
}

// DueChecks returns up to limit checks whose wake-up is at or before t, earliest first.
func (s *Store) DueChecks(ctx context.Context, t time.Time, limit int) ([]persistence.Wake, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, scanWake, s.q.dueChecks, t.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("due checks: %w", s.mapErr(err))
	}
	return out, nil
}

// ExtendDeadlines moves every deadline, wake-up and the end of flap suppression within
// [from, to] later by by and bumps the versions of the checks it changes.
func (s *Store) ExtendDeadlines(ctx context.Context, from, to time.Time, by time.Duration) (int64, error) {
	n, err := s.cfg.Write.Exec(ctx, s.q.extendDeadlines, from.UnixMilli(), to.UnixMilli(), by.Milliseconds())
	if err != nil {
		return 0, fmt.Errorf("extend deadlines: %w", s.mapErr(err))
	}
	return n, nil
}

// claimFree is the condition under which a pending outbox row's claim does not hold at now
// ($1): there is none, it expired, or its claimer's lease row says the lease ended before
// $2 (now - persistence.LeaseSkew). A claimer without a lease row is judged by claim_until
// alone. The lease is looked up by the nodes primary key (on PostgreSQL, inside an OR, the
// EXISTS stays a subplan probing it, or a hashed subplan over the small nodes table); either
// way a claim racing with this one is rechecked against the claimer it now has.
const claimFree = `(claimed_by = '' OR claim_until IS NULL OR claim_until < $1
	OR EXISTS (SELECT 1 FROM nodes WHERE nodes.node_id = outbox.claimed_by AND nodes.lease_until < $2))`

// lapsed is the time before which a claimer's lease must have ended for its claims to be
// taken over at now.
func lapsed(now time.Time) int64 { return now.Add(-persistence.LeaseSkew).UnixMilli() }

type outboxSQL struct {
	dueDestinations, pendingOutbox, countPendingOutbox, claimOutbox, insertOutbox string
}

func newOutboxSQL(r func(string) string) outboxSQL {
	return outboxSQL{
		dueDestinations: r(`SELECT DISTINCT dest_hash FROM outbox
			WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
			AND ` + claimFree + ` LIMIT $3`),
		pendingOutbox: r(`SELECT ` + outboxColumns + ` FROM outbox
			WHERE dest_hash = $1 AND status = 'pending' ORDER BY id LIMIT $2`),
		countPendingOutbox: r(`SELECT count(*) FROM outbox WHERE dest_hash = $1 AND status = 'pending'`),
		claimOutbox: r(`UPDATE outbox SET claimed_by = $3, claim_until = $4
			WHERE id = $5 AND status = 'pending' AND (claimed_by = $3 OR ` + claimFree + `)`),
		insertOutbox: r(insertOutboxSQL),
	}
}

// DueDestinations returns destinations with pending rows due at now that no live claim
// holds.
func (s *Store) DueDestinations(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, scanString, s.q.dueDestinations, now.UnixMilli(), lapsed(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due destinations: %w", s.mapErr(err))
	}
	return out, nil
}

// PendingOutbox returns a destination's pending rows in FIFO order.
func (s *Store) PendingOutbox(ctx context.Context, destHash string, limit int) ([]messages.OutboxRow, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, scanOutbox, s.q.pendingOutbox, destHash, limit)
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", s.mapErr(err))
	}
	return out, nil
}

// CountPendingOutbox returns how many pending rows a destination has.
func (s *Store) CountPendingOutbox(ctx context.Context, destHash string) (int, error) {
	var n int
	if err := s.cfg.Read.QueryRow(ctx, s.q.countPendingOutbox, destHash).Scan(&n); err != nil {
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
	var n int64
	err := s.cfg.Combine(ctx, func(ctx context.Context, q Querier) (err error) {
		n, err = q.Exec(ctx, s.q.claimOutbox, now.UnixMilli(), lapsed(now), node, until.UnixMilli(), id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim outbox %d: %w", id, s.mapErr(err))
	}
	return n == 1, nil
}

// InsertOutbox adds rows outside a check write (test sends), all or none. A row whose
// idempotency key exists already is skipped; the ID of each inserted row is set in rows.
func (s *Store) InsertOutbox(ctx context.Context, rows []messages.OutboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx Querier) error {
		for i := range rows {
			var id int64
			err := tx.QueryRow(ctx, s.q.insertOutbox+` RETURNING id`, OutboxArgs(nil, &rows[i], 0)...).Scan(&id)
			switch err = s.mapErr(err); err {
			case messages.ErrNotFound: // a duplicate: already queued
			case nil:
				rows[i].ID = id
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert outbox: %w", s.mapErr(err))
	}
	return nil
}

// inTx runs fn in a write transaction and commits it unless fn fails.
func (s *Store) inTx(ctx context.Context, fn func(tx Querier) error) error {
	tx, err := s.cfg.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

type leaseSQL struct {
	renewLease, liveNodes, pruneNodes string
}

func newLeaseSQL(r func(string) string) leaseSQL {
	return leaseSQL{
		renewLease: r(`INSERT INTO nodes (node_id, lease_until) VALUES ($1, $2)
			ON CONFLICT (node_id) DO UPDATE SET lease_until = excluded.lease_until`),
		liveNodes: r(`SELECT node_id FROM nodes WHERE lease_until > $1 ORDER BY node_id`),
		// Only a pending row's claim is ever taken over; the anti-join reads the pending rows
		// through outbox_status_next_attempt_idx.
		pruneNodes: r(`DELETE FROM nodes WHERE lease_until < $1
			AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.status = 'pending' AND outbox.claimed_by = nodes.node_id)`),
	}
}

// RenewLease upserts the node's lease row; until overwrites the previous value, so a
// release (an earlier time) takes effect.
func (s *Store) RenewLease(ctx context.Context, nodeID string, until time.Time) error {
	if nodeID == "" || until.IsZero() {
		return messages.Errorf(messages.EInvalid, "renew lease: empty node id or time")
	}
	if _, err := s.cfg.Write.Exec(ctx, s.q.renewLease, nodeID, until.UnixMilli()); err != nil {
		return fmt.Errorf("renew lease of %s: %w", nodeID, s.mapErr(err))
	}
	return nil
}

// LiveNodes returns the ids of the nodes whose lease runs past now, sorted.
func (s *Store) LiveNodes(ctx context.Context, now time.Time) ([]string, error) {
	out, err := query(ctx, s.cfg.Read, scanString, s.q.liveNodes, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("live nodes: %w", s.mapErr(err))
	}
	return out, nil
}

// PruneNodes deletes the rows of nodes whose lease ended before before and that claim no
// pending outbox row.
func (s *Store) PruneNodes(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.cfg.Write.Exec(ctx, s.q.pruneNodes, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune nodes: %w", s.mapErr(err))
	}
	return n, nil
}

type rateSQL struct {
	loadRateState, saveRateState                   string
	renameOutbox, renameRateState, deleteRateState string
}

func newRateSQL(r func(string) string) rateSQL {
	return rateSQL{
		loadRateState: r(`SELECT rps, burst, tokens, backoff_level, backoff_until, updated_at
			FROM notifier_state WHERE dest_hash = $1`),
		saveRateState: r(`INSERT INTO notifier_state
			(dest_hash, rps, burst, tokens, backoff_level, backoff_until, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (dest_hash) DO UPDATE SET rps = excluded.rps, burst = excluded.burst,
				tokens = excluded.tokens, backoff_level = excluded.backoff_level,
				backoff_until = excluded.backoff_until, updated_at = excluded.updated_at`),
		renameOutbox: r(`UPDATE outbox SET dest_hash = $1 WHERE dest_hash = $2`),
		renameRateState: r(`UPDATE notifier_state SET dest_hash = $1 WHERE dest_hash = $2
			AND NOT EXISTS (SELECT 1 FROM notifier_state WHERE dest_hash = $1)`),
		deleteRateState: r(`DELETE FROM notifier_state WHERE dest_hash = $1`),
	}
}

// LoadRateState returns a destination's persisted rate state; false when it has none.
func (s *Store) LoadRateState(ctx context.Context, destHash string) (messages.RateState, bool, error) {
	var (
		st           messages.RateState
		until, updAt sql.NullInt64
	)
	err := s.cfg.Read.QueryRow(ctx, s.q.loadRateState, destHash).
		Scan(&st.RPS, &st.Burst, &st.Tokens, &st.BackoffLevel, &until, &updAt)
	switch err = s.mapErr(err); err {
	case nil:
		st.BackoffUntil, st.UpdatedAt = FromMS(until), FromMS(updAt)
		return st, true, nil
	case messages.ErrNotFound:
		return messages.RateState{}, false, nil
	default:
		return messages.RateState{}, false, fmt.Errorf("load rate state: %w", err)
	}
}

// SaveRateState upserts a destination's rate state.
func (s *Store) SaveRateState(ctx context.Context, destHash string, st messages.RateState) error {
	if err := persistence.ValidateRateState(destHash, st); err != nil {
		return err
	}
	err := s.cfg.Combine(ctx, func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, s.q.saveRateState,
			destHash, st.RPS, st.Burst, st.Tokens, st.BackoffLevel, MS(st.BackoffUntil), MS(st.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("save rate state: %w", s.mapErr(err))
	}
	return nil
}
