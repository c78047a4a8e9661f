package check_test

import (
	"context"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages"
)

// TestTickOnlyActivationsPassivateSooner: a check woken only by its deadline goes back to
// sleep after TickIdleTimeout, one that was pinged stays for IdleTimeout.
func TestTickOnlyActivationsPassivateSooner(t *testing.T) {
	w := newWorld(t)
	cl := clustertest.Start(t, 1, clustertest.Options{})
	w.serve(t, cl.Nodes[0], cl.Memberships[0], func(d *check.Deps) {
		d.IdleTimeout, d.TickIdleTimeout = time.Minute, 200*time.Millisecond
	})
	ticked, pinged := w.newCheck(t, "ticked"), w.newCheck(t, "pinged")
	router := cluster.NewRouter(cl.Nodes[0], cl.Memberships[0], cluster.RouterOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := router.Send(check.Identity(ticked.ID), messages.TypeTick, 1, &messages.Tick{WakeUnixMs: time.Now().UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	if _, err := check.NewClient(router).Ping(ctx, pinged.ID, ping(pinged.UUID)); err != nil {
		t.Fatal(err)
	}
	active := func() int {
		s, err := cluster.QueryHost(ctx, cl.Nodes[0], messages.KindCheck)
		if err != nil {
			t.Fatal(err)
		}
		return s.Active
	}
	if n := active(); n != 2 {
		t.Fatalf("%d active after a tick and a ping, want 2", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for active() != 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := active(); n != 1 {
		t.Fatalf("%d active 5 s later, want 1 (the pinged check)", n)
	}
	// The one left is the pinged check: a ping to it does not activate anything new.
	if _, err := check.NewClient(router).Ping(ctx, pinged.ID, ping(pinged.UUID)); err != nil {
		t.Fatal(err)
	}
	if n := active(); n != 1 {
		t.Fatalf("%d active after pinging the pinged check again, want 1", n)
	}
}
