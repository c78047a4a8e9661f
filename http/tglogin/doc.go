// Package tglogin verifies "Login with Telegram" payloads (docs/api.md, "Login with
// Telegram"): the fields Telegram signs and sends to the site after a user confirms, by
// redirect or from its widget. A payload is accepted when its HMAC-SHA256 over the
// data-check-string, keyed by the SHA-256 of the bot token, matches its hash (compared in
// constant time), its auth_date is at most five minutes old, and — through a Seen store —
// its hash was never accepted before anywhere in the cluster.
//
// The package is pure: it reads no clock (now is an argument) and performs no I/O; the
// once-only record is the caller's Seen. It imports nothing of ours. Payload values never
// appear in its errors, and a Login logs only the age of its payload.
package tglogin
