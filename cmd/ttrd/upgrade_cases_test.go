package main_test

// The cases of the upgrade test, one per schema change after the base release (upgradeCases
// in upgrade_test.go lists them in migration order). Each names, in its failures, the
// migration it covers.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// upCall sends one API request with extra headers and returns the status, the headers and the
// body decoded as a JSON object (nil when the body is not one).
func upCall(t *testing.T, d *daemon, key, method, path string, body any, hdr map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-Auth-Key", key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, d.name(), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header, out
}

// upCheckPath is the API path of a check.
func upCheckPath(id int64) string { return fmt.Sprintf("/api/v1/checks/%d", id) }

// upReadCheck GETs a check and fails unless it answers 200.
func upReadCheck(t *testing.T, d *daemon, key string, id int64) (map[string]any, http.Header) {
	t.Helper()
	code, h, c := upCall(t, d, key, "GET", upCheckPath(id), nil, nil)
	if code != 200 {
		t.Fatalf("GET check %d on %s: %d %v", id, d.name(), code, c)
	}
	return c, h
}

// upEditCheck PATCHes a check and fails unless it answers 200; it returns the check JSON.
func upEditCheck(t *testing.T, d *daemon, key string, id int64, patch map[string]any) map[string]any {
	t.Helper()
	code, _, c := upCall(t, d, key, "PATCH", upCheckPath(id), patch, nil)
	if code != 200 {
		t.Fatalf("PATCH check %d %v on %s: %d %v", id, patch, d.name(), code, c)
	}
	return c
}

// upLastPingKind pings a check and returns the kind its newest ping was logged with.
func upLastPingKind(t *testing.T, d *daemon, key string, id int64, method, path, body string) string {
	t.Helper()
	if code, answer, _ := d.ping(method, path, body); code != 200 {
		t.Fatalf("%s %s on %s: %d %s", method, path, d.name(), code, answer)
	}
	var out struct {
		Pings []map[string]any `json:"pings"`
	}
	if code := d.api(key, "GET", upCheckPath(id)+"/pings?limit=1000", nil, &out); code != 200 {
		t.Fatalf("pings of check %d on %s: %d", id, d.name(), code)
	}
	var newest map[string]any
	for _, p := range out.Pings {
		if newest == nil || p["n"].(float64) > newest["n"].(float64) {
			newest = p
		}
	}
	if newest == nil {
		t.Fatalf("check %d on %s: no ping logged after %s %s", id, d.name(), method, path)
	}
	kind, _ := newest["kind"].(string)
	return kind
}

// upSlugOf is a check's slug in a snapshot, to name it in failures.
func upSlugOf(s snapshot, id int64) string {
	slug, _ := s.checks[id]["slug"].(string)
	return slug
}

// ---- 00003_config_version ----

func fillConfigVersion(t *testing.T, old *daemon, w *upgradeWorld) {
	c := old.createCheck(w.user.AuthKey, map[string]any{"name": "etag", "slug": "etag", "interval_seconds": 3600})
	w.checks["etag"] = c.ID
}

// verifyConfigVersion: every check the previous release made has version 1, which is its
// ETag; an edit with If-Match "1" bumps it to 2, and "1" is stale from then on.
func verifyConfigVersion(t *testing.T, cur *daemon, w *upgradeWorld) {
	key := w.user.AuthKey
	for id := range w.before.checks {
		if v := w.migrated.checks[id]["config_version"]; v != float64(1) {
			t.Errorf("00003_config_version: check %d (%s) has config_version %v after the migration, want 1", id, upSlugOf(w.migrated, id), v)
		}
		if _, h := upReadCheck(t, cur, key, id); h.Get("ETag") != `"1"` {
			t.Errorf("00003_config_version: check %d (%s) has ETag %s after the migration, want \"1\"", id, upSlugOf(w.migrated, id), h.Get("ETag"))
		}
	}
	id := w.checks["etag"]
	code, h, c := upCall(t, cur, key, "PATCH", upCheckPath(id), map[string]any{"desc": "edited after the upgrade"}, map[string]string{"If-Match": `"1"`})
	if code != 200 || c["config_version"] != float64(2) || h.Get("ETag") != `"2"` {
		t.Fatalf("00003_config_version: PATCH with If-Match \"1\": %d, config_version %v, ETag %s; want 200, 2, \"2\"", code, c["config_version"], h.Get("ETag"))
	}
	if code, _, _ := upCall(t, cur, key, "PATCH", upCheckPath(id), map[string]any{"desc": "stale"}, map[string]string{"If-Match": `"1"`}); code != 412 {
		t.Errorf("00003_config_version: PATCH with the stale If-Match \"1\": %d, want 412", code)
	}
}

