package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// t0 is the suite's fixed "now".
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

// Run runs the conformance suite. open must return a new, empty, migrated store for each
// subtest, resealing in batches of ResealBatch; Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) persistence.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s persistence.Store)
	}{
		{"Users", testUsers},
		{"UserSettings", testUserSettings},
		{"Sessions", testSessions},
		{"SetPingKey", testSetPingKey},
		{"ChangeUserSlug", testChangeUserSlug},
		{"AccountDelete", testAccountDelete},
		{"CheckRoundTrip", testCheckRoundTrip},
		{"CreateCheckConflicts", testCreateCheckConflicts},
		{"CreateCheckIfMissingRace", testCreateCheckIfMissingRace},
		{"ListChecksPagination", testListChecksPagination},
		{"ListChecksTags", testListChecksTags},
		{"ListChecksInvalid", testListChecksInvalid},
		{"ListChecksFilters", testListChecksFilters},
		{"ListChecksStatusOrder", testListChecksStatusOrder},
		{"RecentPings", testRecentPings},
		{"PageChannels", testPageChannels},
		{"ChangeStamp", testChangeStamp},
		{"StatsAndTags", testStatsAndTags},
		{"CommitRoundTrip", testCommitRoundTrip},
		{"ConfigVersion", testConfigVersion},
		{"Badges", testBadges},
		{"StatusPages", testStatusPages},
		{"UptimeMarks", testUptimeMarks},
		{"RecentPingAddresses", testRecentPingAddresses},
		{"Destinations", testDestinations},
		{"CheckActivity", testCheckActivity},
		{"APITokens", testAPITokens},
		{"RetiredKeys", testRetiredKeys},
		{"KeyNetworks", testKeyNetworks},
		{"Audit", testAudit},
		{"CommitFlapState", testCommitFlapState},
		{"CommitFenced", testCommitFenced},
		{"CommitSlugConflictIsolated", testCommitSlugConflict},
		{"CommitSequentialSemantics", testCommitSequential},
		{"CommitDuplicatePingFenced", testCommitDuplicatePing},
		{"PingBodies", testPingBodies},
		{"PruneKeepsNewest", testPrune},
		{"PrunePings", testPrunePings},
		{"PingLogStart", testPingLogStart},
		{"PruneFlips", testPruneFlips},
		{"PruneOutbox", testPruneOutbox},
		{"OldestRows", testOldestRows},
		{"FlipsOrder", testFlips},
		{"LoadCheck", testLoadCheck},
		{"Delete", testDelete},
		{"ForEachCheck", testForEachCheck},
		{"DueChecks", testDueChecks},
		{"ExtendDeadlines", testExtendDeadlines},
		{"OutboxClaims", testOutboxClaims},
		{"OutboxDueDestinations", testOutboxDue},
		{"OutboxInCommit", testOutboxInCommit},
		{"OutboxValues", testOutboxValues},
		{"LeaseRenew", testLeaseRenew},
		{"LeasePruneNodes", testPruneNodes},
		{"LeaseClaimTakeover", testLeaseClaimTakeover},
		{"LeaseDueDestinations", testLeaseDueDestinations},
		{"Channels", testChannels},
		{"RateState", testRateState},
		{"Reseal", testReseal},
		{"ResealAbort", testResealAbort},
		{"RenameDestinations", testRenameDestinations},
		{"OtherUserNotFound", testOtherUser},
		{"Admins", testAdmins},
		{"AdminSessions", testAdminSessions},
		{"RefreshRotation", testRefreshRotation},
		{"RevokedAccess", testRevokedAccess},
		{"MetricsTokens", testMetricsTokens},
		{"SiteUsers", testSiteUsers},
		{"SearchChecks", testSearchChecks},
		{"DeleteUser", testDeleteUser},
		{"SiteStats", testSiteStats},
		{"TouchUser", testTouchUser},
		{"InactiveChecks", testInactiveChecks},
		{"InactiveUsers", testInactiveUsers},
		{"JobLease", testJobLease},
		{"TelegramLinks", testTelegramLinks},
		{"TelegramLoginSeen", testTelegramLoginSeen},
		{"ClosedIsUnavailable", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// --- helpers -------------------------------------------------------------------------------

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, code messages.ErrCode) {
	t.Helper()
	if got := messages.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func commit(t *testing.T, s persistence.Store, writes ...persistence.Write) []persistence.Outcome {
	t.Helper()
	out, err := s.Commit(ctxT(t), writes)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if len(out) != len(writes) {
		t.Fatalf("commit: %d outcomes for %d writes", len(out), len(writes))
	}
	return out
}

func wantKinds(t *testing.T, out []persistence.Outcome, want ...persistence.OutcomeKind) {
	t.Helper()
	for i := range want {
		if out[i].Kind != want[i] {
			t.Fatalf("outcome %d = %v (err %v), want %v", i, out[i].Kind, out[i].Err, want[i])
		}
	}
}

func get(t *testing.T, s persistence.Store, c messages.Check) messages.Check {
	t.Helper()
	got, err := s.GetCheck(ctxT(t), c.UserID, c.ID)
	if err != nil {
		t.Fatalf("get check %d: %v", c.ID, err)
	}
	return got
}

// upWrite is a state write of c that records ping n (n = c.NPings+1) at at.
func upWrite(c messages.Check, at time.Time) persistence.Write {
	st := c.CheckState
	st.Status = messages.StatusUp
	st.NPings++
	st.LastPing = Ms(at)
	st.LastPingKind = messages.KindSuccess
	st.NextDue = Ms(at.Add(time.Hour))
	st.NextDeadline = Ms(at.Add(2 * time.Hour))
	st.NextWakeAt = st.NextDeadline
	return persistence.Write{
		CheckID:       c.ID,
		ExpectVersion: c.Version,
		State:         st,
		Ping: &messages.PingRecord{
			CheckID: c.ID, N: st.NPings, At: Ms(at), Kind: messages.KindSuccess, ExitStatus: -1,
			Method: "POST", RemoteIP: "192.0.2.1", UserAgent: "curl/8", RequestID: fmt.Sprintf("req-%d-%d", c.ID, st.NPings),
			Body: []byte("ok"), ForwardedProto: "https",
		},
	}
}

// applied returns c as it is after w committed.
func applied(c messages.Check, w persistence.Write) messages.Check {
	c.Version++
	c.CheckState = w.State
	if w.Config != nil {
		c.CheckConfig = *w.Config
		c.ConfigVersion = w.ConfigVersion
	}
	return c
}

func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// --- users ---------------------------------------------------------------------------------

func testUsers(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	if u.ID == 0 {
		t.Fatal("CreateUser did not set the id")
	}
	for _, tc := range []struct {
		name string
		get  func() (messages.User, error)
	}{
		{"slug", func() (messages.User, error) { return s.UserBySlug(ctx, u.Slug) }},
		{"auth key hash", func() (messages.User, error) { return s.UserByAuthKeyHash(ctx, u.AuthKeyHash) }},
		{"ping key index", func() (messages.User, error) { return s.UserByPingKeyIndex(ctx, u.PingKeyIndex) }},
	} {
		got, err := tc.get()
		if err != nil {
			t.Fatalf("by %s: %v", tc.name, err)
		}
		diff(t, "user by "+tc.name, got, u)
	}

	dup := messages.User{Slug: u.Slug, AuthKeyHash: []byte("other"), CreatedAt: Ms(t0)}
	wantCode(t, s.CreateUser(ctx, &dup), messages.EConflict)

	// A user without keys (nil slices) round-trips as nil, and several may exist.
	for i := range 2 {
		bare := messages.User{Slug: fmt.Sprintf("bare%d", i)}
		if err := s.CreateUser(ctx, &bare); err != nil {
			t.Fatalf("user without keys: %v", err)
		}
		got := must[messages.User](t)(s.UserBySlug(ctx, bare.Slug))
		diff(t, "user without keys", got, bare)
	}

	_, err := s.UserBySlug(ctx, "nobody")
	wantCode(t, err, messages.ENotFound)
	_, err = s.UserByAuthKeyHash(ctx, []byte("nope"))
	wantCode(t, err, messages.ENotFound)
	_, err = s.UserByPingKeyIndex(ctx, nil)
	wantCode(t, err, messages.ENotFound)
}

// --- checks --------------------------------------------------------------------------------

func testCheckRoundTrip(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	cfg := FullConfig("full")
	st := FullState(t0)
	AssertNoZeroFields(t, cfg)
	AssertNoZeroFields(t, st)
	c := NewCheck(t, s, u.ID, func(c *messages.Check) {
		c.CheckConfig, c.CheckState = cfg, st
	})
	if c.ID == 0 || c.Version != 1 {
		t.Fatalf("CreateCheck set id %d version %d, want an id and version 1", c.ID, c.Version)
	}
	AssertNoZeroFields(t, c)
	diff(t, "GetCheck", get(t, s, c), c)

	lc, _, _, err := s.LoadCheck(ctx, c.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "LoadCheck", lc, c)

	ref := messages.CheckRef{ID: c.ID, UserID: u.ID, UUID: c.UUID, Slug: c.Slug}
	diff(t, "ResolveSlug", must[messages.CheckRef](t)(s.ResolveSlug(ctx, u.ID, c.Slug)), ref)
	diff(t, "ResolveUUID", must[messages.CheckRef](t)(s.ResolveUUID(ctx, c.UUID)), ref)
	_, err = s.ResolveSlug(ctx, u.ID, "missing")
	wantCode(t, err, messages.ENotFound)
	_, err = s.ResolveUUID(ctx, NewUUID())
	wantCode(t, err, messages.ENotFound)

	// Zero values round-trip too: no content rule, no tags, no times, no duration.
	bare := NewCheck(t, s, u.ID)
	diff(t, "bare check", get(t, s, bare), bare)
	bare0 := NewCheck(t, s, u.ID, func(c *messages.Check) { c.LastDuration = 0 })
	if got := get(t, s, bare0).LastDuration; got != 0 {
		t.Errorf("LastDuration 0 read back as %v", got)
	}

	for _, tc := range []struct {
		slug   string
		except int64
		want   bool
	}{
		{c.Slug, 0, true},
		{c.Slug, c.ID, false},
		{"free", 0, false},
	} {
		if got := must[bool](t)(s.SlugTaken(ctx, u.ID, tc.slug, tc.except)); got != tc.want {
			t.Errorf("SlugTaken(%q, except %d) = %v, want %v", tc.slug, tc.except, got, tc.want)
		}
	}
	other := NewUser(t, s)
	if must[bool](t)(s.SlugTaken(ctx, other.ID, c.Slug, 0)) {
		t.Error("SlugTaken sees another user's check")
	}
}

func testCreateCheckConflicts(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID, func(c *messages.Check) { c.Slug = "backup" })

	dupSlug := messages.Check{UserID: u.ID, UUID: NewUUID(), CheckConfig: messages.CheckConfig{Slug: "backup"}, CheckState: messages.CheckState{Status: messages.StatusNew}}
	wantCode(t, s.CreateCheck(ctx, &dupSlug), messages.EConflict)
	dupUUID := messages.Check{UserID: u.ID, UUID: c.UUID, CheckConfig: messages.CheckConfig{Slug: "other"}, CheckState: messages.CheckState{Status: messages.StatusNew}}
	wantCode(t, s.CreateCheck(ctx, &dupUUID), messages.EConflict)

	// Another user may use the same slug.
	u2 := NewUser(t, s)
	NewCheck(t, s, u2.ID, func(c *messages.Check) { c.Slug = "backup" })
}

func testCreateCheckIfMissingRace(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	const n = 10
	var (
		wg      sync.WaitGroup
		refs    [n]messages.CheckRef
		created [n]bool
		errs    [n]error
	)
	for i := range n {
		wg.Go(func() {
			c := messages.Check{UserID: u.ID, UUID: NewUUID(), CreatedAt: Ms(t0),
				CheckConfig: messages.CheckConfig{Slug: "auto", Name: fmt.Sprint(i)},
				CheckState:  messages.CheckState{Status: messages.StatusNew, LastDuration: -1}}
			refs[i], created[i], errs[i] = s.CreateCheckIfMissing(ctx, &c)
		})
	}
	wg.Wait()
	var nCreated int
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if created[i] {
			nCreated++
		}
		if refs[i] != refs[0] || refs[i].ID == 0 || refs[i].Slug != "auto" || refs[i].UserID != u.ID {
			t.Errorf("call %d returned %+v, call 0 %+v", i, refs[i], refs[0])
		}
	}
	if nCreated != 1 {
		t.Errorf("%d calls created the check, want 1", nCreated)
	}
	all := must[[]messages.Check](t)(s.ListChecks(ctx, u.ID, persistence.ListQuery{Limit: 100}))
	if len(all) != 1 {
		t.Errorf("%d checks exist, want 1", len(all))
	}
}

