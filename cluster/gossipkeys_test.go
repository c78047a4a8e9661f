package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// rolling replaces the members of a cluster one by one, each replacement joining the others,
// and checks after every step that the cluster holds every member, seen alike by all.
type rolling struct {
	t  *testing.T
	ms []*cluster.Memberlist
}

func (r *rolling) replace(i int, configure func(c *cluster.MemberlistConfig)) {
	r.t.Helper()
	if r.ms[i] != nil {
		if err := r.ms[i].Leave(time.Second); err != nil {
			r.t.Fatal(err)
		}
		r.ms[i].Stop()
	}
	c := clustertest.LocalMemberlistConfig(i)
	configure(&c)
	m := clustertest.NewMemberlist(r.t, c, cluster.MemberlistDeps{})
	var peers []string
	for j, o := range r.ms {
		if j != i && o != nil {
			peers = append(peers, o.GossipAddr())
		}
	}
	r.ms[i] = m
	if len(peers) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.JoinWithRetry(ctx, peers); err != nil {
			r.t.Fatalf("member %d joins: %v", i, err)
		}
	}
	n := 0
	for _, o := range r.ms {
		if o != nil {
			n++
		}
	}
	waittest.Until(r.t, 10*time.Second, "the condition", func() bool {
		for _, o := range r.ms {
			if o != nil && o.NumAlive() != n {
				return false
			}
		}
		return true
	})
}

// TestGossipUpgradeFromClearText rolls a clear-text cluster onto encrypted gossip: every node
// replaced by one in permit mode, then every one by one with verification on. The cluster
// stays whole at every step, and the permit nodes encrypt once no clear-text node is left.
func TestGossipUpgradeFromClearText(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	plain := func(*cluster.MemberlistConfig) {}
	permit := func(c *cluster.MemberlistConfig) { c.SecretKey, c.Permit, c.Announce = key, true, "permit" }
	on := func(c *cluster.MemberlistConfig) { c.SecretKey, c.Announce = key, "on" }
	r := &rolling{t: t, ms: make([]*cluster.Memberlist, 3)}
	for i := range 3 {
		r.replace(i, plain)
	}
	for i := range 3 {
		r.replace(i, permit)
		if i < 2 && r.ms[i].Settled() {
			t.Fatalf("permit node %d encrypts while clear-text nodes remain", i)
		}
	}
	waittest.Until(t, 5*time.Second, "the condition", func() bool {
		return r.ms[0].Settled() && r.ms[1].Settled() && r.ms[2].Settled()
	})
	for i := range 3 {
		r.replace(i, on)
	}
}

// TestGossipSecretRotation rolls a cluster from one gossip key to another: every node gets the
// new key with the old as previous, then every node the new key alone.
func TestGossipSecretRotation(t *testing.T) {
	oldKey, newKey := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	r := &rolling{t: t, ms: make([]*cluster.Memberlist, 3)}
	for i := range 3 {
		r.replace(i, func(c *cluster.MemberlistConfig) { c.SecretKey = oldKey })
	}
	for i := range 3 {
		r.replace(i, func(c *cluster.MemberlistConfig) { c.SecretKey, c.PreviousKeys = newKey, [][]byte{oldKey} })
	}
	waittest.Until(t, 5*time.Second, "the condition", func() bool {
		return r.ms[0].Settled() && r.ms[1].Settled() && r.ms[2].Settled()
	})
	for i := range 3 {
		r.replace(i, func(c *cluster.MemberlistConfig) { c.SecretKey = newKey })
	}
}
