// Package postgres is the persistence.Store on PostgreSQL, through a pgx/v5 connection pool;
// it is the store a multi-node cluster shares. The schema lives in migrations/postgres and is
// applied by Open under goose's advisory lock, so nodes starting together migrate once.
//
// Every query that reads the same on SQLite is in persistence/internal/sqlstore, which this
// package embeds with PostgreSQL's dialect. What stays here is what PostgreSQL does its own
// way: the write batcher's group commit (Commit), which pipelines its statements — one round
// trip runs the conditional check-row updates, a second the appends (pings, flips and outbox
// rows as one multi-row statement each) and the commit —, activation's three reads in one
// round trip, a delivery's outcome in one statement and Reseal's batch updates (commit.go).
// None of these names a user: they are system queries.
//
// It imports persistence, persistence/internal/sqlstore, messages and migrations.
package postgres
