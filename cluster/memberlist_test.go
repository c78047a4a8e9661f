package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/hashicorp/memberlist"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// placedOwners returns the owner ID of "check/0" … "check/<n-1>" on m.
func placedOwners(t *testing.T, m cluster.Membership, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range n {
		o, ok := m.Owner(fmt.Sprintf("check/%d", i))
		if !ok {
			t.Fatalf("no owner for check/%d", i)
		}
		out[i] = o.ID
	}
	return out
}

func ids(ms ...*cluster.Memberlist) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Self().ID)
	}
	slices.Sort(out)
	return out
}

func info(t *testing.T, m *cluster.Memberlist, id string) cluster.MemberInfo {
	t.Helper()
	for _, mi := range m.Topology().All {
		if mi.ID == id {
			return mi
		}
	}
	t.Fatalf("%s does not know %s", m.Self().ID, id)
	return cluster.MemberInfo{}
}

func TestMemberlistJoinAndAgree(t *testing.T) {
	reg := prometheus.NewRegistry()
	ms := clustertest.StartMemberlists(t, 3, clustertest.MemberlistOptions{
		Configure: func(i int, c *cluster.MemberlistConfig) {
			c.HTTPAddr = fmt.Sprintf("127.0.0.1:%d", 8080+i)
		},
		Deps: func(i int) cluster.MemberlistDeps {
			if i == 0 {
				return cluster.MemberlistDeps{Registerer: reg}
			}
			return cluster.MemberlistDeps{}
		},
	})
	if got, want := clustertest.PlacedIDs(ms[0]), ids(ms...); !slices.Equal(got, want) {
		t.Fatalf("placed %v, want %v", got, want)
	}
	ref := placedOwners(t, ms[0], 1000)
	share := map[string]int{}
	for _, o := range ref {
		share[o]++
	}
	for i, m := range ms[1:] {
		if got := placedOwners(t, m, 1000); !slices.Equal(got, ref) {
			t.Errorf("node %d places identities differently from node 0", i+1)
		}
	}
	for _, m := range ms {
		if share[m.Self().ID] < 200 { // fair share 333; rendezvous_test checks the balance
			t.Errorf("node %s owns %d of 1000", m.Self().ID, share[m.Self().ID])
		}
	}
	// What a peer announces arrives intact.
	mi := info(t, ms[0], ms[1].Self().ID)
	want := cluster.MemberInfo{Member: ms[1].Self(), GossipAddr: ms[1].GossipAddr(), State: cluster.StateActive,
		StoreOK: true, Protocol: cluster.ProtocolVersion, Placed: true}
	if mi != want {
		t.Errorf("node 0 sees node 1 as %+v, want %+v", mi, want)
	}
	if self := info(t, ms[0], ms[0].Self().ID); !self.Local || self.Name != "node0" || self.HTTPAddr != "127.0.0.1:8080" {
		t.Errorf("node 0 sees itself as %+v", self)
	}
	if got := metric(t, reg, "ttr_cluster_members", map[string]string{"state": "active"}); got != 3 {
		t.Errorf("ttr_cluster_members{state=active} = %v, want 3", got)
	}
	if got := metric(t, reg, "ttr_cluster_placed_members", nil); got != 3 {
		t.Errorf("ttr_cluster_placed_members = %v, want 3", got)
	}
	if got := metric(t, reg, "ttr_cluster_topology_changes_total", nil); got < 1 {
		t.Errorf("ttr_cluster_topology_changes_total = %v", got)
	}
}

