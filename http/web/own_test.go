package web_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/adminauth"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/siteadmin"
	"github.com/ttr-rip/ttr/http/tglogin"
	"github.com/ttr-rip/ttr/http/web"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
)

// testBotToken is the bot token of the tests' Login with Telegram.
const testBotToken = "123456789:AAtestTESTtestTESTtestTESTtest_123"

// noChecks is a check deleter for users without checks.
type noChecks struct{}

func (noChecks) Delete(context.Context, int64, int64, []int64) error { return nil }

// full is an edge with every part of the pages: admin pages, credential sections, Login with
// Telegram, on the real embedded store.
type full struct {
	srv   *httptest.Server
	store *sqlite.Store
	now   time.Time
	logs  *lockedBuffer // every log line of the pages and the edge, at Debug
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newFull(t *testing.T) *full {
	t.Helper()
	st := sqlitetest.Open(t)
	ring, _ := keyring.Parse("k1:"+keyring.NewKey(), strings.Repeat("s", 32))
	f := &full{store: st, now: time.Now(), logs: &lockedBuffer{}}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sessions, err := session.New(session.DefaultConfig(), session.Deps{Store: st, Admins: st, Index: ring.Index, CSRFKey: []byte(strings.Repeat("c", 32))})
	if err != nil {
		t.Fatal(err)
	}
	accounts, _ := account.New(account.Deps{Store: st, Checks: noChecks{}, Users: st, Keys: st, Ring: ring, Sessions: sessions})
	rec, err := activity.New(activity.DefaultConfig(), activity.Deps{Store: st, IPKey: ring.Derive(activity.LabelIPHash)})
	if err != nil {
		t.Fatal(err)
	}
	verifier, _ := adminauth.NewVerifier(adminauth.DefaultParams)
	keys := ring.DeriveAll(adminauth.KeyLabel)
	tokens, _ := adminauth.New(adminauth.DefaultConfig(), adminauth.Keys{Sign: keys[0], Verify: keys}, nil)
	site, err := siteadmin.New(siteadmin.Deps{Store: st, Checks: noChecks{}, Verifier: verifier, Activity: rec, Sessions: sessions})
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := tglogin.New(testBotToken)
	pages, err := web.New(web.Config{PublicURL: "http://127.0.0.1", FormLimit: 8 << 10}, web.Deps{
		Sessions: sessions, Accounts: accounts, Activity: rec, Credentials: st, Logger: log,
		Admin:    &web.AdminDeps{Site: site},
		Telegram: &web.TelegramDeps{BotName: "ttr_test_bot", Verifier: tg, Store: st},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := ttrhttp.NewServer(ttrhttp.DefaultConfig(), ttrhttp.Deps{Store: st, Ring: ring, Logger: log, Sessions: sessions, Accounts: accounts, Pages: pages,
		Credentials: st, Activity: rec, Admin: &ttrhttp.AdminDeps{Store: st, Tokens: tokens, Verifier: verifier, Metrics: prometheus.NewRegistry(), Site: site}}).Handler()
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// client is a browser without JavaScript: a cookie jar, no redirects followed.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (f *full) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: f.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, hdr map[string]string) (int, http.Header, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (c *client) get(path string) (int, http.Header, string) { return c.do("GET", path, nil, nil) }

var csrfFieldRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formToken is the CSRF token of the form posting to action on the page at path.
func (c *client) formToken(path, action string) string {
	c.t.Helper()
	_, _, body := c.get(path)
	i := strings.Index(body, `action="`+action+`"`)
	if i < 0 {
		c.t.Fatalf("%s has no form to %s:\n%s", path, action, body)
	}
	m := csrfFieldRE.FindStringSubmatch(body[i:])
	if m == nil {
		c.t.Fatalf("the form to %s has no CSRF token", action)
	}
	return m[1]
}

// post sends the form on page to action with its CSRF token.
func (c *client) post(page, action string, form url.Values) (int, http.Header, string) {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.formToken(page, action))
	return c.do("POST", action, form, nil)
}

var keyShownRE = regexp.MustCompile(`id="access-key">([^<]+)<`)

// signUp gets a new key in c and returns it (c is signed in).
func (c *client) signUp() string {
	c.t.Helper()
	code, _, body := c.post("/", "/signup", nil)
	m := keyShownRE.FindStringSubmatch(body)
	if code != 200 || m == nil {
		c.t.Fatalf("sign-up: %d", code)
	}
	return m[1]
}

func (c *client) api(key, method, path, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if strings.HasPrefix(key, "ttr_") {
		req.Header.Set("Authorization", "Bearer "+key)
	} else {
		req.Header.Set("X-Auth-Key", key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustCSP(t *testing.T, h http.Header, want string) {
	t.Helper()
	if got := h.Get("Content-Security-Policy"); got != want {
		t.Errorf("CSP %q, want %q", got, want)
	}
}

// TestAdminPagesDisableUser: an admin signs in at /admin/login (a wrong password is refused),
// lists users, disables one — whose browser session and key are refused with 403 at once —
// enables them again, deletes another, and reads /metrics with the admin session.
func TestAdminPagesDisableUser(t *testing.T) {
	f := newFull(t)
	ctx := context.Background()
	hash, _ := adminauth.HashPassword("correct horse battery", adminauth.DefaultParams)
	if err := f.store.CreateAdmin(ctx, &persistence.Admin{Username: "root", PasswordHash: hash, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	user := f.client(t)
	key := user.signUp()
	other := f.client(t)
	other.signUp()

	adm := f.client(t)
	if code, h, _ := adm.get("/admin/users"); code != 303 || h.Get("Location") != "/admin/login" {
		t.Fatalf("signed out: %d %s", code, h.Get("Location"))
	}
	if code, _, _ := adm.get("/metrics"); code != 401 {
		t.Fatalf("/metrics without a credential: %d", code)
	}
	code, h, body := adm.post("/admin/login", "/admin/login", url.Values{"username": {"root"}, "password": {"wrong password"}})
	if code != 401 || !strings.Contains(body, "Wrong username or password") {
		t.Fatalf("wrong password: %d", code)
	}
	mustCSP(t, h, web.CSP)
	if code, h, _ = adm.post("/admin/login", "/admin/login", url.Values{"username": {"root"}, "password": {"correct horse battery"}}); code != 303 || h.Get("Location") != "/admin" {
		t.Fatalf("sign-in: %d %s", code, h.Get("Location"))
	}
	for _, p := range []string{"/admin", "/admin/users", "/admin/checks?q=x", "/admin/nodes"} {
		code, h, body := adm.get(p)
		if code != 200 || inlineRE.MatchString(body) {
			t.Fatalf("%s: %d (inline code: %q)", p, code, inlineRE.FindString(body))
		}
		mustCSP(t, h, web.CSP)
	}
	if code, _, body := adm.get("/metrics"); code != 200 || !strings.Contains(body, "# ") && body != "" {
		t.Fatalf("/metrics with the admin session: %d", code)
	}
	// A user's session is no admin session.
	if code, _, _ := user.get("/admin"); code != 303 {
		t.Fatalf("a user at /admin: %d", code)
	}

	users, err := f.store.ListUsers(ctx, 0, 10)
	if err != nil || len(users) != 2 {
		t.Fatalf("users %v %v", users, err)
	}
	u := users[0]
	action := "/admin/users/" + strconv.FormatInt(u.ID, 10)
	// A forged token, or none, is refused.
	if code, _, _ := adm.do("POST", action+"/disable", url.Values{"csrf": {"forged"}}, nil); code != 403 {
		t.Fatalf("disable with a forged token: %d", code)
	}
	if code, _, body := adm.post("/admin/users", action+"/disable", nil); code != 200 || !strings.Contains(body, "is disabled") {
		t.Fatalf("disable: %d", code)
	}
	if code, _, _ := user.get("/account"); code != 403 {
		t.Errorf("the disabled user's session at /account: %d, want 403", code)
	}
	if code, _ := user.api(key, "GET", "/api/v1/user/me", ""); code != 403 {
		t.Errorf("the disabled user's key: %d, want 403", code)
	}
	if code, _, _ := user.do("GET", "/api/v1/user/me", nil, nil); code != 403 {
		t.Errorf("the disabled user's session on the API: %d, want 403", code)
	}
	if code, _, _ := adm.post("/admin/users", action+"/enable", nil); code != 200 {
		t.Fatalf("enable: %d", code)
	}
	if code, _, _ := user.get("/account"); code != 200 {
		t.Errorf("the enabled user's session: %d", code)
	}

	// Delete needs the slug typed.
	o := users[1]
	del := "/admin/users/" + strconv.FormatInt(o.ID, 10) + "/delete"
	if code, _, _ := adm.post("/admin/users", del, url.Values{"slug": {o.Slug}, "confirm": {"nope"}}); code != 400 {
		t.Fatalf("delete unconfirmed: %d", code)
	}
	if code, _, _ := adm.post("/admin/users", del, url.Values{"slug": {o.Slug}, "confirm": {o.Slug}}); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code, _, _ := other.get("/account"); code != 303 {
		t.Errorf("the deleted user's session: %d, want a redirect to sign in", code)
	}
	// Every action is in the activity log.
	rows, _ := f.store.ListAllAudit(ctx, 0, 100)
	var actions []string
	for _, e := range rows {
		if e.Event == activity.EventAdmin {
			actions = append(actions, e.Reason)
		}
	}
	if strings.Join(actions, ",") != "delete user,enable user,disable user" {
		t.Errorf("admin actions logged: %v", actions)
	}
	// Sign out: the pages and /metrics close.
	if code, _, _ := adm.post("/admin", "/admin/logout", nil); code != 303 {
		t.Fatalf("sign out: %d", code)
	}
	if code, _, _ := adm.get("/metrics"); code != 401 {
		t.Errorf("/metrics after sign-out: %d", code)
	}
}

var newTokenRE = regexp.MustCompile(`id="new-token">(ttr_[a-z]+_[A-Za-z0-9_-]+)<`)

// TestAccountTokens: a read-only token made on the account page is shown once, reads, is
// refused a create with 403 naming the scope, and stops working when revoked; key networks
// block the key; the activity section lists sign-in, token and network events.
func TestAccountTokens(t *testing.T) {
	f := newFull(t)
	c := f.client(t)
	key := c.signUp()
	code, _, body := c.post("/account", "/account/tokens", url.Values{"name": {"ci"}, "scope": {"read"}, "expires_days": {"30"}})
	m := newTokenRE.FindStringSubmatch(body)
	if code != 201 || m == nil || !strings.HasPrefix(m[1], "ttr_ro_") {
		t.Fatalf("make a token: %d %v", code, m)
	}
	token := m[1]
	if _, _, again := c.get("/account"); strings.Contains(again, token) {
		t.Fatal("the token is shown again")
	}
	if code, _ := c.api(token, "GET", "/api/v1/checks", ""); code != 200 {
		t.Fatalf("read with the token: %d", code)
	}
	if code, body := c.api(token, "POST", "/api/v1/checks", `{"name":"x","interval_seconds":60}`); code != 403 || !strings.Contains(body, `\"write\"`) && !strings.Contains(body, `"write"`) {
		t.Fatalf("create with a read token: %d %s", code, body)
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want int
	}{
		{"no scope", url.Values{"name": {"x"}}, 400},
		{"no name", url.Values{"scope": {"read"}}, 400},
		{"bad expiry", url.Values{"name": {"x"}, "scope": {"read"}, "expires_days": {"0"}}, 400},
		{"bad network", url.Values{"name": {"x"}, "scope": {"read"}, "networks": {"not a cidr"}}, 400},
		{"unknown scope", url.Values{"name": {"x"}, "scope": {"admin"}}, 400},
	} {
		if code, _, _ := c.post("/account", "/account/tokens", tc.form); code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	// Revoke.
	_, _, page := c.get("/account")
	rm := regexp.MustCompile(`action="(/account/tokens/\d+/revoke)"`).FindStringSubmatch(page)
	if rm == nil {
		t.Fatal("no revoke form")
	}
	if code, _, _ := c.post("/account", rm[1], nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if code, body := c.api(token, "GET", "/api/v1/checks", ""); code != 401 || !strings.Contains(body, "revoked") {
		t.Fatalf("a revoked token: %d %s", code, body)
	}
	// Key networks: the key works only from them (the test client is 127.0.0.1).
	if code, _, _ := c.post("/account", "/account/key-networks", url.Values{"networks": {"10.0.0.0/8"}}); code != 200 {
		t.Fatalf("set networks: %d", code)
	}
	if code, _ := c.api(key, "GET", "/api/v1/checks", ""); code != 403 {
		t.Fatalf("the key from outside its networks: %d", code)
	}
	if code, _, _ := c.post("/account", "/account/key-networks", url.Values{"networks": {""}}); code != 200 {
		t.Fatalf("clear networks: %d", code)
	}
	if code, _ := c.api(key, "GET", "/api/v1/checks", ""); code != 200 {
		t.Fatalf("the key after clearing networks: %d", code)
	}
	// Activity.
	_, _, page = c.get("/account")
	for _, ev := range []string{"key_create", "token_create", "token_revoke", "key_networks"} {
		if !strings.Contains(page, "<td>"+ev+"</td>") {
			t.Errorf("activity section lacks %s", ev)
		}
	}
	// Sign out and in with the key: both recorded; the rotated key refused with its message.
	if code, _, _ := c.post("/account", "/signout", nil); code != 303 {
		t.Fatalf("sign out: %d", code)
	}
	if code, _, _ := c.post("/signin", "/signin", url.Values{"key": {key}}); code != 303 {
		t.Fatalf("sign in: %d", code)
	}
	code, _, body = c.post("/account", "/account/key", nil)
	if k := keyShownRE.FindStringSubmatch(body); code != 200 || k == nil {
		t.Fatalf("rotate: %d", code)
	}
	if code, body := c.api(key, "GET", "/api/v1/checks", ""); code != 401 || !strings.Contains(body, "rotated") {
		t.Fatalf("the rotated key: %d %s", code, body)
	}
	_, _, page = c.get("/account")
	for _, ev := range []string{"sign_out", "sign_in", "key_rotate"} {
		if !strings.Contains(page, "<td>"+ev+"</td>") {
			t.Errorf("activity section lacks %s", ev)
		}
	}
}

// telegramPayload is what Telegram's widget sends for id at authDate, signed with the test
// bot's token.
func telegramPayload(id int64, authDate time.Time) url.Values {
	q := url.Values{"id": {strconv.FormatInt(id, 10)}, "first_name": {"Ada"}, "username": {"ada"}, "auth_date": {strconv.FormatInt(authDate.Unix(), 10)}}
	key := sha256.Sum256([]byte(testBotToken))
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte(tglogin.DataCheckString(q)))
	q.Set("hash", hex.EncodeToString(mac.Sum(nil)))
	return q
}

var authURLRE = regexp.MustCompile(`data-auth-url="[^"]*(/(?:login|account)/telegram/callback/[^"]+)"`)

// callbackPath opens the Telegram page at page in c and returns its callback path.
func (c *client) callbackPath(page string) string {
	c.t.Helper()
	code, h, body := c.get(page)
	m := authURLRE.FindStringSubmatch(body)
	if code != 200 || m == nil {
		c.t.Fatalf("%s: %d, no auth URL", page, code)
	}
	mustCSP(c.t, h, web.TelegramCSP)
	if strings.Contains(body, `name="csrf"`) || strings.Contains(body, "csrf-token") {
		c.t.Errorf("%s carries a CSRF token beside a third-party script", page)
	}
	return m[1]
}

// TestTelegramLogin: linking needs a session; a linked account signs in with a valid
// payload once; tampered, stale, replayed payloads and another browser's state are refused.
func TestTelegramLogin(t *testing.T) {
	f := newFull(t)
	now := time.Now()

	// Linking needs a session.
	anon := f.client(t)
	if _, h, body := anon.get("/signin"); !strings.Contains(body, `href="/login/telegram"`) || strings.Contains(body, "telegram.org") {
		t.Error("the sign-in page must offer Telegram without loading its script")
	} else {
		mustCSP(t, h, web.CSP)
	}
	if code, h, _ := anon.get("/account/telegram"); code != 303 || h.Get("Location") != "/signin" {
		t.Fatalf("the link page signed out: %d %s", code, h.Get("Location"))
	}
	if code, h, _ := anon.get("/account/telegram/callback/x?" + telegramPayload(42, now).Encode()); code != 303 || h.Get("Location") != "/signin" {
		t.Fatalf("the link callback signed out: %d %s", code, h.Get("Location"))
	}

	// A signed-in user links Telegram id 42.
	owner := f.client(t)
	owner.signUp()
	if _, _, page := owner.get("/account"); !strings.Contains(page, `href="/account/telegram"`) || strings.Contains(page, "telegram.org") {
		t.Fatal("the account page must link to the Telegram page and load no Telegram script")
	}
	link := owner.callbackPath("/account/telegram")
	if code, _, body := owner.get(link + "?" + telegramPayload(42, now).Encode()); code != 200 || !strings.Contains(body, "is linked") {
		t.Fatalf("link: %d", code)
	}

	// Sign in with Telegram in another browser.
	b := f.client(t)
	cb := b.callbackPath("/login/telegram")
	valid := telegramPayload(42, now.Add(-time.Minute))
	tampered := telegramPayload(42, now.Add(-time.Minute))
	tampered.Set("id", "43")
	for _, tc := range []struct {
		name string
		path string
		want int
	}{
		{"tampered", cb + "?" + tampered.Encode(), 401},
		{"stale", cb + "?" + telegramPayload(42, now.Add(-6*time.Minute)).Encode(), 401},
		{"another browser's state", link + "?" + telegramPayload(42, now).Encode(), 303}, // the link callback: b is signed out
		{"not linked", cb + "?" + telegramPayload(7, now).Encode(), 401},
		{"valid", cb + "?" + valid.Encode(), 303},
		{"replayed", cb + "?" + valid.Encode(), 401},
	} {
		code, h, _ := b.get(tc.path)
		if code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
		if tc.name == "valid" && h.Get("Location") != "/dashboard" {
			t.Errorf("valid: to %s", h.Get("Location"))
		}
	}
	if code, _, _ := b.get("/account"); code != 200 {
		t.Fatalf("signed in with Telegram: /account %d", code)
	}
	// A state made for one browser does not work in another.
	c := f.client(t)
	if code, _, _ := c.get(cb + "?" + telegramPayload(42, now).Encode()); code != 401 {
		t.Errorf("another browser's login state: %d, want 401", code)
	}
	// No payload value reached the logs, though refusals were logged.
	logs := f.logs.String()
	if !strings.Contains(logs, "telegram payload refused") {
		t.Error("refused payloads are not logged")
	}
	for _, secret := range []string{valid.Get("hash"), tampered.Get("hash"), "Ada", "username=ada", "id=42"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold %q", secret)
		}
	}
	// Unlink: Telegram no longer signs in.
	if code, _, _ := owner.post("/account", "/account/telegram/unlink", nil); code != 200 {
		t.Fatalf("unlink: %d", code)
	}
	d := f.client(t)
	cb = d.callbackPath("/login/telegram")
	if code, _, _ := d.get(cb + "?" + telegramPayload(42, now).Encode()); code != 401 {
		t.Errorf("after unlinking: %d, want 401", code)
	}
}
