package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"
)

// IdleResult is the idle-checks scenario: what a node holding many idle checks costs in memory
// and start-up time.
type IdleResult struct {
	ScenarioStatus
	Checks      int     `json:"checks"`
	Users       int     `json:"users"`
	SeedSeconds float64 `json:"seed_seconds"`   // writing the rows straight into the store
	StoreBytes  int64   `json:"store_bytes"`    // ttr.db and its WAL after seeding
	SettleSecs  float64 `json:"settle_seconds"` // wait after ready before reading VmRSS
	// The same binary on an empty store, then on the seeded one.
	EmptyRSS            int64   `json:"empty_rss_bytes"`
	EmptyStartupSeconds float64 `json:"empty_startup_seconds"`
	RSS                 int64   `json:"rss_bytes"`
	PeakRSS             int64   `json:"peak_rss_bytes"` // VmHWM: start-up's peak
	BytesPerCheck       float64 `json:"rss_bytes_per_check"`
	StartupSeconds      float64 `json:"startup_seconds"`     // exec to /readyz 200
	StartupCPU          float64 `json:"startup_cpu_seconds"` // ttrd's CPU time at ready
	DeadlinesArmed      int64   `json:"deadlines_armed"`     // from the "ttrd ready" log line
	Verified            string  `json:"verified,omitempty"`
}

// Benchmark targets for the idle scenario.
const (
	idleBytesPerCheckTarget = 512
	idleStartupTarget       = 10 * time.Second
)

// idleScenario seeds Config.IdleChecks up checks with deadlines spread over the next hours and
// measures the node's resident memory above the same binary on an empty store, and its
// start-up time until every deadline is armed.
func (b *Bench) idleScenario(ctx context.Context) *IdleResult {
	n := b.cfg.IdleChecks
	res := &IdleResult{Checks: n, Users: min(scenarioUsers, n), SettleSecs: b.cfg.Settle.Seconds()}
	b.logf("%-15s %s idle checks: memory per check and start-up time\n", scIdle, fmtInt(float64(n)))
	if err := b.inScratch(scIdle, func(dir string) error { return b.idleRun(ctx, dir, res) }); err != nil {
		res.ScenarioStatus = b.failedStatus(scIdle, err)
		return res
	}
	res.Status = "ok"
	return res
}

func (b *Bench) idleRun(ctx context.Context, dir string, res *IdleResult) error {
	// The baseline: the same binary, an empty store, the same wait.
	empty := filepath.Join(dir, "empty")
	s, err := b.startSQLiteNode(ctx, scIdle+"-empty", empty)
	if err != nil {
		return err
	}
	res.EmptyStartupSeconds = s.startupSeconds()
	res.EmptyRSS, err = settledRSS(ctx, s, b.cfg.Settle)
	s.Stop()
	if err != nil {
		return err
	}
	b.logf("%-15s empty store: ready in %.2f s, RSS %s after %s\n", scIdle, res.EmptyStartupSeconds, fmtMiB(res.EmptyRSS), b.cfg.Settle)

	data := filepath.Join(dir, "seeded")
	if err := b.migrateStore(ctx, data); err != nil {
		return err
	}
	now := time.Now()
	rng := rand.New(rand.NewPCG(b.cfg.Seed, 1))
	// Deadlines between 1 and 7 hours from now: none falls due while measuring.
	deadlines := make([]int64, res.Checks)
	for i := range deadlines {
		deadlines[i] = now.Add(time.Hour + time.Duration(rng.Int64N(int64(6*time.Hour)))).UnixMilli()
	}
	seed, err := seedChecks(ctx, filepath.Join(data, "ttr.db"), seedPlan{
		Users: res.Users, Checks: res.Checks, Interval: 6 * time.Hour, Grace: time.Hour,
		Deadline: func(i int) time.Time { return time.UnixMilli(deadlines[i]) }, Now: now, Seed: b.cfg.Seed,
	})
	if err != nil {
		return err
	}
	res.SeedSeconds = time.Since(now).Seconds()
	res.StoreBytes = fileSize(data)
	b.logf("%-15s seeded %s checks of %d users in %.1f s (%s store)\n", scIdle, fmtInt(float64(res.Checks)), res.Users, res.SeedSeconds, fmtMiB(res.StoreBytes))

	s, err = b.startSQLiteNode(ctx, scIdle, data)
	if err != nil {
		return err
	}
	defer s.Stop()
	res.StartupSeconds = s.startupSeconds()
	res.StartupCPU, _ = procCPU(s.Pid())
	res.DeadlinesArmed = s.deadlinesArmed()
	b.logf("%-15s ready in %.2f s (%.1f s CPU), %s deadlines armed\n", scIdle, res.StartupSeconds, res.StartupCPU, fmtInt(float64(res.DeadlinesArmed)))
	if res.RSS, err = settledRSS(ctx, s, b.cfg.Settle); err != nil {
		return err
	}
	res.PeakRSS, _ = procPeakRSS(s.Pid())
	res.BytesPerCheck = float64(res.RSS-res.EmptyRSS) / float64(res.Checks)
	b.logf("%-15s RSS %s after %s (peak %s): %.0f bytes per check above the empty store\n", scIdle, fmtMiB(res.RSS), b.cfg.Settle, fmtMiB(res.PeakRSS), res.BytesPerCheck)
	// Verified after the memory was read: the requests activate a few checks.
	if res.Verified, err = verifySeeded(ctx, s.Addr, seed); err != nil {
		return err
	}
	if res.DeadlinesArmed != int64(res.Checks) {
		return fmt.Errorf("ttrd armed %d deadlines, %d checks were seeded with one", res.DeadlinesArmed, res.Checks)
	}
	return nil
}

// fmtMiB formats a size in MiB with one decimal.
func fmtMiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
