package census

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/messages/promreg"
)

// Outbox counts the pending outbox rows of the destinations whose notifiers run on this
// node. Each notifier reports its own destination's count, as a number rather than a change,
// so a repeated or reordered report cannot make the sum drift; a notifier that stops reports
// zero, and its destination's next owner reports the rows it finds. It is safe for
// concurrent use; a nil *Outbox counts nothing.
type Outbox struct {
	mu    sync.Mutex
	dests map[string]int // destinations with a non-zero count only
	total int
}

// NewOutbox returns an empty outbox census.
func NewOutbox() *Outbox { return &Outbox{dests: map[string]int{}} }

// Set records that dest has n pending rows (0 = none, or its notifier stopped).
func (o *Outbox) Set(dest string, n int) {
	if o == nil {
		return
	}
	n = max(n, 0)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.total += n - o.dests[dest]
	if n == 0 {
		delete(o.dests, dest)
		return
	}
	o.dests[dest] = n
}

// Depth returns the pending rows counted on this node.
func (o *Outbox) Depth() int {
	if o == nil {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.total
}

var outboxDesc = prometheus.NewDesc("ttr_outbox_depth",
	"Pending outbox rows (alerts not yet delivered or failed) of the destinations whose notifiers run on this node. Summed over the nodes: the cluster's backlog.",
	nil, nil)

// Describe implements prometheus.Collector.
func (o *Outbox) Describe(ch chan<- *prometheus.Desc) { ch <- outboxDesc }

// Collect implements prometheus.Collector.
func (o *Outbox) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(o.Depth()))
}

// Register registers the gauges of checks and outbox on reg (nil reg: none). Registering
// other instances twice on one registry is a wiring error, returned.
func Register(reg prometheus.Registerer, checks *Checks, outbox *Outbox) error {
	return promreg.Register(reg, checks, outbox)
}
