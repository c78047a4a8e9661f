package check

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/messages/promreg"
)

// Metrics are what check actors report. A nil *Metrics reports nothing.
type Metrics struct {
	deadlineLag  prometheus.Histogram
	pingsRefused prometheus.Counter
}

// NewMetrics registers the check actors' metrics with reg (nil: none).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &Metrics{
		deadlineLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ttr_check_deadline_lag_seconds",
			Help: "Time from a missed deadline to the commit of the flip it caused: how late deadlines fire.",
			// 1 ms to ~16 s: the target is 250 ms at the 99th percentile.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
	}
	m.pingsRefused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: ratelimit.MetricName, Help: ratelimit.MetricHelp,
		ConstLabels: prometheus.Labels{"limiter": "ping_check"},
	})
	if err := promreg.Register(reg, m.deadlineLag, m.pingsRefused); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	return m, nil
}

// pingLimited counts a ping refused by the check's ping limit.
func (m *Metrics) pingLimited() {
	if m != nil {
		m.pingsRefused.Inc()
	}
}

func (m *Metrics) observeDeadlineLag(d time.Duration) {
	if m != nil {
		m.deadlineLag.Observe(max(d, 0).Seconds())
	}
}
