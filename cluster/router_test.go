package cluster_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// metric returns the value of the counter (or the sample count of the histogram) name with
// exactly labels, 0 when absent.
func metric(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

func TestRouterReachesOwner(t *testing.T) {
	f := newFixture(t, fixtureOptions{nodes: 2})
	tests := []struct {
		name     string
		from, to int
	}{
		{"local", 0, 0},
		{"A to B over remote", 0, 1},
		{"B to A over remote", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := f.ownedBy(t, tt.to)
			r := request(t, f.routers[tt.from], id, "count", 0, "")
			if got := countOf(t, r); got != 1 {
				t.Errorf("count %d, want 1", got)
			}
			if r.GetDetail() != f.Members[tt.to].Name {
				t.Errorf("answered by %q, want the owner %q", r.GetDetail(), f.Members[tt.to].Name)
			}
		})
	}
	if s := f.stats(t, 0); s.Active != 2 {
		t.Errorf("node A has %d active children, want 2 (its own identity, asked twice)", s.Active)
	}
}

func TestHostRefusesIdentityItDoesNotOwn(t *testing.T) {
	f := newFixture(t, fixtureOptions{nodes: 2})
	id := f.ownedBy(t, 1)
	tests := []struct {
		name string
		from int // the node asking node A's host
	}{
		{"local", 0},
		{"remote", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ask(t, f.Nodes[tt.from], hostPIDOn(f, 0), envelope(id, "count", 0, "r1"))
			r, ok := res.(*messages.Reply)
			if !ok {
				t.Fatalf("answer %T", res)
			}
			if r.GetCode() != messages.Code_CODE_NOT_OWNER || r.GetHint() != f.Members[1].ID {
				t.Fatalf("reply %v, want NOT_OWNER with hint %s", r, f.Members[1].ID)
			}
		})
	}
	if s := f.stats(t, 0); s.Active != 0 {
		t.Fatalf("non-owner activated %d children", s.Active)
	}
	if got := metric(t, f.regs[0], "ttr_host_not_owner_total", map[string]string{"kind": testKind}); got != 2 {
		t.Errorf("not-owner metric %v, want 2", got)
	}
}

// flipping is a router's view that is out of date for its first after lookups.
type flipping struct {
	stale, truth cluster.Membership
	after        int32
	calls        atomic.Int32
}

func (m *flipping) Self() cluster.Member      { return m.truth.Self() }
func (m *flipping) Members() []cluster.Member { return m.truth.Members() }
func (m *flipping) Owner(identity string) (cluster.Member, bool) {
	if m.calls.Add(1) > m.after {
		return m.truth.Owner(identity)
	}
	return m.stale.Owner(identity)
}

func TestRouterRetriesNotOwner(t *testing.T) {
	tests := []struct {
		name     string
		after    int32 // lookups with the stale view
		deadline time.Duration
		wantOK   bool
	}{
		{"view refreshed after the first NotOwner", 1, 5 * time.Second, true},
		{"view refreshed after several", 4, 5 * time.Second, true},
		{"view never refreshed", 1 << 30, 300 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Node A's router believes B owns everything; both hosts know the truth.
			f := newFixture(t, fixtureOptions{nodes: 2,
				routerMembership: func(i int, c *clustertest.Cluster) cluster.Membership {
					if i != 0 {
						return c.Memberships[i]
					}
					stale := clustertest.MustStatic(t, c.Members[0], c.Members[1:])
					return &flipping{stale: stale, truth: c.Memberships[0], after: tt.after}
				}})
			id := f.ownedBy(t, 0)
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			r, err := f.routers[0].Request(ctx, id, "count", 1, wrapperspb.Int64(0), "")
			retries := metric(t, f.regs[0], "ttr_router_retries_total", map[string]string{"kind": testKind, "reason": "not_owner"})
			if !tt.wantOK {
				if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not the owner") {
					t.Fatalf("err %v, reply %v; want a deadline error naming NotOwner", err, r)
				}
				if retries < 2 {
					t.Errorf("%v NotOwner retries before the deadline, want several", retries)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := countOf(t, r); got != 1 || r.GetDetail() != f.Members[0].Name {
				t.Fatalf("count %d from %q, want 1 from %q", got, r.GetDetail(), f.Members[0].Name)
			}
			if retries != float64(tt.after) {
				t.Errorf("%v NotOwner retries, want %d", retries, tt.after)
			}
			if s := f.stats(t, 1); s.Active != 0 {
				t.Errorf("node B activated %d children for an identity it does not own", s.Active)
			}
		})
	}
}