// sortKey orders checks the way ListQuery defines for sortBy.
func sortKey(sortBy string) func(a, b messages.Check) int {
	return func(a, b messages.Check) int {
		ka, kb := KeyOf(a, sortBy), KeyOf(b, sortBy)
		if c := cmp.Compare(ka.Str, kb.Str); c != 0 {
			return c
		}
		if c := cmp.Compare(ka.Int, kb.Int); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	}
}

func testListChecksPagination(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	NewCheck(t, s, NewUser(t, s).ID) // another user's check is never listed
	var all []messages.Check
	for i := range 50 {
		all = append(all, NewCheck(t, s, u.ID, func(c *messages.Check) {
			c.Name = fmt.Sprintf("job-%d", i%7) // duplicate names
			c.CreatedAt = Ms(t0.Add(time.Duration(i%5) * time.Second))
			if i%3 != 0 { // every third has no deadline and no ping
				c.NextDeadline = Ms(t0.Add(time.Duration(i%4) * time.Minute))
				c.LastPing = Ms(t0.Add(-time.Duration(i%6) * time.Minute))
			}
			c.Status = []messages.CheckStatus{messages.StatusNew, messages.StatusUp, messages.StatusDown, messages.StatusPaused}[i%4]
		}))
	}
	for _, sortBy := range []string{"id", "name", "created_at", "next_deadline", "last_ping", "status"} {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s desc=%v", sortBy, desc), func(t *testing.T) {
				want := slices.Clone(all)
				slices.SortFunc(want, sortKey(sortBy))
				if desc {
					slices.Reverse(want)
				}
				q := persistence.ListQuery{SortBy: sortBy, Desc: desc, Limit: 7}
				var got []messages.Check
				for page := 0; ; page++ {
					if page > 20 {
						t.Fatal("pagination does not end")
					}
					rows, err := s.ListChecks(ctx, u.ID, q)
					if err != nil {
						t.Fatal(err)
					}
					if len(rows) > q.Limit {
						t.Fatalf("page of %d rows, limit %d", len(rows), q.Limit)
					}
					got = append(got, rows...)
					if len(rows) < q.Limit {
						break
					}
					k := KeyOf(rows[len(rows)-1], sortBy)
					q.After = &k
				}
				ids := func(cs []messages.Check) []int64 {
					out := make([]int64, len(cs))
					for i, c := range cs {
						out[i] = c.ID
					}
					return out
				}
				if !slices.Equal(ids(got), ids(want)) {
					t.Fatalf("order\n got %v\nwant %v", ids(got), ids(want))
				}
				diff(t, "rows", got, want)
			})
		}
	}
}

