package cluster

import (
	"fmt"
	"slices"
	"strings"
)

// MemberInfo describes one member of the cluster as the local node sees it, placed or not.
type MemberInfo struct {
	Member
	// GossipAddr is the member's memberlist address (ip:port).
	GossipAddr string
	// State is the member's lifecycle state; "" when its metadata could not be read.
	State State
	// StoreOK is false while the member cannot reach the store.
	StoreOK bool
	// Protocol is the node-to-node protocol version the member speaks.
	Protocol uint8
	// TLS is what the member announces about its remote ("on", "permit"; "" = clear text).
	TLS string
	// GossipKey names the member's own gossip key (not the key), "" without one.
	GossipKey string
	// Local marks the member this view was taken on.
	Local bool
	// Placed marks the members that own identities (Topology.Members).
	Placed bool
	// Problem says why a member is never placed whatever its state (metadata this node
	// cannot read, an incompatible protocol), or why an active member is not placed now
	// (it lost the store while most members have it). Empty otherwise.
	Problem string
}

// Topology is a node's view of the cluster at one moment.
type Topology struct {
	// Version increases with every change of the view on this node (not across nodes).
	Version uint64
	// Members are the placed members (Membership.Members), sorted by ID.
	Members []Member
	// All are the members known alive, the local one included, sorted by ID.
	All []MemberInfo
}

// Problems of members that are not placed.
const (
	problemStoreLost = "store unreachable while most members reach it"
)

// view is an immutable snapshot of the membership, swapped atomically on every change.
type view struct {
	version     uint64
	self        Member
	placement   *Rendezvous // placed members
	prospective *Rendezvous // as placement, but with the local node active
	all         []MemberInfo
}

func (v *view) topology() Topology {
	return Topology{Version: v.version, Members: v.placement.Members(), All: slices.Clone(v.all)}
}

// placeRule decides which members own identities. A member is placed when it is active,
// its metadata was understood, it speaks a protocol in [minProto, maxProto], and it reaches
// the store — the last only while most of the candidates reach it: when (nearly) every
// member lost the store, excluding them all would leave nobody, and excluding some would
// reshuffle identities for an outage that hits everyone alike (docs/architecture.md#fencing).
//
// It returns infos annotated (Placed, Problem) and sorted by ID, and the placed members.
func placeRule(infos []MemberInfo, minProto, maxProto uint8) ([]MemberInfo, []Member) {
	out := slices.Clone(infos)
	slices.SortFunc(out, func(a, b MemberInfo) int { return strings.Compare(a.ID, b.ID) })
	var candidates, withStore int
	for i := range out {
		mi := &out[i]
		mi.Placed = false
		if mi.Problem == "" && (mi.Protocol < minProto || mi.Protocol > maxProto) {
			mi.Problem = fmt.Sprintf("protocol %d outside %d..%d", mi.Protocol, minProto, maxProto)
		}
		if mi.Problem != "" || mi.State != StateActive {
			continue
		}
		candidates++
		if mi.StoreOK {
			withStore++
		}
	}
	excludeLost := 2*withStore > candidates
	var placed []Member
	for i := range out {
		mi := &out[i]
		if mi.Problem != "" || mi.State != StateActive {
			continue
		}
		if !mi.StoreOK && excludeLost {
			mi.Problem = problemStoreLost
			continue
		}
		mi.Placed = true
		placed = append(placed, mi.Member)
	}
	return out, placed
}

// buildView computes the view of self and peers. Peers must not include self and have
// distinct IDs.
func buildView(version uint64, self MemberInfo, peers []MemberInfo, minProto, maxProto uint8) (*view, error) {
	all, placed := placeRule(append(slices.Clone(peers), self), minProto, maxProto)
	placement, err := NewRendezvous(placed)
	if err != nil {
		return nil, err
	}
	as := self
	as.State = StateActive
	_, future := placeRule(append(slices.Clone(peers), as), minProto, maxProto)
	prospective, err := NewRendezvous(future)
	if err != nil {
		return nil, err
	}
	return &view{version: version, self: self.Member, placement: placement, prospective: prospective, all: all}, nil
}

// storeOutageShared reports whether, in all, the members that lost the store are a strict
// majority of the members that may still be alive: those in view plus failed, the members
// that vanished without leaving recently (they may be alive behind a partition, with the
// store).
func storeOutageShared(all []MemberInfo, failed int) bool {
	lost := 0
	for _, mi := range all {
		if mi.State != "" && !mi.StoreOK { // State "" = metadata not understood: unknown
			lost++
		}
	}
	return 2*lost > len(all)+failed
}
