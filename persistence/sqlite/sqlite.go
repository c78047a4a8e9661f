package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ttr-rip/ttr/migrations"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/internal/sqlstore"
)

var _ persistence.Store = (*Store)(nil)

// Store is the SQLite implementation of persistence.Store. It is safe for concurrent use.
type Store struct {
	*sqlstore.Store // every query both dialects share

	w      *sql.DB // exactly one connection: every write
	r      *sql.DB // read-only connections
	stmts  commitStmts
	comb   *combiner     // shares commits among small concurrent writes (see combine.go)
	ckpt   *checkpointer // copies the WAL into the database in the background
	unlock func()        // releases the shared lock that keeps `ttrd vacuum` away
	closed atomic.Bool
}

type config struct {
	busyTimeout time.Duration
	readers     int
	resealBatch int
	// checkpointEvery is the background checkpoint interval, checkpointRestart the WAL
	// frames above which it restarts the WAL (tests shorten both).
	checkpointEvery   time.Duration
	checkpointRestart int
}

// Option configures Open.
type Option func(*config)

// WithBusyTimeout sets how long a connection waits for a lock held by another process before
// failing with SQLITE_BUSY (default 5s). Within one process the single writer never waits.
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) { c.busyTimeout = d }
}

// WithReaders sets the size of the read-only connection pool (default max(4, GOMAXPROCS)).
func WithReaders(n int) Option {
	return func(c *config) { c.readers = n }
}

// WithResealBatch sets how many values Reseal reads, rewrites and commits at a time (default
// 200): each batch holds the write lock while f runs on it.
func WithResealBatch(n int) Option {
	return func(c *config) { c.resealBatch = n }
}

// Open opens (creating it if needed) the database file at path, applies pending migrations
// and prepares the write statements. The path must not contain '?'.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{busyTimeout: 5 * time.Second, readers: max(4, runtime.GOMAXPROCS(0)), resealBatch: 200,
		checkpointEvery: checkpointInterval, checkpointRestart: restartFrames}
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	cfg.readers = max(cfg.readers, 1)
	cfg.resealBatch = max(cfg.resealBatch, 1)
	if err := ownerOnly(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	unlock, err := lockFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w (ttrd vacuum is running)", path, err)
	}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	// FULL: a commit is durable once Commit returns (NORMAL may lose the last commits on
	// power loss in WAL mode). Never lower.
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "1")
	// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails half-way
	// when it first writes.
	q.Set("_txlock", "immediate")
	// Performance, not durability: the writer's page cache holds the hot pages of the
	// checks table and its indexes (SQLite's default of 2 MB does not at 10k checks, and
	// every miss is a pread under the write lock), and the writer never checkpoints: the
	// checkpointer does, in the background (checkpoint.go).
	q.Add("_pragma", "cache_size(-65536)")
	q.Add("_pragma", "wal_autocheckpoint(0)")
	w, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		unlock()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	s := &Store{w: w, comb: newCombiner(w), unlock: unlock}
	if err := w.PingContext(ctx); err != nil {
		s.comb.close()
		w.Close()
		unlock()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrations.Up(ctx, w, migrations.SQLite); err != nil {
		s.comb.close()
		w.Close()
		unlock()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}

	rq := url.Values{}
	rq.Set("_busy_timeout", strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10))
	rq.Set("_query_only", "1")
	rq.Add("_pragma", "cache_size(-16384)")
	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		s.comb.close()
		w.Close()
		unlock()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(cfg.readers)
	r.SetMaxIdleConns(cfg.readers)
	s.r = r
	s.Store = sqlstore.New(sqlstore.Config{
		Dialect: &dialect,
		Read:    sqlstore.DB{DB: r},
		Write:   sqlstore.DB{DB: w},
		Begin: func(ctx context.Context) (sqlstore.Tx, error) {
			tx, err := w.BeginTx(ctx, nil)
			return sqlstore.SQLTx{Tx: tx}, err
		},
		ReadTx: func(ctx context.Context) (sqlstore.Tx, error) {
			tx, err := r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			return sqlstore.SQLTx{Tx: tx}, err
		},
		Combine: func(ctx context.Context, fn func(context.Context, sqlstore.Querier) error) error {
			return s.comb.do(ctx, func(ctx context.Context, tx *sql.Tx) error { return fn(ctx, sqlstore.SQLTx{Tx: tx}) })
		},
		Closed:      &s.closed,
		PruneInTx:   true,
		ResealBatch: cfg.resealBatch,
	})
	cq := url.Values{}
	cq.Set("_busy_timeout", strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10))
	c, err := sql.Open("sqlite", path+"?"+cq.Encode())
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	c.SetMaxOpenConns(1)
	s.ckpt = newCheckpointer(c, cfg.checkpointEvery, cfg.checkpointRestart, slog.Default())
	if err := s.stmts.prepare(ctx, w); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	// The WAL and shared-memory files exist now (SQLite gives them the database's mode, but
	// ones left by an earlier run keep theirs).
	if err := ownerOnly(path); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return s, nil
}