// mixedConfigVersion: the previous release edits a check this release versioned, and makes
// a check of its own (the insert leaves config_version to its default).
func mixedConfigVersion(t *testing.T, old *daemon, w *upgradeWorld) {
	key := w.user.AuthKey
	upEditCheck(t, old, key, w.checks["etag"], map[string]any{"desc": "edited by the previous release"})
	w.checks["etag-old"] = old.createCheck(key, map[string]any{"name": "etag old", "slug": "etag-old", "interval_seconds": 3600}).ID
}

// finalConfigVersion: the previous release's check has version 1; the edited one kept its
// version (the previous release does not bump it) and its ETag still works for If-Match.
func finalConfigVersion(t *testing.T, cur *daemon, w *upgradeWorld) {
	key := w.user.AuthKey
	c, h := upReadCheck(t, cur, key, w.checks["etag-old"])
	if c["config_version"] != float64(1) || h.Get("ETag") != `"1"` {
		t.Errorf("00003_config_version: a check the previous release made on the migrated schema: config_version %v, ETag %s; want 1, \"1\"", c["config_version"], h.Get("ETag"))
	}
	id := w.checks["etag"]
	c, h = upReadCheck(t, cur, key, id)
	v, _ := c["config_version"].(float64)
	if c["desc"] != "edited by the previous release" || v < 2 {
		t.Fatalf("00003_config_version: the check both releases edited: desc %q, config_version %v; want the previous release's desc and at least 2", c["desc"], c["config_version"])
	}
	if etag := fmt.Sprintf(`"%d"`, int64(v)); h.Get("ETag") != etag {
		t.Errorf("00003_config_version: ETag %s, config_version %v", h.Get("ETag"), v)
	}
	code, _, c := upCall(t, cur, key, "PATCH", upCheckPath(id), map[string]any{"desc": "final"}, map[string]string{"If-Match": h.Get("ETag")})
	if code != 200 || c["config_version"] != v+1 {
		t.Errorf("00003_config_version: PATCH with If-Match %s: %d, config_version %v; want 200, %v", h.Get("ETag"), code, c["config_version"], v+1)
	}
}

// ---- 00006_hc_options ----

// hcDefaults are the ping filter options' values on a check that never set them.
var hcDefaults = map[string]any{
	"methods": "", "filter_http_body": false, "start_kw": "", "success_kw": "", "failure_kw": "",
	"filter_default_fail": false, "filter_subject": false, "filter_body": false, "subject": "", "subject_fail": "",
}

func fillHCOptions(t *testing.T, old *daemon, w *upgradeWorld) {
	c := old.createCheck(w.user.AuthKey, map[string]any{"name": "hc options", "slug": "hc-opts", "interval_seconds": 3600})
	w.checks["hc-opts"] = c.ID
	// A body with the keyword verify sets later: the previous release logged it a success.
	if code, body, _ := old.ping("POST", "/p/"+w.user.UserSlug+"/hc-opts", "job FAILED"); code != 200 {
		t.Fatalf("ping: %d %s", code, body)
	}
}

