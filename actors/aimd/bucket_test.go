package aimd_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/aimd"
	"github.com/ttr-rip/ttr/messages"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func newBucket(tb testing.TB, mod func(*aimd.Config), st messages.RateState) *aimd.Bucket {
	tb.Helper()
	cfg := aimd.DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	return aimd.New(cfg, st, t0)
}

// drain takes every whole token at t0.
func drain(b *aimd.Bucket) {
	for b.Delay(t0) == 0 {
		b.Take(t0)
	}
}

func TestNewDestinationStartsFull(t *testing.T) {
	b := newBucket(t, nil, messages.RateState{})
	st := b.State()
	if st.RPS != 0.5 || st.Burst != 5 || st.Tokens != 5 || st.BackoffLevel != 0 || !st.BackoffUntil.IsZero() || !st.UpdatedAt.Equal(t0) {
		t.Fatalf("new state = %+v", st)
	}
	// Five sends at once, then one every 2 s (0.5 rps).
	for i := range 5 {
		if d := b.Delay(t0); d != 0 {
			t.Fatalf("send %d must wait %s, want 0 (the bucket starts full)", i+1, d)
		}
		b.Take(t0)
	}
	if d := b.Delay(t0); d != 2*time.Second {
		t.Fatalf("sixth send waits %s, want 2s", d)
	}
	if d := b.Delay(at(1500 * time.Millisecond)); d != 500*time.Millisecond {
		t.Fatalf("at 1.5 s the wait is %s, want 500ms", d)
	}
	if d := b.Delay(at(2 * time.Second)); d != 0 {
		t.Fatalf("at 2 s the wait is %s, want 0", d)
	}
	if b.Version() != 0 {
		t.Errorf("taking tokens changed the version to %d: a local wait is not a change worth saving", b.Version())
	}
}

func TestLocalWaitDoesNotPenalise(t *testing.T) {
	b := newBucket(t, nil, messages.RateState{})
	drain(b)
	before := b.State()
	for i := range 10 { // asking again and again while throttled changes nothing
		_ = b.Delay(at(time.Duration(i) * 100 * time.Millisecond))
		_ = b.Snapshot(at(time.Duration(i) * 100 * time.Millisecond))
	}
	after := b.State()
	if after.RPS != before.RPS || after.Burst != before.Burst || after.BackoffLevel != 0 || !after.BackoffUntil.IsZero() {
		t.Fatalf("throttle wait changed the state: %+v → %+v", before, after)
	}
}

