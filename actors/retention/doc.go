// Package retention keeps the store from growing forever (docs/operations.md, "Retention"):
// one background service, run by one node at a time under the store's job lease
// "retention", that walks a table of rules — the ping log beyond each check's newest
// --ping-log-limit pings, flips older than 400 days, finished alerts (outbox rows, the
// deliveries the API lists) older than 30 days, authentication activity older than 90 days,
// retired credentials older than a day — and deletes in small batches, pausing between them
// so that at most a fixed share of the store's time goes to pruning: a first pass over a
// large store after an upgrade does not slow pings.
//
// What a reader still needs is never a candidate: the ping log keeps each check's newest
// pings (the request-id dedupe window an activation reloads is a part of them), the outbox
// keeps every pending alert however old, and 400 days of flips cover any uptime a status page
// shows. The ping log is also trimmed in each check's own commit (every tenth ping, package
// actors/check); this pass removes what is left over and what a lowered limit leaves.
//
// It exports counters of the rows pruned per table and gauges of the age of each table's
// oldest row. It imports persistence (the store's retention queries), actors/joblease and
// prometheus.
package retention
