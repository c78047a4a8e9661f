package http_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// badgeGet fetches a badge (no credentials: badges are public).
func badgeGet(e *apiEnv, path string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do("GET", path, "", nil, hdr...)
}

// badgeURLs reads a check JSON's badge_urls (nil when disabled).
func badgeURLs(t *testing.T, m map[string]any) map[string]string {
	t.Helper()
	raw, ok := m["badge_urls"].(map[string]any)
	if !ok {
		if m["badge_urls"] != nil {
			t.Fatalf("badge_urls = %#v", m["badge_urls"])
		}
		return nil
	}
	out := map[string]string{}
	for k, v := range raw {
		out[k] = strings.TrimPrefix(v.(string), "https://ttr.example")
	}
	return out
}

func TestCheckBadgeLifecycle(t *testing.T) {
	e := newRealEnv(t, nil)
	u := e.newUser()
	m := e.create(u, map[string]any{"name": `<b>"Nightly" & 'co'</b>`, "schedule_type": "cron", "schedule": "0 3 * * *",
		"tz": "Europe/Berlin", "tags": []string{"prod"}})
	id := apiID(t, m)
	if m["badge_enabled"] != false || badgeURLs(t, m) != nil {
		t.Fatalf("a new check has a badge: %v %v", m["badge_enabled"], m["badge_urls"])
	}
	unknownSVG := badgeGet(e.apiEnv, "/b/c/AAAAAAAAAAAAAAAAAAAAAAAA.svg").Body.String()

	rec := e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, `{"badge_enabled": true}`)
	if rec.Code != 200 {
		t.Fatalf("enable: %d %s", rec.Code, rec.Body)
	}
	var cm map[string]any
	apiJSON(t, rec, &cm)
	urls := badgeURLs(t, cm)
	if cm["badge_enabled"] != true || urls == nil {
		t.Fatalf("enabled badge: %v %v", cm["badge_enabled"], cm["badge_urls"])
	}
	svgURL := urls["svg"]
	badgeID := strings.TrimSuffix(strings.TrimPrefix(svgURL, "/b/c/"), ".svg")
	if len(badgeID) < 22 || strings.Contains(badgeID, cm["uuid"].(string)) || strings.Contains(svgURL, u.Slug) {
		t.Fatalf("badge id %q: too short, or reveals the check's uuid or the user's slug", badgeID)
	}
	for _, k := range []string{"svg", "json", "shields"} {
		if urls[k] != "/b/c/"+badgeID+"."+k {
			t.Errorf("badge_urls.%s = %q", k, urls[k])
		}
	}

	// New, then up after a ping, in every form; the hostile name is escaped.
	rec = badgeGet(e.apiEnv, svgURL)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml; charset=utf-8" ||
		rec.Header().Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("svg: %d %v", rec.Code, rec.Header())
	}
	svg := rec.Body.String()
	if strings.Contains(svg, "<b>") || !strings.Contains(svg, "&lt;b&gt;&quot;Nightly&quot; &amp; &#39;co&#39;&lt;/b&gt;") ||
		!strings.Contains(svg, ">new</text>") {
		t.Errorf("svg of a new check with a hostile name:\n%s", svg)
	}
	if r := e.ping("/p/"+u.Slug+"/"+cm["slug"].(string), ""); r.Code != 200 {
		t.Fatalf("ping: %d %s", r.Code, r.Body)
	}
	var j map[string]any
	if err := json.Unmarshal(badgeGet(e.apiEnv, urls["json"]).Body.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	// A cron check just pinged is up until 03:00 tomorrow plus grace, not late.
	if j["status"] != "up" || j["label"] != `<b>"Nightly" & 'co'</b>` {
		t.Errorf("json = %v", j)
	}
	var sh map[string]any
	if err := json.Unmarshal(badgeGet(e.apiEnv, urls["shields"]).Body.Bytes(), &sh); err != nil {
		t.Fatal(err)
	}
	if sh["schemaVersion"] != 1.0 || sh["message"] != "up" || sh["color"] != "brightgreen" {
		t.Errorf("shields = %v", sh)
	}

	// ETag and 304.
	rec = badgeGet(e.apiEnv, svgURL)
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r := badgeGet(e.apiEnv, svgURL, "If-None-Match", etag); r.Code != http.StatusNotModified || r.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d %q", r.Code, r.Body)
	}
	if r := badgeGet(e.apiEnv, svgURL, "If-None-Match", `"other"`); r.Code != 200 {
		t.Errorf("another ETag: %d", r.Code)
	}

	// Rotation: the old id answers the unknown badge, the new one the check.
	rec = e.do("POST", "/api/v1/checks/"+apiItoa(id)+"/rotate-badge", u.Key, nil)
	if rec.Code != 200 {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	apiJSON(t, rec, &cm)
	rotated := badgeURLs(t, cm)["svg"]
	if rotated == svgURL || rotated == "" {
		t.Fatalf("rotate kept the badge url %q", rotated)
	}
	if got := badgeGet(e.apiEnv, svgURL).Body.String(); got != unknownSVG {
		t.Errorf("a rotated id answers\n%s\nnot the unknown badge\n%s", got, unknownSVG)
	}
	if got := badgeGet(e.apiEnv, rotated).Body.String(); !strings.Contains(got, ">up</text>") {
		t.Errorf("the new id: %s", got)
	}

	// Disabling: the id answers the unknown badge; rotating a disabled badge is refused.
	rec = e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, `{"badge_enabled": false}`)
	apiJSON(t, rec, &cm)
	if rec.Code != 200 || cm["badge_enabled"] != false || cm["badge_urls"] != nil {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	if got := badgeGet(e.apiEnv, rotated).Body.String(); got != unknownSVG {
		t.Errorf("a disabled badge answers %s", got)
	}
	if rec := e.do("POST", "/api/v1/checks/"+apiItoa(id)+"/rotate-badge", u.Key, nil); rec.Code != http.StatusConflict {
		t.Errorf("rotate a disabled badge: %d %s", rec.Code, rec.Body)
	}
	// Another user cannot rotate it.
	other := e.newUser()
	if rec := e.do("POST", "/api/v1/checks/"+apiItoa(id)+"/rotate-badge", other.Key, nil); rec.Code != http.StatusNotFound {
		t.Errorf("rotate another user's badge: %d", rec.Code)
	}
}

