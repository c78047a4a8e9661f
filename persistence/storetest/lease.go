package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// --- node leases (docs/architecture.md#fencing) ----------------------------------------------------------

func renew(t *testing.T, s persistence.Store, node string, until time.Time) {
	t.Helper()
	if err := s.RenewLease(ctxT(t), node, until); err != nil {
		t.Fatalf("renew lease of %s: %v", node, err)
	}
}

func live(t *testing.T, s persistence.Store, now time.Time) []string {
	t.Helper()
	return must[[]string](t)(s.LiveNodes(ctxT(t), now))
}

func testLeaseRenew(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	if got := live(t, s, t0); len(got) != 0 {
		t.Fatalf("live nodes of an empty store: %v", got)
	}
	renew(t, s, "n2", t0.Add(2*time.Second))
	renew(t, s, "n1", t0.Add(2*time.Second))
	renew(t, s, "n3", t0.Add(-time.Second)) // lapsed already
	diff(t, "live nodes", live(t, s, t0), []string{"n1", "n2"})
	// Live means lease_until after now: a lease ending exactly now is over.
	diff(t, "live nodes when their leases end", live(t, s, Ms(t0.Add(2*time.Second))), []string(nil))

	// A renewal extends the lease.
	renew(t, s, "n1", t0.Add(4*time.Second))
	diff(t, "live after n1's renewal", live(t, s, t0.Add(3*time.Second)), []string{"n1"})
	// A release overwrites with an earlier time (no GREATEST).
	renew(t, s, "n1", t0)
	diff(t, "live after n1's release", live(t, s, t0.Add(time.Millisecond)), []string{"n2"})

	wantCode(t, s.RenewLease(ctx, "", t0), messages.EInvalid)
	wantCode(t, s.RenewLease(ctx, "n1", time.Time{}), messages.EInvalid)
}

func testPruneNodes(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	renew(t, s, "gone", t0.Add(-time.Hour))           // lapsed long ago, no claim: pruned
	renew(t, s, "claimer", t0.Add(-time.Hour))        // lapsed, claims a pending row: kept
	renew(t, s, "finished", t0.Add(-time.Hour))       // lapsed, its claim was finished: pruned
	renew(t, s, "boundary", t0)                       // ended exactly at before: kept
	renew(t, s, "alive", t0.Add(time.Second))         // live: kept
	renew(t, s, "done-claimer", t0.Add(-2*time.Hour)) // claimed a row now delivered: pruned
	rows := []messages.OutboxRow{
		outboxRow(u, c.ID, "d", "prune-1"),
		outboxRow(u, c.ID, "d", "prune-2"),
		outboxRow(u, c.ID, "d", "prune-3"),
	}
	if err := s.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	claim := func(id int64, node string) {
		t.Helper()
		if !must[bool](t)(s.ClaimOutbox(ctx, id, node, t0.Add(-3*time.Hour), t0.Add(time.Hour))) {
			t.Fatalf("%s could not claim row %d", node, id)
		}
	}
	claim(rows[0].ID, "claimer")
	claim(rows[1].ID, "finished")
	claim(rows[2].ID, "done-claimer")
	finish := func(id int64, node string, status messages.OutboxStatus) {
		t.Helper()
		r := persistence.OutboxResult{ID: id, Node: node, Status: status, Attempts: 1, NextAttemptAt: Ms(t0.Add(time.Hour))}
		if status == messages.OutboxDelivered {
			r.NextAttemptAt, r.DeliveredAt = time.Time{}, Ms(t0)
		}
		if !must[bool](t)(s.FinishOutbox(ctx, r)) {
			t.Fatalf("%s could not finish row %d", node, id)
		}
	}
	finish(rows[1].ID, "finished", messages.OutboxPending) // a retry: the claim is released
	finish(rows[2].ID, "done-claimer", messages.OutboxDelivered)

	if n := must[int64](t)(s.PruneNodes(ctx, t0)); n != 3 {
		t.Errorf("pruned %d nodes, want 3", n)
	}
	diff(t, "nodes left", live(t, s, time.UnixMilli(0)), []string{"alive", "boundary", "claimer"})

	// Once its claim is released, the claimer goes too.
	finish(rows[0].ID, "claimer", messages.OutboxPending)
	if n := must[int64](t)(s.PruneNodes(ctx, t0)); n != 1 {
		t.Errorf("pruned %d nodes after the claim was released, want 1", n)
	}
	diff(t, "nodes left", live(t, s, time.UnixMilli(0)), []string{"alive", "boundary"})
}

