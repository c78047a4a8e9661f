package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/tglogin"
	"github.com/ttr-rip/ttr/messages"
)

// Login with Telegram (docs/operations.md "Login with Telegram"). Telegram's widget is a
// third-party script, so it runs only on two pages that hold nothing secret — no key, no CSRF
// token, no form, no user data: /login/telegram and /account/telegram — each with its own
// Content-Security-Policy that allows telegram.org's script and oauth.telegram.org's frame.
// Every other page keeps the strict CSP. After the user confirms in Telegram, the widget
// sends the browser to a callback whose path carries a state token bound to this browser
// (session.StateToken), so another site cannot sign a browser in to someone else's account.
// A payload is verified and accepted once cluster-wide by tglogin; it never appears in logs.

// TelegramCSP is the Content-Security-Policy of the two Telegram widget pages.
const TelegramCSP = "default-src 'self'; script-src 'self' https://telegram.org; frame-src https://oauth.telegram.org; img-src 'self' data: https://telegram.org https://t.me; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// State purposes of the two flows.
const (
	stateTelegramLogin = "telegram-login"
	stateTelegramLink  = "telegram-link"
)

// TelegramStore links Telegram accounts and remembers accepted payloads
// (persistence.TelegramStore).
type TelegramStore interface {
	tglogin.Seen
	LinkTelegram(ctx context.Context, userID, telegramID int64, at time.Time) error
	UnlinkTelegram(ctx context.Context, userID int64) error
	TelegramLinkOf(ctx context.Context, userID int64) (int64, error)
	UserByTelegramID(ctx context.Context, telegramID int64) (messages.User, error)
}

// TelegramDeps configure Login with Telegram.
type TelegramDeps struct {
	// BotName is the bot's username (--telegram-login-bot-name), shown to the widget.
	BotName string
	// Verifier checks payloads with the bot's token.
	Verifier *tglogin.Verifier
	Store    TelegramStore
}

// telegramSection is the account page's Telegram section.
type telegramSection struct {
	Linked     bool
	TelegramID int64
}

// telegramSection reads the user's link (nil when Login with Telegram is off). A store error
// shows the section as unlinked rather than failing the account page.
func (p *Pages) telegramSection(ctx context.Context, userID int64) *telegramSection {
	if p.d.Telegram == nil {
		return nil
	}
	id, err := p.d.Telegram.Store.TelegramLinkOf(ctx, userID)
	if err != nil {
		if messages.CodeOf(err) != messages.ENotFound {
			p.log.WarnContext(ctx, "read telegram link", "user_id", userID, "err", err)
		}
		return &telegramSection{}
	}
	return &telegramSection{Linked: true, TelegramID: id}
}

// telegramRoutes are the routes of Login with Telegram (none when it is off).
func (p *Pages) telegramRoutes() []routeDef {
	if p.d.Telegram == nil {
		return nil
	}
	get, post := http.MethodGet, http.MethodPost
	return []routeDef{
		{get, "/login/telegram", p.telegramLoginPage},
		{get, "/login/telegram/callback/:state", p.telegramLogin},
		{get, "/account/telegram", p.signedIn(p.telegramLinkPage)},
		{get, "/account/telegram/callback/:state", p.signedIn(p.telegramLink)},
		{post, "/account/telegram/unlink", p.form(p.telegramUnlink, true)},
	}
}

// parseTelegramPages parses the widget page: a document of its own, without the shell's
// forms and CSRF token (the third-party script must find nothing of value on it).
func (p *Pages) parseTelegramPages(funcs template.FuncMap) error {
	t, err := template.New("telegram.html").Funcs(funcs).ParseFS(templateFS, "templates/telegram.html")
	if err != nil {
		return err
	}
	p.pages["telegram"] = t
	return nil
}

// telegramPage is the widget page's data.
type telegramPage struct {
	Title, Theme, Mode string
	BotName            string
	AuthURL            string // the callback, with its state token
	Linking            bool
}

