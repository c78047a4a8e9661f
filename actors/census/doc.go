// Package census keeps this node's share of two cluster-wide numbers as Prometheus gauges:
// the checks it owns by status (ttr_checks) and the pending outbox rows of the destinations
// whose notifiers run on it (ttr_outbox_depth). Summed over the nodes they give the cluster's
// totals.
//
// Both are kept up to date by events — a check actor's committed status, a notifier's count
// of its pending rows — and seeded by the passes a node already makes when it arms its
// deadlines, so a scrape reads a few integers and never queries the store. The check side
// holds one small map entry per owned check (its status), which is what lets an ownership
// handover, a repeated report or a seeding pass racing a status change leave the counts right:
// a count is always the size of a set, never a running sum of deltas.
//
// It imports only the Prometheus client and messages (for the status names).
package census
