// Package notify delivers the alert outbox (SPEC §4, DESIGN "Alerts: a durable outbox").
//
// It owns three things:
//
//   - Senders, one per channel ([Sender]; today the [Webhook]), which turn one outbox row into
//     one request and classify what happened ([Result]: delivered, transient, permanent or
//     rate limited). HTTP senders share [NewHTTPClient], which refuses loopback, private,
//     link-local, CGNAT, multicast and metadata addresses after DNS resolution (SPEC §5).
//   - The notifier actor ([NewProducer]), one per destination identity
//     ("notifier/<dest hash>"). It delivers the destination's pending rows one at a time in
//     FIFO order, claiming each row before the send, and records every outcome with its
//     retry schedule. Store calls and sends run off the actor's goroutine; their results come
//     back as messages, so a slow receiver never blocks another destination.
//   - The [Dispatcher], a node-local service that pokes the notifiers of destinations whose
//     rows are due, so rows left behind by a crash, a handover or an expired claim are picked
//     up.
//
// A per-destination [Policy] decides when the next send may start. Today it is [Unlimited];
// adaptive rate control (AIMD) plugs in there later without touching the actor.
//
// It imports messages, persistence (for the outbox contract), persistence/keyring, the
// protoactor actor package, protobuf (the router's body type) and the Prometheus client. It
// does not import cluster: the wiring adapts the router to [Poker] (see [NewRouterPoker]) and
// hands the notifiers a passivate function in [Deps].
package notify
