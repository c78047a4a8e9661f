package hcapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/messages"
)

// newCheckJSON is healthchecks.io's documented answer to its create example ("Backups",
// "prod www", timeout 3600, grace 60), for the check u in API version v, as ttr answers it
// (badge_url is "" while the check's badge is off).
func newCheckJSON(u string, v string) map[string]any {
	upd := site + "/api/" + v + "/checks/" + u
	return map[string]any{
		"name": "Backups", "slug": "", "tags": "prod www", "desc": "", "grace": 60, "n_pings": 0,
		"status": "new", "started": false, "last_ping": nil, "next_ping": nil, "manual_resume": false,
		"methods": "", "subject": "", "subject_fail": "", "start_kw": "", "success_kw": "", "failure_kw": "",
		"filter_subject": false, "filter_body": false, "filter_http_body": false, "filter_default_fail": false,
		"badge_url": "", "uuid": u, "ping_url": site + "/ping/" + u, "update_url": upd,
		"pause_url": upd + "/pause", "resume_url": upd + "/resume", "channels": "", "timeout": 3600,
	}
}

// The requests of healthchecks.io's API documentation, as its curl examples send them
// (--data sends a form Content-Type), answered field for field.
func TestDocumentationExamples(t *testing.T) {
	e := newEnv(t)
	form := "Content-Type"
	formType := "application/x-www-form-urlencoded"

	// Create, key in the header.
	got := e.json(http.StatusCreated, "POST", "/api/v3/checks/",
		`{"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`, "X-Api-Key", e.rw, form, formType)
	u, _ := got["uuid"].(string)
	if len(u) != 36 {
		t.Fatalf("uuid %v", got["uuid"])
	}
	diffMaps(t, "create", got, newCheckJSON(u, "v3"))

	// Create, key in the body.
	got2 := e.json(http.StatusCreated, "POST", "/api/v3/checks/",
		`{"api_key": "`+e.rw+`", "name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`, form, formType)
	if got2["uuid"] == u {
		t.Fatal("a second create without unique made no new check")
	}
	u2 := got2["uuid"].(string)
	diffMaps(t, "create with api_key", got2, newCheckJSON(u2, "v3"))

	// Update, both ways.
	diffMaps(t, "update", e.json(http.StatusOK, "POST", "/api/v3/checks/"+u,
		`{"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`, "X-Api-Key", e.rw, form, formType), newCheckJSON(u, "v3"))
	diffMaps(t, "update with api_key", e.json(http.StatusOK, "POST", "/api/v3/checks/"+u,
		`{"api_key": "`+e.rw+`", "name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`, form, formType), newCheckJSON(u, "v3"))

	// Pause, resume, resume again.
	paused := newCheckJSON(u, "v3")
	paused["status"] = "paused"
	diffMaps(t, "pause", e.json(http.StatusOK, "POST", "/api/v3/checks/"+u+"/pause", "", "X-Api-Key", e.rw), paused)
	diffMaps(t, "resume", e.json(http.StatusOK, "POST", "/api/v3/checks/"+u+"/resume", "", "X-Api-Key", e.rw), newCheckJSON(u, "v3"))
	code, hd, body := e.do("POST", "/api/v3/checks/"+u+"/resume", "", "X-Api-Key", e.rw)
	if code != http.StatusConflict || string(body) != "check is not paused" || hd.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("resume of an active check: %d %q", code, body)
	}

	// List, get, get by unique_key (the read-only key's identifier).
	list := e.json(http.StatusOK, "GET", "/api/v3/checks/", "", "X-Api-Key", e.rw)
	checks, _ := list["checks"].([]any)
	if len(checks) != 2 {
		t.Fatalf("list: %v", list)
	}
	diffMaps(t, "list[0]", checks[0].(map[string]any), newCheckJSON(u, "v3"))
	diffMaps(t, "get", e.json(http.StatusOK, "GET", "/api/v3/checks/"+u, "", "X-Api-Key", e.rw), newCheckJSON(u, "v3"))

	// Pings, flips, channels, badges, status.
	if p := e.json(http.StatusOK, "GET", "/api/v3/checks/"+u+"/pings/", "", "X-Api-Key", e.rw); len(p["pings"].([]any)) != 0 {
		t.Errorf("pings of a new check: %v", p)
	}
	flips := e.json(http.StatusOK, "GET", "/api/v3/checks/"+u+"/flips/", "", "X-Api-Key", e.rw)
	if _, ok := flips["flips"].([]any); !ok {
		t.Errorf("flips: %v", flips)
	}
	if c := e.json(http.StatusOK, "GET", "/api/v3/channels/", "", "X-Api-Key", e.rw); len(c["channels"].([]any)) != 0 {
		t.Errorf("channels: %v", c)
	}
	badges := e.json(http.StatusOK, "GET", "/api/v3/badges/", "", "X-Api-Key", e.rw)["badges"].(map[string]any)
	for _, tag := range []string{"prod", "www"} {
		b, ok := badges[tag].(map[string]any)
		if !ok || len(b) != 6 || !strings.HasPrefix(b["svg"].(string), site+"/b/t/") || !strings.HasSuffix(b["svg"].(string), "/"+tag+".svg") ||
			b["svg3"] != b["svg"] || !strings.HasSuffix(b["shields3"].(string), "/"+tag+".shields") || !strings.HasSuffix(b["json"].(string), "/"+tag+".json") {
			t.Errorf("badges[%s] = %v", tag, badges[tag])
		}
	}
	if code, _, body := e.do("GET", "/api/v3/status/", ""); code != 200 || string(body) != "OK" {
		t.Errorf("status: %d %q", code, body)
	}

	// Delete answers the check; then it is gone.
	diffMaps(t, "delete", e.json(http.StatusOK, "DELETE", "/api/v3/checks/"+u, "", "X-Api-Key", e.rw), newCheckJSON(u, "v3"))
	if code, _, _ := e.do("GET", "/api/v3/checks/"+u, "", "X-Api-Key", e.rw); code != http.StatusNotFound {
		t.Errorf("get after delete: %d", code)
	}
}

