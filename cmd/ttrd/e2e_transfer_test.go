package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/http/transfer"
)

// transferCall sends a request with the user's key (and extra headers) and returns the
// status and body.
func transferCall(t *testing.T, d *daemon, key, method, path, ctype string, body []byte, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, d.URL+path, bytes.NewReader(body))
	req.Header.Set("X-Auth-Key", key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// report is an import's answer.
type report struct {
	DryRun  bool           `json:"dry_run"`
	Summary map[string]int `json:"summary"`
	Checks  []struct {
		Slug, UUID, Result, Detail string
		Notes                      []string
	} `json:"checks"`
	Channels    []struct{ ID, Name, Kind string } `json:"channels_to_set_up"`
	StatusPages []struct {
		Slug, Name, Result, Detail string
		Notes                      []string
	} `json:"status_pages"`
}

func decodeReport(t *testing.T, what string) func(code int, b []byte) report {
	return func(code int, b []byte) report {
		t.Helper()
		var r report
		if code != 200 || json.Unmarshal(b, &r) != nil {
			t.Fatalf("%s: %d %s", what, code, b)
		}
		return r
	}
}

func wantSummary(t *testing.T, what string, r report, created, updated, unchanged, errs int) {
	t.Helper()
	got := [4]int{r.Summary["created"], r.Summary["updated"], r.Summary["unchanged"], r.Summary["error"]}
	if got != [4]int{created, updated, unchanged, errs} {
		t.Fatalf("%s: created/updated/unchanged/error = %v, want %v: %+v", what, got, [4]int{created, updated, unchanged, errs}, r.Checks)
	}
}

// allChecks lists the user's checks as raw objects, by slug.
func allChecks(t *testing.T, d *daemon, key string) map[string]map[string]any {
	t.Helper()
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if code := d.api(key, "GET", "/api/v1/checks?size=100", nil, &page); code != 200 {
		t.Fatalf("list: %d", code)
	}
	out := map[string]map[string]any{}
	for _, c := range page.Items {
		out[c["slug"].(string)] = c
	}
	return out
}

// comparable strips what an import does not carry over: ids, UUIDs (and a slug that was
// the UUID), the badge's id, and state.
func comparable(c map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		switch k {
		case "id", "uuid", "created_at", "ping_url", "hc_ping_url", "badge_urls", "config_version", "last_ping", "last_start",
			"next_deadline", "n_pings", "failure_count", "last_reason", "late", "started", "last_duration_seconds", "owner_node":
			continue
		case "slug":
			if v == c["uuid"] {
				v = "<uuid>"
			}
		case "channels":
			chans := map[string]any{}
			for name, ch := range v.(map[string]any) {
				m := ch.(map[string]any)
				chans[name] = [2]any{m["enabled"], m["configured"]}
			}
			v = chans
		}
		out[k] = v
	}
	return out
}

func sameChecks(t *testing.T, what string, a, b map[string]map[string]any) {
	t.Helper()
	ka := keysByDefault(a)
	kb := keysByDefault(b)
	if len(ka) != len(kb) {
		t.Fatalf("%s: %d checks, want %d", what, len(kb), len(ka))
	}
	for k, ca := range ka {
		cb, ok := kb[k]
		if !ok {
			t.Fatalf("%s: no check %s", what, k)
		}
		ja, _ := json.Marshal(comparable(ca))
		jb, _ := json.Marshal(comparable(cb))
		if !bytes.Equal(ja, jb) {
			t.Errorf("%s: check %s differs:\n have %s\n want %s", what, k, jb, ja)
		}
	}
}

// keysByDefault keys checks by slug, or by name for a check whose slug is its UUID.
func keysByDefault(m map[string]map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for slug, c := range m {
		if slug == c["uuid"] {
			slug = "name:" + c["name"].(string)
		}
		out[slug] = c
	}
	return out
}

func uuidsOf(m map[string]map[string]any) []string {
	var out []string
	for _, c := range m {
		out = append(out, c["uuid"].(string))
	}
	sort.Strings(out)
	return out
}

