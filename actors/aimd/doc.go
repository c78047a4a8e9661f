// Package aimd is the adaptive rate control of one alert destination
// (docs/architecture.md#alerting-rules): a token bucket whose rate and size grow additively while the receiver accepts
// alerts and shrink multiplicatively when it answers 429 or fails, with a back-off during
// which nothing is sent.
//
// A [Bucket] is a value with an injected clock: every method takes the time it happens at,
// nothing reads a clock, sleeps or does I/O. The notifier actor owns one bucket per
// destination, asks [Bucket.Delay] before each send, calls [Bucket.Take] when the send
// starts and [Bucket.Observe] with its outcome; it persists [Bucket.State] when
// [Bucket.Version] moved, so a back-off survives a restart or a handover.
//
// A local throttle wait (the bucket has no token yet) is not a failure: it never lowers the
// rate. Only what a receiver answered does.
//
// It imports messages only (RateState, RateSnapshot).
package aimd
