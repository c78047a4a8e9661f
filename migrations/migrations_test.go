package migrations_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/ttr-rip/ttr/migrations"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// tables are the tables every dialect must create.
var tables = []string{"users", "checks", "pings", "flips", "channels", "outbox", "nodes"}

func TestUpSQLite(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 2 { // the second run finds nothing to do
		if err := migrations.Up(ctx, db, migrations.SQLite); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range tables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: %d, %v", table, n, err)
		}
	}
}

// TestUpNewerSchema: during a rolling upgrade a node of the previous version restarts after
// a newer one has applied a migration it does not know; it must start, not fail.
func TestUpNewerSchema(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrations.Up(ctx, db, migrations.SQLite); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)`); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(ctx, db, migrations.SQLite); err != nil {
		t.Errorf("Up on a schema newer than the binary: %v", err)
	}
}

func TestUpPostgresConcurrent(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	// Three nodes start at once: one migrates, the others wait for the lock and find the
	// schema current.
	const nodes = 3
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() {
			db, err := sql.Open("pgx", url)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = migrations.Up(ctx, db, migrations.Postgres)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id = 1`).Scan(&applied); err != nil || applied != 1 {
		t.Errorf("migration 1 recorded %d times (%v), want once", applied, err)
	}
	for _, table := range tables {
		var ok bool
		if err := db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s missing (%v)", table, err)
		}
	}
}

func TestUnknownDialect(t *testing.T) {
	if err := migrations.Up(context.Background(), nil, "mysql"); err == nil {
		t.Error("Up accepted an unknown dialect")
	}
}
