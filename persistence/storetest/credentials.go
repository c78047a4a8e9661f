package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// newToken returns a token of the user with every field set (ID by the store).
func newToken(userID int64, prefix string) messages.APIToken {
	return messages.APIToken{
		UserID: userID, Name: "ci " + prefix, Prefix: prefix, Digest: []byte(RandomHex(16)),
		Scopes: "read,write", Networks: "10.0.0.0/8,2001:db8::/32",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}
}

// testAPITokens: tokens round-trip, are found by prefix (any user) and by id only for their
// owner, update and revoke only for their owner, and a revoked token's digest is retired.
func testAPITokens(t *testing.T, s persistence.Store) {
	ctx := context.Background()
	u, other := NewUser(t, s), NewUser(t, s)
	a := newToken(u.ID, "ttr_rw_aaaa")
	if err := s.CreateAPIToken(ctx, &a); err != nil || a.ID == 0 {
		t.Fatalf("create: %v (id %d)", err, a.ID)
	}
	b := newToken(u.ID, "ttr_ro_bbbb")
	b.ExpiresAt, b.Networks, b.Scopes = time.Time{}, "", "read"
	if err := s.CreateAPIToken(ctx, &b); err != nil {
		t.Fatal(err)
	}
	c := newToken(other.ID, "ttr_rw_aaaa") // same prefix, another user
	if err := s.CreateAPIToken(ctx, &c); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAPIToken(ctx, u.ID, a.ID)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("get = %+v, %v; want %+v", got, err, a)
	}
	AssertNoZeroFields(t, withUse(got))
	if _, err := s.GetAPIToken(ctx, other.ID, a.ID); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("another user's token: %v, want not found", err)
	}
	if owner, err := s.APITokenUser(ctx, c.ID); err != nil || owner.ID != other.ID {
		t.Errorf("token user = %+v, %v; want user %d", owner, err, other.ID)
	}
	list, err := s.ListAPITokens(ctx, u.ID, 10)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID || !list[1].ExpiresAt.IsZero() {
		t.Errorf("list = %+v, %v", list, err)
	}
	if n, err := s.CountAPITokens(ctx, u.ID); err != nil || n != 2 {
		t.Errorf("count = %d, %v; want 2", n, err)
	}
	byPrefix, err := s.APITokensByPrefix(ctx, "ttr_rw_aaaa")
	if err != nil || len(byPrefix) != 2 {
		t.Errorf("by prefix = %+v, %v; want both users' tokens", byPrefix, err)
	}
	if none, err := s.APITokensByPrefix(ctx, "ttr_rw_zzzz"); err != nil || len(none) != 0 {
		t.Errorf("unknown prefix = %+v, %v", none, err)
	}

	// Update: the owner only; name, expiry and networks.
	upd := a
	upd.Name, upd.ExpiresAt, upd.Networks = "renamed", time.Time{}, ""
	if err := s.UpdateAPIToken(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetAPIToken(ctx, u.ID, a.ID); got.Name != "renamed" || !got.ExpiresAt.IsZero() || got.Networks != "" || got.Scopes != a.Scopes {
		t.Errorf("after update: %+v", got)
	}
	stolen := c
	stolen.UserID = u.ID
	if err := s.UpdateAPIToken(ctx, stolen); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("update another user's token: %v, want not found", err)
	}

	// Last use: written when older than notBefore, not otherwise.
	use := t0.Add(time.Minute)
	if err := s.TouchAPIToken(ctx, a.ID, use, use.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchAPIToken(ctx, a.ID, use.Add(30*time.Second), use.Add(-30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetAPIToken(ctx, u.ID, a.ID); !got.LastUsedAt.Equal(use) {
		t.Errorf("last used %v, want %v (the second touch was within the minute)", got.LastUsedAt, use)
	}

	// Revoke: the owner only; the digest is retired.
	if err := s.RevokeAPIToken(ctx, other.ID, a.ID, t0); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("revoke another user's token: %v, want not found", err)
	}
	at := t0.Add(2 * time.Minute)
	if err := s.RevokeAPIToken(ctx, u.ID, a.ID, at); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAPIToken(ctx, u.ID, a.ID); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("revoked token still there: %v", err)
	}
	if err := s.RevokeAPIToken(ctx, u.ID, a.ID, at); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("revoke twice: %v, want not found", err)
	}
	if _, err := s.APITokenUser(ctx, a.ID); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("revoked token's user: %v, want not found", err)
	}
	rc, err := s.RetiredCredential(ctx, a.Digest, at.Add(-time.Hour))
	if want := (messages.RetiredCredential{Kind: messages.RetiredToken, UserID: u.ID, RetiredAt: at}); err != nil || rc != want {
		t.Errorf("retired = %+v, %v; want %+v", rc, err, want)
	}
}

