package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/postgres"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

func open(t *testing.T) persistence.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	// One database; each subtest's store lives in a schema of its own.
	db := storetest.PostgresURL(t)
	storetest.Run(t, func(t *testing.T) persistence.Store {
		s, err := postgres.Open(context.Background(), storetest.PostgresSchema(t, db),
			postgres.WithResealBatch(storetest.ResealBatch))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestDescribe(t *testing.T) {
	s := open(t)
	if d := s.Describe(); !strings.HasPrefix(d, "postgres ") || !strings.Contains(d, "synchronous_commit=") {
		t.Errorf("Describe() = %q", d)
	}
}

func TestOpenUnreachable(t *testing.T) {
	// Nothing listens on port 1.
	_, err := postgres.Open(context.Background(), "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if !persistence.IsUnavailable(err) {
		t.Errorf("Open of an unreachable server: %v, want unavailable", err)
	}
}

// TestTerminatedConnections: when the server ends the store's connections (a restart, a
// failover), a commit runs on a fresh connection, and reads fail as Unavailable — never as
// another error — until the pool has replaced them.
func TestTerminatedConnections(t *testing.T) {
	ctx := context.Background()
	db := storetest.PostgresURL(t)
	s, err := postgres.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := storetest.NewUser(t, s)
	c := storetest.NewCheck(t, s, u.ID)

	admin, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	kill := func() {
		t.Helper()
		if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 {
		kill()
		w := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState}
		out, err := s.Commit(ctx, []persistence.Write{w})
		if err != nil || out[0].Kind != persistence.OutcomeCommitted {
			t.Fatalf("round %d: commit after the connections were closed: %v %v", round, out, err)
		}
		c.Version++
		kill()
		if _, err := s.GetCheck(ctx, u.ID, c.ID); err != nil && !persistence.IsUnavailable(err) {
			t.Fatalf("round %d: read on a closed connection: %v, want unavailable", round, err)
		}
	}
	got, err := s.GetCheck(ctx, u.ID, c.ID)
	if err != nil {
		t.Fatalf("after the connections were replaced: %v", err)
	}
	if got.Version != c.Version {
		t.Errorf("version %d, want %d", got.Version, c.Version)
	}
}

// TestCommitBadTextIsolated: Postgres refuses NUL in text. A write carrying one fails alone —
// whether it sits in the multi-row check update or in the multi-row flip insert — and its
// neighbours commit.
func TestCommitBadTextIsolated(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	u := storetest.NewUser(t, s)
	var cs []messages.Check
	for range 5 {
		cs = append(cs, storetest.NewCheck(t, s, u.ID))
	}
	write := func(c messages.Check) persistence.Write {
		st := c.CheckState
		st.Status = messages.StatusUp
		return persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: st}
	}
	ws := []persistence.Write{write(cs[0]), write(cs[1]), write(cs[2]), write(cs[3]), write(cs[4])}
	ws[1].State.LastReason = "bad\x00reason"
	ws[3].Flip = &messages.Flip{ID: fmt.Sprintf("%d.1", cs[3].ID), CheckID: cs[3].ID, Reason: "bad\x00flip"}
	ws[4].Flip = &messages.Flip{ID: fmt.Sprintf("%d.1", cs[4].ID), CheckID: cs[4].ID, Reason: "fine"}
	out, err := s.Commit(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	want := []persistence.OutcomeKind{persistence.OutcomeCommitted, persistence.OutcomeFailed,
		persistence.OutcomeCommitted, persistence.OutcomeFailed, persistence.OutcomeCommitted}
	for i := range want {
		if out[i].Kind != want[i] {
			t.Errorf("write %d: %v (%v), want %v", i, out[i].Kind, out[i].Err, want[i])
		}
		got, err := s.GetCheck(ctx, u.ID, cs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		wantV := cs[i].Version
		if want[i] == persistence.OutcomeCommitted {
			wantV++
		}
		if got.Version != wantV {
			t.Errorf("write %d: version %d, want %d", i, got.Version, wantV)
		}
	}
	if f, err := s.ListFlips(ctx, u.ID, cs[4].ID, 10); err != nil || len(f) != 1 {
		t.Errorf("neighbour's flip: %v, %v", f, err)
	}
}