func TestUnknownBadgesAreIdentical(t *testing.T) {
	e := newRealEnv(t, nil)
	u := e.newUser()
	m := e.create(u, map[string]any{"name": "db", "tags": []string{"prod"}, "badge_enabled": true})
	rec := e.do("GET", "/api/v1/user/badge-key", u.Key, nil)
	var key struct {
		BadgeKey    string `json:"badge_key"`
		TagBadgeURL string `json:"tag_badge_url"`
	}
	apiJSON(t, rec, &key)
	if len(key.BadgeKey) < 22 || key.TagBadgeURL != "https://ttr.example/b/t/"+key.BadgeKey+"/{tag}.svg" {
		t.Fatalf("badge key: %+v", key)
	}
	if strings.Contains(m["ping_url"].(string), key.BadgeKey) {
		t.Fatal("the badge key is part of the ping url")
	}
	// Asking again answers the same key.
	var again struct {
		BadgeKey string `json:"badge_key"`
	}
	apiJSON(t, e.do("GET", "/api/v1/user/badge-key", u.Key, nil), &again)
	if again.BadgeKey != key.BadgeKey {
		t.Errorf("second read %q, first %q", again.BadgeKey, key.BadgeKey)
	}
	tagURL := "/b/t/" + key.BadgeKey + "/prod"
	if got := badgeGet(e.apiEnv, tagURL+".json").Body.String(); !strings.Contains(got, `"status":"new","label":"prod"`) {
		t.Fatalf("tag badge: %s", got)
	}
	realID := strings.TrimPrefix(badgeURLs(t, m)["svg"], "/b/c/")
	realID = strings.TrimSuffix(realID, ".svg")

	// Rotate the user's key: the old key's badges turn unknown.
	rec = e.do("POST", "/api/v1/user/rotate-badge-key", u.Key, nil)
	var rot struct {
		BadgeKey string `json:"badge_key"`
	}
	apiJSON(t, rec, &rot)
	if rec.Code != 200 || rot.BadgeKey == key.BadgeKey || len(rot.BadgeKey) < 22 {
		t.Fatalf("rotate key: %d %s", rec.Code, rec.Body)
	}

	for _, format := range []string{"svg", "json", "shields"} {
		t.Run(format, func(t *testing.T) {
			unknown := []string{
				"/b/c/AAAAAAAAAAAAAAAAAAAAAAAA." + format,       // well-formed, unknown
				"/b/c/short." + format,                          // malformed
				"/b/c/" + m["uuid"].(string) + "." + format,     // the check's uuid is not its badge id
				"/b/c/" + realID + "x." + format,                // near miss
				"/b/t/" + key.BadgeKey + "/prod." + format,      // rotated key
				"/b/t/" + rot.BadgeKey + "/nope." + format,      // tag nobody carries
				"/b/t/" + rot.BadgeKey + "/bad%20tag." + format, // not a tag
				"/b/t/AAAAAAAAAAAAAAAAAAAAAAAA/prod." + format,  // unknown key
				"/b/t/" + u.Slug + "/prod." + format,            // the user slug is not a badge key
			}
			var first *httptest.ResponseRecorder
			for _, p := range unknown {
				rec := badgeGet(e.apiEnv, p)
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), "unknown") {
					t.Errorf("%s: %d %s", p, rec.Code, rec.Body)
					continue
				}
				if first == nil {
					first = rec
					continue
				}
				if rec.Body.String() != first.Body.String() || rec.Header().Get("ETag") != first.Header().Get("ETag") ||
					rec.Header().Get("Content-Type") != first.Header().Get("Content-Type") ||
					rec.Header().Get("Cache-Control") != first.Header().Get("Cache-Control") {
					t.Errorf("%s differs from the first unknown badge:\n%s %v\n%s %v", p, rec.Body, rec.Header(),
						first.Body, first.Header())
				}
			}
			if got := badgeGet(e.apiEnv, "/b/t/"+rot.BadgeKey+"/prod."+format).Body.String(); strings.Contains(got, "unknown") {
				t.Errorf("the new key's badge is unknown: %s", got)
			}
		})
	}
	if rec := badgeGet(e.apiEnv, "/b/c/AAAAAAAAAAAAAAAAAAAAAAAA.png"); rec.Code != http.StatusNotFound {
		t.Errorf("an unknown format: %d", rec.Code)
	}
}