func TestObserve(t *testing.T) {
	const s = time.Second
	type step struct {
		o          aimd.Outcome
		retryAfter time.Duration
	}
	tests := []struct {
		name  string
		mod   func(*aimd.Config)
		start messages.RateState
		steps []step // each at t0
		rps   float64
		burst float64
		level int32
		until time.Duration // from t0; 0 = none
	}{
		{name: "success adds AIStep and BurstStep",
			start: messages.RateState{RPS: 1, Burst: 3, Tokens: 3},
			steps: []step{{aimd.Success, 0}}, rps: 1.05, burst: 3.25},
		{name: "success stops at MaxRPS and Burst",
			start: messages.RateState{RPS: 1.99, Burst: 4.9, Tokens: 3},
			steps: []step{{aimd.Success, 0}, {aimd.Success, 0}}, rps: 2, burst: 5},
		{name: "429 with Retry-After halves and waits that long",
			start: messages.RateState{RPS: 1, Burst: 4, Tokens: 3},
			steps: []step{{aimd.RateLimited, 3 * s}}, rps: 0.5, burst: 2, level: 1, until: 3 * s},
		{name: "429 without Retry-After waits 2 s",
			start: messages.RateState{RPS: 1, Burst: 4, Tokens: 3},
			steps: []step{{aimd.RateLimited, 0}}, rps: 0.5, burst: 2, level: 1, until: 2 * s},
		{name: "consecutive 429s double the back-off",
			start: messages.RateState{RPS: 2, Burst: 5, Tokens: 3},
			steps: []step{{aimd.RateLimited, 0}, {aimd.RateLimited, 0}, {aimd.RateLimited, 0}}, rps: 0.25,
			burst: 1, level: 3, until: 8 * s},
		{name: "the level stops at 6: 2 s·2^6",
			start: messages.RateState{RPS: 2, Burst: 5, BackoffLevel: 6},
			steps: []step{{aimd.RateLimited, 0}}, rps: 1, burst: 2.5, level: 6, until: 128 * s},
		{name: "a persisted level beyond the maximum is clamped",
			start: messages.RateState{RPS: 2, Burst: 5, BackoffLevel: 40},
			steps: []step{{aimd.RateLimited, 0}}, rps: 1, burst: 2.5, level: 6, until: 128 * s},
		{name: "the back-off is capped at 300 s",
			mod:   func(c *aimd.Config) { c.BackoffBase = 10 * s; c.MaxBackoffLevel = 6 },
			start: messages.RateState{RPS: 2, Burst: 5, BackoffLevel: 6},
			steps: []step{{aimd.RateLimited, 0}}, rps: 1, burst: 2.5, level: 6, until: 300 * s},
		{name: "Retry-After is capped at MaxRetryAfter",
			start: messages.RateState{RPS: 2, Burst: 5},
			steps: []step{{aimd.RateLimited, 48 * time.Hour}}, rps: 1, burst: 2.5, level: 1, until: time.Hour},
		{name: "the rate never goes below MinRPS nor the bucket below MinBurst",
			start: messages.RateState{RPS: 0.15, Burst: 1.5},
			steps: []step{{aimd.RateLimited, s}, {aimd.RateLimited, s}}, rps: 0.1, burst: 1, level: 2, until: s},
		{name: "success resets the level",
			start: messages.RateState{RPS: 1, Burst: 2, BackoffLevel: 4},
			steps: []step{{aimd.Success, 0}}, rps: 1.05, burst: 2.25, level: 0},
		{name: "5xx multiplies by 0.8 with a 2 s back-off",
			start: messages.RateState{RPS: 1, Burst: 5, BackoffLevel: 2},
			steps: []step{{aimd.Failure, 0}}, rps: 0.8, burst: 4, level: 2, until: 2 * s},
		{name: "a failure does not shorten a running back-off",
			start: messages.RateState{RPS: 1, Burst: 5, BackoffUntil: t0.Add(30 * s)},
			steps: []step{{aimd.Failure, 0}}, rps: 0.8, burst: 4, until: 30 * s},
		{name: "neutral changes nothing",
			start: messages.RateState{RPS: 1, Burst: 5, BackoffLevel: 2},
			steps: []step{{aimd.Neutral, 0}}, rps: 1, burst: 5, level: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBucket(t, tt.mod, tt.start)
			for _, st := range tt.steps {
				b.Observe(t0, st.o, st.retryAfter)
			}
			got := b.State()
			if !near(got.RPS, tt.rps) || !near(got.Burst, tt.burst) || got.BackoffLevel != tt.level {
				t.Errorf("rps %g burst %g level %d, want %g %g %d", got.RPS, got.Burst, got.BackoffLevel, tt.rps, tt.burst, tt.level)
			}
			var until time.Time
			if tt.until > 0 {
				until = t0.Add(tt.until)
			}
			if !got.BackoffUntil.Equal(until) {
				t.Errorf("back-off until %v, want %v", got.BackoffUntil, until)
			}
		})
	}
}

func TestBackoffStopsSends(t *testing.T) {
	b := newBucket(t, nil, messages.RateState{RPS: 2, Burst: 5, Tokens: 5, UpdatedAt: t0})
	b.Take(t0)
	b.Observe(at(100*time.Millisecond), aimd.RateLimited, 3*time.Second)
	// Nothing before the back-off ends (at 3.1 s), although tokens were left.
	for _, d := range []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second} {
		want := 3100*time.Millisecond - d
		if got := b.Delay(at(d)); got != want {
			t.Errorf("at %s the wait is %s, want %s", d, got, want)
		}
	}
	// The refill restarted at the 429 (the tokens were dropped): at 1 rps, 3 s later there
	// are 3 tokens, not a full bucket of 5.
	if d := b.Delay(at(3100 * time.Millisecond)); d != 0 {
		t.Fatalf("the wait when the back-off ends is %s, want 0", d)
	}
	sn := b.Snapshot(at(3100 * time.Millisecond))
	if !near(sn.GetTokens(), 2.5) { // the bucket shrank to 2.5
		t.Errorf("tokens after the back-off = %g, want 2.5 (the halved bucket's size)", sn.GetTokens())
	}
}

func TestFailureBackoffDropsTheBurst(t *testing.T) {
	b := newBucket(t, nil, messages.RateState{RPS: 1, Burst: 5, Tokens: 5, UpdatedAt: t0})
	b.Observe(t0, aimd.Failure, 0) // rate 0.8, bucket 4, back-off 2 s
	// When the back-off ends: what 0.8 rps refilled in 2 s (1.6 tokens), not the 4 held.
	if got := b.Snapshot(at(2 * time.Second)).GetTokens(); !near(got, 1.6) {
		t.Errorf("tokens when the back-off ends = %g, want 1.6", got)
	}
	if d := b.Delay(at(2 * time.Second)); d != 0 {
		t.Errorf("wait when the back-off ends = %s, want 0", d)
	}
}

