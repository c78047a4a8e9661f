package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// TestVacuum: pages freed by pruning stay in the file (auto_vacuum=NONE) until Vacuum gives
// them back; Vacuum refuses while a store has the file open, and a store cannot open while it
// runs (the lock is shared by every Open, exclusive for Vacuum).
func TestVacuum(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ttr.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u := storetest.NewUser(t, s)
	c := storetest.NewCheck(t, s, u.ID)
	body := make([]byte, 8000)
	var writes []persistence.Write
	for n := int64(1); n <= 500; n++ {
		st := c.CheckState
		st.NPings = n
		writes = append(writes, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version + n - 1, State: st,
			Ping: &messages.PingRecord{CheckID: c.ID, N: n, At: time.Now(), Kind: messages.KindSuccess, ExitStatus: -1, Body: body}})
	}
	if _, err := s.Commit(ctx, writes); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PrunePings(ctx, 1, 0, 10, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Vacuum(ctx, path); !errors.Is(err, sqlite.ErrInUse) {
		t.Errorf("Vacuum while a store is open: %v, want ErrInUse", err)
	}
	// A second Open beside the first (a server and an admin command) is fine.
	s2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("a second Open: %v", err)
	}
	s2.Close()
	s.Close()

	st, err := sqlite.Vacuum(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if st.FreePagesBefore == 0 || st.BytesAfter >= st.BytesBefore/4 {
		t.Errorf("vacuum after pruning ~4 MB of bodies: %s", st)
	}
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ps, err := s.ListPings(ctx, u.ID, c.ID, 10); err != nil || len(ps) != 1 || ps[0].N != 500 {
		t.Errorf("after vacuum: %d pings, %v; want the newest", len(ps), err)
	}
}
