package cluster_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/ttr-rip/ttr/cluster"
)

func members(ids ...string) []cluster.Member {
	ms := make([]cluster.Member, len(ids))
	for i, id := range ids {
		ms[i] = cluster.Member{ID: id, RemoteAddr: "127.0.0.1:" + fmt.Sprint(7000+i)}
	}
	return ms
}

func mustRendezvous(t *testing.T, ms []cluster.Member) *cluster.Rendezvous {
	t.Helper()
	r, err := cluster.NewRendezvous(ms)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func owners(t *testing.T, r *cluster.Rendezvous, ids []string) []string {
	t.Helper()
	out := make([]string, len(ids))
	for i, id := range ids {
		m, ok := r.Owner(id)
		if !ok {
			t.Fatalf("no owner for %s", id)
		}
		out[i] = m.ID
	}
	return out
}

func identities(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("check/%d", i+1)
	}
	return ids
}

func TestRendezvousBalance(t *testing.T) {
	tests := []struct {
		name  string
		nodes []string
	}{
		{"short ids", []string{"a", "b", "c"}},
		{"node ids", []string{cluster.NewNodeID(), cluster.NewNodeID(), cluster.NewNodeID()}},
		{"similar ids", []string{"node-1", "node-2", "node-3"}},
	}
	const n = 30_000
	ids := identities(n)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRendezvous(t, members(tt.nodes...))
			counts := map[string]int{}
			for _, o := range owners(t, r, ids) {
				counts[o]++
			}
			fair := float64(n) / float64(len(tt.nodes))
			for _, id := range tt.nodes {
				if dev := math.Abs(float64(counts[id])-fair) / fair; dev > 0.10 {
					t.Errorf("node %s owns %d of %d identities, %.1f %% off fair share %.0f", id, counts[id], n, 100*dev, fair)
				}
			}
			t.Logf("counts %v", counts)
		})
	}
}

func TestRendezvousMovement(t *testing.T) {
	const n = 30_000
	ids := identities(n)
	three := mustRendezvous(t, members("node-1", "node-2", "node-3"))
	four := mustRendezvous(t, members("node-1", "node-2", "node-3", "node-4"))
	before, after := owners(t, three, ids), owners(t, four, ids)

	t.Run("join moves at most 1/4+5% and only to the new node", func(t *testing.T) {
		moved := 0
		for i := range ids {
			if before[i] != after[i] {
				moved++
				if after[i] != "node-4" {
					t.Fatalf("%s moved from %s to %s, not to the joining node", ids[i], before[i], after[i])
				}
			}
		}
		if frac := float64(moved) / n; frac > 0.25+0.05 {
			t.Errorf("join moved %.1f %% of identities, want ≤ 30 %%", 100*frac)
		} else {
			t.Logf("join moved %.1f %%", 100*frac)
		}
	})
	t.Run("leave moves only the leaver's identities", func(t *testing.T) {
		for i := range ids {
			if after[i] != "node-4" && before[i] != after[i] {
				t.Fatalf("%s owned by %s with four nodes but by %s with three", ids[i], after[i], before[i])
			}
		}
	})
}

func TestRendezvous(t *testing.T) {
	t.Run("order of members does not matter", func(t *testing.T) {
		a := mustRendezvous(t, members("x", "y", "z"))
		b := mustRendezvous(t, members("z", "x", "y"))
		ids := identities(1000)
		oa, ob := owners(t, a, ids), owners(t, b, ids)
		for i := range ids {
			if oa[i] != ob[i] {
				t.Fatalf("%s: %s vs %s", ids[i], oa[i], ob[i])
			}
		}
	})
	t.Run("no members, no owner", func(t *testing.T) {
		if m, ok := mustRendezvous(t, nil).Owner("check/1"); ok {
			t.Fatalf("owner %v of an empty membership", m)
		}
	})
	t.Run("score separates node id and identity", func(t *testing.T) {
		if cluster.Score("ab", "c/1") == cluster.Score("a", "bc/1") {
			t.Fatal("concatenation ambiguity")
		}
	})
	for _, tt := range []struct {
		name string
		ms   []cluster.Member
	}{
		{"empty id", []cluster.Member{{ID: ""}}},
		{"duplicate id", []cluster.Member{{ID: "a"}, {ID: "b"}, {ID: "a"}}},
	} {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			if _, err := cluster.NewRendezvous(tt.ms); err == nil {
				t.Fatal("no error")
			}
			if _, err := cluster.NewStatic(cluster.Member{ID: "a"}, tt.ms); err == nil {
				t.Fatal("static: no error")
			}
		})
	}
}

func TestStaticSetMembers(t *testing.T) {
	self := cluster.Member{ID: "a"}
	s, err := cluster.NewStatic(self, members("a"))
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Owner("check/1"); o.ID != "a" {
		t.Fatalf("owner %q", o.ID)
	}
	if err := s.SetMembers(members("b")); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Owner("check/1"); o.ID != "b" {
		t.Fatalf("owner %q after SetMembers", o.ID)
	}
	if got := s.Self(); got != self {
		t.Fatalf("self %v", got)
	}
	if got := s.Members(); len(got) != 1 || got[0].ID != "b" {
		t.Fatalf("members %v", got)
	}
}

func BenchmarkRendezvousOwner(b *testing.B) {
	r, _ := cluster.NewRendezvous(members("node-1", "node-2", "node-3", "node-4", "node-5"))
	for b.Loop() {
		r.Owner("check/1234567")
	}
}
