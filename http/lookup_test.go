package http_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/pingpath"
	"github.com/ttr-rip/ttr/messages"
)

const (
	lkUUID1 = "11111111-1111-4111-8111-111111111111"
	lkUUID2 = "22222222-2222-4222-8222-222222222222"
	lkUUID3 = "33333333-3333-4333-8333-333333333333"
	lkKey1  = "pingkeyONE_1"
	lkKey2  = "pingkeyTWO_2"
)

// newLookupWorld has user 1 (slug "alice", key lkKey1) with checks 11 "backup" (lkUUID1) and
// 12 (slug = its uuid lkUUID2), and user 2 ("bob", lkKey2) with check 21 "backup" (lkUUID3).
func newLookupWorld(tb testing.TB) *pingWorld {
	w := newPingWorld(tb)
	w.addUser(1, "alice", lkKey1)
	w.addUser(2, "bob", lkKey2)
	w.addCheck(11, 1, lkUUID1, "backup")
	w.addCheck(12, 1, lkUUID2, lkUUID2)
	w.addCheck(21, 2, lkUUID3, "backup")
	return w
}

func newLookupResolver(tb testing.TB, w *pingWorld, clk *pingClock, cfg http.ResolverConfig) *http.Resolver {
	tb.Helper()
	return http.NewResolver(w.store(), w.ring, clk.Now, cfg)
}

func mustKey(tb testing.TB, r *http.Resolver, path string) http.LookupKey {
	tb.Helper()
	t, err := pingpath.Parse(path)
	if err != nil {
		tb.Fatalf("Parse(%q): %v", path, err)
	}
	k, err := r.Key(t)
	if err != nil {
		tb.Fatalf("Key(%q): %v", path, err)
	}
	return k
}

func TestResolverResolves(t *testing.T) {
	tests := []struct {
		path   string
		wantID int64 // 0 = not found
	}{
		{"/ping/" + lkUUID1, 11},
		{"/ping/" + strings.ToUpper(lkUUID3), 21},
		{"/ping/44444444-4444-4444-8444-444444444444", 0},
		{"/ping/" + lkKey1 + "/backup", 11},
		{"/ping/" + lkKey2 + "/backup", 21},
		{"/ping/" + lkKey1 + "/" + lkUUID2, 12}, // a slug that is the check's own uuid
		{"/ping/" + lkKey1 + "/" + lkUUID1, 0},  // ping-key URLs name checks by slug only
		{"/ping/" + lkKey1 + "/nope", 0},
		{"/ping/unknownkey/backup", 0},
		{"/p/alice/backup", 11},
		{"/p/bob/backup", 21},
		{"/p/alice/" + lkUUID1, 11},
		{"/p/alice/" + strings.ToUpper(lkUUID2), 12},
		{"/p/alice/" + lkUUID3, 0}, // bob's check through alice's slug
		{"/p/alice/nope", 0},
		{"/p/carol/backup", 0},
		{"/p/alice/Backup", 0},    // not a slug: no query
		{"/p/alice/123", 0},       // all digits: no query
		{"/p/alice/start", 0},     // reserved: no query
		{"/p/alice/badge.svg", 0}, // reserved: no query
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := newLookupWorld(t)
			r := newLookupResolver(t, w, newPingClock(), http.ResolverConfig{})
			ref, created, err := r.Resolve(context.Background(), mustKey(t, r, tt.path), false)
			if created {
				t.Error("created without create")
			}
			if tt.wantID == 0 {
				if messages.CodeOf(err) != messages.ENotFound {
					t.Fatalf("Resolve = %+v, %v; want not found", ref, err)
				}
				return
			}
			if err != nil || ref.ID != tt.wantID {
				t.Fatalf("Resolve = %+v, %v; want check %d", ref, err, tt.wantID)
			}
		})
	}
}

