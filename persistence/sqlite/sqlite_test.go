package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) persistence.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ttr.db"),
			sqlite.WithResealBatch(storetest.ResealBatch))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ttr.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u := storetest.NewUser(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A second open finds the schema migrated and the data kept.
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.UserBySlug(ctx, u.Slug); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Describe(), "sqlite (WAL, synchronous=FULL)"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}
