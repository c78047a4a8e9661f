package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/web"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// noActors is the edge's Checks without check actors: creating a check needs none; every
// change to an existing one is refused (the browser tests in cmd/ttrd cover those).
type noActors struct{}

var errNoActors = &messages.Error{Code: messages.EUnavailable, Message: "no check actors in this test"}

func (noActors) Ping(context.Context, int64, *messages.Ping) (string, error) { return "", errNoActors }
func (noActors) Edit(context.Context, int64, *messages.CheckEdit) error      { return errNoActors }
func (noActors) Pause(context.Context, int64, int64, []int64) error          { return errNoActors }
func (noActors) Resume(context.Context, int64, int64, []int64) error         { return errNoActors }
func (noActors) TogglePause(context.Context, int64, int64, []int64) error    { return errNoActors }
func (noActors) Delete(context.Context, int64, int64, []int64) error         { return errNoActors }
func (noActors) SetChannel(context.Context, int64, int64, messages.ChannelKind, bool, []byte, bool) error {
	return errNoActors
}
func (noActors) Created(int64) {}

var _ ttrhttp.Checks = noActors{}

// dashEnv is the edge with the web UI on the real embedded store and one signed-in browser.
type dashEnv struct {
	h       http.Handler
	st      *sqlite.Store
	user    messages.User
	cookies []*http.Cookie
	csrf    string
}

