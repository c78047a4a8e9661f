package notify

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/promreg"
)

// Metrics are the notifiers' Prometheus metrics. A nil *Metrics records nothing.
//
// The rate control is exposed without a label per destination (there may be millions):
// how many of this node's notifiers wait for their rate limit, by reason, and how often
// rates were lowered, by channel and cause.
type Metrics struct {
	deliveries *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	limited    *prometheus.GaugeVec
	decreases  *prometheus.CounterVec
	hostCapped prometheus.Counter
}

// NewMetrics creates the notifier metrics and registers them on reg; nil reg = no metrics
// (returns nil). Registering twice on one registry is a wiring error, returned.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, nil
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
		limited: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ttr_notify_rate_limited_destinations",
			Help: "Destinations on this node with alerts waiting for their rate limit, by reason (backoff: after a 429 or a failure; tokens: local throttling; host: the per-user cap on one destination host).",
		}, []string{"reason"}),
		decreases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttr_notify_rate_decreases_total",
			Help: "Times a destination's send rate was lowered or its back-off extended, by channel and cause (rate_limited: a 429; error: a 5xx, network error or timeout).",
		}, []string{"channel", "cause"}),
	}
	m.hostCapped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: ratelimit.MetricName, Help: ratelimit.MetricHelp,
		ConstLabels: prometheus.Labels{"limiter": HostCapName},
	})
	for _, r := range []string{"backoff", "tokens", limitedHost} {
		m.limited.WithLabelValues(r) // present at 0 from the start
	}
	if err := promreg.Register(reg, m.deliveries, m.latency, m.inFlight, m.limited, m.decreases, m.hostCapped); err != nil {
		return nil, fmt.Errorf("notifier: %w", err)
	}
	return m, nil
}

// limitedHost is the limited reason of a destination waiting for its user's host cap.
const limitedHost = "host"

// capped counts a send the host cap held back.
func (m *Metrics) capped() {
	if m != nil {
		m.hostCapped.Inc()
	}
}

// limitedChange moves one destination from the limited reason from to to ("" = none).
func (m *Metrics) limitedChange(from, to string) {
	if m == nil {
		return
	}
	if from != "" {
		m.limited.WithLabelValues(from).Dec()
	}
	if to != "" {
		m.limited.WithLabelValues(to).Inc()
	}
}

// decrease counts a lowered rate.
func (m *Metrics) decrease(channel messages.ChannelKind, cause string) {
	if m == nil {
		return
	}
	m.decreases.WithLabelValues(string(channel), cause).Inc()
}

func (m *Metrics) begin() {
	if m == nil {
		return
	}
	m.inFlight.Inc()
}

func (m *Metrics) end(channel messages.ChannelKind, r Result, d time.Duration) {
	if m == nil {
		return
	}
	m.inFlight.Dec()
	m.latency.WithLabelValues(string(channel)).Observe(d.Seconds())
	m.deliveries.WithLabelValues(string(channel), r.Outcome.String()).Inc()
}

// unsent counts an outcome decided without a send (an undecryptable destination).
func (m *Metrics) unsent(channel messages.ChannelKind, r Result) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(string(channel), r.Outcome.String()).Inc()
}
