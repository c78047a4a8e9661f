package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/actors/ratelimit"
)

func TestAbuseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, a AbuseConfig)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, a AbuseConfig) {
			got := a.String()
			want := "signup 10/h, auth-fail 5/min, admin-signin 10/h, api-credential 50/s burst 200, api-ip 100/s burst 200, ping-check 20/s burst 100, ping-ip off, test-send 10/min, alert-host 20/s burst 20, rule budget 200ms/s, quotas checks 5000 status-pages 100 api-tokens 50, trust-proxy [], hsts false"
			if got != want {
				t.Errorf("defaults:\n got  %s\n want %s", got, want)
			}
		}},
		{name: "flags", args: []string{"--limit-signup", "3", "--limit-api-ip", "7", "--limit-api-ip-burst", "9", "--limit-ping-check", "0", "--quota-checks", "0", "--trust-proxy", "10.0.0.0/8, 192.0.2.5"},
			check: func(t *testing.T, a AbuseConfig) {
				if a.Limits.SignUp != ratelimit.PerHour(3) || a.Limits.APIIP != ratelimit.PerSecond(7, 9) || !a.PingCheck.Off() || a.Quotas.Checks != 0 {
					t.Errorf("got %s", a)
				}
				want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.5/32")}
				if len(a.Limits.TrustProxy) != 2 || a.Limits.TrustProxy[0] != want[0] || a.Limits.TrustProxy[1] != want[1] {
					t.Errorf("trust-proxy %v, want %v", a.Limits.TrustProxy, want)
				}
			}},
		{name: "environment", env: map[string]string{"TTR_LIMIT_AUTH_FAIL": "2", "TTR_QUOTA_API_TOKENS": "4", "TTR_LIMIT_RULE_BUDGET": "50ms"},
			check: func(t *testing.T, a AbuseConfig) {
				if a.Limits.AuthFail != ratelimit.PerMinute(2) || a.Quotas.APITokens != 4 || a.RuleBudget.Milliseconds() != 50 {
					t.Errorf("got %s", a)
				}
			}},
		{name: "negative", args: []string{"--limit-test-send", "-1"}, wantErr: "--limit-test-send: must not be negative"},
		{name: "bad proxy", args: []string{"--trust-proxy", "proxy.example"}, wantErr: "trust-proxy"},
		{name: "hsts needs https", args: []string{"--hsts"}, wantErr: "--hsts needs an https --public-url"},
		{name: "hsts with https", args: []string{"--hsts", "--public-url", "https://ttr.example"}, check: func(t *testing.T, a AbuseConfig) {
			if !a.HSTS {
				t.Error("hsts off")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig("ttrd", tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c.Abuse)
		})
	}
}