// testLeaseClaimTakeover: a claim is taken over once claim_until has passed, or at once when
// the claimer's lease row says its lease lapsed (docs/architecture.md#alerts-the-outbox, #fencing); a claimer
// without a lease row (a single node) is judged by claim_until alone.
func testLeaseClaimTakeover(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	newRow := func(key string) int64 {
		t.Helper()
		rows := []messages.OutboxRow{outboxRow(u, c.ID, "d-"+key, key)}
		if err := s.InsertOutbox(ctx, rows); err != nil {
			t.Fatal(err)
		}
		return rows[0].ID
	}
	claim := func(id int64, node string, now time.Time) bool {
		t.Helper()
		return must[bool](t)(s.ClaimOutbox(ctx, id, node, now, now.Add(30*time.Second)))
	}
	holder := func(id int64, dest string) string {
		t.Helper()
		rows := must[[]messages.OutboxRow](t)(s.PendingOutbox(ctx, dest, 10))
		if len(rows) != 1 || rows[0].ID != id {
			t.Fatalf("pending rows of %s: %+v", dest, rows)
		}
		return rows[0].ClaimedBy
	}

	t.Run("valid lease keeps a live claim", func(t *testing.T) {
		id := newRow("valid")
		renew(t, s, "v1", t0.Add(2*time.Second))
		if !claim(id, "v1", t0) { // claim_until t0+30s
			t.Fatal("first claim refused")
		}
		if claim(id, "v2", t0.Add(time.Second)) {
			t.Fatal("a live claim of a node with a valid lease was stolen")
		}
		// v1 keeps renewing: still not stolen, however long it sends.
		renew(t, s, "v1", t0.Add(22*time.Second))
		if claim(id, "v2", t0.Add(20*time.Second)) {
			t.Fatal("a live claim of a node with a renewed lease was stolen")
		}
		if !claim(id, "v1", t0.Add(20*time.Second)) { // extends to t0+50s
			t.Fatal("the holder could not extend its claim")
		}
		// The lease ended less than LeaseSkew ago: another node's clock may be ahead.
		if claim(id, "v2", t0.Add(22*time.Second+persistence.LeaseSkew/2)) {
			t.Fatal("a claim was taken over within LeaseSkew of its holder's lease end")
		}
		if got := holder(id, "d-valid"); got != "v1" {
			t.Errorf("claimed by %q, want v1", got)
		}
	})

	t.Run("lapsed lease loses its claim at once", func(t *testing.T) {
		id := newRow("lapsed")
		renew(t, s, "l1", t0.Add(2*time.Second))
		if !claim(id, "l1", t0) { // claim_until t0+30s
			t.Fatal("first claim refused")
		}
		now := t0.Add(2*time.Second + persistence.LeaseSkew + time.Millisecond)
		if !claim(id, "l2", now) {
			t.Fatal("the claim of a node whose lease lapsed was not taken over")
		}
		if got := holder(id, "d-lapsed"); got != "l2" {
			t.Errorf("claimed by %q, want l2", got)
		}
		// The fenced node cannot record an outcome any more.
		res := persistence.OutboxResult{ID: id, Node: "l1", Status: messages.OutboxDelivered, Attempts: 1, DeliveredAt: Ms(now)}
		if must[bool](t)(s.FinishOutbox(ctx, res)) {
			t.Fatal("a node whose claim was taken over finished the row")
		}
		// l2 has no lease row: its claim holds until claim_until.
		if claim(id, "l3", now.Add(time.Second)) {
			t.Fatal("the new holder's live claim was stolen")
		}
	})

	t.Run("released lease loses its claim at once", func(t *testing.T) {
		id := newRow("released")
		renew(t, s, "r1", t0.Add(2*time.Second))
		if !claim(id, "r1", t0) {
			t.Fatal("first claim refused")
		}
		renew(t, s, "r1", t0) // graceful shutdown
		if !claim(id, "r2", t0.Add(persistence.LeaseSkew+time.Millisecond)) {
			t.Fatal("the claim of a node that released its lease was not taken over")
		}
	})

	t.Run("valid lease with an expired claim", func(t *testing.T) {
		id := newRow("expired")
		renew(t, s, "e1", t0.Add(time.Hour))
		if !claim(id, "e1", t0) {
			t.Fatal("first claim refused")
		}
		// A claim is extended while sending: one that expired was abandoned.
		if !claim(id, "e2", t0.Add(31*time.Second)) {
			t.Fatal("an expired claim could not be taken over")
		}
	})

	t.Run("concurrent takeover has one winner", func(t *testing.T) {
		id := newRow("race")
		renew(t, s, "dead", t0.Add(2*time.Second))
		if !claim(id, "dead", t0) {
			t.Fatal("first claim refused")
		}
		now := t0.Add(10 * time.Second) // dead's lease lapsed; its claim_until has not passed
		const contenders = 8
		var (
			wg   sync.WaitGroup
			wins atomic.Int32
		)
		for i := range contenders {
			node := fmt.Sprintf("c%d", i)
			renew(t, s, node, now.Add(time.Minute))
			wg.Go(func() {
				ok, err := s.ClaimOutbox(ctx, id, node, now, now.Add(30*time.Second))
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d nodes took over the claim, want 1", n)
		}
	})

	t.Run("no lease row: claim_until decides", func(t *testing.T) {
		id := newRow("nolease")
		if !claim(id, "s1", t0) {
			t.Fatal("first claim refused")
		}
		if claim(id, "s2", t0.Add(29*time.Second)) {
			t.Fatal("a live claim of a node without a lease row was stolen")
		}
		if !claim(id, "s2", t0.Add(31*time.Second)) {
			t.Fatal("an expired claim of a node without a lease row could not be taken over")
		}
	})
}

// testLeaseDueDestinations: rows claimed by a node whose lease lapsed are due at once.
func testLeaseDueDestinations(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	renew(t, s, "alive", t0.Add(2*time.Second))
	renew(t, s, "skewed", t0.Add(-persistence.LeaseSkew/2)) // ended, but within LeaseSkew
	renew(t, s, "dead", t0.Add(-persistence.LeaseSkew-time.Millisecond))
	claimed := func(dest, node string, until time.Time) messages.OutboxRow {
		r := outboxRow(u, c.ID, dest, "due-"+dest)
		r.ClaimedBy, r.ClaimUntil = node, Ms(until)
		return r
	}
	rows := []messages.OutboxRow{
		claimed("alive-live", "alive", t0.Add(time.Minute)),         // not due
		claimed("alive-expired", "alive", t0.Add(-time.Second)),     // due: claim expired
		claimed("skewed-live", "skewed", t0.Add(time.Minute)),       // not due: within the margin
		claimed("dead-live", "dead", t0.Add(time.Minute)),           // due: lease lapsed
		claimed("nolease-live", "nolease", t0.Add(time.Minute)),     // not due: claim_until decides
		claimed("nolease-expired", "nolease", t0.Add(-time.Second)), // due
	}
	deadLater := claimed("dead-later", "dead", t0.Add(time.Minute)) // lapsed, but not yet due
	deadLater.NextAttemptAt = Ms(t0.Add(time.Second))
	rows = append(rows, deadLater)
	if err := s.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	got := must[[]string](t)(s.DueDestinations(ctx, Ms(t0), 100))
	slices.Sort(got)
	diff(t, "due destinations", got, []string{"alive-expired", "dead-live", "nolease-expired"})
}
