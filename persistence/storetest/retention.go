package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// --- retention (docs/operations.md, "Retention") --------------------------------------------

// pingNs returns the n of every ping the check holds, newest first.
func pingNs(t *testing.T, s persistence.Store, c messages.Check) []int64 {
	t.Helper()
	var ns []int64
	for _, p := range must[[]messages.PingRecord](t)(s.ListPings(ctxT(t), c.UserID, c.ID, 1000)) {
		ns = append(ns, p.N)
	}
	return ns
}

// span returns [hi, hi-1, …, lo].
func span(hi, lo int64) []int64 {
	var out []int64
	for n := hi; n >= lo; n-- {
		out = append(out, n)
	}
	return out
}

// pingN commits n pings to c (no pruning in the commit) and returns c after them.
func pingN(t *testing.T, s persistence.Store, c messages.Check, n int) messages.Check {
	t.Helper()
	for i := range n {
		w := upWrite(c, t0.Add(time.Duration(c.NPings+int64(i))*time.Second))
		wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
		c = applied(c, w)
	}
	return c
}

// prunePass runs PrunePings from the first check to the last and returns how many rows it
// deleted and how many calls it took.
func prunePass(t *testing.T, s persistence.Store, keep int64, scan, limit int) (int64, int) {
	t.Helper()
	var total int64
	after, calls := int64(0), 0
	for {
		st, err := s.PrunePings(ctxT(t), keep, after, scan, limit)
		if err != nil {
			t.Fatalf("prune pings after %d: %v", after, err)
		}
		total, calls = total+st.Deleted, calls+1
		if st.Deleted > int64(limit) {
			t.Fatalf("one call deleted %d rows, limit %d", st.Deleted, limit)
		}
		if st.Done {
			return total, calls
		}
		if calls > 1000 {
			t.Fatal("the pass does not end")
		}
		after = st.Next
	}
}

// testPrunePings: one pass leaves every check exactly its newest keep pings, whatever the
// page and row limits cut it into; checks with fewer keep all of theirs; a second pass
// deletes nothing.
func testPrunePings(t *testing.T, s persistence.Store) {
	u := NewUser(t, s)
	const keep = 10
	var checks []messages.Check
	for _, n := range []int{25, 3, 0, 10, 11, 40} {
		c := NewCheck(t, s, u.ID)
		checks = append(checks, pingN(t, s, c, n))
	}
	// Limits smaller than one check's excess: a check cut short is walked again.
	total, calls := prunePass(t, s, keep, 2, 7)
	if want := int64(15 + 1 + 30); total != want {
		t.Errorf("pass deleted %d pings, want %d", total, want)
	}
	if calls < 7 {
		t.Errorf("pass took %d calls: a limit of 7 rows cannot delete 46 in fewer than 7", calls)
	}
	for _, c := range checks {
		want := span(c.NPings, max(1, c.NPings-keep+1))
		if c.NPings == 0 {
			want = nil
		}
		diff(t, fmt.Sprintf("check with %d pings", c.NPings), pingNs(t, s, c), want)
	}
	if again, _ := prunePass(t, s, keep, 100, 1000); again != 0 {
		t.Errorf("a second pass deleted %d pings", again)
	}
	// Pings go on after the pass: the log grows from its newest n, the next pass trims it.
	c := pingN(t, s, checks[0], 5)
	diff(t, "after 5 more pings", pingNs(t, s, c), span(30, 16))
	prunePass(t, s, keep, 100, 1000)
	diff(t, "after the next pass", pingNs(t, s, c), span(30, 21))

	for _, bad := range [][3]int{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}} {
		_, err := s.PrunePings(ctxT(t), int64(bad[0]), 0, bad[1], bad[2])
		wantCode(t, err, messages.EInvalid)
	}
}

