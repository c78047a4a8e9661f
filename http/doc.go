// Package http is ttr's edge: the ping routes, the REST API (/api/v1), admin sign-in and the
// admin API, health endpoints, the middleware chain, /metrics for operators, and the internal
// listener (/metrics, /debug/pprof/).
//
// It owns no state. Reads go to a narrow Store interface declared here; every change to an
// existing check goes to the check's actor through the Checks interface (implemented over
// the router); channel tests and rate snapshots go to notifier actors through Notifiers. It
// imports messages, the persistence contract (not an implementation), persistence/keyring,
// its own pingpath parser and adminauth (password hashes and admin tokens), and the pure packages under actors/ (schedule, contentrule to
// validate input; alert to build test payloads and destination identities); never an actor,
// a store implementation or cluster.
package http
