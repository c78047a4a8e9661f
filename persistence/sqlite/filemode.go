package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// File modes of the embedded store: the database holds hashed keys and sealed secrets, so
// only the account ttrd runs as may read it, whatever the umask and whatever an earlier run
// or an operator left behind.
const (
	DirMode  fs.FileMode = 0o700
	FileMode fs.FileMode = 0o600
)

// PrepareDir creates the data directory if needed and makes it DirMode, also when it existed.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(dir, DirMode); err != nil {
		return fmt.Errorf("restrict data directory: %w", err)
	}
	return nil
}

// ownerOnly creates the database file if it does not exist (so SQLite, which gives its WAL
// and shared-memory files the database's mode, never makes one under a loose umask) and makes
// it, and whichever of its WAL and shared-memory files exist, FileMode.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, FileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restrict %s: %w", p, err)
		}
	}
	return nil
}
