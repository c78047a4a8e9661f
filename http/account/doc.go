// Package account is the self-service of a user's own account, shared by the REST API
// (/api/v1/user…) and the web UI's account page: minting an anonymous user, reading the
// account, rotating the access key and the ping key, changing the user slug (released slugs
// are held 24 h), display settings (theme, light/dark mode, time zone, slug pings) and
// deleting the account (its checks through their actors first).
//
// It owns the rules (slug syntax, theme names, the confirmation of a deletion) and no
// transport: callers decode, call one method, encode. It imports messages, persistence (the
// contract), persistence/keyring and http/session.
package account
