package http_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// BenchmarkStatusPageData measures GET /s/{user}/{page}/data of a page of 50 checks with 90
// days of history (each check down for a while twice a day: 180 flips each), on the embedded
// store, every request a cache miss (the clock moves past the 2 s cache between requests):
// the computation itself, not the cache. It reports the latency's p50 and p99.
//
//	go test ./http/ -run '^$' -bench StatusPageData -benchtime 200x
func BenchmarkStatusPageData(b *testing.B) {
	st := sqlitetest.Open(b)
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	u := storetest.NewUser(b, st)
	const nChecks, days = 50, 90
	checks := make([]messages.Check, nChecks)
	ids := make([]int64, nChecks)
	for i := range checks {
		checks[i] = storetest.NewCheck(b, st, u.ID, func(c *messages.Check) { c.Name = fmt.Sprintf("check %02d", i) })
		ids[i] = checks[i].ID
	}
	// Flips: up at the start, then per day down at 03:00+i min and up 20 min later, and
	// down at 15:00 and up an hour later.
	start := now.Add(-days * 24 * time.Hour).Truncate(24 * time.Hour)
	var times []struct {
		at time.Duration
		to messages.CheckStatus
	}
	times = append(times, struct {
		at time.Duration
		to messages.CheckStatus
	}{0, messages.StatusUp})
	for d := range days {
		base := time.Duration(d) * 24 * time.Hour
		for _, f := range []struct {
			at time.Duration
			to messages.CheckStatus
		}{{base + 3*time.Hour, messages.StatusDown}, {base + 3*time.Hour + 20*time.Minute, messages.StatusUp},
			{base + 15*time.Hour, messages.StatusDown}, {base + 16*time.Hour, messages.StatusUp}} {
			times = append(times, f)
		}
	}
	for seq, f := range times {
		writes := make([]persistence.Write, nChecks)
		for i := range checks {
			c := &checks[i]
			at := start.Add(f.at + time.Duration(i)*time.Minute)
			w := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState,
				Flip: &messages.Flip{ID: fmt.Sprintf("%d.%d", c.ID, seq+1), CheckID: c.ID, At: at, From: c.Status, To: f.to}}
			w.State.Status, w.State.FlipSeq, w.State.LastPing = f.to, int64(seq+1), at
			writes[i] = w
			c.Version++
			c.CheckState = w.State
		}
		if _, err := st.Commit(context.Background(), writes); err != nil {
			b.Fatal(err)
		}
	}
	clock := now
	cfg := ttrhttp.DefaultConfig()
	h := ttrhttp.NewServer(cfg, ttrhttp.Deps{Store: st, Checks: &apiChecks{}, Ring: apiRing(b), Now: func() time.Time { return clock }}).Handler()
	pg := messages.StatusPage{UserID: u.ID, Slug: "bench", Name: "Bench", Layout: messages.LayoutCards, ShowActivity: true,
		CheckIDs: ids, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateStatusPage(context.Background(), &pg); err != nil {
		b.Fatal(err)
	}
	path := "/s/" + u.Slug + "/bench/data"
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		clock = clock.Add(3 * time.Second) // past the cache: every request computes
		r := httptest.NewRequest("GET", path, nil)
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, r)
		lat = append(lat, time.Since(t0))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
