package cleanup

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/cleanup/selection"
	"github.com/ttr-rip/ttr/actors/joblease"
	"github.com/ttr-rip/ttr/messages/promreg"
)

// metrics are the cleanup's counters; nil-safe.
type metrics struct {
	runs     *prometheus.CounterVec
	removals *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttr_cleanup_runs_total",
			Help: "Cleanup runs of inactive checks and users by outcome (done, held: another node runs it, refused_share, unhealthy, error).",
		}, []string{"outcome"}),
		removals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttr_cleanup_removed_total",
			Help: "Inactive checks and users the cleanup removed, by kind (check, user).",
		}, []string{"kind"}),
	}
	if err := promreg.Register(reg, m.runs, m.removals); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) run(r Report, err error) {
	if m == nil {
		return
	}
	outcome := joblease.Outcome(r.Held, err, ErrUnhealthy)
	if errors.Is(err, selection.ErrTooMany) {
		outcome = "refused_share"
	}
	m.runs.WithLabelValues(outcome).Inc()
}

func (m *metrics) removed(r removal) {
	if m == nil {
		return
	}
	if r.check != nil {
		m.removals.WithLabelValues("check").Inc()
	}
	if r.user != nil {
		m.removals.WithLabelValues("user").Inc()
	}
}