func testListChecksTags(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	tagged := func(tags ...string) messages.Check {
		return NewCheck(t, s, u.ID, func(c *messages.Check) { c.Tags = tags })
	}
	ab := tagged("a", "b")
	a := tagged("a")
	bc := tagged("b", "c")
	aUb := tagged("a_b", "x%")
	tagged()
	for _, tc := range []struct {
		tags []string
		want []int64
	}{
		{nil, nil}, // all
		{[]string{"a"}, []int64{ab.ID, a.ID}},
		{[]string{"b"}, []int64{ab.ID, bc.ID}},
		{[]string{"a", "b"}, []int64{ab.ID}},
		{[]string{"b", "a"}, []int64{ab.ID}},
		{[]string{"a", "c"}, []int64{}},
		{[]string{"a_b"}, []int64{aUb.ID}},
		{[]string{"x%"}, []int64{aUb.ID}},
		{[]string{"x"}, []int64{}},
		{[]string{"_"}, []int64{}},
	} {
		rows := must[[]messages.Check](t)(s.ListChecks(ctx, u.ID, persistence.ListQuery{Tags: tc.tags, Limit: 100}))
		got := []int64{}
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if tc.want == nil {
			if len(got) != 5 {
				t.Errorf("no tag filter: %d rows, want 5", len(got))
			}
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("tags %q: got %v, want %v", tc.tags, got, tc.want)
		}
	}
	// Pagination within a tag filter.
	first := must[[]messages.Check](t)(s.ListChecks(ctx, u.ID, persistence.ListQuery{Tags: []string{"b"}, Limit: 1}))
	k := KeyOf(first[0], "id")
	next := must[[]messages.Check](t)(s.ListChecks(ctx, u.ID, persistence.ListQuery{Tags: []string{"b"}, Limit: 1, After: &k}))
	if len(first) != 1 || len(next) != 1 || first[0].ID != ab.ID || next[0].ID != bc.ID {
		t.Errorf("tag pagination: %v then %v", first, next)
	}
}

func testListChecksInvalid(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	_, err := s.ListChecks(ctx, u.ID, persistence.ListQuery{SortBy: "slug; DROP TABLE checks", Limit: 10})
	wantCode(t, err, messages.EInvalid)
	_, err = s.ListChecks(ctx, u.ID, persistence.ListQuery{Limit: 0})
	wantCode(t, err, messages.EInvalid)
	rows, err := s.ListChecks(ctx, u.ID, persistence.ListQuery{Limit: 10})
	if err != nil || len(rows) != 0 {
		t.Errorf("empty list: %v, %v", rows, err)
	}
}

func testStatsAndTags(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	now := t0
	mk := func(status messages.CheckStatus, due, deadline time.Duration, tags ...string) {
		NewCheck(t, s, u.ID, func(c *messages.Check) {
			c.Status = status
			c.Tags = tags
			if due != 0 {
				c.NextDue = Ms(now.Add(due))
				c.NextDeadline = Ms(now.Add(deadline))
			}
		})
	}
	mk(messages.StatusNew, 0, 0, "db")
	mk(messages.StatusUp, time.Hour, 2*time.Hour, "db", "prod")      // up, on time
	mk(messages.StatusUp, -time.Minute, time.Minute, "prod", "prod") // up, late
	mk(messages.StatusUp, -2*time.Hour, -time.Hour)                  // up, past its deadline: not late
	mk(messages.StatusDown, -time.Minute, time.Minute, "web")        // down: never late
	mk(messages.StatusPaused, -time.Minute, time.Minute)             // paused: never late
	NewCheck(t, s, NewUser(t, s).ID, func(c *messages.Check) { c.Tags = []string{"other"} })

	st := must[persistence.Stats](t)(s.CheckStats(ctx, u.ID, now))
	diff(t, "stats", st, persistence.Stats{Total: 6, New: 1, Up: 3, Down: 1, Paused: 1, Late: 1})

	tags := must[[]persistence.TagCount](t)(s.CheckTags(ctx, u.ID))
	diff(t, "tags", tags, []persistence.TagCount{{Tag: "db", Count: 2}, {Tag: "prod", Count: 2}, {Tag: "web", Count: 1}})

	empty := NewUser(t, s)
	diff(t, "stats of a user without checks", must[persistence.Stats](t)(s.CheckStats(ctx, empty.ID, now)), persistence.Stats{})
	if tags := must[[]persistence.TagCount](t)(s.CheckTags(ctx, empty.ID)); len(tags) != 0 {
		t.Errorf("tags of a user without checks: %v", tags)
	}
}

// --- commit --------------------------------------------------------------------------------

func testCommitRoundTrip(t *testing.T, s persistence.Store) {
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	cfg := FullConfig("renamed")
	w := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, Config: &cfg, State: FullState(t0)}
	wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
	want := applied(c, w)
	diff(t, "after commit", get(t, s, c), want)

	// A state-only write leaves the configuration alone; a config without a content rule
	// clears it, and one without a ping filter clears the filter's columns.
	st := FullState(t0.Add(time.Hour))
	st.LastDuration = -1
	st.Status = messages.StatusUp
	w2 := persistence.Write{CheckID: c.ID, ExpectVersion: want.Version, State: st}
	wantKinds(t, commit(t, s, w2), persistence.OutcomeCommitted)
	want = applied(want, w2)
	diff(t, "after state-only commit", get(t, s, c), want)

	cfg3 := want.CheckConfig
	cfg3.ContentRule = nil
	cfg3.Tags = nil
	cfg3.PingFilter = messages.PingFilter{}
	w3 := persistence.Write{CheckID: c.ID, ExpectVersion: want.Version, State: st, Config: &cfg3}
	wantKinds(t, commit(t, s, w3), persistence.OutcomeCommitted)
	diff(t, "after clearing the content rule", get(t, s, c), applied(want, w3))

	if out, err := s.Commit(ctxT(t), nil); err != nil || len(out) != 0 {
		t.Errorf("empty commit: %v, %v", out, err)
	}
}

// testCommitFlapState: the flap state of several checks written in one batch (the batcher's
// common case) is kept per check, and an empty history is none.
func testCommitFlapState(t *testing.T, s persistence.Store) {
	u := NewUser(t, s)
	full := FullState(t0)
	var cs []messages.Check
	for range 4 {
		cs = append(cs, NewCheck(t, s, u.ID, func(c *messages.Check) { c.CheckState = full }))
	}
	states := []func(*messages.CheckState){
		func(st *messages.CheckState) { // flapping ended: history kept, suppression over
			st.FlapHistory = append(st.FlapHistory, Ms(t0))
			st.FlapSince, st.SuppressUntil = time.Time{}, time.Time{}
			st.LastSentStatus = messages.StatusDown
		},
		func(st *messages.CheckState) { // history cleared
			st.FlapHistory, st.FlapSince, st.SuppressUntil, st.LastSentStatus = nil, time.Time{}, time.Time{}, ""
		},
		func(st *messages.CheckState) { st.FlapHistory = []time.Time{} }, // empty is none
		func(st *messages.CheckState) { st.SuppressUntil = Ms(t0.Add(time.Hour)) },
	}
	var writes []persistence.Write
	for i, c := range cs {
		st := c.CheckState
		st.FlapHistory = slices.Clone(st.FlapHistory)
		states[i](&st)
		writes = append(writes, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: st})
	}
	out := commit(t, s, writes...)
	for i, c := range cs {
		wantKinds(t, out[i:i+1], persistence.OutcomeCommitted)
		want := applied(c, writes[i])
		if len(want.FlapHistory) == 0 {
			want.FlapHistory = nil
		}
		diff(t, fmt.Sprintf("check %d", i), get(t, s, c), want)
	}
}