func TestMemberlistStates(t *testing.T) {
	ms := clustertest.StartMemberlists(t, 3, clustertest.MemberlistOptions{State: cluster.StateJoining})
	if _, ok := ms[0].Owner("check/1"); ok {
		t.Fatal("an identity has an owner while every member is joining")
	}
	// A joining node can tell what it will own.
	if o, ok := ms[1].OwnerIfActive("check/1"); !ok || o.ID != ms[1].Self().ID {
		t.Fatalf("OwnerIfActive = %v %v, want the node itself", o.ID, ok)
	}

	step := func(name string, i int, s cluster.State, placed ...*cluster.Memberlist) {
		t.Helper()
		if err := ms[i].SetState(s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := ms[i].State(); got != s {
			t.Fatalf("%s: State() = %q", name, got)
		}
		want := ids(placed...)
		for j, m := range ms {
			waittest.Until(t, 5*time.Second, "the condition", func() bool { return slices.Equal(clustertest.PlacedIDs(m), want) })
			for _, o := range placedOwners(t, m, 300) {
				if !slices.Contains(want, o) {
					t.Fatalf("%s: node %d places an identity on %s, not active", name, j, o)
				}
			}
		}
	}
	step("node 0 active", 0, cluster.StateActive, ms[0])
	step("node 1 active", 1, cluster.StateActive, ms[0], ms[1])
	step("node 2 active", 2, cluster.StateActive, ms...)
	before := placedOwners(t, ms[0], 1000)
	step("node 2 draining", 2, cluster.StateDraining, ms[0], ms[1])
	after := placedOwners(t, ms[1], 1000)
	for i := range before { // only node 2's identities move
		if before[i] != after[i] && before[i] != ms[2].Self().ID {
			t.Fatalf("check/%d moved from %s to %s", i, before[i], after[i])
		}
	}
	if mi := info(t, ms[0], ms[2].Self().ID); mi.State != cluster.StateDraining || mi.Placed {
		t.Errorf("node 0 sees node 2 as %+v", mi)
	}
	if err := ms[0].SetState("gone"); err == nil {
		t.Error("SetState accepted an unknown state")
	}
}

func TestMemberlistKilledNodeRemoved(t *testing.T) {
	reg := prometheus.NewRegistry()
	ms := clustertest.StartMemberlists(t, 3, clustertest.MemberlistOptions{
		Deps: func(i int) cluster.MemberlistDeps {
			if i == 0 {
				return cluster.MemberlistDeps{Registerer: reg}
			}
			return cluster.MemberlistDeps{}
		},
	})
	start := time.Now()
	ms[2].Stop() // no Leave: as kill -9
	clustertest.WaitAgreed(t, 5*time.Second, 2, ms[0], ms[1])
	took := time.Since(start)
	t.Logf("killed node out of placement after %v (LocalConfig)", took)
	if took > 2500*time.Millisecond {
		t.Errorf("killed node removed after %v, want ~1 s", took)
	}
	if slices.Contains(clustertest.PlacedIDs(ms[0]), ms[2].Self().ID) {
		t.Fatal("the killed node is still placed")
	}
	if got := metric(t, reg, "ttr_cluster_member_failures_total", nil); got != 1 {
		t.Errorf("ttr_cluster_member_failures_total = %v, want 1", got)
	}
	if err := ms[2].SetState(cluster.StateActive); err == nil {
		t.Error("SetState after Stop succeeded")
	}
	if err := ms[2].Leave(time.Second); err == nil {
		t.Error("Leave after Stop succeeded")
	}
}

func TestMemberlistGracefulLeave(t *testing.T) {
	reg := prometheus.NewRegistry()
	ms := clustertest.StartMemberlists(t, 3, clustertest.MemberlistOptions{
		Deps: func(i int) cluster.MemberlistDeps {
			if i == 0 {
				return cluster.MemberlistDeps{Registerer: reg}
			}
			return cluster.MemberlistDeps{}
		},
	})
	start := time.Now()
	if err := ms[2].Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitAgreed(t, 5*time.Second, 2, ms[0], ms[1])
	took := time.Since(start)
	t.Logf("leaving node out of placement after %v", took)
	if took > time.Second {
		t.Errorf("graceful leave seen after %v, want ~0.5 s", took)
	}
	if _, ok := ms[2].Owner("check/1"); !ok {
		t.Error("the leaving node no longer knows the owners")
	}
	if slices.Contains(clustertest.PlacedIDs(ms[2]), ms[2].Self().ID) {
		t.Error("the leaving node still places identities on itself")
	}
	waittest.Until(t, 5*time.Second, "the condition", func() bool { return len(ms[0].Topology().All) == 2 })
	ms[2].Stop()
	if got := metric(t, reg, "ttr_cluster_member_failures_total", nil); got != 0 {
		t.Errorf("a graceful leave counted as a failure (%v)", got)
	}
}

func TestMemberlistDebounce(t *testing.T) {
	var events atomic.Int32
	var counting atomic.Bool
	ms := clustertest.StartMemberlists(t, 3, clustertest.MemberlistOptions{
		Configure: func(i int, c *cluster.MemberlistConfig) {
			if i == 0 {
				c.Debounce = 150 * time.Millisecond
			}
		},
		Deps: func(i int) cluster.MemberlistDeps {
			if i == 0 {
				return cluster.MemberlistDeps{OnChange: func(cluster.Topology) {
					if counting.Load() {
						events.Add(1)
					}
				}}
			}
			return cluster.MemberlistDeps{}
		},
	})
	sub := ms[0].Subscribe()
	first := <-sub // the current topology
	if len(first.Members) != 3 {
		t.Fatalf("first topology has %d members", len(first.Members))
	}
	time.Sleep(300 * time.Millisecond) // let the start-up settle
	counting.Store(true)
	// A burst: 8 changes on two peers within ~100 ms.
	for i := range 4 {
		go func() { _ = ms[1].SetStoreOK(i%2 == 1) }()
		_ = ms[2].SetState([]cluster.State{cluster.StateDraining, cluster.StateActive}[i%2])
	}
	_ = ms[1].SetStoreOK(true)
	_ = ms[2].SetState(cluster.StateDraining)
	waittest.Until(t, 5*time.Second, "the condition", func() bool {
		return info(t, ms[0], ms[2].Self().ID).State == cluster.StateDraining && len(ms[0].Members()) == 2
	})
	time.Sleep(400 * time.Millisecond)
	n := events.Load()
	t.Logf("burst of changes delivered as %d topology events", n)
	if n < 1 || n > 2 {
		t.Errorf("%d topology events for one burst, want 1 or 2", n)
	}
	last := <-sub
	if len(last.Members) != 2 || last.Version <= first.Version {
		t.Errorf("last topology: version %d, %d members", last.Version, len(last.Members))
	}
}

// rawPeer is a bare memberlist node announcing meta, as a broken or future ttr would.
type rawPeer struct{ meta []byte }

func (p rawPeer) NodeMeta(int) []byte                 { return p.meta }
func (p rawPeer) NotifyMsg([]byte)                    {}
func (p rawPeer) GetBroadcasts(int, int) [][]byte     { return nil }
func (p rawPeer) LocalState(bool) []byte              { return nil }
func (p rawPeer) MergeRemoteState(buf []byte, _ bool) {}

func startRawPeer(t *testing.T, name string, meta []byte) *memberlist.Memberlist {
	t.Helper()
	c := memberlist.DefaultLocalConfig()
	c.Name = name
	c.BindAddr, c.BindPort, c.AdvertisePort = "127.0.0.1", 0, 0
	c.Label = "ttr"
	c.ProbeInterval, c.ProbeTimeout, c.GossipInterval = 100*time.Millisecond, 50*time.Millisecond, 20*time.Millisecond
	c.Delegate = rawPeer{meta}
	c.LogOutput = discard{}
	ml, err := memberlist.Create(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ml.Shutdown() })
	return ml
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestMemberlistRefusesBadMetadata(t *testing.T) {
	ms := clustertest.StartMemberlists(t, 2, clustertest.MemberlistOptions{})
	good := func(name string, f func(m map[string]any)) []byte {
		m := map[string]any{"v": 1, "id": name, "name": "x", "remote": "127.0.0.1:1", "proto": 1, "state": "active", "store_ok": true}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name    string
		meta    func(name string) []byte
		problem string
	}{
		{"garbage", func(string) []byte { return []byte("\x00\xff{not json") }, "undecodable"},
		{"empty", func(string) []byte { return nil }, "no metadata"},
		{"too new", func(n string) []byte { return good(n, func(m map[string]any) { m["v"] = 99 }) }, "newer"},
		{"wrong types", func(n string) []byte { return good(n, func(m map[string]any) { m["proto"] = "x" }) }, "undecodable"},
		{"another node's id", func(n string) []byte { return good(n, func(m map[string]any) { m["id"] = "someone" }) }, "names node"},
		{"no remote address", func(n string) []byte { return good(n, func(m map[string]any) { delete(m, "remote") }) }, "remote address"},
		{"unknown state", func(n string) []byte { return good(n, func(m map[string]any) { m["state"] = "exploding" }) }, "unknown state"},
		{"newer protocol", func(n string) []byte { return good(n, func(m map[string]any) { m["proto"] = 9 }) }, "protocol 9"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("raw-%d", i)
			peer := startRawPeer(t, name, tt.meta(name))
			if _, err := peer.Join([]string{ms[0].GossipAddr()}); err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				waittest.Until(t, 5*time.Second, "the condition", func() bool { return len(m.Topology().All) == 3 })
				mi := info(t, m, name)
				if mi.Placed || !strings.Contains(mi.Problem, tt.problem) {
					t.Errorf("%s sees the peer as %+v, want not placed with a problem about %q", m.Self().ID, mi, tt.problem)
				}
				if got := clustertest.PlacedIDs(m); !slices.Equal(got, ids(ms...)) {
					t.Errorf("placed %v", got)
				}
			}
			_ = peer.Leave(time.Second)
			_ = peer.Shutdown()
			for _, m := range ms {
				waittest.Until(t, 5*time.Second, "the condition", func() bool { return len(m.Topology().All) == 2 })
			}
		})
	}
}

