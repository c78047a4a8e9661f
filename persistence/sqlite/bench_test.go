package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

func BenchmarkCommit(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Log(s.Describe())
	storetest.BenchCommit(b, s)
}
