package statuspage_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/http/statuspage"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st := sqlitetest.Open(t)
	return st
}

// counting counts the store's reads, to hold a page to a constant number of queries.
type counting struct {
	*sqlite.Store
	n atomic.Int64
}

func (c *counting) StatusPageBySlug(ctx context.Context, u, p string) (persistence.PublicPage, error) {
	c.n.Add(1)
	return c.Store.StatusPageBySlug(ctx, u, p)
}
func (c *counting) PageChecks(ctx context.Context, u, p int64) ([]messages.Check, error) {
	c.n.Add(1)
	return c.Store.PageChecks(ctx, u, p)
}
func (c *counting) UptimeMarks(ctx context.Context, u int64, ids []int64, at []time.Time) ([]persistence.UptimeMark, error) {
	c.n.Add(1)
	return c.Store.UptimeMarks(ctx, u, ids, at)
}
func (c *counting) RecentPings(ctx context.Context, u int64, ids []int64, n int) ([]messages.PingRecord, error) {
	c.n.Add(1)
	return c.Store.RecentPings(ctx, u, ids, n)
}

// flipper commits a check's flips as its actor would.
type flipper struct {
	t   *testing.T
	st  persistence.Store
	c   messages.Check
	seq int64
}

func (f *flipper) flip(at time.Time, to messages.CheckStatus) {
	f.t.Helper()
	f.seq++
	w := persistence.Write{CheckID: f.c.ID, ExpectVersion: f.c.Version, State: f.c.CheckState,
		Flip: &messages.Flip{ID: fmt.Sprintf("%d.%d", f.c.ID, f.seq), CheckID: f.c.ID, At: at, From: f.c.Status, To: to}}
	w.State.Status, w.State.FlipSeq = to, f.seq
	if to == messages.StatusUp {
		w.State.LastPing = at
	}
	out, err := f.st.Commit(context.Background(), []persistence.Write{w})
	if err != nil || out[0].Kind != persistence.OutcomeCommitted {
		f.t.Fatalf("commit flip: %v %+v", err, out)
	}
	f.c.Version++
	f.c.CheckState = w.State
}

func setTZ(t *testing.T, st persistence.Store, userID int64, tz string) {
	t.Helper()
	if err := st.UpdateUserSettings(context.Background(), userID, messages.UserSettings{TZ: &tz}); err != nil {
		t.Fatal(err)
	}
}