func TestTagBadgeIsTheWorstCheck(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	var key struct {
		BadgeKey string `json:"badge_key"`
	}
	apiJSON(t, e.do("GET", "/api/v1/user/badge-key", u.Key, nil), &key)
	set := func(id int64, status messages.CheckStatus, late bool) {
		e.store.setCheck(id, func(c *messages.Check) {
			c.Status = status
			if late {
				c.NextDue, c.NextDeadline = apiEpoch.Add(-time.Minute), apiEpoch.Add(time.Minute)
			} else {
				c.NextDue, c.NextDeadline = apiEpoch.Add(time.Hour), apiEpoch.Add(2*time.Hour)
			}
		})
	}
	a := apiID(t, e.create(u, map[string]any{"tags": []string{"t"}}))
	b := apiID(t, e.create(u, map[string]any{"tags": []string{"t"}}))
	status := func() string {
		var j map[string]any
		_ = json.Unmarshal(badgeGet(e, "/b/t/"+key.BadgeKey+"/t.json").Body.Bytes(), &j)
		return j["status"].(string)
	}
	steps := []struct {
		a, b       messages.CheckStatus
		aLate, bLt bool
		want       string
	}{
		{"new", "new", false, false, "new"},
		{"paused", "new", false, false, "new"},
		{"paused", "paused", false, false, "paused"},
		{"up", "paused", false, false, "up"},
		{"up", "up", true, false, "late"},
		{"down", "up", false, true, "down"},
	}
	for _, st := range steps {
		set(a, st.a, st.aLate)
		set(b, st.b, st.bLt)
		if got := status(); got != st.want {
			t.Errorf("%s + %s (late %v %v) = %s, want %s", st.a, st.b, st.aLate, st.bLt, got, st.want)
		}
	}
}

