package main_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/web/webtest"
)

// pageCheck asserts what every page must satisfy: no CSP violation or script error reported
// by the browser, and no serious or critical axe finding in any theme × mode.
func pageCheck(t *testing.T, b *webtest.Browser, where string) {
	t.Helper()
	b.NoProblems(t, where)
	b.AxeAllThemes(t, where, account.Themes)
	b.NoProblems(t, where+" (while checking themes)")
}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`)

// TestWebAccountJourney walks the Done-when path in a real browser against a real ttrd: get a
// key → see it once → sign out → sign in with it → rotate it (the old key is refused; another
// signed-in browser is signed out) → change the slug → delete the account, checking every page
// for CSP violations and accessibility in all twelve theme × mode combinations.
func TestWebAccountJourney(t *testing.T) {
	webtest.ChromePath(t)
	webtest.AxeSource(t)
	// The failed-authentication limit is on (5 a minute per IP): the rotated key's refusals
	// below must not use it up.
	d := startDaemon(t, "", "--limit-auth-fail", "5")
	a := webtest.NewBrowser(t)

	// Landing page.
	a.Navigate(t, d.URL+"/")
	pageCheck(t, a, "landing")

	// Get a new key: shown once.
	a.Submit(t, `form[action="/signup"] button`)
	key := a.Text(t, "#access-key")
	if !keyRE.MatchString(key) {
		t.Fatalf("key page shows %q", key)
	}
	pageCheck(t, a, "key page")
	var me map[string]any
	if code := d.api(key, "GET", "/api/v1/user/me", nil, &me); code != 200 {
		t.Fatalf("the shown key does not work with the API: %d", code)
	}
	slug := me["user_slug"].(string)

	// Signed in: dashboard and account do not show the key again.
	for _, p := range []string{"/dashboard", "/account"} {
		a.Navigate(t, d.URL+p)
		if loc := a.Location(t); !strings.HasSuffix(loc, p) {
			t.Fatalf("%s redirected to %s: not signed in after getting a key", p, loc)
		}
		if strings.Contains(a.HTML(t), key) {
			t.Fatalf("%s shows the access key again", p)
		}
		pageCheck(t, a, p)
	}

	// 404 page (HTML for browser routes).
	a.Navigate(t, d.URL+"/no/such/page")
	if got := a.Text(t, "h1"); got != "Page not found" {
		t.Errorf("404 page heading %q", got)
	}
	pageCheck(t, a, "404 page")

	// Sign out, then sign in with the key.
	a.Navigate(t, d.URL+"/dashboard")
	a.Submit(t, `form[action="/signout"] button`)
	a.Navigate(t, d.URL+"/account")
	if loc := a.Location(t); !strings.HasSuffix(loc, "/signin") {
		t.Fatalf("after sign-out /account went to %s", loc)
	}
	pageCheck(t, a, "sign-in page")
	a.Do(t, sendKeys("#key", "not-a-key"))
	a.Submit(t, `form[action="/signin"] button`)
	if got := a.Text(t, "p.alert"); !strings.Contains(got, "not recognised") {
		t.Errorf("wrong key: alert %q", got)
	}
	pageCheck(t, a, "sign-in error")
	signIn(t, a, d.URL, key)

	// Another browser signs in with the same key.
	b := webtest.NewBrowser(t)
	signIn(t, b, d.URL, key)

	// A theme change through the script (PATCH /api/v1/user with the session cookie and
	// X-CSRF-Token) is saved on the account.
	a.Navigate(t, d.URL+"/account")
	a.Do(t, setSelect("#ft-theme", "arcade"))
	waitUntilB(t, a, `document.documentElement.dataset.saved === "arcade.system"`)
	if code := d.api(key, "GET", "/api/v1/user/me", nil, &me); code != 200 || me["theme"] != "arcade" {
		t.Fatalf("theme after the script's change: %d %v", code, me["theme"])
	}

	// Rotate the key in browser a.
	a.Navigate(t, d.URL+"/account")
	a.Submit(t, `form[action="/account/key"] button`)
	newKey := a.Text(t, "#access-key")
	if !keyRE.MatchString(newKey) || newKey == key {
		t.Fatalf("rotated key page shows %q", newKey)
	}
	pageCheck(t, a, "rotated key page")
	// The old key is refused, again and again (its refusals are not guesses: they must not
	// lock the new key out), and the new one works.
	for i := range 8 {
		if code := d.api(key, "GET", "/api/v1/user/me", nil, nil); code != 401 {
			t.Fatalf("old key, attempt %d: %d, want 401", i+1, code)
		}
	}
	if code := d.api(newKey, "GET", "/api/v1/user/me", nil, nil); code != 200 {
		t.Fatalf("new key after the old one's refusals: %d", code)
	}
	// Browser b is signed out; browser a is not.
	b.Navigate(t, d.URL+"/account")
	if loc := b.Location(t); !strings.HasSuffix(loc, "/signin") {
		t.Fatalf("the other browser is still signed in after the rotation (at %s)", loc)
	}
	a.Navigate(t, d.URL+"/account")
	if loc := a.Location(t); !strings.HasSuffix(loc, "/account") {
		t.Fatalf("the rotating browser was signed out (at %s)", loc)
	}

	// Change the user slug.
	newSlug := "web-" + strings.ToLower(slug)
	a.Do(t, clearAndType("#slug", newSlug))
	a.Submit(t, `form[action="/account/slug"] button`)
	if got := a.Text(t, "p.notice"); !strings.Contains(got, newSlug) || !strings.Contains(got, "/p/"+slug+"/") {
		t.Errorf("slug change notice %q", got)
	}
	pageCheck(t, a, "account after slug change")
	if code := d.api(newKey, "GET", "/api/v1/user/me", nil, &me); code != 200 || me["user_slug"] != newSlug {
		t.Fatalf("slug after change: %d %v", code, me["user_slug"])
	}

	// Delete the account: a wrong confirmation is refused, the slug deletes.
	d.createCheck(newKey, map[string]any{"slug": "nightly", "interval_seconds": 3600})
	a.Do(t, clearAndType("#confirm", "nope"))
	a.Submit(t, `form[action="/account/delete"] button`)
	if got := a.Text(t, "p.alert"); !strings.Contains(got, "confirm") {
		t.Errorf("wrong confirmation: alert %q", got)
	}
	a.Do(t, clearAndType("#confirm", newSlug))
	a.Submit(t, `form[action="/account/delete"] button`)
	if got := a.Text(t, "p.notice"); !strings.Contains(got, "deleted") {
		t.Errorf("after deletion: notice %q", got)
	}
	pageCheck(t, a, "landing after deletion")
	if code := d.api(newKey, "GET", "/api/v1/user/me", nil, nil); code != 401 {
		t.Fatalf("deleted account's key: %d, want 401", code)
	}
	if code, _, _ := d.ping("GET", "/p/"+newSlug+"/nightly", ""); code != 404 {
		t.Fatalf("ping to the deleted account's check: %d, want 404", code)
	}
	// The limit was live all along: guessed keys do use it up.
	limited := false
	for i := 0; i < 6 && !limited; i++ {
		limited = d.api(fmt.Sprintf("guess-%d-%s", i, strings.Repeat("x", 20)), "GET", "/api/v1/user/me", nil, nil) == 429
	}
	if !limited {
		t.Fatal("six guessed keys were never answered 429: the failed-authentication limit is not on, so the rotated key's refusals proved nothing")
	}
}

// TestWebCrossSiteSignIn: a page on another site that posts the sign-in form (login CSRF) is
// refused, in a real browser.
func TestWebCrossSiteSignIn(t *testing.T) {
	webtest.ChromePath(t)
	d := startDaemon(t, "")
	u := d.newUser()
	// 127.0.0.1 and localhost are different sites to the browser.
	target := strings.Replace(d.URL, "127.0.0.1", "localhost", 1)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id=f method=post action="%s/signin"><input name=key value="%s"><input name=csrf value="x"></form><script>document.getElementById("f").submit()</script>`, target, u.AuthKey)
	}))
	defer evil.Close()
	b := webtest.NewBrowser(t)
	b.Navigate(t, target+"/") // the browser holds ttr's CSRF cookie, as a visitor would
	b.Navigate(t, evil.URL)
	waitUntilB(t, b, `location.href.endsWith("/signin") && document.readyState === "complete"`)
	if got := b.Text(t, "h1"); got != "Form refused" {
		t.Fatalf("cross-site sign-in answered a page titled %q", got)
	}
	b.Navigate(t, target+"/dashboard")
	if loc := b.Location(t); !strings.HasSuffix(loc, "/signin") {
		t.Fatalf("the cross-site post signed the browser in (at %s)", loc)
	}
}

