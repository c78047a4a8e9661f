package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckpointerKeepsTheWALBounded writes steadily through the writer (which never
// checkpoints itself) and expects the background checkpointer to have copied the WAL back
// and restarted it, so that the WAL does not grow with every write.
func TestCheckpointerKeepsTheWALBounded(t *testing.T) {
	const restart = 500 // frames
	path := filepath.Join(t.TempDir(), "ttr.db")
	s, err := Open(context.Background(), path, func(c *config) {
		c.checkpointEvery, c.checkpointRestart = 20*time.Millisecond, restart
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.w.Exec(`CREATE TABLE filler (id INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 3000) // about a page per row
	const rows = 12 * restart
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
	// The WAL holds only what was written since the last restart; without the checkpointer
	// it would hold a frame for every row.
	_, frames, err := s.ckpt.checkpoint(context.Background(), "PASSIVE")
	if err != nil {
		t.Fatal(err)
	}
	if frames > rows/2 {
		t.Errorf("the WAL holds %d frames after %d page-sized rows (%d restarts)", frames, rows, s.ckpt.restarts.Load())
	}
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM filler`).Scan(&n); err != nil || n != rows {
		t.Fatalf("read back %d rows (%v), want %d", n, err, rows)
	}
}
