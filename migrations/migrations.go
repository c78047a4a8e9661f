package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The dialect names accepted by Up.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

//go:embed sqlite/*.sql postgres/*.sql sqlite/contract/*.sql postgres/contract/*.sql
var files embed.FS

// ContractTable is goose's version table of the contract set. It is not goose's default
// (goose_db_version, which the expand set uses), so the two sets never mix: each numbers its
// steps from 1 and neither sees the other's.
const ContractTable = "goose_contract_version"

// FS returns the embedded expand migrations of dialect ("sqlite" or "postgres").
func FS(dialect string) (fs.FS, error) {
	if dialect != SQLite && dialect != Postgres {
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	return fs.Sub(files, dialect)
}

// ContractFS returns the embedded contract migrations of dialect: the steps that would break
// the previous release and so run only by hand (see Contract).
func ContractFS(dialect string) (fs.FS, error) {
	if dialect != SQLite && dialect != Postgres {
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	return fs.Sub(files, dialect+"/contract")
}

// Up applies every pending expand migration of dialect to db. On Postgres it holds goose's
// session-level advisory lock while it runs, so nodes starting together migrate once and the
// others wait for the lock, then find nothing to do.
func Up(ctx context.Context, db *sql.DB, dialect string) error {
	fsys, err := FS(dialect)
	if err != nil {
		return err
	}
	return apply(ctx, db, dialect, fsys)
}

// Contract applies every pending contract migration of dialect to db, recording them in
// ContractTable. It runs only from `ttrd migrate --contract`, after every node runs a release
// that no longer needs what the steps remove, and after Up (a contract step may rely on the
// expand steps of its release). On Postgres it holds the same lock as Up, so a node starting
// meanwhile does not migrate at the same time.
func Contract(ctx context.Context, db *sql.DB, dialect string) error {
	fsys, err := ContractFS(dialect)
	if err != nil {
		return err
	}
	return apply(ctx, db, dialect, fsys, goose.WithTableName(ContractTable))
}

// apply runs the pending migrations of fsys under dialect's lock.
func apply(ctx context.Context, db *sql.DB, dialect string, fsys fs.FS, extra ...goose.ProviderOption) error {
	opts := append([]goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}, extra...)
	var gd goose.Dialect
	switch dialect {
	case SQLite:
		gd = goose.DialectSQLite3
	case Postgres:
		gd = goose.DialectPostgres
		id, err := lockID(ctx, db)
		if err != nil {
			return err
		}
		// Probe every second (goose's minimum) for up to five minutes: a waiting node starts
		// soon after the one migrating is done.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %s: %w", dialect, err)
	}
	return nil
}

// lockID names the advisory lock of the schema the migrations apply to (the first schema of
// search_path): the nodes of one installation share it, while installations in other schemas
// of the same database do not wait for each other.
func lockID(ctx context.Context, db *sql.DB) (int64, error) {
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if !schema.Valid {
		return 0, errors.New("migrations: no schema of search_path exists")
	}
	h := fnv.New64a()
	h.Write([]byte("ttr migrations " + schema.String))
	return int64(h.Sum64()), nil
}
