package main_test

// The cases of the upgrade test, one per schema change after the base release (upgradeCases
// in upgrade_test.go lists them in migration order). Each names, in its failures, the
// migration it covers.

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
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

// ---- 00009_tokens ----

// tokensState is what the tokens case carries between its phases.
type tokensState struct{ token string } // a read-only API token made by verify

func fillTokens(t *testing.T, old *daemon, w *upgradeWorld) { w.cases["tokens"] = &tokensState{} }

// upListedIDs lists the checks a credential sees.
func upListedIDs(t *testing.T, d *daemon, hdr map[string]string) (int, []int64) {
	t.Helper()
	code, _, out := upCall(t, d, "", "GET", "/api/v1/checks?size=100", nil, hdr)
	items, _ := out["items"].([]any)
	var ids []int64
	for _, it := range items {
		ids = append(ids, int64(it.(map[string]any)["id"].(float64)))
	}
	return code, ids
}

// verifyTokens: a user of the previous release has no tokens and no network limit; a token
// made now reads what the key reads and nothing more, and the activity log records it.
func verifyTokens(t *testing.T, cur *daemon, w *upgradeWorld) {
	st := w.cases["tokens"].(*tokensState)
	key := w.user.AuthKey
	if code, _, out := upCall(t, cur, key, "GET", "/api/v1/user/api-tokens", nil, nil); code != 200 || len(out["items"].([]any)) != 0 {
		t.Errorf("00009_tokens: the API tokens of a user of the previous release: %d %v, want 200 and none", code, out)
	}
	if code, _, out := upCall(t, cur, key, "GET", "/api/v1/user/key-networks", nil, nil); code != 200 || len(out["allowed_networks"].([]any)) != 0 {
		t.Errorf("00009_tokens: the key networks of a user of the previous release: %d %v, want 200 and [] (any client)", code, out)
	}
	code, _, tok := upCall(t, cur, key, "POST", "/api/v1/user/api-tokens", map[string]any{"name": "upgrade", "scopes": []string{"read"}}, nil)
	st.token, _ = tok["token"].(string)
	if code != 201 || !strings.HasPrefix(st.token, "ttr_ro_") {
		t.Fatalf("00009_tokens: POST /api/v1/user/api-tokens: %d %v", code, tok)
	}
	bearer := map[string]string{"Authorization": "Bearer " + st.token}
	code, ids := upListedIDs(t, cur, bearer)
	if code != 200 || !slices.Equal(ids, w.migrated.listed) {
		t.Errorf("00009_tokens: the checks a read token lists: %d %v, want 200 %v (the previous release's)", code, ids, w.migrated.listed)
	}
	if code, _, _ := upCall(t, cur, "", "PATCH", upCheckPath(w.checks["backup"]), map[string]any{"desc": "by a read token"}, bearer); code != 403 {
		t.Errorf("00009_tokens: PATCH with a read token: %d, want 403", code)
	}
	if code, _, out := upCall(t, cur, key, "GET", "/api/v1/user/activity", nil, nil); code != 200 || len(out["items"].([]any)) == 0 {
		t.Errorf("00009_tokens: the activity of a user of the previous release after a token was made: %d %v, want 200 and rows", code, out)
	}
}

// finalTokens: the token made before the previous release ran again still reads, and sees
// the checks that release made.
func finalTokens(t *testing.T, cur *daemon, w *upgradeWorld) {
	st := w.cases["tokens"].(*tokensState)
	code, ids := upListedIDs(t, cur, map[string]string{"Authorization": "Bearer " + st.token})
	if code != 200 || !slices.Contains(ids, w.checks["etag-old"]) {
		t.Errorf("00009_tokens: the read token after the previous release ran: %d %v, want 200 with the check it made (%d)", code, ids, w.checks["etag-old"])
	}
}

// ---- 00010_destinations ----

// destState is what the destinations case carries between its phases.
type destState struct {
	u      user
	d1, d2 int64  // d1: email and webhook; d2: the same email
	email  string // the id of the shared email destination
}

