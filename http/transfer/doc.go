// Package transfer owns the document that moves a user's checks between ttr servers (GET
// /api/v1/checks/export, POST /api/v1/checks/import) and the reading of healthchecks.io's
// answers for an import from there: the document's shape and version, the sealing of
// channel settings under a passphrase (argon2id, then XChaCha20-Poly1305; never plaintext),
// which healthchecks servers an import may fetch from, and how their check and channel
// lists are read.
//
// It is pure: it imports messages and golang.org/x/crypto, performs no I/O and knows no
// store, actor or HTTP handler. The edge (package http) runs imports through the check
// actors. docs/api.md ("Export and import") describes the document.
package transfer
