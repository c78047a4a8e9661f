package limit_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newLimits(t *testing.T, cfg limit.Config, deps limit.Deps) (*limit.Limits, *clock, *prometheus.Registry) {
	t.Helper()
	clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	reg := prometheus.NewRegistry()
	deps.Now, deps.Registerer = clk.Now, reg
	l, err := limit.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return l, clk, reg
}

// retryAfter returns the wait of a rate-limited error, failing t for any other.
func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var e *messages.Error
	if !errors.As(err, &e) || e.Code != messages.ERateLimited {
		t.Fatalf("err = %v, want rate limited", err)
	}
	return e.RetryAfter
}

var (
	ip1 = netip.MustParseAddr("192.0.2.1")
	ip2 = netip.MustParseAddr("192.0.2.2")
	// Two addresses of one IPv6 /64 count as one client.
	v6a = netip.MustParseAddr("2001:db8:1:2::1")
	v6b = netip.MustParseAddr("2001:db8:1:2:ffff::9")
)

func TestDefaults(t *testing.T) {
	c := limit.DefaultConfig()
	for name, tt := range map[string]struct {
		got  ratelimit.Limit
		want string
	}{
		"signup": {c.SignUp, "10/h"}, "auth": {c.AuthFail, "5/min"}, "api credential": {c.APICredential, "50/s burst 200"},
		"api ip": {c.APIIP, "100/s burst 200"}, "ping ip": {c.PingIP, "off"}, "test send": {c.TestSend, "10/min"},
		"admin sign-in": {c.AdminSignIn, "10/h"},
	} {
		if tt.got.String() != tt.want {
			t.Errorf("default %s = %s, want %s", name, tt.got, tt.want)
		}
	}
}

func TestSignUpPerIP(t *testing.T) {
	l, clk, reg := newLimits(t, limit.DefaultConfig(), limit.Deps{})
	ctx := context.Background()
	for i := range 10 {
		if err := l.SignUp(ctx, ip1); err != nil {
			t.Fatalf("sign-up %d: %v", i+1, err)
		}
	}
	if d := retryAfter(t, l.SignUp(ctx, ip1)); d != 6*time.Minute {
		t.Errorf("retry after %v, want 6m (one sign-up at 10/h)", d)
	}
	if err := l.SignUp(ctx, ip2); err != nil {
		t.Errorf("another IP: %v", err)
	}
	clk.Add(6 * time.Minute)
	if err := l.SignUp(ctx, ip1); err != nil {
		t.Errorf("after the wait: %v", err)
	}
	if got := testutil.ToFloat64(counter(t, reg, limit.NameSignUp)); got != 1 {
		t.Errorf("refused counter = %v, want 1", got)
	}
}

func TestAuthFailBlocksTheIP(t *testing.T) {
	l, clk, _ := newLimits(t, limit.DefaultConfig(), limit.Deps{})
	ctx := context.Background()
	for i := range 5 {
		if err := l.AuthFailed(ctx, v6a); err != nil {
			t.Fatalf("failure %d: %v", i+1, err)
		}
		if err := l.AuthBlocked(v6a); err != nil {
			t.Fatalf("blocked after %d failures: %v", i+1, err)
		}
	}
	if d := retryAfter(t, l.AuthFailed(ctx, v6b)); d != 12*time.Second {
		t.Errorf("sixth failure (same /64): retry after %v, want 12s", d)
	}
	if d := retryAfter(t, l.AuthBlocked(v6a)); d != 12*time.Second {
		t.Errorf("blocked: retry after %v, want 12s", d)
	}
	if err := l.AuthBlocked(ip1); err != nil {
		t.Errorf("another IP is blocked: %v", err)
	}
	clk.Add(12 * time.Second)
	if err := l.AuthBlocked(v6a); err != nil {
		t.Errorf("still blocked after the wait: %v", err)
	}
}

func TestTestSendPerUser(t *testing.T) {
	l, _, _ := newLimits(t, limit.DefaultConfig(), limit.Deps{})
	ctx := context.Background()
	for i := range 10 {
		if err := l.TestSend(ctx, 1); err != nil {
			t.Fatalf("test send %d: %v", i+1, err)
		}
	}
	if d := retryAfter(t, l.TestSend(ctx, 1)); d != 6*time.Second {
		t.Errorf("eleventh: retry after %v, want 6s", d)
	}
	if err := l.TestSend(ctx, 2); err != nil {
		t.Errorf("another user: %v", err)
	}
}

func TestAPISharePerNode(t *testing.T) {
	nodes := 1
	cfg := limit.Config{APICredential: ratelimit.PerSecond(50, 200), APIIP: ratelimit.PerSecond(100, 200)}
	l, _, _ := newLimits(t, cfg, limit.Deps{Nodes: func() int { return nodes }})
	count := func(take func() error) int {
		n := 0
		for take() == nil {
			n++
		}
		return n
	}
	if n := count(func() error { return l.APICredential("key:1") }); n != 200 {
		t.Errorf("one node: credential burst %d, want 200", n)
	}
	nodes = 4
	if n := count(func() error { return l.APICredential("key:2") }); n != 50 {
		t.Errorf("four nodes: credential burst %d, want 50 (a quarter)", n)
	}
	if n := count(func() error { return l.APIClient(ip1) }); n != 50 {
		t.Errorf("four nodes: IP burst %d, want 50", n)
	}
}

