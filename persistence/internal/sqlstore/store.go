package sqlstore

import (
	"context"
	"sync/atomic"
)

// Config is what a store hands New: its dialect, its connections and the few write paths
// that differ.
type Config struct {
	Dialect *Dialect
	// Read runs the API's and the system's reads (SQLite: the read-only pool).
	Read Querier
	// Write runs the writes outside Commit (SQLite: the single writer connection).
	Write Querier
	// Begin starts a write transaction (InsertOutbox, Reseal).
	Begin func(ctx context.Context) (Tx, error)
	// ReadTx, when set, starts a read-only transaction on Read for LoadCheck's snapshot.
	ReadTx func(ctx context.Context) (Tx, error)
	// Combine runs a small write (an outbox claim, a rate state). SQLite shares one commit
	// among concurrent ones; nil runs fn on Write.
	Combine func(ctx context.Context, fn func(ctx context.Context, q Querier) error) error
	// Closed is the store's closed flag: once set, errors are Unavailable.
	Closed *atomic.Bool
	// PruneInTx runs the deletes of one PrunePings call in one transaction on Write (SQLite:
	// one commit, one fsync, and no other writer to deadlock with). Otherwise each delete
	// commits alone, so the pruner's row locks never span checks whose pings a group commit
	// is trimming at the same time (PostgreSQL).
	PruneInTx bool
	// ResealBatch is how many values Reseal reads, rewrites and commits at a time.
	ResealBatch int
	// ResealUpdate writes a batch of resealed values of one table in tx; nil writes one
	// UPDATE per value (see ResealTable.Update).
	ResealUpdate func(ctx context.Context, tx Querier, t *ResealTable, rows []ResealRow) error
}

// Store implements every method of persistence.Store whose SQL both dialects share. A store
// embeds it and adds Commit, FinishOutbox, Ping, Describe and Close.
type Store struct {
	cfg Config
	d   *Dialect
	q   queries
}

// queries holds every shared statement rendered for the dialect, once.
type queries struct {
	userSQL
	checkSQL
	systemSQL
	outboxSQL
	leaseSQL
	rateSQL
	adminSQL
	badgeSQL
	siteSQL
	cleanupSQL
	telegramSQL
	credentialSQL
	destinationSQL
	accountSQL
	statusPageSQL
	retentionSQL
}

// New builds the shared part of a store; every query is rendered for the dialect here.
func New(cfg Config) *Store {
	if cfg.Combine == nil {
		w := cfg.Write
		cfg.Combine = func(ctx context.Context, fn func(context.Context, Querier) error) error { return fn(ctx, w) }
	}
	if cfg.Closed == nil {
		cfg.Closed = new(atomic.Bool)
	}
	cfg.ResealBatch = max(cfg.ResealBatch, 1)
	s := &Store{cfg: cfg, d: cfg.Dialect}
	r := cfg.Dialect.Rebind
	s.q.userSQL = newUserSQL(r)
	s.q.checkSQL = newCheckSQL(cfg.Dialect)
	s.q.systemSQL = newSystemSQL(r)
	s.q.outboxSQL = newOutboxSQL(r)
	s.q.leaseSQL = newLeaseSQL(r)
	s.q.rateSQL = newRateSQL(r)
	s.q.adminSQL = newAdminSQL(cfg.Dialect)
	s.q.badgeSQL = newBadgeSQL(cfg.Dialect)
	s.q.siteSQL = newSiteSQL(cfg.Dialect)
	s.q.cleanupSQL = newCleanupSQL(r)
	s.q.telegramSQL = newTelegramSQL(r)
	s.q.credentialSQL = newCredentialSQL(r)
	s.q.destinationSQL = newDestinationSQL(r)
	s.q.accountSQL = newAccountSQL(cfg.Dialect)
	s.q.statusPageSQL = newStatusPageSQL(cfg.Dialect)
	s.q.retentionSQL = newRetentionSQL(r)
	return s
}

// mapErr applies the error contract (Dialect.MapErr).
func (s *Store) mapErr(err error) error { return s.d.MapErr(err, s.cfg.Closed.Load()) }

// Collect scans every row with scan and closes rows.
func Collect[T any](rows Rows, scan func(Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// query runs a query and collects its rows.
func query[T any](ctx context.Context, q Querier, scan func(Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return Collect(rows, scan)
}

func scanString(r Row) (string, error) {
	var s string
	return s, r.Scan(&s)
}
