// Package sqlstore is the SQL both stores share: every query, argument builder and scanner
// of persistence.Store that reads the same on SQLite and on PostgreSQL, written once against
// a small Querier interface that database/sql and pgx both satisfy (through thin adapters)
// and parameterised by a Dialect (placeholders, no-rows, unique and connection errors, the
// few fragments the two spell differently). The stores persistence/sqlite and
// persistence/postgres embed its Store and keep only what truly differs: opening, the group
// commit (pgx pipelining, the SQLite writer's prepared statements and write combiner) and a
// few dialect-specific statements.
//
// Queries are written with PostgreSQL's numbered placeholders ($1, $2 …); Dialect.Rebind
// turns them into SQLite's once, when the Store is built, never per call. A new table is one
// file here: its columns, scanner, argument builder and queries.
//
// It imports persistence, persistence/internal/schema and messages; no driver.
package sqlstore
