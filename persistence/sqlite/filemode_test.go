package sqlite_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/sqlite"
)

// TestFileModes: under umask 022, with a data directory that already exists (0755) and a
// database and secrets file an earlier run left world-readable, the directory ends 0700 and
// the database, its WAL, its shared memory and secrets.env 0600.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	for _, tt := range []struct {
		name     string
		leftOver bool
	}{{"fresh files", false}, {"files left world-readable", true}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "ttr.db")
			if tt.leftOver {
				if _, _, err := keyring.LoadOrGenerate(dir); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(filepath.Join(dir, "secrets.env"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(db, nil, 0o644); err != nil { // an empty database is a new one
					t.Fatal(err)
				}
			}
			if err := sqlite.PrepareDir(dir); err != nil {
				t.Fatal(err)
			}
			if _, _, err := keyring.LoadOrGenerate(dir); err != nil {
				t.Fatal(err)
			}
			st, err := sqlite.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			u := messages.User{Slug: "u1", AuthKeyHash: []byte("h"), PingKeyIndex: []byte("i"), SlugPings: true, CreatedAt: time.Now()}
			if err := st.CreateUser(context.Background(), &u); err != nil { // the WAL has content now
				t.Fatal(err)
			}
			want := map[string]fs.FileMode{dir: 0o700, db: 0o600, db + "-wal": 0o600, db + "-shm": 0o600,
				filepath.Join(dir, "secrets.env"): 0o600}
			for p, mode := range want {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(p), err)
				}
				if got := fi.Mode().Perm(); got != mode {
					t.Errorf("%s: mode %o, want %o", filepath.Base(p), got, mode)
				}
			}
		})
	}
}
