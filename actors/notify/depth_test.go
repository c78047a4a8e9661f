package notify_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/census"
	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
	"google.golang.org/protobuf/proto"
)

// TestNotifierCountsPendingRows: a notifier reports its destination's pending rows to
// ttr_outbox_depth — beyond the batch it holds, rows its writers add while it waits on a down
// receiver, none once they are delivered, and none once it stops.
func TestNotifierCountsPendingRows(t *testing.T) {
	depth := census.NewOutbox()
	h := newHarness(t, func(d *notify.Deps) {
		d.Depth = depth
		d.Config.BatchSize = 2 // three rows do not fit: the notifier counts them in the store
		d.Policy = func(string) notify.Policy { return notify.Unlimited{} }
	})
	var down atomic.Bool
	down.Store(true)
	s := newSink(t, func(string, int) int {
		if down.Load() {
			return 503
		}
		return 200
	})
	const dest = "dest-depth"
	var ids []int64
	for i := range 3 {
		ids = append(ids, h.add(dest, s.srv.URL, "k"+strconv.Itoa(i)))
	}
	pid := h.spawn(dest)
	waittest.Until(t, 5*time.Second, "3 rows counted", func() bool { return depth.Depth() == 3 })
	waittest.Until(t, 5*time.Second, "a failed attempt", func() bool { return len(s.keys()) > 0 })

	// A writer commits two more and says so; a sweep's poke (no rows) counts nothing new.
	ids = append(ids, h.add(dest, s.srv.URL, "k3"), h.add(dest, s.srv.URL, "k4"))
	h.sys.Root.Send(pid, pokeEnvelope(t, 2))
	waittest.Until(t, 5*time.Second, "5 rows counted", func() bool { return depth.Depth() == 5 })

	down.Store(false)
	for _, id := range ids {
		h.waitStatus(id, messages.OutboxDelivered, 10*time.Second)
	}
	waittest.Until(t, 5*time.Second, "no row counted", func() bool { return depth.Depth() == 0 })

	// A notifier that stops with rows left reports none: their next owner counts them.
	h.add(dest, s.srv.URL, "k5", func(r *messages.OutboxRow) { r.NextAttemptAt = time.Now().Add(time.Hour) })
	h.sys.Root.Send(pid, pokeEnvelope(t, 1))
	waittest.Until(t, 5*time.Second, "the waiting row counted", func() bool { return depth.Depth() == 1 })
	if err := h.sys.Root.StopFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
	if d := depth.Depth(); d != 0 {
		t.Errorf("depth after the notifier stopped = %d, want 0", d)
	}
}

// pokeEnvelope is the Poke a writer sends after committing rows rows, as the router delivers it.
func pokeEnvelope(t *testing.T, rows uint32) *messages.Envelope {
	t.Helper()
	b, err := proto.Marshal(&messages.Poke{Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	return &messages.Envelope{Type: messages.TypePoke, Version: 1, Body: b}
}
