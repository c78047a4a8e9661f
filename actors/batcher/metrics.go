package batcher

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/messages/promreg"
	"github.com/ttr-rip/ttr/persistence"
)

type metrics struct {
	size     prometheus.Histogram
	latency  prometheus.Histogram
	commits  *prometheus.CounterVec
	outcomes *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		size: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ttr_store_batch_size", Help: "Writes per group commit.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000},
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ttr_store_commit_seconds", Help: "Latency of one group commit.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 15),
		}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttr_store_commits_total", Help: "Group commits by result.",
		}, []string{"result"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttr_store_writes_total", Help: "Writes by outcome.",
		}, []string{"outcome"}),
	}
	if err := promreg.Register(reg, m.size, m.latency, m.commits, m.outcomes); err != nil {
		return nil, fmt.Errorf("batcher: %w", err)
	}
	return m, nil
}

func (m *metrics) observe(n int, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.size.Observe(float64(n))
	m.latency.Observe(d.Seconds())
	if err != nil {
		m.commits.WithLabelValues("error").Inc()
		m.outcomes.WithLabelValues("unavailable").Add(float64(n))
		return
	}
	m.commits.WithLabelValues("ok").Inc()
}

func (m *metrics) outcome(k persistence.OutcomeKind) {
	if m == nil {
		return
	}
	m.outcomes.WithLabelValues(outcomeLabel[k]).Inc()
}

var outcomeLabel = map[persistence.OutcomeKind]string{
	persistence.OutcomeCommitted: "committed",
	persistence.OutcomeFenced:    "fenced",
	persistence.OutcomeConflict:  "conflict",
	persistence.OutcomeFailed:    "failed",
}
