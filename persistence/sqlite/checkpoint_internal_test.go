package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckpointerKeepsTheWALBounded writes steadily through the writer (which never
// checkpoints itself) and expects the background checkpointer to have copied the WAL back
// and restarted it, so that the WAL file stays near its restart threshold instead of growing
// with every write.
func TestCheckpointerKeepsTheWALBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ttr.db")
	s, err := Open(context.Background(), path, func(c *config) { c.checkpointEvery = 20 * time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.w.Exec(`CREATE TABLE filler (id INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 3000) // about a page per row
	const rows = 3 * restartFrames
	for range rows {
		if _, err := s.w.Exec(`INSERT INTO filler (v) VALUES (?)`, blob); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.ckpt.restarts.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s.ckpt.passives.Load() == 0 || s.ckpt.restarts.Load() == 0 {
		t.Fatalf("checkpoints: %d passive, %d restart", s.ckpt.passives.Load(), s.ckpt.restarts.Load())
	}
	// One more write starts the WAL over after the restart.
	if _, err := s.w.Exec(`INSERT INTO filler (v) VALUES (?)`, blob); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// Without the checkpointer the WAL would hold every row: rows pages and more.
	if limit := int64(2*restartFrames) * 4120; fi.Size() > limit {
		t.Errorf("WAL is %d bytes after %d page-sized rows, want ≤ %d", fi.Size(), rows, limit)
	}
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM filler`).Scan(&n); err != nil || n != rows+1 {
		t.Fatalf("read back %d rows (%v), want %d", n, err, rows+1)
	}
}
