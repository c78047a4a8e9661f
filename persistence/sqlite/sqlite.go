package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/migrations"
	"github.com/ttr-rip/ttr/persistence"
)

var _ persistence.Store = (*Store)(nil)

// Store is the SQLite implementation of persistence.Store. It is safe for concurrent use.
type Store struct {
	w      *sql.DB // exactly one connection: every write
	r      *sql.DB // read-only connections
	stmts  commitStmts
	comb   *combiner     // shares commits among small concurrent writes (see combine.go)
	ckpt   *checkpointer // copies the WAL into the database in the background
	closed atomic.Bool

	resealBatchSize int
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
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	s := &Store{w: w, resealBatchSize: cfg.resealBatch, comb: newCombiner(w)}
	if err := w.PingContext(ctx); err != nil {
		s.comb.close()
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrations.Up(ctx, w, migrations.SQLite); err != nil {
		s.comb.close()
		w.Close()
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
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(cfg.readers)
	r.SetMaxIdleConns(cfg.readers)
	s.r = r
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
	return err
}

// mapErr turns driver errors into the Store's error contract.
func (s *Store) mapErr(err error) error {
	if err == nil {
		return nil
	}
	var me *messages.Error
	if errors.As(err, &me) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return messages.ErrNotFound
	}
	if s.closed.Load() || strings.Contains(err.Error(), "sql: database is closed") {
		return persistence.Unavailable(err)
	}
	if c := uniqueConstraint(err); c != "" {
		if e := conflictFor(c); e != nil {
			return e
		}
	}
	return err
}

// uniqueConstraint returns the columns named by a UNIQUE or PRIMARY KEY violation
// ("checks.user_id, checks.slug"), or "".
func uniqueConstraint(err error) string {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return ""
	}
	if se.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE && se.Code() != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return ""
	}
	msg := se.Error()
	const marker = "constraint failed: "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return "?"
	}
	cols := msg[i+len(marker):]
	if j := strings.Index(cols, " ("); j >= 0 {
		cols = cols[:j] // "checks.uuid (2067)"
	}
	return strings.TrimSpace(cols)
}

// conflictFor maps a violated unique constraint a user can cause to EConflict.
func conflictFor(cols string) error {
	switch {
	case strings.HasPrefix(cols, "users.slug"):
		return &messages.Error{Code: messages.EConflict, Message: "user slug already in use"}
	case strings.HasPrefix(cols, "checks.user_id, checks.slug"):
		return &messages.Error{Code: messages.EConflict, Message: "slug already in use"}
	case strings.HasPrefix(cols, "checks.uuid"):
		return &messages.Error{Code: messages.EConflict, Message: "uuid already in use"}
	case strings.HasPrefix(cols, "admins.username"):
		return &messages.Error{Code: messages.EConflict, Message: "username already in use"}
	case strings.HasPrefix(cols, "telegram_links.telegram_id"):
		return &messages.Error{Code: messages.EConflict, Message: "this Telegram account is linked to another user"}
	case strings.HasPrefix(cols, "destinations.code"):
		return &messages.Error{Code: messages.EConflict, Message: "destination code already in use"}
	}
	return nil
}

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

// ms stores a time as unix milliseconds; the zero time is NULL.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS reads a time stored by ms.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// durMS stores a duration in milliseconds; a negative duration ("none") is NULL.
func durMS(d time.Duration) any {
	if d < 0 {
		return nil
	}
	return d.Milliseconds()
}

func fromDurMS(v sql.NullInt64) time.Duration {
	if !v.Valid {
		return -1
	}
	return time.Duration(v.Int64) * time.Millisecond
}

// encodeTimes stores a short list of times compactly: 8 bytes each, big-endian unix
// milliseconds, in order. An empty list is nil (NULL).
func encodeTimes(ts []time.Time) []byte {
	if len(ts) == 0 {
		return nil
	}
	b := make([]byte, 0, 8*len(ts))
	for _, t := range ts {
		b = binary.BigEndian.AppendUint64(b, uint64(t.UnixMilli()))
	}
	return b
}

// decodeTimes reads a list stored by encodeTimes; NULL or empty is nil.
func decodeTimes(b []byte) ([]time.Time, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%d bytes is not a list of 8-byte times", len(b))
	}
	ts := make([]time.Time, len(b)/8)
	for i := range ts {
		ts[i] = time.UnixMilli(int64(binary.BigEndian.Uint64(b[8*i:]))).UTC()
	}
	return ts, nil
}

// blob stores bytes; an empty slice is NULL and reads back as nil.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullStr stores "" as NULL (for unique columns where empty means "none").
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func encodeTags(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return " " + strings.Join(tags, " ") + " "
}

func decodeTags(s string) []string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return nil
	}
	return f
}

// cleanText makes request-derived text storable as text: valid UTF-8 without NUL. (Postgres
// rejects both; the same is done here so that both stores keep the same value.)
func cleanText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func checkLimit(limit int) error {
	if limit <= 0 {
		return messages.Errorf(messages.EInvalid, "limit must be positive")
	}
	return nil
}
