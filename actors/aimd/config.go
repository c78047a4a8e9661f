package aimd

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config holds every parameter of the rate control. The zero value of a field means its
// default (see [Config.WithDefaults]); DefaultConfig gives the documented values (docs/architecture.md#alerting-rules).
//
// The server reads them from the environment; the names are:
//
//	StartRPS         TTR_RC_START_RPS          0.5
//	MinRPS           TTR_RC_MIN_RPS            0.1
//	MaxRPS           TTR_RC_MAX_RPS            2.0
//	AIStep           TTR_RC_AI_STEP            0.05
//	Burst            TTR_RC_BURST              5
//	MinBurst         TTR_RC_MIN_BURST          1
//	BurstStep        TTR_RC_BURST_STEP         0.25
//	RateLimitFactor  TTR_RC_429_FACTOR         0.5
//	ErrorFactor      TTR_RC_ERROR_FACTOR       0.8
//	BackoffBase      TTR_RC_BACKOFF_BASE       2s
//	MaxBackoffLevel  TTR_RC_BACKOFF_MAX_LEVEL  6
//	BackoffMax       TTR_RC_BACKOFF_MAX        300s
//	ErrorBackoff     TTR_RC_ERROR_BACKOFF      2s
//	MaxRetryAfter    TTR_RC_MAX_RETRY_AFTER    1h
type Config struct {
	// StartRPS is the rate of a destination without persisted state, in requests per second.
	StartRPS float64
	// MinRPS and MaxRPS bound the rate.
	MinRPS float64
	MaxRPS float64
	// AIStep is added to the rate after every delivered alert (additive increase).
	AIStep float64
	// Burst is the largest bucket size, in tokens; a new destination starts with a full
	// bucket of this size.
	Burst float64
	// MinBurst is the smallest bucket size the decreases leave (at least 1: one token must
	// fit, or nothing could ever be sent).
	MinBurst float64
	// BurstStep is added to the bucket size after every delivered alert.
	BurstStep float64
	// RateLimitFactor multiplies the rate and the bucket size after a 429.
	RateLimitFactor float64
	// ErrorFactor multiplies the rate and the bucket size after a 5xx, a network error or a
	// timeout.
	ErrorFactor float64
	// BackoffBase is the back-off after a 429 that names no Retry-After, doubled for each
	// further consecutive 429 (BackoffBase·2^level) …
	BackoffBase time.Duration
	// … up to level MaxBackoffLevel …
	MaxBackoffLevel int32
	// … and never longer than BackoffMax.
	BackoffMax time.Duration
	// ErrorBackoff is the back-off after a 5xx, a network error or a timeout; negative = none.
	ErrorBackoff time.Duration
	// MaxRetryAfter caps a receiver's Retry-After, so a receiver cannot park a destination
	// for days.
	MaxRetryAfter time.Duration
}

// DefaultConfig returns the documented parameters (docs/architecture.md#alerting-rules).
func DefaultConfig() Config {
	return Config{
		StartRPS:        0.5,
		MinRPS:          0.1,
		MaxRPS:          2.0,
		AIStep:          0.05,
		Burst:           5,
		MinBurst:        1,
		BurstStep:       0.25,
		RateLimitFactor: 0.5,
		ErrorFactor:     0.8,
		BackoffBase:     2 * time.Second,
		MaxBackoffLevel: 6,
		BackoffMax:      300 * time.Second,
		ErrorBackoff:    2 * time.Second,
		MaxRetryAfter:   time.Hour,
	}
}

// WithDefaults returns c with every zero field taken from DefaultConfig.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	fill := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	fillD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&c.StartRPS, d.StartRPS)
	fill(&c.MinRPS, d.MinRPS)
	fill(&c.MaxRPS, d.MaxRPS)
	fill(&c.AIStep, d.AIStep)
	fill(&c.Burst, d.Burst)
	fill(&c.MinBurst, d.MinBurst)
	fill(&c.BurstStep, d.BurstStep)
	fill(&c.RateLimitFactor, d.RateLimitFactor)
	fill(&c.ErrorFactor, d.ErrorFactor)
	fillD(&c.BackoffBase, d.BackoffBase)
	if c.MaxBackoffLevel == 0 {
		c.MaxBackoffLevel = d.MaxBackoffLevel
	}
	fillD(&c.BackoffMax, d.BackoffMax)
	fillD(&c.ErrorBackoff, d.ErrorBackoff)
	fillD(&c.MaxRetryAfter, d.MaxRetryAfter)
	return c
}

// Validate reports every problem of c, as it is (call WithDefaults first to accept zero
// fields).
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("aimd: "+format, a...)) }
	finite := func(name string, v float64) bool {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad("%s must be a finite number (it is %g)", name, v)
			return false
		}
		return true
	}
	if finite("MinRPS", c.MinRPS) && c.MinRPS <= 0 {
		bad("MinRPS must be above 0 (it is %g)", c.MinRPS)
	}
	if finite("MaxRPS", c.MaxRPS) && c.MaxRPS < c.MinRPS {
		bad("MaxRPS (%g) must be at least MinRPS (%g)", c.MaxRPS, c.MinRPS)
	}
	if finite("StartRPS", c.StartRPS) && (c.StartRPS < c.MinRPS || c.StartRPS > c.MaxRPS) {
		bad("StartRPS (%g) must lie between MinRPS (%g) and MaxRPS (%g)", c.StartRPS, c.MinRPS, c.MaxRPS)
	}
	if finite("AIStep", c.AIStep) && c.AIStep < 0 {
		bad("AIStep must not be negative (it is %g)", c.AIStep)
	}
	if finite("MinBurst", c.MinBurst) && c.MinBurst < 1 {
		bad("MinBurst must be at least 1 (it is %g)", c.MinBurst)
	}
	if finite("Burst", c.Burst) && c.Burst < c.MinBurst {
		bad("Burst (%g) must be at least MinBurst (%g)", c.Burst, c.MinBurst)
	}
	if finite("BurstStep", c.BurstStep) && c.BurstStep < 0 {
		bad("BurstStep must not be negative (it is %g)", c.BurstStep)
	}
	if finite("RateLimitFactor", c.RateLimitFactor) && (c.RateLimitFactor <= 0 || c.RateLimitFactor > 1) {
		bad("RateLimitFactor must lie in (0, 1] (it is %g)", c.RateLimitFactor)
	}
	if finite("ErrorFactor", c.ErrorFactor) && (c.ErrorFactor <= 0 || c.ErrorFactor > 1) {
		bad("ErrorFactor must lie in (0, 1] (it is %g)", c.ErrorFactor)
	}
	if c.BackoffBase <= 0 {
		bad("BackoffBase must be positive (it is %s)", c.BackoffBase)
	}
	if c.MaxBackoffLevel < 0 || c.MaxBackoffLevel > 30 {
		bad("MaxBackoffLevel must lie in [0, 30] (it is %d)", c.MaxBackoffLevel)
	}
	if c.BackoffMax < c.BackoffBase {
		bad("BackoffMax (%s) must be at least BackoffBase (%s)", c.BackoffMax, c.BackoffBase)
	}
	if c.MaxRetryAfter <= 0 {
		bad("MaxRetryAfter must be positive (it is %s)", c.MaxRetryAfter)
	}
	return errors.Join(errs...)
}