func TestDelayN(t *testing.T) {
	b := newBucket(t, nil, messages.RateState{RPS: 1, Burst: 2, Tokens: 2, UpdatedAt: t0})
	for n, want := range map[int]time.Duration{0: 0, 1: 0, 2: 0, 3: time.Second, 5: 3 * time.Second} {
		if got := b.DelayN(t0, n); got != want {
			t.Errorf("DelayN(%d) = %s, want %s", n, got, want)
		}
	}
	b.Observe(t0, aimd.RateLimited, 4*time.Second) // rate 0.5, bucket 1, tokens 0, until 4 s
	if got := b.DelayN(t0, 1); got != 4*time.Second {
		t.Errorf("DelayN(1) during a 4 s back-off = %s, want 4s (2 tokens have accrued by then, the bucket holds 1)", got)
	}
	if got := b.DelayN(t0, 2); got != 6*time.Second {
		t.Errorf("DelayN(2) = %s, want 6s (one token more at 0.5 rps)", got)
	}
}

func TestTakeEarlyIsOwed(t *testing.T) {
	b := newBucket(t, nil, messages.RateState{RPS: 1, Burst: 1, Tokens: 0, UpdatedAt: t0})
	b.Take(t0) // one token owed
	if d := b.Delay(t0); d != 2*time.Second {
		t.Errorf("wait after an early take = %s, want 2s", d)
	}
}

func TestVersionMovesOnlyOnPersistedChanges(t *testing.T) {
	b := newBucket(t, nil, messages.RateState{RPS: 2, Burst: 5, Tokens: 5, UpdatedAt: t0})
	b.Take(t0)
	b.Observe(t0, aimd.Success, 0) // at the maxima: nothing to save
	b.Observe(t0, aimd.Neutral, 0)
	if v := b.Version(); v != 0 {
		t.Fatalf("version %d after changes of tokens only", v)
	}
	b.Observe(t0, aimd.RateLimited, 0)
	if v := b.Version(); v != 1 {
		t.Fatalf("version %d after a 429, want 1", v)
	}
	b.Observe(at(5*time.Second), aimd.Success, 0)
	if v := b.Version(); v != 2 {
		t.Fatalf("version %d after a success that raised the rate, want 2", v)
	}
}

func TestStateRoundTrip(t *testing.T) {
	cfg := aimd.DefaultConfig()
	b := aimd.New(cfg, messages.RateState{}, t0)
	b.Take(t0)
	b.Observe(at(time.Second), aimd.RateLimited, 0)
	b.Observe(at(3*time.Second), aimd.RateLimited, 0) // level 2, until 3 s + 4 s
	st := b.State()

	// A new owner restores it a second later: the back-off goes on (3 s more). At 0.125 rps
	// the 4 s back-off refills half a token only, but its end always allows one send.
	r := aimd.New(cfg, st, at(4*time.Second))
	if got, want := r.Delay(at(4*time.Second)), 3*time.Second; got != want {
		t.Errorf("restored bucket waits %s, want %s", got, want)
	}
	if got := r.Snapshot(at(4 * time.Second)); got.GetLimitedReason() != aimd.ReasonBackoff || got.GetBackoffSecondsRemaining() != 3 {
		t.Errorf("restored snapshot = %v", got)
	}
	if got := r.State(); got.BackoffLevel != 2 || !near(got.RPS, 0.125) || !near(got.Burst, 1.25) {
		t.Errorf("restored state = %+v", got)
	}
	r.Observe(at(8*time.Second), aimd.RateLimited, 0)
	if got := r.State().BackoffUntil; !got.Equal(at(16 * time.Second)) {
		t.Errorf("third 429 backs off until %v, want +8 s (level 2 survived)", got.Sub(t0))
	}
}

func TestNewClampsAStateOutOfBounds(t *testing.T) {
	cfg := aimd.DefaultConfig()
	b := aimd.New(cfg, messages.RateState{RPS: 50, Burst: 80, Tokens: 80, BackoffLevel: -3,
		BackoffUntil: t0.Add(100 * 24 * time.Hour), UpdatedAt: t0.Add(time.Hour)}, t0)
	st := b.State()
	if st.RPS != 2 || st.Burst != 5 || st.Tokens != 5 || st.BackoffLevel != 0 || !st.UpdatedAt.Equal(t0) {
		t.Errorf("state = %+v", st)
	}
	if !st.BackoffUntil.Equal(t0.Add(time.Hour)) {
		t.Errorf("back-off until %v, want at most MaxRetryAfter ahead", st.BackoffUntil.Sub(t0))
	}
	if b := aimd.New(cfg, messages.RateState{RPS: math.NaN()}, t0); b.State().RPS != 0.5 {
		t.Errorf("a NaN rate was not replaced by StartRPS")
	}
}

