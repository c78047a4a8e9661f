//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an advisory lock on the lock file beside the database: shared for every
// Open (a server, `ttrd migrate`, the admin commands — they may run together), exclusive for
// Vacuum, which must run alone. It never waits: a lock held the other way is ErrInUse. A
// file system without flock locks nothing (the lock is a guard against mistakes, not a
// guarantee).
func lockFile(dbPath string, exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(dbPath+".lock", os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrInUse
		}
		if errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) {
			return func() {}, nil
		}
		return nil, fmt.Errorf("lock %s.lock: %w", dbPath, err)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}