func newDashEnv(tb testing.TB) *dashEnv {
	tb.Helper()
	st, ring, sessions, accounts := newWebParts(tb)
	pages, err := web.New(web.Config{PublicURL: "http://127.0.0.1:8080"}, web.Deps{Sessions: sessions, Accounts: accounts})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := ttrhttp.DefaultConfig()
	e := &dashEnv{st: st, h: ttrhttp.NewServer(cfg, ttrhttp.Deps{Store: st, Ring: ring, Checks: noActors{}, Sessions: sessions, Accounts: accounts, Pages: pages}).Handler()}
	// Get a key in the browser: the session and CSRF cookies.
	rec := e.do(tb, "GET", "/", "", nil)
	e.cookies = rec.Result().Cookies()
	e.csrf = csrfOf(tb, rec.Body.String())
	rec = e.do(tb, "POST", "/signup", "csrf="+url.QueryEscape(e.csrf), nil)
	if rec.Code != 200 {
		tb.Fatalf("get a key: %d", rec.Code)
	}
	e.cookies = mergeCookies(e.cookies, rec.Result().Cookies())
	rec = e.do(tb, "GET", "/api/v1/user/me", "", nil)
	var me struct {
		Slug string `json:"user_slug"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &me); err != nil {
		tb.Fatalf("me: %d %s", rec.Code, rec.Body)
	}
	if e.user, err = st.UserBySlug(context.Background(), me.Slug); err != nil {
		tb.Fatal(err)
	}
	rec = e.do(tb, "GET", "/dashboard", "", nil)
	e.cookies = mergeCookies(e.cookies, rec.Result().Cookies())
	e.csrf = csrfOf(tb, rec.Body.String())
	return e
}

func mergeCookies(have, set []*http.Cookie) []*http.Cookie {
	out := []*http.Cookie{}
	for _, c := range have {
		keep := true
		for _, n := range set {
			keep = keep && n.Name != c.Name
		}
		if keep {
			out = append(out, c)
		}
	}
	return append(out, set...)
}

var csrfMetaRE = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func csrfOf(tb testing.TB, page string) string {
	tb.Helper()
	m := csrfMetaRE.FindStringSubmatch(page)
	if m == nil {
		tb.Fatal("no CSRF token on the page")
	}
	return m[1]
}

// do sends a request as the browser: body, when set, is a form.
func (e *dashEnv) do(tb testing.TB, method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return e.send(req)
}

// send serves r as the browser.
func (e *dashEnv) send(r *http.Request) *httptest.ResponseRecorder {
	for _, c := range e.cookies {
		r.AddCookie(c)
	}
	return serve(e.h, r)
}

// seed makes n checks of the user, every fifth down and every seventh paused, each with a
// webhook and pings pings (a few failed).
func (e *dashEnv) seed(tb testing.TB, n, pings int) {
	tb.Helper()
	now := time.Now()
	checks := make([]messages.Check, n)
	for i := range n {
		checks[i] = storetest.NewCheck(tb, e.st, e.user.ID, func(c *messages.Check) {
			c.Name = fmt.Sprintf("nightly backup of database server %03d", i)
			c.Slug = fmt.Sprintf("backup-db-%03d", i)
			c.Tags = []string{"prod", "db"}
			c.IntervalSeconds, c.GraceSeconds = 300, 60
		})
	}
	// Ping k of every check in one batch (a batch holds one write per check).
	for k := 1; k <= pings; k++ {
		writes := make([]persistence.Write, 0, n)
		for i := range checks {
			c := &checks[i]
			st := c.CheckState
			st.NPings = int64(k)
			st.Status = messages.StatusUp
			st.LastPing = storetest.Ms(now.Add(time.Duration(k-pings) * time.Minute))
			st.LastDuration = 1500 * time.Millisecond
			st.NextDue = storetest.Ms(st.LastPing.Add(5 * time.Minute))
			st.NextDeadline = storetest.Ms(st.NextDue.Add(time.Minute))
			switch {
			case i%5 == 0 && k == pings:
				st.Status = messages.StatusDown
			case i%7 == 0 && k == pings:
				st.Status = messages.StatusPaused
			}
			kind := messages.KindSuccess
			if k%9 == 0 {
				kind = messages.KindFail
			} else if k%4 == 0 {
				kind = messages.KindStart
			}
			w := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: st,
				Ping: &messages.PingRecord{CheckID: c.ID, N: int64(k), At: st.LastPing, Kind: kind, ExitStatus: -1,
					Method: "POST", RemoteIP: "192.0.2.1", RequestID: fmt.Sprintf("r-%d-%d", c.ID, k)}}
			if k == 1 {
				w.Channel = &messages.Channel{CheckID: c.ID, UserID: e.user.ID, Name: messages.ChannelWebhook, Enabled: true, ConfigEnc: []byte{1}}
			}
			writes = append(writes, w)
			c.Version++
			c.CheckState = st
		}
		out, err := e.st.Commit(context.Background(), writes)
		if err != nil {
			tb.Fatalf("seed pings: %v", err)
		}
		for _, o := range out {
			if o.Kind != persistence.OutcomeCommitted {
				tb.Fatalf("seed pings: %+v", o)
			}
		}
	}
}

func TestDashboardEmptyState(t *testing.T) {
	e := newDashEnv(t)
	rec := e.do(t, "GET", "/dashboard", "", nil)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "No checks yet") || !strings.Contains(body, `href="/checks/new"`) ||
		!strings.Contains(body, "curl -fsS -m 10 --retry 5 -o /dev/null http://127.0.0.1:8080/p/"+e.user.Slug+"/my-job") {
		t.Fatalf("empty dashboard: %d\n%s", rec.Code, body)
	}
}

func TestDashboardRows(t *testing.T) {
	e := newDashEnv(t)
	e.seed(t, 6, 3) // 0 and 5 down
	storetest.NewCheck(t, e.st, e.user.ID, func(c *messages.Check) { c.Name, c.Slug = `<img src=x onerror=alert(1)>`, "xss" })
	// A slug the API would refuse, as if stored by an older version: the rows' actions,
	// written in Go, escape it like the template does.
	storetest.NewCheck(t, e.st, e.user.ID, func(c *messages.Check) { c.Name, c.Slug = "quoted", `q"><b>x</b>` })
	rec := e.do(t, "GET", "/dashboard", "", nil)
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("dashboard: %d %s", rec.Code, body)
	}
	escaped := "&lt;img src=x onerror=alert(1)&gt;"
	if inlineRE.MatchString(strings.ReplaceAll(body, escaped, "")) || strings.Contains(body, "<img src=x") || !strings.Contains(body, escaped) {
		t.Fatal("the check named <img …> is not rendered as text")
	}
	if strings.Contains(body, "<b>x</b>") || !strings.Contains(body, `<button type="submit">Pause<span class="vh"> q&#34;&gt;&lt;b&gt;x&lt;/b&gt;</span></button>`) {
		t.Fatal("the slug q\"><b>… is not rendered as text in the row's actions")
	}
	// Two checks down: the title says so and the favicon is the red one; the
	// failing ones come first.
	if !strings.Contains(body, "<title>2 down · Dashboard · ttr</title>") || !regexp.MustCompile(`rel="icon"[^>]*href="/static/favicon-down\.`).MatchString(body) {
		t.Fatalf("title or favicon of a dashboard with checks down:\n%s", body[:800])
	}
	rows := regexp.MustCompile(`<tr id="c(\d+)" data-sig="[^"]+" class="s-(\w+)"`).FindAllStringSubmatch(body, -1)
	var statuses []string
	for _, r := range rows {
		statuses = append(statuses, r[2])
	}
	if got := strings.Join(statuses, " "); got != "down down up up up up new new" {
		t.Errorf("row order by status: %s", got)
	}
	for _, want := range []string{`every 5 min`, `grace 1 min`, `data-countdown`, `class="strip" role="img" aria-label="Last 3 pings: 3 success"`, `class="ch ch-none"`, `took 1.5 s`} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	// Filters: a name search and a status.
	rec = e.do(t, "GET", "/dashboard?q=IMG&status=new", "", nil)
	if n := strings.Count(rec.Body.String(), `<tr id="c`); rec.Code != 200 || n != 1 {
		t.Errorf("search and status filter: %d, %d rows", rec.Code, n)
	}
	rec = e.do(t, "GET", "/dashboard?status=sideways", "", nil)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "status must be one of") {
		t.Errorf("a bad filter: %d", rec.Code)
	}
}