func testCommitFenced(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c1, c2, c3 := NewCheck(t, s, u.ID), NewCheck(t, s, u.ID), NewCheck(t, s, u.ID)
	w1, w3 := upWrite(c1, t0), upWrite(c3, t0)
	stale := upWrite(c2, t0)
	stale.ExpectVersion = c2.Version + 5
	stale.Flip = &messages.Flip{ID: fmt.Sprintf("%d.1", c2.ID), CheckID: c2.ID, At: Ms(t0), From: "new", To: "up"}
	stale.Outbox = []messages.OutboxRow{{UserID: u.ID, CheckID: c2.ID, Kind: messages.AlertUp, DestHash: "d", IdempotencyKey: "stale"}}
	stale.Channel = &messages.Channel{CheckID: c2.ID, UserID: u.ID, Name: messages.ChannelWebhook, Enabled: true}
	stale.PruneBelow = 1
	wantKinds(t, commit(t, s, w1, stale, w3), persistence.OutcomeCommitted, persistence.OutcomeFenced, persistence.OutcomeCommitted)

	diff(t, "first neighbour", get(t, s, c1), applied(c1, w1))
	diff(t, "last neighbour", get(t, s, c3), applied(c3, w3))
	diff(t, "fenced check", get(t, s, c2), c2)
	if p, err := s.ListPings(ctx, u.ID, c2.ID, 10); err != nil || len(p) != 0 {
		t.Errorf("fenced write left pings %v (%v)", p, err)
	}
	if f, err := s.ListFlips(ctx, u.ID, c2.ID, 10); err != nil || len(f) != 0 {
		t.Errorf("fenced write left flips %v (%v)", f, err)
	}
	if o, err := s.PendingOutbox(ctx, "d", 10); err != nil || len(o) != 0 {
		t.Errorf("fenced write left outbox rows %v (%v)", o, err)
	}
	if ch, err := s.Channels(ctx, u.ID, c2.ID); err != nil || len(ch) != 0 {
		t.Errorf("fenced write left channels %v (%v)", ch, err)
	}
	if p, err := s.ListPings(ctx, u.ID, c1.ID, 10); err != nil || len(p) != 1 {
		t.Errorf("neighbour pings %v (%v)", p, err)
	}

	// A write for a check that does not exist is fenced too.
	gone := upWrite(messages.Check{ID: 1 << 40, Version: 1}, t0)
	wantKinds(t, commit(t, s, gone), persistence.OutcomeFenced)
}

func testCommitSlugConflict(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c1 := NewCheck(t, s, u.ID)
	c2 := NewCheck(t, s, u.ID)
	c3 := NewCheck(t, s, u.ID, func(c *messages.Check) { c.Slug = "taken" })
	w1, w3 := upWrite(c1, t0), upWrite(c3, t0)
	bad := upWrite(c2, t0)
	cfg := c2.CheckConfig
	cfg.Slug = "taken"
	bad.Config = &cfg
	out := commit(t, s, w1, bad, w3)
	wantKinds(t, out, persistence.OutcomeCommitted, persistence.OutcomeConflict, persistence.OutcomeCommitted)
	wantCode(t, out[1].Err, messages.EConflict)
	diff(t, "first neighbour", get(t, s, c1), applied(c1, w1))
	diff(t, "last neighbour", get(t, s, c3), applied(c3, w3))
	diff(t, "conflicting check", get(t, s, c2), c2)
	if p, err := s.ListPings(ctx, u.ID, c2.ID, 10); err != nil || len(p) != 0 {
		t.Errorf("conflicting write left pings %v (%v)", p, err)
	}
	if p, err := s.ListPings(ctx, u.ID, c3.ID, 10); err != nil || len(p) != 1 {
		t.Errorf("neighbour pings %v (%v)", p, err)
	}
}

// testCommitSequential: the writes of a batch apply in order, as if one after another.
func testCommitSequential(t *testing.T, s persistence.Store) {
	u := NewUser(t, s)
	a := NewCheck(t, s, u.ID, func(c *messages.Check) { c.Slug = "x" })
	b := NewCheck(t, s, u.ID, func(c *messages.Check) { c.Slug = "y" })
	// a frees "x", then b takes it; a's second write (version+1) follows its first.
	wa := upWrite(a, t0)
	cfgA := a.CheckConfig
	cfgA.Slug = "z"
	wa.Config = &cfgA
	wb := upWrite(b, t0)
	cfgB := b.CheckConfig
	cfgB.Slug = "x"
	wb.Config = &cfgB
	a1 := applied(a, wa)
	wa2 := upWrite(a1, t0.Add(time.Second))
	wantKinds(t, commit(t, s, wa, wb, wa2), persistence.OutcomeCommitted, persistence.OutcomeCommitted, persistence.OutcomeCommitted)
	diff(t, "a", get(t, s, a), applied(a1, wa2))
	diff(t, "b", get(t, s, b), applied(b, wb))
	if p := must[[]messages.PingRecord](t)(s.ListPings(ctxT(t), u.ID, a.ID, 10)); len(p) != 2 {
		t.Errorf("a has %d pings, want 2", len(p))
	}
}

func testCommitDuplicatePing(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	other := NewCheck(t, s, u.ID)
	w := upWrite(c, t0)
	wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
	c1 := applied(c, w)
	// A stale activation appends the same ping number with a matching version (the check
	// row was not rewritten by the first): the append collides and the write is fenced.
	dup := upWrite(c1, t0.Add(time.Second))
	dup.Ping.N = w.Ping.N
	dup.State.NPings = w.Ping.N
	ow := upWrite(other, t0)
	wantKinds(t, commit(t, s, dup, ow), persistence.OutcomeFenced, persistence.OutcomeCommitted)
	diff(t, "check after a colliding append", get(t, s, c), c1)
	diff(t, "neighbour", get(t, s, other), applied(other, ow))
	p := must[messages.PingRecord](t)(s.GetPing(ctx, u.ID, c.ID, w.Ping.N))
	if !p.At.Equal(w.Ping.At) {
		t.Errorf("the first ping was replaced: %v", p)
	}
}

func testPingBodies(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	bodies := [][]byte{
		{0, 'a', 0, 0xff, 0xfe, '\n', 0},
		[]byte("plain text"),
		nil,
		[]byte(strings.Repeat("x", 10000)),
	}
	cur := c
	for i, body := range bodies {
		w := upWrite(cur, t0.Add(time.Duration(i)*time.Second))
		w.Ping.Body = body
		w.Ping.ExitStatus = int32(i)
		w.Ping.RID = NewUUID()
		w.Ping.Reason = "content rule"
		w.Ping.Kind = messages.KindFail
		// Request-derived text is stored as valid UTF-8 without NUL.
		w.Ping.UserAgent = "agent\x00\xff"
		if i%2 == 1 {
			w.Ping.ForwardedProto = "" // reached ttr directly
		}
		wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
		cur = applied(cur, w)

		got := must[messages.PingRecord](t)(s.GetPing(ctx, u.ID, c.ID, w.Ping.N))
		want := *w.Ping
		want.BodySize = int64(len(body))
		want.UserAgent = "agent\uFFFD\uFFFD"
		if len(body) == 0 {
			want.Body = nil
		}
		diff(t, fmt.Sprintf("ping %d", i), got, want)
	}
	list := must[[]messages.PingRecord](t)(s.ListPings(ctx, u.ID, c.ID, 100))
	if len(list) != len(bodies) {
		t.Fatalf("%d pings listed, want %d", len(list), len(bodies))
	}
	for i, p := range list {
		body := bodies[len(bodies)-1-i]
		if p.N != int64(len(bodies)-i) || p.Body != nil || p.BodySize != int64(len(body)) {
			t.Errorf("listed ping %d: n %d, body %q, size %d (want size %d)", i, p.N, p.Body, p.BodySize, len(body))
		}
		if want := map[bool]string{true: "https", false: ""}[(p.N-1)%2 == 0]; p.ForwardedProto != want {
			t.Errorf("listed ping %d: forwarded proto %q, want %q", i, p.ForwardedProto, want)
		}
	}
	_, err := s.GetPing(ctx, u.ID, c.ID, 99)
	wantCode(t, err, messages.ENotFound)
}

