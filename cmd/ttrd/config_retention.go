package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/actors/retention"
)

// RetentionConfig is what the store keeps (docs/operations.md, "Retention"). A zero
// retention keeps that table's rows forever.
type RetentionConfig struct {
	PingLogLimit int64         // --ping-log-limit: pings kept per check
	DedupeWindow int           // --ping-dedupe-window: request ids an activation reloads
	FlipsDays    int           // --retention-flips-days
	OutboxDays   int           // --retention-outbox-days
	ActivityDays int           // --retention-activity-days
	Every        time.Duration // --retention-every: pause between passes
	MaxDutyCycle float64       // --retention-duty: share of a pass's time spent deleting
}

func (c *RetentionConfig) register(fs *flag.FlagSet) {
	fs.Int64Var(&c.PingLogLimit, "ping-log-limit", retention.DefaultPingLogLimit, "pings kept per check (0 = all)")
	fs.IntVar(&c.DedupeWindow, "ping-dedupe-window", 100, "request ids of its newest pings a check reloads on activation to recognise retries; at most --ping-log-limit")
	fs.IntVar(&c.FlipsDays, "retention-flips-days", int(retention.DefaultFlipsFor/(24*time.Hour)), "days of status changes kept (0 = all)")
	fs.IntVar(&c.OutboxDays, "retention-outbox-days", int(retention.DefaultOutboxFor/(24*time.Hour)), "days delivered and failed alerts are kept; pending ones always are (0 = all)")
	fs.IntVar(&c.ActivityDays, "retention-activity-days", int(retention.DefaultActivityFor/(24*time.Hour)), "days of authentication activity kept (0 = all)")
	fs.DurationVar(&c.Every, "retention-every", time.Hour, "pause between retention passes; the first runs a minute after start, or after this when shorter")
	fs.Float64Var(&c.MaxDutyCycle, "retention-duty", 0.2, "largest share of a retention pass's time spent deleting; it pauses between batches for the rest")
}

// service is the pruner's configuration.
func (c RetentionConfig) service() retention.Config {
	day := 24 * time.Hour
	return retention.Config{PingLogLimit: c.PingLogLimit, FlipsFor: time.Duration(c.FlipsDays) * day,
		OutboxFor: time.Duration(c.OutboxDays) * day, ActivityFor: time.Duration(c.ActivityDays) * day,
		Every: c.Every, Duty: c.MaxDutyCycle}
}

// Validate reports the settings the daemon refuses.
func (c RetentionConfig) Validate() error {
	var errs []error
	if c.PingLogLimit < 0 || c.PingLogLimit > 1_000_000 {
		errs = append(errs, fmt.Errorf("--ping-log-limit %d: want 0 (all) to 1000000", c.PingLogLimit))
	}
	if c.DedupeWindow < 1 || (c.PingLogLimit > 0 && int64(c.DedupeWindow) > c.PingLogLimit) || c.DedupeWindow > 100_000 {
		errs = append(errs, fmt.Errorf("--ping-dedupe-window %d: want 1 to --ping-log-limit (%d) and at most 100000", c.DedupeWindow, c.PingLogLimit))
	}
	for name, d := range map[string]int{"--retention-flips-days": c.FlipsDays, "--retention-outbox-days": c.OutboxDays, "--retention-activity-days": c.ActivityDays} {
		if d < 0 || d > 100*365 {
			errs = append(errs, fmt.Errorf("%s %d: want 0 (all) to 36500", name, d))
		}
	}
	if c.Every < time.Second {
		errs = append(errs, fmt.Errorf("--retention-every %v: want at least 1s", c.Every))
	}
	if c.MaxDutyCycle <= 0 || c.MaxDutyCycle > 1 {
		errs = append(errs, fmt.Errorf("--retention-duty %v: want more than 0 and at most 1", c.MaxDutyCycle))
	}
	return errors.Join(errs...)
}

// String is the retention settings for the start-up log.
func (c RetentionConfig) String() string {
	days := func(d int) string {
		if d == 0 {
			return "all"
		}
		return fmt.Sprintf("%dd", d)
	}
	limit := "all"
	if c.PingLogLimit > 0 {
		limit = fmt.Sprint(c.PingLogLimit)
	}
	return fmt.Sprintf("pings %s per check (dedupe window %d), flips %s, finished alerts %s, activity %s; every %v at most %.0f %% busy",
		limit, c.DedupeWindow, days(c.FlipsDays), days(c.OutboxDays), days(c.ActivityDays), c.Every, 100*c.MaxDutyCycle)
}
