package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/web"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite"
)

// checksFake stands in for the check actors: SetChannel writes the channel row as the actor
// would (through the store's Commit); every other command is refused.
type checksFake struct {
	st *sqlite.Store

	mu   sync.Mutex
	sets int
}

var _ ttrhttp.Checks = (*checksFake)(nil)

func (f *checksFake) Ping(context.Context, int64, *messages.Ping) (string, error) {
	return "", messages.Errorf(messages.EUnavailable, "no actors")
}
func (f *checksFake) Edit(context.Context, int64, *messages.CheckEdit) error {
	return messages.Errorf(messages.EUnavailable, "no actors")
}
func (f *checksFake) Pause(context.Context, int64, int64, []int64) error       { return nil }
func (f *checksFake) Resume(context.Context, int64, int64, []int64) error      { return nil }
func (f *checksFake) TogglePause(context.Context, int64, int64, []int64) error { return nil }
func (f *checksFake) Delete(context.Context, int64, int64, []int64) error      { return nil }
func (f *checksFake) Created(int64)                                            {}
func (f *checksFake) SetChannel(ctx context.Context, userID, checkID int64, channel messages.ChannelKind, enabled bool, configEnc []byte, keep bool) error {
	f.mu.Lock()
	f.sets++
	f.mu.Unlock()
	c, err := f.st.GetCheck(ctx, userID, checkID)
	if err != nil {
		return err
	}
	ch := messages.Channel{CheckID: checkID, UserID: userID, Name: channel, Enabled: enabled, ConfigEnc: configEnc}
	if keep {
		chans, _ := f.st.Channels(ctx, userID, checkID)
		for _, old := range chans {
			if old.Name == channel {
				ch.ConfigEnc = old.ConfigEnc
			}
		}
	}
	_, err = f.st.Commit(ctx, []persistence.Write{{CheckID: checkID, ExpectVersion: c.Version, State: c.CheckState, Channel: &ch}})
	return err
}

func (f *checksFake) setCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sets
}

// notifiersFake delivers every test send.
type notifiersFake struct{}

func (notifiersFake) TestSend(context.Context, string, messages.OutboxRow) (*messages.SendResult, error) {
	return &messages.SendResult{Outcome: "delivered"}, nil
}
func (notifiersFake) Rate(context.Context, string) (*messages.RateSnapshot, error) {
	return &messages.RateSnapshot{Enabled: true, CurrentRps: 1.5, MinRps: 0.1, Tokens: 3, MaxTokens: 5}, nil
}
func (notifiersFake) Poke(string) {}

// checkEdge is the edge with the web UI on the real embedded store, fake actors and
// notifiers, and the accounts to sign in with.
type checkEdge struct {
	h        http.Handler
	st       *sqlite.Store
	accounts *account.Service
	checks   *checksFake
}