func testPrune(t *testing.T, s persistence.Store) {
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	const keep = 5
	cur := c
	for i := range 12 {
		w := upWrite(cur, t0.Add(time.Duration(i)*time.Second))
		w.PruneBelow = w.Ping.N - keep
		wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
		cur = applied(cur, w)
	}
	list := must[[]messages.PingRecord](t)(s.ListPings(ctxT(t), u.ID, c.ID, 100))
	var ns []int64
	for _, p := range list {
		ns = append(ns, p.N)
	}
	diff(t, "kept pings", ns, []int64{12, 11, 10, 9, 8})
	if got := must[[]messages.PingRecord](t)(s.ListPings(ctxT(t), u.ID, c.ID, 2)); len(got) != 2 || got[0].N != 12 {
		t.Errorf("limit 2: %v", got)
	}
}

func testFlips(t *testing.T, s persistence.Store) {
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	cur := c
	var want []messages.Flip
	statuses := []messages.CheckStatus{"new", "up", "down"}
	for seq := 1; seq <= 11; seq++ {
		at := t0.Add(time.Duration(seq) * time.Minute)
		if seq >= 9 {
			at = t0.Add(9 * time.Minute) // flips 9, 10 and 11 in the same millisecond
		}
		f := messages.Flip{ID: fmt.Sprintf("%d.%d", c.ID, seq), CheckID: c.ID, At: Ms(at),
			From: statuses[seq%3], To: statuses[(seq+1)%3], Reason: fmt.Sprintf("reason %d", seq), Node: "node-a"}
		w := persistence.Write{CheckID: c.ID, ExpectVersion: cur.Version, State: cur.CheckState, Flip: &f}
		w.State.FlipSeq = int64(seq)
		wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
		cur = applied(cur, w)
		want = append(want, f)
	}
	slices.Reverse(want)
	diff(t, "flips newest first", must[[]messages.Flip](t)(s.ListFlips(ctxT(t), u.ID, c.ID, 100)), want)
	diff(t, "flips limit 3", must[[]messages.Flip](t)(s.ListFlips(ctxT(t), u.ID, c.ID, 3)), want[:3])
}

func testLoadCheck(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	cur := c
	for i := range 6 {
		w := upWrite(cur, t0.Add(time.Duration(i)*time.Second))
		if i == 4 {
			w.Ping.RequestID = "" // a ping without a request id is not a repeat of anything
		}
		if i == 0 {
			w.Channel = &messages.Channel{CheckID: c.ID, UserID: u.ID, Name: messages.ChannelSlack, Enabled: true, ConfigEnc: []byte("sealed")}
		}
		wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
		cur = applied(cur, w)
	}
	got, chs, rids, err := s.LoadCheck(ctx, c.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "check", got, cur)
	diff(t, "request ids", rids, []string{fmt.Sprintf("req-%d-6", c.ID), fmt.Sprintf("req-%d-4", c.ID)})
	diff(t, "channels", chs, []messages.Channel{{CheckID: c.ID, UserID: u.ID, Name: messages.ChannelSlack, Enabled: true, ConfigEnc: []byte("sealed")}})
	if _, _, rids, _ := s.LoadCheck(ctx, c.ID, 0); len(rids) != 0 {
		t.Errorf("recent 0 returned %v", rids)
	}
	_, _, _, err = s.LoadCheck(ctx, 1<<40, 3)
	wantCode(t, err, messages.ENotFound)
}

func testDelete(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	keep := NewCheck(t, s, u.ID)
	w := upWrite(c, t0)
	w.Flip = &messages.Flip{ID: fmt.Sprintf("%d.1", c.ID), CheckID: c.ID, At: Ms(t0), From: "new", To: "up"}
	w.Channel = &messages.Channel{CheckID: c.ID, UserID: u.ID, Name: messages.ChannelWebhook, Enabled: true}
	w.Outbox = []messages.OutboxRow{{UserID: u.ID, CheckID: c.ID, Kind: messages.AlertUp, Channel: messages.ChannelWebhook, DestHash: "dest", IdempotencyKey: "k1", Status: messages.OutboxPending, CreatedAt: Ms(t0)}}
	kw := upWrite(keep, t0)
	wantKinds(t, commit(t, s, w, kw), persistence.OutcomeCommitted, persistence.OutcomeCommitted)
	c = applied(c, w)

	// A delete with a stale version is fenced and deletes nothing.
	wantKinds(t, commit(t, s, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version - 1, Delete: true}), persistence.OutcomeFenced)
	diff(t, "after a fenced delete", get(t, s, c), c)

	wantKinds(t, commit(t, s, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, Delete: true}), persistence.OutcomeCommitted)
	_, err := s.GetCheck(ctx, u.ID, c.ID)
	wantCode(t, err, messages.ENotFound)
	_, _, _, err = s.LoadCheck(ctx, c.ID, 10)
	wantCode(t, err, messages.ENotFound)
	_, err = s.ResolveUUID(ctx, c.UUID)
	wantCode(t, err, messages.ENotFound)
	_, err = s.ListPings(ctx, u.ID, c.ID, 10)
	wantCode(t, err, messages.ENotFound)
	_, err = s.ListFlips(ctx, u.ID, c.ID, 10)
	wantCode(t, err, messages.ENotFound)
	_, err = s.Channels(ctx, u.ID, c.ID)
	wantCode(t, err, messages.ENotFound)
	// The alert already written is still delivered.
	if rows := must[[]messages.OutboxRow](t)(s.PendingOutbox(ctx, "dest", 10)); len(rows) != 1 {
		t.Errorf("pending outbox after delete: %v", rows)
	}
	// The slug is free again, and the neighbour is untouched.
	NewCheck(t, s, u.ID, func(n *messages.Check) { n.Slug = c.Slug })
	diff(t, "neighbour", get(t, s, keep), applied(keep, kw))
	if p := must[[]messages.PingRecord](t)(s.ListPings(ctx, u.ID, keep.ID, 10)); len(p) != 1 {
		t.Errorf("neighbour pings: %v", p)
	}
	// A second delete is fenced (the check is gone).
	wantKinds(t, commit(t, s, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, Delete: true}), persistence.OutcomeFenced)
}

// --- wheel and sweeper ---------------------------------------------------------------------

