package cluster_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// leaseFixture is a lease on a fake clock over a store that can be made to fail or block.
type leaseFixture struct {
	clock   *clustertest.FakeClock
	lease   *cluster.Lease
	reg     *prometheus.Registry
	renews  atomic.Int32
	block   atomic.Bool // renewals wait for ctx
	fail    atomic.Bool // renewals fail at once
	mu      sync.Mutex
	untils  []time.Time
	fenced  []string
	store   []bool
	excused atomic.Bool
}

func newLeaseFixture(t *testing.T) *leaseFixture {
	t.Helper()
	f := &leaseFixture{clock: clustertest.NewFakeClock(t0), reg: prometheus.NewRegistry()}
	store := &clustertest.LeaseStore{RenewLeaseFn: func(ctx context.Context, nodeID string, until time.Time) error {
		f.renews.Add(1)
		f.mu.Lock()
		f.untils = append(f.untils, until)
		f.mu.Unlock()
		if f.fail.Load() {
			return errors.New("store down")
		}
		if f.block.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}}
	l, err := cluster.NewLease(cluster.LeaseConfig{NodeID: "n1"}, cluster.LeaseDeps{
		Store:   store,
		Clock:   f.clock,
		Excused: f.excused.Load,
		OnFenced: func(reason string) {
			f.mu.Lock()
			f.fenced = append(f.fenced, reason)
			f.mu.Unlock()
		},
		OnStoreChange: func(ok bool) {
			f.mu.Lock()
			f.store = append(f.store, ok)
			f.mu.Unlock()
		},
		Registerer: f.reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.lease = l
	t.Cleanup(l.Stop)
	return f
}

// advance moves the fake clock in 100 ms steps, letting the lease react to each.
func (f *leaseFixture) advance(d time.Duration) {
	for range int(d / (100 * time.Millisecond)) {
		f.clock.Advance(100 * time.Millisecond)
		synctest.Wait()
	}
}

func (f *leaseFixture) fences() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.fenced...)
}

func (f *leaseFixture) storeChanges() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.store...)
}

func TestLeaseRenewalsKeepItValid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newLeaseFixture(t)
		if f.lease.Valid() {
			t.Fatal("valid before Start")
		}
		if err := f.lease.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		for range 100 { // 10 s
			f.advance(100 * time.Millisecond)
			if !f.lease.Valid() {
				t.Fatalf("lapsed at %v with a working store", f.clock.Now().Sub(t0))
			}
		}
		if n := f.renews.Load(); n < 19 || n > 22 {
			t.Errorf("%d renewals in 10 s, want one per 500 ms", n)
		}
		f.mu.Lock()
		if got := f.untils[len(f.untils)-1]; !got.Equal(t0.Add(10*time.Second + 2*time.Second)) {
			t.Errorf("last renewal until %v, want now + 2 s", got)
		}
		f.mu.Unlock()
		if r := f.lease.Remaining(); r <= 1500*time.Millisecond || r > 2*time.Second {
			t.Errorf("Remaining = %v", r)
		}
		if len(f.fences()) != 0 || f.lease.State() != cluster.LeaseValid {
			t.Fatalf("fenced: %v, state %v", f.fences(), f.lease.State())
		}
		if got := metric(t, f.reg, "ttr_cluster_lease_valid", nil); got != 1 {
			t.Errorf("ttr_cluster_lease_valid = %v", got)
		}
	})
}

func TestLeaseLapsesWhenStoreBlocks(t *testing.T) {
	for _, mode := range []string{"blocked", "failing"} {
		t.Run(mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newLeaseFixture(t)
				if err := f.lease.Start(t.Context()); err != nil {
					t.Fatal(err)
				}
				f.advance(time.Second) // last successful renewal sent at t0+1s
				if mode == "blocked" {
					f.block.Store(true)
				} else {
					f.fail.Store(true)
				}
				f.advance(1900 * time.Millisecond) // t0+2.9s: still inside the TTL
				if !f.lease.Valid() || len(f.fences()) != 0 {
					t.Fatalf("lapsed early: valid %v, fences %v", f.lease.Valid(), f.fences())
				}
				if got := f.storeChanges(); len(got) != 1 || got[0] {
					t.Errorf("store changes %v, want [false] after 1 s of failures", got)
				}
				f.advance(100 * time.Millisecond) // t0+3s: 2 s after the last renewal
				if f.lease.Valid() {
					t.Fatal("valid 2 s after the last successful renewal")
				}
				fences := f.fences()
				if len(fences) != 1 || !strings.Contains(fences[0], "lapsed") {
					t.Fatalf("fences = %q, want one lapse", fences)
				}
				// The store comes back: a fenced lease stays fenced, renews no more.
				f.block.Store(false)
				f.fail.Store(false)
				n := f.renews.Load()
				f.advance(2 * time.Second)
				if f.lease.Valid() || f.lease.State() != cluster.LeaseFenced || len(f.fences()) != 1 || f.renews.Load() != n {
					t.Fatalf("after the store came back: valid %v, state %v, fences %d, renewals %d→%d",
						f.lease.Valid(), f.lease.State(), len(f.fences()), n, f.renews.Load())
				}
				if got := metric(t, f.reg, "ttr_cluster_fenced_total", map[string]string{"reason": "lease"}); got != 1 {
					t.Errorf("ttr_cluster_fenced_total{reason=lease} = %v", got)
				}
				if got := metric(t, f.reg, "ttr_cluster_lease_valid", nil); got != 0 {
					t.Errorf("ttr_cluster_lease_valid = %v", got)
				}
				if mode == "failing" {
					if got := metric(t, f.reg, "ttr_cluster_lease_renew_failures_total", nil); got < 3 {
						t.Errorf("ttr_cluster_lease_renew_failures_total = %v", got)
					}
				}
			})
		})
	}
}

func TestLeaseJudgedByLocalClockAfterPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newLeaseFixture(t)
		if err := f.lease.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Second)
		// The process does not run for 3 s (SIGSTOP): on waking, before any renewal or
		// tick, the lease is already known to have lapsed.
		f.clock.Advance(3 * time.Second)
		if f.lease.Valid() {
			t.Fatal("valid after a 3 s pause")
		}
		synctest.Wait()
		if len(f.fences()) != 1 {
			t.Fatalf("fences = %q", f.fences())
		}
	})
}

func TestLeaseExcusedDuringSharedOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newLeaseFixture(t)
		if err := f.lease.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.excused.Store(true)
		f.fail.Store(true)
		f.advance(3 * time.Second)
		if f.lease.Valid() || f.lease.State() != cluster.LeaseLapsed || len(f.fences()) != 0 {
			t.Fatalf("shared outage: valid %v, state %v, fences %v", f.lease.Valid(), f.lease.State(), f.fences())
		}
		f.fail.Store(false) // the store is back: the lease resumes under the same node id
		f.advance(600 * time.Millisecond)
		if !f.lease.Valid() || len(f.fences()) != 0 {
			t.Fatalf("after the outage: valid %v, fences %v", f.lease.Valid(), f.fences())
		}
		if got := f.storeChanges(); len(got) != 2 || got[0] || !got[1] {
			t.Errorf("store changes %v, want [false true]", got)
		}
		// Another outage, no longer shared while the lease is lapsed: fenced.
		f.fail.Store(true)
		f.advance(3 * time.Second)
		if f.lease.State() != cluster.LeaseLapsed {
			t.Fatalf("state %v", f.lease.State())
		}
		f.excused.Store(false)
		f.advance(200 * time.Millisecond)
		if fences := f.fences(); len(fences) != 1 || !strings.Contains(fences[0], "no longer shared") {
			t.Fatalf("fences = %q", fences)
		}
	})
}

func TestLeaseStartAndRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newLeaseFixture(t)
		f.fail.Store(true)
		if err := f.lease.Start(t.Context()); err == nil || f.lease.Valid() {
			t.Fatal("Start succeeded with a failing store")
		}
		f.fail.Store(false)
		if err := f.lease.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := f.lease.Start(t.Context()); err == nil {
			t.Error("second Start succeeded")
		}
		f.advance(time.Second)
		if err := f.lease.Release(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		last := f.untils[len(f.untils)-1]
		f.mu.Unlock()
		if !last.Equal(f.clock.Now()) || f.lease.Valid() {
			t.Fatalf("released until %v (now %v), valid %v", last, f.clock.Now(), f.lease.Valid())
		}
		if len(f.fences()) != 0 {
			t.Error("Release fenced")
		}
	})
}

func TestLeaseConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		c    cluster.LeaseConfig
	}{
		{"no node", cluster.LeaseConfig{}},
		{"renewal not shorter than the ttl", cluster.LeaseConfig{NodeID: "n", TTL: time.Second, RenewEvery: time.Second}},
		{"renewal not shorter than the default ttl", cluster.LeaseConfig{NodeID: "n", RenewEvery: 2 * time.Second}},
		{"negative ttl", cluster.LeaseConfig{NodeID: "n", TTL: -time.Second}},
		{"negative check", cluster.LeaseConfig{NodeID: "n", CheckEvery: -time.Second}},
		{"negative timeout", cluster.LeaseConfig{NodeID: "n", RenewTimeout: -time.Second}},
		{"negative store lost after", cluster.LeaseConfig{NodeID: "n", StoreLostAfter: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.Validate(); err == nil {
				t.Fatal("Validate accepted it")
			}
			if _, err := cluster.NewLease(tt.c, cluster.LeaseDeps{Store: &clustertest.LeaseStore{}}); err == nil {
				t.Fatal("NewLease accepted it")
			}
		})
	}
	if err := (cluster.LeaseConfig{NodeID: "n"}).Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if _, err := cluster.NewLease(cluster.LeaseConfig{NodeID: "n"}, cluster.LeaseDeps{}); err == nil {
		t.Fatal("NewLease accepted a lease without a store")
	}
}