func fillDestinations(t *testing.T, old *daemon, w *upgradeWorld) {
	st := &destState{u: old.newUser()}
	w.cases["destinations"] = st
	put := func(id int64, ch string, body map[string]any) {
		t.Helper()
		if code := old.api(st.u.AuthKey, "PUT", fmt.Sprintf("%s/%s", upCheckPath(id), ch), body, nil); code != 200 {
			t.Fatalf("channel %s of check %d: %d", ch, id, code)
		}
	}
	st.d1 = old.createCheck(st.u.AuthKey, map[string]any{"name": "dest one", "slug": "dest-one", "interval_seconds": 3600}).ID
	st.d2 = old.createCheck(st.u.AuthKey, map[string]any{"name": "dest two", "slug": "dest-two", "interval_seconds": 3600}).ID
	put(st.d1, "email", map[string]any{"email_to": "ops@example.com"})
	put(st.d1, "webhook", map[string]any{"webhook_url": w.sinkURL, "webhook_enabled": true})
	put(st.d2, "email", map[string]any{"email_to": "ops@example.com"})
}

// upHCChannels lists a user's destinations through the healthchecks.io API, kind by id.
func upHCChannels(t *testing.T, d *daemon, key string) map[string]map[string]any {
	t.Helper()
	code, _, out := upCall(t, d, "", "GET", "/api/v3/channels/", nil, map[string]string{"X-Api-Key": key})
	list, _ := out["channels"].([]any)
	if code != 200 {
		t.Fatalf("00010_destinations: GET /api/v3/channels/: %d %v", code, out)
	}
	chans := map[string]map[string]any{}
	for _, c := range list {
		m := c.(map[string]any)
		chans[m["id"].(string)] = m
	}
	return chans
}

// upHCCheckChannels is the channels field of each of a user's checks in the
// healthchecks.io API, by slug.
func upHCCheckChannels(t *testing.T, d *daemon, key string) map[string]string {
	t.Helper()
	code, _, out := upCall(t, d, "", "GET", "/api/v3/checks/", nil, map[string]string{"X-Api-Key": key})
	if code != 200 {
		t.Fatalf("00010_destinations: GET /api/v3/checks/: %d %v", code, out)
	}
	got := map[string]string{}
	for _, c := range out["checks"].([]any) {
		m := c.(map[string]any)
		got[m["slug"].(string)], _ = m["channels"].(string)
	}
	return got
}

// upSplitIDs splits a healthchecks.io channels field into a sorted list.
func upSplitIDs(s string) []string {
	if s == "" {
		return nil
	}
	ids := strings.Split(s, ",")
	slices.Sort(ids)
	return ids
}

// verifyDestinations: the channels the previous release stored are listed as destinations,
// one per distinct place (the shared address once), under ids that do not change, and each
// check lists the ids of its channels.
func verifyDestinations(t *testing.T, cur *daemon, w *upgradeWorld) {
	st := w.cases["destinations"].(*destState)
	chans := upHCChannels(t, cur, st.u.AuthKey)
	var webhook string
	for id, c := range chans {
		switch c["kind"] {
		case "email":
			st.email = id
		case "webhook":
			webhook = id
		}
	}
	if len(chans) != 2 || st.email == "" || webhook == "" {
		t.Fatalf("00010_destinations: the channels of the previous release as destinations: %v; want one email and one webhook", chans)
	}
	if name, _ := chans[st.email]["name"].(string); !strings.Contains(name, "ops@example.com") {
		t.Errorf("00010_destinations: the email destination is named %q", name)
	}
	if again := upHCChannels(t, cur, st.u.AuthKey); !reflect.DeepEqual(again, chans) {
		t.Errorf("00010_destinations: a second listing differs: %v, first %v", again, chans)
	}
	want := map[string][]string{"dest-one": upSplitIDs(st.email + "," + webhook), "dest-two": {st.email}}
	got := upHCCheckChannels(t, cur, st.u.AuthKey)
	for slug, ids := range want {
		if g := upSplitIDs(got[slug]); !slices.Equal(g, ids) {
			t.Errorf("00010_destinations: check %s lists channels %v, want %v", slug, g, ids)
		}
	}
}

