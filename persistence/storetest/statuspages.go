package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// testStatusPages: a page round-trips with its checks in order; slugs are unique per user;
// another user's page, or a page naming another user's check, is not found; updates honour
// the version; the public lookup carries the owner's settings; a deleted check leaves the
// page.
func testStatusPages(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	other := NewUser(t, s)
	c1 := NewCheck(t, s, u.ID, func(c *messages.Check) { c.Name = "one" })
	c2 := NewCheck(t, s, u.ID, func(c *messages.Check) { c.Name = "two" })
	c3 := NewCheck(t, s, u.ID, func(c *messages.Check) { c.Name = "three" })
	foreign := NewCheck(t, s, other.ID)

	p := messages.StatusPage{UserID: u.ID, Slug: "prod", Name: "Production", Description: "d", Layout: messages.LayoutGrid,
		ShowActivity: true, CheckIDs: []int64{c3.ID, c1.ID}, CreatedAt: Ms(t0), UpdatedAt: Ms(t0)}
	if err := s.CreateStatusPage(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.Version != 1 {
		t.Fatalf("created page: id %d version %d", p.ID, p.Version)
	}
	got, err := s.GetStatusPage(ctx, u.ID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "page round trip", got, p)
	if _, err := s.GetStatusPage(ctx, other.ID, p.ID); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("another user's page: %v", err)
	}

	dup := p
	dup.ID, dup.CheckIDs = 0, nil
	wantCode(t, s.CreateStatusPage(ctx, &dup), messages.EConflict)
	theirs := p
	theirs.ID, theirs.UserID, theirs.CheckIDs = 0, other.ID, nil
	if err := s.CreateStatusPage(ctx, &theirs); err != nil {
		t.Errorf("another user may use the same page slug: %v", err)
	}
	bad := p
	bad.ID, bad.Slug, bad.CheckIDs = 0, "bad", []int64{c1.ID, foreign.ID}
	wantCode(t, s.CreateStatusPage(ctx, &bad), messages.ENotFound)
	if n := must[int64](t)(s.CountStatusPages(ctx, u.ID)); n != 1 {
		t.Errorf("CountStatusPages = %d, want 1 (a refused page is not written)", n)
	}

	// Update: the version must match; checks are replaced in their new order.
	up := p
	up.Name, up.Layout, up.CheckIDs, up.UpdatedAt = "Prod", messages.LayoutTimeline, []int64{c2.ID, c3.ID, c1.ID}, Ms(t0.Add(time.Minute))
	wantCode(t, s.UpdateStatusPage(ctx, &up, 7), messages.EPrecondition)
	if err := s.UpdateStatusPage(ctx, &up, 1); err != nil {
		t.Fatal(err)
	}
	if up.Version != 2 {
		t.Errorf("version after update = %d", up.Version)
	}
	diff(t, "updated page", must[messages.StatusPage](t)(s.GetStatusPage(ctx, u.ID, p.ID)), up)
	stolen := up
	stolen.UserID = other.ID
	wantCode(t, s.UpdateStatusPage(ctx, &stolen, 0), messages.ENotFound)
	withForeign := up
	withForeign.CheckIDs = []int64{foreign.ID}
	wantCode(t, s.UpdateStatusPage(ctx, &withForeign, 0), messages.ENotFound)

	list := must[[]messages.StatusPage](t)(s.ListStatusPages(ctx, u.ID, 10))
	if len(list) != 1 || list[0].ID != p.ID || len(list[0].CheckIDs) != 3 {
		t.Errorf("ListStatusPages = %+v", list)
	}

	// The public lookup.
	pub, err := s.StatusPageBySlug(ctx, u.Slug, "prod")
	if err != nil || pub.Page.ID != p.ID || pub.UserSlug != u.Slug || !pub.SlugPings || pub.TZ != "" {
		t.Fatalf("StatusPageBySlug = %+v, %v", pub, err)
	}
	for _, k := range [][2]string{{u.Slug, "nope"}, {"nobody", "prod"}, {other.Slug + "x", "prod"}} {
		if _, err := s.StatusPageBySlug(ctx, k[0], k[1]); messages.CodeOf(err) != messages.ENotFound {
			t.Errorf("StatusPageBySlug(%q, %q): %v", k[0], k[1], err)
		}
	}
	cs := must[[]messages.Check](t)(s.PageChecks(ctx, u.ID, p.ID))
	if len(cs) != 3 || cs[0].ID != c2.ID || cs[1].ID != c3.ID || cs[2].ID != c1.ID {
		t.Fatalf("PageChecks order: %v", checkIDs(cs))
	}
	if cs, _ := s.PageChecks(ctx, other.ID, p.ID); len(cs) != 0 {
		t.Errorf("PageChecks of another user's page: %v", checkIDs(cs))
	}

	// A deleted check leaves every page.
	del := persistence.Write{CheckID: c3.ID, ExpectVersion: c3.Version, Delete: true}
	wantKinds(t, commit(t, s, del), persistence.OutcomeCommitted)
	if got := must[messages.StatusPage](t)(s.GetStatusPage(ctx, u.ID, p.ID)); fmt.Sprint(got.CheckIDs) != fmt.Sprint([]int64{c2.ID, c1.ID}) {
		t.Errorf("after deleting a check, the page's checks are %v", got.CheckIDs)
	}

	wantCode(t, s.DeleteStatusPage(ctx, other.ID, p.ID), messages.ENotFound)
	if err := s.DeleteStatusPage(ctx, u.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteStatusPage(ctx, u.ID, p.ID), messages.ENotFound)
	if _, err := s.StatusPageBySlug(ctx, u.Slug, "prod"); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("a deleted page is still public: %v", err)
	}
}

