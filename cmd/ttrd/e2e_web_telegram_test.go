package main_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ttr-rip/ttr/http/tglogin"
	"github.com/ttr-rip/ttr/http/web/webtest"
)

// e2eBotToken is the test bot's token given to ttrd through the environment; payloads are
// signed with it as Telegram would sign them.
const (
	e2eBotToken = "123456789:AAFake-e2e-bot-token_for-browser-tests"
	e2eBotName  = "ttr_e2e_login_bot"
)

// signedTelegramPayload is what Telegram's widget appends to the callback for Telegram
// account id, confirmed at authDate.
func signedTelegramPayload(id int64, authDate time.Time) url.Values {
	q := url.Values{"id": {strconv.FormatInt(id, 10)}, "first_name": {"Grace"}, "username": {"grace"},
		"auth_date": {strconv.FormatInt(authDate.Unix(), 10)}}
	key := sha256.Sum256([]byte(e2eBotToken))
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte(tglogin.DataCheckString(q)))
	q.Set("hash", hex.EncodeToString(mac.Sum(nil)))
	return q
}

// widgetAuthURL returns the callback the Telegram widget on the current page would send the
// browser to (the script tag's data-auth-url: offline the widget never replaces it).
func widgetAuthURL(t *testing.T, b *webtest.Browser) string {
	t.Helper()
	u := webtest.Run(t, b, chromedp.Evaluate[string](`(() => { const s = document.querySelector("script[data-auth-url]"); return s ? s.dataset.authUrl : "" })()`))
	if u == "" {
		t.Fatal("the Telegram page has no widget with a data-auth-url")
	}
	return u
}

// TestWebTelegramLogin: with Login with Telegram on, both widget pages load in a real browser
// without a CSP violation (their own CSP allows telegram.org's script; offline it fails to
// load, which is a network error) and without serious or critical axe findings in every
// theme × mode; a signed-in user links a Telegram account through the link page's callback,
// signs out, and "Sign in with Telegram" signs them in to the linked account.
func TestWebTelegramLogin(t *testing.T) {
	webtest.ChromePath(t)
	webtest.AxeSource(t)
	d := newDaemon(t, "", []string{"TTR_TELEGRAM_LOGIN_BOT_TOKEN=" + e2eBotToken}, []string{"--telegram-login-bot-name", e2eBotName})
	b := webtest.NewBrowser(t, webtest.Unreachable("telegram.org", "t.me"))

	// Signed out: the sign-in page offers Telegram; its page shows the widget for our bot.
	b.Navigate(t, d.URL+"/signin")
	if !strings.Contains(b.HTML(t), `href="/login/telegram"`) {
		t.Fatal("the sign-in page does not offer Login with Telegram")
	}
	b.Navigate(t, d.URL+"/login/telegram")
	pageCheck(t, b, "/login/telegram")
	if got := webtest.Run(t, b, chromedp.Evaluate[string](`document.querySelector("script[data-telegram-login]").dataset.telegramLogin`)); got != e2eBotName {
		t.Errorf("the widget is for bot %q, want %q", got, e2eBotName)
	}
	if html := b.HTML(t); strings.Contains(html, `name="csrf"`) || strings.Contains(html, "<form") {
		t.Error("the Telegram sign-in page holds a form or CSRF token beside a third-party script")
	}

	// A new user, signed in, links Telegram id 4242 from the link page.
	b.Navigate(t, d.URL+"/")
	b.Submit(t, `form[action="/signup"] button`)
	key := b.Text(t, "#access-key")
	var me map[string]any
	if code := d.api(key, "GET", "/api/v1/user/me", nil, &me); code != 200 {
		t.Fatalf("the new key: %d", code)
	}
	slug := me["user_slug"].(string)
	b.Navigate(t, d.URL+"/account")
	b.Submit(t, `a[href="/account/telegram"]`)
	if loc := b.Location(t); !strings.HasSuffix(loc, "/account/telegram") {
		t.Fatalf("the account page's Telegram link went to %s", loc)
	}
	pageCheck(t, b, "/account/telegram")
	if html := b.HTML(t); strings.Contains(html, key) || strings.Contains(html, slug) || strings.Contains(html, `name="csrf"`) {
		t.Error("the Telegram link page shows the key, the account's slug or a CSRF token beside a third-party script")
	}
	link := widgetAuthURL(t, b)
	if !strings.HasPrefix(link, d.URL+"/account/telegram/callback/") {
		t.Fatalf("link callback %q", link)
	}
	// As the widget redirects after the user confirms in Telegram.
	b.Navigate(t, link+"?"+signedTelegramPayload(4242, time.Now().Add(-10*time.Second)).Encode())
	if got := b.Text(t, "p.notice"); !strings.Contains(got, "is linked") {
		t.Fatalf("after the link callback: notice %q", got)
	}
	pageCheck(t, b, "account page after linking Telegram")

	// Sign out; signed-out pages are refused.
	b.Submit(t, `form[action="/signout"] button`)
	b.Navigate(t, d.URL+"/account")
	if loc := b.Location(t); !strings.HasSuffix(loc, "/signin") {
		t.Fatalf("after signing out, /account went to %s", loc)
	}

	// Sign in with Telegram: the login page's callback with a fresh payload for 4242.
	b.Navigate(t, d.URL+"/login/telegram")
	login := widgetAuthURL(t, b)
	if !strings.HasPrefix(login, d.URL+"/login/telegram/callback/") {
		t.Fatalf("login callback %q", login)
	}
	payload := signedTelegramPayload(4242, time.Now())
	b.Navigate(t, login+"?"+payload.Encode())
	if loc := b.Location(t); !strings.HasSuffix(loc, "/dashboard") {
		t.Fatalf("the Telegram sign-in ended at %s", loc)
	}
	pageCheck(t, b, "dashboard after signing in with Telegram")
	// Signed in to the linked account: the account page is that user's.
	b.Navigate(t, d.URL+"/account")
	if html := b.HTML(t); !strings.Contains(html, slug) || !strings.Contains(html, "4242") {
		t.Errorf("signed in with Telegram, /account does not show the linked user %s and Telegram id 4242", slug)
	}

	// The same payload again (replayed) in another browser is refused and signs nothing in.
	other := webtest.NewBrowser(t, webtest.Unreachable("telegram.org", "t.me"))
	other.Navigate(t, d.URL+"/login/telegram")
	other.Navigate(t, widgetAuthURL(t, other)+"?"+payload.Encode())
	if got := other.Text(t, "h1"); strings.Contains(got, "Dashboard") {
		t.Error("a replayed payload signed another browser in")
	}
	other.Navigate(t, d.URL+"/account")
	if loc := other.Location(t); !strings.HasSuffix(loc, "/signin") {
		t.Errorf("after a replayed payload, /account went to %s", loc)
	}
	// No payload value reached the daemon's log.
	logs := d.logs.String()
	for _, secret := range []string{payload.Get("hash"), "grace", "id=4242"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