func testForEachCheck(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	const n = 2000
	want := map[int64]time.Time{}
	all := map[int64]persistence.CheckEntry{} // what ForEachCheck must visit
	statuses := []messages.CheckStatus{messages.StatusUp, messages.StatusDown, messages.StatusNew, messages.StatusPaused}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, 8)
	)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			uuid := NewUUID()
			c := messages.Check{UserID: u.ID, UUID: uuid, CreatedAt: Ms(t0),
				CheckConfig: messages.CheckConfig{Slug: uuid},
				CheckState:  messages.CheckState{Status: statuses[i%len(statuses)], LastDuration: -1}}
			if i%10 != 0 { // every tenth has no wake-up
				c.NextWakeAt = Ms(t0.Add(time.Duration(i) * time.Second))
			}
			if err := s.CreateCheck(ctx, &c); err != nil {
				t.Errorf("create check %d: %v", i, err)
				return
			}
			mu.Lock()
			all[c.ID] = persistence.CheckEntry{CheckID: c.ID, Status: c.Status, WakeAt: c.NextWakeAt}
			if !c.NextWakeAt.IsZero() {
				want[c.ID] = c.NextWakeAt
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	stop := errors.New("stop")
	var calls int
	// ForEachCheck visits every check once, in id order, with its status and wake-up.
	var last int64
	seen, wakes := 0, 0
	err := s.ForEachCheck(ctx, func(e persistence.CheckEntry) error {
		if e.CheckID <= last {
			t.Errorf("check %d after %d: not in id order", e.CheckID, last)
		}
		last = e.CheckID
		seen++
		w, ok := all[e.CheckID]
		if !ok {
			t.Errorf("check %d visited but never created", e.CheckID)
		} else if w.Status != e.Status || !w.WakeAt.Equal(e.WakeAt) {
			t.Errorf("check %d: got %+v, want %+v", e.CheckID, e, w)
		}
		if !e.WakeAt.IsZero() {
			wakes++
		}
		return nil
	})
	if err != nil || seen != len(all) || wakes != len(want) {
		t.Fatalf("ForEachCheck visited %d checks of %d, %d wake-ups of %d: %v", seen, len(all), wakes, len(want), err)
	}
	calls = 0
	err = s.ForEachCheck(ctx, func(persistence.CheckEntry) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ForEachCheck fn's error: got %v after %d calls", err, calls)
	}
}

func testDueChecks(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	mk := func(wake time.Time) messages.Check {
		return NewCheck(t, s, u.ID, func(c *messages.Check) { c.NextWakeAt = Ms(wake) })
	}
	late := mk(t0.Add(-time.Hour))
	now := mk(t0)   // at t0 exactly: due
	mk(time.Time{}) // no wake-up
	mk(t0.Add(time.Millisecond))
	earliest := mk(t0.Add(-2 * time.Hour))
	got := must[[]persistence.Wake](t)(s.DueChecks(ctx, t0, 10))
	diff(t, "due", got, []persistence.Wake{
		{CheckID: earliest.ID, At: earliest.NextWakeAt},
		{CheckID: late.ID, At: late.NextWakeAt},
		{CheckID: now.ID, At: now.NextWakeAt},
	})
	diff(t, "due, limit 1", must[[]persistence.Wake](t)(s.DueChecks(ctx, t0, 1)), got[:1])
}

func testExtendDeadlines(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	from, to := t0, t0.Add(time.Minute)
	by := 90 * time.Second
	in, out := Ms(t0.Add(30*time.Second)), Ms(t0.Add(time.Hour))
	a := NewCheck(t, s, u.ID, func(c *messages.Check) {
		c.NextDue = Ms(t0.Add(-time.Minute))
		c.NextDeadline, c.NextWakeAt = in, in
		c.RealertDue = out
		c.RunDeadline = Ms(from) // the window is inclusive
		c.SuppressUntil = Ms(to)
		c.FlapSince = Ms(t0.Add(-time.Minute))
		c.FlapHistory = []time.Time{in} // a record of the past, not a deadline
	})
	b := NewCheck(t, s, u.ID, func(c *messages.Check) {
		c.NextDeadline, c.NextWakeAt, c.RealertDue, c.SuppressUntil = out, out, out, out
		c.RunDeadline = Ms(t0.Add(-time.Second))
	})
	// Only its flap suppression ends in the window.
	sup := NewCheck(t, s, u.ID, func(c *messages.Check) { c.SuppressUntil = in })
	none := NewCheck(t, s, u.ID)
	n := must[int64](t)(s.ExtendDeadlines(ctx, from, to, by))
	if n != 2 {
		t.Errorf("ExtendDeadlines changed %d checks, want 2", n)
	}
	wantA := a
	wantA.Version++
	wantA.NextDeadline = in.Add(by)
	wantA.NextWakeAt = in.Add(by)
	wantA.RunDeadline = Ms(from).Add(by)
	wantA.SuppressUntil = Ms(to).Add(by)
	diff(t, "check in the window", get(t, s, a), wantA)
	wantSup := sup
	wantSup.Version++
	wantSup.SuppressUntil = in.Add(by)
	diff(t, "check whose suppression ends in the window", get(t, s, sup), wantSup)
	diff(t, "check outside the window", get(t, s, b), b)
	diff(t, "check without deadlines", get(t, s, none), none)
	// The actor of a, holding the old version, is fenced.
	wantKinds(t, commit(t, s, upWrite(a, t0)), persistence.OutcomeFenced)
}

// --- outbox --------------------------------------------------------------------------------

func outboxRow(u messages.User, checkID int64, dest, key string) messages.OutboxRow {
	return messages.OutboxRow{
		UserID: u.ID, CheckID: checkID, Kind: messages.AlertDown, Channel: messages.ChannelWebhook,
		DestHash: dest, DestEnc: []byte("sealed " + dest), Payload: []byte(`{"status":"down"}`),
		IdempotencyKey: key, Status: messages.OutboxPending, CreatedAt: Ms(t0),
	}
}

