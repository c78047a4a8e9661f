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

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// FS returns the embedded migrations of dialect ("sqlite" or "postgres").
func FS(dialect string) (fs.FS, error) {
	if dialect != SQLite && dialect != Postgres {
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	return fs.Sub(files, dialect)
}

// Up applies every pending migration of dialect to db. On Postgres it holds goose's
// session-level advisory lock while it runs, so nodes starting together migrate once and the
// others wait for the lock, then find nothing to do.
func Up(ctx context.Context, db *sql.DB, dialect string) error {
	fsys, err := FS(dialect)
	if err != nil {
		return err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
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
