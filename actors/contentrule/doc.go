// Package contentrule compiles and evaluates a check's content rule (docs/architecture.md#check-rules): a substring or
// RE2 pattern that must be present in, or absent from, a ping's body and query string. A ping
// that violates it counts as a failure, with the reason this package returns.
//
// It is pure logic: it imports only messages and the standard library.
package contentrule
