package main

import (
	"strings"
	"testing"
	"time"
)

// TestRetentionFlags: the defaults as the start-up log shows them and as the pruner gets them,
// settings that go together (each flag and refusal alone: config_test.go).
func TestRetentionFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, r RetentionConfig)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, r RetentionConfig) {
			want := "pings 1000 per check (dedupe window 100), flips 400d, finished alerts 30d, activity 90d; every 1h0m0s at most 20 % busy"
			if got := r.String(); got != want {
				t.Errorf("defaults:\n got  %s\n want %s", got, want)
			}
			svc := r.service()
			if svc.PingLogLimit != 1000 || svc.FlipsFor != 400*24*time.Hour || svc.OutboxFor != 30*24*time.Hour || svc.ActivityFor != 90*24*time.Hour {
				t.Errorf("service config %+v", svc)
			}
		}},
		{name: "flags and environment", args: []string{"--ping-log-limit", "10", "--retention-flips-days", "0"},
			env: map[string]string{"TTR_PING_DEDUPE_WINDOW": "10", "TTR_RETENTION_EVERY": "5m"},
			check: func(t *testing.T, r RetentionConfig) {
				if r.PingLogLimit != 10 || r.DedupeWindow != 10 || r.FlipsDays != 0 || r.Every != 5*time.Minute {
					t.Errorf("got %+v", r)
				}
				if !strings.Contains(r.String(), "flips all") {
					t.Errorf("String: %s", r)
				}
			}},
		{name: "no limit, any window", args: []string{"--ping-log-limit", "0", "--ping-dedupe-window", "500"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig("ttrd", tc.args, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, c.Retention)
			}
		})
	}
}
