package checklogic

import (
	"errors"
	"time"

	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// Config is a check's configuration compiled for evaluation.
type Config struct {
	CheckID  int64
	Cfg      messages.CheckConfig
	Schedule schedule.Schedule // nil: never due (the check is never armed)
	Rule     *contentrule.Rule // nil: no content rule
}

// Compile parses cfg's schedule and content rule. Errors are messages.EInvalid and name the
// problem, so the API can return them as they are.
func Compile(id int64, cfg messages.CheckConfig) (Config, error) {
	switch {
	case cfg.GraceSeconds < 0:
		return Config{}, messages.Errorf(messages.EInvalid, "grace_seconds must not be negative")
	case cfg.MaxRuntimeSeconds < 0:
		return Config{}, messages.Errorf(messages.EInvalid, "max_runtime_seconds must not be negative")
	case cfg.RealertIntervalSeconds < 0:
		return Config{}, messages.Errorf(messages.EInvalid, "realert_interval_seconds must not be negative")
	case cfg.NotifyAfterFailures < 0:
		return Config{}, messages.Errorf(messages.EInvalid, "notify_after_failures must not be negative")
	}
	sched, err := schedule.Parse(schedule.Spec{
		Type:            schedule.Type(cfg.ScheduleType),
		Expr:            cfg.Schedule,
		TZ:              cfg.TZ,
		IntervalSeconds: cfg.IntervalSeconds,
	})
	if err != nil {
		return Config{}, invalid("schedule", err)
	}
	rule, err := contentrule.Compile(cfg.ContentRule)
	if err != nil {
		return Config{}, invalid("content rule", err)
	}
	return Config{CheckID: id, Cfg: cfg, Schedule: sched, Rule: rule}, nil
}

// invalid makes err a messages.EInvalid error: anything wrong with a configuration is the
// user's to fix, whichever package found it.
func invalid(what string, err error) error {
	var me *messages.Error
	if errors.As(err, &me) && me.Code == messages.EInvalid {
		return err
	}
	return messages.Errorf(messages.EInvalid, "%s: %v", what, err)
}

// grace is never negative, even in a Config that did not come from Compile: a deadline
// before its due time would keep OnTick from ever getting ahead of now.
func (c Config) grace() time.Duration {
	return time.Duration(max(c.Cfg.GraceSeconds, 0)) * time.Second
}

func (c Config) maxRuntime() time.Duration {
	return time.Duration(c.Cfg.MaxRuntimeSeconds) * time.Second
}

func (c Config) realertInterval() time.Duration {
	return time.Duration(c.Cfg.RealertIntervalSeconds) * time.Second
}

// threshold is the number of consecutive failures that writes the down alert (0 means 1).
func (c Config) threshold() int32 {
	return max(c.Cfg.NotifyAfterFailures, 1)
}
