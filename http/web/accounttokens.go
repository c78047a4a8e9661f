package web

import (
	"context"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/credential"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/messages"
)

// The account page's credential sections (docs/operations.md "Web UI and sessions"): scoped
// API tokens (made with scopes, an expiry and networks, shown once; revoked), the access
// key's allowed networks, and the account's activity log, a page at a time. Tokens are made
// by account.Tokens, as the API's POST /api/v1/user/api-tokens makes them, and every change
// is recorded in the activity log as the API records it.

// Credentials is what the sections read and change (persistence.Store implements it).
type Credentials = ttrhttp.Credentials

// activityPageSize is how many activity rows the account page shows at once.
const activityPageSize = 20

// maxTokenExpiryDays bounds the token form's expiry in days (ten years).
const maxTokenExpiryDays = 3650

// credentialRoutes are the sections' form routes (none without Deps.Credentials).
func (p *Pages) credentialRoutes() []routeDef {
	if p.d.Credentials == nil {
		return nil
	}
	post := http.MethodPost
	return []routeDef{
		{post, "/account/tokens", p.form(p.createToken, true)},
		{post, "/account/tokens/:id/revoke", p.form(p.revokeToken, true)},
		{post, "/account/key-networks", p.form(p.setKeyNetworks, true)},
	}
}

// tokenRow is a token as the account page lists it.
type tokenRow struct {
	ID       int64
	Name     string
	Prefix   string
	Scopes   string
	Networks string
	Created  time.Time
	Expires  time.Time
	Expired  bool
	LastUsed time.Time
}

// activityRow is a row of the activity log as the account page lists it.
type activityRow struct {
	At         time.Time
	Event      string
	Method     string
	Credential string
	Outcome    string
	Reason     string
	IPHash     string
	UserAgent  string
}

// credentialsData is the sections' part of the account page's data.
type credentialsData struct {
	Tokens      []tokenRow
	NewToken    string // the token just made: shown this once
	NewTokenID  int64
	KeyNetworks string // one CIDR a line
	Activity    []activityRow
	// OlderActivity is the activity_before= of the next page (0: this is the last).
	OlderActivity int64
	ActivityFirst bool
	Scopes        []string
}

// credentialsFor reads the sections of the user's account page. newToken is a token just
// made, shown once.
func (p *Pages) credentialsFor(ctx context.Context, r *http.Request, userID int64, newToken string, newID int64) (*credentialsData, error) {
	c := p.d.Credentials
	if c == nil {
		return nil, nil
	}
	d := &credentialsData{NewToken: newToken, NewTokenID: newID, Scopes: []string{"read", "write", "delete", "channels"}}
	ts, err := c.ListAPITokens(ctx, userID, 1000)
	if err != nil {
		return nil, err
	}
	now := p.d.Now()
	for _, t := range ts {
		d.Tokens = append(d.Tokens, tokenRow{ID: t.ID, Name: t.Name, Prefix: t.Prefix,
			Scopes:   strings.Join(credential.ScopesFromStored(t.Scopes).Names(), ", "),
			Networks: strings.Join(credential.Networks(t.Networks), ", "), Created: t.CreatedAt, Expires: t.ExpiresAt,
			Expired: !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt), LastUsed: t.LastUsedAt})
	}
	nets, err := c.KeyNetworks(ctx, userID)
	if err != nil {
		return nil, err
	}
	d.KeyNetworks = strings.Join(credential.Networks(nets), "\n")
	var before int64
	if s := r.URL.Query().Get("activity_before"); s != "" {
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before <= 0 {
			return nil, messages.Errorf(messages.EInvalid, "activity_before must be a row id")
		}
	}
	d.ActivityFirst = before == 0
	rows, err := c.ListAudit(ctx, userID, before, activityPageSize+1)
	if err != nil {
		return nil, err
	}
	if len(rows) > activityPageSize {
		rows = rows[:activityPageSize]
		d.OlderActivity = rows[activityPageSize-1].ID
	}
	for _, e := range rows {
		d.Activity = append(d.Activity, activityRow{At: e.At, Event: e.Event, Method: e.Method, Credential: e.Credential,
			Outcome: e.Outcome, Reason: e.Reason, IPHash: hex.EncodeToString(e.IPHash[:min(len(e.IPHash), 6)]), UserAgent: e.UAFamily})
	}
	return d, nil
}