// renderTelegram writes the widget page with its own CSP.
func (p *Pages) renderTelegram(w http.ResponseWriter, r *http.Request, d telegramPage) {
	var buf bytes.Buffer
	if err := p.pages["telegram"].Execute(&buf, d); err != nil {
		p.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", TelegramCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie")
	// The callback carries the state token; the widget's frame needs only the origin.
	h.Set("Referrer-Policy", "strict-origin")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// telegramLoginPage: GET /login/telegram — Telegram's sign-in button.
func (p *Pages) telegramLoginPage(w http.ResponseWriter, r *http.Request) {
	var pr *session.Principal
	if got, err := p.d.Sessions.Resolve(r); err == nil {
		pr = &got
	}
	state := p.d.Sessions.StateToken(w, r, pr, stateTelegramLogin)
	theme, mode := p.theme(r, pr)
	p.renderTelegram(w, r, telegramPage{Title: "Sign in with Telegram", Theme: theme, Mode: mode, BotName: p.d.Telegram.BotName,
		AuthURL: p.cfg.PublicURL + "/login/telegram/callback/" + state})
}

// telegramLinkPage: GET /account/telegram — Telegram's button, to link the account.
func (p *Pages) telegramLinkPage(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	state := p.d.Sessions.StateToken(w, r, pr, stateTelegramLink)
	theme, mode := p.theme(r, pr)
	p.renderTelegram(w, r, telegramPage{Title: "Link your Telegram account", Theme: theme, Mode: mode, BotName: p.d.Telegram.BotName,
		AuthURL: p.cfg.PublicURL + "/account/telegram/callback/" + state, Linking: true})
	return nil
}

// errTelegramRefused is the one answer to a payload that is not accepted (tampered, stale,
// replayed, malformed) or a state that is not this browser's.
var errTelegramRefused = &messages.Error{Code: messages.EUnauthorized, Message: "The Telegram sign-in could not be verified. Start again from the Telegram button."}

// acceptTelegram checks the callback's state for pr (nil: not signed in) and accepts its
// payload once. Refusals are logged with the reason and without the payload's values.
func (p *Pages) acceptTelegram(r *http.Request, pr *session.Principal, purpose string) (tglogin.Login, error) {
	ctx := r.Context()
	if err := p.d.Sessions.VerifyState(r, pr, purpose, httprouter.ParamsFromContext(ctx).ByName("state")); err != nil {
		p.log.InfoContext(ctx, "telegram callback refused", "reason", "state", "payload", tglogin.Redact(r.URL.Query()))
		return tglogin.Login{}, errTelegramRefused
	}
	l, err := p.d.Telegram.Verifier.Accept(ctx, r.URL.Query(), p.d.Now(), p.d.Telegram.Store)
	switch {
	case err == nil:
		return l, nil
	case errors.Is(err, tglogin.ErrMalformed), errors.Is(err, tglogin.ErrSignature), errors.Is(err, tglogin.ErrStale), errors.Is(err, tglogin.ErrReplayed):
		p.log.InfoContext(ctx, "telegram payload refused", "reason", err.Error(), "payload", tglogin.Redact(r.URL.Query()))
		p.d.Activity.Failed(ctx, activity.Attempt{Method: "telegram", Reason: err.Error(), IP: p.d.Limits.ClientIP(r), UserAgent: r.UserAgent()})
		return tglogin.Login{}, errTelegramRefused
	}
	return tglogin.Login{}, err
}

// errNotLinked answers a verified Telegram account that no ttr account is linked to.
var errNotLinked = &messages.Error{Code: messages.EUnauthorized, Message: "This Telegram account is not linked to a ttr account. Sign in with your access key and link it on your account page."}

// telegramLogin: GET /login/telegram/callback/{state}?{payload} — a verified, fresh, unused
// payload of a linked Telegram account signs its user in.
func (p *Pages) telegramLogin(w http.ResponseWriter, r *http.Request) {
	var pr *session.Principal
	if got, err := p.d.Sessions.Resolve(r); err == nil {
		pr = &got
	}
	l, err := p.acceptTelegram(r, pr, stateTelegramLogin)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	u, err := p.d.Telegram.Store.UserByTelegramID(r.Context(), l.TelegramID)
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			p.d.Activity.Failed(r.Context(), activity.Attempt{Method: "telegram", Reason: "not linked", IP: p.d.Limits.ClientIP(r), UserAgent: r.UserAgent()})
			err = errNotLinked
		}
		p.fail(w, r, err)
		return
	}
	if !u.DisabledAt.IsZero() {
		p.fail(w, r, session.ErrDisabled)
		return
	}
	if _, err := p.d.Sessions.Begin(w, r, u.ID); err != nil {
		p.fail(w, r, err)
		return
	}
	p.d.Activity.Event(r.Context(), activity.EventSignIn, activity.Attempt{UserID: u.ID, Method: "telegram", IP: p.d.Limits.ClientIP(r), UserAgent: r.UserAgent()})
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// telegramLink: GET /account/telegram/callback/{state}?{payload} — links the verified
// Telegram account to the signed-in user (replacing their previous link). A Telegram account
// linked to another user is refused (409).
func (p *Pages) telegramLink(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	l, err := p.acceptTelegram(r, pr, stateTelegramLink)
	if err != nil {
		return err
	}
	if err := p.d.Telegram.Store.LinkTelegram(r.Context(), pr.User.ID, l.TelegramID, p.d.Now().UTC()); err != nil {
		if messages.CodeOf(err) == messages.EConflict {
			return p.renderAccount(w, r, pr, http.StatusConflict, "", "That Telegram account is linked to another ttr account. Unlink it there first.")
		}
		return err
	}
	p.record(r, pr, activity.EventLink, "telegram", "linked")
	return p.renderAccount(w, r, pr, http.StatusOK, "Your Telegram account is linked: “Sign in with Telegram” now signs in to this account.", "")
}

// telegramUnlink: POST /account/telegram/unlink.
func (p *Pages) telegramUnlink(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	if err := p.d.Telegram.Store.UnlinkTelegram(r.Context(), pr.User.ID); err != nil {
		return err
	}
	p.record(r, pr, activity.EventLink, "telegram", "unlinked")
	return p.renderAccount(w, r, pr, http.StatusOK, "Your Telegram account is unlinked.", "")
}
