// Package notify delivers the alert outbox (docs/architecture.md#alerts-the-outbox).
//
// It owns four things:
//
//   - Senders, one per channel ([Sender]: [Webhook], [Slack], [Discord], [Telegram],
//     [Email]), which turn one outbox row into one request and classify what happened
//     ([Result]: delivered, transient, permanent or rate limited). HTTP senders to
//     user-given URLs share [NewHTTPClient], which refuses loopback, private, link-local,
//     CGNAT, multicast and metadata addresses after DNS resolution (docs/operations.md#outbound-webhooks).
//   - The notifier actor ([NewProducer]), one per destination identity
//     ("notifier/<dest hash>"). It delivers the destination's pending rows one at a time in
//     FIFO order, claiming each row before the send, and records every outcome with its
//     retry schedule. Store calls and sends run off the actor's goroutine; their results come
//     back as messages, so a slow receiver never blocks another destination. It also serves
//     test sends ahead of the backlog and rate queries ([Client] asks for both through the
//     router).
//   - The rate control: every send waits for the destination's [Policy], by default [AIMD]
//     (an adaptive token bucket, package actors/aimd, configured by [Config].Rate). The
//     notifier loads the destination's rate state when it activates and saves it after a
//     send that changed it, so a 429's back-off survives a restart or a handover. A wait
//     for the policy is one timer, never an attempt and never a penalty.
//   - The [Dispatcher], a node-local service that pokes the notifiers of destinations whose
//     rows are due, so rows left behind by a crash, a handover or an expired claim are picked
//     up.
//
// It imports messages, persistence (the outbox and rate-state contracts),
// persistence/keyring, actors/aimd, actors/alert (message formats), cluster (the reply
// vocabulary: OKWith, Invalid, ErrorOf …; never the node or the router, which the wiring
// adapts to [Poker] and [Requester]), the protoactor actor package, protobuf, the
// Prometheus client and go-mail (the email channel's SMTP client).
package notify