// testPingLogStart: the start of a check's log moves up as it is pruned; another user's
// check is not found.
func testPingLogStart(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u, other := NewUser(t, s), NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	if n := must[int64](t)(s.PingLogStart(ctx, u.ID, c.ID)); n != 0 {
		t.Errorf("empty log starts at %d, want 0", n)
	}
	c = pingN(t, s, c, 12)
	if n := must[int64](t)(s.PingLogStart(ctx, u.ID, c.ID)); n != 1 {
		t.Errorf("unpruned log starts at %d, want 1", n)
	}
	prunePass(t, s, 5, 10, 100)
	if n := must[int64](t)(s.PingLogStart(ctx, u.ID, c.ID)); n != 8 {
		t.Errorf("pruned to 5 of 12: log starts at %d, want 8", n)
	}
	_, err := s.PingLogStart(ctx, other.ID, c.ID)
	wantCode(t, err, messages.ENotFound)
	_, err = s.PingLogStart(ctx, u.ID, c.ID+1000)
	wantCode(t, err, messages.ENotFound)
}

// testPruneFlips: flips recorded before the cut go, in batches of the limit; newer ones stay.
func testPruneFlips(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	cut := Ms(t0)
	var keptIDs []string
	for _, ch := range []int{0, 1} {
		c := NewCheck(t, s, u.ID)
		cur := c
		// Five old flips and three new ones each, alternating, so neither order of id nor of
		// check matches the order of time.
		for seq := 1; seq <= 8; seq++ {
			at := cut.Add(-time.Duration(400-seq) * 24 * time.Hour)
			if seq%2 == 0 && seq > 2 {
				at = cut.Add(time.Duration(seq+ch) * time.Minute)
			}
			if seq == 8 {
				at = cut // exactly at the cut: kept
			}
			f := messages.Flip{ID: fmt.Sprintf("%d.%d", c.ID, seq), CheckID: c.ID, At: at, From: "up", To: "down"}
			w := persistence.Write{CheckID: c.ID, ExpectVersion: cur.Version, State: cur.CheckState, Flip: &f}
			w.State.FlipSeq = int64(seq)
			wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
			cur = applied(cur, w)
			if !at.Before(cut) {
				keptIDs = append(keptIDs, f.ID)
			}
		}
	}
	var total int64
	for range 10 {
		n := must[int64](t)(s.PruneFlips(ctx, cut, 3))
		if n > 3 {
			t.Fatalf("one call deleted %d flips, limit 3", n)
		}
		total += n
		if n == 0 {
			break
		}
	}
	if total != 10 {
		t.Errorf("deleted %d flips, want the 10 older than the cut", total)
	}
	var got []string
	checks := must[[]messages.Check](t)(s.ListChecks(ctx, u.ID, persistence.ListQuery{Limit: 10}))
	for _, c := range checks {
		for _, f := range must[[]messages.Flip](t)(s.ListFlips(ctx, u.ID, c.ID, 100)) {
			if f.At.Before(cut) {
				t.Errorf("flip %s at %v is older than the cut and was kept", f.ID, f.At)
			}
			got = append(got, f.ID)
		}
	}
	if len(got) != len(keptIDs) {
		t.Errorf("kept flips %v, want %v", got, keptIDs)
	}
	oldest := must[map[string]time.Time](t)(s.OldestRows(ctx))
	if at, ok := oldest[persistence.TableFlips]; !ok || at.Before(cut) {
		t.Errorf("oldest flip after the prune: %v (%v), want at or after %v", at, ok, cut)
	}
}

