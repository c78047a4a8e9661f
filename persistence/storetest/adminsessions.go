package storetest

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// testAdminSessions: admin browser sessions are stored by hash, touched forward only, end one
// by one, with a new password or the admin's deletion, and are pruned when expired or idle.
func testAdminSessions(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	newAdmin := func(name string) persistence.Admin {
		a := persistence.Admin{Username: name, PasswordHash: "h", CreatedAt: Ms(t0)}
		if err := s.CreateAdmin(ctx, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	root, alice := newAdmin("root"), newAdmin("alice")
	sess := func(hash string, admin int64, seen, expires time.Time) persistence.AdminSession {
		a := persistence.AdminSession{TokenHash: []byte(hash), AdminID: admin, CreatedAt: Ms(t0), SeenAt: Ms(seen), ExpiresAt: Ms(expires)}
		if err := s.CreateAdminSession(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1 := sess("a1", root.ID, t0, t0.Add(8*time.Hour))
	diff(t, "admin session by hash", must[persistence.AdminSession](t)(s.AdminSessionByHash(ctx, []byte("a1"))), a1)
	_, err := s.AdminSessionByHash(ctx, []byte("none"))
	wantCode(t, err, messages.ENotFound)

	if err := s.TouchAdminSession(ctx, []byte("a1"), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchAdminSession(ctx, []byte("a1"), t0); err != nil { // never back
		t.Fatal(err)
	}
	if got := must[persistence.AdminSession](t)(s.AdminSessionByHash(ctx, []byte("a1"))); !got.SeenAt.Equal(Ms(t0.Add(time.Minute))) {
		t.Errorf("seen_at after touches: %v", got.SeenAt)
	}
	if err := s.DeleteAdminSession(ctx, []byte("a1")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAdminSession(ctx, []byte("a1")); err != nil {
		t.Fatalf("deleting a session twice: %v", err)
	}

	// A new password, or the admin's deletion, ends their sessions and no one else's.
	sess("r", root.ID, t0, t0.Add(time.Hour))
	sess("al", alice.ID, t0, t0.Add(time.Hour))
	if err := s.SetAdminPassword(ctx, "root", "new", t0); err != nil {
		t.Fatal(err)
	}
	_, err = s.AdminSessionByHash(ctx, []byte("r"))
	wantCode(t, err, messages.ENotFound)
	must[persistence.AdminSession](t)(s.AdminSessionByHash(ctx, []byte("al")))
	if err := s.DeleteAdmin(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err = s.AdminSessionByHash(ctx, []byte("al"))
	wantCode(t, err, messages.ENotFound)

	// Pruning: expired absolutely, or idle since before the cut-off.
	sess("live", root.ID, t0.Add(time.Hour), t0.Add(8*time.Hour))
	sess("expired", root.ID, t0.Add(time.Hour), t0.Add(time.Hour))
	sess("idle", root.ID, t0, t0.Add(8*time.Hour))
	n, err := s.PruneAdminSessions(ctx, t0.Add(time.Hour), t0.Add(30*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("pruned %d (%v), want 2", n, err)
	}
	must[persistence.AdminSession](t)(s.AdminSessionByHash(ctx, []byte("live")))
}