func TestMemberlistStoreOK(t *testing.T) {
	ms := clustertest.StartMemberlists(t, 3, clustertest.MemberlistOptions{})
	tests := []struct {
		name   string
		node   int
		ok     bool
		placed []int
		shared bool
	}{
		{"one of three lost the store: excluded", 2, false, []int{0, 1}, false},
		{"two of three lost it: nobody excluded", 1, false, []int{0, 1, 2}, true},
		{"everyone lost it: nobody excluded", 0, false, []int{0, 1, 2}, true},
		{"one is back: still a majority without", 0, true, []int{0, 1, 2}, true},
		{"two are back: the last one excluded", 1, true, []int{0, 1}, false},
		{"all back", 2, true, []int{0, 1, 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ms[tt.node].SetStoreOK(tt.ok); err != nil {
				t.Fatal(err)
			}
			if ms[tt.node].StoreOK() != tt.ok {
				t.Fatal("StoreOK() does not report the new value")
			}
			var want []*cluster.Memberlist
			for _, i := range tt.placed {
				want = append(want, ms[i])
			}
			for _, m := range ms {
				waittest.Until(t, 5*time.Second, "the condition", func() bool { return slices.Equal(clustertest.PlacedIDs(m), ids(want...)) })
				if got := m.StoreOutageShared(); got != tt.shared {
					t.Errorf("%s: StoreOutageShared = %v, want %v", m.Self().ID, got, tt.shared)
				}
			}
		})
	}
}