// The requests of the Terraform provider's Go client (kristofferahl/go-healthchecksio): /api/v1,
// Content-Type application/json, X-Api-Key, a body marshalled from its Healthcheck struct.
func TestTerraformClient(t *testing.T) {
	e := newEnv(t)
	h := []string{"Content-Type", "application/json", "X-Api-Key", e.rw}
	create := `{"channels":"","grace":120,"methods":"","name":"TF Backup","tags":"prod db","timeout":300,"unique":["name"]}`
	first := e.json(http.StatusCreated, "POST", "/api/v1/checks/", create, h...)
	u := first["uuid"].(string)
	want := func(mut func(m map[string]any)) map[string]any {
		upd := site + "/api/v1/checks/" + u
		m := map[string]any{
			"name": "TF Backup", "slug": "tf-backup", "tags": "prod db", "desc": "", "grace": 120, "n_pings": 0,
			"status": "new", "started": false, "last_ping": nil, "next_ping": nil, "manual_resume": false,
			"methods": "", "subject": "", "subject_fail": "", "start_kw": "", "success_kw": "", "failure_kw": "",
			"filter_subject": false, "filter_body": false, "filter_http_body": false, "filter_default_fail": false,
			"badge_url": "", "uuid": u, "ping_url": site + "/ping/" + u, "update_url": upd,
			"pause_url": upd + "/pause", "resume_url": upd + "/resume", "channels": "", "timeout": 300,
		}
		if mut != nil {
			mut(m)
		}
		return m
	}
	diffMaps(t, "create", first, want(nil))
	// unique: the same name finds the check (200), nothing new is made.
	diffMaps(t, "create again", e.json(http.StatusOK, "POST", "/api/v1/checks/", create, h...), want(nil))
	if l := e.json(200, "GET", "/api/v1/checks/", "", h...)["checks"].([]any); len(l) != 1 {
		t.Fatalf("upsert made %d checks", len(l))
	}

	// A destination configured in ttr shows as a channel; the client attaches it by id.
	id := e.checkID(u)
	e.setChannel(id, messages.ChannelSlack, messages.ChannelConfig{URL: "https://hooks.slack.com/services/T/B/x"}, false)
	chans := e.json(http.StatusOK, "GET", "/api/v1/channels/", "", h...)["channels"].([]any)
	if len(chans) != 1 {
		t.Fatalf("channels: %v", chans)
	}
	ch := chans[0].(map[string]any)
	diffMaps(t, "channel", ch, map[string]any{"id": ch["id"], "name": "Slack", "kind": "slack"})
	chID := ch["id"].(string)

	update := `{"channels":"` + chID + `","desc":"nightly","grace":120,"methods":"POST","name":"TF Backup","schedule":"0 5 * * *","tags":"prod db","tz":"Europe/Riga"}`
	diffMaps(t, "update", e.json(http.StatusOK, "POST", "/api/v1/checks/"+u, update, h...), want(func(m map[string]any) {
		delete(m, "timeout")
		m["schedule"], m["tz"], m["desc"], m["methods"], m["channels"] = "0 5 * * *", "Europe/Riga", "nightly", "POST", chID
	}))
	diffMaps(t, "pause", e.json(http.StatusOK, "POST", "/api/v1/checks/"+u+"/pause", "", h...), want(func(m map[string]any) {
		delete(m, "timeout")
		m["schedule"], m["tz"], m["desc"], m["methods"], m["channels"], m["status"] = "0 5 * * *", "Europe/Riga", "nightly", "POST", chID, "paused"
	}))
	// The id stays the same across listings.
	if again := e.json(200, "GET", "/api/v1/channels/", "", h...)["channels"].([]any); again[0].(map[string]any)["id"] != chID {
		t.Errorf("channel id changed: %v", again)
	}
	del := e.json(http.StatusOK, "DELETE", "/api/v1/checks/"+u, "", h...)
	if del["uuid"] != u || del["status"] != "paused" {
		t.Errorf("delete answered %v", del)
	}
	if code, _, _ := e.do("DELETE", "/api/v1/checks/"+u, "", h...); code != http.StatusNotFound {
		t.Errorf("second delete: %d", code)
	}
}

