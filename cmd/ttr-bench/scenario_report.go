package main

import (
	"fmt"
	"strings"
)

// scenarioTargets evaluates the benchmark targets of the scenarios; one line per target, "not
// run" for a scenario that was not selected.
func scenarioTargets(sc Scenarios) []target {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	var out []target
	if r := sc.Idle; r == nil {
		out = append(out, target{"idle checks: resident memory ≤ 512 bytes per check", "not run", "—"},
			target{"idle checks: start-up to ready, every deadline armed, ≤ 10 s", "not run", "—"})
	} else {
		mem := target{what: fmt.Sprintf("%s idle checks: resident memory ≤ %d bytes per check", fmtInt(float64(r.Checks)), idleBytesPerCheckTarget)}
		up := target{what: fmt.Sprintf("%s idle checks: start-up to ready, every deadline armed, ≤ %s", fmtInt(float64(r.Checks)), secs(idleStartupTarget.Seconds()))}
		switch {
		case r.failed():
			mem.measured, mem.met = "failed: "+firstLine(r.Note), "—"
			up.measured, up.met = mem.measured, "—"
		default:
			mem.measured = fmt.Sprintf("%.0f bytes (RSS %s on an empty store, %s with the checks)", r.BytesPerCheck, fmtMiB(r.EmptyRSS), fmtMiB(r.RSS))
			mem.met = verdict(r.BytesPerCheck <= idleBytesPerCheckTarget)
			up.measured = fmt.Sprintf("%.2f s (%s deadlines armed)", r.StartupSeconds, fmtInt(float64(r.DeadlinesArmed)))
			up.met = verdict(r.StartupSeconds <= idleStartupTarget.Seconds() && r.DeadlinesArmed == int64(r.Checks))
		}
		out = append(out, mem, up)
	}
	if r := sc.Deadlines; r == nil {
		out = append(out, target{"deadlines: p99 of (flip committed − deadline) ≤ 250 ms", "not run", "—"})
	} else {
		t := target{what: fmt.Sprintf("%s deadlines within %s: p99 of (flip committed − deadline) ≤ %s",
			fmtInt(float64(r.Checks)), secs(r.SpreadSeconds), fmtMicros(float64(deadlineLagTarget.Microseconds())))}
		p99, measured := r.Lag["p99"], r.Lag != nil && r.LagCount > 0
		switch {
		case r.failed():
			t.measured, t.met = "failed: "+firstLine(r.Note), "—"
		case r.Down < int64(r.Checks):
			t.measured, t.met = fmt.Sprintf("only %s of %s checks went down", fmtInt(float64(r.Down)), fmtInt(float64(r.Checks))), "**missed**"
		case !measured && r.CommitLag != nil:
			// Without ttrd's histogram, the commit count is the best estimate there is.
			t.measured = fmt.Sprintf("%s by the commit count (ttrd exposes no %s)", fmtMicros(max(r.CommitLag["p99"]*1e3, 1)), deadlineLagMetric)
			t.met = verdict(r.CommitLag["p99"] <= float64(deadlineLagTarget.Milliseconds()))
		case !measured:
			t.measured, t.met = lagLine(r), "—"
		default:
			t.measured = fmt.Sprintf("%s (bucket-interpolated)", fmtMicros(max(p99*1e3, 1)))
			t.met = verdict(p99 <= float64(deadlineLagTarget.Milliseconds()))
		}
		out = append(out, t)
	}
	if r := sc.Alerts; r == nil {
		out = append(out, target{"alerts at once: every alert delivered, once, within 10 s of the deadline", "not run", "—"})
	} else {
		t := target{what: fmt.Sprintf("%s alerts at once: every alert delivered, once, within %s of the deadline", fmtInt(float64(r.Checks)), secs(alertDeliveryTarget.Seconds()))}
		last := r.Delivery["max"]
		switch {
		case r.failed():
			t.measured, t.met = "failed: "+firstLine(r.Note), "—"
		default:
			t.measured = fmt.Sprintf("%s of %s received, the last %s after the deadline; %d duplicates, %d extra",
				fmtInt(float64(r.Received)), fmtInt(float64(r.Checks)), fmtSeconds(last), r.Duplicates, r.Extra)
			t.met = verdict(r.Missing == 0 && r.Duplicates == 0 && r.Extra == 0 && last <= alertDeliveryTarget.Seconds())
		}
		out = append(out, t)
	}
	return out
}

