// Package pingpath parses the paths of ping URLs (docs/api.md#ping-api) into a Target: which check they
// name and what the ping says. It is pure (no I/O, no HTTP, no store) and allocation-free on
// canonical input, since every ping goes through it.
//
// It imports only the standard library.
package pingpath
