package limiter_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/limiter"
	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
)

// threeNodes starts three in-process nodes, each with a limiter host, and returns the edge
// limits of each (sharing the cluster-wide allowances through its own router).
func threeNodes(t *testing.T, cfg limit.Config) ([]*limit.Limits, []*limiter.Client) {
	t.Helper()
	cl := clustertest.Start(t, 3, clustertest.Options{})
	var lims []*limit.Limits
	var clients []*limiter.Client
	for i, node := range cl.Nodes {
		if _, err := cluster.SpawnHost(node, messages.KindLimiter, cl.Memberships[i],
			limiter.NewProducer(limiter.Deps{Passivate: cluster.RequestPassivation}), cluster.HostOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i, node := range cl.Nodes {
		c := limiter.NewClient(cluster.NewRouter(node, cl.Memberships[i], cluster.RouterOptions{}))
		l, err := limit.New(cfg, limit.Deps{Shared: c, Nodes: func() int { return 3 }})
		if err != nil {
			t.Fatal(err)
		}
		lims = append(lims, l)
		clients = append(clients, c)
	}
	return lims, clients
}

func isRateLimited(err error) bool {
	var e *messages.Error
	return errors.As(err, &e) && e.Code == messages.ERateLimited && e.RetryAfter > 0
}

// TestAllowancesHoldAcrossThreeNodes: a client that spreads its sign-ups and failed
// authentications over three nodes gets the allowance once, not three times.
func TestAllowancesHoldAcrossThreeNodes(t *testing.T) {
	lims, _ := threeNodes(t, limit.Config{SignUp: ratelimit.PerHour(10), AuthFail: ratelimit.PerMinute(5)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ip := netip.MustParseAddr("198.51.100.7")

	for i := range 10 {
		if err := lims[i%3].SignUp(ctx, ip); err != nil {
			t.Fatalf("sign-up %d on node %d: %v", i+1, i%3, err)
		}
	}
	for n := range 3 {
		if err := lims[n].SignUp(ctx, ip); !isRateLimited(err) {
			t.Errorf("sign-up 11 on node %d: %v, want rate limited", n, err)
		}
	}

	for i := range 5 {
		if err := lims[i%3].AuthFailed(ctx, ip); err != nil {
			t.Fatalf("failure %d on node %d: %v", i+1, i%3, err)
		}
	}
	for n := range 3 {
		if err := lims[n].AuthFailed(ctx, ip); !isRateLimited(err) {
			t.Errorf("failure 6 on node %d: %v, want rate limited", n, err)
		}
		if err := lims[n].AuthBlocked(ip); !isRateLimited(err) {
			t.Errorf("node %d does not block the IP after its refusal: %v", n, err)
		}
	}
	other := netip.MustParseAddr("198.51.100.8")
	if err := lims[1].SignUp(ctx, other); err != nil {
		t.Errorf("another IP: %v", err)
	}
}

func TestTakeAnswers(t *testing.T) {
	_, clients := threeNodes(t, limit.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l := ratelimit.PerSecond(1, 2)
	for i, want := range []bool{true, true, false} {
		ok, wait, err := clients[i].Take(ctx, "test", "k", l, 1)
		if err != nil || ok != want {
			t.Fatalf("take %d: (%v, %v, %v), want allowed %v", i+1, ok, wait, err, want)
		}
		if !ok && (wait <= 0 || wait > time.Second) {
			t.Errorf("refusal waits %v, want (0, 1s]", wait)
		}
	}
	if _, _, err := clients[0].Take(ctx, "test", "bad", ratelimit.Limit{Rate: 1, Burst: 0}, 1); messages.CodeOf(errors.Unwrap(err)) != messages.EInvalid {
		t.Errorf("an invalid allowance: %v, want invalid", err)
	}
	if ok, _, err := clients[0].Take(ctx, "test", "off", ratelimit.Limit{}, 1); !ok || err != nil {
		t.Errorf("an off allowance: (%v, %v)", ok, err)
	}
}
