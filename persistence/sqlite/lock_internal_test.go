//go:build unix

package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestOpenRefusedDuringVacuum: while Vacuum holds the exclusive lock, Open refuses at once.
func TestOpenRefusedDuringVacuum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ttr.db")
	unlock, err := lockFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path); !errors.Is(err, ErrInUse) {
		t.Errorf("Open during a vacuum: %v, want ErrInUse", err)
	}
	unlock()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open after the vacuum: %v", err)
	}
	s.Close()
}
