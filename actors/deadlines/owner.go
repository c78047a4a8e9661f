package deadlines

import (
	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/cluster"
)

// Joiner is the membership of a node that may still be joining (cluster.Memberlist).
type Joiner interface {
	State() cluster.State
	// OwnerIfActive returns the owner of identity as if this node were already active.
	OwnerIfActive(identity string) (cluster.Member, bool)
}

// Owner decides which checks this node owns.
type Owner struct {
	// Membership is this node's view of the cluster. Required.
	Membership cluster.Membership
	// Joiner is the same view when it can be in state joining; nil for a one-node store.
	Joiner Joiner
}

// Owns reports whether check id belongs to this node. A joiner answers as if it were
// already active, so that it arms what it will own before it turns active.
func (o Owner) Owns(id int64) bool {
	ident := check.Identity(id)
	owner, ok := o.Membership.Owner(ident)
	if o.Joiner != nil && o.Joiner.State() == cluster.StateJoining {
		owner, ok = o.Joiner.OwnerIfActive(ident)
	}
	return ok && owner.ID == o.Membership.Self().ID
}