func TestOffAndNil(t *testing.T) {
	l, _, _ := newLimits(t, limit.Config{}, limit.Deps{})
	var none *limit.Limits
	ctx := context.Background()
	for _, lim := range []*limit.Limits{l, none} {
		for range 1000 {
			for _, err := range []error{lim.SignUp(ctx, ip1), lim.AuthFailed(ctx, ip1), lim.AuthBlocked(ip1),
				lim.TestSend(ctx, 1), lim.APIClient(ip1), lim.APICredential("k"), lim.Ping(ip1)} {
				if err != nil {
					t.Fatalf("an off limit refused: %v", err)
				}
			}
		}
	}
}

func TestPingIP(t *testing.T) {
	l, _, _ := newLimits(t, limit.Config{PingIP: ratelimit.PerSecond(1, 2)}, limit.Deps{})
	if l.Ping(ip1) != nil || l.Ping(ip1) != nil {
		t.Fatal("burst refused")
	}
	retryAfter(t, l.Ping(ip1))
}

// fakeShared is a cluster-wide limiter that can fail.
type fakeShared struct {
	calls int
	fail  bool
	allow bool
}

func (f *fakeShared) Take(_ context.Context, name, key string, l ratelimit.Limit, cost int) (bool, time.Duration, error) {
	f.calls++
	if f.fail {
		return false, 0, errors.New("no owner")
	}
	return f.allow, 3 * time.Second, nil
}

func TestSharedAndItsFallback(t *testing.T) {
	sh := &fakeShared{}
	l, _, _ := newLimits(t, limit.DefaultConfig(), limit.Deps{Shared: sh})
	ctx := context.Background()
	if d := retryAfter(t, l.SignUp(ctx, ip1)); d != 3*time.Second || sh.calls != 1 {
		t.Errorf("refused by the shared limiter: wait %v after %d calls, want 3s after 1", d, sh.calls)
	}
	sh.allow = true
	if err := l.SignUp(ctx, ip1); err != nil {
		t.Errorf("allowed by the shared limiter: %v", err)
	}
	// The shared limiter is unreachable: this node's own bucket decides.
	sh.fail = true
	for i := range 10 {
		if err := l.SignUp(ctx, ip1); err != nil {
			t.Fatalf("fallback sign-up %d: %v", i+1, err)
		}
	}
	retryAfter(t, l.SignUp(ctx, ip1))
}

func counter(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != ratelimit.MetricName {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "limiter" && lp.GetValue() == name {
					c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
					c.Add(m.GetCounter().GetValue())
					return c
				}
			}
		}
	}
	t.Fatalf("no %s counter for %s", ratelimit.MetricName, name)
	return nil
}

// TestAdminSignInPerUsernameAndIP: failures with one username from one client back off
// that pair only: the same username from another client, and another username from the
// same client, are not refused.
func TestAdminSignInPerUsernameAndIP(t *testing.T) {
	l, clk, reg := newLimits(t, limit.DefaultConfig(), limit.Deps{})
	ctx := context.Background()
	for i := range 10 {
		if err := l.AdminSignInFailed(ctx, "root", ip1); err != nil {
			t.Fatalf("failure %d: %v", i+1, err)
		}
		if err := l.AdminSignInBlocked("root", ip1); err != nil {
			t.Fatalf("blocked after %d failures: %v", i+1, err)
		}
	}
	if d := retryAfter(t, l.AdminSignInFailed(ctx, "root", ip1)); d != 6*time.Minute {
		t.Errorf("eleventh failure: retry after %v, want 6m (one at 10/h)", d)
	}
	if d := retryAfter(t, l.AdminSignInBlocked("root", ip1)); d != 6*time.Minute {
		t.Errorf("blocked: retry after %v, want 6m", d)
	}
	for _, tc := range []struct {
		user string
		ip   netip.Addr
	}{{"root", ip2}, {"alice", ip1}, {"root ", ip1}} {
		if err := l.AdminSignInBlocked(tc.user, tc.ip); err != nil {
			t.Errorf("%q from %v is refused: %v", tc.user, tc.ip, err)
		}
		if err := l.AdminSignInFailed(ctx, tc.user, tc.ip); err != nil {
			t.Errorf("a failure of %q from %v is refused: %v", tc.user, tc.ip, err)
		}
	}
	clk.Add(6 * time.Minute)
	if err := l.AdminSignInBlocked("root", ip1); err != nil {
		t.Errorf("still blocked after the wait: %v", err)
	}
	if got := testutil.ToFloat64(counter(t, reg, limit.NameAdminSignIn)); got != 2 {
		t.Errorf("refused counter = %v, want 2", got)
	}
}
