package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"
)

// AlertResult is the alerts scenario: how long many alerts due at once take to be delivered.
type AlertResult struct {
	ScenarioStatus
	Checks         int     `json:"checks"`
	SetupSeconds   float64 `json:"setup_seconds"` // checks and webhooks through the API
	StartupSeconds float64 `json:"startup_seconds"`
	// ReadyLeadSeconds is how long before the deadline ttrd was ready (negative: after it).
	ReadyLeadSeconds float64 `json:"ready_lead_seconds"`
	// Seconds from the deadline to each check's first delivery: p50, p99, max (and first).
	Delivery   map[string]float64 `json:"delivery_seconds,omitempty"`
	Received   int                `json:"received"`   // checks whose alert arrived
	Missing    int                `json:"missing"`    // checks whose alert did not arrive
	Duplicates int                `json:"duplicates"` // repeated deliveries of an alert (same Idempotency-Key)
	Extra      int                `json:"extra"`      // deliveries of another alert, without a key, not "down", or to no check's URL
	ServerCPU  float64            `json:"server_cpu_seconds"`
	PeakRSS    int64              `json:"peak_rss_bytes"`
}

// alertDeliveryTarget is the benchmark target's bound on the time from the deadline to the last alert.
const alertDeliveryTarget = 10 * time.Second

// alertQuiet is how long the receiver keeps listening after the last alert arrived, for
// duplicates (half as long in a quick run).
const alertQuiet = 2 * time.Second

// alertScenario creates Config.AlertChecks checks through the API, each with a webhook to a
// URL of its own on a receiver the harness runs, makes them all due at one deadline, and
// measures when the alerts arrive and that each arrives once.
func (b *Bench) alertScenario(ctx context.Context) *AlertResult {
	res := &AlertResult{Checks: b.cfg.AlertChecks}
	b.logf("%-15s %s checks down at once, a webhook each: alert delivery\n", scAlerts, fmtInt(float64(res.Checks)))
	if err := b.inScratch(scAlerts, func(dir string) error { return b.alertRun(ctx, dir, res) }); err != nil {
		res.ScenarioStatus = b.failedStatus(scAlerts, err)
		return res
	}
	res.Status = "ok"
	return res
}

func (b *Bench) alertRun(ctx context.Context, dir string, res *AlertResult) error {
	n := res.Checks
	rcv, err := startAlertReceiver(n)
	if err != nil {
		return err
	}
	defer rcv.Close()
	// The SSRF guard refuses loopback destinations unless allowed; rate limits stay default.
	flags := []string{"--webhook-allow-nets", "127.0.0.0/8"}

	// Checks and webhooks through the API, as a user would make them.
	s, err := b.startSQLiteNode(ctx, scAlerts+"-setup", dir, flags...)
	if err != nil {
		return err
	}
	start := time.Now()
	f, err := provision(ctx, s.Addr, n, b.cfg.ProvisionN)
	if err == nil {
		err = putWebhooks(ctx, s.Addr, f, rcv.url, b.cfg.ProvisionN)
	}
	s.Stop()
	if err != nil {
		return err
	}
	res.SetupSeconds = time.Since(start).Seconds()
	b.logf("%-15s %s checks with a webhook created through the API in %.1f s\n", scAlerts, fmtInt(float64(n)), res.SetupSeconds)

	// Then all made due at one deadline, lead after ttrd starts again: through the API they
	// would fall due as far apart as their first pings were.
	deadline := time.Now().Add(b.lead()).Truncate(time.Millisecond)
	armed, err := armNewChecks(ctx, filepath.Join(dir, "ttr.db"), deadline)
	if err != nil {
		return err
	}
	if armed != int64(n) {
		return fmt.Errorf("armed %d checks in the store, created %d", armed, n)
	}
	s, err = b.startSQLiteNode(ctx, scAlerts, dir, flags...)
	if err != nil {
		return err
	}
	defer s.Stop()
	res.StartupSeconds = s.startupSeconds()
	res.ReadyLeadSeconds = deadline.Sub(s.Ready).Seconds()
	b.logf("%-15s ready in %.2f s, %.2f s before the deadline\n", scAlerts, res.StartupSeconds, res.ReadyLeadSeconds)
	cpu0, _ := procCPU(s.Pid())

	// Wait for every alert (or give up at three times the target), then listen a while longer
	// for duplicates.
	giveUp := deadline.Add(max(3*alertDeliveryTarget, 30*time.Second))
	select {
	case <-rcv.allIn:
	case <-time.After(time.Until(giveUp)):
	case <-ctx.Done():
		return ctx.Err()
	case <-s.exited:
		return fmt.Errorf("%s exited: %v\n%s", s.Name, s.waitErr, s.LogTail(20))
	}
	quiet := alertQuiet
	if b.cfg.Quick {
		quiet /= 2
	}
	select {
	case <-time.After(quiet):
	case <-ctx.Done():
		return ctx.Err()
	}
	cpu1, _ := procCPU(s.Pid())
	res.ServerCPU = cpu1 - cpu0
	res.PeakRSS, _ = procPeakRSS(s.Pid())
	hits, other := rcv.snapshot()
	sum := summarizeAlerts(hits, other, n, deadline)
	res.Received, res.Missing, res.Duplicates = sum.Received, sum.Missing, sum.Duplicates
	res.Extra = sum.Extra + sum.NoKey + sum.NotDown + sum.Other
	if q := quantilesOf(sum.Lag); q != nil {
		q["first"] = sum.Lag[0]
		res.Delivery = q
	}
	b.logf("%-15s %s of %s alerts received (%d missing, %d duplicates, %d extra); last %.2f s after the deadline\n",
		scAlerts, fmtInt(float64(res.Received)), fmtInt(float64(n)), res.Missing, res.Duplicates, res.Extra, res.Delivery["max"])
	return nil
}

// putWebhooks sets each check's webhook to url(i) through PUT /api/v1/checks/{id}/webhook.
func putWebhooks(ctx context.Context, addr string, f Fixture, url func(i int) string, conc int) error {
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc},
	}
	defer client.CloseIdleConnections()
	return parallel(ctx, len(f.Checks), conc, func(ctx context.Context, i int) error {
		path := fmt.Sprintf("http://%s/api/v1/checks/%d/webhook", addr, f.Checks[i].ID)
		body := map[string]any{"webhook_url": url(i), "webhook_enabled": true}
		if err := sendJSON(ctx, client, http.MethodPut, path, f.AuthKey, body, http.StatusOK, nil); err != nil {
			return fmt.Errorf("webhook of check %d: %w", i, err)
		}
		return nil
	})
}
