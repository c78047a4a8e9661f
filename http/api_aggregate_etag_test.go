package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// TestAggregateETagOnStore: on the real embedded store, the aggregate's ETag (decided before
// the answer, from the store's change stamp) changes with every kind of change the dashboard
// shows — and a poll with the ETag of an unchanged account gets 304. The writes are the ones
// check actors and notifiers commit.
func TestAggregateETagOnStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := sqlitetest.Open(t)
	var (
		mu    sync.Mutex
		now   = apiEpoch
		nodes = []ttrhttp.Node{{ID: "n1", State: "active", StoreOK: true}, {ID: "n2", State: "active", StoreOK: true}}
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	cfg := ttrhttp.DefaultConfig()
	cfg.PublicURL = "https://ttr.example"
	h := ttrhttp.NewServer(cfg, ttrhttp.Deps{Store: st, Checks: &apiChecks{store: newAPIStore()}, Ring: apiRing(t), Now: clock,
		Admin: &ttrhttp.AdminDeps{Nodes: func() []ttrhttp.Node { mu.Lock(); defer mu.Unlock(); return append([]ttrhttp.Node(nil), nodes...) }},
	}).Handler()
	do := func(method, path, key, inm string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, path, nil)
		if method == http.MethodPost {
			r = httptest.NewRequest(method, path, strings.NewReader("{}"))
			r.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			r.Header.Set("X-Auth-Key", key)
		}
		if inm != "" {
			r.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	newUser := func() (string, messages.User) {
		t.Helper()
		rec := do("POST", "/api/v1/users", "", "")
		if rec.Code != http.StatusCreated {
			t.Fatalf("create a user: %d %s", rec.Code, rec.Body)
		}
		var u apiUser
		apiJSON(t, rec, &u)
		su, err := st.UserBySlug(ctx, u.Slug)
		if err != nil {
			t.Fatal(err)
		}
		return u.Key, su
	}
	key, u := newUser()
	_, other := newUser()

	const poll = "/api/v1/checks/aggregate?size=25"
	etag := ""
	// changed: the poll with the last ETag gets a 200 with a new one, and polling with that
	// one gets 304 (the stamp was read before the answer, so the answer is not older).
	changed := func(what string) aggregateAnswer {
		t.Helper()
		rec := do("GET", poll, key, etag)
		next := rec.Header().Get("ETag")
		if rec.Code != http.StatusOK || next == "" || next == etag {
			t.Fatalf("%s: %d, ETag %q (was %q); want 200 and a new ETag", what, rec.Code, next, etag)
		}
		var a aggregateAnswer
		apiJSON(t, rec, &a)
		etag = next
		if rec := do("GET", poll, key, etag); rec.Code != http.StatusNotModified || rec.Header().Get("ETag") != etag || rec.Body.Len() != 0 {
			t.Fatalf("%s, polled again: %d, ETag %q, %d bytes; want 304 with the same ETag and no body", what, rec.Code, rec.Header().Get("ETag"), rec.Body.Len())
		}
		return a
	}
	unchanged := func(what string) {
		t.Helper()
		if rec := do("GET", poll, key, etag); rec.Code != http.StatusNotModified {
			t.Fatalf("%s: %d, want 304", what, rec.Code)
		}
	}
	commit := func(w persistence.Write) {
		t.Helper()
		out, err := st.Commit(ctx, []persistence.Write{w})
		if err != nil || out[0].Kind != persistence.OutcomeCommitted {
			t.Fatalf("commit: %v %+v", err, out)
		}
	}

	changed("the first poll")
	unchanged("nothing happened")

	c := storetest.NewCheck(t, st, u.ID, func(c *messages.Check) { c.Name = "backup" })
	if a := changed("a check created"); a.Stats.Total != 1 {
		t.Fatalf("stats %+v", a.Stats)
	}

	// A ping: status, last ping, the strip and the deadlines.
	ping := func(kind messages.PingLogKind) {
		t.Helper()
		s := c.CheckState
		s.Status, s.NPings, s.LastPing, s.LastPingKind = messages.StatusUp, s.NPings+1, clock(), kind
		s.NextDue, s.NextDeadline = clock().Add(time.Hour), clock().Add(2*time.Hour)
		s.NextWakeAt = s.NextDeadline
		commit(persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: s,
			Ping: &messages.PingRecord{CheckID: c.ID, N: s.NPings, At: clock(), Kind: kind, ExitStatus: -1, RequestID: string(kind) + "-" + time.Now().String()}})
		c.Version++
		c.CheckState = s
	}
	ping(messages.KindSuccess)
	if a := changed("a ping"); a.Checks.Items[0].Status != "up" || len(a.Checks.Items[0].RecentPings) != 1 {
		t.Fatalf("after a ping: %+v", a.Checks.Items[0])
	}
	ping(messages.KindLog)
	if a := changed("a log ping (only the strip shows it)"); len(a.Checks.Items[0].RecentPings) != 2 {
		t.Fatalf("strip: %+v", a.Checks.Items[0].RecentPings)
	}

	edit := func(f func(*messages.CheckConfig, *messages.CheckState)) {
		t.Helper()
		cfg, s := c.CheckConfig, c.CheckState
		f(&cfg, &s)
		commit(persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: s, Config: &cfg, ConfigVersion: c.ConfigVersion + 1})
		c.Version, c.ConfigVersion, c.CheckConfig, c.CheckState = c.Version+1, c.ConfigVersion+1, cfg, s
	}
	edit(func(cfg *messages.CheckConfig, _ *messages.CheckState) { cfg.Name = "nightly backup" })
	if a := changed("a rename"); a.Checks.Items[0].Name != "nightly backup" {
		t.Fatalf("name %q", a.Checks.Items[0].Name)
	}
	edit(func(cfg *messages.CheckConfig, _ *messages.CheckState) { cfg.Tags = []string{"prod"} })
	if a := changed("a tag"); len(a.Tags) != 1 {
		t.Fatalf("tags %+v", a.Tags)
	}

	commit(persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState,
		Channel: &messages.Channel{CheckID: c.ID, UserID: u.ID, Name: messages.ChannelWebhook, Enabled: true, ConfigEnc: []byte{1}}})
	c.Version++
	changed("a webhook set")

	// A delivery outcome is written by the notifier, not the check's actor.
	for i, status := range []messages.DeliveryStatus{messages.DeliveryOK, messages.DeliveryOK, messages.DeliveryError} {
		at := clock().Add(time.Duration(i+1) * time.Second)
		rows := []messages.OutboxRow{{UserID: u.ID, CheckID: c.ID, Kind: messages.AlertDown, Channel: messages.ChannelWebhook,
			DestHash: "d", Payload: []byte("{}"), IdempotencyKey: "k" + string(status) + at.String(), Status: messages.OutboxPending, CreatedAt: clock()}}
		if err := st.InsertOutbox(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if ok, err := st.ClaimOutbox(ctx, rows[0].ID, "n1", at, at.Add(time.Minute)); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if ok, err := st.FinishOutbox(ctx, persistence.OutboxResult{ID: rows[0].ID, Node: "n1", Status: messages.OutboxDelivered,
			Attempts: 1, ChannelStatus: status, At: at}); !ok || err != nil {
			t.Fatalf("finish: %v %v", ok, err)
		}
		changed("delivery " + string(status))
	}

	// Another user's changes do not matter; another page has an ETag of its own.
	oc := storetest.NewCheck(t, st, other.ID)
	commit(persistence.Write{CheckID: oc.ID, ExpectVersion: oc.Version, State: messages.CheckState{Status: messages.StatusPaused}})
	unchanged("another user's check created and paused")
	if rec := do("GET", "/api/v1/checks/aggregate?size=24", key, etag); rec.Code != http.StatusOK {
		t.Fatalf("another page size with this page's ETag: %d, want 200", rec.Code)
	}

	// Time alone: late after next_due, overdue (not late) after next_deadline.
	set := func(d time.Duration) { mu.Lock(); now = apiEpoch.Add(d); mu.Unlock() }
	set(30 * time.Minute)
	unchanged("half an hour on: not due yet")
	set(time.Hour + time.Second)
	if a := changed("past next_due"); a.Stats.Late != 1 {
		t.Fatalf("stats %+v", a.Stats)
	}
	set(90 * time.Minute)
	unchanged("still late")
	set(2*time.Hour + time.Second)
	if a := changed("past next_deadline"); a.Stats.Late != 0 {
		t.Fatalf("stats %+v", a.Stats)
	}

	// The flip down, a pause and a resume are writes of the check.
	s := c.CheckState
	s.Status = messages.StatusDown
	commit(persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: s})
	c.Version, c.CheckState = c.Version+1, s
	if a := changed("down"); a.Stats.Down != 1 {
		t.Fatalf("stats %+v", a.Stats)
	}
	edit(func(_ *messages.CheckConfig, s *messages.CheckState) { s.Status = messages.StatusPaused })
	changed("paused")
	edit(func(_ *messages.CheckConfig, s *messages.CheckState) { s.Status = messages.StatusNew })
	changed("resumed")

	// A node of the cluster goes away: nodes_online (and owners) change.
	mu.Lock()
	nodes = nodes[:1]
	mu.Unlock()
	changed("a node left")

	// One check deleted, another created: as many checks as before.
	commit(persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, Delete: true})
	storetest.NewCheck(t, st, u.ID)
	if a := changed("a check replaced"); a.Stats.Total != 1 || a.Checks.Items[0].ID == c.ID {
		t.Fatalf("after the swap: %+v", a)
	}
	unchanged("nothing happened at the end")
}
