// Package deadlines wires a node's deadline machinery (docs/architecture.md#deadlines): the
// wheel (actors/wheel) that fires each owned check's wake-up on time, the sweeper
// (actors/sweeper) that repairs wake-ups the wheel lost, and the passes that fill the wheel
// from the store — at start-up, after a topology change, and after a store outage, whose
// length is first added to the deadlines that fell inside it (docs/architecture.md#store-outages).
//
// A wake-up becomes a Tick sent to the check's actor; only the checks this node owns (see
// [Owner]) are armed or poked. The same pass seeds the node's census of owned checks.
//
// It imports the wheel, the sweeper, the census, the check actor's identity, cluster (for
// membership) and persistence (for the store's entries).
package deadlines