// A read-only key sees unique_key instead of the UUID, the URLs and the channels, reaches a
// check and its flips by unique_key, and is refused every write and the read-write reads.
func TestReadOnlyKey(t *testing.T) {
	e := newEnv(t)
	c := e.json(http.StatusCreated, "POST", "/api/v3/checks/", `{"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`, "X-Api-Key", e.rw)
	u := c["uuid"].(string)
	want := newCheckJSON(u, "v3")
	for _, k := range []string{"uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"} {
		delete(want, k)
	}
	want["unique_key"] = uniqueKeyOf(u)
	ro := []string{"X-Api-Key", e.ro}
	diffMaps(t, "list", e.json(200, "GET", "/api/v3/checks/", "", ro...)["checks"].([]any)[0].(map[string]any), want)
	diffMaps(t, "get by uuid", e.json(200, "GET", "/api/v3/checks/"+u, "", ro...), want)
	diffMaps(t, "get by unique_key", e.json(200, "GET", "/api/v3/checks/"+uniqueKeyOf(u), "", ro...), want)
	e.json(200, "GET", "/api/v3/checks/"+uniqueKeyOf(u)+"/flips/", "", ro...)
	e.json(200, "GET", "/api/v3/badges/", "", ro...)

	refused := []struct{ method, path, body string }{
		{"POST", "/api/v3/checks/", `{"name": "x"}`},
		{"POST", "/api/v3/checks/" + u, `{"name": "x"}`},
		{"DELETE", "/api/v3/checks/" + u, ""},
		{"POST", "/api/v3/checks/" + u + "/pause", ""},
		{"POST", "/api/v3/checks/" + u + "/resume", ""},
		{"GET", "/api/v3/checks/" + u + "/pings/", ""},
		{"GET", "/api/v3/checks/" + u + "/pings/1/body", ""},
		{"GET", "/api/v3/channels/", ""},
	}
	for _, r := range refused {
		code, _, body := e.do(r.method, r.path, r.body, ro...)
		if code != http.StatusUnauthorized || string(body) != `{"error":"wrong api key"}`+"\n" {
			t.Errorf("%s %s with a read-only key: %d %s", r.method, r.path, code, body)
		}
	}
	// The read-only key in a body is no key at all (healthchecks.io reads it only on writes,
	// and refuses a read-only one there).
	if code, _, _ := e.do("POST", "/api/v3/checks/", `{"api_key": "`+e.ro+`"}`); code != http.StatusUnauthorized {
		t.Errorf("read-only api_key: %d", code)
	}
	if got := e.json(200, "GET", "/api/v3/checks/"+u, "", "X-Api-Key", e.rw); got["name"] != "Backups" {
		t.Errorf("a refused write changed the check: %v", got)
	}
}

