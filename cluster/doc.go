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
// Membership comes in two kinds: Static (a fixed list: the single-node default and tests) and
// Memberlist (gossip with member states joining/active/draining and store_ok, debounced
// Topology events). Fencing lives here too: Lease (the node's lease in the store, judged by the
// monotonic clock) and StallDetector; the daemon turns their OnFenced into not-ready and a
// re-join under a new node id. Routers and hosts read the membership on every message.
//
// The long-lived services (Node, Memberlist, Lease, StallDetector) have the project's service
// shape (docs/architecture.md#lifecycle): NewX(XConfig, XDeps) validates the settings and
// collaborators and starts nothing; Start(ctx) binds and starts; Stop is idempotent and safe
// before Start. Before Start a Node routes nothing and a Memberlist has no member: their
// methods return zero values or errors.
//
// Transport security: the remote runs mutual TLS from cluster/mtls (server and dial
// credentials), and drops every message a peer sends that is not a wire type (a stop or
// poison for a host included); gossip is encrypted with the keys the caller gives, switching
// from a previous key or from clear text only once every member it sees is ready (gossipkeys.go).
//
// It imports only messages of ours, plus protoactor-go's actor and remote packages (never its
// cluster package, see docs/architecture.md#engine-choices), the gRPC that remote runs on (server and
// dial options only), hashicorp/memberlist, protobuf and the Prometheus client. Package
// cluster/clustertest starts in-process nodes for tests; cluster/chaos holds the fault tests on
// real ttrd processes.
package cluster
