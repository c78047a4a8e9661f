package ratelimit_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/ratelimit"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// step is one event of a bucket's life: at offset from t0, take n.
type step struct {
	at        time.Duration
	n         int
	charge    float64 // > 0: Charge this instead of Take
	wantOK    bool
	wantRetry time.Duration // the Retry-After of a refusal (±1 ms)
}

func TestBucket(t *testing.T) {
	tests := []struct {
		name  string
		limit ratelimit.Limit
		steps []step
	}{
		{name: "off allows everything", limit: ratelimit.Limit{}, steps: []step{
			{n: 1000, wantOK: true}, {n: 1000, wantOK: true},
		}},
		{name: "burst then refusal with retry-after", limit: ratelimit.PerSecond(20, 100), steps: []step{
			{n: 100, wantOK: true},
			{n: 1, wantRetry: 50 * time.Millisecond},
			{at: 50 * time.Millisecond, n: 1, wantOK: true},
			{at: 50 * time.Millisecond, n: 1, wantRetry: 50 * time.Millisecond},
		}},
		{name: "5 per minute", limit: ratelimit.PerMinute(5), steps: []step{
			{n: 1, wantOK: true}, {n: 1, wantOK: true}, {n: 1, wantOK: true}, {n: 1, wantOK: true}, {n: 1, wantOK: true},
			{at: time.Second, n: 1, wantRetry: 11 * time.Second},
			{at: 12 * time.Second, n: 1, wantOK: true},
		}},
		{name: "10 per hour", limit: ratelimit.PerHour(10), steps: []step{
			{n: 10, wantOK: true},
			{n: 1, wantRetry: 6 * time.Minute},
			{at: 6 * time.Minute, n: 1, wantOK: true},
		}},
		{name: "more than the burst is never taken", limit: ratelimit.PerSecond(1, 2), steps: []step{
			{n: 3, wantRetry: 2 * time.Second},
			{n: 2, wantOK: true},
		}},
		{name: "a refusal takes nothing", limit: ratelimit.PerSecond(1, 1), steps: []step{
			{n: 1, wantOK: true},
			{at: 500 * time.Millisecond, n: 1, wantRetry: 500 * time.Millisecond},
			{at: 500 * time.Millisecond, n: 1, wantRetry: 500 * time.Millisecond},
			{at: time.Second, n: 1, wantOK: true},
		}},
		{name: "a charge makes a debt", limit: ratelimit.PerSecond(200, 200), steps: []step{
			{charge: 150},
			{charge: 150},
			{n: 1, wantRetry: 505 * time.Millisecond}, // -100 tokens: 101 to go at 200/s
			{at: 505 * time.Millisecond, n: 1, wantOK: true},
		}},
		{name: "a charge beyond the burst counts as the burst", limit: ratelimit.PerSecond(200, 200), steps: []step{
			{charge: 3000},
			{n: 1, wantRetry: 5 * time.Millisecond},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ratelimit.NewBucket(tt.limit)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.charge > 0 {
					b.Charge(now, s.charge)
					continue
				}
				ok, retry := b.Take(now, s.n)
				if ok != s.wantOK || (retry-s.wantRetry).Abs() > time.Millisecond {
					t.Errorf("step %d: Take(+%v, %d) = (%v, %v), want (%v, %v)", i, s.at, s.n, ok, retry, s.wantOK, s.wantRetry)
				}
			}
		})
	}
}

func TestBucketFull(t *testing.T) {
	b := ratelimit.NewBucket(ratelimit.PerSecond(10, 10))
	if !b.Full(t0) {
		t.Fatal("a new bucket is not full")
	}
	b.Take(t0, 5)
	if b.Full(t0.Add(400 * time.Millisecond)) {
		t.Error("full 400 ms after taking 5 at 10/s")
	}
	if !b.Full(t0.Add(500 * time.Millisecond)) {
		t.Error("not full 500 ms after taking 5 at 10/s")
	}
	if got := b.Tokens(t0.Add(200 * time.Millisecond)); math.Abs(got-7) > 1e-9 {
		t.Errorf("Tokens = %v, want 7", got)
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		limit     ratelimit.Limit
		wantStr   string
		wantErr   bool
		wantHalf  ratelimit.Limit
		wantThird ratelimit.Limit
	}{
		{limit: ratelimit.Limit{}, wantStr: "off"},
		{limit: ratelimit.PerSecond(50, 200), wantStr: "50/s burst 200", wantHalf: ratelimit.PerSecond(25, 100), wantThird: ratelimit.PerSecond(50.0/3, 67)},
		{limit: ratelimit.PerMinute(5), wantStr: "5/min", wantHalf: ratelimit.Limit{Rate: 5.0 / 120, Burst: 3}, wantThird: ratelimit.Limit{Rate: 5.0 / 180, Burst: 2}},
		{limit: ratelimit.PerHour(10), wantStr: "10/h", wantHalf: ratelimit.Limit{Rate: 10.0 / 7200, Burst: 5}, wantThird: ratelimit.Limit{Rate: 10.0 / 10800, Burst: 4}},
		{limit: ratelimit.PerSecond(1, 0), wantStr: "1/s burst 0", wantErr: true},
		{limit: ratelimit.PerSecond(math.Inf(1), 1), wantStr: "+Inf/s burst 1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.wantStr, func(t *testing.T) {
			if got := tt.limit.String(); got != tt.wantStr {
				t.Errorf("String() = %q, want %q", got, tt.wantStr)
			}
			if err := tt.limit.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error: %v", err, tt.wantErr)
			}
			if tt.limit.Off() {
				if got := tt.limit.Scaled(0.5); got != tt.limit {
					t.Errorf("Scaled(0.5) of an off limit = %v, want it unchanged", got)
				}
			}
			if tt.wantErr || tt.limit.Off() {
				return
			}
			for f, want := range map[float64]ratelimit.Limit{0.5: tt.wantHalf, 1.0 / 3: tt.wantThird, 1: tt.limit} {
				got := tt.limit.Scaled(f)
				if got.Burst != want.Burst || math.Abs(got.Rate-want.Rate) > 1e-12 {
					t.Errorf("Scaled(%v) = %+v, want %+v", f, got, want)
				}
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int64{0: 1, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 12 * time.Second: 12} {
		if got := ratelimit.RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestSet(t *testing.T) {
	s := ratelimit.NewSet(ratelimit.PerMinute(2), 4)
	for i, tt := range []struct {
		key    string
		wantOK bool
	}{{"a", true}, {"a", true}, {"a", false}, {"b", true}, {"b", true}, {"b", false}} {
		if ok, _ := s.Take(tt.key, t0, 1); ok != tt.wantOK {
			t.Errorf("take %d (%s) = %v, want %v", i, tt.key, ok, tt.wantOK)
		}
	}
	// Room is made by dropping full buckets first: a and b are empty and must be kept.
	for i := range 10 {
		s.Take(fmt.Sprint("full", i), t0, 0) // n = 0: a bucket is made, nothing taken
	}
	if n := s.Len(); n > 4 {
		t.Errorf("Len() = %d, want at most 4", n)
	}
	if ok, _ := s.Take("a", t0, 1); ok {
		t.Error("an empty bucket was evicted while full ones could go")
	}
}

func TestSetBoundedUnderNewKeys(t *testing.T) {
	s := ratelimit.NewSet(ratelimit.PerHour(1), 100)
	for i := range 10_000 {
		s.Take(fmt.Sprint(i), t0, 1) // every bucket is empty afterwards: none can be dropped as full
	}
	if n := s.Len(); n > 100 {
		t.Errorf("Len() = %d, want at most 100", n)
	}
}
