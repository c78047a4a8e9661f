package http_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
)

// aggregateAnswer is the part of GET /api/v1/checks/aggregate the tests read.
type aggregateAnswer struct {
	Checks struct {
		Items []struct {
			ID          int64  `json:"id"`
			Name        string `json:"name"`
			Status      string `json:"status"`
			PingURL     string `json:"ping_url"`
			RecentPings []struct {
				N      int64  `json:"n"`
				Kind   string `json:"kind"`
				Failed bool   `json:"failed"`
			} `json:"recent_pings"`
		} `json:"items"`
		Next *string `json:"next_cursor"`
	} `json:"checks"`
	Stats struct {
		Total, Up, Down, New, Paused, Late int64
	} `json:"stats"`
	Summary struct {
		Scope  string            `json:"scope"`
		Health map[string]string `json:"health"`
	} `json:"summary"`
	Tags []struct {
		Tag   string `json:"tag"`
		Count int64  `json:"count"`
	} `json:"tags"`
	UserSlug    string `json:"user_slug"`
	PingBaseURL string `json:"ping_base_url"`
}

func TestAggregate(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	u := e.newUser()
	other := e.newUser()
	e.create(other, map[string]any{"name": "not mine"})
	mk := func(name string, status messages.CheckStatus, deadline time.Duration, tags ...string) int64 {
		id := apiID(t, e.create(u, map[string]any{"name": name, "tags": tags}))
		e.store.setCheck(id, func(c *messages.Check) {
			c.Status = status
			if deadline != 0 {
				c.NextDue, c.NextDeadline = apiEpoch.Add(deadline-time.Minute), apiEpoch.Add(deadline)
			}
		})
		return id
	}
	upLater := mk("web backup", messages.StatusUp, time.Hour, "prod")
	fresh := mk("New thing", messages.StatusNew, 0)
	down := mk("db backup", messages.StatusDown, -time.Hour, "prod", "db")
	upSoon := mk("cleanup", messages.StatusUp, 90*time.Second) // due at +30 s
	// 25 pings of one check: the strip carries the newest 20, newest first.
	e.store.mu.Lock()
	for n := int64(1); n <= 25; n++ {
		p := messages.PingRecord{CheckID: down, N: n, At: apiEpoch.Add(time.Duration(n) * time.Second), Kind: messages.KindSuccess, ExitStatus: -1}
		if n == 25 {
			p.Kind, p.Reason = messages.KindFail, "exit status 1"
		}
		e.store.pings[down] = append(e.store.pings[down], p)
	}
	e.store.mu.Unlock()

	get := func(q url.Values, hdr ...string) (int, aggregateAnswer, string) {
		t.Helper()
		rec := e.do("GET", "/api/v1/checks/aggregate?"+q.Encode(), u.Key, nil, hdr...)
		var a aggregateAnswer
		if rec.Code == http.StatusOK {
			apiJSON(t, rec, &a)
		}
		return rec.Code, a, rec.Header().Get("ETag")
	}
	code, a, etag := get(url.Values{})
	if code != 200 || etag == "" || !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("aggregate: %d, ETag %q", code, etag)
	}
	var ids []int64
	for _, it := range a.Checks.Items {
		ids = append(ids, it.ID)
	}
	// Failing first by default: down, then up by deadline, then new.
	if want := []int64{down, upSoon, upLater, fresh}; !slices.Equal(ids, want) {
		t.Fatalf("default order %v, want %v", ids, want)
	}
	strip := a.Checks.Items[0].RecentPings
	if len(strip) != 20 || strip[0].N != 25 || strip[19].N != 6 || !strip[0].Failed || strip[1].Failed || strip[0].Kind != "fail" {
		t.Fatalf("strip of the pinged check: %+v", strip)
	}
	if a.Checks.Items[1].RecentPings == nil || len(a.Checks.Items[1].RecentPings) != 0 {
		t.Fatalf("an unpinged check's strip must be []: %+v", a.Checks.Items[1].RecentPings)
	}
	if a.Stats.Total != 4 || a.Stats.Down != 1 || a.Stats.Up != 2 || a.Stats.New != 1 || a.Stats.Late != 0 {
		t.Fatalf("stats %+v", a.Stats)
	}
	if a.Summary.Scope != "user" || a.Summary.Health["checks"] != "red" {
		t.Fatalf("summary %+v", a.Summary)
	}
	if len(a.Tags) != 2 || a.Tags[0].Tag != "db" || a.Tags[1].Tag != "prod" || a.Tags[1].Count != 2 {
		t.Fatalf("tags %+v", a.Tags)
	}
	if a.UserSlug != u.Slug || a.PingBaseURL != "https://ttr.example/p/"+u.Slug+"/" ||
		!strings.HasPrefix(a.Checks.Items[0].PingURL, a.PingBaseURL) {
		t.Fatalf("user slug %q, ping base %q, ping URL %q", a.UserSlug, a.PingBaseURL, a.Checks.Items[0].PingURL)
	}

	// Nothing changed: 304 without a body. A ping, an edit, another page: a new ETag.
	if code, _, again := get(url.Values{}, "If-None-Match", etag); code != http.StatusNotModified || again != etag {
		t.Fatalf("unchanged: %d %q, want 304 %q", code, again, etag)
	}
	e.store.setCheck(upSoon, func(c *messages.Check) { c.LastPing = apiEpoch })
	code, _, changed := get(url.Values{}, "If-None-Match", etag)
	if code != 200 || changed == etag {
		t.Fatalf("after a change: %d, ETag %q (was %q)", code, changed, etag)
	}
	if code, _, other := get(url.Values{"size": {"1"}}, "If-None-Match", changed); code != 200 || other == changed {
		t.Fatalf("another page kept the ETag: %d %q", code, other)
	}
	// Time alone makes a check late: the answer changes with it.
	e.setNow(apiEpoch.Add(time.Second))
	_, _, same := get(url.Values{})
	e.setNow(apiEpoch.Add(45 * time.Second))
	code, a, late := get(url.Values{}, "If-None-Match", same)
	if code != 200 || late == same || a.Stats.Late != 1 {
		t.Fatalf("a check turned late: %d, stats %+v", code, a.Stats)
	}

	// The list's parameters: q, status, tag.
	for _, tc := range []struct {
		q    url.Values
		want []int64
	}{
		{url.Values{"q": {"BACKUP"}}, []int64{down, upLater}},
		{url.Values{"status": {"up"}}, []int64{upSoon, upLater}},
		{url.Values{"status": {"late"}}, []int64{upSoon}},
		{url.Values{"status": {"down"}, "q": {"web"}}, nil},
		{url.Values{"tag": {"prod"}, "sort_by": {"name"}}, []int64{down, upLater}},
	} {
		_, a, _ := get(tc.q)
		var got []int64
		for _, it := range a.Checks.Items {
			got = append(got, it.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("?%s: %v, want %v", tc.q.Encode(), got, tc.want)
		}
	}
}