// TestBadgeSuffixOnPingURLIsNothing: the original's badge at the ping URL plus /badge.svg is
// not served: it answers 404 (no badge) and no ping reaches the check.
func TestBadgeSuffixOnPingURLIsNothing(t *testing.T) {
	e := newRealEnv(t, nil)
	u := e.newUser()
	m := e.create(u, map[string]any{"name": "n", "slug": "backup", "badge_enabled": true})
	id := apiID(t, m)
	paths := []string{
		"/p/" + u.Slug + "/backup/badge.svg",
		"/p/" + u.Slug + "/" + m["uuid"].(string) + "/badge.svg", // by the check's uuid
		"/p/" + u.Slug + "/backup/badge.svg?rid=" + m["uuid"].(string),
		"/ping/" + m["uuid"].(string) + "/badge.svg", // the healthchecks-compatible routes neither
		"/ping/" + u.PingKey + "/backup/badge.svg",
	}
	for _, p := range paths {
		for _, method := range []string{"GET", "POST", "HEAD"} {
			req := httptest.NewRequest(method, p, nil)
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "<svg") ||
				strings.HasPrefix(rec.Header().Get("Content-Type"), "image/") {
				t.Errorf("%s %s: %d %s %s", method, p, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		}
	}
	// No check may be named badge.svg, so that path never becomes a ping.
	if rec := e.do("POST", "/api/v1/checks", u.Key, map[string]any{"slug": "badge.svg"}); rec.Code != http.StatusBadRequest {
		t.Errorf("a check with the slug badge.svg: %d %s", rec.Code, rec.Body)
	}
	got, _ := e.get(u, id)
	if got["n_pings"] != json.Number("0") || got["status"] != "new" || got["last_ping"] != nil {
		t.Errorf("after the badge.svg requests: n_pings %v status %v", got["n_pings"], got["status"])
	}
	if pings := e.pings(u, hcCheck{id: id}); len(pings) != 0 {
		t.Errorf("the ping log holds %d pings after the badge.svg requests", len(pings))
	}
}

func TestStatsAveragesAndETag(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	a := apiID(t, e.create(u, nil))
	b := apiID(t, e.create(u, nil))
	e.store.setCheck(a, func(c *messages.Check) { c.LastDuration = 2 * time.Second })
	e.store.setCheck(b, func(c *messages.Check) { c.LastDuration = 5 * time.Second })
	e.store.mu.Lock()
	e.store.pings[a] = []messages.PingRecord{{At: apiEpoch.Add(-25 * time.Hour)}, {At: apiEpoch.Add(-time.Hour)}, {At: apiEpoch}}
	e.store.deliveries[b] = []messages.OutboxRow{{Kind: messages.AlertDown, CreatedAt: apiEpoch}, {Kind: messages.AlertTest, CreatedAt: apiEpoch}}
	e.store.mu.Unlock()
	rec := e.do("GET", "/api/v1/checks/stats", u.Key, nil)
	var st map[string]any
	apiJSON(t, rec, &st)
	want := map[string]any{"avg_duration_seconds": json.Number("3.5"), "pings_24h": json.Number("2"),
		"alerts_24h": json.Number("1"), "avg_pings_per_check_24h": json.Number("1"), "avg_alerts_per_check_24h": json.Number("0.5")}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("%s = %v, want %v", k, st[k], v)
		}
	}
	etag := rec.Header().Get("ETag")
	if !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("ETag %q", etag)
	}
	if r := e.do("GET", "/api/v1/checks/stats", u.Key, nil, "If-None-Match", etag); r.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", r.Code)
	}
	e.store.setCheck(b, func(c *messages.Check) { c.Status = messages.StatusDown })
	if r := e.do("GET", "/api/v1/checks/stats", u.Key, nil, "If-None-Match", etag); r.Code != 200 || r.Header().Get("ETag") == etag {
		t.Errorf("after a change: %d, ETag %q", r.Code, r.Header().Get("ETag"))
	}
	// Another user with the same numbers gets another ETag.
	o := e.newUser()
	if r := e.do("GET", "/api/v1/checks/stats", o.Key, nil, "If-None-Match", etag); r.Code != 200 {
		t.Errorf("another user's ETag matched: %d", r.Code)
	}
}

