package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// DeadlineResult is the deadlines scenario: how late checks go down when many deadlines fall
// due within a minute.
type DeadlineResult struct {
	ScenarioStatus
	Checks         int     `json:"checks"`
	SpreadSeconds  float64 `json:"spread_seconds"`
	StartupSeconds float64 `json:"startup_seconds"`
	// ReadyLeadSeconds is how long before the first deadline ttrd was ready (negative: after
	// it, and the lag of the first deadlines includes start-up).
	ReadyLeadSeconds float64 `json:"ready_lead_seconds"`
	// Lag is (flip committed − deadline) from ttrd's ttr_check_deadline_lag_seconds, in
	// milliseconds: p50 and p99 interpolated within the histogram's buckets, max_le the upper
	// bound of the highest bucket holding an observation. Nil without the metric.
	Lag       map[string]float64 `json:"lag_ms,omitempty"`
	LagMaxInf bool               `json:"lag_max_above_buckets,omitempty"` // the largest lag is beyond the last finite bucket
	LagCount  float64            `json:"lag_count"`                       // observations of the histogram
	// LagBuckets are the histogram's cumulative buckets over the window, for a closer look.
	LagBuckets []lagBucket `json:"lag_buckets,omitempty"`
	LagNote    string      `json:"lag_note,omitempty"`
	// CommitLag estimates the same lag without ttrd's histogram, in milliseconds (p50, p99,
	// max): the k-th write committed (ttr_store_writes_total, scraped every 50 ms) against the
	// k-th deadline, i.e. how far the count of committed flips trailed the count of deadlines
	// due. It is each check's lag (up to the scrape interval, never less) when flips commit in
	// deadline order; a flip overtaken by later ones was later than this says. Nil when the
	// writes were not one per check.
	CommitLag map[string]float64 `json:"commit_lag_ms,omitempty"`
	Committed float64            `json:"writes_committed"` // over the window
	// AllDownSeconds is when, after the last deadline, GET /api/v1/checks/stats first showed
	// every check down (polled every 100 ms): a bound of the last check's lag that does not
	// depend on ttrd's own metrics. -1 when they never all went down.
	AllDownSeconds float64 `json:"all_down_after_last_deadline_seconds"`
	Down           int64   `json:"down"`       // down checks by the API at the end
	DownFlips      int64   `json:"down_flips"` // up→down flips in the store after ttrd stopped
	ServerCPU      float64 `json:"server_cpu_seconds"`
	PeakRSS        int64   `json:"peak_rss_bytes"`
}

// lagBucket is a cumulative histogram bucket in JSON, whose numbers cannot be +Inf.
type lagBucket struct {
	LE    string  `json:"le"` // seconds, or "+Inf"
	Count float64 `json:"count"`
}

// deadlineLagTarget is the benchmark target's bound on the p99 of (flip committed − deadline).
const deadlineLagTarget = 250 * time.Millisecond

// deadlineLagMetric is ttrd's histogram of (flip committed − deadline).
const deadlineLagMetric = "ttr_check_deadline_lag_seconds"

// deadlineScenario seeds Config.DeadlineChecks up checks whose deadlines fall due uniformly
// over Config.DeadlineSpread, shortly after ttrd is started, and measures how late each went
// down (ttrd's histogram), and that all did.
func (b *Bench) deadlineScenario(ctx context.Context) *DeadlineResult {
	n := b.cfg.DeadlineChecks
	res := &DeadlineResult{Checks: n, SpreadSeconds: b.cfg.DeadlineSpread.Seconds(), AllDownSeconds: -1}
	b.logf("%-15s %s deadlines over %s: lag of the flips\n", scDeadlines, fmtInt(float64(n)), b.cfg.DeadlineSpread)
	if err := b.inScratch(scDeadlines, func(dir string) error { return b.deadlineRun(ctx, dir, res) }); err != nil {
		res.ScenarioStatus = b.failedStatus(scDeadlines, err)
		return res
	}
	res.Status = "ok"
	return res
}

