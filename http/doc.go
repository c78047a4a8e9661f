// Package http is ttr's edge: the ping routes, the REST API (/api/v1), health endpoints, the
// middleware chain, and the internal listener (/metrics, /debug/pprof/).
//
// It owns no state. Reads go to a narrow Store interface declared here; every change to an
// existing check goes to the check's actor through the Checks interface (implemented over
// the router). It imports messages, the persistence contract (not an implementation),
// persistence/keyring, and the pure logic packages under actors/ (schedule, contentrule) to
// validate input; never an actor, a store implementation or cluster.
package http