func TestResolverSkipsStoreForImpossibleRefs(t *testing.T) {
	w := newLookupWorld(t)
	r := newLookupResolver(t, w, newPingClock(), http.ResolverConfig{})
	for _, p := range []string{"/p/alice/Backup", "/p/alice/123", "/ping/" + lkKey1 + "/start", "/p/alice/a.b"} {
		if _, _, err := r.Resolve(context.Background(), mustKey(t, r, p), false); messages.CodeOf(err) != messages.ENotFound {
			t.Errorf("%s: err = %v, want not found", p, err)
		}
	}
	if n := w.totalCalls(); n != 0 {
		t.Errorf("store calls = %d, want 0", n)
	}
}

func TestResolverPositiveTTL(t *testing.T) {
	w := newLookupWorld(t)
	clk := newPingClock()
	r := newLookupResolver(t, w, clk, http.ResolverConfig{PositiveTTL: 2 * time.Hour}) // lowered to 1 h
	k := mustKey(t, r, "/p/alice/backup")
	resolve := func() messages.CheckRef {
		t.Helper()
		ref, _, err := r.Resolve(context.Background(), k, false)
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	resolve()
	clk.Advance(59 * time.Minute)
	resolve()
	if n := w.count("ResolveSlug"); n != 1 {
		t.Fatalf("after 59 min: ResolveSlug calls = %d, want 1 (cached)", n)
	}
	// The slug moves to another check: the cache may only serve the old answer for an hour.
	w.renameCheck(11, "old")
	w.addCheck(13, 1, "55555555-5555-4555-8555-555555555555", "backup")
	clk.Advance(time.Minute)
	if ref := resolve(); ref.ID != 13 {
		t.Fatalf("after 1 h: resolved check %d, want 13", ref.ID)
	}
	if n := w.count("ResolveSlug"); n != 2 {
		t.Fatalf("after 1 h: ResolveSlug calls = %d, want 2", n)
	}
}

func TestResolverNegativeTTL(t *testing.T) {
	w := newLookupWorld(t)
	clk := newPingClock()
	r := newLookupResolver(t, w, clk, http.ResolverConfig{NegativeTTL: time.Minute}) // lowered to 1 s
	k := mustKey(t, r, "/ping/"+lkKey1+"/fresh")
	for i := range 3 {
		if _, _, err := r.Resolve(context.Background(), k, false); messages.CodeOf(err) != messages.ENotFound {
			t.Fatalf("resolve %d: err = %v, want not found", i, err)
		}
	}
	if n := w.count("ResolveSlug"); n != 1 {
		t.Fatalf("ResolveSlug calls = %d, want 1 (negative entry cached)", n)
	}
	w.addCheck(14, 1, "66666666-6666-4666-8666-666666666666", "fresh")
	clk.Advance(999 * time.Millisecond)
	if _, _, err := r.Resolve(context.Background(), k, false); messages.CodeOf(err) != messages.ENotFound {
		t.Fatalf("within 1 s: err = %v, want the cached not found", err)
	}
	clk.Advance(time.Millisecond)
	ref, _, err := r.Resolve(context.Background(), k, false)
	if err != nil || ref.ID != 14 {
		t.Fatalf("after 1 s: %+v, %v; want check 14", ref, err)
	}
}

func TestResolverEvict(t *testing.T) {
	w := newLookupWorld(t)
	r := newLookupResolver(t, w, newPingClock(), http.ResolverConfig{})
	k := mustKey(t, r, "/ping/"+lkUUID1)
	for range 2 {
		if _, _, err := r.Resolve(context.Background(), k, false); err != nil {
			t.Fatal(err)
		}
	}
	r.Evict(k)
	if _, _, err := r.Resolve(context.Background(), k, false); err != nil {
		t.Fatal(err)
	}
	if n := w.count("ResolveUUID"); n != 2 {
		t.Fatalf("ResolveUUID calls = %d, want 2 (one before, one after Evict)", n)
	}
}

func TestResolverErrorsAreNotCached(t *testing.T) {
	w := newLookupWorld(t)
	r := newLookupResolver(t, w, newPingClock(), http.ResolverConfig{})
	k := mustKey(t, r, "/p/alice/backup")
	w.setDown(true)
	if _, _, err := r.Resolve(context.Background(), k, false); messages.CodeOf(err) != messages.EUnavailable {
		t.Fatalf("store down: err = %v, want unavailable", err)
	}
	w.setDown(false)
	if ref, _, err := r.Resolve(context.Background(), k, false); err != nil || ref.ID != 11 {
		t.Fatalf("store back: %+v, %v; want check 11 at once", ref, err)
	}
}

func TestResolverSlugPingsOff(t *testing.T) {
	w := newLookupWorld(t)
	w.setSlugPings(1, false)
	r := newLookupResolver(t, w, newPingClock(), http.ResolverConfig{})
	for _, p := range []string{"/p/alice/backup", "/p/alice/" + lkUUID1} {
		if _, _, err := r.Resolve(context.Background(), mustKey(t, r, p), false); messages.CodeOf(err) != messages.ENotFound {
			t.Errorf("%s: err = %v, want not found", p, err)
		}
	}
	for _, p := range []string{"/ping/" + lkUUID1, "/ping/" + lkKey1 + "/backup"} {
		if ref, _, err := r.Resolve(context.Background(), mustKey(t, r, p), false); err != nil || ref.ID != 11 {
			t.Errorf("%s: %+v, %v; want check 11", p, ref, err)
		}
	}
}

func TestResolverCreate(t *testing.T) {
	t.Run("ping key", func(t *testing.T) {
		w := newLookupWorld(t)
		clk := newPingClock()
		r := newLookupResolver(t, w, clk, http.ResolverConfig{})
		k := mustKey(t, r, "/ping/"+lkKey1+"/nightly")
		// A cached "not found" does not stop a create.
		if _, _, err := r.Resolve(context.Background(), k, false); messages.CodeOf(err) != messages.ENotFound {
			t.Fatalf("err = %v, want not found", err)
		}
		ref, created, err := r.Resolve(context.Background(), k, true)
		if err != nil || !created || ref.UserID != 1 || ref.Slug != "nightly" {
			t.Fatalf("create: %+v, %v, %v", ref, created, err)
		}
		got := w.createdChecks()
		if len(got) != 1 {
			t.Fatalf("created %d checks, want 1", len(got))
		}
		c := got[0]
		if !pingpath.IsUUID(c.UUID) || c.UUID[14] != '4' || c.Name != "nightly" || c.ScheduleType != messages.ScheduleInterval ||
			c.IntervalSeconds != 86400 || c.GraceSeconds != 3600 || c.NotifyAfterFailures != 1 || !c.NotifyOnUp ||
			c.TZ != "UTC" || c.Status != messages.StatusNew || c.LastDuration != -1 || c.Version != 1 ||
			!c.CreatedAt.Equal(clk.Now()) {
			t.Errorf("created check = %+v", c)
		}
		again, created, err := r.Resolve(context.Background(), k, true)
		if err != nil || created || again.ID != ref.ID {
			t.Fatalf("second create: %+v, %v, %v; want the same check, not created", again, created, err)
		}
	})
	t.Run("invalid slugs", func(t *testing.T) {
		w := newLookupWorld(t)
		r := newLookupResolver(t, w, newPingClock(), http.ResolverConfig{})
		// (An upper-case or dotted slug does not get this far: /ping/ refuses it as a path.)
		for _, slug := range []string{"123", "start", "fail", "log", lkUUID3} {
			_, created, err := r.Resolve(context.Background(), mustKey(t, r, "/ping/"+lkKey1+"/"+slug), true)
			if created || messages.CodeOf(err) != messages.EInvalid {
				t.Errorf("create %q: created=%v err=%v, want invalid", slug, created, err)
			}
		}
		if n := len(w.createdChecks()); n != 0 {
			t.Errorf("created %d checks, want 0", n)
		}
	})
	t.Run("unknown ping key", func(t *testing.T) {
		w := newLookupWorld(t)
		r := newLookupResolver(t, w, newPingClock(), http.ResolverConfig{})
		if _, _, err := r.Resolve(context.Background(), mustKey(t, r, "/ping/nokey/nightly"), true); messages.CodeOf(err) != messages.ENotFound {
			t.Fatalf("err = %v, want not found", err)
		}
	})
	t.Run("ignored outside ping keys", func(t *testing.T) {
		w := newLookupWorld(t)
		r := newLookupResolver(t, w, newPingClock(), http.ResolverConfig{})
		for _, p := range []string{"/p/alice/nightly", "/ping/77777777-7777-4777-8777-777777777777"} {
			if _, created, err := r.Resolve(context.Background(), mustKey(t, r, p), true); created || messages.CodeOf(err) != messages.ENotFound {
				t.Errorf("%s: created=%v err=%v, want not found", p, created, err)
			}
		}
		if n := w.count("CreateCheckIfMissing"); n != 0 {
			t.Errorf("CreateCheckIfMissing calls = %d, want 0", n)
		}
	})
}

func TestResolverKeyHoldsNoPingKey(t *testing.T) {
	w := newLookupWorld(t)
	r := newLookupResolver(t, w, newPingClock(), http.ResolverConfig{})
	k := mustKey(t, r, "/ping/"+lkKey1+"/backup")
	if s := fmt.Sprintf("%v %+v %#v", k, k, k); strings.Contains(s, lkKey1) {
		t.Fatalf("lookup key %s holds the ping key", s)
	}
	if _, err := http.NewResolver(w.store(), nil, nil, http.ResolverConfig{}).Key(pingpath.Target{Scheme: pingpath.PingKey, PingKey: lkKey1, Ref: "backup"}); err == nil {
		t.Fatal("Key without a key ring: want an error")
	}
}

func TestResolverBounded(t *testing.T) {
	w := newLookupWorld(t)
	clk := newPingClock()
	const maxEntries = 64 * 16
	r := newLookupResolver(t, w, clk, http.ResolverConfig{MaxEntries: maxEntries})
	for i := range 5 * maxEntries {
		k := mustKey(t, r, fmt.Sprintf("/p/alice/c%d", i))
		if _, _, err := r.Resolve(context.Background(), k, false); messages.CodeOf(err) != messages.ENotFound {
			t.Fatal(err)
		}
		if n := r.Len(); n > maxEntries {
			t.Fatalf("after %d inserts: %d entries, want at most %d", i+1, n, maxEntries)
		}
	}
	// A full cache still caches: the newest entry is served without the store.
	k := mustKey(t, r, "/p/alice/backup")
	for range 2 {
		if _, _, err := r.Resolve(context.Background(), k, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.count("ResolveSlug"); n != 5*maxEntries+1 {
		t.Fatalf("ResolveSlug calls = %d, want %d", n, 5*maxEntries+1)
	}
}

func TestResolverConcurrent(t *testing.T) {
	w := newLookupWorld(t)
	clk := newPingClock()
	r := newLookupResolver(t, w, clk, http.ResolverConfig{MaxEntries: 256})
	paths := []string{"/ping/" + lkUUID1, "/p/alice/backup", "/p/bob/backup", "/ping/" + lkKey1 + "/backup", "/ping/" + lkKey2 + "/backup"}
	want := []int64{11, 11, 21, 11, 21}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 500 {
				j := (g + i) % len(paths)
				k := mustKey(t, r, paths[j])
				if i%50 == 0 {
					r.Evict(k)
					clk.Advance(time.Second)
				}
				ref, _, err := r.Resolve(context.Background(), k, false)
				if err != nil || ref.ID != want[j] {
					t.Errorf("%s: %+v, %v", paths[j], ref, err)
					return
				}
				// Misses fill the cache with junk too.
				_, _, _ = r.Resolve(context.Background(), mustKey(t, r, fmt.Sprintf("/p/alice/x%d-%d", g, i)), false)
			}
		})
	}
	wg.Wait()
}
