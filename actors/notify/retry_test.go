package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/aimd"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

func TestRetryBackoff(t *testing.T) {
	const s = time.Second
	tests := []struct {
		attempt int32
		jitter  float64
		r       float64
		want    time.Duration
	}{
		{1, 0, 0, 5 * s},
		{2, 0, 0, 10 * s},
		{3, 0, 0, 20 * s},
		{7, 0, 0, 320 * s},
		{8, 0, 0, 600 * s}, // capped at 10 min
		{1000, 0, 0, 600 * s},
		{1, 0.2, 0, 4 * s},           // -20 %
		{1, 0.2, 0.5, 5 * s},         // centre
		{1, 0.2, 0.9999999, 6*s - 1}, // +20 %
		{8, 0.2, 0, 480 * s},         // jitter below the cap
		{8, 0.2, 0.9999999, 600 * s}, // never above it
		{0, 0, 0, 5 * s},             // nonsense attempt counts as the first
	}
	for _, tt := range tests {
		got := retryBackoff(tt.attempt, 5*s, 10*time.Minute, tt.jitter, tt.r)
		if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("retryBackoff(%d, jitter %g, r %g) = %s, want %s", tt.attempt, tt.jitter, tt.r, got, tt.want)
		}
	}
}

func TestDecide(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Jitter = 0
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	row := messages.OutboxRow{ID: 9, Attempts: 2, CreatedAt: now.Add(-time.Hour), NextAttemptAt: now.Add(-time.Second)}
	old := row
	old.CreatedAt = now.Add(-25 * time.Hour)
	nearEnd := row
	nearEnd.CreatedAt = now.Add(-24*time.Hour + 3*time.Second)

	tests := []struct {
		name string
		row  messages.OutboxRow
		res  Result
		want persistence.OutboxResult
	}{
		{"delivered", row, Result{Outcome: Delivered}, persistence.OutboxResult{
			ID: 9, Node: "n1", Status: messages.OutboxDelivered, Attempts: 3, DeliveredAt: now, ChannelStatus: messages.DeliveryOK, At: now}},
		{"permanent", row, Result{Outcome: Permanent, Detail: "receiver answered 400"}, persistence.OutboxResult{
			ID: 9, Node: "n1", Status: messages.OutboxFailed, Attempts: 3, LastError: "receiver answered 400",
			ChannelStatus: messages.DeliveryError, ChannelMessage: "receiver answered 400", At: now}},
		{"transient backs off", row, Result{Outcome: Transient, Detail: "receiver answered 503"}, persistence.OutboxResult{
			ID: 9, Node: "n1", Status: messages.OutboxPending, Attempts: 3, NextAttemptAt: now.Add(20 * time.Second),
			LastError: "receiver answered 503", ChannelStatus: messages.DeliveryError, ChannelMessage: "receiver answered 503", At: now}},
		{"transient after RetryFor fails", old, Result{Outcome: Transient, Detail: "connection refused"}, persistence.OutboxResult{
			ID: 9, Node: "n1", Status: messages.OutboxFailed, Attempts: 3, LastError: "connection refused (gave up after 24h)",
			ChannelStatus: messages.DeliveryError, ChannelMessage: "connection refused (gave up after 24h)", At: now}},
		{"last retry at the end of RetryFor", nearEnd, Result{Outcome: Transient, Detail: "connection refused"}, persistence.OutboxResult{
			ID: 9, Node: "n1", Status: messages.OutboxPending, Attempts: 3, NextAttemptAt: now.Add(3 * time.Second),
			LastError: "connection refused", ChannelStatus: messages.DeliveryError, ChannelMessage: "connection refused", At: now}},
		{"rate limited honours Retry-After", old, Result{Outcome: RateLimited, RetryAfter: 7 * time.Second, Detail: "receiver answered 429 (rate limited)"}, persistence.OutboxResult{
			ID: 9, Node: "n1", Status: messages.OutboxPending, Attempts: 2, NextAttemptAt: now.Add(7 * time.Second),
			LastError: "receiver answered 429 (rate limited)", At: now}},
		{"rate limited default wait", row, Result{Outcome: RateLimited}, persistence.OutboxResult{
			ID: 9, Node: "n1", Status: messages.OutboxPending, Attempts: 2, NextAttemptAt: now.Add(2 * time.Second), At: now}},
		{"rate limited wait capped", row, Result{Outcome: RateLimited, RetryAfter: 1000 * time.Hour}, persistence.OutboxResult{
			ID: 9, Node: "n1", Status: messages.OutboxPending, Attempts: 2, NextAttemptAt: now.Add(time.Hour), At: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decide(cfg, tt.row, "n1", tt.res, now, 0.5); got != tt.want {
				t.Errorf("decide =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second:       "10s",
		200 * time.Millisecond: "200ms",
		10 * time.Minute:       "10m",
		24 * time.Hour:         "24h",
		90 * time.Minute:       "1h30m",
		90 * time.Second:       "1m30s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config (defaults): %v", err)
	}
	if err := LocalConfig().Validate(); err != nil {
		t.Errorf("local config: %v", err)
	}
	if got := (Config{}).withDefaults().Rate; got != aimd.DefaultConfig() {
		t.Errorf("default rate control = %+v, want the documented defaults", got)
	}
	bad := Config{ClaimTTL: time.Second, SendTimeout: 10 * time.Second, BackoffBase: time.Hour, Jitter: 1.5, BatchSize: -1,
		Rate: aimd.Config{MinRPS: 5}, TestWait: -time.Second}
	err := bad.Validate()
	if err == nil {
		t.Fatal("a bad config validates")
	}
	for _, want := range []string{"ClaimTTL", "BackoffMax", "Jitter", "BatchSize", "Rate: aimd: MaxRPS (2) must be at least MinRPS (5)", "TestWait"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