func TestListSearchAndStatusValidation(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	u := e.newUser()
	for _, q := range []string{"status=sideways", "q=" + strings.Repeat("x", 101), "sort_by=rank"} {
		for _, path := range []string{"/api/v1/checks?", "/api/v1/checks/aggregate?"} {
			if rec := e.do("GET", path+q, u.Key, nil); rec.Code != http.StatusBadRequest {
				t.Errorf("%s%s: %d %s, want 400", path, q, rec.Code, rec.Body)
			}
		}
	}
	if rec := e.do("GET", "/api/v1/checks/aggregate", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("aggregate without a key: %d", rec.Code)
	}
	if rec := e.do("POST", "/api/v1/checks/aggregate", u.Key, nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST aggregate: %d", rec.Code)
	}
}

// TestAggregateStripWithinPingLog: with --ping-log-limit under the strip's 20, the strip
// shows only the pings the pruner keeps (so pruning never changes it behind its ETag).
func TestAggregateStripWithinPingLog(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(cfg *ttrhttp.Config, _ *ttrhttp.Deps) { cfg.PingLogLimit = 5 })
	u := e.newUser()
	id := apiID(t, e.create(u, map[string]any{"name": "busy"}))
	e.store.mu.Lock()
	for n := int64(1); n <= 25; n++ {
		e.store.pings[id] = append(e.store.pings[id], messages.PingRecord{CheckID: id, N: n, At: apiEpoch, Kind: messages.KindSuccess, ExitStatus: -1})
	}
	e.store.mu.Unlock()
	rec := e.do("GET", "/api/v1/checks/aggregate", u.Key, nil)
	var a aggregateAnswer
	apiJSON(t, rec, &a)
	if strip := a.Checks.Items[0].RecentPings; len(strip) != 5 || strip[0].N != 25 {
		t.Fatalf("strip %+v, want the newest 5", strip)
	}
}
