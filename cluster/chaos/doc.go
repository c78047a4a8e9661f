// Package chaos holds the process-level fault tests of a ttrd cluster
// (docs/testing.md#fault-tests): three real ttrd processes on one PostgreSQL database,
// driven by a load client that keeps a ledger of acknowledged pings, canary checks that stop
// pinging at a known moment, and a webhook sink that records every delivery. The faults are
// kill -9, a rolling restart, SIGSTOP/SIGCONT, a PostgreSQL restart (on a private instance
// the test starts) and repeated kill/restart cycles.
//
// The package has no non-test code. `go test ./cluster/chaos/` runs the short versions; the
// long ones run with -chaos.long or TTR_CHAOS_LONG=1 (`make chaos`). It imports only the
// test helpers of persistence/storetest and the keyring's key generator; it talks to ttrd
// over HTTP and to PostgreSQL with pgx, as an operator would.
package chaos