// webClient is a browser-like HTTP client (cookie jar, no redirects followed).
type webClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newWebClient(t *testing.T, base string) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// get fetches a page and returns its status, body and CSRF token.
func (w *webClient) get(path string) (int, string, string) {
	w.t.Helper()
	resp, err := w.c.Get(w.base + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := csrfMeta.FindStringSubmatch(string(b))
	if m == nil {
		return resp.StatusCode, string(b), ""
	}
	return resp.StatusCode, string(b), m[1]
}

// post sends a form (or, with jsonBody, JSON) with extra headers.
func (w *webClient) do(method, path, contentType, body string, hdr map[string]string) *http.Response {
	w.t.Helper()
	req, _ := http.NewRequest(method, w.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := w.c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

const formType = "application/x-www-form-urlencoded"

// TestWebCSRF: form posts need the token, cookie-authenticated API writes need X-CSRF-Token
// and the same origin, X-Auth-Key requests need neither; the key page is never stored.
func TestWebCSRF(t *testing.T) {
	d := startDaemon(t, "")
	u := d.newUser()
	w := newWebClient(t, d.URL)
	_, _, token := w.get("/")
	if token == "" {
		t.Fatal("no CSRF token on the landing page")
	}
	form := func(v url.Values) string { return v.Encode() }
	for _, tc := range []struct {
		name string
		body url.Values
		hdr  map[string]string
		want int
	}{
		{"sign-in without token", url.Values{"key": {u.AuthKey}}, nil, 403},
		{"sign-in with a wrong token", url.Values{"key": {u.AuthKey}, "csrf": {"a.x.y"}}, nil, 403},
		{"sign-in from another origin", url.Values{"key": {u.AuthKey}, "csrf": {token}}, map[string]string{"Origin": "http://evil.example"}, 403},
		{"sign-in from another site (fetch metadata)", url.Values{"key": {u.AuthKey}, "csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"get-a-key without token", url.Values{}, nil, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/signin"
			if strings.HasPrefix(tc.name, "get-a-key") {
				path = "/signup"
			}
			if resp := w.do("POST", path, formType, form(tc.body), tc.hdr); resp.StatusCode != tc.want {
				t.Fatalf("%d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	// The real sign-in.
	resp := w.do("POST", "/signin", formType, form(url.Values{"key": {u.AuthKey}, "csrf": {token}}), nil)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "ttr_session" {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.Secure || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" {
		t.Fatalf("session cookie on plain-HTTP loopback: %+v", sess)
	}
	_, _, token = w.get("/account")
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"without X-CSRF-Token", nil, 403},
		{"with a wrong X-CSRF-Token", map[string]string{"X-CSRF-Token": "nope"}, 403},
		{"from another origin", map[string]string{"X-CSRF-Token": token, "Origin": "http://evil.example"}, 403},
		{"with the token", map[string]string{"X-CSRF-Token": token}, 200},
	} {
		t.Run("API PATCH "+tc.name, func(t *testing.T) {
			if resp := w.do("PATCH", "/api/v1/user", "application/json", `{"theme":"terminal"}`, tc.hdr); resp.StatusCode != tc.want {
				t.Fatalf("%d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	// Reads with the cookie need no token.
	if resp := w.do("GET", "/api/v1/user/me", "", "", nil); resp.StatusCode != 200 {
		t.Fatalf("cookie-authenticated read: %d", resp.StatusCode)
	}
	// A form post without the token is 403 for a signed-in browser too.
	if resp := w.do("POST", "/account/settings", formType, "theme=retro&mode=dark", nil); resp.StatusCode != 403 {
		t.Fatalf("account form without token: %d", resp.StatusCode)
	}
	// X-Auth-Key requests are unaffected: no token, another origin.
	if code := d.api(u.AuthKey, "PATCH", "/api/v1/user", map[string]any{"tz": "Europe/Berlin"}, nil); code != 200 {
		t.Fatalf("X-Auth-Key PATCH: %d", code)
	}
	// Get a key: the page with the key is never stored.
	w2 := newWebClient(t, d.URL)
	_, _, t2 := w2.get("/")
	req, _ := http.NewRequest("POST", d.URL+"/signup", strings.NewReader("csrf="+url.QueryEscape(t2)))
	req.Header.Set("Content-Type", formType)
	resp, err := w2.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("key page: %d, Cache-Control %q, CSP %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Security-Policy"))
	}
}