func TestMemberlistDoNotMerge(t *testing.T) {
	k1, k2 := []byte("0123456789abcdef"), []byte("fedcba9876543210")
	tests := []struct {
		name       string
		a, b       func(c *cluster.MemberlistConfig)
		wantMerged bool
	}{
		{"same name and key", func(c *cluster.MemberlistConfig) { c.SecretKey = k1 }, func(c *cluster.MemberlistConfig) { c.SecretKey = k1 }, true},
		{"other cluster name", func(c *cluster.MemberlistConfig) { c.ClusterName = "a" }, func(c *cluster.MemberlistConfig) { c.ClusterName = "b" }, false},
		{"other gossip key", func(c *cluster.MemberlistConfig) { c.SecretKey = k1 }, func(c *cluster.MemberlistConfig) { c.SecretKey = k2 }, false},
		{"key on one side only", func(c *cluster.MemberlistConfig) { c.SecretKey = k1 }, func(*cluster.MemberlistConfig) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca, cb := clustertest.LocalMemberlistConfig(0), clustertest.LocalMemberlistConfig(1)
			tt.a(&ca)
			tt.b(&cb)
			a, b := clustertest.NewMemberlist(t, ca, cluster.MemberlistDeps{}), clustertest.NewMemberlist(t, cb, cluster.MemberlistDeps{})
			_, errB := b.Join([]string{a.GossipAddr()})
			_, errA := a.Join([]string{b.GossipAddr()})
			if tt.wantMerged {
				if errA != nil || errB != nil {
					t.Fatalf("join: %v, %v", errA, errB)
				}
				waittest.Until(t, 5*time.Second, "the condition", func() bool { return a.NumAlive() == 2 && b.NumAlive() == 2 })
				return
			}
			if errA == nil || errB == nil {
				t.Errorf("join succeeded: %v, %v", errA, errB)
			}
			time.Sleep(200 * time.Millisecond)
			if a.NumAlive() != 1 || b.NumAlive() != 1 {
				t.Errorf("merged: %d and %d alive", a.NumAlive(), b.NumAlive())
			}
		})
	}
}

