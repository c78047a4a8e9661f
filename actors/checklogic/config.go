package checklogic

import (
	"errors"
	"fmt"
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
	// Flap is the server-wide flap suppression (TTR_FLAP_*); its zero fields take the
	// defaults, so a Config from Compile suppresses as docs/architecture.md#alerting-rules says.
	Flap FlapConfig
}

// FlapConfig is flap suppression (docs/architecture.md#alerting-rules): Changes status changes within Window
// suppress the check's alerts until Suppress after the latest change. A zero field means its
// default (DefaultFlapConfig).
type FlapConfig struct {
	Changes  int           // status changes (up↔down) that make a check flapping; default 6
	Window   time.Duration // the span they must fall within; default 120 s
	Suppress time.Duration // alerts are held until this long after the latest change; default 180 s
}

// Bounds of FlapConfig. The flap history is persisted with every write of the check, so it
// stays short; flap keys name the start of a suppression in seconds, so two suppressions of
// one check must start in different seconds, which a suppression of at least a second
// guarantees (the next can only start with a change after it ended).
const (
	MaxFlapChanges  = 100
	MinFlapSuppress = time.Second
)

// DefaultFlapConfig is the documented default: 6 changes within 120 s suppress alerts for 180 s.
func DefaultFlapConfig() FlapConfig {
	return FlapConfig{Changes: 6, Window: 120 * time.Second, Suppress: 180 * time.Second}
}

// Validate rejects a configuration that cannot work. Zero fields are valid (defaults).
func (f FlapConfig) Validate() error {
	switch {
	case f.Changes < 0 || f.Changes == 1 || f.Changes > MaxFlapChanges:
		return fmt.Errorf("flap changes must be between 2 and %d (0 = default), got %d", MaxFlapChanges, f.Changes)
	case f.Window < 0:
		return fmt.Errorf("flap window must not be negative, got %v", f.Window)
	case f.Suppress < 0 || (f.Suppress > 0 && f.Suppress < MinFlapSuppress):
		return fmt.Errorf("flap suppression must be at least %v (0 = default), got %v", MinFlapSuppress, f.Suppress)
	}
	return nil
}

// withDefaults fills in the zero fields and clamps what Validate would reject, so a Config
// built by hand never makes the state machine misbehave.
func (f FlapConfig) withDefaults() FlapConfig {
	d := DefaultFlapConfig()
	if f.Changes == 0 {
		f.Changes = d.Changes
	}
	if f.Window == 0 {
		f.Window = d.Window
	}
	if f.Suppress == 0 {
		f.Suppress = d.Suppress
	}
	f.Changes = min(max(f.Changes, 2), MaxFlapChanges)
	f.Window = max(f.Window, 0)
	f.Suppress = max(f.Suppress, MinFlapSuppress)
	return f
}

// Compile parses cfg's schedule and content rule; Flap is left zero (the defaults): set it
// from the server's configuration, or use CompileWith. Errors are messages.EInvalid and name the
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
		Type:            cfg.ScheduleType,
		Expr:            cfg.Schedule,
		TZ:              cfg.TZ,
		IntervalSeconds: cfg.IntervalSeconds,
	})
	if err != nil {
		return Config{}, invalid("schedule", err)
	}
	rule, err := contentrule.CompileStored(cfg.ContentRule) // what a user saves was checked by Compile
	if err != nil {
		return Config{}, invalid("content rule", err)
	}
	return Config{CheckID: id, Cfg: cfg, Schedule: sched, Rule: rule}, nil
}

// CompileWith is Compile with the server's flap suppression.
func CompileWith(id int64, cfg messages.CheckConfig, flap FlapConfig) (Config, error) {
	c, err := Compile(id, cfg)
	if err != nil {
		return Config{}, err
	}
	if err := flap.Validate(); err != nil {
		return Config{}, fmt.Errorf("flap suppression: %w", err)
	}
	c.Flap = flap
	return c, nil
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

func (c Config) flap() FlapConfig { return c.Flap.withDefaults() }

// threshold is the number of consecutive failures that writes the down alert (0 means 1).
func (c Config) threshold() int32 {
	return max(c.Cfg.NotifyAfterFailures, 1)
}
