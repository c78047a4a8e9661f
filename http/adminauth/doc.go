// Package adminauth holds the pure parts of operator sign-in: argon2id password hashes in
// the PHC string format (with a dummy hash, so an unknown username costs what a wrong
// password costs), and the HS256 JWTs an admin holds — a short-lived access token and a
// refresh token rotated on use — plus the CSRF token bound to a sign-in.
//
// It does no I/O: the allow-list of refresh tokens and the revocations live in the store
// (persistence.AdminStore) and the HTTP handlers in package http use both. It imports
// golang-jwt/jwt/v5 and x/crypto/argon2, nothing of ours.
package adminauth
