// Package limit is the edge's side of ttr's abuse limits (docs/operations.md "Abuse
// limits"): the client IP (the socket's, or what trusted proxies forwarded), and the
// allowances the edge enforces: sign-ups and failed authentications per client IP and test
// sends per user, which hold cluster-wide through a Shared limiter; API requests per
// credential and per IP, and pings per IP, which each node enforces on its share.
//
// Other parts of the edge call it in a few places: AuthBlocked before checking a credential,
// AuthFailed after one did not authenticate, SignUp before minting a user, TestSend before a
// test alert. A nil *Limits allows everything.
//
// It imports messages, actors/ratelimit and the Prometheus client; the cluster-wide
// allowances come through the Shared interface it declares (actors/limiter implements it).
package limit
