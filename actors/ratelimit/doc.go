// Package ratelimit is the pure logic of ttr's abuse limits (docs/operations.md "Abuse
// limits"): a [Limit] (so many events per second with bursts of so many), a [Bucket] that
// enforces one, and a [Set] of buckets by key (per client IP, per credential, per user).
//
// Every method takes the time it happens at: nothing reads a clock, sleeps or does I/O, so
// the callers (HTTP middleware, the check actor, the cluster-wide limiter actor, the content
// rule budget) decide where the time comes from and tests inject it. The token arithmetic is
// golang.org/x/time/rate's; this package adds retry-after answers, debts and bounded sets.
//
// It imports the standard library and golang.org/x/time/rate only.
package ratelimit
