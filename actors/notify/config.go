package notify

import (
	"errors"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/actors/aimd"
)

// Config tunes the notifier actors. The zero value of a field means its default.
type Config struct {
	// BatchSize is how many pending rows of one destination are held in memory at once
	// (default 50); the rest of a backlog stays in the store.
	BatchSize int
	// ClaimTTL is how long a claim on a row lasts (default 30 s). It must outlast one send;
	// another node takes a crashed node's row over only after it expires (or when the store
	// knows the claimer's node lease lapsed).
	ClaimTTL time.Duration
	// SendTimeout bounds one send whatever the channel (default 15 s). Senders have their own,
	// tighter timeouts (the webhook's is 10 s); this is the backstop.
	SendTimeout time.Duration
	// BackoffBase is the wait after the first transient failure (default 5 s); it doubles with
	// every further failure up to BackoffMax (default 10 min).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Jitter spreads retries by ± this fraction of the back-off (default 0.2; negative = none).
	Jitter float64
	// RetryFor is how long a row is retried after transient failures, counted from its
	// creation (default 24 h, TTR_ALERT_RETRY_FOR); then it is marked failed.
	RetryFor time.Duration
	// RateLimitWait is the wait after a 429 that names no Retry-After (default 2 s).
	RateLimitWait time.Duration
	// MaxRateLimitWait caps a receiver's Retry-After (default 1 h), so a receiver cannot park
	// a destination for days.
	MaxRateLimitWait time.Duration
	// IdleTimeout passivates a notifier that has had nothing pending for this long
	// (default 1 min).
	IdleTimeout time.Duration
	// StoreRetry is the wait after a store error before trying again (default 1 s).
	StoreRetry time.Duration
	// StoreTimeout bounds one store call (default 10 s).
	StoreTimeout time.Duration
	// ClaimRetry is the wait after a claim was refused when the refusing claim's expiry is not
	// known or already past, or while the node may not act (default 1 s).
	ClaimRetry time.Duration
	// Rate is the adaptive rate control of every destination (docs/architecture.md#alerting-rules); zero fields take
	// the defaults of aimd.DefaultConfig. The environment variables (TTR_RC_*) of each field
	// are listed on aimd.Config.
	Rate aimd.Config
	// TestWait is the longest a test send waits for its destination's rate limit (default
	// 10 s); a test that would wait longer is answered rate_limited at once.
	TestWait time.Duration
	// TestSendReserve is the time a test send keeps for the send itself before the caller's
	// deadline (default 2 s, at most half the time the caller gave): the wait for a token
	// ends that much earlier. The send is cut off just before the caller's deadline, so the
	// outcome always reaches the caller.
	TestSendReserve time.Duration
}

// DefaultConfig returns the documented defaults (docs/architecture.md#alerting-rules).
func DefaultConfig() Config {
	return Config{
		BatchSize:        50,
		ClaimTTL:         30 * time.Second,
		SendTimeout:      15 * time.Second,
		BackoffBase:      5 * time.Second,
		BackoffMax:       10 * time.Minute,
		Jitter:           0.2,
		RetryFor:         24 * time.Hour,
		RateLimitWait:    2 * time.Second,
		MaxRateLimitWait: time.Hour,
		IdleTimeout:      time.Minute,
		StoreRetry:       time.Second,
		StoreTimeout:     10 * time.Second,
		ClaimRetry:       time.Second,
		Rate:             aimd.DefaultConfig(),
		TestWait:         10 * time.Second,
		TestSendReserve:  2 * time.Second,
	}
}

