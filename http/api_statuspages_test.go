package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ttr-rip/ttr/actors/ratelimit"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// pagesEnv is the edge on the real embedded store, with a quota of 3 status pages.
type pagesEnv struct {
	t     *testing.T
	store *sqlite.Store
	h     http.Handler
	now   time.Time
}

func newPagesEnv(t *testing.T, opts ...func(*ttrhttp.Config, *ttrhttp.Deps)) *pagesEnv {
	t.Helper()
	st := sqlitetest.Open(t)
	e := &pagesEnv{t: t, store: st, now: time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)}
	cfg := ttrhttp.DefaultConfig()
	cfg.PublicURL = "https://ttr.example"
	deps := ttrhttp.Deps{Store: st, Credentials: st, Checks: &apiChecks{}, Ring: apiRing(t),
		Now: func() time.Time { return e.now }}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	cfg.Quotas = limit.Quotas{StatusPages: 3}
	e.h = ttrhttp.NewServer(cfg, deps).Handler()
	return e
}

func (e *pagesEnv) req(method, path, key, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "" {
		r.Header.Set("X-Auth-Key", key)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	return rec
}

func (e *pagesEnv) json(method, path, key, body string, hdr ...string) (int, map[string]any) {
	e.t.Helper()
	rec := e.req(method, path, key, body, hdr...)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			e.t.Fatalf("%s %s: %d %q", method, path, rec.Code, rec.Body)
		}
	}
	return rec.Code, out
}

// user creates a user through the API and returns its key and record.
func (e *pagesEnv) user() (string, messages.User) {
	e.t.Helper()
	code, out := e.json("POST", "/api/v1/users", "", "{}")
	if code != 201 {
		e.t.Fatalf("create user: %d", code)
	}
	u, err := e.store.UserBySlug(context.Background(), out["user_slug"].(string))
	if err != nil {
		e.t.Fatal(err)
	}
	return out["auth_key"].(string), u
}

// secretCheck is a check with everything a public page must not show: a slug, tags, and a
// ping with a body, a user agent and an address; it flipped up, then down for an hour.
func (e *pagesEnv) secretCheck(userID int64, name string) messages.Check {
	e.t.Helper()
	c := storetest.NewCheck(e.t, e.store, userID, func(c *messages.Check) {
		c.Name, c.Slug, c.Tags = name, "slug-"+strings.ToLower(name), []string{"tag-" + strings.ToLower(name)}
	})
	commit := func(w persistence.Write) {
		out, err := e.store.Commit(context.Background(), []persistence.Write{w})
		if err != nil || out[0].Kind != persistence.OutcomeCommitted {
			e.t.Fatalf("commit: %v %+v", err, out)
		}
		c.Version++
		c.CheckState = w.State
	}
	up := e.now.Add(-3 * time.Hour)
	st := c.CheckState
	st.Status, st.NPings, st.LastPing, st.FlipSeq = messages.StatusUp, 1, up, 1
	commit(persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: st,
		Ping: &messages.PingRecord{CheckID: c.ID, N: 1, At: up, Kind: messages.KindSuccess, ExitStatus: -1, Method: "POST",
			RemoteIP: "198.51.100.77", UserAgent: "secret-agent/1.0", Body: []byte("BODY-" + name), RequestID: "req-" + name},
		Flip: &messages.Flip{ID: fmt.Sprintf("%d.1", c.ID), CheckID: c.ID, At: up, From: messages.StatusNew, To: messages.StatusUp}})
	st.Status, st.FlipSeq = messages.StatusDown, 2
	commit(persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: st,
		Flip: &messages.Flip{ID: fmt.Sprintf("%d.2", c.ID), CheckID: c.ID, At: e.now.Add(-time.Hour), From: messages.StatusUp, To: messages.StatusDown}})
	return c
}