// mixedDestinations: the previous release moves the second check's email elsewhere.
func mixedDestinations(t *testing.T, old *daemon, w *upgradeWorld) {
	st := w.cases["destinations"].(*destState)
	if code := old.api(st.u.AuthKey, "PUT", upCheckPath(st.d2)+"/email", map[string]any{"email_to": "dev@example.com"}, nil); code != 200 {
		t.Errorf("00010_destinations: the previous release changing an email channel on the migrated schema: %d", code)
	}
}

// finalDestinations: the shared address keeps its id; the new one the previous release
// wrote becomes a destination of its own.
func finalDestinations(t *testing.T, cur *daemon, w *upgradeWorld) {
	st := w.cases["destinations"].(*destState)
	chans := upHCChannels(t, cur, st.u.AuthKey)
	if c := chans[st.email]; c == nil || !strings.Contains(fmt.Sprint(c["name"]), "ops@example.com") {
		t.Errorf("00010_destinations: the ops@example.com destination %s after the previous release ran: %v", st.email, chans)
	}
	two := upSplitIDs(upHCCheckChannels(t, cur, st.u.AuthKey)["dest-two"])
	if len(two) != 1 || two[0] == st.email || chans[two[0]]["kind"] != "email" || !strings.Contains(fmt.Sprint(chans[two[0]]["name"]), "dev@example.com") {
		t.Errorf("00010_destinations: dest-two after the previous release moved its email: channels %v of %v, want one new email destination to dev@example.com", two, chans)
	}
}

// ---- 00011_cleanup_telegram ----

// cleanupState is what the cleanup case carries between its phases.
type cleanupState struct{ dormant user } // a user of the previous release made to look old

// upDormantAge is how old fillCleanup makes its dormant user look.
const upDormantAge = 30 * 24 * time.Hour

// fillCleanup signs up a user without checks on the previous release and backdates its
// creation: the cleanup of inactive accounts would take it if nobody had seen it since.
func fillCleanup(t *testing.T, old *daemon, w *upgradeWorld) {
	st := &cleanupState{dormant: old.newUser()}
	w.cases["cleanup"] = st
	created := time.Now().Add(-upDormantAge).UnixMilli()
	res, err := w.db(t).Exec(fmt.Sprintf(`UPDATE users SET created_at = %d WHERE slug = '%s'`, created, st.dormant.UserSlug))
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("backdate user %s: %v (%d rows)", st.dormant.UserSlug, err, n)
	}
}

