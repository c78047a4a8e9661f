package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
)

// Member is one node of the cluster as the others see it.
type Member struct {
	// ID is new at every process start (see docs/architecture.md#placement): a restarted node is a
	// new member, so nothing addressed to its previous life reaches it by accident.
	ID string
	// Name is a display label (--node-name); it plays no part in placement.
	Name string
	// RemoteAddr is the host:port of the node's protoactor remote endpoint.
	RemoteAddr string
	// HTTPAddr is the host:port of the node's HTTP edge.
	HTTPAddr string
}

// Membership is a node's current view of the cluster. Implementations are safe for concurrent
// use; the view may change between two calls (the router and the hosts cope with a view that
// is out of date: a host refuses what it does not own, the router retries).
type Membership interface {
	// Self returns the local member.
	Self() Member
	// Owner returns the active member that owns identity (rendezvous hashing over active
	// members), or false when there is no active member.
	Owner(identity string) (Member, bool)
	// Members returns the active members.
	Members() []Member
}

// NewNodeID returns a fresh random node id (16 hex digits), one per process start.
func NewNodeID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// Static is a Membership with a member list given by its owner rather than discovered: fixed
// deployments, tests, and the single-node default. SetMembers replaces the list atomically.
type Static struct {
	self  Member
	state atomic.Pointer[Rendezvous]
}

var _ Membership = (*Static)(nil)

// NewStatic returns a membership of self and the active members. self need not be among them
// (a node that is not active owns nothing); members must have distinct, non-empty IDs.
func NewStatic(self Member, members []Member) (*Static, error) {
	s := &Static{self: self}
	if err := s.SetMembers(members); err != nil {
		return nil, err
	}
	return s, nil
}

// SetMembers replaces the active members.
func (s *Static) SetMembers(members []Member) error {
	r, err := NewRendezvous(members)
	if err != nil {
		return fmt.Errorf("static membership: %w", err)
	}
	s.state.Store(r)
	return nil
}

// Self returns the local member.
func (s *Static) Self() Member { return s.self }

// Owner returns the member that owns identity.
func (s *Static) Owner(identity string) (Member, bool) { return s.state.Load().Owner(identity) }

// Members returns a copy of the active members.
func (s *Static) Members() []Member { return s.state.Load().Members() }
