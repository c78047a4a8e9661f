package main

import (
	"github.com/ttr-rip/ttr/actors/retention"
)

// startRetention starts the background pruner (docs/operations.md, "Retention"): every node
// runs it, one at a time holds the job lease and deletes, each refreshes the oldest-row
// gauges. It acts only while this node's store is healthy and its lease valid.
func (m *Main) startRetention() error {
	svc, err := retention.New(m.cfg.Retention.service(), retention.Deps{
		Store: m.store,
		Healthy: func() bool {
			return m.monitor.OK() && m.leaseValid() && !m.fenced.Load() && !m.draining.Load()
		},
		Holder:     func() string { return m.membership.Self().ID },
		Logger:     m.log,
		Registerer: m.reg,
	})
	if err != nil {
		return err
	}
	svc.Start()
	m.defer_(svc.Stop)
	return nil
}