func TestRouterRetryIsCountedOnce(t *testing.T) {
	f := newFixture(t, fixtureOptions{nodes: 2, router: cluster.RouterOptions{AttemptTimeout: 100 * time.Millisecond}})
	tests := []struct {
		name string
		to   int
	}{
		{"local", 0},
		{"remote", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := f.ownedBy(t, tt.to)
			before := f.w.counted.Load()
			timeouts := metric(t, f.regs[0], "ttr_router_retries_total", map[string]string{"kind": testKind, "reason": "timeout"})
			// The first answer comes after 400 ms, long after the 100 ms attempt gave up.
			r := request(t, f.routers[0], id, "count", 400, "")
			if got := countOf(t, r); got != 1 {
				t.Errorf("answer says count %d, want 1", got)
			}
			if got := f.w.counted.Load() - before; got != 1 {
				t.Errorf("counted %d times, want once", got)
			}
			if got := metric(t, f.regs[0], "ttr_router_retries_total", map[string]string{"kind": testKind, "reason": "timeout"}); got <= timeouts {
				t.Errorf("no timeout retry recorded")
			}
		})
	}
}

func TestRouterRequestIDs(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	id := f.ownedBy(t, 0)
	ctx := context.Background()
	tests := []struct {
		name      string
		ctx       context.Context
		requestID string
		want      int64 // the count the second of two identical requests answers
	}{
		{"explicit id repeated", ctx, "req-a", 1},
		{"id from context repeated", cluster.WithRequestID(ctx, "req-b"), "", 2},
		{"fresh ids", ctx, "", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got int64
			for range 2 {
				ctx, cancel := context.WithTimeout(tt.ctx, 5*time.Second)
				r, err := f.routers[0].Request(ctx, id, "count", 1, wrapperspb.Int64(0), tt.requestID)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				got = countOf(t, r)
			}
			if got != tt.want {
				t.Fatalf("second answer %d, want %d", got, tt.want)
			}
		})
	}
	if got := cluster.RequestIDFrom(cluster.WithRequestID(ctx, "x")); got != "x" {
		t.Fatalf("RequestIDFrom %q", got)
	}
	if a, b := f.routers[0].NewRequestID(), f.routers[0].NewRequestID(); a == b {
		t.Fatalf("NewRequestID repeated %q", a)
	}
}