func uniqueKeyOf(u string) string {
	// computed independently of the package: sha1 of the first 16 hex digits
	return shaHex(strings.ReplaceAll(u, "-", "")[:16])
}

// Errors are healthchecks.io's: its messages and statuses, CORS on every answer, 403 for
// another user's check, and nothing answers 500.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	c := e.json(http.StatusCreated, "POST", "/api/v3/checks/", `{}`, "X-Api-Key", e.rw)
	u := c["uuid"].(string)
	theirs := e.json(http.StatusCreated, "POST", "/api/v3/checks/", `{}`, "X-Api-Key", e.oKey)["uuid"].(string)
	cases := []struct {
		name, method, path, body string
		headers                  []string
		code                     int
		body0                    string
	}{
		{"no key", "GET", "/api/v3/checks/", "", nil, 401, `{"error":"missing api key"}`},
		{"wrong key", "GET", "/api/v3/checks/", "", []string{"X-Api-Key", "nope"}, 401, `{"error":"wrong api key"}`},
		{"bad json", "POST", "/api/v3/checks/", "{", []string{"X-Api-Key", e.rw}, 400, `{"error":"could not parse request body"}`},
		{"not an object", "POST", "/api/v3/checks/", "[1]", []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: value is not an object"}`},
		{"grace small", "POST", "/api/v3/checks/", `{"grace": 59}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: grace is too small"}`},
		{"timeout large", "POST", "/api/v3/checks/", `{"timeout": 31536001}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: timeout is too large"}`},
		{"timeout float", "POST", "/api/v3/checks/", `{"timeout": 60.5}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: timeout is not a number"}`},
		{"name null", "POST", "/api/v3/checks/", `{"name": null}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: name is not a string"}`},
		{"name long", "POST", "/api/v3/checks/", `{"name": "` + strings.Repeat("a", 101) + `"}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: name is too long"}`},
		{"methods", "POST", "/api/v3/checks/", `{"methods": "GET"}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: methods has unexpected value"}`},
		{"schedule", "POST", "/api/v3/checks/", `{"schedule": "bad"}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: schedule is not a valid cron or OnCalendar expression"}`},
		{"tz", "POST", "/api/v3/checks/", `{"tz": "Mars/Base"}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: tz is not a valid timezone"}`},
		{"slug", "POST", "/api/v3/checks/", `{"slug": "Bad Slug"}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: slug does not match pattern"}`},
		{"unique", "POST", "/api/v3/checks/", `{"unique": ["desc"]}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: an item in 'unique' has unexpected value"}`},
		{"manual_resume", "POST", "/api/v3/checks/", `{"manual_resume": "yes"}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"json validation error: manual_resume is not a boolean"}`},
		{"channel unknown", "POST", "/api/v3/checks/", `{"channels": "nope"}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"invalid channel identifier: nope"}`},
		{"channel empty", "POST", "/api/v3/checks/", `{"channels": "a,"}`, []string{"X-Api-Key", e.rw}, 400, `{"error":"invalid channel identifier: a"}`},
		{"another user's", "GET", "/api/v3/checks/" + theirs, "", []string{"X-Api-Key", e.rw}, 403, ``},
		{"another user's update", "POST", "/api/v3/checks/" + theirs, "{}", []string{"X-Api-Key", e.rw}, 403, ``},
		{"unknown uuid", "GET", "/api/v3/checks/00000000-0000-4000-8000-000000000000", "", []string{"X-Api-Key", e.rw}, 404, ``},
		{"unknown unique_key", "GET", "/api/v3/checks/" + strings.Repeat("a", 40), "", []string{"X-Api-Key", e.rw}, 404, ``},
		{"post by unique_key", "POST", "/api/v3/checks/" + uniqueKeyOf(u), "{}", []string{"X-Api-Key", e.rw}, 405, ``},
		{"upper-case uuid", "GET", "/api/v3/checks/" + strings.ToUpper(u), "", []string{"X-Api-Key", e.rw}, 404, ``},
		{"no body", "GET", "/api/v3/checks/" + u + "/pings/1/body", "", []string{"X-Api-Key", e.rw}, 404, ``},
		{"flips bad", "GET", "/api/v3/checks/" + u + "/flips/?seconds=x", "", []string{"X-Api-Key", e.rw}, 400, ``},
		{"flips out of range", "GET", "/api/v3/checks/" + u + "/flips/?start=-1", "", []string{"X-Api-Key", e.rw}, 400, ``},
		{"mixed credentials", "GET", "/api/v3/checks/", "", []string{"X-Api-Key", e.rw, "X-Auth-Key", e.rw}, 400,
			`{"error":"send one credential: X-Api-Key (or api_key), or ttr's X-Auth-Key or Authorization, not both"}`},
		{"mixed bearer", "POST", "/api/v3/checks/", `{"api_key": "` + e.rw + `"}`, []string{"Authorization", "Bearer x"}, 400,
			`{"error":"send one credential: X-Api-Key (or api_key), or ttr's X-Auth-Key or Authorization, not both"}`},
		{"unknown path", "GET", "/api/v3/nope/", "", []string{"X-Api-Key", e.rw}, 404, ``},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, hd, body := e.do(tc.method, tc.path, tc.body, tc.headers...)
			if code != tc.code || strings.TrimSpace(string(body)) != tc.body0 {
				t.Errorf("%d %s, want %d %s", code, body, tc.code, tc.body0)
			}
			if tc.code != http.StatusNotFound && hd.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("no CORS header")
			}
			if hd.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("credentialed CORS")
			}
		})
	}
}

