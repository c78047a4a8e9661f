// Package credential holds the pure rules of API credentials: the shape of scoped API
// tokens (minting, parsing, the prefix that finds them), their scopes, and the allowed
// client networks of keys and tokens (docs/api.md "API tokens", "Key hygiene"). It does no
// I/O beyond reading crypto/rand, and imports only the standard library.
package credential