// TestDisabledAndRotatedAreTheUnknownBadge: in every form, a check badge id that was rotated
// away, one whose badge was then disabled, and a user's rotated badge key answer exactly
// what a never-issued id answers — body, status and every header — and the unknown badge
// has its ETag and 304 like any other. (Only X-Request-Id differs: every answer has its own.)
func TestDisabledAndRotatedAreTheUnknownBadge(t *testing.T) {
	e := newRealEnv(t, nil)
	u := e.newUser()
	m := e.create(u, map[string]any{"name": "db", "tags": []string{"prod"}, "badge_enabled": true})
	id := apiID(t, m)
	first := strings.TrimSuffix(strings.TrimPrefix(badgeURLs(t, m)["svg"], "/b/c/"), ".svg")

	rec := e.do("POST", "/api/v1/checks/"+apiItoa(id)+"/rotate-badge", u.Key, nil)
	var cm map[string]any
	apiJSON(t, rec, &cm)
	rotated := strings.TrimSuffix(strings.TrimPrefix(badgeURLs(t, cm)["svg"], "/b/c/"), ".svg")
	if rotated == "" || rotated == first {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	var key struct {
		BadgeKey string `json:"badge_key"`
	}
	apiJSON(t, e.do("GET", "/api/v1/user/badge-key", u.Key, nil), &key)
	oldKey := key.BadgeKey
	apiJSON(t, e.do("POST", "/api/v1/user/rotate-badge-key", u.Key, nil), &key)

	// While enabled, the rotated id shows the check; remember it to see it stop.
	for _, f := range []string{"svg", "json", "shields"} {
		if got := badgeGet(e.apiEnv, "/b/c/"+rotated+"."+f).Body.String(); strings.Contains(got, "unknown") {
			t.Fatalf("the current id's %s is unknown: %s", f, got)
		}
	}
	if rec := e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, `{"badge_enabled": false}`); rec.Code != 200 {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	for _, f := range []string{"svg", "json", "shields"} {
		t.Run(f, func(t *testing.T) {
			want := badgeGet(e.apiEnv, "/b/c/AAAAAAAAAAAAAAAAAAAAAAAA."+f)
			for name, path := range map[string]string{
				"rotated away": "/b/c/" + first + "." + f,
				"disabled":     "/b/c/" + rotated + "." + f,
				"rotated key":  "/b/t/" + oldKey + "/prod." + f,
			} {
				got := badgeGet(e.apiEnv, path)
				if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
					t.Errorf("%s: %d %q, want %d %q", name, got.Code, got.Body, want.Code, want.Body)
				}
				for k := range want.Header() {
					if k != "X-Request-Id" && got.Header().Get(k) != want.Header().Get(k) {
						t.Errorf("%s: header %s = %q, want %q", name, k, got.Header().Get(k), want.Header().Get(k))
					}
				}
				if len(got.Header()) != len(want.Header()) {
					t.Errorf("%s: headers %v, want %v", name, got.Header(), want.Header())
				}
			}
			etag := want.Header().Get("ETag")
			if r := badgeGet(e.apiEnv, "/b/c/"+first+"."+f, "If-None-Match", etag); r.Code != http.StatusNotModified || r.Body.Len() != 0 {
				t.Errorf("the unknown badge with its ETag: %d %q", r.Code, r.Body)
			}
			// A tag badge has its ETag too, and another one once the tag's status changes.
			tag := badgeGet(e.apiEnv, "/b/t/"+key.BadgeKey+"/prod."+f)
			if r := badgeGet(e.apiEnv, "/b/t/"+key.BadgeKey+"/prod."+f, "If-None-Match", tag.Header().Get("ETag")); r.Code != http.StatusNotModified {
				t.Errorf("tag badge with its ETag: %d", r.Code)
			}
			if tag.Header().Get("ETag") == etag {
				t.Error("a tag badge has the unknown badge's ETag")
			}
		})
	}
	req := httptest.NewRequest("HEAD", "/b/c/"+first+".svg", nil)
	head := httptest.NewRecorder()
	e.h.ServeHTTP(head, req)
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("ETag") == "" {
		t.Errorf("HEAD of a badge: %d %d bytes %v", head.Code, head.Body.Len(), head.Header())
	}
}