// CORS as healthchecks.io's decorator answers it: a preflight is 204 without a key, with the
// endpoint's methods.
func TestCORSPreflight(t *testing.T) {
	e := newEnv(t)
	code, hd, _ := e.do("OPTIONS", "/api/v3/checks/", "", "Origin", "https://elsewhere.example", "Access-Control-Request-Headers", "x-api-key")
	if code != http.StatusNoContent || hd.Get("Access-Control-Allow-Origin") != "*" || hd.Get("Access-Control-Allow-Headers") != "X-Api-Key" ||
		hd.Get("Access-Control-Allow-Methods") != "GET, POST, OPTIONS" || hd.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("preflight: %d %v", code, hd)
	}
	// The same preflight on /api/v1 is healthchecks.io's too (it names x-api-key).
	if code, hd, _ := e.do("OPTIONS", "/api/v1/checks/x", "", "Access-Control-Request-Headers", "content-type, X-API-KEY"); code != http.StatusNotFound || hd.Get("X-Body") != "" {
		t.Errorf("v1 preflight naming x-api-key on an unknown path: %d", code)
	}
}

// ttr's own /api/v1 keeps every request that is not healthchecks.io's, its body intact; a
// request with X-Api-Key, a JSON body with api_key or a preflight naming x-api-key is
// healthchecks.io's.
func TestV1Routing(t *testing.T) {
	e := newEnv(t)
	own := []struct {
		method, path, body string
		headers            []string
	}{
		{"GET", "/api/v1/checks", "", []string{"X-Auth-Key", e.rw}},
		{"POST", "/api/v1/checks", `{"name": "x"}`, []string{"X-Auth-Key", e.rw, "Content-Type", "application/json"}},
		{"POST", "/api/v1/checks/", `{"name": "x", "api": 1}`, []string{"Authorization", "Bearer t"}},
		{"POST", "/api/v1/users", "", nil},
		{"POST", "/api/v1/checks/", `not json {"api_key": 1}`, nil},
		{"GET", "/api/v1/checks/", `{"api_key": "` + e.rw + `"}`, nil}, // a GET body is never read
		{"OPTIONS", "/api/v1/checks", "", []string{"Access-Control-Request-Headers", "x-auth-key, content-type"}},
		{"GET", "/api/v1/channels/", "", nil},
	}
	for _, r := range own {
		code, hd, body := e.do(r.method, r.path, r.body, r.headers...)
		if code != 200 || string(body) != ttrOwn || hd.Get("X-Body") != r.body {
			t.Errorf("%s %s %v: %d %q body seen %q, want ttr's own with the body intact", r.method, r.path, r.headers, code, body, hd.Get("X-Body"))
		}
	}
	hc := []struct {
		method, path, body string
		headers            []string
		code               int
	}{
		{"GET", "/api/v1/checks/", "", []string{"X-Api-Key", e.rw}, 200},
		{"POST", "/api/v1/checks/", `{"api_key": "` + e.rw + `", "name": "x"}`, nil, 201},
		{"OPTIONS", "/api/v1/checks/", "", []string{"Access-Control-Request-Headers", "x-api-key"}, 204},
		{"GET", "/api/v2/checks/", "", []string{"X-Api-Key", e.rw}, 200},
		{"GET", "/api/v1/checks/", "", []string{"X-Api-Key", e.rw, "X-Auth-Key", e.rw}, 400},
	}
	for _, r := range hc {
		code, _, body := e.do(r.method, r.path, r.body, r.headers...)
		if code != r.code || string(body) == ttrOwn {
			t.Errorf("%s %s %v: %d %q, want healthchecks.io's %d", r.method, r.path, r.headers, code, body, r.code)
		}
	}
}