// verifyCleanup: every user of the previous release counts as seen at the migration, so a
// cleanup right after the upgrade removes none of them, not even one with nothing left.
func verifyCleanup(t *testing.T, cur *daemon, w *upgradeWorld) {
	st := w.cases["cleanup"].(*cleanupState)
	rows, err := w.db(t).Query(`SELECT slug, last_seen_at FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	from, until := w.migratedFrom.Add(-time.Second).UnixMilli(), w.migratedUntil.Add(time.Second).UnixMilli()
	n := 0
	for rows.Next() {
		var slug string
		var seen sql.NullInt64
		if err := rows.Scan(&slug, &seen); err != nil {
			t.Fatal(err)
		}
		n++
		if !seen.Valid || seen.Int64 < from || seen.Int64 > until {
			t.Errorf("00011_cleanup_telegram: user %s of the previous release has last_seen_at %v, want the migration's time (%d..%d)", slug, seen, from, until)
		}
	}
	if err := rows.Err(); err != nil || n < 2 {
		t.Fatalf("00011_cleanup_telegram: %d users read: %v", n, err)
	}
	out, code := upRun(t, cur, "cleanup", "--dry-run", "--cleanup-inactive-days", "14")
	if code != 0 || !strings.Contains(out, "and 0 users") || strings.Contains(out, st.dormant.UserSlug) {
		t.Errorf("00011_cleanup_telegram: ttrd cleanup --dry-run on the migrated store (user %s created %v ago, no checks): exit %d\n%s\nwant no user removed: it counts as seen at the upgrade", st.dormant.UserSlug, upDormantAge, code, out)
	}
}

// upRun runs a ttrd command of this release against d's store and returns its output and
// exit code.
func upRun(t *testing.T, d *daemon, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binPath, append(args, d.args...)...)
	cmd.Env = d.env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("ttrd %s: %v", strings.Join(args, " "), err)
	}
	return string(out), 0
}

// verifyWeb: an old user reads its account with the display settings at their defaults, and
// the new columns take a change.
func verifyWeb(t *testing.T, cur *daemon, w *upgradeWorld) {
	var me struct {
		Slug  string `json:"user_slug"`
		Theme string `json:"theme"`
		TZ    string `json:"tz"`
	}
	if code := cur.api(w.user.AuthKey, "GET", "/api/v1/user/me", nil, &me); code != 200 {
		t.Fatalf("00012_web: GET /api/v1/user/me of an old user: %d", code)
	}
	if me.Theme != "" && me.Theme != "retro" {
		t.Errorf("00012_web: old user's theme = %q, want the default", me.Theme)
	}
	if code := cur.api(w.user.AuthKey, "PATCH", "/api/v1/user", map[string]any{"tz": "Europe/Berlin"}, nil); code != 200 {
		t.Fatalf("00012_web: PATCH tz of an old user: %d", code)
	}
	if code := cur.api(w.user.AuthKey, "GET", "/api/v1/user/me", nil, &me); code != 200 || me.TZ != "Europe/Berlin" {
		t.Errorf("00012_web: after PATCH tz: %d tz=%q, want Europe/Berlin", code, me.TZ)
	}
}

// ---- 00014_retention ----

// verifyRetention: the pruner's indexes exist (on PostgreSQL built CONCURRENTLY, so valid
// only if the build finished), and the ping logs, far below the new limit, are whole: each
// holds all its check's pings and says nothing was pruned.
func verifyRetention(t *testing.T, cur *daemon, w *upgradeWorld) {
	db := w.db(t)
	for _, idx := range []string{"flips_at_idx", "outbox_finished_created_idx"} {
		q := `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = $1`
		if _, err := db.Exec(`SELECT 1 FROM pg_class LIMIT 1`); err == nil { // PostgreSQL
			q = `SELECT count(*) FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
				WHERE c.relname = $1 AND i.indisvalid AND i.indisready`
		}
		var n int
		if err := db.QueryRow(q, idx).Scan(&n); err != nil || n != 1 {
			t.Errorf("00014_retention: index %s: %d valid, %v; want 1", idx, n, err)
		}
	}
	for slug, id := range w.checks {
		var log struct {
			Pings  []map[string]any `json:"pings"`
			Pruned *int64           `json:"pruned_before_n"`
		}
		if code := cur.api(w.user.AuthKey, "GET", fmt.Sprintf("/api/v1/checks/%d/pings", id), nil, &log); code != 200 {
			t.Fatalf("00014_retention: ping log of %s: %d", slug, code)
		}
		// Earlier verifies may have pinged it: the whole log is n_pings long.
		if n := cur.getCheck(w.user.AuthKey, id).NPings; log.Pruned != nil || int64(len(log.Pings)) != n {
			t.Errorf("00014_retention: ping log of %s: %d pings, pruned_before_n %v; want all %d and null",
				slug, len(log.Pings), log.Pruned, n)
		}
	}
}

// ---- 00017_admin_sessions ----

// verifyAdminSessions: on the migrated store an admin signs in to the admin pages (a row of
// the new admin_sessions table), sees the previous release's user, and signs out.
func verifyAdminSessions(t *testing.T, cur *daemon, w *upgradeWorld) {
	const pw = "upgrade admin pages password"
	if out, code := adminRun(t, "", append(cur.env, "TTR_ADMIN_PASSWORD="+pw), append([]string{"create", "--username", "pages-ops"}, cur.args...)...); code != 0 {
		t.Fatalf("00017_admin_sessions: ttrd admin create: exit %d\n%s", code, out)
	}
	c := newWebClient(t, cur.URL)
	_, _, token := c.get("/admin/login")
	resp := c.do("POST", "/admin/login", formType, url.Values{"username": {"pages-ops"}, "password": {pw}, "csrf": {token}}.Encode(), nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("00017_admin_sessions: POST /admin/login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	code, body, _ := c.get("/admin/users")
	if code != 200 || !strings.Contains(body, w.user.UserSlug) {
		t.Fatalf("00017_admin_sessions: /admin/users: %d, user %s of the previous release listed: %v", code, w.user.UserSlug, strings.Contains(body, w.user.UserSlug))
	}
	var n int
	if err := w.db(t).QueryRow(`SELECT count(*) FROM admin_sessions`).Scan(&n); err != nil || n != 1 {
		t.Errorf("00017_admin_sessions: admin_sessions rows: %d (%v), want 1", n, err)
	}
}

// ---- 00015_ping_forwarded_proto ----

// upNewestPing is the newest row of a check's ping log on d.
func upNewestPing(t *testing.T, d *daemon, key string, id int64) map[string]any {
	t.Helper()
	var out struct {
		Pings []map[string]any `json:"pings"`
	}
	if code := d.api(key, "GET", upCheckPath(id)+"/pings?limit=1", nil, &out); code != 200 || len(out.Pings) != 1 {
		t.Fatalf("newest ping of check %d on %s: %d, %d rows", id, d.name(), code, len(out.Pings))
	}
	return out.Pings[0]
}

func fillForwardedProto(t *testing.T, old *daemon, w *upgradeWorld) {
	w.checks["proto"] = old.createCheck(w.user.AuthKey, map[string]any{"name": "proto", "slug": "proto", "interval_seconds": 3600}).ID
	if code, body, _ := old.ping("POST", "/p/"+w.user.UserSlug+"/proto", "before"); code != 200 {
		t.Fatalf("ping: %d %s", code, body)
	}
}

// verifyForwardedProto: the previous release's pings have no forwarded scheme, and a ping
// whose X-Forwarded-Proto comes from a peer that is not a trusted proxy records none either.
func verifyForwardedProto(t *testing.T, cur *daemon, w *upgradeWorld) {
	for id, pings := range w.migrated.pings {
		for _, p := range pings {
			if v, ok := p["forwarded_proto"]; !ok || v != nil {
				t.Errorf("00015_ping_forwarded_proto: ping %v of check %d: forwarded_proto = %#v (present %v), want null", p["n"], id, v, ok)
			}
		}
	}
	var n int
	if err := w.db(t).QueryRow(`SELECT count(*) FROM pings WHERE forwarded_proto <> ''`).Scan(&n); err != nil || n != 0 {
		t.Errorf("00015_ping_forwarded_proto: %d migrated rows with a scheme (%v), want 0", n, err)
	}
	id := w.checks["proto"]
	if code, _, _ := upCall(t, cur, "", "POST", "/p/"+w.user.UserSlug+"/proto", nil, map[string]string{"X-Forwarded-Proto": "https"}); code != 200 {
		t.Fatalf("00015_ping_forwarded_proto: ping: %d", code)
	}
	if p := upNewestPing(t, cur, w.user.AuthKey, id); p["forwarded_proto"] != nil {
		t.Errorf("00015_ping_forwarded_proto: an untrusted peer's X-Forwarded-Proto was recorded: %#v", p["forwarded_proto"])
	}
}

// mixedForwardedProto: the previous release still logs pings on the migrated schema.
func mixedForwardedProto(t *testing.T, old *daemon, w *upgradeWorld) {
	if code, body, _ := old.ping("POST", "/p/"+w.user.UserSlug+"/proto", "mixed"); code != 200 {
		t.Errorf("00015_ping_forwarded_proto: the previous release refused a ping: %d %s", code, body)
	}
}

// finalForwardedProto: the previous release's ping reads back with no scheme.
func finalForwardedProto(t *testing.T, cur *daemon, w *upgradeWorld) {
	p := upNewestPing(t, cur, w.user.AuthKey, w.checks["proto"])
	if p["body_size"] != float64(len("mixed")) || p["forwarded_proto"] != nil {
		t.Errorf("00015_ping_forwarded_proto: the previous release's ping reads %v", p)
	}
}

// fillStatusPages: the previous release records flips of a check (new → up → down → up),
// from which the migration derives the check's uptime marks.
func fillStatusPages(t *testing.T, old *daemon, w *upgradeWorld) {
	var c map[string]any
	body := map[string]any{"name": "uptime before marks", "slug": "uptime-marks", "interval_seconds": 3600}
	if code := old.api(w.user.AuthKey, "POST", "/api/v1/checks", body, &c); code != 201 {
		t.Fatalf("00013_status_pages: create check on the previous release: %d %v", code, c)
	}
	uuid := c["uuid"].(string)
	for _, kind := range []string{"", "/fail", ""} {
		if code, _, _ := old.ping("POST", "/ping/"+uuid+kind, ""); code != 200 {
			t.Fatalf("00013_status_pages: ping%s: %d", kind, code)
		}
		time.Sleep(300 * time.Millisecond) // segments long enough to tell apart
	}
	if w.cases == nil {
		w.cases = map[string]any{}
	}
	w.cases["status_pages"] = int64(c["id"].(float64))
}

// verifyStatusPages: the uptime of the old check, read from the marks the migration derived,
// equals the time-weighted sums of its flips; an old user creates a status page of it, whose
// feed shows it.
func verifyStatusPages(t *testing.T, cur *daemon, w *upgradeWorld) {
	id := w.cases["status_pages"].(int64)
	var flips struct {
		Flips []struct {
			At   string `json:"at"`
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"flips"`
	}
	if code := cur.api(w.user.AuthKey, "GET", upCheckPath(id)+"/flips", nil, &flips); code != 200 || len(flips.Flips) != 3 {
		t.Fatalf("00013_status_pages: flips of the old check: %d %+v", code, flips)
	}
	var got struct {
		Days []struct {
			Up      float64 `json:"up_seconds"`
			Tracked float64 `json:"tracked_seconds"`
		} `json:"days"`
	}
	if code := cur.api(w.user.AuthKey, "GET", upCheckPath(id)+"/uptime?days=2", nil, &got); code != 200 {
		t.Fatalf("00013_status_pages: uptime of the old check: %d", code)
	}
	now := time.Now()
	var up, tracked, gotUp, gotTracked float64
	for i := len(flips.Flips) - 1; i >= 0; i-- { // oldest first
		f := flips.Flips[i]
		from, err := time.Parse(time.RFC3339Nano, f.At)
		if err != nil {
			t.Fatal(err)
		}
		to := now
		if i > 0 {
			to, _ = time.Parse(time.RFC3339Nano, flips.Flips[i-1].At)
		}
		d := to.Sub(from).Seconds()
		if f.To == "up" {
			up += d
		}
		if f.To == "up" || f.To == "down" {
			tracked += d
		}
	}
	for _, d := range got.Days {
		gotUp, gotTracked = gotUp+d.Up, gotTracked+d.Tracked
	}
	// The API answered a moment before now: the open up segment is that much shorter.
	down := tracked - up
	if gotDown := gotTracked - gotUp; gotDown < down-0.01 || gotDown > down+0.01 || gotUp > up+0.01 || gotUp < up-2 {
		t.Errorf("00013_status_pages: uptime of the old check: up %.3fs of %.3fs, want up %.3fs, down %.3fs (from its flips)", gotUp, gotTracked, up, down)
	}
	var page map[string]any
	if code := cur.api(w.user.AuthKey, "POST", "/api/v1/status-pages", map[string]any{"slug": "old", "name": "Old", "checks": []int64{id}}, &page); code != 201 {
		t.Fatalf("00013_status_pages: create a page for an old user: %d %v", code, page)
	}
	resp, err := httpClient.Get(cur.URL + "/s/" + w.user.UserSlug + "/old/data")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"name":"uptime before marks"`) || !strings.Contains(string(b), `"status":"up"`) {
		t.Errorf("00013_status_pages: the page's feed: %d %s", resp.StatusCode, b)
	}
}
