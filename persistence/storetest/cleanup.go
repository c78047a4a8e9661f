package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// --- last seen, the cleanup's reads, job leases, Telegram links ----------------------------

// newUserAt creates a user created at created.
func newUserAt(t *testing.T, s persistence.Store, created time.Time) messages.User {
	t.Helper()
	u := messages.User{Slug: RandomHex(4), AuthKeyHash: []byte(RandomHex(16)), PingKeyIndex: []byte(RandomHex(16)),
		SlugPings: true, CreatedAt: Ms(created)}
	if err := s.CreateUser(ctxT(t), &u); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}

func seenAt(t *testing.T, s persistence.Store, u messages.User) time.Time {
	t.Helper()
	got := must[messages.User](t)(s.UserBySlug(ctxT(t), u.Slug))
	return got.LastSeenAt
}

func testTouchUser(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	if got := seenAt(t, s, u); !got.IsZero() {
		t.Fatalf("a new user was seen at %v", got)
	}
	steps := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"first sighting is written", t0, t0},
		{"within the hour nothing is written", t0.Add(59 * time.Minute), t0},
		{"an hour later it is written", t0.Add(time.Hour), t0.Add(time.Hour)},
		{"an earlier time never goes back", t0, t0.Add(time.Hour)},
	}
	for _, st := range steps {
		if err := s.TouchUser(ctx, u.ID, st.at); err != nil {
			t.Fatal(err)
		}
		if got := seenAt(t, s, u); !got.Equal(Ms(st.want)) {
			t.Errorf("%s: last seen %v, want %v", st.name, got, Ms(st.want))
		}
	}
	if err := s.TouchUser(ctx, u.ID+1000, t0); err != nil {
		t.Errorf("touching an unknown user: %v", err)
	}
}

func testInactiveChecks(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u1, u2 := NewUser(t, s), NewUser(t, s)
	cutoff := t0.Add(-14 * 24 * time.Hour)
	at := func(created, lastPing time.Time, status messages.CheckStatus) func(*messages.Check) {
		return func(c *messages.Check) {
			c.CreatedAt, c.LastPing, c.Status = Ms(created), Ms(lastPing), status
		}
	}
	old, recent := cutoff.Add(-time.Hour), cutoff.Add(time.Hour)
	neverPinged := NewCheck(t, s, u1.ID, at(old, time.Time{}, messages.StatusNew))
	NewCheck(t, s, u1.ID, at(recent, time.Time{}, messages.StatusNew)) // created recently
	NewCheck(t, s, u1.ID, at(old, recent, messages.StatusUp))          // pinged recently
	NewCheck(t, s, u2.ID, at(old, old, messages.StatusPaused))         // paused
	oldPing := NewCheck(t, s, u2.ID, at(old.Add(-time.Hour), old, messages.StatusDown))
	NewCheck(t, s, u2.ID, at(old, cutoff, messages.StatusUp)) // exactly at the cutoff: not before it
	another := NewCheck(t, s, u1.ID, at(old, old.Add(-time.Minute), messages.StatusUp))

	if n := must[int64](t)(s.CountChecks(ctx)); n != 7 {
		t.Errorf("count checks: %d, want 7", n)
	}
	var got []int64
	var after int64
	for {
		page := must[[]messages.Check](t)(s.InactiveChecks(ctx, cutoff, after, 2))
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			got = append(got, c.ID)
			after = c.ID
		}
	}
	diff(t, "inactive checks", got, []int64{neverPinged.ID, oldPing.ID, another.ID})
	page := must[[]messages.Check](t)(s.InactiveChecks(ctx, cutoff, 0, 1))
	if len(page) != 1 || page[0].ID != neverPinged.ID || page[0].UserID != u1.ID || !page[0].CreatedAt.Equal(Ms(old)) ||
		page[0].ScheduleType != messages.ScheduleInterval || page[0].IntervalSeconds != 86400 || page[0].GraceSeconds != 3600 {
		t.Errorf("inactive check read back as %+v", page)
	}
	_, err := s.InactiveChecks(ctx, cutoff, 0, 0)
	wantCode(t, err, messages.EInvalid)
}

