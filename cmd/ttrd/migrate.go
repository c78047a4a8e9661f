package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for the contract set
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver, for the contract set

	"github.com/ttr-rip/ttr/migrations"
)

// contractFlags are the spellings of `ttrd migrate --contract`. The flag belongs to the
// migrate command only, so it is taken off the arguments before the shared flags are parsed.
var contractFlags = []string{"--contract", "-contract", "--contract=true", "-contract=true"}

// takeContractFlag reports whether args hold the contract flag and returns them without it.
func takeContractFlag(args []string) (bool, []string) {
	out := make([]string, 0, len(args))
	found := false
	for _, a := range args {
		if slices.Contains(contractFlags, a) {
			found = true
			continue
		}
		out = append(out, a)
	}
	return found, out
}

// MigrateContract applies the expand migrations (opening the store does), closes the store,
// then applies the contract set (docs/operations.md#upgrades): the steps that would break the
// previous release, run once every node has been upgraded.
func (m *Main) MigrateContract(ctx context.Context) error {
	if err := m.Migrate(ctx); err != nil {
		return err
	}
	dialect, db, err := m.openMigrationDB()
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrations.Contract(ctx, db, dialect); err != nil {
		return err
	}
	m.log.Info("contract migrations applied", "dialect", dialect)
	return nil
}

// openMigrationDB opens a database/sql handle on the configured store for goose. The store
// itself is closed by then; on SQLite the handle waits for a writer of another process
// rather than failing at once.
func (m *Main) openMigrationDB() (string, *sql.DB, error) {
	if m.cfg.Store.DatabaseURL != "" {
		db, err := sql.Open("pgx", m.cfg.Store.DatabaseURL)
		if err != nil {
			return "", nil, fmt.Errorf("open postgres: %w", err)
		}
		return migrations.Postgres, db, nil
	}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt((30*time.Second).Milliseconds(), 10))
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", filepath.Join(m.cfg.Store.DataDir, "ttr.db")+"?"+q.Encode())
	if err != nil {
		return "", nil, fmt.Errorf("open embedded store in %s: %w", m.cfg.Store.DataDir, err)
	}
	db.SetMaxOpenConns(1)
	return migrations.SQLite, db, nil
}