func TestCheckFormCreate(t *testing.T) {
	e := newDashEnv(t)
	rec := e.do(t, "GET", "/checks/new", "", nil)
	if rec.Code != 200 || inlineRE.MatchString(rec.Body.String()) || !strings.Contains(rec.Body.String(), "<li>") {
		t.Fatalf("new check form: %d (with a preview of the default schedule)", rec.Code)
	}
	form := url.Values{"csrf": {e.csrf}, "name": {"Backup"}, "slug": {"backup"}, "schedule_type": {"cron"},
		"cron": {"0 3 * * *"}, "tz": {"Europe/Berlin"}, "interval": {"1"}, "interval_unit": {"days"},
		"grace": {"30"}, "grace_unit": {"minutes"}, "max_runtime": {"0"}, "max_runtime_unit": {"minutes"},
		"realert": {"0"}, "realert_unit": {"hours"}, "notify_after_failures": {"2"}, "notify_on_up": {"on"},
		"content_type": {"absent"}, "content_pattern": {"ERROR"}, "methods": {"POST"}, "success_kw": {"ok"},
		"badge_enabled": {"on"}, "tags": {"prod nightly"}}
	// Preview without JavaScript: the form comes back with the due times in Berlin.
	pv := cloneForm(form)
	pv.Set("preview", "1")
	rec = e.do(t, "POST", "/checks/new", pv.Encode(), nil)
	if rec.Code != 200 || !regexp.MustCompile(`<li>\w{3} \d{4}-\d\d-\d\d 03:00:00 (\+|&.{3};)0[12]:00</li>`).MatchString(rec.Body.String()) {
		t.Fatalf("preview: %d\n%s", rec.Code, rec.Body)
	}
	// A refused field is shown next to it, the values kept.
	bad := cloneForm(form)
	bad.Set("cron", "61 * * * *")
	rec = e.do(t, "POST", "/checks/new", bad.Encode(), nil)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `<span class="ferr" id="e-schedule">schedule:`) || !strings.Contains(rec.Body.String(), `value="61 * * * *"`) {
		t.Fatalf("bad cron: %d\n%s", rec.Code, rec.Body)
	}
	rec = e.do(t, "POST", "/checks/new", form.Encode(), nil)
	if rec.Code != 303 || rec.Header().Get("Location") != "/dashboard?done=created" {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	rows, err := e.st.ListChecks(context.Background(), e.user.ID, persistence.ListQuery{Limit: 10})
	if err != nil || len(rows) != 1 {
		t.Fatalf("stored: %v %v", rows, err)
	}
	c := rows[0]
	if c.Slug != "backup" || c.ScheduleType != messages.ScheduleCron || c.Schedule != "0 3 * * *" || c.TZ != "Europe/Berlin" || c.GraceSeconds != 1800 ||
		c.NotifyAfterFailures != 2 || c.ContentRule == nil || c.ContentRule.Type != "absent" || c.Methods != "POST" ||
		c.SuccessKw != "ok" || c.BadgeID == "" || strings.Join(c.Tags, " ") != "prod nightly" {
		t.Fatalf("stored check: %+v", c)
	}
	// The same slug again: refused next to the slug field.
	rec = e.do(t, "POST", "/checks/new", form.Encode(), nil)
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), `id="e-slug"`) {
		t.Fatalf("taken slug: %d", rec.Code)
	}
	// Without the CSRF token: refused.
	noTok := cloneForm(form)
	noTok.Del("csrf")
	if rec = e.do(t, "POST", "/checks/new", noTok.Encode(), nil); rec.Code != 403 {
		t.Fatalf("no token: %d", rec.Code)
	}
	// The edit form shows it; another user's check, an unknown one: 404.
	rec = e.do(t, "GET", fmt.Sprintf("/checks/%d/edit", c.ID), "", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `name="config_version" value="1"`) || !strings.Contains(rec.Body.String(), `value="Europe/Berlin"`) {
		t.Fatalf("edit form: %d", rec.Code)
	}
	// Integrations are edited in one place: the edit form links to it and has no channel form.
	if body := rec.Body.String(); !strings.Contains(body, fmt.Sprintf(`href="/checks/%d/integrations"`, c.ID)) ||
		strings.Contains(body, "webhook_url") || !strings.Contains(body, "alerts go nowhere yet") {
		t.Fatalf("edit form's alerts section:\n%s", body)
	}
	for _, p := range []string{"/webhook", "/webhook/test"} {
		if rec := e.do(t, "POST", fmt.Sprintf("/checks/%d%s", c.ID, p), url.Values{"csrf": {e.csrf}}.Encode(), nil); rec.Code != 404 {
			t.Errorf("POST %s: %d, want 404 (the integrations page sets and tests channels)", p, rec.Code)
		}
	}
	other := storetest.NewCheck(t, e.st, storetest.NewUser(t, e.st).ID)
	for _, p := range []string{fmt.Sprintf("/checks/%d/edit", other.ID), "/checks/999999/edit", "/checks/01/edit", "/checks/x"} {
		if rec = e.do(t, "GET", p, "", nil); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// pageWeight is the bytes of the dashboard's HTML and the CSS and JavaScript it loads.
func pageWeight(tb testing.TB, e *dashEnv, path string) (html, assets int) {
	tb.Helper()
	rec := e.do(tb, "GET", path, "", nil)
	if rec.Code != 200 {
		tb.Fatalf("%s: %d", path, rec.Code)
	}
	html = rec.Body.Len()
	for _, m := range assetRE.FindAllStringSubmatch(rec.Body.String(), -1) {
		if strings.Contains(m[1], "favicon") {
			continue
		}
		a := e.do(tb, "GET", m[1], "", nil)
		assets += a.Body.Len()
	}
	return html, assets
}

// TestDashboardPageWeight: a page of 25 checks (every one with a full strip of 20 pings,
// tags, a webhook) weighs at most 100 KB of HTML, CSS and JavaScript, uncompressed.
func TestDashboardPageWeight(t *testing.T) {
	e := newDashEnv(t)
	e.seed(t, 30, 20)
	html, assets := pageWeight(t, e, "/dashboard")
	if n := strings.Count(e.do(t, "GET", "/dashboard", "", nil).Body.String(), `<tr id="c`); n != 25 {
		t.Fatalf("%d rows, want 25", n)
	}
	total := html + assets
	t.Logf("25-row dashboard: HTML %d B + CSS and JS %d B = %d B", html, assets, total)
	if total > 100_000 {
		t.Fatalf("25-row dashboard weighs %d bytes (HTML %d, CSS+JS %d), over 100 KB", total, html, assets)
	}
}

// TestAnswersInProcess: the pages take the API's answers they render (the aggregate, a check,
// its logs, a channel's rate and test send, the badge key, the schedule preview) as the API's
// Go values in-process; each is the answer a script reads, byte for byte once encoded, with
// the same status and ETag, through the same handler.
func TestAnswersInProcess(t *testing.T) {
	e := newDashEnv(t)
	e.seed(t, 12, 21)
	// One check's webhook has a delivery outcome (status, message, time).
	ctx := context.Background()
	first, err := e.st.ListChecks(ctx, e.user.ID, persistence.ListQuery{Limit: 1})
	if err != nil || len(first) != 1 {
		t.Fatal(err)
	}
	rows := []messages.OutboxRow{{UserID: e.user.ID, CheckID: first[0].ID, Kind: messages.AlertDown, Channel: messages.ChannelWebhook,
		DestHash: "d", Payload: []byte("{}"), IdempotencyKey: "k", Status: messages.OutboxPending, CreatedAt: time.Now()}}
	if err := e.st.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.st.ClaimOutbox(ctx, rows[0].ID, "n1", time.Now(), time.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := e.st.FinishOutbox(ctx, persistence.OutboxResult{ID: rows[0].ID, Node: "n1", Status: messages.OutboxFailed,
		Attempts: 1, ChannelStatus: messages.DeliveryError, ChannelMessage: "HTTP 500", At: storetest.Ms(time.Now())}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	agg, rec := valueInProcess[ttrhttp.Aggregate](t, e.send, "", "GET", "/api/v1/checks/aggregate?size=10&sort_by=id", "")
	if len(agg.Checks.Items) != 10 || len(agg.Checks.Items[0].RecentPings) != 20 || agg.Checks.Items[0].Channels["webhook"].LastNotificationMessage == nil {
		t.Fatalf("value: %d items, first %+v", len(agg.Checks.Items), agg.Checks.Items[0])
	}
	sameJSON(t, agg, rec)
	c, rec := valueInProcess[ttrhttp.CheckJSON](t, e.send, "", "GET", "/api/v1/checks/"+strconv.FormatInt(first[0].ID, 10), "")
	if c.ID != first[0].ID || c.Channels["webhook"].LastNotificationTimestamp.Time().IsZero() {
		t.Fatalf("value: %+v", c)
	}
	sameJSON(t, c, rec)
	// An error is written as JSON, as for anyone.
	for _, target := range []string{"/api/v1/checks/aggregate?size=0", "/api/v1/checks/999999"} {
		req := httptest.NewRequest("GET", target, nil)
		req = req.WithContext(ttrhttp.WithAnswerSink(req.Context(), func(any) bool { t.Error("an error handed as a value"); return true }))
		if rec := e.send(req); rec.Code < 400 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
	}

	// The check page's logs, a channel's rate and test send, the badge key and the schedule
	// preview, on an edge with notifiers: a check with pings and a flip, a webhook and a
	// queued test alert.
	ce := newCheckEdge(t)
	b := ce.signIn(t)
	chk := ce.newCheck(t, b.user.ID, "nightly")
	base := "/api/v1/checks/" + strconv.FormatInt(chk.ID, 10)
	page := "/checks/" + strconv.FormatInt(chk.ID, 10) + "/integrations"
	b.get(page)
	for _, action := range []url.Values{{"action": {"save"}, "webhook_url": {"https://hooks.example.com/x"}}, {"action": {"test-queue"}}} {
		action.Set("channel", "webhook")
		if rec := b.post(page, action); rec.Code != http.StatusSeeOther {
			t.Fatalf("%v: %d %s", action, rec.Code, rec.Body)
		}
	}
	pings, rec := valueInProcess[ttrhttp.PingLogJSON](t, b.send, b.csrf, "GET", base+"/pings", "")
	if len(pings.Pings) != 4 || pings.Pings[2].BodyURL == nil {
		t.Fatalf("pings: %+v", pings)
	}
	sameJSON(t, pings, rec)
	flips, rec := valueInProcess[ttrhttp.FlipLogJSON](t, b.send, b.csrf, "GET", base+"/flips", "")
	if len(flips.Flips) != 1 {
		t.Fatalf("flips: %+v", flips)
	}
	sameJSON(t, flips, rec)
	deliveries, rec := valueInProcess[ttrhttp.DeliveryLogJSON](t, b.send, b.csrf, "GET", base+"/deliveries", "")
	if len(deliveries.Deliveries) != 1 {
		t.Fatalf("deliveries: %+v", deliveries)
	}
	sameJSON(t, deliveries, rec)
	for _, channel := range []string{"webhook", "slack"} { // configured, and not
		rate, rec := valueInProcess[ttrhttp.RateJSON](t, b.send, b.csrf, "GET", base+"/"+channel+"/rate", "")
		if rate.Enabled != (channel == "webhook") {
			t.Fatalf("%s rate: %+v", channel, rate)
		}
		sameJSON(t, rate, rec)
	}
	sent, rec := valueInProcess[ttrhttp.TestSendJSON](t, b.send, b.csrf, "POST", base+"/webhook/test", "")
	var plain ttrhttp.TestSendJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &plain); err != nil || sent.Outcome != messages.SendDelivered || sent.IdempotencyKey == plain.IdempotencyKey {
		t.Fatalf("test send: %v %+v, as JSON %+v", err, sent, plain)
	}
	sent.IdempotencyKey = plain.IdempotencyKey // each send is a new alert with a key of its own
	sameJSON(t, sent, rec)
	key, rec := valueInProcess[ttrhttp.BadgeKeyJSON](t, b.send, b.csrf, "GET", "/api/v1/user/badge-key", "")
	if key.BadgeKey == "" {
		t.Fatalf("badge key: %+v", key)
	}
	sameJSON(t, key, rec)
}

// valueInProcess sends method target (with body as JSON unless "") twice through send, a
// browser's: as JSON (the recorder returned) and with an answer sink, which must receive a *T,
// with nothing written and the same status and ETag. A write carries csrf.
func valueInProcess[T any](t *testing.T, send func(*http.Request) *httptest.ResponseRecorder, csrf, method, target, body string) (*T, *httptest.ResponseRecorder) {
	t.Helper()
	request := func() *http.Request {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if method != "GET" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		return req
	}
	rec := send(request())
	if rec.Code != 200 {
		t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
	var v *T
	req := request()
	req = req.WithContext(ttrhttp.WithAnswerSink(req.Context(), func(a any) bool {
		v, _ = a.(*T)
		return v != nil
	}))
	vrec := send(req)
	if vrec.Code != rec.Code || v == nil || vrec.Body.Len() != 0 {
		t.Fatalf("%s %s in-process: %d, value %v, %d bytes written", method, target, vrec.Code, v != nil, vrec.Body.Len())
	}
	if vrec.Header().Get("ETag") != rec.Header().Get("ETag") {
		t.Errorf("%s %s: ETag %q in-process, %q as JSON", method, target, vrec.Header().Get("ETag"), rec.Header().Get("ETag"))
	}
	return v, rec
}

// sameJSON fails unless v encodes to the body of rec.
func sameJSON(t *testing.T, v any, rec *httptest.ResponseRecorder) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b)+"\n", rec.Body.String(); got != want {
		t.Fatalf("the value encodes to\n%s\nthe JSON answer is\n%s", got, want)
	}
}

// BenchmarkDashboard100Rows renders a 100-row dashboard page of a 1,000-check account: the
// aggregate through the API in-process (its store queries on SQLite included) and the page.
func BenchmarkDashboard100Rows(b *testing.B) {
	e := newDashEnv(b)
	e.seed(b, 1000, 20)
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		if rec := e.do(b, "GET", "/dashboard?size=100", "", nil); rec.Code != 200 {
			b.Fatalf("%d", rec.Code)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the process's CPU time per operation since cpu (when it is measured).
func reportCPU(b *testing.B, cpu time.Duration) {
	if used := processCPU() - cpu; used > 0 {
		b.ReportMetric(float64(used.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkAggregate304 is the dashboard's poll when nothing changed: GET
// /api/v1/checks/aggregate with the session cookie and the ETag it holds, for a 25-row page
// of a 1,000-check account, answered 304. One request at a time: polls/cpu-s is what one core
// serves (a dashboard polls every 5 s, so one core keeps 5 × that many dashboards live).
func BenchmarkAggregate304(b *testing.B) {
	e := newDashEnv(b)
	e.seed(b, 1000, 20)
	const poll = "/api/v1/checks/aggregate?size=25"
	etag := e.do(b, "GET", poll, "", nil).Header().Get("ETag")
	if etag == "" {
		b.Fatal("no ETag")
	}
	hdr := map[string]string{"If-None-Match": etag}
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		if rec := e.do(b, "GET", poll, "", hdr); rec.Code != http.StatusNotModified {
			b.Fatalf("%d, want 304", rec.Code)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "polls/s")
	if used := processCPU() - cpu; used > 0 {
		b.ReportMetric(float64(b.N)/used.Seconds(), "polls/cpu-s")
	}
	reportCPU(b, cpu)
}
