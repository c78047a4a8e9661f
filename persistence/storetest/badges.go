package storetest

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// testBadges: a check is found by its badge id until a configuration write disables or
// rotates it; a user's tag badge answers the states of the user's checks with the tag, by
// the user's current badge key only.
func testBadges(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	other := NewUser(t, s)
	id1 := "b1_" + RandomHex(16)
	c := NewCheck(t, s, u.ID, func(c *messages.Check) { c.BadgeID = id1; c.Tags = []string{"prod", "db"}; c.Name = "backup" })
	NewCheck(t, s, u.ID, func(c *messages.Check) { c.Tags = []string{"prod"} })
	NewCheck(t, s, u.ID, func(c *messages.Check) { c.Tags = []string{"production"} })
	NewCheck(t, s, other.ID, func(c *messages.Check) { c.Tags = []string{"prod"} })

	got, err := s.CheckByBadgeID(ctx, id1)
	if err != nil || got.ID != c.ID || got.Name != "backup" || got.BadgeID != id1 {
		t.Fatalf("CheckByBadgeID = %d %q %q, %v; want check %d", got.ID, got.Name, got.BadgeID, err, c.ID)
	}
	for _, unknown := range []string{"", "nope", id1 + "x"} {
		if _, err := s.CheckByBadgeID(ctx, unknown); messages.CodeOf(err) != messages.ENotFound {
			t.Errorf("CheckByBadgeID(%q): %v, want not found", unknown, err)
		}
	}

	// A state write keeps the badge; a configuration write replaces it (rotation).
	ping := upWrite(c, t0)
	wantKinds(t, commit(t, s, ping), persistence.OutcomeCommitted)
	c = applied(c, ping)
	if got, err := s.CheckByBadgeID(ctx, id1); err != nil || got.Status != messages.StatusUp {
		t.Fatalf("after a ping: %v %v", got.Status, err)
	}
	id2 := "b2_" + RandomHex(16)
	cfg := c.CheckConfig
	cfg.BadgeID = id2
	rot := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState, Config: &cfg, ConfigVersion: 2}
	wantKinds(t, commit(t, s, rot), persistence.OutcomeCommitted)
	c = applied(c, rot)
	if _, err := s.CheckByBadgeID(ctx, id1); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("a rotated id still answers: %v", err)
	}
	if got, err := s.CheckByBadgeID(ctx, id2); err != nil || got.ID != c.ID {
		t.Errorf("the new id: %d, %v", got.ID, err)
	}
	cfg.BadgeID = ""
	off := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState, Config: &cfg, ConfigVersion: 3}
	wantKinds(t, commit(t, s, off), persistence.OutcomeCommitted)
	if _, err := s.CheckByBadgeID(ctx, id2); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("a disabled badge still answers: %v", err)
	}
	if got := get(t, s, c); got.BadgeID != "" {
		t.Errorf("a disabled badge reads back as %q", got.BadgeID)
	}

	// Tag badges.
	if key, err := s.UserBadgeKey(ctx, u.ID); err != nil || key != "" {
		t.Fatalf("a new user's badge key = %q, %v; want none", key, err)
	}
	if _, err := s.UserBadgeKey(ctx, 1<<40); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("UserBadgeKey of an unknown user: %v", err)
	}
	if err := s.SetUserBadgeKey(ctx, 1<<40, "k"); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("SetUserBadgeKey of an unknown user: %v", err)
	}
	k1, k2 := "k1_"+RandomHex(16), "k2_"+RandomHex(16)
	if err := s.SetUserBadgeKey(ctx, u.ID, k1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserBadgeKey(ctx, other.ID, k2); err != nil {
		t.Fatal(err)
	}
	if key, err := s.UserBadgeKey(ctx, u.ID); err != nil || key != k1 {
		t.Fatalf("badge key = %q, %v; want %q", key, err, k1)
	}
	tests := []struct {
		key, tag string
		want     int
	}{
		{k1, "prod", 2}, // not "production", not the other user's
		{k1, "db", 1},
		{k1, "production", 1},
		{k1, "pro", 0},
		{k1, "nope", 0},
		{k2, "prod", 1},
		{"", "prod", 0},
		{"unknown", "prod", 0},
	}
	for _, tt := range tests {
		sts, err := s.TagBadge(ctx, tt.key, tt.tag, 100)
		if err != nil || len(sts) != tt.want {
			t.Errorf("TagBadge(%q, %q) = %d states, %v; want %d", tt.key, tt.tag, len(sts), err, tt.want)
		}
	}
	sts, err := s.TagBadge(ctx, k1, "db", 100)
	if err != nil || len(sts) != 1 || sts[0].Status != messages.StatusUp || !sts[0].NextDeadline.Equal(c.NextDeadline) ||
		!sts[0].NextDue.Equal(c.NextDue) {
		t.Errorf("TagBadge state = %+v, %v; want up with due %v deadline %v", sts, err, c.NextDue, c.NextDeadline)
	}
	if sts, _ := s.TagBadge(ctx, k1, "prod", 1); len(sts) != 1 {
		t.Errorf("TagBadge with limit 1 returned %d", len(sts))
	}
	k3 := "k3_" + RandomHex(16)
	if err := s.SetUserBadgeKey(ctx, u.ID, k3); err != nil {
		t.Fatal(err)
	}
	if sts, err := s.TagBadge(ctx, k1, "prod", 100); err != nil || len(sts) != 0 {
		t.Errorf("a rotated key still answers: %d, %v", len(sts), err)
	}
	if sts, _ := s.TagBadge(ctx, k3, "prod", 100); len(sts) != 2 {
		t.Errorf("the new key answers %d states, want 2", len(sts))
	}
}

