package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestCombinerIsolatesFailures runs three writes in one shared transaction, the middle one
// failing half-way: it is undone alone, its neighbours commit, and each caller gets its own
// outcome. A write whose context ended before it started is skipped.
func TestCombinerIsolatesFailures(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	c := &combiner{db: db}
	insert := func(keys ...string) func(ctx context.Context, tx *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			for _, k := range keys {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (k) VALUES (?)`, k); err != nil {
					return err
				}
			}
			return nil
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	ops := []*combinedOp{
		{ctx: bg, fn: insert("a"), done: make(chan error, 1)},
		{ctx: bg, fn: insert("b", "a"), done: make(chan error, 1)}, // "b" then a duplicate: undone whole
		{ctx: bg, fn: insert("c"), done: make(chan error, 1)},
		{ctx: cancelled, fn: insert("d"), done: make(chan error, 1)},
	}
	c.commit(ops)
	if err := <-ops[0].done; err != nil {
		t.Errorf("first write: %v", err)
	}
	if err := <-ops[1].done; err == nil {
		t.Error("the duplicate write succeeded")
	}
	if err := <-ops[2].done; err != nil {
		t.Errorf("third write: %v", err)
	}
	if err := <-ops[3].done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: %v, want context.Canceled", err)
	}
	rows, err := db.Query(`SELECT k FROM t ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		got = append(got, k)
	}
	if len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Errorf("committed %v, want [a c]", got)
	}
}

// TestCombinerSharesCommits: many concurrent callers all get their answer, and the writes
// commit in fewer transactions than there are writes.
func TestCombinerSharesCommits(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "c.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	c := newCombiner(db)
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- c.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO t (k) VALUES (?)`, i)
				time.Sleep(100 * time.Microsecond) // long enough for others to queue up
				return err
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	c.close()
	var count int
	db.QueryRow(`SELECT count(*) FROM t`).Scan(&count)
	if count != n {
		t.Fatalf("%d rows, want %d", count, n)
	}
	if k := c.commits.Load(); k >= n/2 {
		t.Errorf("%d writes took %d transactions: not shared", n, k)
	}
	if err := c.do(context.Background(), func(context.Context, *sql.Tx) error { return nil }); !errors.Is(err, errCombinerClosed) {
		t.Fatalf("write after close: %v", err)
	}
}
