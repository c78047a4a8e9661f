package main_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ttr-rip/ttr/http/web/webtest"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// signIn signs browser b in with key and expects the dashboard.
func signIn(t *testing.T, b *webtest.Browser, base, key string) {
	t.Helper()
	b.Navigate(t, base+"/signin")
	b.Do(t, sendKeys("#key", key))
	b.Submit(t, `form[action="/signin"] button`)
	if loc := b.Location(t); !strings.HasSuffix(loc, "/dashboard") {
		t.Fatalf("sign-in ended at %s", loc)
	}
}

func sendKeys(css, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(css), text, chromedp.NodeVisible)
}

// clearAndType replaces an input's value the way a user would.
func clearAndType(css, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.querySelector(%q).value = ""; return true })()`, css))(ctx, t)
		return err
	}), sendKeys(css, text))
}

// setSelect chooses an option and fires the change event, as a user's choice does.
func setSelect(css, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, css, value))(ctx, t)
		return err
	})
}

// waitUntilB polls a JavaScript condition in the browser's page for up to 10 s.
func waitUntilB(t *testing.T, b *webtest.Browser, cond string) {
	t.Helper()
	waittest.Until(t, 10*time.Second, "browser condition "+cond, func() bool {
		ok, err := tryEval(b, cond)
		return err == nil && ok
	})
}

func tryEval(b *webtest.Browser, cond string) (bool, error) {
	return b.Try(chromedp.Evaluate[bool](cond))
}