func testOutboxClaims(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	rows := []messages.OutboxRow{
		outboxRow(u, c.ID, "d1", "k1"),
		outboxRow(u, c.ID, "d2", "k2"),
		outboxRow(u, c.ID, "d1", "k3"),
	}
	rows[2].NextAttemptAt = Ms(t0)
	rows[2].Attempts = 2
	rows[2].LastError = "timeout"
	if err := s.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.ID == 0 {
			t.Fatalf("row %d: InsertOutbox did not set the id", i)
		}
	}
	// Inserting the same idempotency key again is a no-op.
	again := []messages.OutboxRow{outboxRow(u, c.ID, "d1", "k1")}
	again[0].Payload = []byte("changed")
	if err := s.InsertOutbox(ctx, again); err != nil {
		t.Fatal(err)
	}
	pending := must[[]messages.OutboxRow](t)(s.PendingOutbox(ctx, "d1", 10))
	diff(t, "pending d1 (FIFO)", pending, []messages.OutboxRow{rows[0], rows[2]})
	diff(t, "pending d1, limit 1", must[[]messages.OutboxRow](t)(s.PendingOutbox(ctx, "d1", 1)), []messages.OutboxRow{rows[0]})
	count := func(dest string) int {
		t.Helper()
		return must[int](t)(s.CountPendingOutbox(ctx, dest))
	}
	if a, b, none := count("d1"), count("d2"), count("nowhere"); a != 2 || b != 1 || none != 0 {
		t.Errorf("pending counts d1, d2, nowhere = %d, %d, %d; want 2, 1, 0", a, b, none)
	}

	id := rows[0].ID
	claim := func(node string, now time.Time) bool {
		t.Helper()
		return must[bool](t)(s.ClaimOutbox(ctx, id, node, now, now.Add(10*time.Second)))
	}
	if !claim("n1", t0) {
		t.Fatal("first claim refused")
	}
	if claim("n2", t0.Add(5*time.Second)) {
		t.Fatal("a live claim was stolen")
	}
	if !claim("n1", t0.Add(5*time.Second)) {
		t.Fatal("the holder could not extend its claim")
	}
	// n1's claim now runs until t0+15s.
	if claim("n2", t0.Add(12*time.Second)) {
		t.Fatal("an extended claim was stolen")
	}
	if !claim("n2", t0.Add(16*time.Second)) {
		t.Fatal("an expired claim could not be taken over")
	}
	got := must[[]messages.OutboxRow](t)(s.PendingOutbox(ctx, "d1", 1))[0]
	if got.ClaimedBy != "n2" || !got.ClaimUntil.Equal(Ms(t0.Add(26*time.Second))) {
		t.Errorf("claim recorded as %q until %v", got.ClaimedBy, got.ClaimUntil)
	}

	res := persistence.OutboxResult{ID: id, Node: "n1", Status: messages.OutboxDelivered, Attempts: 1, DeliveredAt: Ms(t0.Add(17 * time.Second))}
	if must[bool](t)(s.FinishOutbox(ctx, res)) {
		t.Fatal("a node that lost its claim finished the row")
	}
	res.Node = "n2"
	if !must[bool](t)(s.FinishOutbox(ctx, res)) {
		t.Fatal("the holder could not finish the row")
	}
	if must[bool](t)(s.FinishOutbox(ctx, res)) {
		t.Fatal("a finished row (claim released) was finished again")
	}
	if claim("n3", t0.Add(time.Hour)) {
		t.Fatal("a delivered row was claimed")
	}
	diff(t, "pending d1 after delivery", must[[]messages.OutboxRow](t)(s.PendingOutbox(ctx, "d1", 10)), []messages.OutboxRow{rows[2]})
	if n := count("d1"); n != 1 {
		t.Errorf("pending count of d1 after a delivery = %d, want 1", n)
	}

	// A retry: pending again with a later attempt; the claim is released.
	id = rows[2].ID
	if !claim("n1", t0) {
		t.Fatal("claim of a fresh row refused")
	}
	retry := persistence.OutboxResult{ID: id, Node: "n1", Status: messages.OutboxPending, Attempts: 3, NextAttemptAt: Ms(t0.Add(time.Minute)), LastError: "503"}
	if !must[bool](t)(s.FinishOutbox(ctx, retry)) {
		t.Fatal("finish (retry) refused")
	}
	want := rows[2]
	want.Attempts, want.NextAttemptAt, want.LastError = 3, retry.NextAttemptAt, "503"
	diff(t, "row after a retry", must[[]messages.OutboxRow](t)(s.PendingOutbox(ctx, "d1", 10)), []messages.OutboxRow{want})
	if !claim("n2", t0) {
		t.Fatal("a released claim could not be taken")
	}

	// Deliveries of the check, newest first, every status.
	dels := must[[]messages.OutboxRow](t)(s.ListDeliveries(ctx, u.ID, c.ID, 10))
	if len(dels) != 3 || dels[0].ID != rows[2].ID || dels[2].ID != rows[0].ID || dels[2].Status != messages.OutboxDelivered {
		t.Errorf("deliveries: %+v", dels)
	}
	if !dels[2].DeliveredAt.Equal(res.DeliveredAt) || dels[2].Attempts != 1 {
		t.Errorf("delivered row: %+v", dels[2])
	}
}

func testOutboxDue(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	rows := []messages.OutboxRow{
		outboxRow(u, c.ID, "due-now", "a"),     // never attempted
		outboxRow(u, c.ID, "due-later", "b"),   // next attempt in the future
		outboxRow(u, c.ID, "claimed", "c"),     // held by a live claim
		outboxRow(u, c.ID, "claim-gone", "d"),  // claim expired
		outboxRow(u, c.ID, "delivered", "e"),   // done
		outboxRow(u, c.ID, "due-at-now", "f"),  // next attempt exactly now
		outboxRow(u, c.ID, "due-now", "g"),     // a second row of a due destination
		outboxRow(u, c.ID, "failed", "h"),      // given up
		outboxRow(u, c.ID, "due-earlier", "i"), // next attempt in the past
	}
	rows[1].NextAttemptAt = Ms(t0.Add(time.Second))
	rows[2].ClaimedBy, rows[2].ClaimUntil = "n1", Ms(t0.Add(time.Second))
	rows[3].ClaimedBy, rows[3].ClaimUntil = "n1", Ms(t0.Add(-time.Second))
	rows[4].Status = messages.OutboxDelivered
	rows[5].NextAttemptAt = Ms(t0)
	rows[7].Status = messages.OutboxFailed
	rows[8].NextAttemptAt = Ms(t0.Add(-time.Hour))
	if err := s.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	got := must[[]string](t)(s.DueDestinations(ctx, Ms(t0), 100))
	slices.Sort(got)
	diff(t, "due destinations", got, []string{"claim-gone", "due-at-now", "due-earlier", "due-now"})
	if got := must[[]string](t)(s.DueDestinations(ctx, Ms(t0), 2)); len(got) != 2 {
		t.Errorf("limit 2: %v", got)
	}
}

func testOutboxInCommit(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	w := upWrite(c, t0)
	w.Outbox = []messages.OutboxRow{outboxRow(u, c.ID, "d", "flip-1-slack"), outboxRow(u, c.ID, "d", "flip-1-webhook")}
	wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
	c = applied(c, w)
	// A retried write carrying the same alerts (same idempotency keys) adds none.
	w2 := upWrite(c, t0.Add(time.Second))
	w2.Outbox = []messages.OutboxRow{outboxRow(u, c.ID, "d", "flip-1-webhook"), outboxRow(u, c.ID, "d", "flip-2-webhook")}
	wantKinds(t, commit(t, s, w2), persistence.OutcomeCommitted)
	rows := must[[]messages.OutboxRow](t)(s.PendingOutbox(ctx, "d", 10))
	var keys []string
	for _, r := range rows {
		keys = append(keys, r.IdempotencyKey)
		if r.UserID != u.ID || r.CheckID != c.ID || r.Status != messages.OutboxPending {
			t.Errorf("row %+v", r)
		}
	}
	diff(t, "outbox keys in FIFO order", keys, []string{"flip-1-slack", "flip-1-webhook", "flip-2-webhook"})
}

