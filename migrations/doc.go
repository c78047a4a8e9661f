// Package migrations holds ttr's SQL schema, one ordered set of goose migrations per dialect
// (sqlite/ and postgres/, embedded in the binary), and Up, which applies the pending ones when
// a node starts.
//
// Both dialects define the same tables and columns: times are BIGINT unix milliseconds (NULL
// for none), durations milliseconds, bodies and sealed secrets bytes.
//
// # Expand and contract
//
// During a rolling upgrade two adjacent versions of ttrd run side by side against one
// database, and every node runs Up when it starts. So the migrations in these directories must
// be additive ("expand"): new tables, new nullable columns or columns with defaults, new
// indexes. An older binary keeps working because every query names its columns and never
// relies on a column it does not know. Anything that would break the previous version —
// dropping or renaming a column or table, tightening a constraint, changing a type — is a
// "contract" step: it is released only after every node runs a version that no longer needs
// the old shape, and it is run by hand with `ttrd migrate --contract`, never at start.
//
// A migration file, once released, is never edited; a fix is a new migration.
//
// It imports no package of ours.
package migrations