func TestSnapshot(t *testing.T) {
	b := newBucket(t, nil, messages.RateState{RPS: 1, Burst: 4, Tokens: 1.5, UpdatedAt: t0})
	s := b.Snapshot(t0)
	if !s.GetEnabled() || s.GetLimited() || s.GetLimitedReason() != "" || s.GetRetryAfterSeconds() != 0 ||
		s.GetCurrentRps() != 1 || s.GetMinRps() != 0.1 || s.GetTokens() != 1.5 || s.GetMaxTokens() != 4 ||
		s.GetBackoffSecondsRemaining() != 0 {
		t.Errorf("ready snapshot = %v", s)
	}

	b.Take(t0)
	b.Take(t0) // -0.5 tokens
	s = b.Snapshot(t0)
	if !s.GetLimited() || s.GetLimitedReason() != aimd.ReasonTokens || !near(s.GetRetryAfterSeconds(), 1.5) ||
		s.GetTokens() != 0 || s.GetBackoffSecondsRemaining() != 0 {
		t.Errorf("throttled snapshot = %v", s)
	}

	b.Observe(t0, aimd.RateLimited, 3*time.Second) // rate 0.5, tokens -0.5 at t0
	s = b.Snapshot(at(time.Second))
	if !s.GetLimited() || s.GetLimitedReason() != aimd.ReasonBackoff || !near(s.GetBackoffSecondsRemaining(), 2) ||
		!near(s.GetRetryAfterSeconds(), 2) || !near(s.GetCurrentRps(), 0.5) || !near(s.GetMaxTokens(), 2) || !near(s.GetTokens(), 0) {
		t.Errorf("back-off snapshot = %v", s)
	}
	// Back-off over: 3 s at 0.5 rps from -0.5 = 1 token.
	if s = b.Snapshot(at(3 * time.Second)); s.GetLimited() || !near(s.GetTokens(), 1) {
		t.Errorf("snapshot after the back-off = %v", s)
	}
}

func TestConfig(t *testing.T) {
	if err := aimd.DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	if got := (aimd.Config{}).WithDefaults(); got != aimd.DefaultConfig() {
		t.Errorf("zero config with defaults = %+v", got)
	}
	if got := (aimd.Config{MaxRPS: 20, AIStep: 0.5}).WithDefaults(); got.MaxRPS != 20 || got.AIStep != 0.5 || got.StartRPS != 0.5 {
		t.Errorf("partial config with defaults = %+v", got)
	}
	tests := []struct {
		name string
		mod  func(*aimd.Config)
		want string
	}{
		{"min rps", func(c *aimd.Config) { c.MinRPS = 0 }, "MinRPS must be above 0"},
		{"max below min", func(c *aimd.Config) { c.MaxRPS = 0.05 }, "MaxRPS (0.05) must be at least MinRPS"},
		{"start outside", func(c *aimd.Config) { c.StartRPS = 3 }, "StartRPS (3) must lie between"},
		{"nan", func(c *aimd.Config) { c.AIStep = math.NaN() }, "AIStep must be a finite number"},
		{"negative step", func(c *aimd.Config) { c.AIStep = -1 }, "AIStep must not be negative"},
		{"min burst", func(c *aimd.Config) { c.MinBurst = 0.5 }, "MinBurst must be at least 1"},
		{"burst", func(c *aimd.Config) { c.Burst = 0.5 }, "Burst (0.5) must be at least MinBurst"},
		{"factor", func(c *aimd.Config) { c.RateLimitFactor = 1.5 }, "RateLimitFactor must lie in (0, 1]"},
		{"error factor", func(c *aimd.Config) { c.ErrorFactor = 0 }, "ErrorFactor must lie in (0, 1]"},
		{"base", func(c *aimd.Config) { c.BackoffBase = 0 }, "BackoffBase must be positive"},
		{"level", func(c *aimd.Config) { c.MaxBackoffLevel = 31 }, "MaxBackoffLevel must lie in [0, 30]"},
		{"max backoff", func(c *aimd.Config) { c.BackoffMax = time.Second }, "BackoffMax (1s) must be at least BackoffBase (2s)"},
		{"retry after", func(c *aimd.Config) { c.MaxRetryAfter = -1 }, "MaxRetryAfter must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := aimd.DefaultConfig()
			tt.mod(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}
