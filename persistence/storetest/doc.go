// Package storetest is the conformance suite every persistence.Store must pass (Run, on
// stores that reseal in batches of ResealBatch), the Commit benchmark both stores run
// (BenchCommit), and the helpers other packages' tests use to get a store with data in it:
// fresh PostgreSQL databases and schemas (PostgresURL, PostgresSchema), users and checks
// (NewUser, NewCheck), values with every field set (FullConfig, FullState) and keyset
// positions (KeyOf).
//
// It imports persistence and messages, and pgx to create and drop test databases. It is
// imported only by tests.
package storetest