// withUse fills the one field a new token lacks, for AssertNoZeroFields.
func withUse(t messages.APIToken) messages.APIToken {
	t.LastUsedAt = t0
	return t
}

// testRetiredKeys: a retired key is found while recent, a replaced key is retired, the
// replacement is conditional on the old key, and pruning removes old rows in batches.
func testRetiredKeys(t *testing.T, s persistence.Store) {
	ctx := context.Background()
	u := NewUser(t, s)
	if err := s.RetireKey(ctx, u.ID, []byte("old-key-digest"), t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RetireKey(ctx, u.ID, []byte("old-key-digest"), t0.Add(time.Hour)); err != nil {
		t.Fatalf("retire again: %v", err)
	}
	tests := []struct {
		name   string
		digest string
		since  time.Time
		found  bool
	}{
		{"recent", "old-key-digest", t0.Add(-24 * time.Hour), true},
		{"at the boundary", "old-key-digest", t0, true},
		{"too old (the first time is kept)", "old-key-digest", t0.Add(time.Minute), false},
		{"never retired", "other", t0.Add(-24 * time.Hour), false},
		{"empty", "", t0.Add(-24 * time.Hour), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := s.RetiredCredential(ctx, []byte(tc.digest), tc.since)
			if tc.found {
				if want := (messages.RetiredCredential{Kind: messages.RetiredKey, UserID: u.ID, RetiredAt: t0}); err != nil || rc != want {
					t.Errorf("= %+v, %v; want %+v", rc, err, want)
				}
			} else if messages.CodeOf(err) != messages.ENotFound {
				t.Errorf("= %+v, %v; want not found", rc, err)
			}
		})
	}

	newHash := []byte(RandomHex(16))
	if err := s.ReplaceAuthKey(ctx, u.ID, []byte("not the key"), newHash, t0); messages.CodeOf(err) != messages.EConflict {
		t.Errorf("replace with a wrong old key: %v, want conflict", err)
	}
	if err := s.ReplaceAuthKey(ctx, u.ID, u.AuthKeyHash, newHash, t0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByAuthKeyHash(ctx, newHash); err != nil || got.ID != u.ID {
		t.Errorf("new key: %+v, %v", got, err)
	}
	if _, err := s.UserByAuthKeyHash(ctx, u.AuthKeyHash); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("old key still matches: %v", err)
	}
	if rc, err := s.RetiredCredential(ctx, u.AuthKeyHash, t0); err != nil || rc.Kind != messages.RetiredKey {
		t.Errorf("old key not retired: %+v, %v", rc, err)
	}

	for i := range 5 {
		if err := s.RetireKey(ctx, u.ID, []byte(RandomHex(8)), t0.Add(-48*time.Hour-time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	cutoff := t0.Add(-24 * time.Hour)
	if n, err := s.PruneRetired(ctx, cutoff, 3); err != nil || n != 3 {
		t.Errorf("prune batch = %d, %v; want 3", n, err)
	}
	if n, err := s.PruneRetired(ctx, cutoff, 3); err != nil || n != 2 {
		t.Errorf("prune rest = %d, %v; want 2", n, err)
	}
	if _, err := s.RetiredCredential(ctx, []byte("old-key-digest"), cutoff); err != nil {
		t.Errorf("a recent retired key was pruned: %v", err)
	}
}

// testKeyNetworks: none by default, set, replace, clear; per user.
func testKeyNetworks(t *testing.T, s persistence.Store) {
	ctx := context.Background()
	u, other := NewUser(t, s), NewUser(t, s)
	for _, step := range []struct{ set, want string }{
		{"", ""}, {"10.0.0.0/8", "10.0.0.0/8"}, {"192.0.2.0/24,2001:db8::/32", "192.0.2.0/24,2001:db8::/32"}, {"", ""},
	} {
		if step.set != "" || step.want == "" {
			if err := s.SetKeyNetworks(ctx, u.ID, step.set); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.KeyNetworks(ctx, u.ID); err != nil || got != step.want {
			t.Errorf("after setting %q: %q, %v", step.set, got, err)
		}
	}
	if err := s.SetKeyNetworks(ctx, u.ID, "10.0.0.0/8"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.KeyNetworks(ctx, other.ID); err != nil || got != "" {
		t.Errorf("another user's networks: %q, %v", got, err)
	}
}

// testAudit: events round-trip, list newest first per user with a cursor, admins list
// everyone's (unknown credentials included), and pruning deletes old rows in batches.
func testAudit(t *testing.T, s persistence.Store) {
	ctx := context.Background()
	u, other := NewUser(t, s), NewUser(t, s)
	var mine []messages.AuditEvent
	for i := range 5 {
		e := messages.AuditEvent{UserID: u.ID, At: t0.Add(time.Duration(i) * time.Minute), Event: "auth", Method: "token",
			Credential: "token:7", Outcome: "success", Reason: "ok", IPHash: []byte(RandomHex(8)), UAFamily: "curl"}
		if err := s.InsertAudit(ctx, &e); err != nil || e.ID == 0 {
			t.Fatalf("insert: %v", err)
		}
		AssertNoZeroFields(t, e)
		mine = append(mine, e)
		for _, uid := range []int64{other.ID, 0} {
			o := messages.AuditEvent{UserID: uid, At: e.At, Event: "auth", Outcome: "failure", Reason: "unknown"}
			if err := s.InsertAudit(ctx, &o); err != nil {
				t.Fatal(err)
			}
		}
	}
	page, err := s.ListAudit(ctx, u.ID, 0, 3)
	if err != nil || len(page) != 3 || !reflect.DeepEqual(page[0], mine[4]) || page[2].ID != mine[2].ID {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	rest, err := s.ListAudit(ctx, u.ID, page[2].ID, 3)
	if err != nil || len(rest) != 2 || rest[0].ID != mine[1].ID || rest[1].ID != mine[0].ID {
		t.Errorf("second page = %+v, %v", rest, err)
	}
	all, err := s.ListAllAudit(ctx, 0, 100)
	if err != nil || len(all) != 15 {
		t.Errorf("all = %d rows, %v; want 15", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Fatalf("all not newest first at %d", i)
		}
	}
	if _, err := s.ListAudit(ctx, u.ID, 0, 0); messages.CodeOf(err) != messages.EInvalid {
		t.Errorf("limit 0: %v, want invalid", err)
	}
	// Events before t0+2m: 2 of each of three users = 6.
	if n, err := s.PruneAudit(ctx, t0.Add(2*time.Minute), 4); err != nil || n != 4 {
		t.Errorf("prune batch = %d, %v; want 4", n, err)
	}
	if n, err := s.PruneAudit(ctx, t0.Add(2*time.Minute), 4); err != nil || n != 2 {
		t.Errorf("prune rest = %d, %v; want 2", n, err)
	}
	if left, _ := s.ListAudit(ctx, u.ID, 0, 100); len(left) != 3 {
		t.Errorf("after prune: %d of the user's events, want 3", len(left))
	}
}
