package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/transfer"
	"github.com/ttr-rip/ttr/http/web"
	"github.com/ttr-rip/ttr/messages"
)

// fakeTransfer records what the pages ask of the export and import service.
type fakeTransfer struct {
	mu    sync.Mutex
	limit int64
	calls []transferCall
}

type transferCall struct {
	what   string // export, document, hc
	user   int64
	pass   string
	dryRun bool
	doc    transfer.Document
	hc     ttrhttp.HCImportRequest
}

func (f *fakeTransfer) record(c transferCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeTransfer) last(t *testing.T) transferCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("the service was not called")
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeTransfer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeTransfer) Export(_ context.Context, u messages.User, pass string) (transfer.Document, error) {
	f.record(transferCall{what: "export", user: u.ID, pass: pass})
	if pass != "" {
		if err := transfer.CheckPassphrase(pass); err != nil {
			return transfer.Document{}, err
		}
	}
	return transfer.Document{Version: transfer.Version, UserSlug: u.Slug, Checks: []json.RawMessage{json.RawMessage(`{"slug":"a"}`)}, StatusPages: []json.RawMessage{}}, nil
}

func (f *fakeTransfer) report(dry bool, n int) ttrhttp.ImportReport {
	rep := ttrhttp.ImportReport{DryRun: dry, Summary: map[string]int{ttrhttp.ImportCreated: n, ttrhttp.ImportUpdated: 0, ttrhttp.ImportUnchanged: 0, ttrhttp.ImportFailed: 1}}
	for i := 0; i < n; i++ {
		rep.Checks = append(rep.Checks, ttrhttp.ImportResult{Slug: "check-" + string(rune('a'+i)), Name: "<b>name</b>", Result: ttrhttp.ImportCreated, Notes: []string{"webhook: set it up"}})
	}
	rep.Checks = append(rep.Checks, ttrhttp.ImportResult{Slug: "bad", Result: ttrhttp.ImportFailed, Detail: "grace_seconds is out of range"})
	return rep
}

func (f *fakeTransfer) ImportDocument(_ context.Context, u messages.User, doc transfer.Document, pass string, opt ttrhttp.ImportOptions) (ttrhttp.ImportReport, error) {
	f.record(transferCall{what: "document", user: u.ID, pass: pass, dryRun: opt.DryRun, doc: doc})
	if doc.Secrets != nil && pass != "" && pass != "correct horse battery" {
		return ttrhttp.ImportReport{}, transfer.ErrPassphrase
	}
	return f.report(opt.DryRun, len(doc.Checks)), nil
}

func (f *fakeTransfer) ImportHealthchecks(_ context.Context, u messages.User, in ttrhttp.HCImportRequest, operator bool) (ttrhttp.ImportReport, error) {
	if operator {
		panic("the pages import as the user, never as the operator")
	}
	f.record(transferCall{what: "hc", user: u.ID, dryRun: in.DryRun, hc: in})
	if in.URL != "https://healthchecks.io" {
		return ttrhttp.ImportReport{}, messages.Errorf(messages.EInvalid, "%s is not a healthchecks server this ttr imports from", in.URL)
	}
	rep := f.report(in.DryRun, 2)
	rep.Channels = []transfer.HCChannel{{ID: "c1", Name: "Ops mail", Kind: "email"}}
	return rep, nil
}

func (f *fakeTransfer) DocumentLimit() int64 { return f.limit }
func (f *fakeTransfer) HCServers() []string  { return []string{"https://healthchecks.io"} }

// transferSite is the edge with the pages and a fake transfer service, on a real listener.
type transferSite struct {
	url   string
	xfer  *fakeTransfer
	clock *time.Time
}