// renderScenarios is the scenarios' sections of results.md: a table each, and what it means.
func renderScenarios(sc Scenarios) string {
	var b strings.Builder
	if r := sc.Idle; r != nil {
		b.WriteString("#### Idle checks\n\n")
		fmt.Fprintf(&b, "One node on the embedded store with %s checks of %d users written straight into the store (status up, deadlines 1 to 7 hours ahead), against the same binary on an empty store; resident memory (`VmRSS`) %s after `/readyz` first answered 200.\n\n",
			fmtInt(float64(r.Checks)), r.Users, secs(r.SettleSecs))
		if r.failed() {
			fmt.Fprintf(&b, "**Failed**: %s\n\n", r.Note)
		} else {
			b.WriteString("| checks | RSS, empty store | RSS, with the checks | per check | peak RSS | start-up, empty | start-up (exec → ready) | start-up CPU | deadlines armed | store on disk | seeding |\n")
			b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
			fmt.Fprintf(&b, "| %s | %s | %s | %.0f bytes | %s | %s | %s | %s | %s | %s | %s |\n\n",
				fmtInt(float64(r.Checks)), fmtMiB(r.EmptyRSS), fmtMiB(r.RSS), r.BytesPerCheck, fmtMiB(r.PeakRSS),
				fmtSeconds(r.EmptyStartupSeconds), fmtSeconds(r.StartupSeconds), fmtSeconds(r.StartupCPU),
				fmtInt(float64(r.DeadlinesArmed)), fmtMiB(r.StoreBytes), fmtSeconds(r.SeedSeconds))
			fmt.Fprintf(&b, "Verified: %s.\n\n", r.Verified)
		}
	}
	if r := sc.Deadlines; r != nil {
		b.WriteString("#### Deadlines\n\n")
		fmt.Fprintf(&b, "One node on the embedded store with %s seeded up checks whose deadlines fall due uniformly over %s, starting a few seconds after ttrd was started. The lag is (flip committed − deadline) from ttrd's `%s` histogram, its quantiles interpolated within the buckets (as PromQL's `histogram_quantile`), the max bounded by the bucket holding it. The commit-count estimate needs no histogram: ttrd's committed writes (`ttr_store_writes_total`, scraped every %s) against the deadlines due, the k-th commit against the k-th deadline — how far the flips committed trailed the deadlines due, which is each check's lag (overstated by up to the scrape interval) when flips commit in deadline order, and understates the lag of flips overtaken by later ones. \"All down\" is when `GET /api/v1/checks/stats` first counted every check down, polled every 100 ms from the last deadline on.\n\n",
			fmtInt(float64(r.Checks)), secs(r.SpreadSeconds), deadlineLagMetric, fmtMicros(float64(commitScrapeInterval.Microseconds())))
		if r.failed() {
			fmt.Fprintf(&b, "**Failed**: %s\n\n", r.Note)
		} else {
			b.WriteString("| checks | due over | ready before the first | lag (histogram) | lag (commit count) | all down after the last deadline | down (API) | down flips (store) | server CPU | peak RSS |\n")
			b.WriteString("|--:|--:|--:|---|---|--:|--:|--:|--:|--:|\n")
			allDown := "never"
			if r.AllDownSeconds >= 0 {
				allDown = fmtSeconds(r.AllDownSeconds)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %.1f s | %s |\n\n",
				fmtInt(float64(r.Checks)), secs(r.SpreadSeconds), fmtSeconds(r.ReadyLeadSeconds), lagLine(r), commitLagLine(r), allDown,
				fmtInt(float64(r.Down)), fmtInt(float64(r.DownFlips)), r.ServerCPU, fmtMiB(r.PeakRSS))
		}
	}
	if r := sc.Alerts; r != nil {
		b.WriteString("#### Alerts\n\n")
		fmt.Fprintf(&b, "One node on the embedded store with %s checks created through the API, each with a webhook to a URL of its own on a receiver the harness runs (it answers 200 at once), made due at one deadline; default rate limits, `--webhook-allow-nets 127.0.0.0/8`. Times are from the deadline to each check's first delivery; a duplicate repeats an `Idempotency-Key` already received.\n\n",
			fmtInt(float64(r.Checks)))
		if r.failed() {
			fmt.Fprintf(&b, "**Failed**: %s\n\n", r.Note)
		} else {
			b.WriteString("| checks | set-up (API) | ready before the deadline | first | p50 | p99 | last | received | missing | duplicates | extra | server CPU | peak RSS |\n")
			b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
			d := func(k string) string {
				if v, ok := r.Delivery[k]; ok {
					return fmtSeconds(v)
				}
				return "—"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f s | %s |\n\n",
				fmtInt(float64(r.Checks)), fmtSeconds(r.SetupSeconds), fmtSeconds(r.ReadyLeadSeconds),
				d("first"), d("p50"), d("p99"), d("max"), fmtInt(float64(r.Received)), fmtInt(float64(r.Missing)),
				fmtInt(float64(r.Duplicates)), fmtInt(float64(r.Extra)), r.ServerCPU, fmtMiB(r.PeakRSS))
		}
	}
	return b.String()
}

