// Package limiter holds allowances that must hold cluster-wide (sign-ups and failed
// authentications per client IP, test sends per user, alerts per user and destination host):
// one virtual actor per allowance and key, "limiter/<name>/<key>", placed like every other
// identity (rendezvous hashing over the active members), so N nodes share one bucket instead
// of multiplying the allowance by N.
//
// A request carries the allowance it asks against (a messages.LimitTake), so the actor needs
// no configuration and every node's flags apply as they are. The bucket lives in memory: an
// actor that passivates does so only when its bucket is full again (nothing is lost), and a
// handover after a topology change starts the key with a full bucket, which only ever errs
// on the side of the client.
//
// Client is the other side, over the router. It imports actors/ratelimit, cluster and
// messages.
package limiter
