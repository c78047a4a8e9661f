package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// --- operator accounts ---------------------------------------------------------------------

func testAdmins(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	a := persistence.Admin{Username: "root", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", CreatedAt: Ms(t0)}
	if err := s.CreateAdmin(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 {
		t.Fatal("CreateAdmin did not set the id")
	}
	a.UpdatedAt = a.CreatedAt
	diff(t, "admin by username", must[persistence.Admin](t)(s.AdminByUsername(ctx, "root")), a)
	diff(t, "admin by id", must[persistence.Admin](t)(s.AdminByID(ctx, a.ID)), a)
	wantCode(t, s.CreateAdmin(ctx, &persistence.Admin{Username: "root", PasswordHash: "x", CreatedAt: Ms(t0)}), messages.EConflict)
	b := persistence.Admin{Username: "alice", PasswordHash: "y", CreatedAt: Ms(t0)}
	if err := s.CreateAdmin(ctx, &b); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range must[[]persistence.Admin](t)(s.ListAdmins(ctx)) {
		names = append(names, x.Username)
	}
	diff(t, "admins by username", names, []string{"alice", "root"})

	// A new password ends the admin's refresh tokens, not another admin's.
	for _, rt := range []persistence.RefreshToken{
		{JTI: "r1", Family: "f1", AdminID: a.ID, ExpiresAt: Ms(t0.Add(time.Hour))},
		{JTI: "r2", Family: "f2", AdminID: b.ID, ExpiresAt: Ms(t0.Add(time.Hour))},
	} {
		if err := s.AddRefreshToken(ctx, rt); err != nil {
			t.Fatal(err)
		}
	}
	later := Ms(t0.Add(time.Minute))
	if err := s.SetAdminPassword(ctx, "root", "new-hash", later); err != nil {
		t.Fatal(err)
	}
	got := must[persistence.Admin](t)(s.AdminByUsername(ctx, "root"))
	if got.PasswordHash != "new-hash" || !got.UpdatedAt.Equal(later) || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Errorf("after a new password: %+v", got)
	}
	if out := rotate(t, s, "r1", "r1b", t0); out != persistence.RefreshUnknown {
		t.Errorf("the admin's refresh token after a new password: %v, want unknown", out)
	}
	if out := rotate(t, s, "r2", "r2b", t0); out != persistence.RefreshRotated {
		t.Errorf("another admin's refresh token after a new password: %v, want rotated", out)
	}
	wantCode(t, s.SetAdminPassword(ctx, "nobody", "h", later), messages.ENotFound)

	if err := s.DeleteAdmin(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if out := rotate(t, s, "r2b", "r2c", t0); out != persistence.RefreshUnknown {
		t.Errorf("a deleted admin's refresh token: %v, want unknown", out)
	}
	_, err := s.AdminByUsername(ctx, "alice")
	wantCode(t, err, messages.ENotFound)
	_, err = s.AdminByID(ctx, b.ID)
	wantCode(t, err, messages.ENotFound)
	wantCode(t, s.DeleteAdmin(ctx, "alice"), messages.ENotFound)
}

// rotate spends used and allow-lists next (expiring an hour after now).
func rotate(t *testing.T, s persistence.Store, used, next string, now time.Time) persistence.RefreshOutcome {
	t.Helper()
	n := persistence.RefreshToken{JTI: next, ExpiresAt: Ms(now.Add(time.Hour))}
	out, err := s.RotateRefreshToken(ctxT(t), used, &n, now)
	if err != nil {
		t.Fatalf("rotate %s: %v", used, err)
	}
	return out
}

func testRefreshRotation(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	add := func(jti, family string, expires time.Time) {
		t.Helper()
		if err := s.AddRefreshToken(ctx, persistence.RefreshToken{JTI: jti, Family: family, AdminID: 7, ExpiresAt: Ms(expires)}); err != nil {
			t.Fatal(err)
		}
	}
	add("a1", "fa", t0.Add(time.Hour))
	next := persistence.RefreshToken{JTI: "a2", ExpiresAt: Ms(t0.Add(2 * time.Hour))}
	out, err := s.RotateRefreshToken(ctx, "a1", &next, t0)
	if err != nil || out != persistence.RefreshRotated {
		t.Fatalf("first rotation: %v, %v", out, err)
	}
	if next.Family != "fa" || next.AdminID != 7 {
		t.Errorf("the next token was given family %q, admin %d; want fa, 7", next.Family, next.AdminID)
	}
	if out := rotate(t, s, "a2", "a3", t0); out != persistence.RefreshRotated {
		t.Fatalf("second rotation: %v", out)
	}
	// The spent a1 presented again: reuse, and the whole family (a3 included) is revoked.
	if out := rotate(t, s, "a1", "x", t0); out != persistence.RefreshReused {
		t.Fatalf("reuse of a spent token: %v, want reused", out)
	}
	if out := rotate(t, s, "a3", "a4", t0); out != persistence.RefreshUnknown {
		t.Fatalf("the family's newest token after a reuse: %v, want unknown", out)
	}

	add("e1", "fe", t0)
	if out := rotate(t, s, "e1", "e2", t0); out != persistence.RefreshUnknown {
		t.Errorf("an expired token: %v, want unknown", out)
	}
	if out := rotate(t, s, "never", "n2", t0); out != persistence.RefreshUnknown {
		t.Errorf("an unknown token: %v, want unknown", out)
	}
	add("l1", "fl", t0.Add(time.Hour))
	if err := s.RevokeRefreshFamily(ctx, "fl"); err != nil {
		t.Fatal(err)
	}
	if out := rotate(t, s, "l1", "l2", t0); out != persistence.RefreshUnknown {
		t.Errorf("a token of a family logged out: %v, want unknown", out)
	}

	// Two rotations of one token at once: one wins, the other is a reuse.
	add("c1", "fc", t0.Add(time.Hour))
	var (
		wg   sync.WaitGroup
		outs [2]persistence.RefreshOutcome
	)
	for i := range outs {
		wg.Go(func() { outs[i] = rotate(t, s, "c1", fmt.Sprintf("c2-%d", i), t0) })
	}
	wg.Wait()
	if !(outs[0] == persistence.RefreshRotated && outs[1] == persistence.RefreshReused ||
		outs[1] == persistence.RefreshRotated && outs[0] == persistence.RefreshReused) {
		t.Errorf("concurrent rotations: %v, want one rotated and one reused", outs)
	}

	// Pruning drops what expired.
	add("p1", "fp", t0.Add(-time.Hour))
	if n := must[int64](t)(s.PruneAdminTokens(ctx, t0)); n < 1 {
		t.Errorf("pruned %d rows, want at least the expired token", n)
	}
}

func testRevokedAccess(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	if must[bool](t)(s.AccessTokenRevoked(ctx, "j1")) {
		t.Fatal("a token never revoked reads as revoked")
	}
	for range 2 { // revoking twice is no error
		if err := s.RevokeAccessToken(ctx, "j1", t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if !must[bool](t)(s.AccessTokenRevoked(ctx, "j1")) {
		t.Fatal("a revoked token reads as valid")
	}
	if n := must[int64](t)(s.PruneAdminTokens(ctx, t0)); n != 0 {
		t.Errorf("pruned %d revocations still in force", n)
	}
	if n := must[int64](t)(s.PruneAdminTokens(ctx, t0.Add(11*time.Minute))); n != 1 {
		t.Errorf("pruned %d rows after the token expired, want 1", n)
	}
}

func testMetricsTokens(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	tok := persistence.MetricsToken{Name: "prometheus", Prefix: "ttr_mx_ab", Hash: []byte(RandomHex(16)), CreatedAt: Ms(t0)}
	if err := s.CreateMetricsToken(ctx, &tok); err != nil {
		t.Fatal(err)
	}
	diff(t, "metrics token by hash", must[persistence.MetricsToken](t)(s.MetricsTokenByHash(ctx, tok.Hash)), tok)
	_, err := s.MetricsTokenByHash(ctx, []byte("other"))
	wantCode(t, err, messages.ENotFound)
	_, err = s.MetricsTokenByHash(ctx, nil)
	wantCode(t, err, messages.ENotFound)

	if err := s.RevokeMetricsToken(ctx, tok.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err = s.MetricsTokenByHash(ctx, tok.Hash)
	wantCode(t, err, messages.ENotFound)
	list := must[[]persistence.MetricsToken](t)(s.ListMetricsTokens(ctx))
	if len(list) != 1 || !list[0].RevokedAt.Equal(Ms(t0.Add(time.Minute))) {
		t.Errorf("list after revoking: %+v", list)
	}
	wantCode(t, s.RevokeMetricsToken(ctx, tok.ID+100, t0), messages.ENotFound)
}

// --- admin queries across users ------------------------------------------------------------

func testSiteUsers(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u1, u2, u3 := NewUser(t, s), NewUser(t, s), NewUser(t, s)
	c := NewCheck(t, s, u2.ID)
	NewCheck(t, s, u2.ID)
	w := upWrite(c, t0)
	wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)

	if err := s.SetUserDisabled(ctx, u1.ID, t0); err != nil {
		t.Fatal(err)
	}
	if got := must[messages.User](t)(s.UserByAuthKeyHash(ctx, u1.AuthKeyHash)); !got.DisabledAt.Equal(Ms(t0)) {
		t.Errorf("disabled user reads DisabledAt %v, want %v", got.DisabledAt, t0)
	}
	wantCode(t, s.SetUserDisabled(ctx, u3.ID+1000, t0), messages.ENotFound)

	page := must[[]persistence.UserSummary](t)(s.ListUsers(ctx, 0, 2))
	if len(page) != 2 || page[0].ID != u1.ID || page[1].ID != u2.ID {
		t.Fatalf("first page: %+v", page)
	}
	if !page[0].DisabledAt.Equal(Ms(t0)) || page[0].Checks != 0 || !page[0].LastPing.IsZero() {
		t.Errorf("disabled user without checks: %+v", page[0])
	}
	if page[1].Checks != 2 || !page[1].LastPing.Equal(Ms(t0)) || !page[1].DisabledAt.IsZero() || page[1].Slug != u2.Slug {
		t.Errorf("user with two checks, one pinged at t0: %+v", page[1])
	}
	if len(page[1].KeyHashPrefix) != 8 {
		t.Errorf("key hash prefix %q, want 8 hex digits", page[1].KeyHashPrefix)
	}
	rest := must[[]persistence.UserSummary](t)(s.ListUsers(ctx, page[1].ID, 2))
	if len(rest) != 1 || rest[0].ID != u3.ID {
		t.Errorf("second page: %+v", rest)
	}

	// Enabling clears it.
	if err := s.SetUserDisabled(ctx, u1.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := must[messages.User](t)(s.UserBySlug(ctx, u1.Slug)); !got.DisabledAt.IsZero() {
		t.Errorf("enabled user reads DisabledAt %v", got.DisabledAt)
	}
}

func testSearchChecks(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u1, u2 := NewUser(t, s), NewUser(t, s)
	named := func(u messages.User, name, slug string) messages.Check {
		return NewCheck(t, s, u.ID, func(c *messages.Check) { c.Name, c.Slug = name, slug })
	}
	a := named(u1, "Nightly Backup", "backup")
	b := named(u2, "backup of db", "db")
	named(u2, "100% cpu", "cpu")
	d := named(u1, "weekly", "under_score")

	ids := func(q string, after int64, limit int) []int64 {
		var out []int64
		for _, c := range must[[]persistence.CheckSummary](t)(s.SearchChecks(ctx, q, after, limit)) {
			out = append(out, c.ID)
		}
		return out
	}
	diff(t, "BACKUP across users", ids("BACKUP", 0, 10), []int64{a.ID, b.ID})
	diff(t, "second page", ids("backup", a.ID, 10), []int64{b.ID})
	diff(t, "a literal %", ids("0%", 0, 10), []int64{c3(t, s, u2, "cpu")})
	diff(t, "a literal _", ids("_", 0, 10), []int64{d.ID})
	if got := ids("", 0, 10); len(got) != 4 {
		t.Errorf("empty query: %v, want all 4 checks", got)
	}
	got := must[[]persistence.CheckSummary](t)(s.SearchChecks(ctx, "db", 0, 1))
	if len(got) != 1 || got[0].UserID != u2.ID || got[0].UserSlug != u2.Slug || got[0].Name != "backup of db" || got[0].Status != "new" {
		t.Errorf("summary: %+v", got)
	}
	_, err := s.SearchChecks(ctx, "", 0, 0)
	wantCode(t, err, messages.EInvalid)
}

// c3 returns the id of the user's check with slug.
func c3(t *testing.T, s persistence.Store, u messages.User, slug string) int64 {
	t.Helper()
	return must[messages.CheckRef](t)(s.ResolveSlug(ctxT(t), u.ID, slug)).ID
}

func testDeleteUser(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	wantCode(t, s.DeleteUser(ctx, u.ID, t0.Add(24*time.Hour)), messages.EConflict)
	wantKinds(t, commit(t, s, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, Delete: true}), persistence.OutcomeCommitted)
	if err := s.DeleteUser(ctx, u.ID, t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err := s.UserBySlug(ctx, u.Slug)
	wantCode(t, err, messages.ENotFound)
	wantCode(t, s.DeleteUser(ctx, u.ID, t0.Add(24*time.Hour)), messages.ENotFound)
}

func testSiteStats(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u1, u2 := NewUser(t, s), NewUser(t, s)
	if err := s.SetUserDisabled(ctx, u2.ID, t0); err != nil {
		t.Fatal(err)
	}
	c := NewCheck(t, s, u1.ID)
	NewCheck(t, s, u1.ID)
	NewCheck(t, s, u2.ID)
	old := upWrite(c, t0.Add(-2*time.Minute))
	wantKinds(t, commit(t, s, old), persistence.OutcomeCommitted)
	c = applied(c, old)
	w := upWrite(c, t0)
	w.Outbox = []messages.OutboxRow{outboxRow(u1, c.ID, "d", "k1"), outboxRow(u1, c.ID, "d", "k2")}
	wantKinds(t, commit(t, s, w), persistence.OutcomeCommitted)
	rows := must[[]messages.OutboxRow](t)(s.PendingOutbox(ctx, "d", 10))
	if ok := must[bool](t)(s.ClaimOutbox(ctx, rows[0].ID, "n1", t0, t0.Add(time.Minute))); !ok {
		t.Fatal("claim")
	}
	if ok := must[bool](t)(s.FinishOutbox(ctx, persistence.OutboxResult{ID: rows[0].ID, Node: "n1", Status: messages.OutboxDelivered,
		Attempts: 1, DeliveredAt: Ms(t0), At: Ms(t0)})); !ok {
		t.Fatal("finish")
	}

	st := must[persistence.SiteStats](t)(s.SiteStats(ctx, t0.Add(time.Second)))
	want := persistence.SiteStats{Users: 2, DisabledUsers: 1, Checks: persistence.Stats{Total: 3, New: 2, Up: 1},
		PingsLastMinute: 1, AlertsLastMinute: 1, OutboxPending: 1}
	diff(t, "site stats", st, want)
}
