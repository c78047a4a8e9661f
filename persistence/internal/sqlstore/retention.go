package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The background pruner's queries across users (persistence.RetentionStore,
// docs/operations.md "Retention"). Every delete removes at most a given number of rows through
// an indexed subquery, so one statement is short whatever the table's size.

// finished is the outbox statuses a row never leaves; written as the partial index
// outbox_finished_created_idx (migration 00014) says, so SQLite recognises the index.
const finished = `status IN ('delivered', 'failed')`

type retentionSQL struct {
	pingSpans, prunePingsOf, pruneFlips, pruneOutbox string
	oldest                                           map[string]string
}

func newRetentionSQL(r func(string) string) retentionSQL {
	return retentionSQL{
		// Each check of the page with its newest n and its oldest kept n (an index probe of
		// pings_check_n_key each), so the pruner deletes only where there is something to.
		pingSpans: r(`SELECT c.id, c.n_pings, (SELECT min(p.n) FROM pings p WHERE p.check_id = c.id)
			FROM (SELECT id, n_pings FROM checks WHERE id > $1 ORDER BY id LIMIT $2) c ORDER BY c.id`),
		prunePingsOf: r(`DELETE FROM pings WHERE id IN
			(SELECT id FROM pings WHERE check_id = $1 AND n <= $2 ORDER BY n LIMIT $3)`),
		pruneFlips: r(`DELETE FROM flips WHERE id IN
			(SELECT id FROM flips WHERE at < $1 LIMIT $2)`),
		pruneOutbox: r(`DELETE FROM outbox WHERE id IN
			(SELECT id FROM outbox WHERE ` + finished + ` AND created_at < $1 LIMIT $2)`),
		// Each answered from an index: the pings' key is in append order.
		oldest: map[string]string{
			persistence.TablePings:       `SELECT at FROM pings ORDER BY id LIMIT 1`,
			persistence.TableFlips:       `SELECT min(at) FROM flips`,
			persistence.TableOutbox:      `SELECT min(created_at) FROM outbox WHERE ` + finished,
			persistence.TableActivity:    `SELECT min(at) FROM auth_activity`,
			persistence.TableRetiredKeys: `SELECT min(retired_at) FROM retired_credentials`,
		},
	}
}

// pingSpan is one check as PrunePings sees it.
type pingSpan struct {
	checkID, newest int64
	oldest          sql.NullInt64 // NULL: no pings
}

// PrunePings deletes the pings beyond each check's newest keep, a page of checks at a time.
func (s *Store) PrunePings(ctx context.Context, keep, afterID int64, scan, limit int) (persistence.PingPruneStep, error) {
	var step persistence.PingPruneStep
	if keep < 1 || scan < 1 || limit < 1 {
		return step, messages.Errorf(messages.EInvalid, "prune pings: keep %d, scan %d, limit %d: want each at least 1", keep, scan, limit)
	}
	spans, err := query(ctx, s.cfg.Read, func(r Row) (pingSpan, error) {
		var p pingSpan
		return p, r.Scan(&p.checkID, &p.newest, &p.oldest)
	}, s.q.pingSpans, afterID, scan)
	if err != nil {
		return step, fmt.Errorf("prune pings: %w", s.mapErr(err))
	}
	step.Next, step.Done = afterID, len(spans) < scan
	if len(spans) > 0 {
		step.Next = spans[len(spans)-1].checkID
	}
	err = s.pruneWrites(ctx, func(q Querier) error {
		for _, sp := range spans {
			cut := sp.newest - keep // n <= cut goes
			if !sp.oldest.Valid || sp.oldest.Int64 > cut {
				continue
			}
			budget := int64(limit) - step.Deleted
			n, err := q.Exec(ctx, s.q.prunePingsOf, sp.checkID, cut, budget)
			if err != nil {
				return err
			}
			step.Deleted += n
			if n == budget { // the rest waits for the next call
				step.Next, step.Done = sp.checkID, false
				if sp.oldest.Int64+n <= cut { // more of this check: walk it again
					step.Next = sp.checkID - 1
				}
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return persistence.PingPruneStep{}, fmt.Errorf("prune pings: %w", s.mapErr(err))
	}
	return step, nil
}

// pruneWrites runs the deletes of one pruning step: in one transaction where the store says
// so (Config.PruneInTx), else statement by statement.
func (s *Store) pruneWrites(ctx context.Context, fn func(q Querier) error) error {
	if !s.cfg.PruneInTx {
		return fn(s.cfg.Write)
	}
	tx, err := s.cfg.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// PruneFlips deletes up to limit flips recorded before before.
func (s *Store) PruneFlips(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.prune(ctx, "prune flips", s.q.pruneFlips, before, limit)
}

// PruneOutbox deletes up to limit delivered or failed outbox rows created before before.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.prune(ctx, "prune outbox", s.q.pruneOutbox, before, limit)
}

// OldestRows returns the time of the oldest row of each pruned table that has one.
func (s *Store) OldestRows(ctx context.Context) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(s.q.oldest))
	for table, q := range s.q.oldest {
		var at sql.NullInt64
		err := s.cfg.Read.QueryRow(ctx, q).Scan(&at)
		if errors.Is(err, sql.ErrNoRows) { // pgx.ErrNoRows wraps it
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("oldest row of %s: %w", table, s.mapErr(err))
		}
		if at.Valid {
			out[table] = FromMS(at)
		}
	}
	return out, nil
}
