package migrations_test

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/ttr-rip/ttr/migrations"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// tables are the tables every dialect must create.
var tables = []string{"users", "checks", "pings", "flips", "channels", "outbox", "nodes", "notifier_state",
	"api_tokens", "retired_credentials", "key_networks", "auth_activity", "destinations", "sessions", "slug_holds", "status_pages", "status_page_checks", "uptime_marks"}

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

// column is what an older binary needs to know of a column it may not name.
type column struct {
	notNull, hasDefault bool
}

// schemaColumns returns every column of every table of ours in the schema, by table.
func schemaColumns(t *testing.T, db *sql.DB, dialect string) map[string]map[string]column {
	t.Helper()
	ctx := context.Background()
	q := `SELECT m.name, p.name, p."notnull", p.dflt_value IS NOT NULL
		FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`
	if dialect == migrations.Postgres {
		q = `SELECT table_name, column_name, is_nullable = 'NO', column_default IS NOT NULL OR is_identity = 'YES'
			FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]column{}
	for rows.Next() {
		var (
			table, name string
			c           column
		)
		if err := rows.Scan(&table, &name, &c.notNull, &c.hasDefault); err != nil {
			t.Fatal(err)
		}
		if out[table] == nil {
			out[table] = map[string]column{}
		}
		out[table][name] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// testExpandOnly applies the migrations of dialect one at a time and checks that each is
// additive: no table or column of the previous version goes away, and a column added to an
// existing table is nullable or has a default, so the previous binary's inserts, which do
// not name it, still work. Then it rolls everything back and forth to try the Down steps.
func testExpandOnly(t *testing.T, db *sql.DB, dialect string) {
	ctx := context.Background()
	fsys, err := migrations.FS(dialect)
	if err != nil {
		t.Fatal(err)
	}
	gd := goose.DialectSQLite3
	if dialect == migrations.Postgres {
		gd = goose.DialectPostgres
	}
	p, err := goose.NewProvider(gd, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	sources := p.ListSources()
	if len(sources) < 2 {
		t.Fatalf("%d migrations", len(sources))
	}
	var prev map[string]map[string]column
	for _, src := range sources {
		if _, err := p.UpTo(ctx, src.Version); err != nil {
			t.Fatalf("up to %d: %v", src.Version, err)
		}
		cur := schemaColumns(t, db, dialect)
		for table, cols := range prev {
			if cur[table] == nil {
				t.Errorf("migration %d drops table %s", src.Version, table)
				continue
			}
			for name := range cols {
				if _, ok := cur[table][name]; !ok {
					t.Errorf("migration %d drops column %s.%s", src.Version, table, name)
				}
			}
			for name, c := range cur[table] {
				if _, old := cols[name]; !old && c.notNull && !c.hasDefault {
					t.Errorf("migration %d adds %s.%s NOT NULL without a default: the previous binary's inserts fail", src.Version, table, name)
				}
			}
		}
		prev = cur
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up after down: %v", err)
	}
}

func TestExpandOnlySQLite(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testExpandOnly(t, db, migrations.SQLite)
}

func TestExpandOnlyPostgres(t *testing.T) {
	db, err := sql.Open("pgx", storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testExpandOnly(t, db, migrations.Postgres)
}

// TestPreviousBinaryOnNewSchema: the statements of the version before alerting (which name
// only the columns of migration 1) work on the current schema, and its rows read back with
// the new columns' defaults.
func TestPreviousBinaryOnNewSchema(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrations.Up(ctx, db, migrations.SQLite); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (slug, created_at) VALUES ('u', 1)`,
		`INSERT INTO checks (user_id, uuid, slug, created_at, version, status, last_duration_ms) VALUES (1, 'x', 's', 1, 1, 'new', NULL)`,
		`UPDATE checks SET status = 'up', failure_count = 0, version = version + 1 WHERE id = 1 AND version = 1`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var (
		history        []byte
		since, until   sql.NullInt64
		lastSentStatus string
	)
	err = db.QueryRowContext(ctx, `SELECT flap_history, flap_since, suppress_until, last_sent_status FROM checks WHERE id = 1`).
		Scan(&history, &since, &until, &lastSentStatus)
	if err != nil {
		t.Fatal(err)
	}
	if history != nil || since.Valid || until.Valid || lastSentStatus != "" {
		t.Errorf("a row the previous binary wrote: flap state %v %v %v %q, want none", history, since, until, lastSentStatus)
	}
}

// testContract: the contract set runs only through Contract, records itself in its own
// version table (so its step 1 is not the expand set's step 1), is idempotent, and its step
// takes effect: after it an empty user slug is refused, before it accepted.
func testContract(t *testing.T, db *sql.DB, dialect string) {
	ctx := context.Background()
	if err := migrations.Up(ctx, db, dialect); err != nil {
		t.Fatal(err)
	}
	insertEmpty := func() error {
		_, err := db.ExecContext(ctx, `INSERT INTO users (slug, created_at) VALUES ('', 1)`)
		return err
	}
	if err := insertEmpty(); err != nil {
		t.Fatalf("before the contract step an empty slug should still be accepted: %v", err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM users WHERE slug = ''`); err != nil {
		t.Fatal(err)
	}
	var expandSteps int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&expandSteps); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run finds nothing to do
		if err := migrations.Contract(ctx, db, dialect); err != nil {
			t.Fatalf("contract: %v", err)
		}
	}
	if err := insertEmpty(); err == nil {
		t.Error("after the contract step an empty user slug was accepted")
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO users (slug, created_at) VALUES ('ok', 1)`); err != nil {
		t.Errorf("after the contract step a valid user was refused: %v", err)
	}
	var contractSteps, after int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+migrations.ContractTable+` WHERE version_id > 0`).Scan(&contractSteps); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	fsys, err := migrations.ContractFS(dialect)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if contractSteps != len(files) || contractSteps == 0 {
		t.Errorf("%s records %d steps, want the %d files of the contract set", migrations.ContractTable, contractSteps, len(files))
	}
	if after != expandSteps {
		t.Errorf("the expand set's table went from %d to %d steps: the sets mixed", expandSteps, after)
	}
	// Up after Contract (a node restarting) neither fails nor undoes the contract step.
	if err := migrations.Up(ctx, db, dialect); err != nil {
		t.Fatal(err)
	}
	if err := insertEmpty(); err == nil {
		t.Error("after Up the contract step was undone")
	}
}

// TestContractSetIsSeparate: the expand set's directory listing never includes a contract
// file, so a node's start (Up) can never run one.
func TestContractSetIsSeparate(t *testing.T) {
	for _, d := range []string{migrations.SQLite, migrations.Postgres} {
		expand, err := migrations.FS(d)
		if err != nil {
			t.Fatal(err)
		}
		contract, err := migrations.ContractFS(d)
		if err != nil {
			t.Fatal(err)
		}
		ef, _ := fs.Glob(expand, "*.sql")
		cf, _ := fs.Glob(contract, "*.sql")
		if len(cf) == 0 {
			t.Errorf("%s: no contract migrations embedded", d)
		}
		for _, c := range cf {
			if slices.Contains(ef, c) {
				t.Errorf("%s: %s is in both sets", d, c)
			}
		}
	}
	if _, err := migrations.ContractFS("mysql"); err == nil {
		t.Error("ContractFS accepted an unknown dialect")
	}
}

func TestContractSQLite(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testContract(t, db, migrations.SQLite)
}

func TestContractPostgres(t *testing.T) {
	db, err := sql.Open("pgx", storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testContract(t, db, migrations.Postgres)
}
