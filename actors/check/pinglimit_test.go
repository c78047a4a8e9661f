package check_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages"
)

// fixedClock is a clock tests move by hand.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestPingLimitInsideTheActor: a check takes its burst of pings, then refuses the next with
// RateLimited and a retry-after, records none of the refused ones, and takes pings again once
// its allowance refilled. Another check is not affected.
func TestPingLimitInsideTheActor(t *testing.T) {
	w := newWorld(t)
	cl := clustertest.Start(t, 1, clustertest.Options{})
	clk := &fixedClock{t: time.Now()}
	w.serve(t, cl.Nodes[0], cl.Memberships[0], func(d *check.Deps) {
		d.PingLimit = ratelimit.PerSecond(20, 5)
		d.Now = clk.Now
	})
	router := cluster.NewRouter(cl.Nodes[0], cl.Memberships[0], cluster.RouterOptions{})
	client := check.NewClient(router)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := w.newCheck(t, "a"), w.newCheck(t, "b")

	for i := range 5 {
		if _, err := client.Ping(ctx, a.ID, ping(a.UUID)); err != nil {
			t.Fatalf("ping %d within the burst: %v", i, err)
		}
	}
	_, err := client.Ping(ctx, a.ID, ping(a.UUID))
	var e *messages.Error
	if !errors.As(err, &e) || e.Code != messages.ERateLimited {
		t.Fatalf("sixth ping: err = %v, want rate limited", err)
	}
	if e.RetryAfter != 50*time.Millisecond {
		t.Errorf("retry after %v, want 50ms (one ping at 20/s)", e.RetryAfter)
	}
	if n := w.nPings(t, a.ID); n != 5 {
		t.Errorf("n_pings = %d, want 5: a refused ping is not recorded", n)
	}
	if _, err := client.Ping(ctx, b.ID, ping(b.UUID)); err != nil {
		t.Errorf("another check's ping: %v", err)
	}
	clk.Add(50 * time.Millisecond)
	if _, err := client.Ping(ctx, a.ID, ping(a.UUID)); err != nil {
		t.Errorf("ping after the allowance refilled: %v", err)
	}
	if n := w.nPings(t, a.ID); n != 6 {
		t.Errorf("n_pings = %d, want 6", n)
	}
}
