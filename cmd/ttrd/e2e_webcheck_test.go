package main_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http/web/webtest"
)

// TestWebCheckPages opens a check's page and its integrations in a real browser against a
// real ttrd: a hostile name renders as text, the ping log shows the pings sent, the run chart
// is drawn, the badge turns on with its snippets, a webhook to a local receiver is saved and
// "Send test now" shows it delivered — with no CSP violation and no serious or critical axe
// finding in any theme × mode on each page.
func TestWebCheckPages(t *testing.T) {
	webtest.ChromePath(t)
	webtest.AxeSource(t)
	d := startDaemon(t, "")
	u := d.newUser()
	const hostile = `<img src=x onerror=alert(1)>`
	c := d.createCheck(u.AuthKey, map[string]any{"name": hostile, "slug": "nightly", "interval_seconds": 3600})
	for _, p := range []struct{ method, path, body string }{
		{"GET", "/start?rid=6f1c2a4e-8d3b-4c7a-9e2f-1a2b3c4d5e6f", ""},
		{"POST", "?rid=6f1c2a4e-8d3b-4c7a-9e2f-1a2b3c4d5e6f", "backup done: 42 files <b>ok</b>"},
		{"GET", "/start", ""},
		{"GET", "/1", ""},
	} {
		if code, body, _ := d.ping(p.method, "/p/"+u.UserSlug+"/nightly"+p.path, p.body); code != 200 {
			t.Fatalf("ping %s: %d %s", p.path, code, body)
		}
		time.Sleep(20 * time.Millisecond) // distinct times, so runs have lengths
	}

	b := webtest.NewBrowser(t)
	signIn(t, b, d.URL, u.AuthKey)
	page := d.URL + "/checks/" + strconv.FormatInt(c.ID, 10)
	b.Navigate(t, page)
	if got := b.Text(t, "h1"); got != hostile {
		t.Fatalf("heading %q, want the name as text", got)
	}
	if ok, err := tryEval(b, `document.querySelector('main img[src="x"]') === null && document.querySelectorAll("table.log tbody tr").length === 4 && document.querySelector("svg.runchart rect.bar.fail") !== null`); err != nil || !ok {
		t.Fatalf("check page: no hostile element, four pings and a failed run expected (%v)", err)
	}
	if got := b.Text(t, "table.log tbody tr:nth-child(3) td.body"); !strings.Contains(got, "backup done: 42 files <b>ok</b>") {
		t.Errorf("body preview %q", got)
	}
	pageCheck(t, b, "check page")

	// The badge: on, with its snippets, and the page still clean.
	b.Submit(t, `#badge button[value="enable"]`)
	if md := b.Text(t, "#badge-md"); !strings.HasPrefix(md, `![\<img src=x onerror=alert(1)\> status](`+d.URL+"/b/c/") {
		t.Errorf("badge Markdown %q", md)
	}
	pageCheck(t, b, "check page with its badge")

	// Integrations: a webhook to a local receiver, tested now.
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(body))
		mu.Unlock()
	}))
	defer recv.Close()
	b.Navigate(t, page+"/integrations")
	pageCheck(t, b, "integrations page")
	b.Do(t, sendKeys("#webhook_url", recv.URL+"/hook"))
	b.Submit(t, `#ch-webhook button[value="save"]`)
	if n := b.Text(t, "p.notice"); n != "Settings saved." {
		t.Fatalf("after saving the webhook: notice %q", n)
	}
	if strings.Contains(b.HTML(t), recv.URL) {
		t.Error("the saved webhook URL is shown on the page")
	}
	b.Submit(t, `#ch-webhook button[value="test"]`)
	if out := b.Text(t, "#ch-webhook p.outcome"); !strings.HasPrefix(out, "Test: Delivered.") {
		t.Fatalf("test send outcome %q", out)
	}
	mu.Lock()
	n := len(got)
	first := ""
	if n > 0 {
		first = got[0]
	}
	mu.Unlock()
	if n != 1 || !strings.Contains(first, `"check_id":`+strconv.FormatInt(c.ID, 10)) {
		t.Fatalf("the receiver got %d posts: %q", n, first)
	}
	pageCheck(t, b, "integrations page after a test")
}
