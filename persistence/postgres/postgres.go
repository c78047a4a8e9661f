package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ttr-rip/ttr/migrations"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/internal/sqlstore"
)

var _ persistence.Store = (*Store)(nil)

// Store is the PostgreSQL implementation of persistence.Store. It is safe for concurrent use.
type Store struct {
	*sqlstore.Store // every query both dialects share

	pool     *pgxpool.Pool
	describe string
	closed   atomic.Bool
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
	s := &Store{pool: pool}
	s.Store = sqlstore.New(sqlstore.Config{
		Dialect: &dialect,
		Read:    querier{pool},
		Write:   querier{pool},
		Begin: func(ctx context.Context) (sqlstore.Tx, error) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				return nil, err
			}
			return pgTx{querier{tx}, tx}, nil
		},
		Closed:       &s.closed,
		ResealBatch:  o.resealBatch,
		ResealUpdate: resealUpdate,
	})
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

// dialect is PostgreSQL's: numbered placeholders, an explicit bytewise collation, errors
// told by SQLSTATE and constraint name.
var dialect = sqlstore.Dialect{
	Name:        "postgres",
	Collate:     ` COLLATE "C"`,
	Contains:    func(col, p string) string { return "strpos(" + col + ", " + p + ") > 0" },
	Greatest:    "GREATEST",
	ILike:       "ILIKE",
	LockRows:    " FOR UPDATE",
	Unique:      unique,
	Unavailable: isUnavailable,
}

// mapErr turns driver errors into the Store's error contract.
func (s *Store) mapErr(err error) error { return dialect.MapErr(err, s.closed.Load()) }

// unique names the constraint a unique violation (23505) names.
func unique(err error) sqlstore.Constraint {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return sqlstore.NoConstraint
	}
	switch pe.ConstraintName {
	case "users_slug_key":
		return sqlstore.UserSlug
	case "checks_user_slug_key":
		return sqlstore.CheckSlug
	case "checks_uuid_key":
		return sqlstore.CheckUUID
	case "pings_check_n_key":
		return sqlstore.PingNumber
	case "admins_username_key":
		return sqlstore.AdminUsername
	case "telegram_links_telegram_id_key":
		return sqlstore.TelegramID
	case "destinations_code_key":
		return sqlstore.DestinationCode
	case "status_pages_user_slug_key":
		return sqlstore.StatusPageSlug
	}
	return sqlstore.OtherUnique
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

// pgxRunner is what a pgx pool, connection and transaction have in common.
type pgxRunner interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier adapts pgx to sqlstore.Querier.
type querier struct{ r pgxRunner }

func (q querier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.r.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (q querier) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.r.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (q querier) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return q.r.QueryRow(ctx, sql, args...)
}

// pgTx adapts a pgx transaction to sqlstore.Tx.
type pgTx struct {
	querier
	tx pgx.Tx
}

func (t pgTx) Commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t pgTx) Rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
