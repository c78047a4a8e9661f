package census

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/messages"
)

// Statuses are the stored check statuses ttr_checks reports, in label order.
var Statuses = [...]messages.CheckStatus{messages.StatusNew, messages.StatusUp, messages.StatusDown, messages.StatusPaused}

// statusCode is a status's index in Statuses; an unknown status (a newer release's) is
// counted nowhere rather than under a wrong label.
func statusCode(s messages.CheckStatus) (uint8, bool) {
	for i, name := range Statuses {
		if name == s {
			return uint8(i), true
		}
	}
	return 0, false
}

// Checks counts the checks this node owns by status. It is safe for concurrent use; a nil
// *Checks counts nothing, so callers need not test for it.
//
// Three writers feed it: the check actor reports each committed status (Set) and each
// deletion (Remove); the node's arming pass over the store seeds what no actor has reported
// (Seed, between BeginSeed and EndSeed); a topology change drops what the node no longer owns
// (RemoveIf). An actor's report wins over a seeding pass that read the store before the
// change, and a check removed while a pass runs is not brought back by it.
type Checks struct {
	owns func(id int64) bool

	mu      sync.Mutex
	status  map[int64]uint8
	n       [len(Statuses)]int
	seeding int                // passes running
	gone    map[int64]struct{} // removed while a pass runs: the pass may have read them before
}

// NewChecks returns an empty census. owns reports whether this node owns a check now (nil =
// every check, one node): a report from an activation that is being handed over is ignored,
// so the old owner does not keep counting a check the new owner counts.
func NewChecks(owns func(id int64) bool) *Checks {
	if owns == nil {
		owns = func(int64) bool { return true }
	}
	return &Checks{owns: owns, status: map[int64]uint8{}, gone: map[int64]struct{}{}}
}

// Set records id's committed status: the owner's word, which replaces what was counted.
func (c *Checks) Set(id int64, status messages.CheckStatus) {
	if c == nil {
		return
	}
	code, ok := statusCode(status)
	if !ok {
		c.Remove(id)
		return
	}
	if !c.owns(id) {
		return
	}
	c.mu.Lock()
	c.put(id, code)
	delete(c.gone, id)
	c.mu.Unlock()
}

// put counts id under code (c.mu held).
func (c *Checks) put(id int64, code uint8) {
	if old, ok := c.status[id]; ok {
		if old == code {
			return
		}
		c.n[old]--
	}
	c.status[id] = code
	c.n[code]++
}

// Remove stops counting id (deleted, or not found on activation).
func (c *Checks) Remove(id int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.drop(id)
	if c.seeding > 0 {
		c.gone[id] = struct{}{}
	}
	c.mu.Unlock()
}

func (c *Checks) drop(id int64) bool {
	old, ok := c.status[id]
	if ok {
		delete(c.status, id)
		c.n[old]--
	}
	return ok
}

// RemoveIf stops counting every check drop matches (those the node no longer owns) and
// returns how many it dropped.
func (c *Checks) RemoveIf(drop func(id int64) bool) int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for id := range c.status {
		if drop(id) {
			c.drop(id)
			n++
		}
	}
	return n
}

// BeginSeed starts a seeding pass; every BeginSeed needs its EndSeed.
func (c *Checks) BeginSeed() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.seeding++
	c.mu.Unlock()
}

// Seed counts id with the status a pass read from the store, unless an actor reported it
// already (its report is newer) or it was removed since the pass began. The caller has
// checked that this node owns id.
func (c *Checks) Seed(id int64, status messages.CheckStatus) {
	if c == nil {
		return
	}
	code, ok := statusCode(status)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, known := c.status[id]; known {
		return
	}
	if _, removed := c.gone[id]; removed {
		return
	}
	c.put(id, code)
}

// EndSeed ends a seeding pass.
func (c *Checks) EndSeed() {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.seeding--; c.seeding == 0 {
		clear(c.gone)
	}
	c.mu.Unlock()
}

// Count returns how many checks are counted with status.
func (c *Checks) Count(status messages.CheckStatus) int {
	if c == nil {
		return 0
	}
	code, ok := statusCode(status)
	if !ok {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[code]
}

// Len returns how many checks are counted.
func (c *Checks) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.status)
}

var checksDesc = prometheus.NewDesc("ttr_checks",
	"Checks this node owns, by stored status (new, up, down, paused). Summed over the nodes: the cluster's checks.",
	[]string{"status"}, nil)

// Describe implements prometheus.Collector.
func (c *Checks) Describe(ch chan<- *prometheus.Desc) { ch <- checksDesc }

// Collect implements prometheus.Collector: four integers read under the lock.
func (c *Checks) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	n := c.n
	c.mu.Unlock()
	for i, s := range Statuses {
		ch <- prometheus.MustNewConstMetric(checksDesc, prometheus.GaugeValue, float64(n[i]), string(s))
	}
}
