// Package activity records the authentication activity log (docs/api.md "Activity"):
// failed authentications capped per client address, each credential's successful use once
// per address an hour, and every account event (its retention belongs to actors/retention). Rows
// hold a keyed hash of the client address, never the address. It imports persistence's
// interfaces and messages only.
package activity
