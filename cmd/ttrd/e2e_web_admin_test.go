package main_test

import (
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/http/web/webtest"
)

// TestWebAdminDisablesUser: an admin made with `ttrd admin create` signs in to the admin
// pages in a real browser, disables a user on the users page, and the user's browser session
// and key are refused with 403 at once; every admin page passes the CSP and axe checks in
// every theme; failed admin sign-ins reach the per-address 429.
func TestWebAdminDisablesUser(t *testing.T) {
	webtest.ChromePath(t)
	webtest.AxeSource(t)
	d := startDaemon(t, "", "--limit-auth-fail", "5")
	const pw = "admin password for the web"
	if out, code := adminRun(t, "", []string{"TTR_ADMIN_PASSWORD=" + pw}, "create", "--username", "root", "--data-dir", d.dataDir); code != 0 {
		t.Fatalf("admin create: %d %s", code, out)
	}

	// A user signs up in their browser.
	u := webtest.NewBrowser(t)
	u.Navigate(t, d.URL+"/")
	u.Submit(t, `form[action="/signup"] button`)
	key := u.Text(t, "#access-key")
	var me map[string]any
	if code := d.api(key, "GET", "/api/v1/user/me", nil, &me); code != 200 {
		t.Fatalf("the new key: %d", code)
	}
	slug := me["user_slug"].(string)

	// The admin signs in.
	a := webtest.NewBrowser(t)
	a.Navigate(t, d.URL+"/admin")
	if loc := a.Location(t); !strings.HasSuffix(loc, "/admin/login") {
		t.Fatalf("/admin signed out went to %s", loc)
	}
	pageCheck(t, a, "admin sign-in")
	a.Do(t, sendKeys("#username", "root"), sendKeys("#password", pw))
	a.Submit(t, `form[action="/admin/login"] button`)
	if loc := a.Location(t); !strings.HasSuffix(loc, "/admin") {
		t.Fatalf("admin sign-in ended at %s", loc)
	}
	pageCheck(t, a, "admin overview")
	for _, p := range []string{"/admin/checks", "/admin/nodes", "/admin/users"} {
		a.Navigate(t, d.URL+p)
		pageCheck(t, a, p)
	}

	// Disable the user: their session and key are refused.
	a.Submit(t, `button[aria-label="Disable user `+slug+`"]`)
	if got := a.Text(t, "p.notice"); !strings.Contains(got, "disabled") {
		t.Fatalf("after disabling: notice %q", got)
	}
	pageCheck(t, a, "users page after disabling")
	u.Navigate(t, d.URL+"/account")
	if got := u.Text(t, "h1"); got != "Forbidden" {
		t.Errorf("the disabled user's /account: heading %q, want Forbidden", got)
	}
	if code := d.api(key, "GET", "/api/v1/checks", nil, nil); code != 403 {
		t.Errorf("the disabled user's key: %d, want 403", code)
	}
	// Enable again: they are back.
	a.Submit(t, `button[aria-label="Enable user `+slug+`"]`)
	u.Navigate(t, d.URL+"/account")
	if loc := u.Location(t); !strings.HasSuffix(loc, "/account") {
		t.Errorf("the enabled user's /account went to %s", loc)
	}
	if code := d.api(key, "GET", "/api/v1/checks", nil, nil); code != 200 {
		t.Errorf("the enabled user's key: %d", code)
	}
	// The admin session opens /metrics on the public listener.
	a.Navigate(t, d.URL+"/metrics")
	if !strings.Contains(a.HTML(t), "ttr_") {
		t.Error("/metrics in the admin's browser shows no ttr metric")
	}

	// Failed sign-ins from one address reach 429 (after 5 a minute).
	w := newWebClient(t, d.URL)
	_, _, token := w.get("/admin/login")
	limited := false
	for i := range 8 {
		resp := w.do("POST", "/admin/login", formType, url.Values{"username": {"root"}, "password": {"wrong " + string(rune('a'+i))}, "csrf": {token}}.Encode(), nil)
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, resp.StatusCode)
		}
	}
	if !limited {
		t.Error("eight wrong admin passwords were never answered 429")
	}
}

// TestWebAccountReadOnlyToken: a read-only token made on the account page in a real browser
// is shown once; curl reads with it, and a create is refused with 403 naming the missing
// scope.
func TestWebAccountReadOnlyToken(t *testing.T) {
	webtest.ChromePath(t)
	webtest.AxeSource(t)
	d := startDaemon(t, "")
	b := webtest.NewBrowser(t)
	b.Navigate(t, d.URL+"/")
	b.Submit(t, `form[action="/signup"] button`)
	b.Navigate(t, d.URL+"/account")
	b.Do(t, sendKeys("#token-name", "ci reader"))
	b.Submit(t, `form[action="/account/tokens"] button[type="submit"]`)
	token := b.Text(t, "#new-token")
	if !strings.HasPrefix(token, "ttr_ro_") {
		t.Fatalf("the account page shows token %q", token)
	}
	pageCheck(t, b, "account page with a new token")
	b.Navigate(t, d.URL+"/account")
	if strings.Contains(b.HTML(t), token) {
		t.Fatal("the token is shown again")
	}

	// The token in curl, as a CI job would use it.
	curlBin, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("this test uses the token with curl, as the docs do: install curl")
	}
	curl := func(method, path, body string) (int, string) {
		args := []string{"-sS", "-X", method, "-H", "Authorization: Bearer " + token, "-w", "\n%{http_code}", d.URL + path}
		if body != "" {
			args = append(args, "-H", "Content-Type: application/json", "--data-raw", body)
		}
		out, err := exec.Command(curlBin, args...).Output()
		if err != nil {
			t.Fatalf("curl %s %s: %v", method, path, err)
		}
		text := strings.TrimRight(string(out), "\n")
		i := strings.LastIndexByte(text, '\n')
		code, _ := strconv.Atoi(text[i+1:])
		return code, text[:max(i, 0)]
	}
	if code, body := curl("GET", "/api/v1/checks", ""); code != 200 {
		t.Fatalf("read with the token: %d %s", code, body)
	}
	if code, body := curl("POST", "/api/v1/checks", `{"name":"nope","interval_seconds":60}`); code != 403 || !strings.Contains(body, `lacks the \"write\" scope`) {
		t.Fatalf("create with the read-only token: %d %s", code, body)
	}
	// The activity section shows the token's making and its first use.
	b.Navigate(t, d.URL+"/account")
	html := b.HTML(t)
	if !strings.Contains(html, "token_create") || !strings.Contains(html, "curl") {
		t.Error("the activity section shows neither the token's making nor its use with curl")
	}
}