// v1 and v2 derive the slug from the name; v3 takes it as given; v1 reports a started check
// as started.
func TestVersions(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ v, body, slug string }{
		{"v1", `{"name": "Nightly Backup!"}`, "nightly-backup"},
		{"v2", `{"name": "Café  Run"}`, "cafe-run"},
		{"v3", `{"name": "Nightly Backup!"}`, ""},
		{"v3", `{"name": "x", "slug": "my-slug"}`, "my-slug"},
		{"v1", `{"name": "123"}`, ""},             // not a valid ttr slug: none
		{"v1", `{"name": "Nightly Backup?"}`, ""}, // taken by the first: none
	} {
		got := e.json(http.StatusCreated, "POST", "/api/"+tc.v+"/checks/", tc.body, "X-Api-Key", e.rw)
		if got["slug"] != tc.slug || !strings.Contains(got["update_url"].(string), "/api/"+tc.v+"/") {
			t.Errorf("%s %s: slug %q update_url %v, want %q", tc.v, tc.body, got["slug"], got["update_url"], tc.slug)
		}
	}
	if l := e.json(200, "GET", "/api/v3/checks/?slug=my-slug", "", "X-Api-Key", e.rw)["checks"].([]any); len(l) != 1 {
		t.Errorf("?slug=: %d checks", len(l))
	}
}

// Tag filters: every tag given must be the check's.
func TestListFilters(t *testing.T) {
	e := newEnv(t)
	for _, tags := range []string{"prod db", "prod www", "staging"} {
		e.json(http.StatusCreated, "POST", "/api/v3/checks/", `{"tags": "`+tags+`"}`, "X-Api-Key", e.rw)
	}
	for q, n := range map[string]int{"": 3, "?tag=prod": 2, "?tag=prod&tag=db": 1, "?tag=nope": 0, "?tag=pro": 0} {
		if l := e.json(200, "GET", "/api/v3/checks/"+q, "", "X-Api-Key", e.rw)["checks"].([]any); len(l) != n {
			t.Errorf("%q: %d checks, want %d", q, len(l), n)
		}
	}
}

