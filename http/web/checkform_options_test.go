package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/batcher"
	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/web"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
)

// The check form's healthchecks.io options and its badge switch, saved through the form as a
// browser sends it (the fields read back from the page itself) and read back through the
// API, on the edge with real check actors: an edit goes through the check's owner.

// routeFunc lets a function serve as the check client's router.
type routeFunc func(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error)

func (f routeFunc) Request(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error) {
	return f(ctx, identity, typ, version, body, requestID)
}

// Send drops one-way hints (a new check's Created): nothing here counts them.
func (routeFunc) Send(string, string, uint32, proto.Message) error { return nil }

type noWheel struct{}

func (noWheel) Set(int64, time.Time) {}
func (noWheel) Remove(int64)         {}

type noPoker struct{}

func (noPoker) PokeRows(string, int) {}

// newActorEdge is the edge with the web UI over the real embedded store, a write batcher and
// a one-node actor system hosting the check actors — what ttrd wires, without the process.
func newActorEdge(t *testing.T) *checkEdge {
	t.Helper()
	st := sqlitetest.Open(t)
	ring, err := keyring.Parse("k1:"+keyring.NewKey(), strings.Repeat("s", 32))
	if err != nil {
		t.Fatal(err)
	}
	b, err := batcher.New(batcher.Config{}, batcher.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	cl := clustertest.Start(t, 1, clustertest.Options{})
	deps := check.Deps{Store: st, Batcher: b, Wheel: noWheel{}, Ring: ring, Poker: noPoker{}, Passivate: cluster.RequestPassivation}
	if _, err := cluster.SpawnHost(cl.Nodes[0], messages.KindCheck, cl.Memberships[0], check.NewProducer(deps), cluster.HostOptions{}); err != nil {
		t.Fatal(err)
	}
	router := cluster.NewRouter(cl.Nodes[0], cl.Memberships[0], cluster.RouterOptions{})
	sessions, err := session.New(session.DefaultConfig(), session.Deps{Store: st, Index: ring.Index, CSRFKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := account.New(account.Deps{Store: st, Ring: ring, Sessions: sessions})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := web.New(web.Config{PublicURL: "http://127.0.0.1:8080"}, web.Deps{Sessions: sessions, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	cfg := ttrhttp.DefaultConfig()
	cfg.PublicURL = "http://127.0.0.1:8080"
	h := ttrhttp.NewServer(cfg, ttrhttp.Deps{Store: st, Ring: ring, Checks: check.NewClient(routeFunc(router.Request)),
		Sessions: sessions, Accounts: accounts, Pages: pages}).Handler()
	return &checkEdge{h: h, st: st, accounts: accounts}
}

// signInWithKey is signIn that also returns the user's access key, for API reads.
func (e *checkEdge) signInWithKey(t *testing.T) (*browser, string) {
	t.Helper()
	c, err := e.accounts.CreateUser(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, e: e, user: c.User}
	b.get("/signin")
	if rec := b.post("/signin", url.Values{"key": {c.AuthKey}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", rec.Code, rec.Body)
	}
	return b, c.AuthKey
}

// createByForm submits the new-check form with slug and returns the check it made.
func (b *browser) createByForm(form url.Values, slug string) messages.CheckRef {
	b.t.Helper()
	form.Set("slug", slug)
	if rec := b.post("/checks/new", form); rec.Code != http.StatusSeeOther {
		b.t.Fatalf("create %s: %d %s", slug, rec.Code, rec.Body)
	}
	c, err := b.e.st.ResolveSlug(context.Background(), b.user.ID, slug)
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

var (
	formRE     = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)"[^>]*>(.*?)</form>`)
	inputRE    = regexp.MustCompile(`<input\s([^>]*)>`)
	selectRE   = regexp.MustCompile(`(?s)<select\s([^>]*)>(.*?)</select>`)
	optionRE   = regexp.MustCompile(`(?s)<option([^>]*)>([^<]*)`)
	textareaRE = regexp.MustCompile(`(?s)<textarea\s([^>]*)>(.*?)</textarea>`)
	attrRE     = regexp.MustCompile(`([a-z][a-z0-9_-]*)(?:="([^"]*)")?`)
)

func attrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(s, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// formValues is what a browser submits for the page's form with the given action: text
// and hidden inputs, checked boxes ("on") and radios, each select's selected option (else
// its first) and textareas.
func formValues(t *testing.T, page, action string) url.Values {
	t.Helper()
	var body string
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		if html.UnescapeString(m[1]) == action {
			body = m[2]
		}
	}
	if body == "" {
		t.Fatalf("no form posting to %s on the page", action)
	}
	v := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(body, -1) {
		a := attrs(m[1])
		name, val := a["name"], a["value"]
		if name == "" {
			continue
		}
		switch a["type"] {
		case "submit", "button":
			continue
		case "checkbox", "radio":
			if _, on := a["checked"]; !on {
				continue
			}
			if _, has := a["value"]; !has {
				val = "on"
			}
		}
		v.Add(name, val)
	}
	for _, m := range selectRE.FindAllStringSubmatch(body, -1) {
		name := attrs(m[1])["name"]
		var first, chosen string
		var any, sel bool
		for _, o := range optionRE.FindAllStringSubmatch(m[2], -1) {
			a := attrs(o[1])
			val, has := a["value"]
			if !has {
				val = html.UnescapeString(strings.TrimSpace(o[2]))
			}
			if !any {
				first, any = val, true
			}
			if _, s := a["selected"]; s && !sel {
				chosen, sel = val, true
			}
		}
		if !sel {
			chosen = first
		}
		v.Set(name, chosen)
	}
	for _, m := range textareaRE.FindAllStringSubmatch(body, -1) {
		v.Set(attrs(m[1])["name"], html.UnescapeString(strings.TrimPrefix(m[2], "\n")))
	}
	return v
}

// apiCheckByID reads a check's JSON through the API with the user's access key.
func apiCheckByID(t *testing.T, e *checkEdge, key string, id int64) map[string]any {
	t.Helper()
	req := httptest.NewRequest("GET", fmt.Sprintf("/api/v1/checks/%d", id), nil)
	req.Header.Set("X-Auth-Key", key)
	rec := serve(e.h, req)
	if rec.Code != 200 {
		t.Fatalf("GET check %d: %d %s", id, rec.Code, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// formOption is one option of the form: its form field, its Check JSON field, and how a
// value is written on the form.
type formOption struct {
	field string
	box   bool // a checkbox: "on" or absent; JSON true or false
}

var formOptions = []formOption{
	{field: "methods"}, {field: "filter_http_body", box: true}, {field: "start_kw"}, {field: "success_kw"},
	{field: "failure_kw"}, {field: "filter_default_fail", box: true}, {field: "subject"}, {field: "subject_fail"},
	{field: "filter_subject", box: true}, {field: "filter_body", box: true}, {field: "badge_enabled", box: true},
}

// set writes value onto the form: a box is checked for true and left out for false.
func (o formOption) set(v url.Values, value any) {
	if o.box {
		v.Del(o.field)
		if value == true {
			v.Set(o.field, "on")
		}
		return
	}
	v.Set(o.field, value.(string))
}

// checkOptions compares the API's view of a check with want.
func checkOptions(t *testing.T, step string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: the API says %s = %#v, want %#v", step, k, got[k], w)
		}
	}
	urls, _ := got["badge_urls"].(map[string]any)
	if enabled := want["badge_enabled"] == true; enabled != (urls != nil) {
		t.Errorf("%s: badge_enabled %v but badge_urls %v", step, want["badge_enabled"], got["badge_urls"])
	}
}

func TestCheckFormSavesEveryOption(t *testing.T) {
	e := newActorEdge(t)
	b, key := e.signInWithKey(t)

	// Create: every option away from its default, the text ones with characters the page
	// must escape and the API must keep.
	want := map[string]any{
		"methods": "POST", "filter_http_body": true, "start_kw": `begin, "started"`, "success_kw": "done <ok> & ✓",
		"failure_kw": "ERROR,FATAL", "filter_default_fail": true, "subject": "[ok]", "subject_fail": "[failed] 'x'",
		"filter_subject": true, "filter_body": true, "badge_enabled": true,
	}
	rec := b.get("/checks/new")
	if rec.Code != 200 {
		t.Fatalf("new check form: %d", rec.Code)
	}
	form := formValues(t, rec.Body.String(), "/checks/new")
	for _, o := range formOptions {
		if _, ok := form[o.field]; !ok && !o.box {
			t.Errorf("the new check form has no %s field", o.field)
		}
		o.set(form, want[o.field])
	}
	form.Set("name", "options")
	c := b.createByForm(form, "options")
	checkOptions(t, "create", apiCheckByID(t, e, key, c.ID), want)

	// The edit form shows each option as saved, and sending it back unchanged changes
	// nothing.
	edit := fmt.Sprintf("/checks/%d/edit", c.ID)
	readForm := func() url.Values {
		t.Helper()
		rec := b.get(edit)
		if rec.Code != 200 {
			t.Fatalf("edit form: %d", rec.Code)
		}
		return formValues(t, rec.Body.String(), edit)
	}
	form = readForm()
	for _, o := range formOptions {
		shown := any(form.Get(o.field))
		if o.box {
			shown = form.Get(o.field) == "on"
		}
		if shown != want[o.field] {
			t.Errorf("the edit form shows %s = %#v, want %#v", o.field, shown, want[o.field])
		}
	}
	if rec = b.post(edit, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save unchanged: %d %s", rec.Code, rec.Body)
	}
	checkOptions(t, "saved unchanged", apiCheckByID(t, e, key, c.ID), want)

	// Each option alone, changed through the edit form: that one changes, no other.
	other := map[string]any{
		"methods": "", "filter_http_body": false, "start_kw": "go", "success_kw": "", "failure_kw": "oops, 💥",
		"filter_default_fail": false, "subject": "", "subject_fail": "bad", "filter_subject": false,
		"filter_body": false, "badge_enabled": false,
	}
	for _, o := range formOptions {
		form := readForm()
		o.set(form, other[o.field])
		if rec := b.post(edit, form); rec.Code != http.StatusSeeOther {
			t.Fatalf("save %s: %d %s", o.field, rec.Code, rec.Body)
		}
		want[o.field] = other[o.field]
		checkOptions(t, "after saving "+o.field, apiCheckByID(t, e, key, c.ID), want)
	}
	// And back on through the form: the boxes and the POST-only method.
	form = readForm()
	for _, o := range formOptions {
		if o.box {
			o.set(form, true)
			want[o.field] = true
		}
	}
	formOptions[0].set(form, "POST")
	want["methods"] = "POST"
	if rec = b.post(edit, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", rec.Code, rec.Body)
	}
	checkOptions(t, "boxes on again", apiCheckByID(t, e, key, c.ID), want)

	// A value the API refuses comes back next to the form, nothing saved.
	form = readForm()
	form.Set("methods", "GET")
	if rec = b.post(edit, form); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "methods") {
		t.Fatalf("methods GET: %d %s", rec.Code, rec.Body)
	}
	form = readForm()
	form.Set("success_kw", strings.Repeat("k", 201))
	if rec = b.post(edit, form); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "success_kw") {
		t.Fatalf("a long success_kw: %d", rec.Code)
	}
	checkOptions(t, "after refused edits", apiCheckByID(t, e, key, c.ID), want)
}

// TestCheckFormShowsThePreviewWithoutScript: the new and edit pages, served by a GET, show the
// schedule's next due times from the server (the API's preview is a POST: the in-process call
// carries the page's CSRF token), not "The preview is not available right now.".
func TestCheckFormShowsThePreviewWithoutScript(t *testing.T) {
	e := newActorEdge(t)
	b, _ := e.signInWithKey(t)
	rec := b.get("/checks/new")
	body := rec.Body.String()
	if rec.Code != 200 || strings.Contains(body, "not available right now") || !strings.Contains(body, `id="preview"`) {
		t.Fatalf("new check form: %d, preview missing:\n%s", rec.Code, body)
	}
	form := formValues(t, body, "/checks/new")
	form.Set("schedule_type", "cron")
	form.Set("cron", "0 3 * * *")
	form.Set("tz", "Europe/Berlin")
	c := b.createByForm(form, "nightly")
	rec = b.get(fmt.Sprintf("/checks/%d/edit", c.ID))
	if body = rec.Body.String(); rec.Code != 200 || !strings.Contains(body, "03:00:00 &#43;0") { // html/template escapes the offset's +
		t.Fatalf("edit form: %d, no due time at 03:00 Berlin time:\n%s", rec.Code, body)
	}
}

// TestCheckFormPreviewAfterACrossSiteLink: a signed-in user who follows a link from another
// site (a chat, a mail) to the new-check form sees its due times. The preview is computed
// in-process, not asked of the API with a POST, which such a navigation's origin headers
// would have failed as a cross-site write.
func TestCheckFormPreviewAfterACrossSiteLink(t *testing.T) {
	e := newActorEdge(t)
	b, _ := e.signInWithKey(t)
	req := httptest.NewRequest("GET", "/checks/new", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Referer", "https://chat.example/room")
	rec := b.send(req)
	body := rec.Body.String()
	if rec.Code != 200 || strings.Contains(body, "not available right now") || !strings.Contains(body, `id="preview"`) {
		t.Fatalf("new check form after a cross-site link: %d, preview missing:\n%s", rec.Code, body)
	}
}
