package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The reads of the dashboard: the check list's filters and status order, and a page's
// recent pings and channels in one query each.

func listIDs(t *testing.T, s persistence.Store, userID int64, q persistence.ListQuery) []int64 {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	rows, err := s.ListChecks(ctxT(t), userID, q)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, len(rows))
	for i, c := range rows {
		out[i] = c.ID
	}
	return out
}

func testListChecksFilters(t *testing.T, s persistence.Store) {
	u := NewUser(t, s)
	NewCheck(t, s, NewUser(t, s).ID, func(c *messages.Check) { c.Name = "Backup other" })
	now := t0
	mk := func(name string, status messages.CheckStatus, due, deadline time.Duration, tags ...string) int64 {
		return NewCheck(t, s, u.ID, func(c *messages.Check) {
			c.Name, c.Status, c.Tags = name, status, tags
			if status == messages.StatusUp || status == messages.StatusDown {
				c.NextDue, c.NextDeadline = Ms(now.Add(due)), Ms(now.Add(deadline))
			}
		}).ID
	}
	backup := mk("Nightly BACKUP", messages.StatusUp, time.Hour, 2*time.Hour, "prod")
	late := mk("backup_late", messages.StatusUp, -time.Minute, time.Minute, "prod", "db")
	down := mk("disk 100% full", messages.StatusDown, -time.Hour, -time.Minute)
	fresh := mk("new one", messages.StatusNew, 0, 0, "db")
	paused := mk(`odd \ name`, messages.StatusPaused, 0, 0)
	for _, tc := range []struct {
		name string
		q    persistence.ListQuery
		want []int64
	}{
		{"search ignores ASCII case", persistence.ListQuery{Search: "backup"}, []int64{backup, late}},
		{"search is literal: %", persistence.ListQuery{Search: "100%"}, []int64{down}},
		{"search is literal: _", persistence.ListQuery{Search: "p_l"}, []int64{late}},
		{"search is literal: backslash", persistence.ListQuery{Search: `d \ n`}, []int64{paused}},
		{"search without match", persistence.ListQuery{Search: "zzz"}, []int64{}},
		{"status up includes late", persistence.ListQuery{Status: messages.StatusUp, Now: now}, []int64{backup, late}},
		{"status late", persistence.ListQuery{Status: persistence.StatusLate, Now: now}, []int64{late}},
		{"status down", persistence.ListQuery{Status: messages.StatusDown}, []int64{down}},
		{"status new", persistence.ListQuery{Status: messages.StatusNew}, []int64{fresh}},
		{"status paused", persistence.ListQuery{Status: messages.StatusPaused}, []int64{paused}},
		{"search, status and tags together", persistence.ListQuery{Search: "BACK", Status: messages.StatusUp, Now: now, Tags: []string{"db"}}, []int64{late}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := listIDs(t, s, u.ID, tc.q); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	_, err := s.ListChecks(ctxT(t), u.ID, persistence.ListQuery{Status: "sideways", Limit: 10})
	wantCode(t, err, messages.EInvalid)
}

// testListChecksStatusOrder: failing first — down, then up by next deadline (the late one
// before the others), then new, then paused; ties by id.
func testListChecksStatusOrder(t *testing.T, s persistence.Store) {
	u := NewUser(t, s)
	mk := func(status messages.CheckStatus, deadline time.Duration) int64 {
		return NewCheck(t, s, u.ID, func(c *messages.Check) {
			c.Status = status
			if deadline != 0 {
				c.NextDeadline = Ms(t0.Add(deadline))
			}
		}).ID
	}
	paused := mk(messages.StatusPaused, 0)
	upLater := mk(messages.StatusUp, time.Hour)
	fresh := mk(messages.StatusNew, 0)
	down2 := mk(messages.StatusDown, 0)
	upSoon := mk(messages.StatusUp, time.Minute)
	down1 := mk(messages.StatusDown, -time.Hour)
	want := []int64{down1, down2, upSoon, upLater, fresh, paused}
	if got := listIDs(t, s, u.ID, persistence.ListQuery{SortBy: "status"}); !slices.Equal(got, want) {
		t.Fatalf("status order %v, want %v", got, want)
	}
	slices.Reverse(want)
	if got := listIDs(t, s, u.ID, persistence.ListQuery{SortBy: "status", Desc: true}); !slices.Equal(got, want) {
		t.Fatalf("status order descending %v, want %v", got, want)
	}
}

func testRecentPings(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	other := NewUser(t, s)
	many := NewCheck(t, s, u.ID)
	few := NewCheck(t, s, u.ID)
	none := NewCheck(t, s, u.ID)
	foreign := NewCheck(t, s, other.ID)
	ping := func(c messages.Check, n int) messages.Check {
		for i := range n {
			w := upWrite(c, t0.Add(time.Duration(i)*time.Second))
			wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
			c = applied(c, w)
		}
		return c
	}
	many = ping(many, 25)
	few = ping(few, 3)
	foreign = ping(foreign, 2)
	got, err := s.RecentPings(ctx, u.ID, []int64{none.ID, few.ID, many.ID, foreign.ID}, 20)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range got {
		keys = append(keys, fmt.Sprintf("%d/%d", p.CheckID, p.N))
		if p.Kind != messages.KindSuccess || p.At.IsZero() || p.ExitStatus != -1 || p.Reason != "" {
			t.Errorf("ping %d/%d: %+v", p.CheckID, p.N, p)
		}
	}
	var want []string
	for _, c := range slices.Sorted(slices.Values([]int64{many.ID, few.ID})) {
		top := map[int64]int{many.ID: 25, few.ID: 3}[c]
		for n := top; n > max(top-20, 0); n-- {
			want = append(want, fmt.Sprintf("%d/%d", c, n))
		}
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("recent pings\n got %v\nwant %v", keys, want)
	}
	if got, err := s.RecentPings(ctx, u.ID, nil, 20); err != nil || len(got) != 0 {
		t.Fatalf("no ids: %v %v", got, err)
	}
	_, err = s.RecentPings(ctx, u.ID, []int64{many.ID}, 0)
	wantCode(t, err, messages.EInvalid)
}

func testPageChannels(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	other := NewUser(t, s)
	a, b, bare := NewCheck(t, s, u.ID), NewCheck(t, s, u.ID), NewCheck(t, s, u.ID)
	foreign := NewCheck(t, s, other.ID)
	var want []messages.Channel
	for _, c := range []messages.Check{a, b, foreign} {
		w := upWrite(c, t0)
		w.Channel = &messages.Channel{CheckID: c.ID, UserID: c.UserID, Name: messages.ChannelWebhook, Enabled: true, ConfigEnc: []byte{1}}
		wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
		if c.UserID == u.ID {
			want = append(want, *w.Channel)
		}
	}
	got, err := s.PageChannels(ctx, u.ID, []int64{a.ID, b.ID, bare.ID, foreign.ID})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(x, y messages.Channel) int { return int(x.CheckID - y.CheckID) })
	diff(t, "page channels", got, want)
}

// testChangeStamp: the dashboard's validator changes with every kind of change the dashboard
// shows (a check created, pinged, edited, deleted, a channel set, a delivery outcome, a check
// turning late or overdue with time alone) and stays equal while nothing changed, whatever
// other users do.
func testChangeStamp(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	other := NewUser(t, s)
	stamp := func(now time.Time) persistence.ChangeStamp {
		t.Helper()
		st, err := s.ChangeStamp(ctx, u.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if got := stamp(t0); got != (persistence.ChangeStamp{}) {
		t.Fatalf("no checks: %+v, want the zero stamp", got)
	}
	last := stamp(t0)
	// changed asserts that what happened since the last call changed the stamp at now, and
	// that reading it again (nothing changed) gives the same stamp.
	changed := func(what string, now time.Time) {
		t.Helper()
		got := stamp(now)
		if got == last {
			t.Errorf("%s: the stamp did not change (%+v)", what, got)
		}
		if again := stamp(now); again != got {
			t.Errorf("%s: read twice, %+v then %+v", what, got, again)
		}
		last = got
	}
	unchanged := func(what string, now time.Time) {
		t.Helper()
		if got := stamp(now); got != last {
			t.Errorf("%s: the stamp changed from %+v to %+v", what, last, got)
		}
	}

	c := NewCheck(t, s, u.ID)
	changed("a check created", t0)
	foreign := NewCheck(t, s, other.ID)
	fw := upWrite(foreign, t0)
	fw.Channel = &messages.Channel{CheckID: foreign.ID, UserID: other.ID, Name: messages.ChannelWebhook, Enabled: true, ConfigEnc: []byte{1}}
	wantKinds(t, commit(t, s, fw), persistence.OutcomeCommitted)
	unchanged("another user's check created and pinged", t0)

	w := upWrite(c, t0) // due at t0+1h, deadline at t0+2h
	wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
	c = applied(c, w)
	changed("a ping", t0)

	cfg := c.CheckConfig
	cfg.Tags = []string{"prod"}
	edit := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState, Config: &cfg, ConfigVersion: c.ConfigVersion + 1}
	wantKinds(t, commit(t, s, edit), persistence.OutcomeCommitted)
	c = applied(c, edit)
	changed("an edit of the tags", t0)

	cw := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState,
		Channel: &messages.Channel{CheckID: c.ID, UserID: u.ID, Name: messages.ChannelWebhook, Enabled: true, ConfigEnc: []byte{1}}}
	wantKinds(t, commit(t, s, cw), persistence.OutcomeCommitted)
	c = applied(c, cw)
	changed("a webhook set", t0)

	// Delivery outcomes are written without the check row.
	deliver := func(key string, status messages.DeliveryStatus, msg string, at time.Time) {
		t.Helper()
		rows := []messages.OutboxRow{outboxRow(u, c.ID, "hook", key)}
		if err := s.InsertOutbox(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if !must[bool](t)(s.ClaimOutbox(ctx, rows[0].ID, "n1", at, at.Add(time.Minute))) {
			t.Fatal("claim refused")
		}
		res := persistence.OutboxResult{ID: rows[0].ID, Node: "n1", Status: messages.OutboxDelivered, Attempts: 1,
			ChannelStatus: status, ChannelMessage: msg, At: Ms(at)}
		if !must[bool](t)(s.FinishOutbox(ctx, res)) {
			t.Fatal("finish refused")
		}
	}
	unchanged("an alert queued", t0)
	deliver("k1", messages.DeliveryOK, "", t0.Add(time.Second))
	changed("a delivery outcome", t0)
	deliver("k2", messages.DeliveryOK, "", t0.Add(2*time.Second))
	changed("a second delivery with the same status", t0)
	deliver("k3", messages.DeliveryError, "HTTP 500", t0.Add(3*time.Second))
	changed("a failed delivery", t0)

	// Time alone: the check turns late after next_due and overdue after next_deadline.
	unchanged("before it is due", t0.Add(time.Hour))
	changed("late after next_due", t0.Add(time.Hour+time.Millisecond))
	unchanged("still late", t0.Add(90*time.Minute))
	changed("at next_deadline", t0.Add(2*time.Hour))
	changed("past next_deadline", t0.Add(2*time.Hour+time.Millisecond))
	unchanged("long past next_deadline", t0.Add(5*time.Hour))
	now := t0.Add(5 * time.Hour)

	// Pause: a paused check is never late, whatever its deadlines.
	paused := c.CheckState
	paused.Status = messages.StatusPaused
	pw := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: paused}
	wantKinds(t, commit(t, s, pw), persistence.OutcomeCommitted)
	c = applied(c, pw)
	changed("paused", now)
	unchanged("paused, later", now.Add(time.Hour))

	// One check deleted and another created between two reads: as many checks as before.
	wantKinds(t, commit(t, s, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, Delete: true}), persistence.OutcomeCommitted)
	NewCheck(t, s, u.ID)
	changed("a check deleted and another created", now)
	if last.Checks != 1 || last.Channels != 0 {
		t.Fatalf("after the swap: %+v, want one check and no channel", last)
	}
}
