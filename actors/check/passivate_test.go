package check_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// TestTickOnlyActivationsPassivateSooner: a check woken only by its deadline goes back to
// sleep after TickIdleTimeout, one that was pinged stays for IdleTimeout.
//
// Idleness is judged on Deps.Now, which the test moves by hand: the idle timers only decide
// when the actor looks again. With the wall clock, the tick-only activation would passivate
// whenever the ping round trip (activation, store read, batched commit) outlasted
// TickIdleTimeout, which a loaded machine under -race does; the slow store read of the pinged
// check makes that round trip longer than TickIdleTimeout on purpose.
func TestTickOnlyActivationsPassivateSooner(t *testing.T) {
	const tickIdle = 200 * time.Millisecond
	w := newWorld(t)
	cl := clustertest.Start(t, 1, clustertest.Options{})
	clk := &fixedClock{t: time.Now()}
	ticked, pinged := w.newCheck(t, "ticked"), w.newCheck(t, "pinged")
	w.serve(t, cl.Nodes[0], cl.Memberships[0], func(d *check.Deps) {
		d.IdleTimeout, d.TickIdleTimeout = time.Minute, tickIdle
		d.Now = clk.Now
		d.Store = slowLoader{Loader: d.Store, id: pinged.ID, delay: 2 * tickIdle}
	})
	router := cluster.NewRouter(cl.Nodes[0], cl.Memberships[0], cluster.RouterOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := router.Send(check.Identity(ticked.ID), messages.TypeTick, 1, &messages.Tick{WakeUnixMs: clk.Now().UnixMilli()}); err != nil {
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
	// Past TickIdleTimeout, well within IdleTimeout: the next idle check (within a second of
	// real time) stops the ticked activation only.
	clk.Add(5 * tickIdle)
	waittest.UntilWhy(t, 10*time.Second, "only the pinged check to stay active once TickIdleTimeout passed", func() (bool, string) {
		n := active()
		return n == 1, fmt.Sprintf("%d active", n)
	})
	// The one left is the pinged check: a ping to it does not activate anything new.
	if _, err := check.NewClient(router).Ping(ctx, pinged.ID, ping(pinged.UUID)); err != nil {
		t.Fatal(err)
	}
	if n := active(); n != 1 {
		t.Fatalf("%d active after pinging the pinged check again, want 1", n)
	}
}

// slowLoader delays the store read of one check.
type slowLoader struct {
	check.Loader
	id    int64
	delay time.Duration
}

func (l slowLoader) LoadCheck(ctx context.Context, id int64, recent int) (messages.Check, []messages.Channel, []string, error) {
	if id == l.id {
		time.Sleep(l.delay)
	}
	return l.Loader.LoadCheck(ctx, id, recent)
}
