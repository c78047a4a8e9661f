// Package cleanup removes checks and users that have been inactive for long
// (docs/operations.md, "Cleanup of inactive checks and users"). It is off unless the
// operator sets an inactivity period.
//
// A run holds a store-backed named lease, so one node at a time runs it across a cluster;
// it refuses to start while the node's store is unhealthy, plans the whole run first with
// the pure rules of package selection (the same plan `ttrd cleanup --dry-run` prints),
// refuses a plan that would remove more than a configured share of all checks, then
// removes in batches: each check through its actor (the path DELETE /api/v1/checks/{id}
// takes), each user through the store once its checks are gone. Every row is decided again
// just before it goes, so a ping or a sign-in that arrives during a run saves it.
//
// It imports persistence (reads), messages, prometheus and actors/cleanup/selection; the
// check actors are reached through the Deleter interface it declares.
package cleanup