// pageResults are an import's status-page results, "slug=result" in the document's order.
func pageResults(r report) string {
	var out []string
	for _, p := range r.StatusPages {
		out = append(out, p.Slug+"="+p.Result)
	}
	return strings.Join(out, " ")
}

// statusPagesOf lists the user's status pages by slug, ids and addresses left out and each
// check named as keysByDefault names it (its slug, or its name for a check whose slug is its
// UUID), in the page's order: equal after an import that gives the checks new ids and UUIDs.
func statusPagesOf(t *testing.T, d *daemon, key string) map[string]map[string]any {
	t.Helper()
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if code := d.api(key, "GET", "/api/v1/status-pages", nil, &page); code != 200 {
		t.Fatalf("list status pages: %d", code)
	}
	names := map[float64]string{}
	for k, c := range keysByDefault(allChecks(t, d, key)) {
		names[c["id"].(float64)] = k
	}
	out := map[string]map[string]any{}
	for _, p := range page.Items {
		checks := []string{}
		for _, id := range p["checks"].([]any) {
			n, ok := names[id.(float64)]
			if !ok {
				t.Fatalf("page %s shows check %v, which is not the user's", p["slug"], id)
			}
			checks = append(checks, n)
		}
		out[p["slug"].(string)] = map[string]any{"name": p["name"], "description": p["description"], "layout": p["layout"],
			"show_activity": p["show_activity"], "checks": checks}
	}
	return out
}

func samePages(t *testing.T, what string, want, got map[string]map[string]any) {
	t.Helper()
	jw, _ := json.Marshal(want)
	jg, _ := json.Marshal(got)
	if !bytes.Equal(jw, jg) {
		t.Fatalf("%s: status pages differ:\n have %s\n want %s", what, jg, jw)
	}
}

// wipe deletes the user's status pages and checks.
func wipe(t *testing.T, d *daemon, key string) {
	t.Helper()
	var pages struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if code := d.api(key, "GET", "/api/v1/status-pages", nil, &pages); code != 200 {
		t.Fatalf("list status pages: %d", code)
	}
	for _, p := range pages.Items {
		if code := d.api(key, "DELETE", fmt.Sprintf("/api/v1/status-pages/%d", p.ID), nil, nil); code != 204 {
			t.Fatalf("delete a status page: %d", code)
		}
	}
	for _, c := range allChecks(t, d, key) {
		if code := d.api(key, "DELETE", fmt.Sprintf("/api/v1/checks/%d", int64(c["id"].(float64))), nil, nil); code != 204 {
			t.Fatalf("delete: %d", code)
		}
	}
}

// openSettings opens every channel's settings of a sealed document: slug → channel → settings.
func openSettings(t *testing.T, doc []byte, pass string) map[string]string {
	t.Helper()
	d, err := transfer.Parse(doc)
	if err != nil || d.Secrets == nil {
		t.Fatalf("parse a sealed export: %v", err)
	}
	s, err := transfer.OpenSealer(*d.Secrets, pass)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, raw := range d.Checks {
		var c transfer.Check
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		for name, ch := range c.Channels {
			cfg, err := s.OpenChannel(c.Slug, name, ch.Settings)
			if err != nil {
				t.Fatal(err)
			}
			key := c.Name + "/" + name
			b, _ := json.Marshal(cfg)
			out[key] = string(b)
		}
	}
	return out
}

