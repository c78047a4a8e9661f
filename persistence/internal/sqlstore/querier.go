package sqlstore

import (
	"context"
	"database/sql"
)

// Row is one result row: *sql.Row, pgx.Row and both drivers' Rows.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set being read. Close releases it; its error, if any, is Err's.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// Querier runs statements: a pool, a connection or a transaction of either driver.
type Querier interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query expected to return one row; its error is returned by Scan
	// (sql.ErrNoRows, which pgx.ErrNoRows wraps, when there is none).
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Tx is a transaction.
type Tx interface {
	Querier
	Commit(ctx context.Context) error
	// Rollback undoes the transaction; after Commit it does nothing.
	Rollback(ctx context.Context) error
}

// sqlRunner is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type sqlRunner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB adapts a database/sql pool to Querier.
type DB struct{ *sql.DB }

// SQLTx adapts a database/sql transaction to Tx. It holds a single pointer, so passing it as a
// Querier does not allocate.
type SQLTx struct{ *sql.Tx }

var (
	_ Querier = DB{}
	_ Tx      = SQLTx{}
)

// Exec runs a statement on the pool.
func (d DB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return sqlExec(ctx, d.DB, query, args)
}

// Query runs a query on the pool.
func (d DB) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	return sqlQuery(ctx, d.DB, query, args)
}

// QueryRow runs a one-row query on the pool.
func (d DB) QueryRow(ctx context.Context, query string, args ...any) Row {
	return d.QueryRowContext(ctx, query, args...)
}

// Exec runs a statement in the transaction.
func (t SQLTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return sqlExec(ctx, t.Tx, query, args)
}

// Query runs a query in the transaction.
func (t SQLTx) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	return sqlQuery(ctx, t.Tx, query, args)
}

// QueryRow runs a one-row query in the transaction.
func (t SQLTx) QueryRow(ctx context.Context, query string, args ...any) Row {
	return t.QueryRowContext(ctx, query, args...)
}

// Commit commits the transaction (database/sql binds it to the context it began with).
func (t SQLTx) Commit(context.Context) error { return t.Tx.Commit() }

// Rollback rolls the transaction back.
func (t SQLTx) Rollback(context.Context) error { return t.Tx.Rollback() }

func sqlExec(ctx context.Context, r sqlRunner, query string, args []any) (int64, error) {
	res, err := r.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func sqlQuery(ctx context.Context, r sqlRunner, query string, args []any) (Rows, error) {
	rows, err := r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// sqlRows gives *sql.Rows the Close of Rows (its error shows in Err).
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }
