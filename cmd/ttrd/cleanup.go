package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/actors/cleanup"
	"github.com/ttr-rip/ttr/actors/cleanup/selection"
	ttrhttp "github.com/ttr-rip/ttr/http"
)

// startCleanup starts the cleanup of inactive checks and users when it is configured. It
// deletes checks through their actors (the path of DELETE /api/v1/checks/{id}) and acts only
// while this node's store is healthy and its lease valid.
func (m *Main) startCleanup(ctx context.Context) error {
	if m.cfg.Cleanup.InactiveDays == 0 {
		return nil
	}
	cfg := m.cfg.Cleanup.service()
	cfg.SlugHold = ttrhttp.SlugHold
	svc, err := cleanup.New(cfg, cleanup.Deps{
		Store: m.store, Checks: check.NewClient(m.router),
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

// CleanupDryRun prints what a cleanup run would remove now, computed as a run computes it
// (cleanup.BuildPlan over the store's reads), and whether the share guard would let it run.
func (m *Main) CleanupDryRun(ctx context.Context, w io.Writer) error {
	defer m.Close()
	if m.cfg.Cleanup.InactiveDays == 0 {
		return errors.New("--cleanup-inactive-days is required (the N of the run to simulate)")
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	cfg := m.cfg.Cleanup.service()
	plan, err := cleanup.BuildPlan(ctx, m.store, cfg.Policy(), time.Now().UTC())
	if err != nil {
		return err
	}
	return writePlan(w, plan, cfg.MaxShare, cfg.Force)
}

// writePlan prints a plan: one line per check and per user, then a summary.
func writePlan(w io.Writer, p selection.Plan, maxShare float64, force bool) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tID\tUSER\tSLUG\tLAST ACTIVITY\tINACTIVE FOR MORE THAN")
	for _, c := range p.Checks {
		fmt.Fprintf(tw, "check\t%d\t%d\t%s\t%s\t%s\n", c.CheckID, c.UserID, c.Slug,
			c.LastActivity.UTC().Format(time.RFC3339), days(c.Threshold))
	}
	for _, u := range p.Users {
		fmt.Fprintf(tw, "user\t%d\t%d\t%s\t%s\t%s\n", u.UserID, u.UserID, u.Slug,
			u.LastSeen.UTC().Format(time.RFC3339), days(p.Policy.InactiveFor))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "within --cleanup-max-share: a run would remove them"
	if err := p.Guard(maxShare, force); err != nil {
		verdict = "refused: " + err.Error() + "; a run would remove nothing without --cleanup-force"
	} else if force && p.Share() > maxShare {
		verdict = "above --cleanup-max-share, but --cleanup-force is set: a run would remove them"
	}
	_, err := fmt.Fprintf(w, "would remove %d of %d checks (%.1f %%) and %d users: %s\n",
		len(p.Checks), p.TotalChecks, 100*p.Share(), len(p.Users), verdict)
	return err
}

// days renders a threshold in days (and hours when not whole).
func days(d time.Duration) string {
	n, rest := d/(24*time.Hour), d%(24*time.Hour)
	if rest == 0 {
		return fmt.Sprintf("%dd", n)
	}
	return fmt.Sprintf("%dd%s", n, rest.Truncate(time.Minute))
}