func (b *Bench) deadlineRun(ctx context.Context, dir string, res *DeadlineResult) error {
	n, spread := res.Checks, b.cfg.DeadlineSpread
	db := filepath.Join(dir, "ttr.db")
	if err := b.migrateStore(ctx, dir); err != nil {
		return err
	}
	// Seeded an hour ahead, then shifted so the first deadline is lead after ttrd's start.
	placeholder := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	deadline := func(base time.Time, i int) time.Time {
		return base.Add(time.Duration((float64(i) + 0.5) / float64(n) * float64(spread))).Truncate(time.Millisecond)
	}
	seed, err := seedChecks(ctx, db, seedPlan{
		Users: min(scenarioUsers, n), Checks: n, Interval: time.Hour, Grace: time.Minute,
		Deadline: func(i int) time.Time { return deadline(placeholder, i) }, Now: time.Now(), Seed: b.cfg.Seed + 2,
	})
	if err != nil {
		return err
	}
	first := time.Now().Add(b.lead()).Truncate(time.Millisecond)
	if err := shiftDeadlines(ctx, db, first.Sub(placeholder)); err != nil {
		return err
	}
	last := deadline(first, n-1)

	s, err := b.startSQLiteNode(ctx, scDeadlines, dir)
	if err != nil {
		return err
	}
	defer s.Stop()
	res.StartupSeconds = s.startupSeconds()
	res.ReadyLeadSeconds = first.Sub(s.Ready).Seconds()
	if armed := s.deadlinesArmed(); armed != int64(n) {
		return fmt.Errorf("ttrd armed %d deadlines, %d checks were seeded with one", armed, n)
	}
	b.logf("%-15s ready in %.2f s, %.2f s before the first deadline; the last is due in %.1f s\n",
		scDeadlines, res.StartupSeconds, res.ReadyLeadSeconds, time.Until(last).Seconds())
	before, _ := fetchLagHistogram(s.Internal)
	cpu0, _ := procCPU(s.Pid())
	sampler := startCommitSampler(s.Internal, commitScrapeInterval)

	// API polls start at the last deadline only: they would cost ttrd more than the scrapes.
	select {
	case <-time.After(time.Until(last)):
	case <-ctx.Done():
		sampler.stop()
		return ctx.Err()
	}
	for {
		down, err := countDown(ctx, s.Addr, seed.Users)
		if err != nil {
			return err
		}
		res.Down = down
		if down >= int64(n) {
			res.AllDownSeconds = time.Since(last).Seconds()
			break
		}
		if time.Since(last) > scenarioTimeout {
			break
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		case <-s.exited:
			return fmt.Errorf("%s exited: %v\n%s", s.Name, s.waitErr, s.LogTail(20))
		}
	}
	samples := sampler.stop()

	cpu1, _ := procCPU(s.Pid())
	res.ServerCPU = cpu1 - cpu0
	if len(samples) > 1 {
		res.Committed = samples[len(samples)-1].count - samples[0].count
	}
	if res.Committed == float64(n) {
		lags := commitLags(samples, n, func(k int) time.Time { return deadline(first, k) })
		if q := quantilesOf(lags); q != nil {
			res.CommitLag = map[string]float64{"p50": q["p50"] * 1e3, "p99": q["p99"] * 1e3, "max": q["max"] * 1e3}
		}
	}
	res.PeakRSS, _ = procPeakRSS(s.Pid())
	if after, ok := fetchLagHistogram(s.Internal); ok {
		h := after.delta(before)
		res.LagCount = h.Count
		for _, bk := range h.Buckets {
			res.LagBuckets = append(res.LagBuckets, lagBucket{LE: strconv.FormatFloat(bk.LE, 'g', -1, 64), Count: bk.Count})
		}
		res.Lag = map[string]float64{"p50": h.Quantile(0.5) * 1e3, "p99": h.Quantile(0.99) * 1e3}
		maxLE, above := h.MaxBound()
		res.Lag["max_le"], res.LagMaxInf = maxLE*1e3, above
		for k, v := range res.Lag {
			if math.IsNaN(v) {
				delete(res.Lag, k)
			}
		}
		res.LagNote = fmt.Sprintf("%s, bucket-interpolated", deadlineLagMetric)
	} else {
		res.LagNote = fmt.Sprintf("ttrd exposes no %s on its internal listener: lag not measured", deadlineLagMetric)
	}
	s.Stop()
	if res.DownFlips, err = countDownFlips(ctx, db); err != nil {
		return fmt.Errorf("count flips: %w", err)
	}
	b.logf("%-15s %s of %s down (API), %s down flips in the store; all down %.2f s after the last deadline; lag %s; by the commit count %s\n",
		scDeadlines, fmtInt(float64(res.Down)), fmtInt(float64(n)), fmtInt(float64(res.DownFlips)), res.AllDownSeconds, lagLine(res), commitLagLine(res))
	return nil
}

