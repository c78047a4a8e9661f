// Package sqlitetest gives tests a fresh embedded store: a migrated SQLite database in the
// test's temporary directory, closed when the test ends.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ttr-rip/ttr/persistence/sqlite"
)

// Open returns a new store in tb's temporary directory, closed at tb's cleanup.
func Open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "ttr.db"))
	if err != nil {
		tb.Fatalf("open a test store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}