// Channels: "*" attaches per kind the most recently recorded destination, "" detaches all,
// two of one kind are refused naming both.
func TestChannels(t *testing.T) {
	e := newEnv(t)
	a := e.json(http.StatusCreated, "POST", "/api/v3/checks/", `{}`, "X-Api-Key", e.rw)["uuid"].(string)
	b := e.json(http.StatusCreated, "POST", "/api/v3/checks/", `{}`, "X-Api-Key", e.rw)["uuid"].(string)
	e.setChannel(e.checkID(a), messages.ChannelWebhook, messages.ChannelConfig{URL: "https://one.example/hook"}, true)
	e.setChannel(e.checkID(a), messages.ChannelEmail, messages.ChannelConfig{EmailTo: "ops@example.com"}, true)
	e.json(200, "GET", "/api/v3/channels/", "", "X-Api-Key", e.rw) // records the first two
	e.now = e.now.Add(1e9)
	e.setChannel(e.checkID(b), messages.ChannelWebhook, messages.ChannelConfig{URL: "https://two.example/hook"}, false)
	list := e.json(200, "GET", "/api/v3/channels/", "", "X-Api-Key", e.rw)["channels"].([]any)
	ids := map[string]string{}
	for _, c := range list {
		m := c.(map[string]any)
		ids[m["name"].(string)] = m["id"].(string)
	}
	want := []string{"Webhook to one.example", "Email to ops@example.com", "Webhook to two.example"}
	for _, n := range want {
		if ids[n] == "" {
			t.Fatalf("channels %v lack %q", list, n)
		}
	}
	got := e.json(200, "GET", "/api/v3/checks/"+a, "", "X-Api-Key", e.rw)["channels"]
	if wantA := sortedJoin(ids["Webhook to one.example"], ids["Email to ops@example.com"]); got != wantA {
		t.Errorf("check a's channels %v, want %v", got, wantA)
	}
	got = e.json(200, "POST", "/api/v3/checks/"+b, `{"channels": "*"}`, "X-Api-Key", e.rw)["channels"]
	if wantB := sortedJoin(ids["Webhook to two.example"], ids["Email to ops@example.com"]); got != wantB {
		t.Errorf(`"*": %v, want %v`, got, wantB)
	}
	got = e.json(200, "POST", "/api/v3/checks/"+b, `{"channels": "Webhook to one.example"}`, "X-Api-Key", e.rw)["channels"]
	if got != ids["Webhook to one.example"] {
		t.Errorf("by name: %v", got)
	}
	code, _, body := e.do("POST", "/api/v3/checks/"+b, `{"channels": "`+ids["Webhook to one.example"]+`,`+ids["Webhook to two.example"]+`"}`, "X-Api-Key", e.rw)
	if code != 400 || !strings.Contains(string(body), ids["Webhook to one.example"]) || !strings.Contains(string(body), ids["Webhook to two.example"]) ||
		!strings.Contains(string(body), "webhook") {
		t.Errorf("two webhooks: %d %s", code, body)
	}
	if got := e.json(200, "POST", "/api/v3/checks/"+b, `{"channels": ""}`, "X-Api-Key", e.rw)["channels"]; got != "" {
		t.Errorf(`"": %v`, got)
	}
	// Ids stay the same, and a check's own settings were not lost by detaching.
	again := e.json(200, "GET", "/api/v3/channels/", "", "X-Api-Key", e.rw)["channels"].([]any)
	if len(again) != 3 {
		t.Errorf("channels after attaching: %v", again)
	}
	for _, c := range again {
		m := c.(map[string]any)
		if ids[m["name"].(string)] != m["id"] {
			t.Errorf("id of %v changed", m)
		}
	}
}

func sortedJoin(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "," + b
}

// A user an admin disabled is refused, whichever key it sends.
func TestDisabledUser(t *testing.T) {
	e := newEnv(t)
	e.json(http.StatusCreated, "POST", "/api/v3/checks/", `{}`, "X-Api-Key", e.rw)
	if err := e.store.SetUserDisabled(context.Background(), e.user.ID, e.now); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{e.rw} {
		code, _, body := e.do("GET", "/api/v3/checks/", "", "X-Api-Key", key)
		if code != http.StatusForbidden || strings.TrimSpace(string(body)) != `{"error":"this account is disabled"}` {
			t.Errorf("disabled user: %d %s", code, body)
		}
	}
}