func newCheckEdge(t *testing.T) *checkEdge {
	t.Helper()
	st, ring, sessions, accounts := newWebParts(t)
	pages, err := web.New(web.Config{PublicURL: "http://127.0.0.1:8080"}, web.Deps{Sessions: sessions, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	checks := &checksFake{st: st}
	cfg := ttrhttp.DefaultConfig()
	h := ttrhttp.NewServer(cfg, ttrhttp.Deps{Store: st, Ring: ring, Checks: checks, Notifiers: notifiersFake{}, Outbox: st,
		Sessions: sessions, Accounts: accounts, Pages: pages}).Handler()
	return &checkEdge{h: h, st: st, accounts: accounts, checks: checks}
}

// browser is one signed-in browser: its cookies and CSRF token.
type browser struct {
	t       *testing.T
	e       *checkEdge
	user    messages.User
	cookies []*http.Cookie
	csrf    string
}

// signIn makes a user and signs a browser in with its key.
func (e *checkEdge) signIn(t *testing.T) *browser {
	t.Helper()
	c, err := e.accounts.CreateUser(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, e: e, user: c.User}
	b.get("/signin")
	rec := b.post("/signin", url.Values{"key": {c.AuthKey}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", rec.Code, rec.Body)
	}
	return b
}

func (b *browser) keep(rec *httptest.ResponseRecorder) {
	for _, c := range rec.Result().Cookies() {
		b.cookies = append(b.cookies, c) // later cookies of a name win when sent last
	}
	if m := csrfMetaRE.FindStringSubmatch(rec.Body.String()); m != nil {
		b.csrf = m[1]
	}
}

func (b *browser) send(r *http.Request) *httptest.ResponseRecorder {
	seen := map[string]bool{}
	for i := len(b.cookies) - 1; i >= 0; i-- {
		if c := b.cookies[i]; !seen[c.Name] {
			seen[c.Name] = true
			r.AddCookie(c)
		}
	}
	rec := serve(b.e.h, r)
	b.keep(rec)
	return rec
}

func (b *browser) get(path string) *httptest.ResponseRecorder {
	return b.send(httptest.NewRequest("GET", path, nil))
}

func (b *browser) post(path string, form url.Values) *httptest.ResponseRecorder {
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(r)
}

// newCheck makes a check of user with a start, a success with a body, a start and a failure.
func (e *checkEdge) newCheck(t *testing.T, userID int64, name string) messages.Check {
	t.Helper()
	ctx := context.Background()
	c := messages.Check{UserID: userID, UUID: "0b6c1b1e-0000-4000-8000-" + strconv.FormatInt(time.Now().UnixNano()%1e12, 10) + "0",
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond), Version: 1,
		CheckConfig: messages.CheckConfig{Name: name, ScheduleType: messages.ScheduleInterval, TZ: "UTC", IntervalSeconds: 3600, GraceSeconds: 60, NotifyAfterFailures: 1},
		CheckState:  messages.CheckState{Status: messages.StatusNew, LastDuration: -1}}
	c.UUID = c.UUID[:36]
	c.Slug = c.UUID
	if err := e.st.CreateCheck(ctx, &c); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	pings := []messages.PingRecord{
		{Kind: messages.KindStart, At: t0, ExitStatus: -1, Method: "GET", RemoteIP: "192.0.2.7", UserAgent: "curl/8.5"},
		{Kind: messages.KindSuccess, At: t0.Add(5 * time.Second), ExitStatus: 0, Method: "POST", RemoteIP: "192.0.2.7", UserAgent: "curl/8.5", Body: []byte("hello <b>world</b>")},
		{Kind: messages.KindStart, At: t0.Add(time.Minute), ExitStatus: -1, Method: "GET", RID: "0d8a57a1-3c1e-4e52-9a41-2f7c1b9e6d30"},
		{Kind: messages.KindFail, At: t0.Add(time.Minute + 2500*time.Millisecond), ExitStatus: 3, Method: "GET", RID: "0d8a57a1-3c1e-4e52-9a41-2f7c1b9e6d30", Reason: "exit status 3"},
	}
	st := c.CheckState
	for i, p := range pings {
		p.CheckID, p.N = c.ID, int64(i+1)
		p.BodySize = int64(len(p.Body))
		st.NPings, st.LastPing, st.Status = p.N, p.At, messages.StatusUp
		w := persistence.Write{CheckID: c.ID, ExpectVersion: int64(1 + i), State: st, Ping: &p}
		if i == 3 {
			st.Status = messages.StatusDown
			w.State = st
			w.Flip = &messages.Flip{ID: strconv.FormatInt(c.ID, 10) + ".1", CheckID: c.ID, At: p.At, From: messages.StatusUp, To: messages.StatusDown, Reason: "exit status 3"}
		}
		if out, err := e.st.Commit(ctx, []persistence.Write{w}); err != nil || out[0].Kind != persistence.OutcomeCommitted {
			t.Fatalf("write ping %d: %v %+v", i+1, err, out)
		}
	}
	return c
}

var tagRE = regexp.MustCompile(`<[a-zA-Z][^>]*>`)

// tagsOnly keeps a page's tags: text that reads like a handler ("OnFailure=" in a systemd
// snippet, an escaped hostile name) is text, not code.
// Every script must be the page's one empty module element, so inline script shows too.
func tagsOnly(page string) string {
	tags := strings.Join(tagRE.FindAllString(page, -1), "")
	if n, m := strings.Count(page, "<script"), len(moduleRE.FindAllString(page, -1)); n != 1 || m != 1 {
		tags += "<script>inline" // found by inlineRE
	}
	return tags
}

var moduleRE = regexp.MustCompile(`<script type="module" src="/static/app\.[0-9a-f]{12}\.js"></script>`)

const hostile = `<img src=x onerror=alert(1)>`

func TestCheckPage(t *testing.T) {
	e := newCheckEdge(t)
	a, other := e.signIn(t), e.signIn(t)
	c := e.newCheck(t, a.user.ID, hostile)
	theirs := e.newCheck(t, other.user.ID, "theirs")
	path := "/checks/" + strconv.FormatInt(c.ID, 10)

	rec := a.get(path)
	if rec.Code != 200 {
		t.Fatalf("check page: %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	if rec.Header().Get("Content-Security-Policy") != web.CSP {
		t.Error("no CSP")
	}
	if m := inlineRE.FindString(tagsOnly(body)); m != "" {
		t.Errorf("inline code the CSP forbids: %q", m)
	}
	if strings.Contains(body, hostile) || !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the check's name is not escaped as text")
	}
	for _, want := range []string{
		"http://127.0.0.1:8080/p/" + a.user.Slug + "/" + c.Slug, // the ping URL
		"/start; /path/to/job.sh;", "runitor -api-url http://127.0.0.1:8080/ping -uuid " + c.UUID, "OnFailure=", "$LASTEXITCODE",
		`<svg xmlns="http://www.w3.org/2000/svg" class="runchart"`, `role="img"`, "2 runs, 1 failed.",
		"<td>5.0 s</td>", "<td>2.5 s</td>", // run durations on the ending pings
		"hello &lt;b&gt;world&lt;/b&gt;", `href="/api/v1/checks/` + strconv.FormatInt(c.ID, 10) + `/pings/2/body"`,
		"<code>0d8a57a1-3c1e-4e52-9a41-2f7c1b9e6d30</code>", "192.0.2.7", "curl/8.5", "exit status 3",
		"The badge is off.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("check page lacks %q", want)
		}
	}

	// Another user's check, and ids that are no check, are the HTML 404.
	for _, p := range []string{"/checks/" + strconv.FormatInt(theirs.ID, 10), "/checks/" + strconv.FormatInt(theirs.ID, 10) + "/integrations", "/checks/999999", "/checks/abc", "/checks/01"} {
		rec := a.get(p)
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), "<h1>") || strings.Contains(rec.Body.String(), "theirs") {
			t.Errorf("%s: %d", p, rec.Code)
		}
	}
	// A signed-out browser is sent to sign in.
	if rec := serve(e.h, httptest.NewRequest("GET", path, nil)); rec.Code != 303 || rec.Header().Get("Location") != "/signin" {
		t.Errorf("signed out: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	// Forms on another user's check change nothing.
	rec = a.post("/checks/"+strconv.FormatInt(theirs.ID, 10)+"/integrations", url.Values{"channel": {"webhook"}, "action": {"save"}, "webhook_url": {"https://example.com/hook"}})
	if rec.Code != 404 || e.checks.setCount() != 0 {
		t.Errorf("save on another user's check: %d, %d writes", rec.Code, e.checks.setCount())
	}
}

func TestIntegrationsPage(t *testing.T) {
	e := newCheckEdge(t)
	a := e.signIn(t)
	c := e.newCheck(t, a.user.ID, "nightly")
	path := "/checks/" + strconv.FormatInt(c.ID, 10) + "/integrations"
	rec := a.get(path)
	if rec.Code != 200 {
		t.Fatalf("integrations: %d %s", rec.Code, rec.Body)
	}
	if m := inlineRE.FindString(tagsOnly(rec.Body.String())); m != "" {
		t.Errorf("inline code the CSP forbids: %q", m)
	}
	for _, name := range []string{"telegram_bot_token", "telegram_chat_id", "slack_webhook_url", "discord_webhook_url", "webhook_url", "email_to"} {
		if !strings.Contains(rec.Body.String(), `name="`+name+`"`) {
			t.Errorf("no input %s", name)
		}
	}
	save := url.Values{"channel": {"webhook"}, "action": {"save"}, "webhook_url": {"https://hooks.example.com/ttr-secret-path"}}

	// Without the CSRF token: refused, nothing written.
	if rec := a.post(path, url.Values{"csrf": {"nope"}, "channel": {"webhook"}, "action": {"save"}, "webhook_url": {"https://x.example/"}}); rec.Code != 403 || e.checks.setCount() != 0 {
		t.Fatalf("without CSRF: %d, %d writes", rec.Code, e.checks.setCount())
	}
	// An invalid URL: the API's words next to the channel, 400.
	rec = a.post(path, url.Values{"channel": {"webhook"}, "action": {"save"}, "webhook_url": {"ftp://x.example/"}})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "webhook_url must be an http or https URL") {
		t.Fatalf("invalid URL: %d %s", rec.Code, rec.Body)
	}
	// A loopback URL the server may not reach: refused with the reason.
	rec = a.post(path, url.Values{"channel": {"webhook"}, "action": {"save"}, "webhook_url": {"http://127.0.0.1:9/"}})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "not a public address") {
		t.Fatalf("loopback URL: %d", rec.Code)
	}
	// Saved: configured and on, and the URL is never shown again.
	rec = a.post(path, save)
	if rec.Code != 303 || !strings.HasPrefix(rec.Header().Get("Location"), path+"?done=saved") {
		t.Fatalf("save: %d %q %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	loc, _, _ := strings.Cut(rec.Header().Get("Location"), "#") // a browser keeps the fragment to itself
	rec = a.get(loc)
	body := rec.Body.String()
	for _, want := range []string{"Settings saved.", "configured — leave blank to keep"} {
		if !strings.Contains(body, want) {
			t.Errorf("after save: no %q", want)
		}
	}
	if strings.Contains(body, "ttr-secret-path") {
		t.Fatal("the saved URL is shown")
	}
	if !strings.Contains(body, "1.50 sends/s now") {
		t.Error("no rate snapshot")
	}
	// Send a test: the outcome shows inline.
	rec = a.post(path, url.Values{"channel": {"webhook"}, "action": {"test"}})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `data-outcome="delivered"`) || !strings.Contains(rec.Body.String(), "Test: Delivered.") {
		t.Fatalf("test: %d %s", rec.Code, rec.Body)
	}
	// Queue a test: written to the outbox, listed as a delivery.
	rec = a.post(path, url.Values{"channel": {"webhook"}, "action": {"test-queue"}})
	if rec.Code != 303 {
		t.Fatalf("test-queue: %d %s", rec.Code, rec.Body)
	}
	if ds, err := e.st.ListDeliveries(context.Background(), a.user.ID, c.ID, 10); err != nil || len(ds) != 1 || ds[0].Kind != messages.AlertTest {
		t.Fatalf("queued test: %v %+v", err, ds)
	}
	// Off, then remove.
	if rec := a.post(path, url.Values{"channel": {"webhook"}, "action": {"disable"}}); rec.Code != 303 {
		t.Fatalf("disable: %d", rec.Code)
	}
	if !strings.Contains(a.get(path).Body.String(), "Turn on<span") {
		t.Error("no Turn on button after turning off")
	}
	if rec := a.post(path, url.Values{"channel": {"webhook"}, "action": {"remove"}}); rec.Code != 303 {
		t.Fatalf("remove: %d", rec.Code)
	}
	if chans, _ := e.st.Channels(context.Background(), a.user.ID, c.ID); len(chans) != 1 || len(chans[0].ConfigEnc) != 0 || chans[0].Enabled {
		t.Fatalf("after remove: %+v", chans)
	}
	// Unknown channels and actions are 400.
	for _, v := range []url.Values{{"channel": {"fax"}, "action": {"save"}}, {"channel": {"webhook"}, "action": {"explode"}}} {
		if rec := a.post(path, v); rec.Code != 400 {
			t.Errorf("%v: %d", v, rec.Code)
		}
	}
}

func TestAccountBadgeKey(t *testing.T) {
	e := newCheckEdge(t)
	a := e.signIn(t)
	keyRE := regexp.MustCompile(`<code id="badge-key">([A-Za-z0-9_-]{24})</code>`)
	m := keyRE.FindStringSubmatch(a.get("/account").Body.String())
	if m == nil {
		t.Fatal("no badge key on the account page")
	}
	rec := a.post("/account/badge-key", url.Values{})
	n := keyRE.FindStringSubmatch(rec.Body.String())
	if rec.Code != 200 || n == nil || n[1] == m[1] || !strings.Contains(rec.Body.String(), "New badge key made") {
		t.Fatalf("rotate: %d %v", rec.Code, n)
	}
	if !strings.Contains(rec.Body.String(), "/b/t/"+n[1]+"/{tag}.svg") {
		t.Error("no tag badge URL with the new key")
	}
}
