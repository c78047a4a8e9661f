package main

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/sqlite"
)

// migratedStore creates an embedded store with ttrd's migrations applied and returns its path.
func migratedStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ttr.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// openStore opens the store at path as ttrd does, closed with the test.
func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestSeededChecksAreValid seeds checks and reads them back through persistence/sqlite, as
// ttrd will: a seed that drifts from the schema fails here, not silently in the benchmark.
func TestSeededChecksAreValid(t *testing.T) {
	ctx := context.Background()
	path := migratedStore(t)
	now := time.Now().Truncate(time.Millisecond)
	base := now.Add(2 * time.Hour)
	deadline := func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }
	const n, users = 100, 3
	res, err := seedChecks(ctx, path, seedPlan{Users: users, Checks: n, Interval: 6 * time.Hour, Grace: time.Hour,
		Deadline: deadline, Now: now, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Users) != users || len(res.Samples) != 2*users {
		t.Fatalf("seeded %d users and %d samples, want %d and %d", len(res.Users), len(res.Samples), users, 2*users)
	}
	st := openStore(t, path)

	total := 0
	for _, u := range res.Users {
		got, err := st.UserByAuthKeyHash(ctx, keyring.Hash([]byte(u.AuthKey)))
		if err != nil || got.ID != u.ID || got.Slug != u.Slug || !got.SlugPings {
			t.Fatalf("user %d by its access key: %+v, %v", u.ID, got, err)
		}
		checks, err := st.ListChecks(ctx, u.ID, persistence.ListQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		total += len(checks)
		for _, c := range checks {
			if c.Version != 1 || c.UserID != u.ID || c.Name != c.Slug || !slices.Equal(c.Tags, []string{"bench"}) ||
				c.ContentRule != nil || c.NotifyAfterFailures != 1 || !c.NotifyOnUp || c.ManualResume || c.MaxRuntimeSeconds != 0 {
				t.Errorf("check %d: version %d, user %d, name %q, tags %q, content rule %v, notify after %d, on up %v, manual resume %v, max runtime %d",
					c.ID, c.Version, c.UserID, c.Name, c.Tags, c.ContentRule, c.NotifyAfterFailures, c.NotifyOnUp, c.ManualResume, c.MaxRuntimeSeconds)
			}
			assertSeededCheck(t, st, c.ID, deadline(slugIndex(t, c.Slug)))
		}
	}
	if total != n {
		t.Errorf("listed %d checks, seeded %d", total, n)
	}
	for _, s := range res.Samples {
		ref, err := st.ResolveUUID(ctx, s.UUID)
		if err != nil || ref.ID != s.ID || ref.UserID != s.UserID || ref.Slug != s.Slug {
			t.Errorf("sample %+v resolves to %+v, %v", s, ref, err)
		}
		if !s.Deadline.Equal(deadline(slugIndex(t, s.Slug))) {
			t.Errorf("sample %s: deadline %v", s.Slug, s.Deadline)
		}
	}
	wakes := 0
	if err := st.ForEachCheck(ctx, func(e persistence.CheckEntry) error {
		if !e.WakeAt.IsZero() {
			wakes++
		}
		return nil
	}); err != nil || wakes != n {
		t.Errorf("ForEachCheck saw %d wake-ups (%v), want %d: ttrd would arm that many", wakes, err, n)
	}

	// Shifting moves every deadline, and the check still goes down at its deadline.
	st.Close()
	if err := shiftDeadlines(ctx, path, -time.Hour); err != nil {
		t.Fatal(err)
	}
	st = openStore(t, path)
	id := res.Samples[0].ID
	assertSeededCheck(t, st, id, res.Samples[0].Deadline.Add(-time.Hour))
	if n, err := countDownFlips(ctx, path); err != nil || n != 0 {
		t.Errorf("countDownFlips = %d, %v on a fresh store", n, err)
	}
}

// assertSeededCheck loads check id as its actor would and checks the state a success ping
// leaves, with the deadline given, and that the check goes down at that deadline.
func assertSeededCheck(t *testing.T, st *sqlite.Store, id int64, deadline time.Time) {
	t.Helper()
	c, chans, rids, err := st.LoadCheck(context.Background(), id, 10)
	if err != nil {
		t.Fatalf("LoadCheck(%d): %v", id, err)
	}
	if len(chans) != 0 || len(rids) != 0 {
		t.Errorf("check %d: channels %v, recent request ids %v; seeded none", id, chans, rids)
	}
	grace, interval := time.Duration(c.GraceSeconds)*time.Second, time.Duration(c.IntervalSeconds)*time.Second
	switch {
	case c.Status != messages.StatusUp || c.ScheduleType != messages.ScheduleInterval || c.TZ != "UTC":
		t.Errorf("check %d: status %q, schedule %q in %q", id, c.Status, c.ScheduleType, c.TZ)
	case !c.NextDeadline.Equal(deadline) || !c.NextWakeAt.Equal(deadline) || !c.NextDue.Equal(deadline.Add(-grace)):
		t.Errorf("check %d: due %v, deadline %v, wake %v; want the deadline %v", id, c.NextDue, c.NextDeadline, c.NextWakeAt, deadline)
	case !c.LastPing.Equal(deadline.Add(-grace-interval)) || c.LastPingKind != messages.KindSuccess || c.LastDuration != -1:
		t.Errorf("check %d: last ping %v (%s), duration %v", id, c.LastPing, c.LastPingKind, c.LastDuration)
	case c.FlapHistory != nil || !c.FlapSince.IsZero() || !c.SuppressUntil.IsZero() || c.DownFlip != "" || c.FailureCount != 0:
		t.Errorf("check %d: flap %v %v %v, down flip %q, failures %d", id, c.FlapHistory, c.FlapSince, c.SuppressUntil, c.DownFlip, c.FailureCount)
	}
	cfg, err := checklogic.Compile(c.ID, c.CheckConfig)
	if err != nil {
		t.Fatalf("check %d: %v", id, err)
	}
	if e := checklogic.OnTick(cfg, c.CheckState, deadline.Add(-time.Millisecond)); e.Flip != nil {
		t.Errorf("check %d flips before its deadline: %+v", id, e.Flip)
	}
	e := checklogic.OnTick(cfg, c.CheckState, deadline)
	if e.Flip == nil || e.Flip.To != messages.StatusDown || !e.Flip.At.Equal(deadline) {
		t.Errorf("check %d at its deadline: flip %+v, want down at %v", id, e.Flip, deadline)
	}
}

// TestArmNewChecks arms checks created as the API creates them (status new, no deadline).
func TestArmNewChecks(t *testing.T) {
	ctx := context.Background()
	path := migratedStore(t)
	st := openStore(t, path)
	u := messages.User{Slug: "u1", SlugPings: true, CreatedAt: time.Now()}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 3 {
		c := messages.Check{UserID: u.ID, UUID: randomUUID(), CreatedAt: time.Now(),
			CheckConfig: messages.CheckConfig{Slug: checkSlug(i), ScheduleType: messages.ScheduleInterval, TZ: "UTC",
				IntervalSeconds: 3600, GraceSeconds: 60, NotifyAfterFailures: 1, NotifyOnUp: true},
			CheckState: checklogic.Initial()}
		if err := st.CreateCheck(ctx, &c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	st.Close()
	deadline := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	n, err := armNewChecks(ctx, path, deadline)
	if err != nil || n != 3 {
		t.Fatalf("armNewChecks = %d, %v; want 3", n, err)
	}
	st = openStore(t, path)
	for _, id := range ids {
		c, _, _, err := st.LoadCheck(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if c.FlipSeq != 1 || c.Version != 2 || c.NPings != 1 {
			t.Errorf("check %d: flip seq %d, version %d, pings %d", id, c.FlipSeq, c.Version, c.NPings)
		}
		assertSeededCheck(t, st, id, deadline)
	}
}

// slugIndex is i of the slug checkSlug(i).
func slugIndex(t *testing.T, slug string) int {
	t.Helper()
	i, err := strconv.Atoi(strings.TrimPrefix(slug, "c"))
	if err != nil || checkSlug(i) != slug {
		t.Fatalf("slug %q is not a checkSlug", slug)
	}
	return i
}
