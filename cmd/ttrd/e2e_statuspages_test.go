package main_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, to seed uptime history

	"github.com/ttr-rip/ttr/http/geoip/geoiptest"
	"github.com/ttr-rip/ttr/http/web/webtest"
)

// statusFixture is a user with three pinged checks (one failing) and a status page of them.
type statusFixture struct {
	key, slug, pingKey string
	checks             []map[string]any
	secrets            []string
}

// seedHistory writes 89 days of uptime marks before now into the daemon's database for a
// check that has not flipped yet, so that its bar has a history to show (the marks the
// commit path writes from then on build on the last one). It stands for three months of a
// daemon's life, which a test cannot wait for.
func seedHistory(t *testing.T, dataDir string, checkID int64, outages int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "ttr.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now().Add(-89 * 24 * time.Hour).Truncate(time.Hour)
	at, up, tracked := start, int64(0), int64(0)
	status := "up"
	step := func(next time.Time, to string) {
		d := next.Sub(at).Milliseconds()
		if status == "up" {
			up += d
		}
		if status == "up" || status == "down" {
			tracked += d
		}
		at, status = next, to
		if _, err := db.Exec(`INSERT INTO uptime_marks (check_id, at, status, up_ms, tracked_ms) VALUES (?, ?, ?, ?, ?)`,
			checkID, at.UnixMilli(), status, up, tracked); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO uptime_marks (check_id, at, status, up_ms, tracked_ms) VALUES (?, ?, 'up', 0, 0)`, checkID, start.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	for i := range outages {
		down := start.Add(time.Duration(5+i*11) * 24 * time.Hour).Add(time.Duration(i*3) * time.Hour)
		step(down, "down")
		step(down.Add(time.Duration(1+i%4)*time.Hour), "up")
	}
	step(time.Now().Add(-2*time.Hour), "paused")
}

func newStatusFixture(t *testing.T, d *daemon) statusFixture {
	t.Helper()
	var f statusFixture
	var u map[string]any
	if code := d.api("", "POST", "/api/v1/users", "{}", &u); code != 201 {
		t.Fatalf("create user: %d", code)
	}
	f.key = u["auth_key"].(string)
	var me map[string]any
	d.api(f.key, "GET", "/api/v1/user/me", nil, &me)
	f.slug, f.pingKey = me["user_slug"].(string), me["ping_key"].(string)
	f.secrets = append(f.secrets, f.key, f.pingKey, "/p/"+f.slug+"/")
	for i, name := range []string{"Nightly backup", "Deploy pipeline", "Disk report"} {
		var c map[string]any
		body := fmt.Sprintf(`{"name": %q, "slug": "secret-slug-%d", "tags": "secret-tag-%d", "interval_seconds": 3600}`, name, i, i)
		if code := d.api(f.key, "POST", "/api/v1/checks", body, &c); code != 201 {
			t.Fatalf("create check: %d %v", code, c)
		}
		id := int64(c["id"].(float64))
		seedHistory(t, d.dataDir, id, 3+2*i)
		uuid := c["uuid"].(string)
		f.secrets = append(f.secrets, uuid, fmt.Sprintf("secret-slug-%d", i), fmt.Sprintf("secret-tag-%d", i),
			fmt.Sprintf("SECRET-BODY-%d", i), "/ping/"+uuid)
		req, _ := http.NewRequest("POST", d.URL+"/ping/"+uuid, strings.NewReader(fmt.Sprintf("SECRET-BODY-%d", i)))
		req.Header.Set("User-Agent", "secret-agent/7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("ping: %v %v", resp, err)
		}
		resp.Body.Close()
		if i == 2 {
			if code, _, _ := d.ping("POST", "/ping/"+uuid+"/fail", "SECRET-BODY-2"); code != 200 {
				t.Fatalf("fail ping: %d", code)
			}
		}
		f.checks = append(f.checks, c)
	}
	f.secrets = append(f.secrets, "secret-agent", "127.0.0.1")
	return f
}

// TestStatusPagePublic: a page of three checks, in each layout, in a real browser against a
// real ttrd: no CSP violation, no serious or critical axe finding in any theme × mode, and
// neither the page nor its feed shows any of the checks' secrets; the feed answers 304 to
// its ETag and the page refreshes itself from it. With TTR_SCREENSHOTS set to a directory,
// it saves status-{layout}-{mode}.png there (make screenshots).
func TestStatusPagePublic(t *testing.T) {
	webtest.ChromePath(t)
	webtest.AxeSource(t)
	dbPath := filepath.Join(t.TempDir(), "country.mmdb")
	if err := os.WriteFile(dbPath, geoiptest.Database(netip.MustParsePrefix("127.0.0.0/24"), "NL"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "", "--geoip-db", dbPath)
	f := newStatusFixture(t, d)
	ids := make([]int64, len(f.checks))
	for i, c := range f.checks {
		ids[i] = int64(c["id"].(float64))
	}
	var page map[string]any
	body := map[string]any{"slug": "public", "name": "Example status", "description": "Jobs of the example team.",
		"show_activity": true, "checks": ids}
	if code := d.api(f.key, "POST", "/api/v1/status-pages", body, &page); code != 201 {
		t.Fatalf("create page: %d %v", code, page)
	}
	base := d.URL + "/s/" + f.slug + "/public"

	// The feed and the page, fetched plainly: nothing secret, a country, ETag and 304.
	get := func(url string, hdr ...string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, data := get(base + "/data")
	if resp.StatusCode != 200 || !strings.Contains(data, `"country":"NL"`) || !strings.Contains(data, `"overall":"down"`) {
		t.Fatalf("feed: %d %s", resp.StatusCode, data)
	}
	if r, _ := get(base+"/data", "If-None-Match", resp.Header.Get("ETag")); r.StatusCode != 304 {
		t.Errorf("feed with its ETag: %d", r.StatusCode)
	}
	for _, layout := range []string{"", "?layout=cards", "?layout=grid", "?layout=timeline"} {
		r, html := get(base + layout)
		if r.StatusCode != 200 || !strings.Contains(html, "Nightly backup") || r.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("page %s: %d", layout, r.StatusCode)
		}
		for _, s := range f.secrets {
			if strings.Contains(html, s) {
				t.Errorf("page %s shows %q", layout, s)
			}
		}
	}
	for _, s := range f.secrets {
		if strings.Contains(data, s) {
			t.Errorf("the feed shows %q", s)
		}
	}

	b := webtest.NewBrowser(t)
	shots := os.Getenv("TTR_SCREENSHOTS")
	for _, layout := range []string{"cards", "grid", "timeline"} {
		b.Navigate(t, base+"?layout="+layout)
		if got := b.Text(t, "h1"); got != "Example status" {
			t.Errorf("%s: heading %q", layout, got)
		}
		// The script refreshes the page from /data (it marks when it did).
		waitUntilB(t, b, `document.querySelector("[data-status-page]").dataset.refreshed !== undefined`)
		pageCheck(t, b, "status page "+layout)
		if strings.Contains(b.HTML(t), f.checks[0]["uuid"].(string)) {
			t.Errorf("%s: the rendered page shows a UUID", layout)
		}
		if shots != "" {
			for _, mode := range []string{"light", "dark"} {
				webtest.Run(t, b, chromedp.Evaluate[string](fmt.Sprintf(`document.documentElement.dataset.theme = "retro"; document.documentElement.dataset.mode = %q`, mode)))
				png := webtest.Run(t, b, chromedp.FullScreenshot(100))
				name := filepath.Join(shots, "status-"+layout+"-"+mode+".png")
				if err := os.WriteFile(name, png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	b.Navigate(t, d.URL+"/s/"+f.slug+"/nope")
	if got := b.Text(t, "h1"); got != "Page not found" {
		t.Errorf("an unknown page: %q", got)
	}
}

// TestStatusPageEditor: the owner creates their first page in the editor (picks and orders
// checks, a layout, previews it), is offered to turn slug pings off and does; each editor
// page passes the CSP and axe checks.
func TestStatusPageEditor(t *testing.T) {
	webtest.ChromePath(t)
	webtest.AxeSource(t)
	d := startDaemon(t, "")
	f := newStatusFixture(t, d)
	b := webtest.NewBrowser(t)
	signIn(t, b, d.URL, f.key)

	b.Navigate(t, d.URL+"/status-pages")
	if !strings.Contains(b.Text(t, "main"), "Slug pings are on") {
		t.Errorf("the list does not say slug pings are on: %s", b.Text(t, "main"))
	}
	pageCheck(t, b, "status page list")
	b.Navigate(t, d.URL+"/status-pages/edit")
	pageCheck(t, b, "new status page form")
	id := func(i int) string { return fmt.Sprint(int64(f.checks[i]["id"].(float64))) }
	b.Do(t, sendKeys("#sp-name", "Team jobs"), sendKeys("#sp-slug", "team"),
		chromedp.Click(chromedp.CSS(`input[value="timeline"]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS("#pick-"+id(2)), chromedp.NodeVisible), clearAndType(`input[name="order_`+id(2)+`"]`, "1"),
		chromedp.Click(chromedp.CSS("#pick-"+id(0)), chromedp.NodeVisible), clearAndType(`input[name="order_`+id(0)+`"]`, "2"))
	b.Submit(t, `button[value="preview"]`)
	if got := b.Text(t, "#preview-title"); got != "Preview: Team jobs" {
		t.Fatalf("preview heading %q", got)
	}
	names := webtest.Run(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".sp-preview .sp-name")].map(e => e.textContent)`))
	if len(names) != 2 || names[0] != "Disk report" || names[1] != "Nightly backup" {
		t.Errorf("preview shows %v, want the picked checks in their order", names)
	}
	pageCheck(t, b, "status page preview")
	var pages map[string]any
	if d.api(f.key, "GET", "/api/v1/status-pages", nil, &pages); len(pages["items"].([]any)) != 0 {
		t.Fatal("a preview saved the page")
	}
	b.Submit(t, `form[action="/status-pages/save"] button.primary`)
	if loc := b.Location(t); !strings.Contains(loc, "first=1") {
		t.Fatalf("after saving the first page: %s", loc)
	}
	if !strings.Contains(b.Text(t, "main"), "Turn slug pings off?") {
		t.Error("the first page does not offer to turn slug pings off")
	}
	pageCheck(t, b, "status page editor")
	d.api(f.key, "GET", "/api/v1/status-pages", nil, &pages)
	items := pages["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("pages: %v", pages)
	}
	p := items[0].(map[string]any)
	if p["layout"] != "timeline" || fmt.Sprint(p["checks"]) != fmt.Sprintf("[%s %s]", id(2), id(0)) {
		t.Errorf("saved page %v", p)
	}
	b.Submit(t, `.warning form[action="/status-pages/slug-pings-off"] button`)
	var me map[string]any
	if d.api(f.key, "GET", "/api/v1/user/me", nil, &me); me["slug_pings"] != false {
		t.Errorf("slug pings still on: %v", me["slug_pings"])
	}
	if !strings.Contains(b.Text(t, "main"), "Slug pings are off") {
		t.Error("the list does not say slug pings are off")
	}
}
