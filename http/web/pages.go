package web

import (
	"errors"
	"net/http"
	"strings"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/messages"
)

// landing: GET / — what ttr is, get a key or sign in; signed-in browsers go to the dashboard.
func (p *Pages) landing(w http.ResponseWriter, r *http.Request) {
	if _, err := p.d.Sessions.Resolve(r); err == nil {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	} else if !errors.Is(err, session.ErrNoSession) {
		p.fail(w, r, err)
		return
	}
	v := p.newView(w, r, nil, "Cron job and heartbeat monitoring")
	if r.URL.Query().Get("deleted") == "1" {
		v.Notice = "Your account and all its checks were deleted."
	}
	p.render(w, r, http.StatusOK, "landing", v)
}

// signinData is the sign-in page's own data.
type signinData struct {
	// CookieProblem explains why a session cannot work at the address the browser used.
	CookieProblem string
	// Telegram offers "Sign in with Telegram".
	Telegram bool
}

// signinPage: GET /signin — "I have a key".
func (p *Pages) signinPage(w http.ResponseWriter, r *http.Request) {
	p.renderSignin(w, r, http.StatusOK, "")
}

func (p *Pages) renderSignin(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	var pr *session.Principal
	if got, err := p.d.Sessions.Resolve(r); err == nil {
		pr = &got
	}
	v := p.newView(w, r, pr, "Sign in")
	v.Error = errMsg
	d := signinData{Telegram: p.d.Telegram != nil}
	if p.d.Sessions.Config().Secure && !requestIsHTTPS(r) {
		d.CookieProblem = "This page was opened over plain HTTP, but ttr's session cookie is Secure and only works over https. " + p.cookieAdvice(r)
	}
	v.Data = d
	p.render(w, r, status, "signin", v)
}

// signin: POST /signin {key} — a valid key starts a session.
func (p *Pages) signin(w http.ResponseWriter, r *http.Request, _ *session.Principal) error {
	key := strings.TrimSpace(r.PostFormValue("key"))
	u, err := p.d.Sessions.KeyUser(r.Context(), r, key)
	if err != nil {
		p.recordSignIn(r, 0, messages.MessageOf(err))
		if messages.CodeOf(err) == messages.EUnauthorized {
			p.renderSignin(w, r, http.StatusUnauthorized, "That key was not recognised. Check it and try again.")
			return nil
		}
		return err
	}
	if _, err := p.d.Sessions.Begin(w, r, u.ID); err != nil {
		return err
	}
	p.recordSignIn(r, u.ID, "")
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	return nil
}

// keyData is the get-a-key and rotated-key page's data: the key, shown once.
type keyData struct {
	Key      string
	Rotated  bool
	UserSlug string
}

// signup: POST /signup — "Get a new key": a new anonymous user, signed in, its key shown once.
func (p *Pages) signup(w http.ResponseWriter, r *http.Request, _ *session.Principal) error {
	if err := p.d.Limits.SignUp(r.Context(), p.d.Limits.ClientIP(r)); err != nil {
		return err
	}
	c, err := p.d.Accounts.CreateUser(r.Context())
	if err != nil {
		return err
	}
	s, err := p.d.Sessions.Begin(w, r, c.User.ID)
	if err != nil {
		return err
	}
	pr := &session.Principal{Session: s, User: c.User}
	p.record(r, pr, activity.EventKeyCreate, "", "")
	v := p.newView(w, r, pr, "Your access key")
	v.Data = keyData{Key: c.AuthKey, UserSlug: c.User.Slug}
	p.render(w, r, http.StatusOK, "key", v)
	return nil
}

