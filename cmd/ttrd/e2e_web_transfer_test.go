package main_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/ttr-rip/ttr/http/web/webtest"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// allowDownloads saves the tab's downloads in dir.
func allowDownloads(dir string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	})
}

// waitDownload waits for the one finished file in dir.
func waitDownload(t *testing.T, dir string) string {
	t.Helper()
	var file string
	waittest.UntilWhy(t, 20*time.Second, "a finished download in "+dir, func() (bool, string) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) == 1 {
			if b, err := os.ReadFile(files[0]); err == nil && strings.HasSuffix(strings.TrimSpace(string(b)), "}") {
				file = files[0]
				return true, ""
			}
		}
		entries, _ := os.ReadDir(dir)
		return false, fmt.Sprint(entries)
	})
	return file
}

// TestWebExportImport: on the account page a user downloads an export with sealed channel
// settings, the checks are wiped, the file is imported with its dry run shown first (nothing
// changes until the confirmation), and the checks and the status page come back equal except
// ids and UUIDs, their webhook settings too; then a healthchecks project is imported from the same page, its
// preview first, keeping its UUIDs. Every page passes CSP and axe in all themes.
func TestWebExportImport(t *testing.T) {
	webtest.ChromePath(t)
	webtest.AxeSource(t)
	const hcKey = "project-api-key-rw"
	hc := fakeHealthchecks(t, hcKey)
	d := startDaemon(t, "", "--import-hc-servers", hc.URL)
	u := d.newUser()
	const pass = "correct horse battery staple"
	const hook = "https://hooks.example.com/secret-path-1234"
	cron := d.createCheck(u.AuthKey, map[string]any{"name": "nightly", "slug": "nightly", "tags": []string{"db"},
		"schedule_type": "cron", "schedule": "15 5 * * *", "tz": "Europe/Riga", "grace_seconds": 600})
	def := d.createCheck(u.AuthKey, map[string]any{"name": "default slug", "interval_seconds": 300})
	if code := d.api(u.AuthKey, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", cron.ID), map[string]any{"webhook_url": hook}, nil); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	if code := d.api(u.AuthKey, "POST", "/api/v1/status-pages", map[string]any{"slug": "team", "name": "Team jobs",
		"description": "Nightly work.", "layout": "grid", "checks": []int64{def.ID, cron.ID}}, nil); code != 201 {
		t.Fatalf("create a status page: %d", code)
	}
	original := allChecks(t, d, u.AuthKey)
	origPages := statusPagesOf(t, d, u.AuthKey)

	b := webtest.NewBrowser(t)
	signIn(t, b, d.URL, u.AuthKey)
	b.Navigate(t, d.URL+"/account")
	pageCheck(t, b, "account page with export and import")

	// Export with the settings sealed: the browser downloads the file and stays on the page.
	dir := t.TempDir()
	b.Do(t, allowDownloads(dir))
	b.Do(t, chromedp.Click(chromedp.CSS("#export-secrets"), chromedp.NodeVisible), sendKeys("#export-pass", pass), sendKeys("#export-pass2", pass),
		chromedp.Click(chromedp.CSS(`form[action="/account/export"] button`), chromedp.NodeVisible))
	file := waitDownload(t, dir)
	if !strings.HasPrefix(filepath.Base(file), "ttr-export-"+u.UserSlug+"-") {
		t.Errorf("download named %s", filepath.Base(file))
	}
	doc, _ := os.ReadFile(file)
	if strings.Contains(string(doc), "hooks.example.com") {
		t.Fatal("the export holds the webhook URL in plaintext")
	}
	if got := openSettings(t, doc, pass); !strings.Contains(got["nightly/webhook"], hook) {
		t.Fatalf("the download's sealed settings: %v", got)
	}
	b.NoProblems(t, "export")

	// Wipe, then import the file: the dry run first, nothing changed by it.
	wipe(t, d, u.AuthKey)
	b.Navigate(t, d.URL+"/account")
	b.Do(t, chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}), sendKeys("#import-pass", pass))
	b.Submit(t, `form[action="/account/import"] button`)
	if h := b.Text(t, "h1"); h != "Import preview" {
		t.Fatalf("after the upload: %q\n%s", h, b.HTML(t))
	}
	if got := b.Text(t, "#import-checks tbody"); strings.Count(got, "would be created") != 2 {
		t.Fatalf("the preview's checks: %q", got)
	}
	if got := b.Text(t, "#import-pages tbody"); !strings.Contains(got, "team") || !strings.Contains(got, "would be created") {
		t.Fatalf("the preview's status pages: %q", got)
	}
	if n, p := len(allChecks(t, d, u.AuthKey)), len(statusPagesOf(t, d, u.AuthKey)); n != 0 || p != 0 {
		t.Fatalf("the preview created %d checks and %d status pages", n, p)
	}
	pageCheck(t, b, "import preview")

	// Confirm: the checks are back, equal except ids and UUIDs, with their settings.
	b.Submit(t, "#confirm-import")
	if h := b.Text(t, "h1"); h != "Import done" {
		t.Fatalf("after the confirmation: %q", h)
	}
	if got := b.Text(t, "#import-checks tbody"); strings.Count(got, "created") != 2 {
		t.Fatalf("the import's checks: %q", got)
	}
	if got := b.Text(t, "#import-pages tbody"); !strings.Contains(got, "team") || !strings.Contains(got, "created") {
		t.Fatalf("the import's status pages: %q", got)
	}
	pageCheck(t, b, "import done")
	restored := allChecks(t, d, u.AuthKey)
	sameChecks(t, "after the browser's import", original, restored)
	samePages(t, "after the browser's import", origPages, statusPagesOf(t, d, u.AuthKey))
	_, again := transferCall(t, d, u.AuthKey, "GET", "/api/v1/checks/export?secrets=1", "", nil, map[string]string{"X-Passphrase": pass})
	if got := openSettings(t, again, pass); !strings.Contains(got["nightly/webhook"], hook) {
		t.Fatalf("the webhook after the import: %v", got)
	}

	// From healthchecks: the preview, then the import keeps the project's UUIDs.
	b.Navigate(t, d.URL+"/account")
	b.Do(t, clearAndType("#hc-url", hc.URL), sendKeys("#hc-key", hcKey))
	b.Submit(t, `form[action="/account/import/healthchecks"] button`)
	if h := b.Text(t, "h1"); h != "Import preview" {
		t.Fatalf("after the healthchecks form: %q\n%s", h, b.Text(t, "main"))
	}
	if strings.Contains(b.HTML(t), hcKey) {
		t.Fatal("the preview shows the project's API key")
	}
	if got := b.Text(t, "main"); !strings.Contains(got, "My Work Email") || strings.Count(got, "would be created") != 2 {
		t.Fatalf("the healthchecks preview: %q", got)
	}
	pageCheck(t, b, "healthchecks preview")
	b.Submit(t, "#confirm-import")
	if h := b.Text(t, "h1"); h != "Import done" {
		t.Fatalf("after the healthchecks confirmation: %q", h)
	}
	got := allChecks(t, d, u.AuthKey)
	if fs := got["filesystem-backup"]; fs == nil || fs["uuid"] != "31365bce-8da9-4729-8ff3-aaa71d56b712" {
		t.Fatalf("the healthchecks check: %v", fs)
	}
	b.NoProblems(t, "healthchecks import")
}