// fetchLagHistogram scrapes ttrd's deadline-lag histogram (false when it has none).
func fetchLagHistogram(internal string) (promHistogram, bool) {
	body, err := fetchMetrics(internal)
	if err != nil {
		return promHistogram{}, false
	}
	return parseHistogram(body, deadlineLagMetric)
}

// lagLine is the measured lag for the log and the tables: "p50 12 ms, p99 180 ms, max ≤ 250 ms".
func lagLine(r *DeadlineResult) string {
	if r.Lag == nil {
		return "not measured (no " + deadlineLagMetric + ")"
	}
	if r.LagCount == 0 {
		return "no observations in " + deadlineLagMetric
	}
	ms := func(v float64) string { return fmtMicros(max(v*1e3, 1)) }
	maxPart := "max ≤ " + ms(r.Lag["max_le"])
	if r.LagMaxInf {
		maxPart = "max > " + ms(r.Lag["max_le"])
	}
	return fmt.Sprintf("p50 %s, p99 %s, %s", ms(r.Lag["p50"]), ms(r.Lag["p99"]), maxPart)
}

// commitScrapeInterval is how often the deadlines scenario reads ttrd's committed writes.
const commitScrapeInterval = 50 * time.Millisecond

// countSample is a counter's value and when it was read (the answer's arrival: the value
// was taken before).
type countSample struct {
	at    time.Time
	count float64
}

// commitSampler reads ttr_store_writes_total{outcome="committed"} at an interval until
// stopped.
type commitSampler struct {
	done    chan struct{}
	result  chan []countSample
	stopped bool
}

// startCommitSampler starts reading the committed writes of the node at internal.
func startCommitSampler(internal string, every time.Duration) *commitSampler {
	c := &commitSampler{done: make(chan struct{}), result: make(chan []countSample, 1)}
	go func() {
		var out []countSample
		sample := func() {
			if body, err := fetchMetrics(internal); err == nil {
				// A labelled counter has no series before its first increment: none is 0.
				v, _ := sumSeries(body, "ttr_store_writes_total", map[string]string{"outcome": "committed"})
				out = append(out, countSample{at: time.Now(), count: v})
			}
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-c.done:
				sample() // what was committed up to the stop
				c.result <- out
				return
			case <-tick.C:
			}
		}
	}()
	return c
}

// stop ends the sampling and returns the samples.
func (c *commitSampler) stop() []countSample {
	if c.stopped {
		return nil
	}
	c.stopped = true
	close(c.done)
	return <-c.result
}

// commitLags are, in seconds and ascending, for k = 1..n, the time the committed count first
// reached k above the first sample, minus the k-th deadline (deadline(k-1), ascending): how
// far the commits trailed the deadlines. They are the checks' lags, overstated by up to the
// sampling interval, when commits follow deadline order. Nil when the count never reached n.
func commitLags(samples []countSample, n int, deadline func(k int) time.Time) []float64 {
	if len(samples) == 0 {
		return nil
	}
	base := samples[0].count
	lags := make([]float64, 0, n)
	j := 0
	for k := 1; k <= n; k++ {
		for j < len(samples) && samples[j].count-base < float64(k) {
			j++
		}
		if j == len(samples) {
			return nil
		}
		lags = append(lags, samples[j].at.Sub(deadline(k-1)).Seconds())
	}
	slices.Sort(lags)
	return lags
}

// commitLagLine is the commit-count estimate for the log and the tables.
func commitLagLine(r *DeadlineResult) string {
	if r.CommitLag == nil {
		return fmt.Sprintf("not estimated (%s writes committed for %s checks)", fmtInt(r.Committed), fmtInt(float64(r.Checks)))
	}
	ms := func(v float64) string { return fmtMicros(max(v*1e3, 1)) }
	return fmt.Sprintf("p50 %s, p99 %s, max %s", ms(r.CommitLag["p50"]), ms(r.CommitLag["p99"]), ms(r.CommitLag["max"]))
}
