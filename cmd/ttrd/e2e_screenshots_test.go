package main_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ttr-rip/ttr/http/web/webtest"
)

// screenshotModes are the modes each page is taken in (in the default theme).
var screenshotModes = []string{"light", "dark"}

// TestScreenshots writes every page of the web UI, in light and dark, as PNGs to the
// directory $TTR_SCREENSHOTS (`make screenshots` sets it to docs/screenshots); without it the
// test is skipped. The account is filled first, so the pages show what a user would see.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("TTR_SCREENSHOTS")
	if dir == "" {
		t.Skip("TTR_SCREENSHOTS is not set (make screenshots sets it)")
	}
	webtest.ChromePath(t)
	d := startDaemon(t, "")
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer recv.Close()

	// A user with three checks: one up with timed runs and a badge, one down, one new.
	u := d.newUser()
	backup := d.createCheck(u.AuthKey, map[string]any{"name": "Nightly backup", "slug": "backup", "tags": []string{"prod", "db"},
		"schedule_type": "cron", "schedule": "0 3 * * *", "tz": "Europe/Berlin", "grace_seconds": 1800})
	vacuum := d.createCheck(u.AuthKey, map[string]any{"name": "DB vacuum", "slug": "vacuum", "tags": []string{"db"}, "interval_seconds": 3600})
	d.createCheck(u.AuthKey, map[string]any{"name": "Certificate renewal", "slug": "certs", "interval_seconds": 86400})
	ping := func(path, body string) {
		method := "GET"
		if body != "" {
			method = "POST"
		}
		if code, b, _ := d.ping(method, "/p/"+u.UserSlug+path, body); code != 200 {
			t.Fatalf("ping %s: %d %s", path, code, b)
		}
	}
	for i := range 12 {
		ping("/backup/start", "")
		time.Sleep(time.Duration(30+(i*37)%90) * time.Millisecond)
		if i == 7 {
			ping("/backup/1", "pg_dump: error: connection to server failed")
			continue
		}
		ping("/backup", fmt.Sprintf("dumped %d tables, %d MB", 40+i, 900+i*13))
	}
	ping("/vacuum/fail", "vacuum: relation \"events\" is locked")
	if code := d.api(u.AuthKey, "PATCH", "/api/v1/checks/"+strconv.FormatInt(backup.ID, 10), map[string]any{"badge_enabled": true}, nil); code != 200 {
		t.Fatalf("badge: %d", code)
	}
	if code := d.api(u.AuthKey, "PUT", "/api/v1/checks/"+strconv.FormatInt(backup.ID, 10)+"/webhook", map[string]any{"webhook_url": recv.URL + "/hook"}, nil); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	_ = vacuum

	shoot := func(b *webtest.Browser, name string) {
		t.Helper()
		for _, mode := range screenshotModes {
			webtest.Run(t, b, chromedp.Evaluate[string](fmt.Sprintf(`document.documentElement.dataset.mode = %q`, mode)))
			b.Screenshot(t, filepath.Join(dir, name+"-"+mode+".png"), 1400, 0.75)
		}
	}

	// Signed out: landing, sign-in, a new key, the 404 page.
	anon := webtest.NewBrowser(t)
	anon.Navigate(t, d.URL+"/")
	shoot(anon, "landing")
	anon.Navigate(t, d.URL+"/signin")
	shoot(anon, "signin")
	anon.Navigate(t, d.URL+"/no/such/page")
	shoot(anon, "not-found")
	anon.Navigate(t, d.URL+"/")
	anon.Submit(t, `form[action="/signup"] button`)
	shoot(anon, "key")

	// Signed in as the user with checks.
	b := webtest.NewBrowser(t)
	signIn(t, b, d.URL, u.AuthKey)
	shoot(b, "dashboard")
	check := d.URL + "/checks/" + strconv.FormatInt(backup.ID, 10)
	b.Navigate(t, check)
	shoot(b, "check")
	b.Navigate(t, check+"/integrations")
	b.Submit(t, `#ch-webhook button[value="test"]`)
	shoot(b, "integrations")
	b.Navigate(t, check+"/edit")
	shoot(b, "check-edit")
	b.Navigate(t, d.URL+"/checks/new")
	shoot(b, "check-new")
	b.Navigate(t, d.URL+"/account")
	shoot(b, "account")
}
