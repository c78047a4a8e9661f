// Package migrations holds ttr's SQL schema as two sets of goose migrations per dialect, all
// embedded in the binary:
//
//   - the expand set (sqlite/*.sql, postgres/*.sql), which Up applies when a node starts,
//     recorded in goose's default table goose_db_version;
//   - the contract set (sqlite/contract/*.sql, postgres/contract/*.sql), which Contract
//     applies and only `ttrd migrate --contract` calls, recorded in its own table
//     (ContractTable), so the two sets are numbered and tracked independently.
//
// Both dialects define the same tables and columns: times are BIGINT unix milliseconds (NULL
// for none), durations milliseconds, bodies and sealed secrets bytes.
//
// # Expand and contract
//
// During a rolling upgrade two adjacent versions of ttrd run side by side against one
// database, and every node runs Up when it starts. So the expand set must be additive: new
// tables, new nullable columns or columns with defaults, new indexes. An older binary keeps
// working because every query names its columns and never relies on a column it does not
// know. Anything that would break the previous version — dropping or renaming a column or
// table, tightening a constraint, changing a type — goes into the contract set: it is released
// only after every node runs a version that no longer needs the old shape, and an operator
// runs it with `ttrd migrate --contract` once the last node is upgraded, never at start
// (docs/operations.md#upgrades). The tests hold the expand set to this rule, and the upgrade
// test in cmd/ttrd runs the previous release against the migrated schema.
//
// A migration file, once released, is never edited; a fix is a new migration.
//
// It imports no package of ours.
package migrations