// signout: POST /signout.
func (p *Pages) signout(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	if err := p.d.Sessions.End(w, r); err != nil {
		return err
	}
	if pr != nil {
		p.record(r, pr, activity.EventSignOut, "", "")
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// setTheme: POST /theme {theme, mode, next} — remembered in a cookie, and on the account when
// signed in.
func (p *Pages) setTheme(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	theme, mode := r.PostFormValue("theme"), r.PostFormValue("mode")
	set := account.Settings{Theme: &theme, Mode: &mode}
	if err := set.Validate(); err != nil {
		return err
	}
	if pr != nil {
		if err := p.d.Accounts.Update(r.Context(), pr.User.ID, set); err != nil {
			return err
		}
	}
	p.setThemeCookie(w, theme, mode)
	http.Redirect(w, r, localPath(r.PostFormValue("next"), "/"), http.StatusSeeOther)
	return nil
}

// accountData is the account page's data.
type accountData struct {
	Me             account.Me
	Creds          *credentialsData // nil: no credential sections
	Telegram       *telegramSection // nil: Login with Telegram is off
	PingURLBase    string
	PingKeyURLBase string
	NewPingKey     bool
	Badge          *ttrhttp.BadgeKeyJSON
}

// accountPage: GET /account.
func (p *Pages) accountPage(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	return p.renderAccount(w, r, pr, http.StatusOK, "", "")
}

func (p *Pages) renderAccount(w http.ResponseWriter, r *http.Request, pr *session.Principal, status int, notice, errMsg string) error {
	return p.renderAccountWith(w, r, pr, status, notice, errMsg, "", 0)
}

// renderAccountWith renders the account page with newToken, an API token just made, shown
// this once.
func (p *Pages) renderAccountWith(w http.ResponseWriter, r *http.Request, pr *session.Principal, status int, notice, errMsg, newToken string, newTokenID int64) error {
	me, err := p.d.Accounts.Me(r.Context(), pr.User.ID)
	if err != nil {
		return err
	}
	creds, err := p.credentialsFor(r.Context(), r, pr.User.ID, newToken, newTokenID)
	if err != nil {
		return err
	}
	// The page shows what was just saved, not the session's cached copy.
	pr.User.Slug = me.UserSlug
	pr.Prefs = messagesPrefs(me)
	badge, err := p.badgeKey(r)
	if err != nil {
		return err
	}
	v := p.newView(w, r, pr, "Account")
	v.Notice, v.Error = notice, errMsg
	v.Data = accountData{Me: me, Creds: creds, Telegram: p.telegramSection(r.Context(), pr.User.ID), PingURLBase: p.cfg.PublicURL + "/p/" + me.UserSlug + "/", PingKeyURLBase: p.cfg.PublicURL + "/ping/" + me.PingKey + "/", Badge: badge}
	p.render(w, r, status, "account", v)
	return nil
}

func messagesPrefs(me account.Me) messages.UserPrefs {
	return messages.UserPrefs{Theme: me.Theme, ThemeMode: me.Mode, TZ: me.TZ}
}

// formError re-renders the account page with a user error (invalid input, a taken slug), or
// returns the error for the error page.
func (p *Pages) formError(w http.ResponseWriter, r *http.Request, pr *session.Principal, err error) error {
	switch messages.CodeOf(err) {
	case messages.EInvalid, messages.EConflict:
		status := http.StatusBadRequest
		if messages.CodeOf(err) == messages.EConflict {
			status = http.StatusConflict
		}
		return p.renderAccount(w, r, pr, status, "", messages.MessageOf(err))
	}
	return err
}

// rotateKey: POST /account/key — a new access key, shown once; other browsers are signed out.
func (p *Pages) rotateKey(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	key, err := p.d.Accounts.RotateKey(r.Context(), pr.User, pr.Session.TokenHash)
	if err != nil {
		return err
	}
	p.record(r, pr, activity.EventKeyRotate, "", "")
	v := p.newView(w, r, pr, "Your new access key")
	v.Data = keyData{Key: key, Rotated: true, UserSlug: pr.User.Slug}
	p.render(w, r, http.StatusOK, "key", v)
	return nil
}

// rotatePingKey: POST /account/ping-key.
func (p *Pages) rotatePingKey(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	if _, err := p.d.Accounts.RotatePingKey(r.Context(), pr.User.ID); err != nil {
		return err
	}
	return p.renderAccount(w, r, pr, http.StatusOK, "New ping key made: URLs under /ping/{ping key}/ changed — update your jobs.", "")
}

// changeSlug: POST /account/slug {slug}.
func (p *Pages) changeSlug(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	slug := strings.TrimSpace(r.PostFormValue("slug"))
	old, err := p.d.Accounts.ChangeSlug(r.Context(), pr.User.ID, slug)
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	notice := "Your user slug is now " + slug + ". Ping URLs under /p/" + old + "/ no longer work: update your jobs. The old slug stays reserved for you for 24 hours."
	if old == slug {
		notice = "Your user slug is unchanged."
	}
	return p.renderAccount(w, r, pr, http.StatusOK, notice, "")
}

// saveSettings: POST /account/settings {slug_pings, theme, mode, tz}.
func (p *Pages) saveSettings(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	slugPings := r.PostFormValue("slug_pings") == "on"
	theme, mode, tz := r.PostFormValue("theme"), r.PostFormValue("mode"), strings.TrimSpace(r.PostFormValue("tz"))
	set := account.Settings{SlugPings: &slugPings, Theme: &theme, Mode: &mode, TZ: &tz}
	if err := p.d.Accounts.Update(r.Context(), pr.User.ID, set); err != nil {
		return p.formError(w, r, pr, err)
	}
	p.setThemeCookie(w, theme, mode)
	return p.renderAccount(w, r, pr, http.StatusOK, "Settings saved.", "")
}

// signoutEverywhere: POST /account/signout-everywhere — every session of the user ends, this
// one included.
func (p *Pages) signoutEverywhere(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	if _, err := p.d.Sessions.EndOthers(r.Context(), pr.User.ID, nil); err != nil {
		return err
	}
	if err := p.d.Sessions.End(w, r); err != nil {
		return err
	}
	p.record(r, pr, activity.EventSignOut, "", "everywhere")
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// deleteAccount: POST /account/delete {confirm} — the user types their slug to confirm.
func (p *Pages) deleteAccount(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	if err := p.d.Accounts.Delete(r.Context(), pr.User, strings.TrimSpace(r.PostFormValue("confirm"))); err != nil {
		return p.formError(w, r, pr, err)
	}
	if err := p.d.Sessions.End(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/?deleted=1", http.StatusSeeOther)
	return nil
}
