// Package sqlite is the embedded persistence.Store: one database file opened with
// modernc.org/sqlite (pure Go, no cgo) in WAL mode with synchronous=FULL, so a committed
// write survives power loss. The schema lives in migrations/sqlite and is applied by Open.
//
// Every write goes through one connection (SQLite has one writer at a time anyway, and a
// single connection never waits on its own lock); reads use a separate pool of read-only
// connections, which WAL lets run beside the writer. Small concurrent writes share commits
// (combine.go) and the WAL is checkpointed in the background (checkpoint.go).
//
// Every query that reads the same on PostgreSQL is in persistence/internal/sqlstore, which
// this package embeds with SQLite's dialect. What stays here is what SQLite does its own way:
// the write batcher's group commit (Commit), one transaction on the writer with statements
// prepared once, and a delivery's outcome in two statements (commit.go). None of these names
// a user: they are system queries.
//
// It imports persistence, persistence/internal/sqlstore, messages and migrations. It is for a
// single node: a cluster needs persistence/postgres.
package sqlite
