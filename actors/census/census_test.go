package census_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ttr-rip/ttr/actors/census"
	"github.com/ttr-rip/ttr/messages"
)

const (
	up, down, fresh, paused = messages.StatusUp, messages.StatusDown, messages.StatusNew, messages.StatusPaused
)

// counts reads the four gauges as a registry would expose them.
func counts(t *testing.T, c *census.Checks) map[messages.CheckStatus]int {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := census.Register(reg, c, census.NewOutbox()); err != nil {
		t.Fatal(err)
	}
	out := map[messages.CheckStatus]int{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "ttr_checks" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[messages.CheckStatus(m.GetLabel()[0].GetValue())] = int(m.GetGauge().GetValue())
		}
	}
	if len(out) != 4 {
		t.Fatalf("ttr_checks has %d statuses, want 4 (always present): %v", len(out), out)
	}
	return out
}

func TestChecks(t *testing.T) {
	odd := func(id int64) bool { return id%2 == 1 } // this node owns the odd ids
	tests := []struct {
		name string
		run  func(c *census.Checks)
		want map[messages.CheckStatus]int
	}{
		{"empty", func(*census.Checks) {}, map[messages.CheckStatus]int{}},
		{"set moves a check between statuses", func(c *census.Checks) {
			c.Set(1, fresh)
			c.Set(3, fresh)
			c.Set(1, up)
			c.Set(1, down)
			c.Set(3, paused)
		}, map[messages.CheckStatus]int{down: 1, paused: 1}},
		{"a repeated report counts once", func(c *census.Checks) {
			c.Set(1, up)
			c.Set(1, up)
		}, map[messages.CheckStatus]int{up: 1}},
		{"a report for a check owned elsewhere is ignored", func(c *census.Checks) {
			c.Set(2, up)
		}, map[messages.CheckStatus]int{}},
		{"remove, twice", func(c *census.Checks) {
			c.Set(1, up)
			c.Set(3, up)
			c.Remove(1)
			c.Remove(1)
		}, map[messages.CheckStatus]int{up: 1}},
		{"an unknown status stops counting the check", func(c *census.Checks) {
			c.Set(1, up)
			c.Set(1, "sleeping")
		}, map[messages.CheckStatus]int{}},
		{"seed fills what no actor reported", func(c *census.Checks) {
			c.BeginSeed()
			c.Seed(1, up)
			c.Seed(3, fresh)
			c.Seed(5, "sleeping")
			c.EndSeed()
		}, map[messages.CheckStatus]int{up: 1, fresh: 1}},
		{"an actor's report wins over a pass that read the store before it", func(c *census.Checks) {
			c.BeginSeed()
			c.Set(1, down)
			c.Seed(1, up)
			c.EndSeed()
		}, map[messages.CheckStatus]int{down: 1}},
		{"a check deleted during a pass is not brought back by it", func(c *census.Checks) {
			c.Set(1, up)
			c.BeginSeed()
			c.Remove(1)
			c.Seed(1, up)
			c.EndSeed()
		}, map[messages.CheckStatus]int{}},
		{"after the pass, a re-created id counts again", func(c *census.Checks) {
			c.BeginSeed()
			c.Remove(1)
			c.EndSeed()
			c.BeginSeed()
			c.Seed(1, fresh)
			c.EndSeed()
		}, map[messages.CheckStatus]int{fresh: 1}},
		{"handover drops what moved away", func(c *census.Checks) {
			c.Set(1, up)
			c.Set(3, down)
			c.Set(5, up)
			if n := c.RemoveIf(func(id int64) bool { return id != 3 }); n != 2 {
				panic("RemoveIf dropped a wrong number")
			}
		}, map[messages.CheckStatus]int{down: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := census.NewChecks(odd)
			tt.run(c)
			got := counts(t, c)
			total := 0
			for _, s := range census.Statuses {
				if got[s] != tt.want[s] {
					t.Errorf("ttr_checks{status=%q} = %d, want %d", s, got[s], tt.want[s])
				}
				if c.Count(s) != got[s] {
					t.Errorf("Count(%q) = %d, gauge %d", s, c.Count(s), got[s])
				}
				total += got[s]
			}
			if c.Len() != total {
				t.Errorf("Len = %d, gauges sum to %d", c.Len(), total)
			}
		})
	}
}

func TestNilCensusCountsNothing(t *testing.T) {
	var c *census.Checks
	c.Set(1, up)
	c.Remove(1)
	c.BeginSeed()
	c.Seed(1, up)
	c.EndSeed()
	if c.RemoveIf(func(int64) bool { return true }) != 0 || c.Len() != 0 || c.Count(up) != 0 {
		t.Error("a nil census counted something")
	}
	var o *census.Outbox
	o.Set("d", 3)
	if o.Depth() != 0 {
		t.Error("a nil outbox census counted something")
	}
}

func TestOutbox(t *testing.T) {
	tests := []struct {
		name string
		sets []struct {
			dest string
			n    int
		}
		want int
	}{
		{"empty", nil, 0},
		{"destinations add up", []struct {
			dest string
			n    int
		}{{"a", 3}, {"b", 2}}, 5},
		{"a report replaces the last one", []struct {
			dest string
			n    int
		}{{"a", 3}, {"a", 1}, {"a", 1}}, 1},
		{"a stopped notifier reports zero", []struct {
			dest string
			n    int
		}{{"a", 3}, {"b", 2}, {"a", 0}}, 2},
		{"a negative count is none", []struct {
			dest string
			n    int
		}{{"a", 3}, {"a", -1}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := census.NewOutbox()
			for _, s := range tt.sets {
				o.Set(s.dest, s.n)
			}
			want := "# HELP ttr_outbox_depth Pending outbox rows (alerts not yet delivered or failed) of the destinations whose notifiers run on this node. Summed over the nodes: the cluster's backlog.\n# TYPE ttr_outbox_depth gauge\nttr_outbox_depth " + strconv.Itoa(tt.want) + "\n"
			if err := testutil.CollectAndCompare(o, strings.NewReader(want), "ttr_outbox_depth"); err != nil {
				t.Error(err)
			}
		})
	}
}