// testPruneOutbox: finished rows created before the cut go; a pending row never does, however
// old; newer finished rows stay.
func testPruneOutbox(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	cut := Ms(t0)
	old := cut.Add(-31 * 24 * time.Hour)
	type row struct {
		key     string
		created time.Time
		status  messages.OutboxStatus
		kept    bool
	}
	rows := []row{
		{"old-delivered", old, messages.OutboxDelivered, false},
		{"old-failed", old, messages.OutboxFailed, false},
		{"old-pending", old.Add(-365 * 24 * time.Hour), messages.OutboxPending, true},
		{"old-retrying", old, messages.OutboxPending, true}, // attempted, waiting for its retry
		{"new-delivered", cut, messages.OutboxDelivered, true},
		{"new-failed", cut.Add(time.Hour), messages.OutboxFailed, true},
	}
	for i, r := range rows {
		ins := []messages.OutboxRow{outboxRow(u, c.ID, fmt.Sprintf("d%d", i), r.key)}
		ins[0].CreatedAt = r.created
		if err := s.InsertOutbox(ctx, ins); err != nil {
			t.Fatal(err)
		}
		o := ins[0]
		if r.key == "old-retrying" {
			if !must[bool](t)(s.ClaimOutbox(ctx, o.ID, "n1", cut, cut.Add(time.Minute))) {
				t.Fatal("claim")
			}
			finishOutbox(t, s, o.ID, "n1", messages.OutboxPending, cut)
		}
		if r.status != messages.OutboxPending {
			if !must[bool](t)(s.ClaimOutbox(ctx, o.ID, "n1", cut, cut.Add(time.Minute))) {
				t.Fatal("claim")
			}
			finishOutbox(t, s, o.ID, "n1", r.status, cut)
		}
	}
	oldest := must[map[string]time.Time](t)(s.OldestRows(ctx))
	if at := oldest[persistence.TableOutbox]; !at.Equal(old) {
		t.Errorf("oldest finished outbox row before the prune: %v, want %v (pending rows do not count)", at, old)
	}
	var total int64
	for range 5 {
		n := must[int64](t)(s.PruneOutbox(ctx, cut, 1))
		if n > 1 {
			t.Fatalf("one call deleted %d rows, limit 1", n)
		}
		total += n
		if n == 0 {
			break
		}
	}
	if total != 2 {
		t.Errorf("deleted %d outbox rows, want 2", total)
	}
	var got []string
	for _, d := range must[[]messages.OutboxRow](t)(s.ListDeliveries(ctx, u.ID, c.ID, 100)) {
		got = append(got, d.IdempotencyKey)
	}
	diff(t, "kept outbox rows (newest first)", got, []string{"new-failed", "new-delivered", "old-retrying", "old-pending"})
	if n := must[int](t)(s.CountPendingOutbox(ctx, "d2")); n != 1 {
		t.Errorf("the old pending row: %d pending for its destination, want 1", n)
	}
	oldest = must[map[string]time.Time](t)(s.OldestRows(ctx))
	if at := oldest[persistence.TableOutbox]; !at.Equal(cut) {
		t.Errorf("oldest finished outbox row after the prune: %v, want %v", at, cut)
	}
}

// finishOutbox records a send's outcome by node.
func finishOutbox(t *testing.T, s persistence.Store, id int64, node string, status messages.OutboxStatus, at time.Time) {
	t.Helper()
	r := persistence.OutboxResult{ID: id, Node: node, Status: status, Attempts: 1, At: at}
	switch status {
	case messages.OutboxPending:
		r.NextAttemptAt, r.LastError = at.Add(time.Minute), "timeout"
	case messages.OutboxDelivered:
		r.DeliveredAt = at
	default:
		r.LastError = "410 gone"
	}
	if !must[bool](t)(s.FinishOutbox(ctxT(t), r)) {
		t.Fatalf("finish outbox row %d: not held by %s", id, node)
	}
}

// testOldestRows: an empty store has no oldest rows; each table reports its oldest row.
func testOldestRows(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	if got := must[map[string]time.Time](t)(s.OldestRows(ctx)); len(got) != 0 {
		t.Errorf("empty store: %v", got)
	}
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	c = pingN(t, s, c, 3)
	e := messages.AuditEvent{UserID: u.ID, At: Ms(t0.Add(-time.Hour)), Event: "auth", Outcome: "failure", Reason: "unknown"}
	if err := s.InsertAudit(ctx, &e); err != nil {
		t.Fatal(err)
	}
	got := must[map[string]time.Time](t)(s.OldestRows(ctx))
	if at := got[persistence.TablePings]; !at.Equal(Ms(t0)) {
		t.Errorf("oldest ping %v, want %v", at, Ms(t0))
	}
	if at := got[persistence.TableActivity]; !at.Equal(e.At) {
		t.Errorf("oldest activity %v, want %v", at, e.At)
	}
	if _, ok := got[persistence.TableFlips]; ok {
		t.Errorf("a store without flips reports an oldest flip: %v", got)
	}
}