// verifyHCOptions: every check has the options at their defaults (no filter), so it still
// takes GET pings; setting them works and filters from the next ping on.
func verifyHCOptions(t *testing.T, cur *daemon, w *upgradeWorld) {
	key, slug := w.user.AuthKey, w.user.UserSlug
	for id := range w.before.checks {
		c := w.migrated.checks[id]
		for k, want := range hcDefaults {
			if c[k] != want {
				t.Errorf("00006_hc_options: check %d (%s) has %s = %#v after the migration, want %#v", id, upSlugOf(w.migrated, id), k, c[k], want)
			}
		}
	}
	id := w.checks["hc-opts"]
	if kind := upLastPingKind(t, cur, key, id, "GET", "/p/"+slug+"/hc-opts", ""); kind != "success" {
		t.Errorf("00006_hc_options: a GET ping to a migrated check was logged %q, want success (no method filter)", kind)
	}
	set := map[string]any{"methods": "POST", "filter_http_body": true, "failure_kw": "FAILED"}
	c := upEditCheck(t, cur, key, id, set)
	for k, v := range set {
		if c[k] != v {
			t.Errorf("00006_hc_options: PATCH %s = %v answered %v", k, v, c[k])
		}
	}
	if kind := upLastPingKind(t, cur, key, id, "GET", "/p/"+slug+"/hc-opts", ""); kind != "ign" {
		t.Errorf("00006_hc_options: a GET ping to a check that takes POST only was logged %q, want ign", kind)
	}
	if kind := upLastPingKind(t, cur, key, id, "POST", "/p/"+slug+"/hc-opts", "job FAILED"); kind != "fail" {
		t.Errorf("00006_hc_options: a POST with the failure keyword was logged %q, want fail", kind)
	}
}

// mixedHCOptions: the previous release renames the filtered check (and, not knowing the
// options, still takes its GET pings).
func mixedHCOptions(t *testing.T, old *daemon, w *upgradeWorld) {
	upEditCheck(t, old, w.user.AuthKey, w.checks["hc-opts"], map[string]any{"name": "hc options, renamed"})
	if code, body, _ := old.ping("GET", "/p/"+w.user.UserSlug+"/hc-opts", ""); code != 200 {
		t.Errorf("00006_hc_options: the previous release refused a ping to a filtered check: %d %s", code, body)
	}
}

// finalHCOptions: the previous release's edit left the options as this release set them.
func finalHCOptions(t *testing.T, cur *daemon, w *upgradeWorld) {
	key := w.user.AuthKey
	id := w.checks["hc-opts"]
	c, _ := upReadCheck(t, cur, key, id)
	if c["name"] != "hc options, renamed" {
		t.Errorf("00006_hc_options: name %q, want the previous release's edit", c["name"])
	}
	for k, want := range map[string]any{"methods": "POST", "filter_http_body": true, "failure_kw": "FAILED", "success_kw": ""} {
		if c[k] != want {
			t.Errorf("00006_hc_options: after the previous release edited the check, %s = %#v, want %#v", k, c[k], want)
		}
	}
	if kind := upLastPingKind(t, cur, key, id, "GET", "/p/"+w.user.UserSlug+"/hc-opts", ""); kind != "ign" {
		t.Errorf("00006_hc_options: a GET ping after the previous release's edit was logged %q, want ign", kind)
	}
}

// ---- 00007_admin ----

// adminState is what the admin case carries between its phases.
type adminState struct {
	other    user   // a second user of the previous release, disabled by verify
	later    user   // a user the previous release signs up on the migrated schema
	password string // of the admin verify creates
}

const upgradeAdmin = "ops"

func fillAdmin(t *testing.T, old *daemon, w *upgradeWorld) {
	w.cases["admin"] = &adminState{other: old.newUser(), password: "upgrade admin password 1"}
}