func TestStatusPagesCRUD(t *testing.T) {
	e := newPagesEnv(t)
	key, u := e.user()
	otherKey, other := e.user()
	c1 := e.secretCheck(u.ID, "Backup")
	c2 := e.secretCheck(u.ID, "Deploy")
	foreign := e.secretCheck(other.ID, "Theirs")

	body := fmt.Sprintf(`{"slug": "ops", "name": "Ops", "layout": "grid", "checks": [%d, %d]}`, c2.ID, c1.ID)
	code, p := e.json("POST", "/api/v1/status-pages", key, body)
	if code != 201 || p["slug"] != "ops" || p["layout"] != "grid" || p["url"] != "https://ttr.example/s/"+u.Slug+"/ops" ||
		p["slug_pings"] != true || p["notice"] == nil || p["version"] != 1.0 {
		t.Fatalf("create: %d %v", code, p)
	}
	id := int64(p["id"].(float64))
	path := fmt.Sprintf("/api/v1/status-pages/%d", id)
	if code, p2 := e.json("POST", "/api/v1/status-pages", key, `{"slug": "ops2", "name": "Ops 2"}`); code != 201 || p2["notice"] != nil {
		t.Errorf("second page: %d, notice %v (offered on the first page only)", code, p2["notice"])
	}

	// Another user's page, and another user's check, are not found.
	for _, m := range []string{"GET", "DELETE"} {
		if code, _ := e.json(m, path, otherKey, ""); code != 404 {
			t.Errorf("%s another user's page: %d", m, code)
		}
	}
	if code, _ := e.json("PATCH", path, otherKey, `{"name": "mine"}`); code != 404 {
		t.Errorf("PATCH another user's page: %d", code)
	}
	if code, _ := e.json("PUT", path, otherKey, `{"slug": "x", "name": "mine"}`); code != 404 {
		t.Errorf("PUT another user's page: %d", code)
	}
	if code, _ := e.json("POST", "/api/v1/status-pages", key, fmt.Sprintf(`{"slug": "x", "name": "x", "checks": [%d]}`, foreign.ID)); code != 404 {
		t.Errorf("a page with another user's check: %d", code)
	}
	if code, _ := e.json("PATCH", path, key, fmt.Sprintf(`{"checks": [%d]}`, foreign.ID)); code != 404 {
		t.Errorf("adding another user's check: %d", code)
	}

	// Validation, conflicts, preconditions.
	for _, b := range []string{`{"slug": "ops3"}`, `{"slug": "Bad Slug", "name": "x"}`, `{"slug": "a", "name": "x", "layout": "list"}`, `{"slug": "a", "name": "x", "secret": 1}`} {
		if code, _ := e.json("POST", "/api/v1/status-pages", key, b); code != 400 {
			t.Errorf("POST %s: %d, want 400", b, code)
		}
	}
	if code, _ := e.json("POST", "/api/v1/status-pages", key, `{"slug": "ops", "name": "again"}`); code != 409 {
		t.Errorf("a taken slug: %d", code)
	}
	if code, _ := e.json("PATCH", path, key, `{"name": "Operations"}`, "If-Match", `"7"`); code != 412 {
		t.Errorf("a stale If-Match: %d", code)
	}
	code, p = e.json("PATCH", path, key, `{"name": "Operations"}`, "If-Match", `"1"`)
	if code != 200 || p["name"] != "Operations" || p["layout"] != "grid" || p["version"] != 2.0 || len(p["checks"].([]any)) != 2 {
		t.Errorf("PATCH: %d %v", code, p)
	}
	code, p = e.json("PUT", path, key, `{"slug": "ops", "name": "Ops"}`)
	if code != 200 || p["layout"] != "cards" || len(p["checks"].([]any)) != 0 {
		t.Errorf("PUT resets what it does not send: %d %v", code, p)
	}
	if code, list := e.json("GET", "/api/v1/status-pages", key, ""); code != 200 || len(list["items"].([]any)) != 2 {
		t.Errorf("list: %d %v", code, list)
	}
	if code, list := e.json("GET", "/api/v1/status-pages", otherKey, ""); code != 200 || len(list["items"].([]any)) != 0 {
		t.Errorf("another user's list: %d %v", code, list)
	}

	// The quota (3 here): the fourth page is refused with 403.
	if code, _ := e.json("POST", "/api/v1/status-pages", key, `{"slug": "p3", "name": "P3"}`); code != 201 {
		t.Fatalf("third page: %d", code)
	}
	if code, out := e.json("POST", "/api/v1/status-pages", key, `{"slug": "p4", "name": "P4"}`); code != 403 || !strings.Contains(out["detail"].(string), "quota") {
		t.Errorf("over the quota: %d %v", code, out)
	}
	if code, _ := e.json("DELETE", path, key, ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := e.json("GET", path, key, ""); code != 404 {
		t.Errorf("a deleted page: %d", code)
	}
}

// TestStatusPageDataShowsNoSecret: /data and the badge of a page with activity name no
// check's UUID, slug, ping URL, tag, body, user agent or address, and nothing of the ping key.
func TestStatusPageDataShowsNoSecret(t *testing.T) {
	e := newPagesEnv(t)
	key, u := e.user()
	checks := []messages.Check{e.secretCheck(u.ID, "Backup"), e.secretCheck(u.ID, "Deploy")}
	body := fmt.Sprintf(`{"slug": "public", "name": "Public", "show_activity": true, "checks": [%d, %d]}`, checks[0].ID, checks[1].ID)
	if code, _ := e.json("POST", "/api/v1/status-pages", key, body); code != 201 {
		t.Fatalf("create: %d", code)
	}
	_, me := e.json("GET", "/api/v1/user/me", key, "")
	pingKey := me["ping_key"].(string)
	rec := e.req("GET", "/s/"+u.Slug+"/public/data", "", "")
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "public, max-age=2" || !strings.HasPrefix(rec.Header().Get("ETag"), `W/"`) {
		t.Fatalf("data: %d %v", rec.Code, rec.Header())
	}
	data := rec.Body.String()
	if !strings.Contains(data, `"name":"Backup"`) || !strings.Contains(data, `"status":"down"`) || !strings.Contains(data, `"overall":"down"`) {
		t.Errorf("the feed lacks what it should show: %s", data)
	}
	var secrets []string
	for _, c := range checks {
		secrets = append(secrets, c.UUID, c.Slug, c.Tags[0], "BODY-"+c.Name, "req-"+c.Name,
			"/p/"+u.Slug+"/"+c.Slug, "/ping/"+c.UUID, "/ping/"+pingKey+"/"+c.Slug)
	}
	secrets = append(secrets, pingKey, key, "198.51.100.77", "secret-agent")
	for _, s := range secrets {
		if strings.Contains(data, s) {
			t.Errorf("/data shows %q", s)
		}
	}

	// Uptime: up 2 h then down 1 h of the last 3 h.
	var v struct {
		Checks []struct {
			Uptime []struct {
				Window string   `json:"window"`
				Uptime *float64 `json:"uptime"`
			} `json:"uptime"`
			Days   []struct{ Date string } `json:"days"`
			Recent []struct{ Kind string } `json:"recent"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if w := v.Checks[0].Uptime[0]; w.Window != "24h" || w.Uptime == nil || *w.Uptime != 2.0/3.0 {
		t.Errorf("24 h uptime: %+v", w)
	}
	if len(v.Checks[0].Days) != 90 || len(v.Checks[0].Recent) != 1 {
		t.Errorf("%d days, %d recent pings", len(v.Checks[0].Days), len(v.Checks[0].Recent))
	}

	// ETag and 304, HEAD, unknown pages.
	etag := rec.Header().Get("ETag")
	if r := e.req("GET", "/s/"+u.Slug+"/public/data", "", "", "If-None-Match", etag); r.Code != 304 || r.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d %q", r.Code, r.Body)
	}
	if r := e.req("HEAD", "/s/"+u.Slug+"/public/data", "", ""); r.Code != 200 || r.Body.Len() != 0 {
		t.Errorf("HEAD: %d", r.Code)
	}
	for _, p := range []string{"/s/" + u.Slug + "/nope/data", "/s/nobody/public/data", "/s/" + u.Slug + "/BAD/data"} {
		if r := e.req("GET", p, "", ""); r.Code != 404 {
			t.Errorf("%s: %d", p, r.Code)
		}
	}

	// The badge: the page's name and worst status; an unknown page is the unknown badge.
	b := e.req("GET", "/s/"+u.Slug+"/public/badge.svg", "", "")
	if b.Code != 200 || !strings.Contains(b.Body.String(), "Public") || !strings.Contains(b.Body.String(), "down") {
		t.Errorf("badge: %d %s", b.Code, b.Body)
	}
	for _, s := range secrets {
		if strings.Contains(b.Body.String(), s) {
			t.Errorf("the badge shows %q", s)
		}
	}
	unknown := e.req("GET", "/s/"+u.Slug+"/nope/badge.svg", "", "")
	tag := e.req("GET", "/b/t/AAAAAAAAAAAAAAAAAAAAAAAA/x.svg", "", "")
	if unknown.Code != 200 || unknown.Body.String() != tag.Body.String() {
		t.Errorf("an unknown page's badge differs from other unknown badges: %d %s", unknown.Code, unknown.Body)
	}
}

func TestCheckUptimeAPI(t *testing.T) {
	e := newPagesEnv(t)
	key, u := e.user()
	otherKey, _ := e.user()
	c := e.secretCheck(u.ID, "Backup")
	path := fmt.Sprintf("/api/v1/checks/%d/uptime", c.ID)
	code, out := e.json("GET", path+"?days=2", key, "")
	if code != 200 || out["tz"] != "UTC" {
		t.Fatalf("%d %v", code, out)
	}
	days := out["days"].([]any)
	if len(days) != 2 {
		t.Fatalf("%d days", len(days))
	}
	today := days[1].(map[string]any)
	if today["date"] != "2030-05-01" || today["up_seconds"] != 7200.0 || today["tracked_seconds"] != 10800.0 {
		t.Errorf("today: %v", today)
	}
	if days[0].(map[string]any)["uptime"] != nil {
		t.Errorf("a day before the first flip has an uptime: %v", days[0])
	}
	if code, _ := e.json("GET", path, otherKey, ""); code != 404 {
		t.Errorf("another user's check: %d", code)
	}
	for _, q := range []string{"?days=0", "?days=401", "?days=x"} {
		if code, _ := e.json("GET", path+q, key, ""); code != 400 {
			t.Errorf("%s: %d", q, code)
		}
	}
}

// TestStatusPagesExportImport: an export carries the user's pages with their checks by slug;
// importing it after the page was deleted makes the page again, through the same rules.
func TestStatusPagesExportImport(t *testing.T) {
	e := newPagesEnv(t)
	key, u := e.user()
	c1, c2 := e.secretCheck(u.ID, "Backup"), e.secretCheck(u.ID, "Deploy")
	body := fmt.Sprintf(`{"slug": "ops", "name": "Ops", "layout": "timeline", "checks": [%d, %d]}`, c2.ID, c1.ID)
	code, p := e.json("POST", "/api/v1/status-pages", key, body)
	if code != 201 {
		t.Fatalf("create: %d %v", code, p)
	}
	rec := e.req("GET", "/api/v1/checks/export", key, "")
	if rec.Code != 200 {
		t.Fatalf("export: %d %s", rec.Code, rec.Body)
	}
	doc := rec.Body.String()
	if !strings.Contains(doc, `"status_pages":[{"slug":"ops","name":"Ops","description":"","layout":"timeline","show_activity":false,"checks":["slug-deploy","slug-backup"]}]`) {
		t.Fatalf("the export's pages: %s", doc)
	}
	if code, _ := e.json("DELETE", fmt.Sprintf("/api/v1/status-pages/%d", int64(p["id"].(float64))), key, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	code, rep := e.json("POST", "/api/v1/checks/import", key, doc)
	if code != 200 {
		t.Fatalf("import: %d %v", code, rep)
	}
	_, list := e.json("GET", "/api/v1/status-pages", key, "")
	items := list["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("after the import: %v (report %v)", list, rep)
	}
	got := items[0].(map[string]any)
	if got["slug"] != "ops" || got["layout"] != "timeline" || fmt.Sprint(got["checks"]) != fmt.Sprintf("[%d %d]", c2.ID, c1.ID) {
		t.Errorf("imported page %v", got)
	}
}

// TestStatusPagePublicLimit: the public routes of a status page take from the client IP's
// --limit-api-ip allowance, addresses that exist or not alike, so one client cannot make the
// store answer without bound; another address is not affected.
func TestStatusPagePublicLimit(t *testing.T) {
	e := newPagesEnv(t, withLimits(t, limit.Config{APIIP: ratelimit.PerSecond(1, 3)}, limit.Quotas{}))
	key, u := e.user()
	if code, _ := e.json("POST", "/api/v1/status-pages", key, `{"slug": "public", "name": "Public"}`); code != 201 {
		t.Fatalf("create: %d", code)
	}
	from := func(ip, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = ip + ":4000"
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, r)
		return rec
	}
	page := "/s/" + u.Slug + "/public"
	for _, tc := range []struct {
		path string
		want int
	}{{page + "/data", 200}, {page + "/badge.svg", 200}, {"/s/" + u.Slug + "/nothing/data", 404}} {
		if rec := from("203.0.113.5", tc.path); rec.Code != tc.want {
			t.Fatalf("%s: %d, want %d", tc.path, rec.Code, tc.want)
		}
	}
	want429(t, from("203.0.113.5", page+"/data"), "fourth request", "1")
	want429(t, from("203.0.113.5", page+"/badge.svg"), "the badge after it", "1")
	if rec := from("198.51.100.9", page+"/data"); rec.Code != 200 {
		t.Errorf("another address: %d", rec.Code)
	}
}