func TestMemberlistRejoin(t *testing.T) {
	var changes atomic.Int32
	ms := clustertest.StartMemberlists(t, 3, clustertest.MemberlistOptions{
		Deps: func(i int) cluster.MemberlistDeps {
			if i == 2 {
				return cluster.MemberlistDeps{OnChange: func(cluster.Topology) { changes.Add(1) }}
			}
			return cluster.MemberlistDeps{}
		},
	})
	sub := ms[2].Subscribe()
	old := ms[2].Self()
	addr := ms[2].GossipAddr()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ms[2].Rejoin(ctx); err != nil {
		t.Fatal(err)
	}
	self := ms[2].Self()
	if self.ID == old.ID || self.Name != old.Name || self.RemoteAddr != old.RemoteAddr {
		t.Fatalf("after Rejoin Self is %+v (was %+v)", self, old)
	}
	if ms[2].State() != cluster.StateJoining || ms[2].GossipAddr() != addr {
		t.Fatalf("after Rejoin: state %s, address %s (was %s)", ms[2].State(), ms[2].GossipAddr(), addr)
	}
	// The old id is gone everywhere; the new one joins as joining, then turns active.
	clustertest.WaitAgreed(t, 5*time.Second, 2, ms...)
	for _, m := range ms[:2] {
		waittest.Until(t, 5*time.Second, "the condition", func() bool {
			all := m.Topology().All
			return len(all) == 3 && !slices.ContainsFunc(all, func(mi cluster.MemberInfo) bool { return mi.ID == old.ID })
		})
	}
	if err := ms[2].SetState(cluster.StateActive); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitAgreed(t, 5*time.Second, 3, ms...)
	if !slices.Contains(clustertest.PlacedIDs(ms[0]), self.ID) {
		t.Fatal("the new id is not placed")
	}
	waittest.Until(t, 5*time.Second, "the condition", func() bool {
		select {
		case tp := <-sub:
			return len(tp.Members) == 3 && slices.ContainsFunc(tp.Members, func(m cluster.Member) bool { return m.ID == self.ID })
		default:
			return false
		}
	})
	if changes.Load() == 0 {
		t.Error("no OnChange after Rejoin")
	}
}