// scenarioNotes flags what a reader of the scenarios should know.
func scenarioNotes(sc Scenarios) []string {
	var notes []string
	if r := sc.Idle; r != nil && !r.failed() && r.Checks < 1_000_000 {
		notes = append(notes, fmt.Sprintf("idle: %s checks rather than the target's 1,000,000: memory that does not grow with the checks (caches, the Go heap's headroom) weighs more per check.", fmtInt(float64(r.Checks))))
	}
	if r := sc.Deadlines; r != nil && !r.failed() {
		if r.ReadyLeadSeconds < 0 {
			notes = append(notes, fmt.Sprintf("deadlines: ttrd was ready %s after the first deadline; the lag of the first deadlines includes start-up.", fmtSeconds(-r.ReadyLeadSeconds)))
		}
		if r.DownFlips != int64(r.Checks) {
			notes = append(notes, fmt.Sprintf("deadlines: the store holds %s up→down flips for %s checks.", fmtInt(float64(r.DownFlips)), fmtInt(float64(r.Checks))))
		}
		if r.Lag != nil && r.LagCount != float64(r.Checks) {
			notes = append(notes, fmt.Sprintf("deadlines: %s holds %s observations for %s checks.", deadlineLagMetric, fmtInt(r.LagCount), fmtInt(float64(r.Checks))))
		}
		if r.Lag == nil {
			notes = append(notes, "deadlines: "+r.LagNote+".")
		}
	}
	if r := sc.Alerts; r != nil && !r.failed() && r.ReadyLeadSeconds < 0 {
		notes = append(notes, fmt.Sprintf("alerts: ttrd was ready %s after the deadline; the delivery times include start-up.", fmtSeconds(-r.ReadyLeadSeconds)))
	}
	for _, f := range sc.failedScenarios() {
		notes = append(notes, "FAILED: "+f)
	}
	return notes
}

// status is the scenario's status (nil when it did not run).
func (r *IdleResult) status() *ScenarioStatus {
	if r == nil {
		return nil
	}
	return &r.ScenarioStatus
}

// status is the scenario's status (nil when it did not run).
func (r *DeadlineResult) status() *ScenarioStatus {
	if r == nil {
		return nil
	}
	return &r.ScenarioStatus
}

// status is the scenario's status (nil when it did not run).
func (r *AlertResult) status() *ScenarioStatus {
	if r == nil {
		return nil
	}
	return &r.ScenarioStatus
}

// failedScenarios names the scenarios that failed.
func (sc Scenarios) failedScenarios() []string {
	var names []string
	for _, x := range []struct {
		name string
		st   *ScenarioStatus
	}{{scIdle, sc.Idle.status()}, {scDeadlines, sc.Deadlines.status()}, {scAlerts, sc.Alerts.status()}} {
		if x.st != nil && x.st.failed() {
			names = append(names, x.name+": "+firstLine(x.st.Note))
		}
	}
	return names
}

// fmtSeconds formats seconds with three significant digits: 0.0123 → "12.3 ms", 4.2 → "4.20 s".
func fmtSeconds(s float64) string {
	if s < 0 {
		return "−" + fmtMicros(-s*1e6)
	}
	if s == 0 {
		return "0 s"
	}
	return fmtMicros(s * 1e6)
}
