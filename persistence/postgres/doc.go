// Package postgres is the persistence.Store on PostgreSQL, through a pgx/v5 connection pool;
// it is the store a multi-node cluster shares. It owns the SQL for the Postgres dialect; the
// schema lives in migrations/postgres and is applied by Open under goose's advisory lock, so
// nodes starting together migrate once.
//
// The write batcher's group commit (Commit) pipelines its statements: one round trip runs
// the conditional check-row updates, a second the appends (pings, flips and outbox rows as
// one multi-row statement each) and the commit.
//
// The queries that do not name a user (resolving a public UUID, activation, wheel loads, the
// sweeper, the batcher, the outbox, node leases, the notifiers' rate state and Reseal) are
// in system.go; every other query carries the user id in its WHERE clause.
//
// It imports persistence, messages and migrations.
package postgres