// testOutboxValues: every alert kind, outbox status and channel delivery status reads back
// as written, and the outbox's SQL, which names the statuses as literals, counts as pending
// exactly the rows of OutboxPending.
func testOutboxValues(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	kinds := []messages.AlertKind{messages.AlertDown, messages.AlertUp, messages.AlertRealert,
		messages.AlertFlapping, messages.AlertFlapEnd, messages.AlertTest}
	statuses := []messages.OutboxStatus{messages.OutboxPending, messages.OutboxDelivered, messages.OutboxFailed}
	var rows []messages.OutboxRow
	for i, k := range kinds {
		r := outboxRow(u, c.ID, "d", fmt.Sprintf("%s-%d", k, i))
		r.Kind, r.Status = k, statuses[i%len(statuses)]
		rows = append(rows, r)
	}
	if err := s.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	type value struct {
		Kind   messages.AlertKind
		Status messages.OutboxStatus
	}
	var want, got []value
	for _, r := range slices.Backward(rows) { // newest first
		want = append(want, value{r.Kind, r.Status})
	}
	for _, r := range must[[]messages.OutboxRow](t)(s.ListDeliveries(ctx, u.ID, c.ID, 100)) {
		got = append(got, value{r.Kind, r.Status})
	}
	diff(t, "kinds and statuses", got, want)
	if n := must[int](t)(s.CountPendingOutbox(ctx, "d")); n != len(kinds)/len(statuses) {
		t.Errorf("%d pending rows counted, want %d", n, len(kinds)/len(statuses))
	}

	w := upWrite(c, t0)
	w.Channel = &messages.Channel{CheckID: c.ID, UserID: u.ID, Name: messages.ChannelWebhook, Enabled: true}
	wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
	for i, st := range []messages.DeliveryStatus{messages.DeliveryOK, messages.DeliveryError, messages.DeliveryNone} {
		row := []messages.OutboxRow{outboxRow(u, c.ID, "hook", fmt.Sprintf("hook-%d", i))}
		if err := s.InsertOutbox(ctx, row); err != nil {
			t.Fatal(err)
		}
		id := row[0].ID
		if !must[bool](t)(s.ClaimOutbox(ctx, id, "n1", t0, t0.Add(time.Minute))) {
			t.Fatalf("claim of row %d refused", id)
		}
		res := persistence.OutboxResult{ID: id, Node: "n1", Status: messages.OutboxDelivered, Attempts: 1,
			ChannelStatus: st, ChannelMessage: string(st), At: Ms(t0)}
		if !must[bool](t)(s.FinishOutbox(ctx, res)) {
			t.Fatalf("finish of row %d refused", id)
		}
		want := st
		if st == messages.DeliveryNone { // leaves the previous status alone
			want = messages.DeliveryError
		}
		if chs := must[[]messages.Channel](t)(s.Channels(ctx, u.ID, c.ID)); len(chs) != 1 || chs[0].LastStatus != want {
			t.Errorf("after a delivery with channel status %q: channels %+v, want last status %q", st, chs, want)
		}
	}
}

func testChannels(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	w := upWrite(c, t0)
	w.Channel = &messages.Channel{CheckID: c.ID, UserID: u.ID, Name: messages.ChannelWebhook, Enabled: true, ConfigEnc: []byte{1, 0, 2}}
	wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
	c = applied(c, w)
	want := *w.Channel
	diff(t, "channels", must[[]messages.Channel](t)(s.Channels(ctx, u.ID, c.ID)), []messages.Channel{want})

	// A delivery outcome sets the channel's status.
	rows := []messages.OutboxRow{outboxRow(u, c.ID, "hook", "k")}
	if err := s.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if !must[bool](t)(s.ClaimOutbox(ctx, rows[0].ID, "n1", t0, t0.Add(time.Minute))) {
		t.Fatal("claim refused")
	}
	res := persistence.OutboxResult{ID: rows[0].ID, Node: "n1", Status: messages.OutboxFailed, Attempts: 5,
		LastError: "410 Gone", ChannelStatus: messages.DeliveryError, ChannelMessage: "410 Gone", At: Ms(t0.Add(time.Second))}
	if !must[bool](t)(s.FinishOutbox(ctx, res)) {
		t.Fatal("finish refused")
	}
	want.LastStatus, want.LastMessage, want.LastAt = messages.DeliveryError, "410 Gone", res.At
	diff(t, "channel after a failed delivery", must[[]messages.Channel](t)(s.Channels(ctx, u.ID, c.ID)), []messages.Channel{want})

	// Changing the settings keeps the delivery status; a second channel is added.
	w2 := upWrite(c, t0.Add(time.Minute))
	w2.Channel = &messages.Channel{CheckID: c.ID, UserID: u.ID, Name: messages.ChannelWebhook, Enabled: false, LastStatus: messages.DeliveryOK}
	wantKinds(t, commit(t, s, w2), persistence.OutcomeCommitted)
	c = applied(c, w2)
	w3 := upWrite(c, t0.Add(2*time.Minute))
	w3.Channel = &messages.Channel{CheckID: c.ID, UserID: u.ID, Name: messages.ChannelDiscord, Enabled: true, ConfigEnc: []byte("x")}
	wantKinds(t, commit(t, s, w3), persistence.OutcomeCommitted)
	want.Enabled, want.ConfigEnc = false, nil
	got := must[[]messages.Channel](t)(s.Channels(ctx, u.ID, c.ID))
	slices.SortFunc(got, func(a, b messages.Channel) int { return strings.Compare(string(a.Name), string(b.Name)) })
	diff(t, "channels after updates", got, []messages.Channel{*w3.Channel, want})
}

// testOtherUser: every user-scoped read of another user's check is ErrNotFound.
func testOtherUser(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	owner := NewUser(t, s)
	other := NewUser(t, s)
	c := NewCheck(t, s, owner.ID)
	w := upWrite(c, t0)
	w.Flip = &messages.Flip{ID: fmt.Sprintf("%d.1", c.ID), CheckID: c.ID, At: Ms(t0), From: "new", To: "up"}
	w.Channel = &messages.Channel{CheckID: c.ID, UserID: owner.ID, Name: messages.ChannelWebhook, Enabled: true}
	w.Outbox = []messages.OutboxRow{outboxRow(owner, c.ID, "d", "k")}
	wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)

	for _, tc := range []struct {
		name string
		call func(userID int64) error
	}{
		{"GetCheck", func(uid int64) error { _, err := s.GetCheck(ctx, uid, c.ID); return err }},
		{"ResolveSlug", func(uid int64) error { _, err := s.ResolveSlug(ctx, uid, c.Slug); return err }},
		{"ListPings", func(uid int64) error { _, err := s.ListPings(ctx, uid, c.ID, 10); return err }},
		{"GetPing", func(uid int64) error { _, err := s.GetPing(ctx, uid, c.ID, 1); return err }},
		{"ListFlips", func(uid int64) error { _, err := s.ListFlips(ctx, uid, c.ID, 10); return err }},
		{"Channels", func(uid int64) error { _, err := s.Channels(ctx, uid, c.ID); return err }},
		{"ListDeliveries", func(uid int64) error { _, err := s.ListDeliveries(ctx, uid, c.ID, 10); return err }},
	} {
		if err := tc.call(owner.ID); err != nil {
			t.Errorf("%s by the owner: %v", tc.name, err)
		}
		if err := tc.call(other.ID); messages.CodeOf(err) != messages.ENotFound {
			t.Errorf("%s by another user: %v, want not found", tc.name, err)
		}
	}
	if rows := must[[]messages.Check](t)(s.ListChecks(ctx, other.ID, persistence.ListQuery{Limit: 10})); len(rows) != 0 {
		t.Errorf("another user lists %d checks", len(rows))
	}
	// A check of one's own without pings lists nothing, without an error.
	mine := NewCheck(t, s, other.ID)
	if p, err := s.ListPings(ctx, other.ID, mine.ID, 10); err != nil || len(p) != 0 {
		t.Errorf("pings of a fresh check: %v, %v", p, err)
	}
	if p, err := s.ListDeliveries(ctx, other.ID, mine.ID, 10); err != nil || len(p) != 0 {
		t.Errorf("deliveries of a fresh check: %v, %v", p, err)
	}
}

func testClosed(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if d := s.Describe(); d == "" {
		t.Error("empty Describe")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Ping", s.Ping(ctx)},
		{"GetCheck", func() error { _, err := s.GetCheck(ctx, u.ID, c.ID); return err }()},
		{"Commit", func() error { _, err := s.Commit(ctx, []persistence.Write{upWrite(c, t0)}); return err }()},
		{"CreateUser", s.CreateUser(ctx, &messages.User{Slug: "late"})},
	} {
		if !persistence.IsUnavailable(tc.err) || messages.CodeOf(tc.err) != messages.EUnavailable {
			t.Errorf("%s on a closed store: %v, want unavailable", tc.name, tc.err)
		}
	}
}
