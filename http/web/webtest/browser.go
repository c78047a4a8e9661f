package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ttr-rip/ttr/messages/waittest"
)

// browserNames are the executables looked for on PATH, in order.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// ChromePath returns the browser to drive: $TTR_CHROME, else the first of browserNames on
// PATH. Without one the test is skipped, or fails when CI is set.
func ChromePath(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("TTR_CHROME"); p != "" {
		return p
	}
	for _, n := range browserNames {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("no Chromium found (set TTR_CHROME or install chromium: .ci/ensure-chromium)")
	}
	tb.Skip("no Chromium found (set TTR_CHROME or install chromium: .ci/ensure-chromium)")
	return ""
}

// Browser is one headless browser process with its own profile: its cookies are its own, so
// two Browsers are two users' machines.
type Browser struct {
	tb     testing.TB
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	problems []string // CSP violations and script errors, with the page they happened on
}

// bindingName is the function the page calls (through a CDP binding, outside the page's CSP)
// to report a securitypolicyviolation event.
const bindingName = "__ttrReportCSP"

// reportCSP runs in every document before its own scripts.
const reportCSP = `document.addEventListener("securitypolicyviolation", (e) => {
  window.` + bindingName + `(JSON.stringify({directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, page: location.href}));
});`

// NewBrowser starts a browser; it is closed when the test ends. Options are added to the
// defaults (for example Unreachable).
func NewBrowser(tb testing.TB, extra ...chromedp.ExecAllocatorOption) *Browser {
	tb.Helper()
	exe := ChromePath(tb)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extra...)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &Browser{tb: tb}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	b.cancel = func() { cancel(); acancel() }
	tb.Cleanup(b.cancel)
	// The first action starts the browser and binds it to the context it is given: that must
	// be the browser's own context, not one with a deadline.
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, runtime.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, log.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, runtime.AddBinding, runtime.AddBindingParams{Name: bindingName}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: reportCSP}); err != nil {
			return err
		}
		// The pages honour prefers-reduced-motion by dropping their transitions; with it, a
		// theme switch takes effect at once, so axe never samples a colour halfway between two
		// themes.
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
		})
		return err
	}))
	if err != nil {
		tb.Fatalf("start browser %s: %v", exe, err)
	}
	return b
}

// Unreachable makes the browser fail to resolve each host and its subdomains at once, as
// it would offline: a test of a page that loads a third-party resource then does not depend
// on the network, and the resource's failure is a network error, never a CSP violation.
func Unreachable(hosts ...string) chromedp.ExecAllocatorOption {
	rules := make([]string, 0, 2*len(hosts))
	for _, h := range hosts {
		rules = append(rules, "MAP "+h+" ~NOTFOUND", "MAP *."+h+" ~NOTFOUND")
	}
	return chromedp.Flag("host-resolver-rules", strings.Join(rules, ", "))
}

// listen records what the browser reports against pages.
func (b *Browser) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventBindingCalled:
		if ev.Name == bindingName {
			p = "CSP violation: " + ev.Payload
		}
	case *runtime.EventExceptionThrown:
		if d := ev.ExceptionDetails; d != nil {
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			p = fmt.Sprintf("script error at %s:%d: %s", d.URL, d.LineNumber, msg)
		}
	case *log.EventEntryAdded:
		if e := ev.Entry; e != nil && (strings.Contains(e.Text, "Content Security Policy") || e.Source == "security") {
			p = "browser log (" + string(e.Source) + "): " + e.Text
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// Problems returns what the browser reported so far and forgets it.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// NoProblems fails the test when the browser reported a CSP violation or a script error.
func (b *Browser) NoProblems(tb testing.TB, where string) {
	tb.Helper()
	// Reports arrive as events; give those of the last page a moment to land.
	time.Sleep(100 * time.Millisecond)
	for _, p := range b.Problems() {
		tb.Errorf("%s: %s", where, p)
	}
}

// Do runs actions in the browser's tab with a deadline.
func (b *Browser) Do(tb testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatalf("browser: %v", err)
	}
}

// Run runs one action that returns a value.
func Run[T any](tb testing.TB, b *Browser, a chromedp.Action[T]) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.Fatalf("browser: %v", err)
	}
	return v
}

// Location returns the tab's URL.
func (b *Browser) Location(tb testing.TB) string {
	tb.Helper()
	return Run(tb, b, chromedp.Location())
}

// Text returns the text of the first element matching the CSS selector.
func (b *Browser) Text(tb testing.TB, css string) string {
	tb.Helper()
	return strings.TrimSpace(Run(tb, b, chromedp.TextContent(chromedp.CSS(css))))
}

// HTML returns the whole document.
func (b *Browser) HTML(tb testing.TB) string {
	tb.Helper()
	return Run(tb, b, chromedp.OuterHTML(chromedp.CSS("html")))
}

// Submit clicks the button matching the CSS selector and waits for the next page's body.
func (b *Browser) Submit(tb testing.TB, css string) {
	tb.Helper()
	before := b.navigationID(tb)
	b.Do(tb, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
	b.waitNavigated(tb, before)
}

// Navigate opens url and waits for its body.
func (b *Browser) Navigate(tb testing.TB, url string) {
	tb.Helper()
	b.Do(tb, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// navigationID is a value that changes with each document the tab loads.
func (b *Browser) navigationID(tb testing.TB) string {
	tb.Helper()
	return Run(tb, b, chromedp.Evaluate[string](`(window.__ttrNav ??= Math.random().toString(36))`))
}

// waitNavigated waits until the tab shows a new, loaded document.
func (b *Browser) waitNavigated(tb testing.TB, before string) {
	tb.Helper()
	waittest.Until(tb, 20*time.Second, "the page to navigate", func() bool {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		defer cancel()
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "complete" ? (window.__ttrNav ??= Math.random().toString(36)) : ""`))
		return err == nil && id != "" && id != before
	})
}

// Try runs an action that returns a bool without failing the test (for polling).
func (b *Browser) Try(a chromedp.Action[bool]) (bool, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	return chromedp.Run(ctx, a)
}
