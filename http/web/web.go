package web

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/statuspage"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

//go:embed templates
var templateFS embed.FS

// CSP is the Content-Security-Policy of every HTML page: no inline script or style, nothing
// from another origin, no framing, forms only to ttr itself.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Config configures the pages.
type Config struct {
	// PublicURL is ttr's public base URL (shown in ping URLs, and named when cookies cannot
	// work on the address a browser used).
	PublicURL string
	// FormLimit caps form bodies (413 beyond).
	FormLimit int64
	// Quotas bound what one user may own (the account page's API tokens); zero = unlimited.
	Quotas limit.Quotas
}

// Deps are the pages' collaborators.
type Deps struct {
	Sessions *session.Manager
	Accounts *account.Service
	// Limits holds the client-IP allowances the pages take: sign-up ("Get a new key") and the
	// public status pages' requests (--limit-api-ip); nil = none.
	Limits *limit.Limits
	// Admin serves the admin pages (/admin/…); nil = none.
	Admin *AdminDeps
	// Activity records sign-ins, sign-outs and account changes made in the pages; nil =
	// none.
	Activity *activity.Recorder
	// Credentials holds API tokens, key networks and the activity log (the account page's
	// sections); nil = those sections are not shown.
	Credentials Credentials
	// Telegram is Login with Telegram; nil = off.
	Telegram *TelegramDeps
	// Transfer exports and imports checks (the account page's "Export and import"); nil =
	// the section is not shown. It needs Ring.
	Transfer Transfer
	// Ring seals the import preview's confirmation token (transfer.go).
	Ring   *keyring.Ring
	Logger *slog.Logger
	Now    func() time.Time
	// StatusPages serves status pages and their editor; nil = neither.
	StatusPages *statuspage.Service
}

// Pages is the web UI. It implements ttrhttp.Pages.
type Pages struct {
	cfg    Config
	d      Deps
	log    *slog.Logger
	assets *assets
	pages  map[string]*template.Template
	// api serves the edge's routes in-process (UseAPI; see apicall.go).
	api http.Handler
}

var _ ttrhttp.Pages = (*Pages)(nil)

// pageNames are the templates under templates/ that render a whole page in the shell.
var pageNames = []string{"landing", "signin", "key", "dashboard", "account", "error", "checkform", "checkdelete", "import", "check", "integrations"}

// New parses the templates and loads the assets.
func New(cfg Config, d Deps) (*Pages, error) {
	if d.Sessions == nil || d.Accounts == nil {
		return nil, errors.New("web: Sessions and Accounts are required")
	}
	if d.Transfer != nil && d.Ring == nil {
		return nil, errors.New("web: Transfer needs Ring")
	}
	if cfg.FormLimit <= 0 {
		cfg.FormLimit = 16 << 10
	}
	p := &Pages{cfg: cfg, d: d, log: d.Logger, pages: map[string]*template.Template{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.d.Now == nil {
		p.d.Now = time.Now
	}
	var err error
	if p.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"asset":  p.assets.url,
		"themes": func() []string { return account.Themes },
		"modes":  func() []string { return account.Modes },
		"title":  func(s string) string { return strings.ToUpper(s[:1]) + s[1:] },
		"when":   when,
		"list":   func(s ...string) []string { return s },
		"join":   strings.Join,
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
	}
	maps.Copy(funcs, p.transferFuncs())
	for _, name := range pageNames {
		// A page's sections in files of their own, templates/<page>_*.html, come with it.
		parts, err := fs.Glob(templateFS, "templates/"+name+"_*.html")
		if err != nil {
			return nil, err
		}
		files := append([]string{"templates/layout.html", "templates/" + name + ".html"}, parts...)
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, err
		}
		p.pages[name] = t
	}
	if err := p.parseOwnPages(funcs); err != nil {
		return nil, err
	}
	return p, nil
}

// Routes lists the UI's routes.
func (p *Pages) Routes() []ttrhttp.PageRoute {
	get, post := http.MethodGet, http.MethodPost
	r := func(method, pattern string, h http.HandlerFunc) ttrhttp.PageRoute {
		return ttrhttp.PageRoute{Method: method, Pattern: pattern, Handler: h}
	}
	var own []ttrhttp.PageRoute
	for _, d := range p.ownRoutes() {
		own = append(own, r(d.method, d.pattern, d.h))
	}
	own = append(own, p.transferRoutes()...)
	return append(own, []ttrhttp.PageRoute{
		r(get, "/", p.landing),
		r(post, "/signup", p.form(p.signup, false)),
		r(get, "/signin", p.signinPage),
		r(post, "/signin", p.form(p.signin, false)),
		r(post, "/signout", p.form(p.signout, false)),
		r(post, "/theme", p.form(p.setTheme, false)),
		r(get, "/dashboard", p.signedIn(p.dashboard)),
		r(get, "/checks/*rest", p.checkPages(false)),
		r(post, "/checks/*rest", p.checkPages(true)),
		r(get, "/account", p.signedIn(p.accountPage)),
		r(post, "/account/badge-key", p.form(p.rotateBadgeKey, true)),
		r(post, "/account/key", p.form(p.rotateKey, true)),
		r(post, "/account/ping-key", p.form(p.rotatePingKey, true)),
		r(post, "/account/slug", p.form(p.changeSlug, true)),
		r(post, "/account/settings", p.form(p.saveSettings, true)),
		r(post, "/account/signout-everywhere", p.form(p.signoutEverywhere, true)),
		r(post, "/account/delete", p.form(p.deleteAccount, true)),
		r(get, "/static/*file", p.static),
		r(http.MethodHead, "/static/*file", p.static),
	}...)
}

func (p *Pages) static(w http.ResponseWriter, r *http.Request) {
	p.assets.serve(w, r, p.NotFound)
}