func testInactiveUsers(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	cutoff := t0.Add(-14 * 24 * time.Hour)
	old, recent := cutoff.Add(-time.Hour), cutoff.Add(time.Hour)
	never := newUserAt(t, s, old) // never seen, no checks
	newUserAt(t, s, recent)       // created recently
	seenRecently := newUserAt(t, s, old)
	if err := s.TouchUser(ctx, seenRecently.ID, recent); err != nil {
		t.Fatal(err)
	}
	seenLongAgo := newUserAt(t, s, old.Add(-time.Hour))
	if err := s.TouchUser(ctx, seenLongAgo.ID, old); err != nil {
		t.Fatal(err)
	}
	withChecks := newUserAt(t, s, old)
	NewCheck(t, s, withChecks.ID)
	NewCheck(t, s, withChecks.ID)
	disabled := newUserAt(t, s, old)
	if err := s.SetUserDisabled(ctx, disabled.ID, old); err != nil {
		t.Fatal(err)
	}
	linked := newUserAt(t, s, old)
	if err := s.LinkTelegram(ctx, linked.ID, 777, old); err != nil {
		t.Fatal(err)
	}

	var got []persistence.UserActivity
	var after int64
	for {
		page := must[[]persistence.UserActivity](t)(s.InactiveUsers(ctx, cutoff, after, 2))
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].ID
	}
	want := []persistence.UserActivity{
		{ID: never.ID, Slug: never.Slug, CreatedAt: Ms(old)},
		{ID: seenLongAgo.ID, Slug: seenLongAgo.Slug, CreatedAt: Ms(old.Add(-time.Hour)), LastSeenAt: Ms(old)},
		{ID: withChecks.ID, Slug: withChecks.Slug, CreatedAt: Ms(old), Checks: 2},
	}
	diff(t, "inactive users", got, want)

	for _, tc := range []struct {
		name string
		id   int64
		want persistence.UserActivity
	}{
		{"linked", linked.ID, persistence.UserActivity{ID: linked.ID, Slug: linked.Slug, CreatedAt: Ms(old), TelegramLinked: true}},
		{"disabled", disabled.ID, persistence.UserActivity{ID: disabled.ID, Slug: disabled.Slug, CreatedAt: Ms(old), DisabledAt: Ms(old)}},
		{"seen recently", seenRecently.ID, persistence.UserActivity{ID: seenRecently.ID, Slug: seenRecently.Slug, CreatedAt: Ms(old), LastSeenAt: Ms(recent)}},
	} {
		diff(t, "user activity of "+tc.name, must[persistence.UserActivity](t)(s.UserActivityByID(ctx, tc.id)), tc.want)
	}
	_, err := s.UserActivityByID(ctx, linked.ID+1000)
	wantCode(t, err, messages.ENotFound)
}

func testJobLease(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	acquire := func(holder string, now time.Time) bool {
		t.Helper()
		return must[bool](t)(s.AcquireJobLease(ctx, "cleanup", holder, now, now.Add(time.Minute)))
	}
	steps := []struct {
		name   string
		holder string
		now    time.Time
		want   bool
	}{
		{"a free lease is taken", "n1", t0, true},
		{"another node is refused while it runs", "n2", t0.Add(30 * time.Second), false},
		{"the holder renews", "n1", t0.Add(50 * time.Second), true},
		{"the renewal holds it longer", "n2", t0.Add(100 * time.Second), false},
		{"a lapsed lease is taken over", "n2", t0.Add(111 * time.Second), true},
		{"the previous holder is refused", "n1", t0.Add(112 * time.Second), false},
	}
	for _, st := range steps {
		if got := acquire(st.holder, st.now); got != st.want {
			t.Fatalf("%s: acquired %v, want %v", st.name, got, st.want)
		}
	}
	if ok := must[bool](t)(s.AcquireJobLease(ctx, "other job", "n1", t0, t0.Add(time.Minute))); !ok {
		t.Error("leases of other jobs are independent")
	}
	if err := s.ReleaseJobLease(ctx, "cleanup", "n1"); err != nil { // not the holder: nothing
		t.Fatal(err)
	}
	if acquire("n3", t0.Add(113*time.Second)) {
		t.Error("a release by another node ended n2's lease")
	}
	if err := s.ReleaseJobLease(ctx, "cleanup", "n2"); err != nil {
		t.Fatal(err)
	}
	if !acquire("n3", t0.Add(114*time.Second)) {
		t.Error("a released lease was not free")
	}
	_, err := s.AcquireJobLease(ctx, "", "n1", t0, t0)
	wantCode(t, err, messages.EInvalid)
	_, err = s.AcquireJobLease(ctx, "cleanup", "", t0, t0)
	wantCode(t, err, messages.EInvalid)

	// Nodes racing for a free lease: exactly one gets it.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ok, err := s.AcquireJobLease(ctx, "race", RandomHex(4)+string(rune('a'+i)), t0, t0.Add(time.Minute))
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
		t.Errorf("%d nodes took one free lease", n)
	}
}