// upAdminList runs `ttrd admin list` against d's store.
func upAdminList(t *testing.T, d *daemon) string {
	t.Helper()
	out, code := adminRun(t, "", d.env, append([]string{"list"}, d.args...)...)
	if code != 0 {
		t.Fatalf("00007_admin: ttrd admin list on the migrated store: exit %d\n%s", code, out)
	}
	return out
}

// upAdminUsers lists every user through the admin API, by user slug.
func upAdminUsers(t *testing.T, d *daemon, token string) map[string]map[string]any {
	t.Helper()
	code, body := bearerGet(t, d.URL, "/api/v1/admin/users?size=100", token)
	var out struct {
		Items []map[string]any `json:"items"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &out) != nil {
		t.Fatalf("00007_admin: GET /api/v1/admin/users: %d %s", code, body)
	}
	users := map[string]map[string]any{}
	for _, u := range out.Items {
		users[u["user_slug"].(string)] = u
	}
	return users
}

// verifyAdmin: the admin tables are empty; an admin created with `ttrd admin create` signs
// in; every user of the previous release is enabled; disabling, signing out and metrics
// tokens (each a new table or column) work.
func verifyAdmin(t *testing.T, cur *daemon, w *upgradeWorld) {
	st := w.cases["admin"].(*adminState)
	if out := strings.TrimSpace(upAdminList(t, cur)); strings.Contains(out, "\n") || strings.Contains(out, "METRICS TOKEN") {
		t.Errorf("00007_admin: ttrd admin list on the migrated store lists admins or tokens, want none:\n%s", out)
	}
	pw := []string{"TTR_ADMIN_PASSWORD=" + st.password}
	if out, code := adminRun(t, "", append(cur.env, pw...), append([]string{"create", "--username", upgradeAdmin}, cur.args...)...); code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("00007_admin: ttrd admin create on the migrated store: exit %d\n%s", code, out)
	}
	code, token := adminSignIn(t, cur.URL, upgradeAdmin, st.password)
	if code != 200 || token == "" {
		t.Fatalf("00007_admin: POST /api/v1/token as the new admin: %d", code)
	}
	users := upAdminUsers(t, cur, token)
	for _, u := range []user{w.user, st.other} {
		a, ok := users[u.UserSlug]
		if !ok {
			t.Errorf("00007_admin: user %s of the previous release is not listed: %v", u.UserSlug, users)
		} else if a["disabled"] != false || a["disabled_at"] != nil {
			t.Errorf("00007_admin: user %s of the previous release: disabled %v, disabled_at %v; want false, null", u.UserSlug, a["disabled"], a["disabled_at"])
		}
	}
	if code, body := bearerGet(t, cur.URL, "/api/v1/admin/stats", token); code != 200 || !strings.Contains(body, `"disabled_users":0`) {
		t.Errorf("00007_admin: admin stats: %d %s, want disabled_users 0", code, body)
	}

	// disabled_at: the other user is refused from now on.
	id := int64(users[st.other.UserSlug]["id"].(float64))
	if code, _, body := upCall(t, cur, "", "POST", fmt.Sprintf("/api/v1/admin/users/%d/disable", id), nil, map[string]string{"Authorization": "Bearer " + token}); code != 204 {
		t.Fatalf("00007_admin: disable user %d: %d %v", id, code, body)
	}
	if code := cur.api(st.other.AuthKey, "GET", "/api/v1/checks", nil, nil); code != 403 {
		t.Errorf("00007_admin: a disabled user's API call: %d, want 403", code)
	}
	// revoked_tokens: a signed-out access token is refused.
	if code, _, body := upCall(t, cur, "", "POST", "/api/v1/logout", nil, map[string]string{"Authorization": "Bearer " + token}); code != 204 {
		t.Errorf("00007_admin: logout: %d %v", code, body)
	}
	if code, _ := bearerGet(t, cur.URL, "/api/v1/admin/stats", token); code != 401 {
		t.Errorf("00007_admin: a signed-out access token: %d, want 401", code)
	}
	// metrics_tokens: a minted token opens /metrics.
	out, code := adminRun(t, "", cur.env, append([]string{"token", "--metrics", "--name", "upgrade"}, cur.args...)...)
	mx := strings.SplitN(out, "\n", 2)[0]
	if code != 0 || !strings.HasPrefix(mx, "ttr_mx_") {
		t.Fatalf("00007_admin: ttrd admin token --metrics: exit %d\n%s", code, out)
	}
	if code, _ := bearerGet(t, cur.URL, "/metrics", mx); code != 200 {
		t.Errorf("00007_admin: /metrics with a metrics token: %d, want 200", code)
	}
}

// mixedAdmin: the previous release signs a user up on the migrated schema (the insert
// leaves disabled_at and badge_key to their defaults).
func mixedAdmin(t *testing.T, old *daemon, w *upgradeWorld) {
	w.cases["admin"].(*adminState).later = old.newUser()
}

// finalAdmin: the user the previous release made is enabled, the disabled one is still
// refused, and the admin still signs in.
func finalAdmin(t *testing.T, cur *daemon, w *upgradeWorld) {
	st := w.cases["admin"].(*adminState)
	if code := cur.api(st.later.AuthKey, "GET", "/api/v1/checks", nil, nil); code != 200 {
		t.Errorf("00007_admin: a user the previous release signed up on the migrated schema: %d, want 200", code)
	}
	if code := cur.api(st.other.AuthKey, "GET", "/api/v1/checks", nil, nil); code != 403 {
		t.Errorf("00007_admin: the disabled user after the previous release ran: %d, want 403", code)
	}
	code, token := adminSignIn(t, cur.URL, upgradeAdmin, st.password)
	if code != 200 {
		t.Fatalf("00007_admin: admin sign-in after the contract: %d", code)
	}
	users := upAdminUsers(t, cur, token)
	if u := users[st.later.UserSlug]; u == nil || u["disabled"] != false {
		t.Errorf("00007_admin: the user the previous release signed up: %v, want listed and enabled", u)
	}
	if u := users[st.other.UserSlug]; u == nil || u["disabled"] != true {
		t.Errorf("00007_admin: the disabled user: %v, want listed and disabled", u)
	}
}

// ---- 00008_badges ----

// badgeState is what the badges case carries between its phases.
type badgeState struct {
	checkBadge string // path of the check's JSON badge
	tagBadge   string // path of the tag's JSON badge
}

func fillBadges(t *testing.T, old *daemon, w *upgradeWorld) {
	c := old.createCheck(w.user.AuthKey, map[string]any{"name": "Badged job", "slug": "badged", "tags": []string{"badged"}, "interval_seconds": 3600})
	w.checks["badged"] = c.ID
	if code, body, _ := old.ping("GET", "/p/"+w.user.UserSlug+"/badged", ""); code != 200 {
		t.Fatalf("ping: %d %s", code, body)
	}
	w.cases["badges"] = &badgeState{}
}

// upPathOf is the path of an absolute URL the API answered.
func upPathOf(t *testing.T, raw any) string {
	t.Helper()
	s, _ := raw.(string)
	u, err := url.Parse(s)
	if err != nil || u.Path == "" {
		t.Fatalf("00008_badges: %v is not a URL", raw)
	}
	return u.Path
}

// upBadge fetches a JSON badge and returns its status and label.
func upBadge(t *testing.T, d *daemon, path string) (status, label string) {
	t.Helper()
	code, _, b := upCall(t, d, "", "GET", path, nil, nil)
	if code != 200 {
		t.Fatalf("00008_badges: GET %s: %d", path, code)
	}
	status, _ = b["status"].(string)
	label, _ = b["label"].(string)
	return status, label
}

// verifyBadges: every check's badge is off; the user's badge key (none yet) is made on
// first use; enabling a check's badge works and the badges show the status.
func verifyBadges(t *testing.T, cur *daemon, w *upgradeWorld) {
	st := w.cases["badges"].(*badgeState)
	key := w.user.AuthKey
	for id := range w.before.checks {
		c := w.migrated.checks[id]
		if c["badge_enabled"] != false || c["badge_urls"] != nil {
			t.Errorf("00008_badges: check %d (%s): badge_enabled %v, badge_urls %v after the migration; want false, null", id, upSlugOf(w.migrated, id), c["badge_enabled"], c["badge_urls"])
		}
	}
	code, _, k := upCall(t, cur, key, "GET", "/api/v1/user/badge-key", nil, nil)
	if code != 200 || k["badge_key"] == "" || k["badge_key"] == nil {
		t.Fatalf("00008_badges: GET /api/v1/user/badge-key for a user of the previous release: %d %v", code, k)
	}
	if _, _, again := upCall(t, cur, key, "GET", "/api/v1/user/badge-key", nil, nil); again["badge_key"] != k["badge_key"] {
		t.Errorf("00008_badges: the badge key changed between two reads: %v, then %v", k["badge_key"], again["badge_key"])
	}
	st.tagBadge = strings.TrimSuffix(strings.Replace(upPathOf(t, k["tag_badge_url"]), "%7Btag%7D", "badged", 1), ".svg") + ".json"
	st.tagBadge = strings.Replace(st.tagBadge, "{tag}", "badged", 1)
	if s, l := upBadge(t, cur, st.tagBadge); s != "up" || l != "badged" {
		t.Errorf("00008_badges: the tag badge of a check of the previous release: %s %q, want up \"badged\"", s, l)
	}
	c := upEditCheck(t, cur, key, w.checks["badged"], map[string]any{"badge_enabled": true})
	urls, _ := c["badge_urls"].(map[string]any)
	if c["badge_enabled"] != true || urls == nil {
		t.Fatalf("00008_badges: PATCH badge_enabled true: badge_enabled %v, badge_urls %v", c["badge_enabled"], c["badge_urls"])
	}
	st.checkBadge = upPathOf(t, urls["json"])
	if s, l := upBadge(t, cur, st.checkBadge); s != "up" || l != "Badged job" {
		t.Errorf("00008_badges: the check badge of a check of the previous release: %s %q, want up \"Badged job\"", s, l)
	}
}

// mixedBadges: the previous release renames and pings the badged check.
func mixedBadges(t *testing.T, old *daemon, w *upgradeWorld) {
	upEditCheck(t, old, w.user.AuthKey, w.checks["badged"], map[string]any{"name": "Badged job, renamed"})
	if code, body, _ := old.ping("GET", "/p/"+w.user.UserSlug+"/badged", ""); code != 200 {
		t.Errorf("00008_badges: the previous release refused a ping to a badged check: %d %s", code, body)
	}
}

// finalBadges: the previous release's edit left the badge on, at the same address, showing
// the new name.
func finalBadges(t *testing.T, cur *daemon, w *upgradeWorld) {
	st := w.cases["badges"].(*badgeState)
	c, _ := upReadCheck(t, cur, w.user.AuthKey, w.checks["badged"])
	urls, _ := c["badge_urls"].(map[string]any)
	if c["badge_enabled"] != true || urls == nil || upPathOf(t, urls["json"]) != st.checkBadge {
		t.Fatalf("00008_badges: after the previous release edited the check: badge_enabled %v, badge_urls %v; want true, json at %s", c["badge_enabled"], c["badge_urls"], st.checkBadge)
	}
	if s, l := upBadge(t, cur, st.checkBadge); s != "up" || l != "Badged job, renamed" {
		t.Errorf("00008_badges: the check badge after the previous release's edit: %s %q, want up \"Badged job, renamed\"", s, l)
	}
	if s, _ := upBadge(t, cur, st.tagBadge); s != "up" {
		t.Errorf("00008_badges: the tag badge after the previous release ran: %s, want up", s)
	}
}