func TestMemberlistReconnectsToFailedAddress(t *testing.T) {
	ms := clustertest.StartMemberlists(t, 2, clustertest.MemberlistOptions{})
	addr := ms[1].GossipAddr()
	ms[1].Stop()
	clustertest.WaitAgreed(t, 5*time.Second, 1, ms[0])
	// A node comes back at the same address without --join (or the other side of a
	// healed partition): the survivor finds it.
	c := clustertest.LocalMemberlistConfig(1)
	c.BindAddr = addr
	c.InitialState = cluster.StateActive
	back := clustertest.NewMemberlist(t, c, cluster.MemberlistDeps{})
	clustertest.WaitAgreed(t, 5*time.Second, 2, ms[0], back)
}

func TestJoinWithRetry(t *testing.T) {
	a := clustertest.NewMemberlist(t, clustertest.LocalMemberlistConfig(0), cluster.MemberlistDeps{})
	addr := freeport.Addr(t) // nothing answers there yet

	done := make(chan error, 1)
	go func() { done <- a.JoinWithRetry(context.Background(), []string{addr}) }()
	time.Sleep(300 * time.Millisecond) // a few failed attempts
	c := clustertest.LocalMemberlistConfig(1)
	c.BindAddr = addr
	b := clustertest.NewMemberlist(t, c, cluster.MemberlistDeps{})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("JoinWithRetry did not join once the peer was up")
	}
	waittest.Until(t, 5*time.Second, "the condition", func() bool { return a.NumAlive() == 2 && b.NumAlive() == 2 })

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if err := a.JoinWithRetry(ctx, []string{"127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("JoinWithRetry to nobody = %v, want the deadline", err)
	}
}

func TestMemberlistConfigValidate(t *testing.T) {
	ok := clustertest.LocalMemberlistConfig(0)
	if err := ok.Validate(); err != nil {
		t.Fatalf("LocalConfig: %v", err)
	}
	d := cluster.DefaultConfig()
	d.RemoteAddr = "10.0.0.1:8090"
	if err := d.Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	if d.ProbeInterval != 200*time.Millisecond || d.ProbeTimeout != 100*time.Millisecond ||
		d.SuspicionMult != 2 || d.GossipInterval != 50*time.Millisecond || d.SuspicionTimeout() != 400*time.Millisecond {
		t.Errorf("DefaultConfig is not the documented LAN setting: %+v", d)
	}
	tests := []struct {
		name string
		f    func(c *cluster.MemberlistConfig)
		want string
	}{
		{"no remote address", func(c *cluster.MemberlistConfig) { c.RemoteAddr = "" }, "remote address"},
		{"gossip host name", func(c *cluster.MemberlistConfig) { c.BindAddr = "localhost:7946" }, "gossip address"},
		{"gossip bad port", func(c *cluster.MemberlistConfig) { c.BindAddr = "127.0.0.1:70000" }, "gossip address"},
		{"advertise port 0", func(c *cluster.MemberlistConfig) { c.AdvertiseAddr = "10.0.0.1:0" }, "advertise"},
		{"short key", func(c *cluster.MemberlistConfig) { c.SecretKey = []byte("short") }, "gossip key"},
		{"long name", func(c *cluster.MemberlistConfig) { c.NodeName = strings.Repeat("n", 65) }, "node name"},
		{"long label", func(c *cluster.MemberlistConfig) { c.ClusterName = strings.Repeat("c", 256) }, "cluster name"},
		{"probe timeout", func(c *cluster.MemberlistConfig) { c.ProbeTimeout = c.ProbeInterval }, "probe timeout"},
		{"state", func(c *cluster.MemberlistConfig) { c.InitialState = "up" }, "initial state"},
		{"protocol", func(c *cluster.MemberlistConfig) { c.Protocol, c.MinProtocol, c.MaxProtocol = 3, 1, 2 }, "protocol"},
		{"backoff", func(c *cluster.MemberlistConfig) { c.JoinMaxBackoff = time.Millisecond }, "backoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clustertest.LocalMemberlistConfig(0)
			tt.f(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an error about %q", err, tt.want)
			}
			if _, err := cluster.NewMemberlist(c, cluster.MemberlistDeps{}); err == nil {
				t.Fatal("NewMemberlist accepted it")
			}
		})
	}
}