func testTelegramLinks(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u1, u2 := NewUser(t, s), NewUser(t, s)
	_, err := s.TelegramLinkOf(ctx, u1.ID)
	wantCode(t, err, messages.ENotFound)
	_, err = s.UserByTelegramID(ctx, 42)
	wantCode(t, err, messages.ENotFound)

	if err := s.LinkTelegram(ctx, u1.ID, 42, t0); err != nil {
		t.Fatal(err)
	}
	if id := must[int64](t)(s.TelegramLinkOf(ctx, u1.ID)); id != 42 {
		t.Errorf("linked id %d, want 42", id)
	}
	if got := must[messages.User](t)(s.UserByTelegramID(ctx, 42)); got.ID != u1.ID {
		t.Errorf("Telegram 42 signs in to user %d, want %d", got.ID, u1.ID)
	}
	wantCode(t, s.LinkTelegram(ctx, u2.ID, 42, t0), messages.EConflict)
	wantCode(t, s.LinkTelegram(ctx, u1.ID+1000, 43, t0), messages.ENotFound)

	// Linking another account replaces the user's link.
	if err := s.LinkTelegram(ctx, u1.ID, 43, t0); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserByTelegramID(ctx, 42)
	wantCode(t, err, messages.ENotFound)
	if err := s.LinkTelegram(ctx, u2.ID, 42, t0); err != nil {
		t.Errorf("a released Telegram id could not be linked: %v", err)
	}

	if err := s.UnlinkTelegram(ctx, u1.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserByTelegramID(ctx, 43)
	wantCode(t, err, messages.ENotFound)
	if err := s.UnlinkTelegram(ctx, u1.ID); err != nil {
		t.Errorf("unlinking twice: %v", err)
	}

	// Deleting the user deletes the link.
	if err := s.DeleteUser(ctx, u2.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserByTelegramID(ctx, 42)
	wantCode(t, err, messages.ENotFound)
	if err := s.LinkTelegram(ctx, u1.ID, 42, t0); err != nil {
		t.Errorf("the Telegram id of a deleted user could not be linked: %v", err)
	}
}

func testTelegramLoginSeen(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	h := []byte("0123456789abcdef0123456789abcdef")
	mark := func(hash []byte, now time.Time) bool {
		t.Helper()
		return must[bool](t)(s.MarkTelegramLoginSeen(ctx, hash, now, now.Add(5*time.Minute)))
	}
	steps := []struct {
		name string
		hash []byte
		now  time.Time
		want bool
	}{
		{"first use is fresh", h, t0, true},
		{"a replay is refused", h, t0.Add(time.Minute), false},
		{"another payload is fresh", []byte("other"), t0.Add(time.Minute), true},
		{"still refused just before expiry", h, t0.Add(5*time.Minute - time.Millisecond), false},
		{"an expired record no longer counts", h, t0.Add(5 * time.Minute), true},
		{"and the new record is a replay again", h, t0.Add(6 * time.Minute), false},
	}
	for _, st := range steps {
		if got := mark(st.hash, st.now); got != st.want {
			t.Errorf("%s: fresh %v, want %v", st.name, got, st.want)
		}
	}
	_, err := s.MarkTelegramLoginSeen(ctx, nil, t0, t0.Add(time.Minute))
	wantCode(t, err, messages.EInvalid)

	// Nodes racing with one payload: exactly one accepts it.
	var fresh atomic.Int32
	var wg sync.WaitGroup
	race := []byte("race")
	for range 8 {
		wg.Go(func() {
			ok, err := s.MarkTelegramLoginSeen(ctx, race, t0, t0.Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if n := fresh.Load(); n != 1 {
		t.Errorf("one payload accepted %d times", n)
	}
}
