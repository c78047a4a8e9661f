package retention

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/joblease"
	"github.com/ttr-rip/ttr/messages/promreg"
)

// metrics are the pruner's counters and gauges; nil-safe.
type metrics struct {
	runs   *prometheus.CounterVec
	rows   *prometheus.CounterVec
	oldest *oldestCollector
}

func newMetrics(reg prometheus.Registerer, now func() time.Time) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttr_retention_runs_total",
			Help: "Retention passes by outcome (done, held: another node prunes, unhealthy, error).",
		}, []string{"outcome"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttr_retention_pruned_rows_total",
			Help: "Rows the retention pruner deleted, by table.",
		}, []string{"table"}),
		oldest: &oldestCollector{now: now, desc: prometheus.NewDesc("ttr_retention_oldest_row_age_seconds",
			"Age of the oldest row kept, by table (the outbox: its oldest finished row), as of the latest pass.",
			[]string{"table"}, nil)},
	}
	if err := promreg.Register(reg, m.runs, m.rows, m.oldest); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) run(r Report, err error) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(joblease.Outcome(r.Held, err, ErrUnhealthy)).Inc()
}

func (m *metrics) pruned(table string, n int64) {
	if m == nil {
		return
	}
	m.rows.WithLabelValues(table).Add(float64(n))
}

func (m *metrics) setOldest(at map[string]time.Time) {
	if m == nil {
		return
	}
	m.oldest.set(at)
}

// oldestCollector reports each table's oldest row as an age at scrape time, from the times the
// latest pass read: the gauge grows between passes as the row does, without a query per
// scrape.
type oldestCollector struct {
	now  func() time.Time
	desc *prometheus.Desc
	mu   sync.Mutex
	at   map[string]time.Time
}

func (c *oldestCollector) set(at map[string]time.Time) {
	c.mu.Lock()
	c.at = at
	c.mu.Unlock()
}

func (c *oldestCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *oldestCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for table, at := range c.at {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, max(0, now.Sub(at).Seconds()), table)
	}
}