func TestLeaseLifecycle(t *testing.T) {
	var renewals atomic.Int32
	store := &clustertest.LeaseStore{RenewLeaseFn: func(context.Context, string, time.Time) error {
		renewals.Add(1)
		return nil
	}}
	newLease := func(t *testing.T) *cluster.Lease {
		t.Helper()
		l, err := cluster.NewLease(cluster.LeaseConfig{NodeID: "n"}, cluster.LeaseDeps{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	t.Run("before Start", func(t *testing.T) {
		l := newLease(t)
		if l.Valid() || l.State() != cluster.LeaseUnstarted || l.Remaining() != 0 || l.NodeID() != "n" {
			t.Fatalf("unstarted lease: valid %v, state %v, remaining %v", l.Valid(), l.State(), l.Remaining())
		}
	})
	t.Run("Stop before Start, twice, then Start", func(t *testing.T) {
		l := newLease(t)
		l.Stop()
		l.Stop()
		before := renewals.Load()
		if err := l.Start(context.Background()); err == nil {
			t.Fatal("a stopped lease started")
		}
		if renewals.Load() != before {
			t.Error("a stopped lease renewed")
		}
	})
	t.Run("Start twice", func(t *testing.T) {
		l := newLease(t)
		defer l.Stop()
		if err := l.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := l.Start(context.Background()); err == nil {
			t.Fatal("a started lease started again")
		}
		if !l.Valid() {
			t.Error("the second Start broke the lease")
		}
		l.Stop()
		l.Stop()
	})
}

func TestStallDetector(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := clustertest.NewFakeClock(t0)
		reg := prometheus.NewRegistry()
		var mu sync.Mutex
		var fenced []string
		var gaps []time.Duration
		d, err := cluster.NewStallDetector(cluster.StallConfig{Threshold: 400 * time.Millisecond}, cluster.StallDeps{
			Clock:      clock,
			Registerer: reg,
			OnStall: func(gap time.Duration) {
				mu.Lock()
				gaps = append(gaps, gap)
				mu.Unlock()
			},
			OnFenced: func(reason string) {
				mu.Lock()
				fenced = append(fenced, reason)
				mu.Unlock()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer d.Stop()
		step := func(d time.Duration, n int) {
			for range n {
				clock.Advance(d)
				synctest.Wait()
			}
		}
		step(100*time.Millisecond, 50) // ticking normally
		step(350*time.Millisecond, 3)  // late ticks, under the threshold
		if n, _ := d.Stalls(); n != 0 {
			t.Fatalf("%d stalls while ticking", n)
		}
		step(1500*time.Millisecond, 1) // the process did not run for 1.5 s
		step(100*time.Millisecond, 5)
		n, longest := d.Stalls()
		mu.Lock()
		if n != 1 || longest != 1500*time.Millisecond || len(gaps) != 1 || len(fenced) != 1 ||
			!strings.Contains(fenced[0], "1.5s") {
			t.Fatalf("stalls %d (longest %v), gaps %v, fenced %q", n, longest, gaps, fenced)
		}
		mu.Unlock()
		step(time.Second, 1) // a second stall is reported, but fences only once
		n, _ = d.Stalls()
		mu.Lock()
		if n != 2 || len(gaps) != 2 || len(fenced) != 1 {
			t.Fatalf("stalls %d, gaps %v, fenced %q", n, gaps, fenced)
		}
		mu.Unlock()
		if got := metric(t, reg, "ttr_cluster_stalls_total", nil); got != 2 {
			t.Errorf("ttr_cluster_stalls_total = %v", got)
		}
		if got := metric(t, reg, "ttr_cluster_fenced_total", map[string]string{"reason": "stall"}); got != 1 {
			t.Errorf("ttr_cluster_fenced_total{reason=stall} = %v", got)
		}
	})
}

func TestStallConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		c    cluster.StallConfig
	}{
		{"threshold under twice the interval", cluster.StallConfig{Threshold: 150 * time.Millisecond}},
		{"threshold under twice a given interval", cluster.StallConfig{Threshold: time.Second, Interval: 600 * time.Millisecond}},
		{"negative threshold", cluster.StallConfig{Threshold: -time.Second}},
		{"negative interval", cluster.StallConfig{Interval: -time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.Validate(); err == nil {
				t.Fatal("Validate accepted it")
			}
			if _, err := cluster.NewStallDetector(tt.c, cluster.StallDeps{}); err == nil {
				t.Fatal("NewStallDetector accepted it")
			}
		})
	}
	if err := (cluster.StallConfig{}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestStallDetectorLifecycle(t *testing.T) {
	d, err := cluster.NewStallDetector(cluster.StallConfig{}, cluster.StallDeps{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Stalls(); n != 0 {
		t.Fatalf("%d stalls before Start", n)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err == nil {
		t.Fatal("a started detector started again")
	}
	d.Stop()
	d.Stop()

	stopped, err := cluster.NewStallDetector(cluster.StallConfig{}, cluster.StallDeps{})
	if err != nil {
		t.Fatal(err)
	}
	stopped.Stop()
	if err := stopped.Start(context.Background()); err == nil {
		t.Fatal("a stopped detector started")
	}
	stopped.Stop()
}
