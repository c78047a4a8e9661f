package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/migrations"
	"github.com/ttr-rip/ttr/persistence"
)

var _ persistence.Store = (*Store)(nil)

// Store is the PostgreSQL implementation of persistence.Store. It is safe for concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	describe string
	closed   atomic.Bool

	resealBatchSize int
}

type config struct {
	resealBatch int
}

// Option configures Open.
type Option func(*config)

// WithResealBatch sets how many values Reseal reads, rewrites and commits at a time (default
// 200): each batch locks its rows while f runs on it.
func WithResealBatch(n int) Option {
	return func(c *config) { c.resealBatch = n }
}

// DefaultMaxConns is the connection pool's size unless the URL sets pool_max_conns.
const DefaultMaxConns = 16

// Open connects to the database at url (a postgres:// URL or key=value DSN; pool settings
// such as pool_max_conns are read from it), applies pending migrations and reads the server's
// durability setting. A server that cannot be reached is Unavailable.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := config{resealBatch: 200}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default (the number of CPUs, at least 4) is too few for a node that keeps
		// several group commits in flight besides API reads, outbox work and its lease.
		cfg.MaxConns = max(cfg.MaxConns, DefaultMaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, resealBatchSize: max(o.resealBatch, 1)}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", s.mapErr(err))
	}
	// goose speaks database/sql; hand it connections of the same pool. Closing db releases
	// them to the pool.
	db := stdlib.OpenDBFromPool(pool)
	err = migrations.Up(ctx, db, migrations.Postgres)
	db.Close()
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", s.mapErr(err))
	}
	var version, syncCommit string
	err = pool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('synchronous_commit')`).Scan(&version, &syncCommit)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", s.mapErr(err))
	}
	if i := strings.IndexByte(version, ' '); i > 0 {
		version = version[:i]
	}
	s.describe = fmt.Sprintf("postgres %s (synchronous_commit=%s)", version, syncCommit)
	return s, nil
}

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return persistence.Unavailable(errors.New("postgres: store closed"))
	}
	return s.mapErr(s.pool.Ping(ctx))
}

// Describe names the server and its synchronous_commit setting.
func (s *Store) Describe() string { return s.describe }

// Close closes the pool. Later calls answer Unavailable.
func (s *Store) Close() error {
	if !s.closed.Swap(true) {
		s.pool.Close()
	}
	return nil
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
	if errors.Is(err, pgx.ErrNoRows) {
		return messages.ErrNotFound
	}
	if s.closed.Load() || isUnavailable(err) {
		return persistence.Unavailable(err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		if e := conflictFor(pe.ConstraintName); e != nil {
			return e
		}
	}
	return err
}

// isUnavailable reports whether err says the server could not be reached or is going away,
// as opposed to refusing a statement.
func isUnavailable(err error) bool {
	if persistence.IsUnavailable(err) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller gave up; that says nothing about the server
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case pe.Code == "53300": // too many connections
			return true
		case pe.Code == "25006": // read-only transaction: connected to a standby during failover
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	if pgconn.SafeToRetry(err) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return err.Error() == "closed pool" // puddle.ErrClosedPool
}

// conflictFor maps a violated unique constraint a user can cause to EConflict.
func conflictFor(constraint string) error {
	switch constraint {
	case "users_slug_key":
		return &messages.Error{Code: messages.EConflict, Message: "user slug already in use"}
	case "checks_user_slug_key":
		return &messages.Error{Code: messages.EConflict, Message: "slug already in use"}
	case "checks_uuid_key":
		return &messages.Error{Code: messages.EConflict, Message: "uuid already in use"}
	case "admins_username_key":
		return &messages.Error{Code: messages.EConflict, Message: "username already in use"}
	case "telegram_links_telegram_id_key":
		return &messages.Error{Code: messages.EConflict, Message: "this Telegram account is linked to another user"}
	case "destinations_code_key":
		return &messages.Error{Code: messages.EConflict, Message: "destination code already in use"}
	}
	return nil
}

// ms stores a time as unix milliseconds; the zero time is NULL.
func ms(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

// fromMS reads a time stored by ms.
func fromMS(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMilli(*v).UTC()
}

// durMS stores a duration in milliseconds; a negative duration ("none") is NULL.
func durMS(d time.Duration) *int64 {
	if d < 0 {
		return nil
	}
	v := d.Milliseconds()
	return &v
}

func fromDurMS(v *int64) time.Duration {
	if v == nil {
		return -1
	}
	return time.Duration(*v) * time.Millisecond
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
func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullStr stores "" as NULL (for unique columns where empty means "none").
func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
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

// cleanText makes request-derived text storable in a text column, which rejects NUL and
// invalid UTF-8.
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
