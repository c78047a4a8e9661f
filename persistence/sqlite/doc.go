// Package sqlite is the embedded persistence.Store: one database file opened with
// modernc.org/sqlite (pure Go, no cgo) in WAL mode with synchronous=FULL, so a committed
// write survives power loss. It owns the SQL for the SQLite dialect; the schema itself lives
// in migrations/sqlite and is applied by Open.
//
// Every write goes through one connection (SQLite has one writer at a time anyway, and a
// single connection never waits on its own lock); reads use a separate pool of read-only
// connections, which WAL lets run beside the writer. The write batcher's group commit
// (Commit) is one transaction on the writer with statements prepared once.
//
// The queries that do not name a user (resolving a public UUID, activation, wheel loads, the
// sweeper, the batcher, the outbox, node leases, the notifiers' rate state and Reseal) are
// in system.go; every other query carries the user id in its WHERE clause.
//
// It imports persistence, messages and migrations. It is for a single node: a cluster needs
// persistence/postgres.
package sqlite