func newTransferSite(t *testing.T) *transferSite {
	t.Helper()
	st, ring, sessions, accounts := newWebParts(t)
	now := time.Now()
	s := &transferSite{xfer: &fakeTransfer{limit: 64 << 10}, clock: &now}
	pages, err := web.New(web.Config{PublicURL: "http://127.0.0.1:8080"}, web.Deps{Sessions: sessions, Accounts: accounts,
		Transfer: s.xfer, Ring: ring, Now: func() time.Time { return *s.clock }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ttrhttp.NewServer(ttrhttp.DefaultConfig(), ttrhttp.Deps{Store: st, Ring: ring, Sessions: sessions, Accounts: accounts, Pages: pages}).Handler())
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// browserish is a signed-in client: cookies, no redirects followed, the page's CSRF token.
type browserish struct {
	t    *testing.T
	site *transferSite
	c    *http.Client
	csrf string
}

func (s *transferSite) signUp(t *testing.T) *browserish {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browserish{t: t, site: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.csrf = b.token("/")
	if res, _ := b.form("/signup", url.Values{}); res.StatusCode != 200 {
		t.Fatalf("sign-up: %d", res.StatusCode)
	}
	b.csrf = b.token("/account")
	return b
}

func (b *browserish) get(path string) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Get(b.site.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browserish) token(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfMetaRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("%s has no CSRF token", path)
	}
	return html.UnescapeString(m[1])
}

func (b *browserish) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	req.Header.Set("Origin", b.site.url)
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browserish) form(path string, v url.Values) (*http.Response, string) {
	b.t.Helper()
	if !v.Has("csrf") {
		v.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.site.url+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// multipart posts fields, and file as the field "file" when it is not nil.
func (b *browserish) multipart(path string, fields map[string]string, file []byte) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if _, ok := fields["csrf"]; !ok {
		_ = mw.WriteField("csrf", b.csrf)
	}
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "export.json")
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.site.url+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="(token|document)" value="([^"]*)">`)

// hidden reads a preview page's confirmation fields as a browser would send them.
func hidden(t *testing.T, page string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	if out["token"] == "" {
		t.Fatalf("the preview has no confirmation form:\n%s", page)
	}
	return out
}

func checkPage(t *testing.T, res *http.Response, body string, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%d, want %d:\n%s", res.StatusCode, want, body)
	}
	if res.Header.Get("Content-Security-Policy") != web.CSP || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", res.Header)
	}
	if m := inlineRE.FindString(body); m != "" {
		t.Errorf("inline code the CSP forbids: %q", m)
	}
}

func TestAccountTransferSection(t *testing.T) {
	s := newTransferSite(t)
	b := s.signUp(t)
	res, body := b.get("/account")
	checkPage(t, res, body, 200)
	for _, want := range []string{`action="/account/export"`, `action="/account/import" enctype="multipart/form-data"`,
		`action="/account/import/healthchecks"`, `value="https://healthchecks.io"`, "at most 64 KiB"} {
		if !strings.Contains(body, want) {
			t.Errorf("the account page lacks %s", want)
		}
	}
}

func TestExportDownload(t *testing.T) {
	s := newTransferSite(t)
	b := s.signUp(t)

	res, body := b.form("/account/export", url.Values{})
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" ||
		!regexp.MustCompile(`^attachment; filename="ttr-export-[a-z0-9_-]+-\d{8}\.json"$`).MatchString(res.Header.Get("Content-Disposition")) ||
		res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("export: %d %v", res.StatusCode, res.Header)
	}
	if _, err := transfer.Parse([]byte(body)); err != nil {
		t.Fatalf("the download is not a document: %v", err)
	}
	if c := s.xfer.last(t); c.what != "export" || c.pass != "" {
		t.Fatalf("export call %+v", c)
	}
	// A passphrase typed without "include settings" is not used.
	b.form("/account/export", url.Values{"passphrase": {"correct horse battery"}, "passphrase2": {"correct horse battery"}})
	if c := s.xfer.last(t); c.pass != "" {
		t.Fatalf("passphrase used without secrets: %+v", c)
	}

	n := s.xfer.count()
	for _, tc := range []struct{ name, p1, p2, want string }{
		{"none", "", "", "Give a passphrase"},
		{"differ", "correct horse battery", "correct horse batter", "differ"},
	} {
		res, body := b.form("/account/export", url.Values{"secrets": {"on"}, "passphrase": {tc.p1}, "passphrase2": {tc.p2}})
		checkPage(t, res, body, 400)
		if !strings.Contains(body, tc.want) {
			t.Errorf("%s: the page does not say %q", tc.name, tc.want)
		}
	}
	if s.xfer.count() != n {
		t.Fatal("the service was called with a refused form")
	}
	res, body = b.form("/account/export", url.Values{"secrets": {"on"}, "passphrase": {"short"}, "passphrase2": {"short"}})
	checkPage(t, res, body, 400)
	if !strings.Contains(body, "at least 10 characters") {
		t.Errorf("short passphrase: %s", body)
	}
	res, _ = b.form("/account/export", url.Values{"secrets": {"on"}, "passphrase": {"correct horse battery"}, "passphrase2": {"correct horse battery"}})
	if c := s.xfer.last(t); res.StatusCode != 200 || c.pass != "correct horse battery" {
		t.Fatalf("secrets export: %d %+v", res.StatusCode, c)
	}
}

