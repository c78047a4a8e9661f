package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/messages"
)

// view is what every page template gets.
type view struct {
	Title    string
	Theme    string // one of account.Themes
	Mode     string // one of account.Modes
	CSRF     string // the form token (also in <meta name="csrf-token"> for the script)
	SignedIn bool
	UserSlug string
	Path     string // the page's own path (theme form's way back)
	Notice   string // a success message
	Error    string // what went wrong with the last form
	Wide     bool   // the page is a wide table (the dashboard)
	Alarm    bool   // a check is down: the favicon turns red
	Data     any    // the page's own data
}

// handler serves a page for a browser that may (pr != nil) or may not be signed in.
type handler func(w http.ResponseWriter, r *http.Request, pr *session.Principal) error

// newView builds the shell's data for r.
func (p *Pages) newView(w http.ResponseWriter, r *http.Request, pr *session.Principal, title string) *view {
	v := &view{Title: title, Path: r.URL.Path, CSRF: p.d.Sessions.CSRFToken(w, r, pr)}
	v.Theme, v.Mode = p.theme(r, pr)
	if pr != nil {
		v.SignedIn, v.UserSlug = true, pr.User.Slug
	}
	return v
}

// render writes a page with status. Pages are private and never stored by caches (some show
// secrets); the CSP is set on every HTML answer.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := p.pages[name].Execute(&buf, v); err != nil {
		p.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("internal error\n")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	htmlHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// htmlHeaders sets what every HTML answer carries.
func htmlHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie")
}

// NotFound is the HTML 404 page of browser routes.
func (p *Pages) NotFound(w http.ResponseWriter, r *http.Request) {
	p.errorPage(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
}

// errorPage renders the error page; the browser's session, if any, keeps the shell signed in.
func (p *Pages) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	var pr *session.Principal
	if got, err := p.d.Sessions.Resolve(r); err == nil {
		pr = &got
	}
	v := p.newView(w, r, pr, title)
	v.Error = msg
	p.render(w, r, status, "error", v)
}

// fail answers a handler's error: the application error's status and message, or, for
// internal errors, a logged error and a page that says only that.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := ttrhttp.StatusOf(err)
	msg := messages.MessageOf(err)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		status, msg = http.StatusRequestEntityTooLarge, "The form is too large."
	case status == http.StatusInternalServerError:
		p.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "request_id", ttrhttp.RequestIDFrom(r.Context()), "err", err)
		msg = "Something went wrong on our side. Please try again."
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
		msg = "ttr cannot reach its store right now. Please try again in a moment."
	case status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.FormatInt(ttrhttp.RetryAfterSeconds(err), 10))
	}
	p.errorPage(w, r, status, http.StatusText(status), msg)
}

// signedIn serves a page only to a signed-in browser; others are sent to the sign-in page.
func (p *Pages) signedIn(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pr, err := p.d.Sessions.Resolve(r)
		if err != nil {
			if errors.Is(err, session.ErrNoSession) {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			p.fail(w, r, err)
			return
		}
		if !pr.User.DisabledAt.IsZero() {
			p.fail(w, r, session.ErrDisabled) // an admin disabled the account
			return
		}
		if err := h(w, r, &pr); err != nil {
			p.fail(w, r, err)
		}
	}
}

// form serves a form POST: the body is bounded and parsed, the CSRF token and the origin are
// checked (sign-in and get-a-key too: login CSRF), and, when needSession, only a signed-in
// browser gets through.
func (p *Pages) form(h handler, needSession bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, p.cfg.FormLimit)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				p.fail(w, r, err)
				return
			}
			p.fail(w, r, messages.Errorf(messages.EInvalid, "The form could not be read."))
			return
		}
		var pr *session.Principal
		got, err := p.d.Sessions.Resolve(r)
		switch {
		case err == nil && needSession && !got.User.DisabledAt.IsZero():
			p.fail(w, r, session.ErrDisabled) // an admin disabled the account
			return
		case err == nil:
			pr = &got
		case !errors.Is(err, session.ErrNoSession):
			p.fail(w, r, err)
			return
		case needSession:
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		if err := p.d.Sessions.VerifyCSRF(r, pr); err != nil {
			p.csrfFailed(w, r)
			return
		}
		if err := h(w, r, pr); err != nil {
			p.fail(w, r, err)
		}
	}
}

// csrfFailed explains a refused form: most often the browser did not send ttr's cookies back
// (blocked, or the page was opened at an address where they cannot be set).
func (p *Pages) csrfFailed(w http.ResponseWriter, r *http.Request) {
	msg := "This form was refused: it was sent from another site, or its security token did not match. Reload the page and try again."
	if _, err := r.Cookie(p.d.Sessions.CSRFCookie()); err != nil {
		msg = "This form was refused because your browser did not send ttr's cookies back. " + p.cookieAdvice(r)
	}
	p.errorPage(w, r, http.StatusForbidden, "Form refused", msg)
}

// cookieAdvice says how to make cookies work.
func (p *Pages) cookieAdvice(r *http.Request) string {
	if p.d.Sessions.Config().Secure && !requestIsHTTPS(r) {
		return "ttr's cookies are Secure: open ttr at " + p.cfg.PublicURL + " (https), not over plain HTTP."
	}
	return "Allow cookies for this site and open ttr at " + p.cfg.PublicURL + "."
}

// requestIsHTTPS reports whether the browser used https (directly or through a proxy that
// says so).
func requestIsHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// themeCookie remembers a browser's theme before (and besides) sign-in: "theme.mode".
const themeCookie = "ttr_theme"

// theme returns the theme and mode to render: the user's, else the browser's cookie, else the
// defaults.
func (p *Pages) theme(r *http.Request, pr *session.Principal) (string, string) {
	if pr != nil && (pr.Prefs.Theme != "" || pr.Prefs.ThemeMode != "") {
		return account.ThemeOr(pr.Prefs.Theme), account.ModeOr(pr.Prefs.ThemeMode)
	}
	if c, err := r.Cookie(themeCookie); err == nil {
		t, m, _ := strings.Cut(c.Value, ".")
		return account.ThemeOr(t), account.ModeOr(m)
	}
	return account.ThemeOr(""), account.ModeOr("")
}

// setThemeCookie remembers theme and mode in the browser for a year.
func (p *Pages) setThemeCookie(w http.ResponseWriter, theme, mode string) {
	http.SetCookie(w, &http.Cookie{Name: themeCookie, Value: theme + "." + mode, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: p.d.Sessions.Config().Secure, SameSite: http.SameSiteLaxMode})
}

// localPath returns next when it is a path on this site, else fallback (no open redirect).
func localPath(next, fallback string) string {
	if strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !strings.HasPrefix(next, "/\\") && !strings.ContainsAny(next, "\r\n") {
		return next
	}
	return fallback
}
