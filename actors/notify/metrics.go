package notify

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the notifiers' Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	deliveries *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	inFlight   prometheus.Gauge
}

// NewMetrics creates the notifier metrics and registers them on reg; nil reg = no metrics
// (returns nil). Registering twice on one registry panics, as a wiring error.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		return nil
	}
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttr_notify_deliveries_total",
			Help: "Delivery attempts by channel and outcome (delivered, transient, permanent, rate_limited).",
		}, []string{"channel", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ttr_notify_send_seconds",
			Help:    "Duration of one send, by channel.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"channel"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ttr_notify_sends_in_flight",
			Help: "Sends in progress on this node.",
		}),
	}
	reg.MustRegister(m.deliveries, m.latency, m.inFlight)
	return m
}

func (m *Metrics) begin() {
	if m == nil {
		return
	}
	m.inFlight.Inc()
}

func (m *Metrics) end(channel string, r Result, d time.Duration) {
	if m == nil {
		return
	}
	m.inFlight.Dec()
	m.latency.WithLabelValues(channel).Observe(d.Seconds())
	m.deliveries.WithLabelValues(channel, r.Outcome.String()).Inc()
}

// unsent counts an outcome decided without a send (an undecryptable destination).
func (m *Metrics) unsent(channel string, r Result) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(channel, r.Outcome.String()).Inc()
}