func TestParseGossipKey(t *testing.T) {
	tests := []struct {
		in      string
		wantLen int
		wantErr bool
	}{
		{"", 0, false},
		{"MDEyMzQ1Njc4OWFiY2RlZg==", 16, false},
		{"MDEyMzQ1Njc4OWFiY2RlZg", 16, false}, // unpadded
		{"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3", 24, false},
		{"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", 32, false},
		{"c2hvcnQ=", 0, true},
		{"not base64!", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			k, err := cluster.ParseGossipKey(tt.in)
			if (err != nil) != tt.wantErr || len(k) != tt.wantLen {
				t.Fatalf("ParseGossipKey(%q) = %d bytes, %v", tt.in, len(k), err)
			}
		})
	}
}

// TestMemberlistDrivesRouter runs the router and hosts of three actor nodes on Memberlist:
// requests reach the owner the gossip placed, and after a node dies its identities are
// served by the survivors.
func TestMemberlistDrivesRouter(t *testing.T) {
	w := &world{seqs: map[string][]int64{}}
	var nodes []*cluster.Node
	ms := clustertest.StartMemberlists(t, 3, clustertest.MemberlistOptions{
		Configure: func(i int, c *cluster.MemberlistConfig) {
			node := clustertest.StartNode(t, testLogger())
			nodes = append(nodes, node)
			c.RemoteAddr = node.Address()
		},
	})
	var routers []*cluster.Router
	for i, node := range nodes {
		self := ms[i].Self().ID
		produce := func(identity string) actor.Producer {
			return func() actor.Actor {
				return &counter{node: self, identity: identity, w: w, answers: map[string]*messages.Reply{}}
			}
		}
		if _, err := cluster.SpawnHost(node, testKind, ms[i], produce, cluster.HostOptions{}); err != nil {
			t.Fatal(err)
		}
		routers = append(routers, cluster.NewRouter(node, ms[i], cluster.RouterOptions{}))
	}
	ask := func(r *cluster.Router, id string) string {
		t.Helper()
		reply := request(t, r, id, "count", 0, "")
		countOf(t, reply)
		return reply.GetDetail()
	}
	var ids []string
	for i := range 30 {
		ids = append(ids, fmt.Sprintf("%s/%d", testKind, i))
	}
	for k, id := range ids { // from every node in turn
		owner, _ := ms[0].Owner(id)
		if got := ask(routers[k%3], id); got != owner.ID {
			t.Fatalf("%s answered by %s, owner %s", id, got, owner.ID)
		}
	}
	// Node 2 dies.
	dead := ms[2].Self().ID
	ms[2].Stop()
	nodes[2].Stop()
	clustertest.WaitAgreed(t, 5*time.Second, 2, ms[0], ms[1])
	for _, id := range ids {
		if got := ask(routers[0], id); got == dead {
			t.Fatalf("%s answered by the dead node", id)
		}
	}
}

