package postgres_test

import (
	"context"
	"testing"

	"github.com/ttr-rip/ttr/persistence/postgres"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

func BenchmarkCommit(b *testing.B) {
	// A database of its own, with the server's durability settings (synchronous_commit as
	// configured, normally on).
	s, err := postgres.Open(context.Background(), storetest.PostgresURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Log(s.Describe())
	storetest.BenchCommit(b, s)
}
