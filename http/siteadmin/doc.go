// Package siteadmin is what an operator does, whichever door they come through: the admin
// API (package http, with an access JWT) and the admin pages (http/web, with an admin
// session) call the same functions, so a sign-in backs off, an action is recorded and a
// user is disabled or deleted the same way on both (docs/api.md "Admin API",
// docs/operations.md "Admin pages").
//
// It owns the password check of a sign-in under the failed-authentication limits (per client
// address, and per username and address: never a lock-out of the real admin from elsewhere),
// the disabling, enabling and deletion of users (checks through their actors, the slug
// held), and the activity rows of each. It imports persistence, messages, http/adminauth,
// http/limit and http/activity.
package siteadmin