// tokens is the token maker of the sections.
func (p *Pages) tokens() *account.Tokens {
	return &account.Tokens{Store: p.d.Credentials, Quotas: p.cfg.Quotas, Now: p.d.Now}
}

// record writes an account event of the signed-in user to the activity log.
func (p *Pages) record(r *http.Request, pr *session.Principal, event, cred, detail string) {
	a := activity.Attempt{Method: "session", Credential: cred, Reason: detail, IP: p.d.Limits.ClientIP(r), UserAgent: r.UserAgent()}
	if pr != nil {
		a.UserID = pr.User.ID
	}
	p.d.Activity.Event(r.Context(), event, a)
}

// createToken: POST /account/tokens {name, scope (repeated), expires_days, networks} — the
// token is shown once on the page that answers.
func (p *Pages) createToken(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	spec := account.TokenSpec{Name: strings.TrimSpace(r.PostFormValue("name")), Scopes: r.PostForm["scope"], Networks: lines(r.PostFormValue("networks"))}
	if days := strings.TrimSpace(r.PostFormValue("expires_days")); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > maxTokenExpiryDays {
			return p.formError(w, r, pr, messages.Errorf(messages.EInvalid, "The expiry must be 1 to %d days, or empty for none.", maxTokenExpiryDays))
		}
		spec.ExpiresAt = p.d.Now().Add(time.Duration(n) * 24 * time.Hour)
	}
	if len(spec.Scopes) == 0 {
		return p.formError(w, r, pr, messages.Errorf(messages.EInvalid, "Choose at least one scope for the token."))
	}
	t, token, err := p.tokens().Create(r.Context(), pr.User.ID, spec)
	if err != nil {
		if messages.CodeOf(err) == messages.EForbidden { // the token quota
			return p.renderAccountWith(w, r, pr, http.StatusForbidden, "", messages.MessageOf(err), "", 0)
		}
		return p.formError(w, r, pr, err)
	}
	p.record(r, pr, activity.EventTokenCreate, "token:"+strconv.FormatInt(t.ID, 10), t.Scopes)
	return p.renderAccountWith(w, r, pr, http.StatusCreated, "API token “"+t.Name+"” made. Copy it now: it is shown only once.", "", token, t.ID)
}

// revokeToken: POST /account/tokens/{id}/revoke — refused from the next request on, on every
// node.
func (p *Pages) revokeToken(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	id, err := strconv.ParseInt(httprouter.ParamsFromContext(r.Context()).ByName("id"), 10, 64)
	if err != nil || id <= 0 {
		p.NotFound(w, r)
		return nil
	}
	if err := p.d.Credentials.RevokeAPIToken(r.Context(), pr.User.ID, id, p.d.Now().UTC().Truncate(time.Millisecond)); err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			return p.renderAccountWith(w, r, pr, http.StatusNotFound, "", "That token does not exist (any more).", "", 0)
		}
		return err
	}
	p.record(r, pr, activity.EventTokenRevoke, "token:"+strconv.FormatInt(id, 10), "")
	return p.renderAccount(w, r, pr, http.StatusOK, "The token is revoked: it no longer works.", "")
}

// setKeyNetworks: POST /account/key-networks {networks} — one CIDR or address a line; empty
// = any client.
func (p *Pages) setKeyNetworks(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	nets, err := p.tokens().SetKeyNetworks(r.Context(), pr.User.ID, lines(r.PostFormValue("networks")), nil)
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	p.record(r, pr, activity.EventKeyNetworks, "", nets)
	notice := "Your access key works from any network."
	if nets != "" {
		notice = "Your access key now works only from " + strings.Join(credential.Networks(nets), ", ") + "."
	}
	return p.renderAccount(w, r, pr, http.StatusOK, notice, "")
}

// lines splits a textarea into its non-empty trimmed lines (commas separate too).
func lines(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// recordSignIn records a sign-in with a key in the activity log: userID 0 and why when it
// failed (failures are capped per client address by the recorder).
func (p *Pages) recordSignIn(r *http.Request, userID int64, failure string) {
	a := activity.Attempt{UserID: userID, Method: "session", Reason: failure, IP: p.d.Limits.ClientIP(r), UserAgent: r.UserAgent()}
	if failure != "" {
		p.d.Activity.Failed(r.Context(), a)
		return
	}
	p.d.Activity.Event(r.Context(), activity.EventSignIn, a)
}