// TestUptimeAcrossDST: a Berlin user's check, up from the 29th, down 12:00–18:00 local on
// the day clocks spring forward (23 hours) and paused 20:00–22:00. By hand: 21 tracked
// hours, 15 of them up: 71.43 %, through the store's marks and the public page alike.
func TestUptimeAcrossDST(t *testing.T) {
	st := openStore(t)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(d, h int) time.Time { return time.Date(2030, 3, d, h, 0, 0, 0, berlin) }
	now := time.Date(2030, 4, 1, 7, 0, 0, 0, berlin)
	u := storetest.NewUser(t, st)
	setTZ(t, st, u.ID, "Europe/Berlin")
	f := &flipper{t: t, st: st, c: storetest.NewCheck(t, st, u.ID, func(c *messages.Check) { c.Name = "nightly" })}
	f.flip(at(29, 10), messages.StatusUp)
	f.flip(at(31, 12), messages.StatusDown)
	f.flip(at(31, 18), messages.StatusUp)
	f.flip(at(31, 20), messages.StatusPaused)
	f.flip(at(31, 22), messages.StatusUp)

	svc, err := statuspage.New(statuspage.Config{}, statuspage.Deps{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tz, days, err := svc.Uptime(context.Background(), u.ID, f.c.ID, 4)
	if err != nil {
		t.Fatal(err)
	}
	if tz != "Europe/Berlin" || len(days) != 4 {
		t.Fatalf("tz %q, %d days", tz, len(days))
	}
	dst := days[2]
	if dst.Date != "2030-03-31" || dst.Uptime == nil || *dst.Uptime != 15.0/21.0 ||
		dst.UpSeconds != 15*3600 || dst.TrackedSeconds != 21*3600 {
		t.Errorf("the DST day: %+v (uptime %v), want 15 h up of 21 h tracked", dst, deref(dst.Uptime))
	}
	if days[0].Date != "2030-03-29" || days[0].TrackedSeconds != 14*3600 || days[3].TrackedSeconds != 7*3600 {
		t.Errorf("days: %+v", days)
	}
	other := storetest.NewUser(t, st)
	if _, _, err := svc.Uptime(context.Background(), other.ID, f.c.ID, 4); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("another user's check: %v", err)
	}

	p, first, err := svc.Create(context.Background(), u.ID, statuspage.Input{Slug: "ops", Name: "Ops", CheckIDs: []int64{f.c.ID}})
	if err != nil || !first || !p.SlugPings {
		t.Fatalf("create: %+v first %v, %v", p, first, err)
	}
	b, err := svc.Public(context.Background(), u.Slug, "ops")
	if err != nil {
		t.Fatal(err)
	}
	cv := b.View.Checks[0]
	if len(cv.Days) != statuspage.HistoryDays {
		t.Fatalf("%d days", len(cv.Days))
	}
	if d := cv.Days[statuspage.HistoryDays-2]; d.Date != "2030-03-31" || d.Uptime == nil || *d.Uptime != 15.0/21.0 || d.Label != "2030-03-31: 71.43% up" {
		t.Errorf("the page's DST day: %+v", d)
	}
	if d := cv.Days[0]; d.Uptime != nil || d.Level != "none" {
		t.Errorf("a day before the first flip: %+v", d)
	}
	// 24 h rolling: from 07:00 on the 31st (down 6 h, paused 2 h) to now: 22 tracked, 16 up.
	if w := cv.Uptime[0]; w.Window != "24h" || w.Uptime == nil || *w.Uptime != 16.0/22.0 {
		t.Errorf("24 h window: %+v %v", w, deref(w.Uptime))
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestPublicCacheAndQueries: a 50-check page is computed from 4 queries, at most once per
// 2 s however many viewers ask at once.
func TestPublicCacheAndQueries(t *testing.T) {
	st := &counting{Store: openStore(t)}
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	u := storetest.NewUser(t, st)
	var ids []int64
	for i := range 50 {
		f := &flipper{t: t, st: st, c: storetest.NewCheck(t, st, u.ID)}
		f.flip(now.Add(-100*24*time.Hour), messages.StatusUp)
		f.flip(now.Add(-time.Duration(i+1)*time.Hour), messages.StatusDown)
		ids = append(ids, f.c.ID)
	}
	svc, _ := statuspage.New(statuspage.Config{}, statuspage.Deps{Store: st, Now: clock})
	if _, _, err := svc.Create(context.Background(), u.ID, statuspage.Input{Slug: "all", Name: "All", ShowActivity: true, CheckIDs: ids}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	bundles := make([]*statuspage.Bundle, 20)
	for i := range bundles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := svc.Public(context.Background(), u.Slug, "all")
			if err != nil {
				t.Error(err)
			}
			bundles[i] = b
		}()
	}
	wg.Wait()
	if n := st.n.Load(); n != 4 {
		t.Errorf("20 viewers of a 50-check page: %d queries, want 4", n)
	}
	for _, b := range bundles[1:] {
		if b != bundles[0] {
			t.Fatal("viewers got different computations")
		}
	}
	if got := len(bundles[0].View.Checks); got != 50 {
		t.Fatalf("%d checks", got)
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	if b, _ := svc.Public(context.Background(), u.Slug, "all"); b == bundles[0] || st.n.Load() != 8 {
		t.Errorf("after 2 s the view is not recomputed (%d queries)", st.n.Load())
	}
	if _, err := svc.Public(context.Background(), u.Slug, "nope"); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("unknown page: %v", err)
	}
}

func TestQuotaAndValidation(t *testing.T) {
	st := openStore(t)
	u := storetest.NewUser(t, st)
	svc, _ := statuspage.New(statuspage.Config{Quotas: limit.Quotas{StatusPages: 2}}, statuspage.Deps{Store: st})
	ctx := context.Background()
	for i := range 2 {
		if _, _, err := svc.Create(ctx, u.ID, statuspage.Input{Slug: fmt.Sprintf("p%d", i), Name: "P"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := svc.Create(ctx, u.ID, statuspage.Input{Slug: "p3", Name: "P"}); messages.CodeOf(err) != messages.EForbidden {
		t.Errorf("over the quota: %v", err)
	}
	for _, in := range []statuspage.Input{
		{Slug: "", Name: "x"}, {Slug: "Upper", Name: "x"}, {Slug: "data", Name: "x"}, {Slug: "ok", Name: " "},
		{Slug: "ok", Name: "x", Layout: "list"}, {Slug: "ok", Name: "x", CheckIDs: []int64{1, 1}}, {Slug: "ok", Name: "x", CheckIDs: []int64{-1}},
	} {
		if err := in.Validate(); messages.CodeOf(err) != messages.EInvalid {
			t.Errorf("Validate(%+v) = %v", in, err)
		}
	}
	// A reserved slug is named as such, not as a malformed one.
	in := statuspage.Input{Slug: "data", Name: "x"}
	if err := in.Validate(); !strings.Contains(messages.MessageOf(err), "taken by the page's own addresses") {
		t.Errorf("a reserved slug: %v", err)
	}
}