// sealedDoc is a document with a secrets header (its passphrase: "correct horse battery"),
// pretty-printed as a download is: line breaks a form would rewrite.
func sealedDoc(t *testing.T) []byte {
	t.Helper()
	sl, err := transfer.NewSealer("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	doc := transfer.Document{Version: 1, UserSlug: "someone", Secrets: sl.Header(),
		Checks: []json.RawMessage{json.RawMessage(`{"slug":"a","desc":"line one\nline two"}`), json.RawMessage(`{"slug":"b"}`)}, StatusPages: []json.RawMessage{}}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return b
}

func TestImportFilePreviewThenConfirm(t *testing.T) {
	s := newTransferSite(t)
	b := s.signUp(t)
	doc := sealedDoc(t)

	res, body := b.multipart("/account/import", map[string]string{"passphrase": "correct horse battery"}, doc)
	checkPage(t, res, body, 200)
	c := s.xfer.last(t)
	if c.what != "document" || !c.dryRun || c.pass != "correct horse battery" || len(c.doc.Checks) != 2 {
		t.Fatalf("preview call %+v", c)
	}
	for _, want := range []string{"Nothing has changed yet", "would be created", "cannot be imported", "grace_seconds is out of range",
		"webhook: set it up", "&lt;b&gt;name&lt;/b&gt;", "Import: 2 changes"} {
		if !strings.Contains(body, want) {
			t.Errorf("the preview lacks %q", want)
		}
	}
	if strings.Contains(body, "correct horse battery") {
		t.Fatal("the preview shows the passphrase")
	}
	f := hidden(t, body)
	if strings.ContainsAny(f["document"], "\r\n") {
		t.Fatal("the carried document has line breaks (a form submission rewrites them)")
	}

	// Someone else's session cannot use the preview.
	other := s.signUp(t)
	n := s.xfer.count()
	res, body = other.multipart("/account/import/confirm", f, nil)
	checkPage(t, res, body, 400)
	if !strings.Contains(body, "expired or was made in another session") || s.xfer.count() != n {
		t.Fatalf("another session's confirmation: %s", body)
	}
	// Nor can a changed document.
	changed := map[string]string{"token": f["token"], "document": strings.Replace(f["document"], `"slug":"b"`, `"slug":"c"`, 1)}
	if res, _ = b.multipart("/account/import/confirm", changed, nil); res.StatusCode != 400 || s.xfer.count() != n {
		t.Fatalf("changed document: %d", res.StatusCode)
	}
	// Without the CSRF token the form is refused.
	if res, _ = b.multipart("/account/import/confirm", map[string]string{"csrf": "", "token": f["token"], "document": f["document"]}, nil); res.StatusCode != 403 {
		t.Fatalf("no CSRF token: %d", res.StatusCode)
	}

	// The confirmation imports the previewed document with the passphrase, for real.
	res, body = b.multipart("/account/import/confirm", f, nil)
	checkPage(t, res, body, 200)
	c = s.xfer.last(t)
	if c.dryRun || c.pass != "correct horse battery" || len(c.doc.Checks) != 2 || c.user == 0 {
		t.Fatalf("confirm call %+v", c)
	}
	if !strings.Contains(body, "The import ran") || !strings.Contains(body, ">created<") || strings.Contains(body, "confirm-import") {
		t.Errorf("the result page:\n%s", body)
	}

	// After 30 minutes the preview is stale.
	*s.clock = s.clock.Add(31 * time.Minute)
	if res, _ = b.multipart("/account/import/confirm", f, nil); res.StatusCode != 400 {
		t.Fatalf("stale confirmation: %d", res.StatusCode)
	}
}