// LocalConfig returns a configuration with millisecond timings for tests.
func LocalConfig() Config {
	return Config{
		BatchSize:        50,
		ClaimTTL:         30 * time.Second,
		SendTimeout:      10 * time.Second,
		BackoffBase:      20 * time.Millisecond,
		BackoffMax:       500 * time.Millisecond,
		Jitter:           0.2,
		RetryFor:         time.Hour,
		RateLimitWait:    50 * time.Millisecond,
		MaxRateLimitWait: 5 * time.Second,
		IdleTimeout:      100 * time.Millisecond,
		StoreRetry:       20 * time.Millisecond,
		StoreTimeout:     5 * time.Second,
		ClaimRetry:       20 * time.Millisecond,
		// Fast enough that the rate limit never shows unless a test sets the production values.
		Rate: aimd.Config{
			StartRPS:      1000,
			MinRPS:        1,
			MaxRPS:        1000,
			AIStep:        10,
			Burst:         5,
			BackoffBase:   20 * time.Millisecond,
			BackoffMax:    500 * time.Millisecond,
			ErrorBackoff:  5 * time.Millisecond,
			MaxRetryAfter: 5 * time.Second,
		}.WithDefaults(),
		TestWait:        2 * time.Second,
		TestSendReserve: 200 * time.Millisecond,
	}
}

// withDefaults fills every zero field from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.BatchSize == 0 {
		c.BatchSize = d.BatchSize
	}
	if c.ClaimTTL == 0 {
		c.ClaimTTL = d.ClaimTTL
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = d.SendTimeout
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = d.BackoffBase
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = d.BackoffMax
	}
	if c.Jitter == 0 {
		c.Jitter = d.Jitter
	}
	if c.Jitter < 0 {
		c.Jitter = 0
	}
	if c.RetryFor == 0 {
		c.RetryFor = d.RetryFor
	}
	if c.RateLimitWait == 0 {
		c.RateLimitWait = d.RateLimitWait
	}
	if c.MaxRateLimitWait == 0 {
		c.MaxRateLimitWait = d.MaxRateLimitWait
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.StoreRetry == 0 {
		c.StoreRetry = d.StoreRetry
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = d.StoreTimeout
	}
	if c.ClaimRetry == 0 {
		c.ClaimRetry = d.ClaimRetry
	}
	c.Rate = c.Rate.WithDefaults()
	if c.TestWait == 0 {
		c.TestWait = d.TestWait
	}
	if c.TestSendReserve == 0 {
		c.TestSendReserve = d.TestSendReserve
	}
	return c
}

// Validate reports every problem of a configuration whose zero fields were filled with
// their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	positive := func(name string, d time.Duration) {
		if d < 0 {
			errs = append(errs, fmt.Errorf("notify: %s must be positive (it is %s)", name, d))
		}
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("notify: BatchSize must be at least 1 (it is %d)", c.BatchSize))
	}
	positive("ClaimTTL", c.ClaimTTL)
	positive("SendTimeout", c.SendTimeout)
	positive("BackoffBase", c.BackoffBase)
	positive("BackoffMax", c.BackoffMax)
	positive("RetryFor", c.RetryFor)
	positive("RateLimitWait", c.RateLimitWait)
	positive("MaxRateLimitWait", c.MaxRateLimitWait)
	positive("IdleTimeout", c.IdleTimeout)
	positive("StoreRetry", c.StoreRetry)
	positive("StoreTimeout", c.StoreTimeout)
	positive("ClaimRetry", c.ClaimRetry)
	positive("TestWait", c.TestWait)
	positive("TestSendReserve", c.TestSendReserve)
	if err := c.Rate.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("notify: Rate: %w", err))
	}
	if c.ClaimTTL <= c.SendTimeout+c.StoreTimeout {
		errs = append(errs, fmt.Errorf("notify: ClaimTTL (%s) must exceed SendTimeout + StoreTimeout (%s), or another node could take a row over during its send", c.ClaimTTL, c.SendTimeout+c.StoreTimeout))
	}
	if c.BackoffMax < c.BackoffBase {
		errs = append(errs, fmt.Errorf("notify: BackoffMax (%s) must be at least BackoffBase (%s)", c.BackoffMax, c.BackoffBase))
	}
	if c.Jitter >= 1 {
		errs = append(errs, fmt.Errorf("notify: Jitter must be below 1 (it is %g)", c.Jitter))
	}
	if c.MaxRateLimitWait < c.RateLimitWait {
		errs = append(errs, fmt.Errorf("notify: MaxRateLimitWait (%s) must be at least RateLimitWait (%s)", c.MaxRateLimitWait, c.RateLimitWait))
	}
	return errors.Join(errs...)
}