// Ping checks that both the writer and a reader answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return s.mapErr(err)
	}
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return s.mapErr(err)
	}
	return nil
}

// Describe names the store and its durability settings.
func (s *Store) Describe() string { return "sqlite (WAL, synchronous=FULL)" }

// Close closes every connection. Later calls answer Unavailable.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.comb.close()
	var err error
	if s.ckpt != nil {
		s.ckpt.close()
		err = s.ckpt.db.Close()
	}
	s.stmts.close()
	err = errors.Join(err, s.w.Close())
	if s.r != nil {
		err = errors.Join(err, s.r.Close())
	}
	s.unlock()
	return err
}

// dialect is SQLite's: ? placeholders, bytewise text order by default, errors told by
// the driver's result codes.
var dialect = sqlstore.Dialect{
	Name:        "sqlite",
	Anonymous:   true,
	Contains:    func(col, p string) string { return "instr(" + col + ", " + p + ") > 0" },
	Greatest:    "max",
	ILike:       "LIKE",
	Unique:      unique,
	Unavailable: func(err error) bool { return strings.Contains(err.Error(), "sql: database is closed") },
}

// mapErr turns driver errors into the Store's error contract.
func (s *Store) mapErr(err error) error { return dialect.MapErr(err, s.closed.Load()) }

// uniqueColumns are the unique constraints the store's contract names, by the columns SQLite
// names in a violation ("checks.user_id, checks.slug").
var uniqueColumns = []struct {
	cols string
	c    sqlstore.Constraint
}{
	{"users.slug", sqlstore.UserSlug},
	{"checks.user_id, checks.slug", sqlstore.CheckSlug},
	{"checks.uuid", sqlstore.CheckUUID},
	{"pings.check_id, pings.n", sqlstore.PingNumber},
	{"admins.username", sqlstore.AdminUsername},
	{"telegram_links.telegram_id", sqlstore.TelegramID},
	{"destinations.code", sqlstore.DestinationCode},
	{"status_pages.user_id, status_pages.slug", sqlstore.StatusPageSlug},
}

// unique names the constraint a UNIQUE or PRIMARY KEY violation names by its columns.
func unique(err error) sqlstore.Constraint {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return sqlstore.NoConstraint
	}
	if se.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE && se.Code() != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return sqlstore.NoConstraint
	}
	msg := se.Error()
	const marker = "constraint failed: "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return sqlstore.OtherUnique
	}
	cols := msg[i+len(marker):]
	for _, u := range uniqueColumns {
		if strings.HasPrefix(cols, u.cols) {
			return u.c
		}
	}
	return sqlstore.OtherUnique
}

// isConstraint reports whether err is about the data of one statement (a constraint, a value
// too big or of the wrong type), so that the write it belongs to can be answered alone.
func isConstraint(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
		return true
	}
	return false
}
