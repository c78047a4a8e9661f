package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/waittest"
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
	// On a loaded machine the checkpointer may have fallen behind the writes; once they stop it
	// catches up: a RESTART follows unless the WAL is already shorter than the threshold.
	// Without the checkpointer the WAL keeps a frame for every row and this never holds.
	after := s.ckpt.restarts.Load()
	waittest.UntilWhy(t, 10*time.Second, "the checkpointer to bound the WAL", func() (bool, string) {
		_, frames, err := s.ckpt.checkpoint(context.Background(), "PASSIVE")
		if err != nil {
			return false, err.Error()
		}
		return s.ckpt.restarts.Load() > after || frames <= restart,
			fmt.Sprintf("%d frames after %d page-sized rows, %d restarts", frames, rows, s.ckpt.restarts.Load())
	})
	if s.ckpt.passives.Load() == 0 || s.ckpt.restarts.Load() == 0 {
		t.Fatalf("checkpoints: %d passive, %d restart", s.ckpt.passives.Load(), s.ckpt.restarts.Load())
	}
	// The next commit starts the WAL over (or adds to a short one): it stays bounded.
	if _, err := s.w.Exec(`INSERT INTO filler (v) VALUES (?)`, blob); err != nil {
		t.Fatal(err)
	}
	_, frames, err := s.ckpt.checkpoint(context.Background(), "PASSIVE")
	if err != nil {
		t.Fatal(err)
	}
	if frames > restart+4 {
		t.Errorf("the WAL holds %d frames after %d page-sized rows (%d restarts)", frames, rows+1, s.ckpt.restarts.Load())
	}
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM filler`).Scan(&n); err != nil || n != rows+1 {
		t.Fatalf("read back %d rows (%v), want %d", n, err, rows+1)
	}
}
