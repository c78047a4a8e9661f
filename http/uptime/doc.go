// Package uptime computes exact, time-weighted uptime from uptime marks (docs/architecture.md#uptime):
// the cumulative up and tracked time a check had at each of its flips. The up time within
// any interval is the difference of the sums at its two ends, so a day, a rolling window or
// 90 days cost two lookups each, whatever the number of flips in them. Days are those of a
// time zone (the page owner's), so a day may last 23 or 25 hours. New and paused time is not
// tracked: it counts neither as up nor as down.
//
// It is pure logic: no HTTP, SQL or actor imports.
package uptime