// ttrdImport runs `ttrd import …` and returns its output and exit status.
func ttrdImport(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"import"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// TestExportImport: a user's export, imported after a wipe, gives back every check, channel
// and status page equal except ids and UUIDs (new ones, uploaded as JSON or as a file; a
// page's checks are the same checks in the same order); a dry run changes nothing; secrets are sealed, never in plaintext, and come back with the
// passphrase only; an admin's `ttrd import --keep-uuids` keeps the UUIDs (old ping URLs
// answer and count) and never takes over another user's.
func TestExportImport(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	a, b := d.newUser(), d.newUser()
	const pass = "correct horse battery staple"
	const hook = "https://hooks.example.com/secret-path-1234"
	const bot = "123456789:AAEsecretsecretsecretsecret_token"

	cron := d.createCheck(a.AuthKey, map[string]any{"name": "nightly", "slug": "nightly", "tags": []string{"db", "prod"},
		"desc": "backup", "schedule_type": "cron", "schedule": "15 5 * * *", "tz": "Europe/Riga", "grace_seconds": 600,
		"max_runtime_seconds": 3600, "notify_after_failures": 2, "notify_on_up": false, "realert_interval_seconds": 7200,
		"content_rule": map[string]any{"type": "absent", "pattern": "ERROR"}, "methods": "POST", "success_kw": "OK",
		"filter_http_body": true, "badge_enabled": true, "manual_resume": true})
	def := d.createCheck(a.AuthKey, map[string]any{"name": "default slug", "interval_seconds": 300})
	paused := d.createCheck(a.AuthKey, map[string]any{"name": "paused one", "slug": "paused-one"})
	if code := d.api(a.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", cron.ID), map[string]any{"webhook_url": hook}, nil); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	if code := d.api(a.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/telegram", def.ID),
		map[string]any{"telegram_bot_token": bot, "telegram_chat_id": "-100123", "telegram_enabled": false}, nil); code != 200 {
		t.Fatalf("telegram: %d", code)
	}
	if code := d.api(a.AuthKey, "POST", fmt.Sprintf("/api/v1/checks/%d/pause", paused.ID), nil, nil); code != 200 {
		t.Fatalf("pause: %d", code)
	}
	// Two status pages: one shows three checks in an order that is not theirs (the check
	// whose slug is its UUID among them), the other none.
	var team struct {
		ID int64 `json:"id"`
	}
	if code := d.api(a.AuthKey, "POST", "/api/v1/status-pages", map[string]any{"slug": "team", "name": "Team jobs",
		"description": "What the team runs at night.", "layout": "timeline", "show_activity": true,
		"checks": []int64{paused.ID, def.ID, cron.ID}}, &team); code != 201 {
		t.Fatalf("create a status page: %d", code)
	}
	if code := d.api(a.AuthKey, "POST", "/api/v1/status-pages", map[string]any{"slug": "empty", "name": "Nothing yet", "layout": "grid"}, nil); code != 201 {
		t.Fatalf("create a status page: %d", code)
	}
	original := allChecks(t, d, a.AuthKey)
	origUUIDs := uuidsOf(original)
	origPages := statusPagesOf(t, d, a.AuthKey)
	if got := fmt.Sprint(origPages["team"]["checks"]); len(origPages) != 2 || got != "[paused-one name:default slug nightly]" {
		t.Fatalf("the status pages made: %v", origPages)
	}

	code, plain := transferCall(t, d, a.AuthKey, "GET", "/api/v1/checks/export", "", nil, nil)
	if code != 200 || strings.Contains(string(plain), "hooks.example.com") || strings.Contains(string(plain), "settings") {
		t.Fatalf("export without secrets: %d %s", code, plain)
	}
	// The document names a page's checks by slug, in the page's order.
	if doc, err := transfer.Parse(plain); err != nil || len(doc.StatusPages) != 2 {
		t.Fatalf("the export's status pages: %v %s", err, plain)
	} else if p, err := transfer.ParseStatusPage(doc.StatusPages[0]); err != nil || p.Slug != "team" ||
		fmt.Sprint(p.Checks) != fmt.Sprint([]string{"paused-one", def.UUID, "nightly"}) || p.Layout != "timeline" || !p.ShowActivity {
		t.Fatalf("the export's first status page: %+v %v", p, err)
	}
	if code, body := transferCall(t, d, a.AuthKey, "GET", "/api/v1/checks/export?secrets=1", "", nil, nil); code != 400 {
		t.Fatalf("secrets without a passphrase: %d %s", code, body)
	}
	code, sealed := transferCall(t, d, a.AuthKey, "GET", "/api/v1/checks/export?secrets=1", "", nil, map[string]string{"X-Passphrase": pass})
	if code != 200 {
		t.Fatalf("export with secrets: %d %s", code, sealed)
	}
	for _, secret := range []string{"hooks.example.com", "secret-path", "AAEsecret", "-100123"} {
		if strings.Contains(string(sealed), secret) {
			t.Fatalf("the sealed export holds %q in plaintext: %s", secret, sealed)
		}
	}
	settingsA := openSettings(t, sealed, pass)
	if len(settingsA) != 2 || !strings.Contains(settingsA["nightly/webhook"], hook) {
		t.Fatalf("sealed settings: %v", settingsA)
	}

	// A dry run into b reports three creations and creates nothing.
	r := decodeReport(t, "dry run")(transferCall(t, d, b.AuthKey, "POST", "/api/v1/checks/import?dry_run=1", "application/json", sealed, map[string]string{"X-Passphrase": pass}))
	wantSummary(t, "dry run", r, 3, 0, 0, 0)
	if n := len(allChecks(t, d, b.AuthKey)); n != 0 {
		t.Fatalf("a dry run created %d checks", n)
	}
	if got := pageResults(r); got != "team=created empty=created" {
		t.Fatalf("a dry run's status pages: %s", got)
	}
	if n := len(statusPagesOf(t, d, b.AuthKey)); n != 0 {
		t.Fatalf("a dry run created %d status pages", n)
	}
	if code, body := transferCall(t, d, b.AuthKey, "POST", "/api/v1/checks/import", "application/json", sealed,
		map[string]string{"X-Passphrase": "not the passphrase"}); code != 400 || !strings.Contains(string(body), "passphrase") {
		t.Fatalf("a wrong passphrase: %d %s", code, body)
	}
	if code, body := transferCall(t, d, b.AuthKey, "POST", "/api/v1/checks/import?keep_uuids=1", "application/json", sealed, nil); code != 403 {
		t.Fatalf("an upload asking to keep UUIDs: %d %s", code, body)
	}

	// Export → wipe → import: equal except ids and UUIDs, channels and their settings and
	// status pages too.
	wipe(t, d, a.AuthKey)
	if n := len(statusPagesOf(t, d, a.AuthKey)); n != 0 {
		t.Fatalf("%d status pages left after a wipe", n)
	}
	r = decodeReport(t, "import")(transferCall(t, d, a.AuthKey, "POST", "/api/v1/checks/import", "application/json", sealed, map[string]string{"X-Passphrase": pass}))
	wantSummary(t, "import", r, 3, 0, 0, 0)
	if got := pageResults(r); got != "team=created empty=created" {
		t.Fatalf("the import's status pages: %s %+v", got, r.StatusPages)
	}
	restored := allChecks(t, d, a.AuthKey)
	sameChecks(t, "after import", original, restored)
	samePages(t, "after import", origPages, statusPagesOf(t, d, a.AuthKey))
	for _, u := range uuidsOf(restored) {
		for _, o := range origUUIDs {
			if u == o {
				t.Fatalf("an upload kept UUID %s", u)
			}
		}
	}
	_, resealed := transferCall(t, d, a.AuthKey, "GET", "/api/v1/checks/export?secrets=1", "", nil, map[string]string{"X-Passphrase": pass})
	if got := openSettings(t, resealed, pass); fmt.Sprint(got) != fmt.Sprint(settingsA) {
		t.Fatalf("channel settings after import: %v, want %v", got, settingsA)
	}
	// Importing its own export again changes nothing (a check whose slug is its UUID is
	// matched by it only in the account where it has that UUID).
	r = decodeReport(t, "again")(transferCall(t, d, a.AuthKey, "POST", "/api/v1/checks/import", "application/json", resealed, map[string]string{"X-Passphrase": pass}))
	wantSummary(t, "again", r, 0, 0, 3, 0)
	if got := pageResults(r); got != "team=unchanged empty=unchanged" {
		t.Fatalf("the status pages imported again: %s", got)
	}

	// A page changed since: a dry run reports it would be updated and leaves it as it is; the
	// import puts it back.
	var pages struct {
		Items []struct {
			ID   int64  `json:"id"`
			Slug string `json:"slug"`
		} `json:"items"`
	}
	d.api(a.AuthKey, "GET", "/api/v1/status-pages", nil, &pages)
	for _, p := range pages.Items {
		if p.Slug == "team" {
			team.ID = p.ID
		}
	}
	if code := d.api(a.AuthKey, "PATCH", fmt.Sprintf("/api/v1/status-pages/%d", team.ID), map[string]any{"name": "Renamed",
		"layout": "cards", "checks": []int64{}}, nil); code != 200 {
		t.Fatalf("change a status page: %d", code)
	}
	changed := statusPagesOf(t, d, a.AuthKey)
	r = decodeReport(t, "dry run over a changed page")(transferCall(t, d, a.AuthKey, "POST", "/api/v1/checks/import?dry_run=1", "application/json", resealed, map[string]string{"X-Passphrase": pass}))
	wantSummary(t, "dry run over a changed page", r, 0, 0, 3, 0)
	if got := pageResults(r); got != "team=updated empty=unchanged" {
		t.Fatalf("a dry run over a changed page: %s", got)
	}
	samePages(t, "after a dry run", changed, statusPagesOf(t, d, a.AuthKey))
	r = decodeReport(t, "import over a changed page")(transferCall(t, d, a.AuthKey, "POST", "/api/v1/checks/import", "application/json", resealed, map[string]string{"X-Passphrase": pass}))
	if got := pageResults(r); got != "team=updated empty=unchanged" {
		t.Fatalf("an import over a changed page: %s", got)
	}
	samePages(t, "after an import over a changed page", origPages, statusPagesOf(t, d, a.AuthKey))

	// The same document as a multipart file upload, after another wipe: new UUIDs again.
	wipe(t, d, a.AuthKey)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "export.json")
	fw.Write(sealed)
	mw.WriteField("passphrase", pass)
	mw.Close()
	r = decodeReport(t, "file upload")(transferCall(t, d, a.AuthKey, "POST", "/api/v1/checks/import", mw.FormDataContentType(), form.Bytes(), nil))
	wantSummary(t, "file upload", r, 3, 0, 0, 0)
	uploaded := allChecks(t, d, a.AuthKey)
	sameChecks(t, "after a file upload", original, uploaded)
	samePages(t, "after a file upload", origPages, statusPagesOf(t, d, a.AuthKey))
	for _, c := range r.Checks {
		for _, o := range origUUIDs {
			if c.UUID == o {
				t.Fatalf("a file upload kept UUID %s", o)
			}
		}
	}

	// An admin restores with the UUIDs kept: the old ping URLs answer and count.
	wipe(t, d, a.AuthKey)
	file := filepath.Join(t.TempDir(), "export.json")
	if err := os.WriteFile(file, sealed, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"TTR_ADMIN_PASSWORD=admin password 123"}
	if out, code := adminRun(t, "", env, "create", "--username", "root", "--data-dir", d.dataDir); code != 0 {
		t.Fatalf("admin create: %s", out)
	}
	env = append(env, "TTR_IMPORT_PASSPHRASE="+pass)
	out, code := ttrdImport(t, env, "--server", d.URL, "--admin", "root", "--user", a.UserSlug, "--keep-uuids", "--dry-run", file)
	if code != 0 || !strings.Contains(out, "created 3") || !strings.Contains(out, "dry run") || !strings.Contains(out, "status page team") ||
		len(allChecks(t, d, a.AuthKey)) != 0 || len(statusPagesOf(t, d, a.AuthKey)) != 0 {
		t.Fatalf("ttrd import --dry-run: %d %s", code, out)
	}
	out, code = ttrdImport(t, env, "--server", d.URL, "--admin", "root", "--user", a.UserSlug, "--keep-uuids", file)
	if code != 0 || !strings.Contains(out, "created 3") {
		t.Fatalf("ttrd import --keep-uuids: %d %s", code, out)
	}
	kept := allChecks(t, d, a.AuthKey)
	sameChecks(t, "after an admin's import", original, kept)
	samePages(t, "after an admin's import", origPages, statusPagesOf(t, d, a.AuthKey))
	if fmt.Sprint(uuidsOf(kept)) != fmt.Sprint(origUUIDs) {
		t.Fatalf("UUIDs after --keep-uuids: %v, want %v", uuidsOf(kept), origUUIDs)
	}
	if code, body, _ := d.ping("GET", "/ping/"+def.UUID, ""); code != 200 {
		t.Fatalf("ping the old UUID URL: %d %s", code, body)
	}
	if c := allChecks(t, d, a.AuthKey)[def.UUID]; c == nil || c["n_pings"].(float64) != 1 || c["status"] != "up" {
		t.Fatalf("the ping did not count: %v", c)
	}

	kept = allChecks(t, d, a.AuthKey)

	// The same restore into b: every UUID is a's, so every check is an error, and a's
	// checks are untouched.
	out, code = ttrdImport(t, env, "--server", d.URL, "--admin", "root", "--user", b.UserSlug, "--keep-uuids", file)
	if code != 1 || strings.Count(out, "another account") != 3 || !strings.Contains(out, "errors 3") {
		t.Fatalf("a restore into another user: %d %s", code, out)
	}
	if n := len(allChecks(t, d, b.AuthKey)); n != 0 {
		t.Fatalf("b got %d checks", n)
	}
	sameChecks(t, "a's checks after b's refused restore", kept, allChecks(t, d, a.AuthKey))
	samePages(t, "a's status pages after b's refused restore", origPages, statusPagesOf(t, d, a.AuthKey))
	// b's pages are made without the checks b could not take, each left-out check noted.
	if !strings.Contains(out, "created  status page team") || strings.Count(out, "left out") != 3 {
		t.Fatalf("the status pages of a restore into another user: %s", out)
	}
	if got := statusPagesOf(t, d, b.AuthKey); len(got) != 2 || len(got["team"]["checks"].([]string)) != 0 {
		t.Fatalf("b's status pages: %v", got)
	}
	if fmt.Sprint(uuidsOf(allChecks(t, d, a.AuthKey))) != fmt.Sprint(origUUIDs) {
		t.Fatal("a's UUIDs changed")
	}
}

