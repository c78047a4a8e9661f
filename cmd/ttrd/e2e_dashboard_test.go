package main_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ttr-rip/ttr/http/web/webtest"
)

// xssName is a check name that would run script if a page put it in HTML unescaped.
const xssName = `<img src=x onerror=alert(1)>`

// TestWebDashboardJourney walks a new user's day in a real browser against a real ttrd: get a
// key → create a cron check in Europe/Berlin and see its next due times as it is typed →
// create a check every 2 s with 1 s of grace (named like an HTML tag) → ping both with an
// HTTP client → the rows change without a reload → the second check goes down and the title
// says "1 down" → pause and resume it → edit the first (its slug kept; a concurrent edit is
// reported, not overwritten) → follow its link to the integrations page, set a webhook to a
// local receiver there and send a test alert. Every page is checked for CSP violations and
// accessibility in all twelve theme × mode combinations.
func TestWebDashboardJourney(t *testing.T) {
	webtest.ChromePath(t)
	webtest.AxeSource(t)
	d := startDaemon(t, "")
	rcv := newReceiver(t)
	b := webtest.NewBrowser(t)

	// Get a key: the dashboard is empty and says how to start.
	b.Navigate(t, d.URL+"/")
	b.Submit(t, `form[action="/signup"] button`)
	key := b.Text(t, "#access-key")
	var me struct {
		Slug string `json:"user_slug"`
	}
	if code := d.api(key, "GET", "/api/v1/user/me", nil, &me); code != 200 {
		t.Fatalf("me: %d", code)
	}
	b.Navigate(t, d.URL+"/dashboard")
	if got := b.Text(t, "#empty h2"); got != "No checks yet" {
		t.Fatalf("empty dashboard says %q", got)
	}
	if got := b.Text(t, "#crontab"); !strings.Contains(got, d.URL+"/p/"+me.Slug+"/my-job") {
		t.Fatalf("crontab line %q", got)
	}
	pageCheck(t, b, "empty dashboard")

	// A cron check in Europe/Berlin: the preview follows the typing.
	b.Navigate(t, d.URL+"/checks/new")
	b.Do(t, clearAndType("#f-name", "Nightly backup"), clearAndType("#f-slug", "backup"),
		chromedp.Click(chromedp.CSS(`input[name="schedule_type"][value="cron"]`), chromedp.NodeVisible),
		clearAndType("#f-cron", "0 3 * * *"), clearAndType("#f-tz", "Europe/Berlin"))
	waitUntilB(t, b, `(() => { const li = [...document.querySelectorAll("#preview li")];
		return li.length === 5 && li.every((l) => /03:00:00(\+0[12]:00)? \(Europe\/Berlin\)$/.test(l.textContent)) })()`)
	waitUntilB(t, b, `document.getElementById("slug-status").textContent === "slug is available"`)
	pageCheck(t, b, "new check form with a preview")
	b.Submit(t, `#checkform button.primary`)
	if loc := b.Location(t); !strings.HasSuffix(loc, "/dashboard?done=created") {
		t.Fatalf("after creating: %s", loc)
	}

	// A check every 2 s with 1 s of grace, named like an HTML tag.
	b.Navigate(t, d.URL+"/checks/new")
	b.Do(t, clearAndType("#f-name", xssName), clearAndType("#f-slug", "fast"),
		clearAndType("#f-interval", "2"), setSelect("#f-interval-unit", "seconds"),
		clearAndType("#f-grace", "1"), setSelect("#f-grace-unit", "seconds"))
	waitUntilB(t, b, `document.querySelectorAll("#preview li").length === 5`)
	b.Submit(t, `#checkform button.primary`)
	var list struct {
		Items []checkJSON `json:"items"`
	}
	if code := d.api(key, "GET", "/api/v1/checks?sort_by=name", nil, &list); code != 200 || len(list.Items) != 2 {
		t.Fatalf("checks after two creations: %d %+v", code, list.Items)
	}
	fast, backup := list.Items[0], list.Items[1] // "<img …" sorts before "Nightly …"
	if fast.Slug != "fast" || backup.Slug != "backup" {
		t.Fatalf("created %+v", list.Items)
	}
	row := func(c checkJSON) string { return fmt.Sprintf("#c%d", c.ID) }
	if got := b.Text(t, row(fast)+" td.name a"); got != xssName {
		t.Fatalf("the check named like a tag shows %q", got)
	}
	waitUntilB(t, b, `document.querySelectorAll("#rows img").length === 0`)
	pageCheck(t, b, "dashboard with two new checks")

	// Pings from an HTTP client show up without a reload.
	webtest.Run(t, b, chromedp.Evaluate[bool](`(window.__sameDocument = true)`))
	for _, slug := range []string{"backup", "fast"} {
		if code, _, _ := d.ping("POST", "/p/"+me.Slug+"/"+slug, ""); code != 200 {
			t.Fatalf("ping %s: %d", slug, code)
		}
	}
	waitUntilB(t, b, fmt.Sprintf(`window.__sameDocument === true && document.querySelector("%s .strip i") !== null && document.querySelector("%s .strip i") !== null`, row(fast), row(backup)))
	// No more pings for the fast one: it goes down, the title and favicon say so.
	waitUntilB(t, b, fmt.Sprintf(`window.__sameDocument === true && document.title.startsWith("1 down") &&
		document.querySelector("%s").classList.contains("s-down") && document.querySelector('link[rel="icon"]').href.includes("favicon-down")`, row(fast)))
	pageCheck(t, b, "dashboard with a check down")

	// Pause and resume from the row.
	b.Submit(t, row(fast)+` form[action$="/pause"] button`)
	if got := b.Text(t, row(fast)+" .st"); !strings.Contains(got, "paused") {
		t.Fatalf("after pausing: %q", got)
	}
	if title := b.Text(t, "title"); strings.Contains(title, "down") {
		t.Errorf("title while nothing is down: %q", title)
	}
	b.Submit(t, row(fast)+` form[action$="/resume"] button`)
	if got := b.Text(t, row(fast)+" .st"); strings.Contains(got, "paused") {
		t.Fatalf("after resuming: %q", got)
	}

	// Edit, with a concurrent change made through the API meanwhile: reported, not
	// overwritten.
	edit := fmt.Sprintf("%s/checks/%d/edit", d.URL, backup.ID)
	b.Navigate(t, edit)
	pageCheck(t, b, "edit form")
	b.Do(t, clearAndType("#f-name", "Nightly backup (db)"))
	if code := d.api(key, "PATCH", fmt.Sprintf("/api/v1/checks/%d", backup.ID), map[string]any{"desc": "changed elsewhere"}, nil); code != 200 {
		t.Fatalf("concurrent API edit: %d", code)
	}
	b.Submit(t, `#checkform button.primary`)
	if got := b.Text(t, "p.alert"); !strings.Contains(got, "changed elsewhere") {
		t.Fatalf("concurrent edit: alert %q", got)
	}
	pageCheck(t, b, "edit form after a concurrent change")
	var got struct {
		Name, Slug, Desc string
	}
	if code := d.api(key, "GET", fmt.Sprintf("/api/v1/checks/%d", backup.ID), nil, &got); code != 200 || got.Name != "Nightly backup" || got.Desc != "changed elsewhere" {
		t.Fatalf("after the refused edit: %d %+v", code, got)
	}
	b.Navigate(t, edit)
	b.Do(t, clearAndType("#f-name", "Nightly backup (db)"))
	b.Submit(t, `#checkform button.primary`)
	if loc := b.Location(t); !strings.HasSuffix(loc, "/dashboard?done=saved") {
		t.Fatalf("after saving: %s", loc)
	}
	if code := d.api(key, "GET", fmt.Sprintf("/api/v1/checks/%d", backup.ID), nil, &got); code != 200 ||
		got.Name != "Nightly backup (db)" || got.Slug != "backup" || got.Desc != "changed elsewhere" {
		t.Fatalf("after the edit: %d %+v", code, got)
	}

	// A webhook to a local receiver, set on the integrations page the edit form links to;
	// the test alert sent from there is delivered.
	b.Navigate(t, edit)
	b.Submit(t, `#alerts a[href$="/integrations"]`)
	if loc := b.Location(t); !strings.HasSuffix(loc, fmt.Sprintf("/checks/%d/integrations", backup.ID)) {
		t.Fatalf("the edit form's integrations link led to %s", loc)
	}
	b.Do(t, clearAndType("#webhook_url", rcv.URL+"/hook"))
	b.Submit(t, `#ch-webhook button[value="save"]`)
	if got := b.Text(t, "p.notice"); got != "Settings saved." {
		t.Fatalf("saving the webhook: notice %q (alert %q)", got, b.Text(t, "main"))
	}
	b.Submit(t, `#ch-webhook button[value="test"]`)
	if got := b.Text(t, "#ch-webhook p.outcome"); !strings.HasPrefix(got, "Test: Delivered.") {
		t.Fatalf("test alert: outcome %q", got)
	}
	select {
	case <-rcv.arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the receiver got no test alert")
	}
	if dl := rcv.deliveries(); len(dl) != 1 || !strings.HasPrefix(dl[0].Key, "test:") {
		t.Fatalf("deliveries %+v", dl)
	}
	pageCheck(t, b, "integrations page after a test alert")
	b.Navigate(t, edit)
	if got := b.Text(t, "#alerts"); !strings.Contains(got, "webhook") {
		t.Fatalf("the edit form's alerts section after the webhook was set: %q", got)
	}

	// Delete the fast check after confirming.
	b.Navigate(t, fmt.Sprintf("%s/checks/%d/delete", d.URL, fast.ID))
	pageCheck(t, b, "delete confirmation")
	b.Submit(t, `form[action$="/delete"] button`)
	if code := d.api(key, "GET", fmt.Sprintf("/api/v1/checks/%d", fast.ID), nil, nil); code != 404 {
		t.Fatalf("deleted check: %d", code)
	}
}