func TestRouterGivesUp(t *testing.T) {
	t.Run("caller cancels while the owner is slow", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := f.routers[0].Request(ctx, f.ownedBy(t, 0), "count", 1, wrapperspb.Int64(1000), "")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("returned %v after cancel", d)
		}
		if got := metric(t, f.regs[0], "ttr_router_requests_total", map[string]string{"kind": testKind, "outcome": "canceled"}); got != 1 {
			t.Errorf("canceled requests %v, want 1", got)
		}
	})
	t.Run("owner is down", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{nodes: 2})
		id := f.ownedBy(t, 1)
		request(t, f.routers[0], id, "count", 0, "") // connected
		f.Nodes[1].Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := f.routers[0].Request(ctx, id, "count", 1, wrapperspb.Int64(0), "")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want a deadline error", err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("gave up after %v, deadline was 500ms", d)
		}
		t.Logf("err: %v", err)
	})
	t.Run("kind without a host", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := f.routers[0].Request(ctx, "nohost/1", "count", 1, wrapperspb.Int64(0), "")
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("err %v, want a deadline error after dead letters", err)
		}
		if got := metric(t, f.regs[0], "ttr_router_retries_total", map[string]string{"kind": "nohost", "reason": "dead_letter"}); got < 1 {
			t.Errorf("dead-letter retries %v", got)
		}
	})
	t.Run("no members", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{routerMembership: func(i int, c *clustertest.Cluster) cluster.Membership {
			return clustertest.MustStatic(t, c.Members[i], nil)
		}})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := f.routers[0].Request(ctx, "test/1", "count", 1, wrapperspb.Int64(0), ""); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		if err := f.routers[0].Send("test/1", "seq", 1, wrapperspb.Int64(0)); err == nil {
			t.Fatal("Send without members: no error")
		}
	})
}

func TestRouterRejectsBadInput(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, id := range []string{"", "test", "test/", "/1"} {
		_, err := f.routers[0].Request(context.Background(), id, "count", 1, wrapperspb.Int64(0), "")
		if messages.CodeOf(err) != messages.EInvalid {
			t.Errorf("Request(%q): err %v, want EInvalid", id, err)
		}
		if err := f.routers[0].Send(id, "seq", 1, wrapperspb.Int64(0)); messages.CodeOf(err) != messages.EInvalid {
			t.Errorf("Send(%q): err %v, want EInvalid", id, err)
		}
	}
}

func TestRouterFinalReplies(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	id := f.ownedBy(t, 0)
	r := request(t, f.routers[0], id, "no-such-type", 0, "")
	if r.GetCode() != messages.Code_CODE_INVALID {
		t.Fatalf("reply %v, want INVALID returned as is", r)
	}
	for _, tt := range []struct {
		outcome string
		want    float64
	}{{"invalid", 1}, {"ok", 0}} {
		if got := metric(t, f.regs[0], "ttr_router_requests_total", map[string]string{"kind": testKind, "outcome": tt.outcome}); got != tt.want {
			t.Errorf("requests{outcome=%s} = %v, want %v", tt.outcome, got, tt.want)
		}
	}
	if got := metric(t, f.regs[0], "ttr_router_request_duration_seconds", map[string]string{"kind": testKind}); got != 1 {
		t.Errorf("latency samples %v, want 1", got)
	}
}

func TestRouterSend(t *testing.T) {
	f := newFixture(t, fixtureOptions{nodes: 2})
	for _, to := range []int{0, 1} {
		id := f.ownedBy(t, to)
		for i := range 100 {
			if err := f.routers[0].Send(id, "seq", 1, wrapperspb.Int64(int64(i))); err != nil {
				t.Fatal(err)
			}
		}
		waittest.Until(t, 5*time.Second, "the condition", func() bool { return len(f.w.seq(id)) == 100 })
		for i, n := range f.w.seq(id) {
			if n != int64(i) {
				t.Fatalf("to node %d: message %d is %d: order lost", to, i, n)
			}
		}
	}
	if got := metric(t, f.regs[0], "ttr_router_sends_total", map[string]string{"kind": testKind, "outcome": "sent"}); got != 200 {
		t.Errorf("sends %v, want 200", got)
	}
}

func TestRoutersShareARegistry(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	other := cluster.NewRouter(f.Nodes[0], f.Memberships[0], cluster.RouterOptions{Registerer: f.regs[0]})
	id := f.ownedBy(t, 0)
	request(t, f.routers[0], id, "count", 0, "")
	request(t, other, id, "count", 0, "")
	if got := metric(t, f.regs[0], "ttr_router_requests_total", map[string]string{"kind": testKind, "outcome": "ok"}); got != 2 {
		t.Fatalf("requests %v, want 2 counted on the shared registry", got)
	}
}
