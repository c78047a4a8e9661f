// Package cluster owns where virtual actors live and how messages reach them: the membership
// (a node's view of the active members), placement (rendezvous hashing of identities over
// the active members), the node (a protoactor actor system with its remote endpoint), the
// host actor of each kind (activates a child per identity on demand, only on the owner, and
// passivates it without losing a message), and the router, the one way any code sends to an
// identity (the envelope, request ids, replies, retries until the caller's deadline).
//
// It knows no check logic: children are produced by the caller, decode their own envelopes
// (Unmarshal) and answer with the reply constructors (OK, Invalid, NotOwner, Unavailable,
// ReplyOf). Only messages.Envelope and messages.Reply cross nodes.
//
// Seams for membership on memberlist: a new Membership implementation (Owner over the active
// members, e.g. with a Rendezvous rebuilt on each topology change) plus Node.Rebalance after
// each change; routers and hosts read the membership on every message.
//
// It imports only messages of ours, plus protoactor-go's actor and remote packages (never its
// cluster package, see DESIGN.md "Engine choices"), the gRPC that remote runs on (server and
// dial options only), protobuf and the Prometheus client. Package cluster/clustertest starts
// in-process nodes for tests.
package cluster