// The documented answers of healthchecks.io's API (templates/docs/api.md: "Get a List of
// Existing Checks", "Get a List of Existing Integrations"), SITE_ROOT and PING_ENDPOINT
// filled in.
const hcChecksExample = `{
  "checks": [
    {
      "name": "Filesystem Backup",
      "slug": "filesystem-backup",
      "tags": "backup fs",
      "desc": "Runs incremental backup every hour",
      "grace": 600,
      "n_pings": 1,
      "status": "up",
      "last_ping": "2020-03-24T14:02:03+00:00",
      "next_ping": "2020-03-24T15:02:03+00:00",
      "manual_resume": false,
      "methods": "",
      "success_kw": "SUCCESS",
      "failure_kw": "ERROR",
      "filter_subject": true,
      "filter_body": false,
      "ping_url": "https://hc-ping.com/31365bce-8da9-4729-8ff3-aaa71d56b712",
      "update_url": "SITE_ROOT/api/v3/checks/31365bce-8da9-4729-8ff3-aaa71d56b712",
      "pause_url": "SITE_ROOT/api/v3/checks/31365bce-8da9-4729-8ff3-aaa71d56b712/pause",
      "resume_url": "SITE_ROOT/api/v3/checks/31365bce-8da9-4729-8ff3-aaa71d56b712/resume",
      "channels": "1bdea468-03bf-47b8-ab27-29a9dd0e4b94,51c6eb2b-2ae1-456b-99fe-6f1e0a36cd3c",
      "timeout": 3600
    },
    {
      "name": "Database Backup",
      "slug": "database-backup",
      "tags": "production db",
      "desc": "Runs ~/db-backup.sh",
      "grace": 1200,
      "n_pings": 7,
      "status": "down",
      "last_ping": "2020-03-23T10:19:32+00:00",
      "next_ping": null,
      "manual_resume": false,
      "methods": "",
      "success_kw": "",
      "failure_kw": "",
      "filter_subject": false,
      "filter_body": false,
      "ping_url": "https://hc-ping.com/803f680d-e89b-492b-82ef-2be7b774a92d",
      "update_url": "SITE_ROOT/api/v3/checks/803f680d-e89b-492b-82ef-2be7b774a92d",
      "pause_url": "SITE_ROOT/api/v3/checks/803f680d-e89b-492b-82ef-2be7b774a92d/pause",
      "resume_url": "SITE_ROOT/api/v3/checks/803f680d-e89b-492b-82ef-2be7b774a92d/resume",
      "channels": "1bdea468-03bf-47b8-ab27-29a9dd0e4b94,51c6eb2b-2ae1-456b-99fe-6f1e0a36cd3c",
      "schedule": "15 5 * * *",
      "tz": "UTC"
    }
  ]
}`

