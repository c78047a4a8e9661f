package check_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/actors/retention"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages"
)

// TestPingLogRetention drives the check actor and the retention pass on one store with a
// ping log limit of 10 (docs/operations.md, "Retention"): while pings arrive and passes run,
// the log never holds fewer than the newest 10; after the pings stop, one pass leaves
// exactly the newest 10; and a new activation, which reloads the request-id dedupe window
// from the pruned log, still recognises a retried request.
func TestPingLogRetention(t *testing.T) {
	const limit = 10
	w := newWorld(t)
	keep := func(d *check.Deps) { d.KeepPings, d.DedupeWindow = limit, limit }
	cl := clustertest.Start(t, 1, clustertest.Options{})
	w.serve(t, cl.Nodes[0], cl.Memberships[0], keep)
	router := cluster.NewRouter(cl.Nodes[0], cl.Memberships[0], cluster.RouterOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	checks := []messages.Check{w.newCheck(t, "a"), w.newCheck(t, "b")}
	pass, err := retention.New(retention.Config{PingLogLimit: limit, Batch: 3, Scan: 1, BatchPause: time.Microsecond},
		retention.Deps{Store: w.store, Healthy: func() bool { return true }, Holder: func() string { return "n0" },
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	send := func(r *cluster.Router, c messages.Check, rid string) {
		t.Helper()
		rep, err := r.Request(ctx, check.Identity(c.ID), messages.TypePing, 1, ping(c.UUID), rid)
		if err != nil || rep.Code != messages.Code_CODE_OK {
			t.Fatalf("ping %s of check %d: %v %v", rid, c.ID, rep, err)
		}
	}
	logOf := func(c messages.Check) []messages.PingRecord {
		t.Helper()
		ps, err := w.store.ListPings(ctx, w.user.ID, c.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}

	// Pings arrive while passes run; after every ping and every pass each check holds at
	// least its newest min(n, 10) pings, newest first and without a gap.
	var (
		mu   sync.Mutex
		sent = map[int64]int64{}
	)
	assertAtLeast := func(when string) {
		t.Helper()
		for _, c := range checks {
			mu.Lock()
			n := sent[c.ID]
			mu.Unlock()
			ps := logOf(c)
			if int64(len(ps)) < min(n, limit) {
				t.Fatalf("%s: check %d holds %d pings after %d acknowledged, want at least %d", when, c.ID, len(ps), n, min(n, limit))
			}
			for i, p := range ps {
				if i < limit && p.N != ps[0].N-int64(i) {
					t.Fatalf("%s: check %d: ping %d of the log has n %d after %d", when, c.ID, i, p.N, ps[0].N)
				}
			}
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= 35; i++ {
			for _, c := range checks {
				send(router, c, fmt.Sprintf("r-%d-%d", c.ID, i))
				mu.Lock()
				sent[c.ID]++
				mu.Unlock()
			}
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		if _, err := pass.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		assertAtLeast("while pings arrive")
	}
	if t.Failed() {
		return
	}

	// The pings stopped: one pass leaves exactly the newest 10 (n 26..35).
	if _, err := pass.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		ps := logOf(c)
		if len(ps) != limit || ps[0].N != 35 || ps[limit-1].N != 26 {
			var ns []int64
			for _, p := range ps {
				ns = append(ns, p.N)
			}
			t.Fatalf("check %d after the pass: n %v, want 35 down to 26", c.ID, ns)
		}
	}

	// A fresh activation on another node reloads the dedupe window from the pruned log: a
	// retry of a request inside it is answered without being counted again.
	cl2 := clustertest.Start(t, 1, clustertest.Options{})
	w.serve(t, cl2.Nodes[0], cl2.Memberships[0], keep)
	router2 := cluster.NewRouter(cl2.Nodes[0], cl2.Memberships[0], cluster.RouterOptions{})
	c := checks[0]
	send(router2, c, fmt.Sprintf("r-%d-%d", c.ID, 35))
	send(router2, c, fmt.Sprintf("r-%d-%d", c.ID, 27))
	if n := w.nPings(t, c.ID); n != 35 {
		t.Fatalf("retried requests inside the dedupe window were counted again: n_pings %d, want 35", n)
	}
	send(router2, c, "a-new-request")
	if n := w.nPings(t, c.ID); n != 36 {
		t.Fatalf("a new request after the retries: n_pings %d, want 36", n)
	}
}
