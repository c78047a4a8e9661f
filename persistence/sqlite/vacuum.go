package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ErrInUse says another process has the database open in a way the caller must not share:
// Open while `ttrd vacuum` runs, or Vacuum while a server (or any other ttrd command) has it
// open.
var ErrInUse = errors.New("the embedded store is in use by another ttrd process")

// VacuumStats is the database file before and after Vacuum.
type VacuumStats struct {
	BytesBefore, BytesAfter int64 // database file plus WAL
	FreePagesBefore         int64 // pages on the free list that VACUUM gave back
	PageSize                int64
	Took                    time.Duration
}

// Vacuum rebuilds the database file at path without its free pages, so the file shrinks to
// what it holds (docs/operations.md, "Retention"). Existing files use auto_vacuum=NONE:
// pages freed by deletes go to SQLite's free list and are reused by later inserts, but the
// file never shrinks on its own. VACUUM rewrites the whole database and needs as much free
// disk as the database again (in its temporary files and the WAL); it refuses with ErrInUse
// while any other ttrd process has the store open, since it would hold the writer for the
// whole rewrite.
func Vacuum(ctx context.Context, path string) (VacuumStats, error) {
	var st VacuumStats
	if _, err := os.Stat(path); err != nil {
		return st, fmt.Errorf("sqlite: %w", err)
	}
	unlock, err := lockFile(path, true)
	if err != nil {
		return st, err
	}
	defer unlock()
	q := "?_busy_timeout=5000&_txlock=immediate"
	db, err := sql.Open("sqlite", path+q)
	if err != nil {
		return st, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	start := time.Now()
	st.BytesBefore = fileBytes(path)
	pragma := func(name string) (int64, error) {
		var v int64
		err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
		return v, err
	}
	if st.PageSize, err = pragma("page_size"); err != nil {
		return st, fmt.Errorf("sqlite: %w", err)
	}
	if st.FreePagesBefore, err = pragma("freelist_count"); err != nil {
		return st, fmt.Errorf("sqlite: %w", err)
	}
	for _, stmt := range []string{"PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return st, fmt.Errorf("sqlite: %s: %w", stmt, err)
		}
	}
	st.BytesAfter, st.Took = fileBytes(path), time.Since(start)
	return st, nil
}

// fileBytes is the size of the database file and its WAL.
func fileBytes(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// String reports the outcome for the operator.
func (s VacuumStats) String() string {
	return "database and WAL " + strconv.FormatInt(s.BytesBefore, 10) + " → " + strconv.FormatInt(s.BytesAfter, 10) +
		" bytes (" + strconv.FormatInt(s.FreePagesBefore, 10) + " free pages of " + strconv.FormatInt(s.PageSize, 10) +
		" bytes given back) in " + s.Took.Round(time.Millisecond).String()
}