// testCheckActivity: the stats' averages count the user's own pings and alerts since a time
// (test sends excluded) and average the run durations of the checks that have one.
func testCheckActivity(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	other := NewUser(t, s)
	if a, err := s.CheckActivity(ctx, u.ID, t0); err != nil || a != (persistence.Activity{}) {
		t.Fatalf("no checks: %+v, %v", a, err)
	}
	c1 := NewCheck(t, s, u.ID)
	c2 := NewCheck(t, s, u.ID)
	NewCheck(t, s, u.ID) // no duration
	o := NewCheck(t, s, other.ID)

	old := upWrite(c1, t0.Add(-25*time.Hour))
	commit(t, s, old)
	c1 = applied(c1, old)
	w := upWrite(c1, t0)
	w.State.LastDuration = 2 * time.Second
	w.Outbox = []messages.OutboxRow{outboxRow(u, c1.ID, "d", "a1"), outboxRow(u, c1.ID, "d", "a2")}
	test := outboxRow(u, c1.ID, "d", "t1")
	test.Kind = messages.AlertTest
	w.Outbox = append(w.Outbox, test)
	commit(t, s, w)
	w2 := upWrite(c2, t0.Add(time.Minute))
	w2.State.LastDuration = 4 * time.Second
	commit(t, s, w2)
	wo := upWrite(o, t0)
	wo.State.LastDuration = time.Hour
	wo.Outbox = []messages.OutboxRow{outboxRow(other, o.ID, "d", "o1")}
	commit(t, s, wo)

	a, err := s.CheckActivity(ctx, u.ID, t0.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := persistence.Activity{DurationChecks: 2, AvgDuration: 3 * time.Second, Pings: 2, Alerts: 2}
	if a != want {
		t.Errorf("CheckActivity = %+v, want %+v", a, want)
	}
	if a, _ := s.CheckActivity(ctx, u.ID, t0.Add(time.Hour)); a.Pings != 0 || a.Alerts != 0 || a.DurationChecks != 2 {
		t.Errorf("since an hour later: %+v", a)
	}
}