const hcChannelsExample = `{
  "channels": [
    {"id": "1bdea468-03bf-47b8-ab27-29a9dd0e4b94", "name": "My Work Email", "kind": "email"},
    {"id": "51c6eb2b-2ae1-456b-99fe-6f1e0a36cd3c", "name": "My Phone", "kind": "sms"}
  ]
}`

// fakeHealthchecks serves the documented answers to the project's API key.
func fakeHealthchecks(t *testing.T, key string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != key {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error": "wrong api key"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v3/checks/":
			io.WriteString(w, strings.ReplaceAll(hcChecksExample, "SITE_ROOT", "http://"+r.Host))
		case "/api/v3/channels/":
			io.WriteString(w, hcChannelsExample)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestHealthchecksImport: a project fetched by ttr from a listed healthchecks server keeps
// its UUIDs, so pings to the old URLs answer 200 and count; a dry run changes nothing; a
// server not listed is 400; another user cannot take the same UUIDs; an operator's
// `ttrd import healthchecks --ping-key` makes /ping/<ping_key>/<slug> work.
func TestHealthchecksImport(t *testing.T) {
	const key = "project-api-key-rw"
	hc := fakeHealthchecks(t, key)
	d := startDaemon(t, t.TempDir(), "--import-hc-servers", "https://healthchecks.io,"+hc.URL)
	u, v := d.newUser(), d.newUser()
	post := func(who user, body map[string]any) (int, []byte) {
		b, _ := json.Marshal(body)
		return transferCall(t, d, who.AuthKey, "POST", "/api/v1/checks/import/healthchecks", "application/json", b, nil)
	}
	const fsUUID, dbUUID = "31365bce-8da9-4729-8ff3-aaa71d56b712", "803f680d-e89b-492b-82ef-2be7b774a92d"

	if code, body := post(u, map[string]any{"url": "https://hc.example.com", "api_key": key, "keep_uuids": true}); code != 400 {
		t.Fatalf("a server not listed: %d %s", code, body)
	}
	if code, body := post(u, map[string]any{"url": hc.URL, "api_key": "wrong", "keep_uuids": true}); code != 400 {
		t.Fatalf("a wrong API key: %d %s", code, body)
	}
	r := decodeReport(t, "dry run")(post(u, map[string]any{"url": hc.URL, "api_key": key, "keep_uuids": true, "dry_run": true}))
	wantSummary(t, "dry run", r, 2, 0, 0, 0)
	if len(r.Channels) != 2 || len(allChecks(t, d, u.AuthKey)) != 0 {
		t.Fatalf("dry run: %+v", r)
	}
	r = decodeReport(t, "import")(post(u, map[string]any{"url": hc.URL, "api_key": key, "keep_uuids": true}))
	wantSummary(t, "import", r, 2, 0, 0, 0)
	if !strings.Contains(strings.Join(r.Checks[0].Notes, " "), "My Work Email (email)") {
		t.Errorf("the channels to set up are not named: %+v", r.Checks[0])
	}
	got := allChecks(t, d, u.AuthKey)
	fs, db := got["filesystem-backup"], got["database-backup"]
	if fs == nil || db == nil {
		t.Fatalf("imported: %v", got)
	}
	for _, tt := range []struct {
		c     map[string]any
		field string
		want  any
	}{
		{fs, "uuid", fsUUID}, {fs, "name", "Filesystem Backup"}, {fs, "desc", "Runs incremental backup every hour"},
		{fs, "schedule_type", "interval"}, {fs, "interval_seconds", 3600.0}, {fs, "grace_seconds", 600.0},
		{fs, "success_kw", "SUCCESS"}, {fs, "failure_kw", "ERROR"}, {fs, "filter_subject", true}, {fs, "methods", ""},
		{db, "uuid", dbUUID}, {db, "schedule_type", "cron"}, {db, "schedule", "15 5 * * *"}, {db, "tz", "UTC"},
		{db, "grace_seconds", 1200.0}, {db, "manual_resume", false},
	} {
		if tt.c[tt.field] != tt.want {
			t.Errorf("%s %s = %v, want %v", tt.c["slug"], tt.field, tt.c[tt.field], tt.want)
		}
	}
	if fmt.Sprint(fs["tags"]) != "[backup fs]" || fmt.Sprint(db["tags"]) != "[db production]" && fmt.Sprint(db["tags"]) != "[production db]" {
		t.Errorf("tags: %v %v", fs["tags"], db["tags"])
	}
	for i := 1; i <= 2; i++ {
		if code, body, _ := d.ping("POST", "/ping/"+fsUUID, "done"); code != 200 || body != "OK" {
			t.Fatalf("ping the old URL: %d %s", code, body)
		}
	}
	if c := allChecks(t, d, u.AuthKey)["filesystem-backup"]; c["n_pings"].(float64) != 2 || c["status"] != "up" {
		t.Fatalf("pings to the old URL did not count: %v", c)
	}
	// Again: nothing changes.
	r = decodeReport(t, "again")(post(u, map[string]any{"url": hc.URL, "api_key": key, "keep_uuids": true}))
	wantSummary(t, "again", r, 0, 0, 2, 0)

	// v holds the same project's key, but the UUIDs are u's now: reported, not taken.
	r = decodeReport(t, "another user")(post(v, map[string]any{"url": hc.URL, "api_key": key, "keep_uuids": true}))
	wantSummary(t, "another user", r, 0, 0, 0, 2)
	if !strings.Contains(r.Checks[0].Detail, "another account") || len(allChecks(t, d, v.AuthKey)) != 0 {
		t.Fatalf("another user: %+v", r)
	}

	// The operator imports it for v with new UUIDs and the project's ping key.
	env := []string{"TTR_ADMIN_PASSWORD=admin password 123"}
	if out, code := adminRun(t, "", env, "create", "--username", "root", "--data-dir", d.dataDir); code != 0 {
		t.Fatalf("admin create: %s", out)
	}
	const pingKey = "hcProjectPingKey123456"
	out, code := ttrdImport(t, env, "healthchecks", "--server", d.URL, "--admin", "root", "--user", v.UserSlug,
		"--url", hc.URL, "--api-key", key, "--ping-key", pingKey)
	if code != 0 || !strings.Contains(out, "created 2") || !strings.Contains(out, "My Phone (sms)") {
		t.Fatalf("ttrd import healthchecks: %d %s", code, out)
	}
	if code, body, _ := d.ping("GET", "/ping/"+pingKey+"/database-backup", ""); code != 200 {
		t.Fatalf("ping by the project's ping key: %d %s", code, body)
	}
	if c := allChecks(t, d, v.AuthKey)["database-backup"]; c["n_pings"].(float64) != 1 || c["uuid"] == dbUUID {
		t.Fatalf("v's check after a ping by ping key: %v", c)
	}
}
