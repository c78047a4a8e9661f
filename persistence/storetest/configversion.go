package storetest

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/persistence"
)

// testConfigVersion: a new check's config_version is 1; a write with a configuration sets
// it, a ping's state-only write and an outage's deadline extension leave it alone (the ETag
// of a check does not go stale because it was pinged).
func testConfigVersion(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	if c.ConfigVersion != 1 {
		t.Fatalf("CreateCheck set config version %d, want 1", c.ConfigVersion)
	}
	if got := get(t, s, c).ConfigVersion; got != 1 {
		t.Fatalf("a new check reads back config version %d, want 1", got)
	}

	ping := upWrite(c, t0)
	wantKinds(t, commit(t, s, ping), persistence.OutcomeCommitted)
	c = applied(c, ping)
	if got := get(t, s, c); got.ConfigVersion != 1 || got.Version != 2 {
		t.Fatalf("after a ping: config version %d, version %d; want 1 and 2", got.ConfigVersion, got.Version)
	}

	cfg := c.CheckConfig
	cfg.Name = "edited"
	edit := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState, Config: &cfg, ConfigVersion: 2}
	wantKinds(t, commit(t, s, edit), persistence.OutcomeCommitted)
	c = applied(c, edit)
	diff(t, "after an edit", get(t, s, c), c)
	if c.ConfigVersion != 2 {
		t.Fatalf("config version %d after an edit, want 2", c.ConfigVersion)
	}

	if _, err := s.ExtendDeadlines(ctx, t0, t0.Add(4*time.Hour), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, c).ConfigVersion; got != 2 {
		t.Errorf("after extending deadlines: config version %d, want 2", got)
	}
	lc, _, _, err := s.LoadCheck(ctx, c.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if lc.ConfigVersion != 2 {
		t.Errorf("LoadCheck: config version %d, want 2", lc.ConfigVersion)
	}
	list, err := s.ListChecks(ctx, u.ID, persistence.ListQuery{SortBy: "id", Limit: 10})
	if err != nil || len(list) != 1 || list[0].ConfigVersion != 2 {
		t.Errorf("ListChecks: %v, %v; want one check with config version 2", list, err)
	}
}
