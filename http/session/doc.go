// Package session signs browsers in to the web UI and protects what they send (docs/operations.md "Web UI and sessions"):
// sessions are random tokens kept in a cookie and stored only as a keyed hash, with an idle
// and an absolute expiry, valid on every node (the store holds them; each node caches a
// lookup for at most CacheTTL); CSRF protection is a double-submit token bound to the session
// by an HMAC plus Go's cross-origin protection.
//
// It also owns the one path by which any credential failure is reported (Manager.Failed), so
// a failed-auth limiter has a single place to hook in.
//
// It imports messages and net/http only; the edge (package http) and the pages (http/web)
// both use it. See docs/operations.md "Web UI and sessions".
package session