// TestMemberlistLifecycle: before Start a Memberlist has no member and refuses what needs
// gossip; Start and Stop may come in any order and number.
func TestMemberlistLifecycle(t *testing.T) {
	newMemberlist := func(t *testing.T) *cluster.Memberlist {
		t.Helper()
		m, err := cluster.NewMemberlist(clustertest.LocalMemberlistConfig(0), cluster.MemberlistDeps{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Stop)
		return m
	}
	t.Run("before Start", func(t *testing.T) {
		m := newMemberlist(t)
		if m.Self() != (cluster.Member{}) || m.GossipAddr() != "" || m.NumAlive() != 0 || len(m.Members()) != 0 ||
			len(m.Topology().All) != 0 || m.StoreOutageShared() || m.SpeaksTLS("127.0.0.1:20000") {
			t.Errorf("self %+v, gossip %q, alive %d, members %v, topology %+v", m.Self(), m.GossipAddr(), m.NumAlive(),
				m.Members(), m.Topology())
		}
		if _, ok := m.Owner("check/1"); ok {
			t.Error("an owner before Start")
		}
		if _, ok := m.OwnerIfActive("check/1"); ok {
			t.Error("a prospective owner before Start")
		}
		if m.State() != cluster.StateJoining || !m.StoreOK() {
			t.Errorf("state %s, store ok %v", m.State(), m.StoreOK())
		}
		if err := m.SetState(cluster.StateActive); err == nil {
			t.Error("SetState before Start succeeded")
		}
		if err := m.SetStoreOK(false); err == nil {
			t.Error("SetStoreOK before Start succeeded")
		}
		if _, err := m.Join([]string{"127.0.0.1:1"}); err == nil {
			t.Error("Join before Start succeeded")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.JoinWithRetry(ctx, []string{"127.0.0.1:1"}); err == nil || ctx.Err() != nil {
			t.Errorf("JoinWithRetry before Start: %v (context %v), want an error at once", err, ctx.Err())
		}
		if err := m.Leave(time.Second); err == nil {
			t.Error("Leave before Start succeeded")
		}
		if err := m.Rejoin(ctx); err == nil {
			t.Error("Rejoin before Start succeeded")
		}
		sub := m.Subscribe()
		if err := m.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		select { // the subscription taken before Start sees the first topology
		case top := <-sub:
			if len(top.All) != 1 || top.All[0].ID != m.Self().ID {
				t.Errorf("first topology %+v", top)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no topology after Start")
		}
	})
	t.Run("Stop before Start, twice, then Start", func(t *testing.T) {
		m := newMemberlist(t)
		sub := m.Subscribe()
		m.Stop()
		m.Stop()
		if _, open := <-sub; open {
			t.Error("subscription open after Stop")
		}
		if err := m.Start(context.Background()); !errors.Is(err, cluster.ErrStopped) {
			t.Fatalf("Start after Stop: %v", err)
		}
		if m.GossipAddr() != "" {
			t.Error("a stopped membership gossips")
		}
	})
	t.Run("Start twice", func(t *testing.T) {
		m := newMemberlist(t)
		if err := m.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		self, addr := m.Self(), m.GossipAddr()
		if self.ID == "" || addr == "" {
			t.Fatalf("self %+v, gossip address %q after Start", self, addr)
		}
		if err := m.Start(context.Background()); err == nil {
			t.Fatal("a started membership started again")
		}
		if m.Self() != self || m.GossipAddr() != addr {
			t.Error("the second Start changed the membership")
		}
		m.Stop()
		m.Stop()
		if err := m.SetState(cluster.StateActive); !errors.Is(err, cluster.ErrStopped) {
			t.Errorf("SetState after Stop: %v", err)
		}
	})
	t.Run("a failed Start may be retried", func(t *testing.T) {
		taken := newMemberlist(t)
		if err := taken.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		c := clustertest.LocalMemberlistConfig(1)
		c.BindAddr = taken.GossipAddr()
		m, err := cluster.NewMemberlist(c, cluster.MemberlistDeps{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Stop)
		if err := m.Start(context.Background()); err == nil {
			t.Fatal("started on an address in use")
		}
		if m.Self() != (cluster.Member{}) || m.GossipAddr() != "" {
			t.Errorf("a failed Start left self %+v, gossip %q", m.Self(), m.GossipAddr())
		}
		taken.Stop()
		if err := m.Start(context.Background()); err != nil {
			t.Fatalf("Start once the address is free: %v", err)
		}
	})
}
