package cluster_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// TestDetectKilledNodeDefaultConfig measures, with DefaultConfig's failure detection (the
// LAN setting the kill -9 test runs with), the time from a node's death (Stop without
// Leave) to the survivors placing nothing on it, debounce included. An early spike
// measured 0.7–0.9 s for memberlist alone.
func TestDetectKilledNodeDefaultConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("measures real failure detection")
	}
	const rounds = 3
	var took, alive []time.Duration
	for r := range rounds {
		ms := clustertest.StartMemberlists(t, 3, clustertest.MemberlistOptions{
			Configure: func(i int, c *cluster.MemberlistConfig) {
				d := cluster.DefaultConfig()
				d.BindAddr = "127.0.0.1:0"
				d.NodeName, d.RemoteAddr = c.NodeName, c.RemoteAddr
				*c = d
			},
		})
		time.Sleep(500 * time.Millisecond) // a few probe rounds in the steady state
		victim := ms[r%3].Self().ID
		var survivors []*cluster.Memberlist
		for i, m := range ms {
			if i != r%3 {
				survivors = append(survivors, m)
			}
		}
		start := time.Now()
		ms[r%3].Stop()
		var aliveAt time.Duration
		waittest.Until(t, 10*time.Second, "the condition", func() bool {
			if aliveAt == 0 && survivors[0].NumAlive() == 2 {
				aliveAt = time.Since(start)
			}
			for _, m := range survivors {
				if slices.Contains(clustertest.PlacedIDs(m), victim) {
					return false
				}
			}
			return true
		})
		took = append(took, time.Since(start))
		if aliveAt == 0 {
			aliveAt = took[len(took)-1]
		}
		alive = append(alive, aliveAt)
		for _, m := range ms {
			m.Stop()
		}
	}
	slices.Sort(took)
	slices.Sort(alive)
	t.Logf("killed node declared dead by memberlist (DefaultConfig, 3 nodes): min %v, median %v, max %v",
		alive[0], alive[len(alive)/2], alive[len(alive)-1])
	t.Logf("killed node out of placement on every survivor (debounce included): min %v, median %v, max %v",
		took[0], took[len(took)/2], took[len(took)-1])
	if took[len(took)-1] > 3*time.Second {
		t.Errorf("detection took up to %v, want ~1 s", took[len(took)-1])
	}
}