func checkIDs(cs []messages.Check) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// testUptimeMarks: each committed flip writes a mark with the check's cumulative up and
// tracked time (paused and new time not tracked); UptimeMarks answers the newest mark at or
// before each instant, for the user's checks only, in one call; a deleted check's marks go.
func testUptimeMarks(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	other := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	quiet := NewCheck(t, s, u.ID) // never flips
	cur := c
	// new →(0) up →(+10m) down →(+5m) up →(+20m) paused →(+30m) up; two of them in one batch.
	steps := []struct {
		after    time.Duration
		from, to messages.CheckStatus
	}{
		{0, messages.StatusNew, messages.StatusUp},
		{10 * time.Minute, messages.StatusUp, messages.StatusDown},
		{5 * time.Minute, messages.StatusDown, messages.StatusUp},
		{20 * time.Minute, messages.StatusUp, messages.StatusPaused},
		{30 * time.Minute, messages.StatusPaused, messages.StatusUp},
	}
	at := t0.Truncate(time.Second)
	var batch []persistence.Write
	for i, st := range steps {
		at = at.Add(st.after)
		w := persistence.Write{CheckID: c.ID, ExpectVersion: cur.Version, State: cur.CheckState,
			Flip: &messages.Flip{ID: fmt.Sprintf("%d.%d", c.ID, i+1), CheckID: c.ID, At: at, From: st.from, To: st.to}}
		w.State.Status, w.State.FlipSeq = st.to, int64(i+1)
		cur = applied(cur, w)
		batch = append(batch, w)
		if i == 2 || i == len(steps)-1 { // flips 2 and 3 of the check in one commit
			wantKinds(t, commit(t, s, batch...), repeat(persistence.OutcomeCommitted, len(batch))...)
			batch = nil
		}
	}
	base := t0.Truncate(time.Second)
	ask := []time.Time{base.Add(-time.Minute), base, base.Add(12 * time.Minute), base.Add(40 * time.Minute), base.Add(2 * time.Hour)}
	marks := must[[]persistence.UptimeMark](t)(s.UptimeMarks(ctx, u.ID, []int64{c.ID, quiet.ID}, ask))
	type key struct {
		id int64
		t  time.Time
	}
	byKey := map[key]persistence.UptimeMark{}
	for _, m := range marks {
		byKey[key{m.CheckID, m.T}] = m
	}
	if len(marks) != 4 {
		t.Errorf("%d marks, want 4 (none before the first flip, none for a check that never flipped): %+v", len(marks), marks)
	}
	want := []struct {
		t           time.Time
		at          time.Time
		status      messages.CheckStatus
		up, tracked time.Duration
	}{
		{base, base, messages.StatusUp, 0, 0},
		{base.Add(12 * time.Minute), base.Add(10 * time.Minute), messages.StatusDown, 10 * time.Minute, 10 * time.Minute},
		{base.Add(40 * time.Minute), base.Add(35 * time.Minute), messages.StatusPaused, 30 * time.Minute, 35 * time.Minute},
		{base.Add(2 * time.Hour), base.Add(65 * time.Minute), messages.StatusUp, 30 * time.Minute, 35 * time.Minute},
	}
	for _, w := range want {
		m, ok := byKey[key{c.ID, w.t}]
		if !ok || !m.At.Equal(w.at) || m.Status != w.status || m.Up != w.up || m.Tracked != w.tracked {
			t.Errorf("mark at %v: %+v (found %v), want at %v %s up %v tracked %v", w.t, m, ok, w.at, w.status, w.up, w.tracked)
		}
	}
	if ms, _ := s.UptimeMarks(ctx, other.ID, []int64{c.ID}, ask); len(ms) != 0 {
		t.Errorf("another user reads the marks: %+v", ms)
	}

	del := persistence.Write{CheckID: c.ID, ExpectVersion: cur.Version, Delete: true}
	wantKinds(t, commit(t, s, del), persistence.OutcomeCommitted)
	c2 := NewCheck(t, s, u.ID)
	if ms, _ := s.UptimeMarks(ctx, u.ID, []int64{c.ID, c2.ID}, ask); len(ms) != 0 {
		t.Errorf("a deleted check's marks remain: %+v", ms)
	}
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// testRecentPingAddresses: RecentPings gives each ping's remote address (a status page
// looks up its country), for the user's checks only.
func testRecentPingAddresses(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	other := NewUser(t, s)
	a := NewCheck(t, s, u.ID)
	b := NewCheck(t, s, u.ID)
	for i, c := range []messages.Check{a, b} {
		cur := c
		for k := range 4 + i {
			w := upWrite(cur, t0.Add(time.Duration(k)*time.Minute))
			w.Ping.RemoteIP = fmt.Sprintf("192.0.2.%d", k+1)
			wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
			cur = applied(cur, w)
		}
	}
	got := must[[]messages.PingRecord](t)(s.RecentPings(ctx, u.ID, []int64{a.ID, b.ID}, 3))
	if len(got) != 6 {
		t.Fatalf("%d pings, want 6: %+v", len(got), got)
	}
	if got[0].CheckID != a.ID || got[0].RemoteIP != "192.0.2.4" || !got[0].At.Equal(Ms(t0.Add(3*time.Minute))) ||
		got[0].Kind != messages.KindSuccess || got[2].RemoteIP != "192.0.2.2" || got[3].CheckID != b.ID || got[3].RemoteIP != "192.0.2.5" {
		t.Errorf("RecentPings = %+v", got)
	}
	if ps, _ := s.RecentPings(ctx, other.ID, []int64{a.ID}, 3); len(ps) != 0 {
		t.Errorf("another user reads the pings: %+v", ps)
	}
}
