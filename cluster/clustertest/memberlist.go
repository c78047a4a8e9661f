package clustertest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// MemberlistOptions tune StartMemberlists.
type MemberlistOptions struct {
	// Configure adjusts the configuration of node i (LocalConfig, a display name "node<i>"
	// and a made-up remote address before).
	Configure func(i int, c *cluster.MemberlistConfig)
	// Deps returns the collaborators of node i. Default: none.
	Deps func(i int) cluster.MemberlistDeps
	// State is the state each node announces once all have joined. Default active.
	State cluster.State
	// Timeout bounds the wait for the nodes to agree. Default 10 s.
	Timeout time.Duration
}

// NewMemberlist starts a Memberlist and stops it when tb ends.
func NewMemberlist(tb testing.TB, cfg cluster.MemberlistConfig, deps cluster.MemberlistDeps) *cluster.Memberlist {
	tb.Helper()
	m, err := cluster.NewMemberlist(cfg, deps)
	if err != nil {
		tb.Fatalf("membership: %v", err)
	}
	tb.Cleanup(m.Stop)
	if err := m.Start(context.Background()); err != nil {
		tb.Fatalf("start membership: %v", err)
	}
	return m
}

// LocalMemberlistConfig returns LocalConfig for node i of a test: display name "node<i>"
// and a remote address that nothing listens on (enough for membership tests without
// actor systems).
func LocalMemberlistConfig(i int) cluster.MemberlistConfig {
	c := cluster.LocalConfig()
	c.NodeName = fmt.Sprintf("node%d", i)
	c.RemoteAddr = fmt.Sprintf("127.0.0.1:%d", 20000+i)
	return c
}

// StartMemberlists starts n memberships on 127.0.0.1 (free ports), joins them to the
// first, sets their state, and waits until every one sees all n and agrees on the placed
// members. They are stopped when tb ends.
func StartMemberlists(tb testing.TB, n int, opts MemberlistOptions) []*cluster.Memberlist {
	tb.Helper()
	if opts.State == "" {
		opts.State = cluster.StateActive
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	ms := make([]*cluster.Memberlist, n)
	for i := range n {
		c := LocalMemberlistConfig(i)
		if opts.Configure != nil {
			opts.Configure(i, &c)
		}
		var d cluster.MemberlistDeps
		if opts.Deps != nil {
			d = opts.Deps(i)
		}
		ms[i] = NewMemberlist(tb, c, d)
		if i > 0 {
			if _, err := ms[i].Join([]string{ms[0].GossipAddr()}); err != nil {
				tb.Fatalf("node %d: %v", i, err)
			}
		}
	}
	waittest.Until(tb, opts.Timeout, "every member to see them all", func() bool {
		for _, m := range ms {
			if len(m.Topology().All) != n {
				return false
			}
		}
		return true
	})
	for i, m := range ms {
		if err := m.SetState(opts.State); err != nil {
			tb.Fatalf("node %d: set state: %v", i, err)
		}
	}
	want := 0
	if opts.State == cluster.StateActive {
		want = n
	}
	WaitAgreed(tb, opts.Timeout, want, ms...)
	return ms
}

// WaitAgreed waits until every membership places the same placed members, want of them.
func WaitAgreed(tb testing.TB, timeout time.Duration, want int, ms ...*cluster.Memberlist) {
	tb.Helper()
	waittest.UntilWhy(tb, timeout, fmt.Sprintf("memberships to agree on %d members", want), func() (bool, string) {
		return Agreed(want, ms...)
	})
}

// Agreed reports whether every membership places the same want members, and if not, what
// each places.
func Agreed(want int, ms ...*cluster.Memberlist) (bool, string) {
	var first []string
	ok := true
	detail := ""
	for i, m := range ms {
		ids := PlacedIDs(m)
		detail += fmt.Sprintf("[%d %s: %v] ", i, m.Self().ID, ids)
		if len(ids) != want {
			ok = false
		}
		if i == 0 {
			first = ids
		} else if !slices.Equal(ids, first) {
			ok = false
		}
	}
	return ok, detail
}

// PlacedIDs returns the IDs of the members m places, sorted.
func PlacedIDs(m cluster.Membership) []string {
	var ids []string
	for _, mm := range m.Members() {
		ids = append(ids, mm.ID)
	}
	slices.Sort(ids)
	return ids
}
