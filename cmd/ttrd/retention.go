package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/ttr-rip/ttr/actors/retention"
	"github.com/ttr-rip/ttr/persistence/sqlite"
)

// startRetention starts the background pruner (docs/operations.md, "Retention"): every node
// runs it, one at a time holds the job lease and deletes, each refreshes the oldest-row
// gauges. It acts only while this node's store is healthy and its lease valid.
func (m *Main) startRetention(ctx context.Context) error {
	svc, err := retention.New(m.cfg.Retention.service(), retention.Deps{
		Store:      m.store,
		Healthy:    m.jobsMayRun,
		Holder:     func() string { return m.membership.Self().ID },
		Logger:     m.log,
		Registerer: m.reg,
	})
	if err != nil {
		return err
	}
	return m.startService(ctx, svc)
}

// jobsMayRun tells the cluster-wide background jobs (retention, cleanup) whether this node may
// act now: its store answers, its node lease is valid, and it is neither fenced nor draining.
func (m *Main) jobsMayRun() bool {
	return m.monitor.OK() && m.leaseValid() && !m.fenced.Load() && !m.draining.Load()
}

// Vacuum shrinks the embedded store's file to what it holds (sqlite.Vacuum), offline: it
// refuses while a server or any other ttrd command has the store open. PostgreSQL reclaims
// space with its own autovacuum (docs/operations.md, "Retention").
func (m *Main) Vacuum(ctx context.Context, w io.Writer) error {
	if m.cfg.Store.DatabaseURL != "" {
		return errors.New("only the embedded store needs it: PostgreSQL's autovacuum makes the space of deleted rows reusable " +
			"(VACUUM FULL or pg_repack give it back to the file system; see docs/operations.md, Retention)")
	}
	path := filepath.Join(m.cfg.Store.DataDir, "ttr.db")
	st, err := sqlite.Vacuum(ctx, path)
	if errors.Is(err, sqlite.ErrInUse) {
		return fmt.Errorf("%s is open in another ttrd process (the server?): stop it first; vacuum runs offline", path)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "vacuumed %s: %s\n", path, st)
	return err
}