func TestImportFileRefusals(t *testing.T) {
	s := newTransferSite(t)
	b := s.signUp(t)
	doc := sealedDoc(t)

	// Without the passphrase the preview says the settings stay out, and nothing is carried.
	res, body := b.multipart("/account/import", nil, doc)
	checkPage(t, res, body, 200)
	if !strings.Contains(body, "no passphrase was given") {
		t.Error("the preview does not say the settings stay out")
	}
	for _, tc := range []struct {
		name   string
		fields map[string]string
		file   []byte
		want   int
		says   string
	}{
		{"wrong passphrase", map[string]string{"passphrase": "not the passphrase"}, doc, 400, "does not open"},
		{"no file", nil, nil, 400, "Choose an export file"},
		{"not JSON", nil, []byte("hello"), 400, "not JSON"},
		{"not a ttr export", nil, []byte(`{"checks":[]}`), 400, "no version"},
		{"too large", nil, bytes.Repeat([]byte(" "), 200<<10), 413, "at most 64 KiB"},
		{"no CSRF token", map[string]string{"csrf": ""}, doc, 403, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := b.multipart("/account/import", tc.fields, tc.file)
			checkPage(t, res, body, tc.want)
			if !strings.Contains(body, tc.says) {
				t.Errorf("the page does not say %q:\n%s", tc.says, body)
			}
		})
	}
	// Not signed in: to the sign-in page, the body unread.
	anon := &browserish{t: t, site: s, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if res, _ := anon.multipart("/account/import", nil, doc); res.StatusCode != 303 || res.Header.Get("Location") != "/signin" {
		t.Fatalf("signed out: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestImportHealthchecksPreviewThenConfirm(t *testing.T) {
	s := newTransferSite(t)
	b := s.signUp(t)
	const key = "hcw_secretprojectkey"

	res, body := b.form("/account/import/healthchecks", url.Values{"url": {"https://evil.example"}, "api_key": {key}, "keep_uuids": {"on"}})
	checkPage(t, res, body, 400)
	if !strings.Contains(body, "not a healthchecks server") {
		t.Errorf("refused server: %s", body)
	}

	res, body = b.form("/account/import/healthchecks", url.Values{"url": {"https://healthchecks.io"}, "api_key": {key}, "keep_uuids": {"on"}})
	checkPage(t, res, body, 200)
	c := s.xfer.last(t)
	if c.what != "hc" || !c.dryRun || c.hc.APIKey != key || !c.hc.KeepUUIDs {
		t.Fatalf("preview call %+v", c)
	}
	if strings.Contains(body, key) {
		t.Fatal("the preview shows the API key")
	}
	if !strings.Contains(body, "Ops mail") || !strings.Contains(body, "would be created") {
		t.Errorf("the preview:\n%s", body)
	}
	f := hidden(t, body)
	if _, ok := f["document"]; ok {
		t.Error("a healthchecks preview carries a document")
	}
	res, body = b.form("/account/import/healthchecks/confirm", url.Values{"token": {f["token"]}})
	checkPage(t, res, body, 200)
	c = s.xfer.last(t)
	if c.dryRun || c.hc.APIKey != key || !c.hc.KeepUUIDs || c.hc.URL != "https://healthchecks.io" {
		t.Fatalf("confirm call %+v", c)
	}
	// A file's token does not confirm a healthchecks import, nor the reverse.
	if res, _ = b.multipart("/account/import/confirm", map[string]string{"token": f["token"], "document": "{}"}, nil); res.StatusCode != 400 {
		t.Fatalf("hc token on the file route: %d", res.StatusCode)
	}
}
