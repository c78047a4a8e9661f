package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/web"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
)

// newWebParts opens what every edge in these tests is built from: the real embedded store on
// a temporary directory (closed at the end of the test), a key ring, sessions and accounts.
func newWebParts(tb testing.TB) (*sqlite.Store, *keyring.Ring, *session.Manager, *account.Service) {
	tb.Helper()
	st := sqlitetest.Open(tb)
	ring, err := keyring.Parse("k1:"+keyring.NewKey(), strings.Repeat("s", 32))
	if err != nil {
		tb.Fatal(err)
	}
	sessions, err := session.New(session.DefaultConfig(), session.Deps{Store: st, Index: ring.Index, CSRFKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		tb.Fatal(err)
	}
	accounts, err := account.New(account.Deps{Store: st, Ring: ring, Sessions: sessions})
	if err != nil {
		tb.Fatal(err)
	}
	return st, ring, sessions, accounts
}

// newEdge is the edge with the web UI on the real embedded store (no check actors: these
// tests create none).
func newEdge(t *testing.T) http.Handler {
	t.Helper()
	st, ring, sessions, accounts := newWebParts(t)
	pages, err := web.New(web.Config{PublicURL: "http://127.0.0.1:8080", FormLimit: 1024}, web.Deps{Sessions: sessions, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	return ttrhttp.NewServer(ttrhttp.DefaultConfig(), ttrhttp.Deps{Store: st, Ring: ring, Sessions: sessions, Accounts: accounts, Pages: pages}).Handler()
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

var assetRE = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// inlineRE finds what the CSP would block: inline scripts, style attributes or elements, and
// on…= handlers.
var inlineRE = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|\sstyle=|<style|\son[a-z]+=`)

func TestPagesHeadersAndNoInlineCode(t *testing.T) {
	h := newEdge(t)
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/", 200},
		{"/signin", 200},
		{"/no/such/page", 404},
		{"/static/app.0000.css", 404},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := serve(h, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != tc.want {
				t.Fatalf("%d, want %d", rec.Code, tc.want)
			}
			hdr := rec.Header()
			if hdr.Get("Content-Security-Policy") != web.CSP || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || hdr.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", hdr)
			}
			body := rec.Body.String()
			if m := inlineRE.FindString(body); m != "" {
				t.Errorf("inline code the CSP forbids: %q", m)
			}
			if !strings.Contains(body, `<a class="skip" href="#main">`) || !strings.Contains(body, `<main id="main"`) {
				t.Error("no skip link to the main content")
			}
		})
	}
	if rec := serve(h, httptest.NewRequest("GET", "/api/v1/nope", nil)); rec.Code != 404 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("/api 404: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestStaticAssets(t *testing.T) {
	h := newEdge(t)
	page := serve(h, httptest.NewRequest("GET", "/", nil)).Body.String()
	// The stylesheet, the script and the favicon (linked as the icon and shown as the brand mark).
	var paths []string
	for _, m := range assetRE.FindAllStringSubmatch(page, -1) {
		if !slices.Contains(paths, m[1]) {
			paths = append(paths, m[1])
		}
	}
	if len(paths) != 3 {
		t.Fatalf("assets linked: %v", paths)
	}
	for _, path := range paths {
		if !regexp.MustCompile(`^/static/[a-z]+\.[0-9a-f]{12}\.(css|js|svg)$`).MatchString(path) {
			t.Errorf("asset name %q is not content-hashed", path)
		}
		plain := serve(h, httptest.NewRequest("GET", path, nil))
		if plain.Code != 200 || plain.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || plain.Header().Get("Content-Encoding") != "" {
			t.Fatalf("%s: %d %v", path, plain.Code, plain.Header())
		}
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept-Encoding", "br, gzip;q=0.8")
		gz := serve(h, r)
		if gz.Header().Get("Content-Encoding") != "gzip" || gz.Header().Get("Vary") != "Accept-Encoding" {
			t.Fatalf("%s gzip: %v", path, gz.Header())
		}
		zr, err := gzip.NewReader(gz.Body)
		if err != nil {
			t.Fatal(err)
		}
		unz, _ := io.ReadAll(zr)
		if !bytes.Equal(unz, plain.Body.Bytes()) {
			t.Errorf("%s: gzip body differs", path)
		}
		r = httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept-Encoding", "gzip;q=0")
		if serve(h, r).Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: gzip sent although refused", path)
		}
	}
}

func TestSignedOutRedirects(t *testing.T) {
	h := newEdge(t)
	for _, p := range []string{"/dashboard", "/account"} {
		rec := serve(h, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin" {
			t.Errorf("%s: %d → %q", p, rec.Code, rec.Header().Get("Location"))
		}
	}
}

func TestFormLimitsAndCSRF(t *testing.T) {
	h := newEdge(t)
	first := serve(h, httptest.NewRequest("GET", "/", nil))
	token := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(first.Body.String())[1]
	post := func(path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range first.Result().Cookies() {
			r.AddCookie(c)
		}
		return serve(h, r)
	}
	for _, tc := range []struct {
		name, path, body string
		want             int
	}{
		{"too large", "/signin", "key=" + strings.Repeat("k", 2000) + "&csrf=" + url.QueryEscape(token), 413},
		{"no token", "/signup", "", 403},
		{"bad key", "/signin", "key=nope&csrf=" + url.QueryEscape(token), 401},
		{"bad theme", "/theme", "theme=neon&mode=dark&csrf=" + url.QueryEscape(token), 400},
		{"theme, then back to a local page only", "/theme", "theme=arcade&mode=dark&next=//evil.example&csrf=" + url.QueryEscape(token), 303},
		{"get a key", "/signup", "csrf=" + url.QueryEscape(token), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(tc.path, tc.body)
			if rec.Code != tc.want {
				t.Fatalf("%d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if loc := rec.Header().Get("Location"); rec.Code == 303 && loc != "/" {
				t.Errorf("redirect to %q", loc)
			}
			if rec.Code >= 400 && rec.Header().Get("Content-Security-Policy") != web.CSP {
				t.Error("error page without CSP")
			}
		})
	}
}
