package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

func ptr[T any](v T) *T { return &v }

// testUserSettings: settings round-trip, nil fields keep their value, an unknown user is
// ErrNotFound.
func testUserSettings(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	got, prefs, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "user by id", got, u)
	diff(t, "default prefs", prefs, messages.UserPrefs{})

	if err := s.UpdateUserSettings(ctx, u.ID, messages.UserSettings{Theme: ptr("arcade"), TZ: ptr("Europe/Berlin")}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateUserSettings(ctx, u.ID, messages.UserSettings{SlugPings: ptr(false), ThemeMode: ptr("dark")}); err != nil {
		t.Fatal(err)
	}
	got, prefs, err = s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SlugPings {
		t.Error("slug_pings still on")
	}
	diff(t, "prefs", prefs, messages.UserPrefs{Theme: "arcade", ThemeMode: "dark", TZ: "Europe/Berlin"})
	wantCode(t, s.UpdateUserSettings(ctx, u.ID+1000, messages.UserSettings{Theme: ptr("x")}), messages.ENotFound)
	_, _, err = s.UserByID(ctx, u.ID+1000)
	wantCode(t, err, messages.ENotFound)
}

// testSessions: create, read, touch (only forwards), delete one, delete all but one, prune.
func testSessions(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u, other := NewUser(t, s), NewUser(t, s)
	mk := func(userID int64, created time.Time) messages.Session {
		ss := messages.Session{TokenHash: []byte(RandomHex(16)), UserID: userID, CreatedAt: created, SeenAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour)}
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		return ss
	}
	a, b, c := mk(u.ID, t0), mk(u.ID, t0), mk(u.ID, t0)
	o := mk(other.ID, t0)
	got, err := s.SessionByHash(ctx, a.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "session", got, a)
	_, err = s.SessionByHash(ctx, []byte("nope"))
	wantCode(t, err, messages.ENotFound)
	_, err = s.SessionByHash(ctx, nil)
	wantCode(t, err, messages.ENotFound)

	if err := s.TouchSession(ctx, a.TokenHash, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, a.TokenHash, t0.Add(time.Minute)); err != nil { // older: ignored
		t.Fatal(err)
	}
	if got, _ := s.SessionByHash(ctx, a.TokenHash); !got.SeenAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("seen_at = %v, want %v", got.SeenAt, t0.Add(time.Hour))
	}

	if err := s.DeleteSession(ctx, c.TokenHash); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, c.TokenHash); err != nil { // already gone: no error
		t.Fatal(err)
	}
	_, err = s.SessionByHash(ctx, c.TokenHash)
	wantCode(t, err, messages.ENotFound)

	n, err := s.DeleteUserSessions(ctx, u.ID, a.TokenHash)
	if err != nil || n != 1 {
		t.Fatalf("delete user sessions but one: %d, %v; want 1", n, err)
	}
	if _, err := s.SessionByHash(ctx, b.TokenHash); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("session b survived: %v", err)
	}
	for _, keep := range []messages.Session{a, o} {
		if _, err := s.SessionByHash(ctx, keep.TokenHash); err != nil {
			t.Errorf("kept session gone: %v", err)
		}
	}

	// Pruning: an idle session and an absolutely expired one go, a fresh one stays.
	idle := mk(other.ID, t0.Add(-48*time.Hour))
	expired := messages.Session{TokenHash: []byte(RandomHex(16)), UserID: other.ID, CreatedAt: t0.Add(-time.Hour), SeenAt: t0, ExpiresAt: t0}
	if err := s.CreateSession(ctx, expired); err != nil {
		t.Fatal(err)
	}
	pruned, err := s.PruneAccounts(ctx, t0, t0.Add(-24*time.Hour))
	if err != nil || pruned != 2 {
		t.Fatalf("prune: %d, %v; want 2", pruned, err)
	}
	for _, gone := range []messages.Session{idle, expired} {
		if _, err := s.SessionByHash(ctx, gone.TokenHash); messages.CodeOf(err) != messages.ENotFound {
			t.Errorf("pruned session still there: %v", err)
		}
	}
	if n, err := s.DeleteUserSessions(ctx, u.ID, nil); err != nil || n != 1 {
		t.Fatalf("delete all sessions: %d, %v; want 1", n, err)
	}
}

