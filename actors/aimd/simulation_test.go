package aimd_test

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/aimd"
	"github.com/ttr-rip/ttr/messages"
)

// A receiver decides whether it accepts a request at t (else it answers 429, Retry-After: 1).
type receiver interface{ accept(t time.Time) bool }

// fixedWindow accepts limit requests per calendar second.
type fixedWindow struct {
	limit int
	sec   int64
	count int
}

func (f *fixedWindow) accept(t time.Time) bool {
	if s := t.Unix(); s != f.sec {
		f.sec, f.count = s, 0
	}
	if f.count < f.limit {
		f.count++
		return true
	}
	return false
}

// slidingWindow accepts a request when fewer than limit were accepted in the second before.
type slidingWindow struct {
	limit    int
	accepted []time.Time
}

func (s *slidingWindow) accept(t time.Time) bool {
	for len(s.accepted) > 0 && t.Sub(s.accepted[0]) >= time.Second {
		s.accepted = s.accepted[1:]
	}
	if len(s.accepted) < s.limit {
		s.accepted = append(s.accepted, t)
		return true
	}
	return false
}

// tokenLimiter is a token bucket of limit tokens refilled at limit per second.
type tokenLimiter struct {
	limit  float64
	tokens float64
	at     time.Time
}

func (l *tokenLimiter) accept(t time.Time) bool {
	if l.at.IsZero() {
		l.tokens, l.at = l.limit, t
	}
	l.tokens = min(l.limit, l.tokens+l.limit*t.Sub(l.at).Seconds())
	l.at = t
	if l.tokens >= 1 {
		l.tokens--
		return true
	}
	return false
}

// TestSimulatedRateLimitedReceiver is the rate-limited receiver scenario without HTTP: one destination whose
// receiver accepts 5 requests per second and answers 429 with Retry-After: 1 beyond, a
// limiter that has to find that limit (StartRPS 2, AIStep 0.5, MaxRPS 20), one send in
// flight at a time (5 ms each), over 90 simulated seconds. After the first 20 s at most 20 %
// of the sends may get a 429, and the delivered rate stays near the limit.
func TestSimulatedRateLimitedReceiver(t *testing.T) {
	tests := []struct {
		name        string
		recv        receiver
		minDelivery float64 // per second, after the warm-up
	}{
		{"fixed window", &fixedWindow{limit: 5}, 3.5},
		{"sliding window", &slidingWindow{limit: 5}, 2.5},
		{"token bucket", &tokenLimiter{limit: 5}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := aimd.Config{StartRPS: 2, AIStep: 0.5, MaxRPS: 20}.WithDefaults()
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			const (
				latency = 5 * time.Millisecond
				total   = 90 * time.Second
				warmup  = 20 * time.Second
			)
			start := time.Date(2030, 1, 1, 0, 0, 0, 300e6, time.UTC)
			now := start
			b := aimd.New(cfg, messages.RateState{}, now)
			var sends, limited, lateSends, lateLimited int
			var firstRPS []float64
			var at200 time.Duration // when the 200th alert was delivered (the target: within 90 s)
			for now.Sub(start) < total {
				now = now.Add(b.Delay(now))
				if now.Sub(start) >= total {
					break
				}
				b.Take(now)
				ok := tt.recv.accept(now)
				sentAt := now
				now = now.Add(latency)
				if ok {
					b.Observe(now, aimd.Success, 0)
				} else {
					b.Observe(now, aimd.RateLimited, time.Second)
				}
				sends++
				if !ok {
					limited++
				}
				if sends-limited == 200 && ok {
					at200 = now.Sub(start)
				}
				if sentAt.Sub(start) >= warmup {
					lateSends++
					if !ok {
						lateLimited++
					}
				}
				if len(firstRPS) < 8 {
					firstRPS = append(firstRPS, b.State().RPS)
				}
			}
			share := float64(lateLimited) / float64(lateSends)
			delivered := float64(lateSends-lateLimited) / (total - warmup).Seconds()
			t.Logf("%d sends in %s, %d answered 429, 200th delivery at %s; after %s: %d sends, 429 share %.1f %%, delivered %.2f/s (limit 5/s), sends %.2f/s; first rates %v",
				sends, total, limited, at200, warmup, lateSends, 100*share, delivered, float64(lateSends)/(total-warmup).Seconds(), firstRPS)
			if at200 == 0 {
				t.Errorf("fewer than 200 alerts delivered in %s", total)
			}
			if share > 0.20 {
				t.Errorf("429 share after the warm-up = %.1f %%, want ≤ 20 %%", 100*share)
			}
			if delivered < tt.minDelivery || delivered > 5.01 {
				t.Errorf("delivered %.2f/s after the warm-up, want between %.1f and 5", delivered, tt.minDelivery)
			}
		})
	}
}