// testSetPingKey: the new ping key finds the user, the old one nothing.
func testSetPingKey(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	if err := s.SetPingKey(ctx, u.ID, []byte("sealed2"), []byte("index2")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByPingKeyIndex(ctx, []byte("index2")); err != nil || got.ID != u.ID || !bytes.Equal(got.PingKeyEnc, []byte("sealed2")) {
		t.Fatalf("new ping key: %+v, %v", got, err)
	}
	_, err := s.UserByPingKeyIndex(ctx, u.PingKeyIndex)
	wantCode(t, err, messages.ENotFound)
	wantCode(t, s.SetPingKey(ctx, u.ID+1000, []byte("x"), []byte("y")), messages.ENotFound)
}

// testChangeUserSlug: a released slug is held for its last owner only, for the hold's time.
func testChangeUserSlug(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	a, b := NewUser(t, s), NewUser(t, s)
	hold := t0.Add(24 * time.Hour)
	old, err := s.ChangeUserSlug(ctx, a.ID, "alpha-new", t0, hold)
	if err != nil || old != a.Slug {
		t.Fatalf("change: %q, %v", old, err)
	}
	if got, err := s.UserBySlug(ctx, "alpha-new"); err != nil || got.ID != a.ID {
		t.Fatalf("by new slug: %v, %v", got.ID, err)
	}
	_, err = s.UserBySlug(ctx, a.Slug)
	wantCode(t, err, messages.ENotFound)

	// Another user: refused while held, and for a slug in use.
	_, err = s.ChangeUserSlug(ctx, b.ID, a.Slug, t0.Add(time.Hour), hold)
	wantCode(t, err, messages.EConflict)
	_, err = s.ChangeUserSlug(ctx, b.ID, "alpha-new", t0, hold)
	wantCode(t, err, messages.EConflict)
	for _, tc := range []struct {
		user int64
		at   time.Time
		want bool
	}{{b.ID, t0, true}, {0, t0, true}, {a.ID, t0, false}, {b.ID, hold, false}} {
		if got, err := s.SlugHeld(ctx, a.Slug, tc.user, tc.at); err != nil || got != tc.want {
			t.Errorf("SlugHeld(user %d at %v) = %v, %v; want %v", tc.user, tc.at, got, err, tc.want)
		}
	}
	// Its last owner may take it back; after the hold anyone may.
	if _, err := s.ChangeUserSlug(ctx, a.ID, a.Slug, t0.Add(time.Hour), hold); err != nil {
		t.Fatalf("owner takes the slug back: %v", err)
	}
	if _, err := s.ChangeUserSlug(ctx, a.ID, "alpha-3", t0, hold); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeUserSlug(ctx, b.ID, a.Slug, hold, hold.Add(24*time.Hour)); err != nil {
		t.Fatalf("after the hold: %v", err)
	}
	if old, err := s.ChangeUserSlug(ctx, b.ID, a.Slug, hold, hold); err != nil || old != a.Slug {
		t.Fatalf("unchanged slug: %q, %v", old, err)
	}
	_, err = s.ChangeUserSlug(ctx, 99999, "zzz", t0, hold)
	wantCode(t, err, messages.ENotFound)
}

// testAccountDelete: an account deleted as the account service does it (key retired, then the
// user): its sessions go with it, the key is recognised as retired and the slug held for
// nobody.
func testAccountDelete(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	ss := messages.Session{TokenHash: []byte(RandomHex(16)), UserID: u.ID, CreatedAt: t0, SeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	hold := t0.Add(24 * time.Hour)
	wantCode(t, s.DeleteUser(ctx, u.ID, hold), messages.EConflict)
	commit(t, s, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, Delete: true})
	if err := s.RetireKey(ctx, u.ID, u.AuthKeyHash, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID, hold); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.UserByID(ctx, u.ID)
	wantCode(t, err, messages.ENotFound)
	_, err = s.SessionByHash(ctx, ss.TokenHash)
	wantCode(t, err, messages.ENotFound)
	if rc, err := s.RetiredCredential(ctx, u.AuthKeyHash, t0); err != nil || rc.UserID != u.ID || rc.Kind != messages.RetiredKey {
		t.Errorf("deleted user's key not retired: %+v, %v", rc, err)
	}
	if h, err := s.SlugHeld(ctx, u.Slug, 0, t0); err != nil || !h {
		t.Errorf("deleted user's slug not held: %v, %v", h, err)
	}
	other := NewUser(t, s)
	_, err = s.ChangeUserSlug(ctx, other.ID, u.Slug, t0, hold)
	wantCode(t, err, messages.EConflict)
	wantCode(t, s.DeleteUser(ctx, u.ID, hold), messages.ENotFound)
	if n, err := s.PruneAccounts(ctx, hold, t0); err != nil || n != 1 {
		t.Errorf("prune after the hold: %d, %v; want 1 (the slug hold)", n, err)
	}
}
