package http

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/credential"
	"github.com/ttr-rip/ttr/messages"
)

// Routes of API tokens, key networks and the activity log (docs/api.md "API tokens").
const (
	routeUserTokens      = "/api/v1/user/api-tokens"
	routeUserToken       = "/api/v1/user/api-tokens/:id"
	routeUserActivity    = "/api/v1/user/activity"
	routeUserKeyNetworks = "/api/v1/user/key-networks"
)

// tokenRoutes registers the token, key-network and activity routes: all under
// /api/v1/user/, so only the user's key or a session may use them.
func (s *Server) tokenRoutes(r *httprouter.Router) {
	r.GET(routeUserTokens, s.authed(routeUserTokens, keyOrSession(s.listTokens)))
	r.POST(routeUserTokens, s.authed(routeUserTokens, keyOrSession(s.createToken)))
	r.PATCH(routeUserToken, s.withID(routeUserToken, keyOrSession(s.patchToken)))
	r.DELETE(routeUserToken, s.withID(routeUserToken, keyOrSession(s.revokeToken)))
	r.GET(routeUserActivity, s.authed(routeUserActivity, keyOrSession(s.listActivity)))
	r.GET(routeUserKeyNetworks, s.authed(routeUserKeyNetworks, keyOrSession(s.getKeyNetworks)))
	r.PUT(routeUserKeyNetworks, s.authed(routeUserKeyNetworks, keyOrSession(s.putKeyNetworks)))
}

// withID is authed for a route with an {id} parameter (a positive integer; 404 otherwise).
func (s *Server) withID(pattern string, f apiFunc) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		id, err := strconv.ParseInt(ps.ByName("id"), 10, 64)
		if err != nil || id <= 0 {
			setRoute(r, pattern)
			notFound(w, r)
			return
		}
		s.authed(pattern, func(w http.ResponseWriter, r *http.Request, a apiArgs) error {
			a.checkID = id
			return f(w, r, a)
		})(w, r, ps)
	}
}

// errAccountOnly answers a scoped token on an account route.
var errAccountOnly = messages.Errorf(messages.EForbidden, "API tokens cannot manage the account: use the access key or sign in")

// keyOrSession admits only the user's own key or a session (never a scoped API token): a
// token cannot mint tokens, rotate the key or delete the account.
func keyOrSession(f apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, a apiArgs) error {
		if p, _ := PrincipalFrom(r.Context()); p.Via == ViaAPIToken {
			return errAccountOnly
		}
		w.Header().Set("Cache-Control", "no-store")
		return f(w, r, a)
	}
}

// scoped refuses an API token that lacks need (403 naming the scope). Other credentials are
// not scoped.
func scoped(need credential.Scope, f apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, a apiArgs) error {
		if p, _ := PrincipalFrom(r.Context()); p.Via == ViaAPIToken && !p.Scopes.Has(need) {
			return messages.Errorf(messages.EForbidden, "this API token lacks the %q scope", need.String())
		}
		return f(w, r, a)
	}
}

// scopeOf is the scope each operation under /api/v1/checks/ needs.
func scopeOf(op checkOp) credential.Scope {
	switch op {
	case opPut, opPatch, opPause, opResume, opTogglePause, opRotateBadge, opImport, opImportHC:
		return credential.Write
	case opDelete:
		return credential.Delete
	case opChannelPut, opChannelTest, opChannelTestQueue, opChannelRate:
		return credential.Channels
	}
	return credential.Read
}

// apiTokenJSON is a token as the API shows it (never its digest: the token is shown once, on
// creation).
type apiTokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	Networks   []string   `json:"allowed_networks"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Expired    bool       `json:"expired"`
	Token      string     `json:"token,omitempty"`
}

func (s *Server) apiTokenJSON(t messages.APIToken) apiTokenJSON {
	j := apiTokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scopes: credential.ScopesFromStored(t.Scopes).Names(),
		Networks: credential.Networks(t.Networks), CreatedAt: t.CreatedAt}
	if !t.ExpiresAt.IsZero() {
		e := t.ExpiresAt
		j.ExpiresAt, j.Expired = &e, !s.now().Before(e)
	}
	if !t.LastUsedAt.IsZero() {
		l := t.LastUsedAt
		j.LastUsedAt = &l
	}
	return j
}

// credentials returns the credential store, or an internal error when none is configured.
func (s *Server) credentials() (Credentials, error) {
	if s.deps.Credentials == nil {
		return nil, messages.Errorf(messages.EUnavailable, "API tokens are not available on this server")
	}
	return s.deps.Credentials, nil
}

// listTokens: GET /api/v1/user/api-tokens — every token of the user (at most the quota, so
// one page).
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	c, err := s.credentials()
	if err != nil {
		return err
	}
	ts, err := c.ListAPITokens(r.Context(), a.user.ID, 1000)
	if err != nil {
		return err
	}
	out := make([]apiTokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, s.apiTokenJSON(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// tokenInput is the body of POST and PATCH. Pointers tell an omitted field from a given one;
// expires_at's raw form tells an explicit null (no expiry) from an omitted one.
type tokenInput struct {
	Name      *string         `json:"name"`
	Scopes    []string        `json:"scopes"`
	ExpiresAt json.RawMessage `json:"expires_at"`
	Networks  []string        `json:"allowed_networks"`
}

// expiry reads expires_at: set reports whether it was given; a zero time is no expiry.
func (s *Server) expiry(raw json.RawMessage) (t time.Time, set bool, err error) {
	if len(raw) == 0 {
		return time.Time{}, false, nil
	}
	if string(raw) == "null" {
		return time.Time{}, true, nil
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return time.Time{}, true, invalid("expires_at must be an RFC 3339 time or null")
	}
	if err := account.ValidExpiry(t, s.now()); err != nil {
		return time.Time{}, true, err
	}
	return t.UTC().Truncate(time.Millisecond), true, nil
}

func validName(name string) error { return account.ValidTokenName(name) }

// createToken: POST /api/v1/user/api-tokens — the token is in this answer only (201).
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	if _, err := s.credentials(); err != nil {
		return err
	}
	var in tokenInput
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return invalid("name is required")
	}
	expires, _, err := s.expiry(in.ExpiresAt)
	if err != nil {
		return err
	}
	t, token, err := s.tokens.Create(r.Context(), a.user.ID, account.TokenSpec{Name: *in.Name, Scopes: in.Scopes, ExpiresAt: expires, Networks: in.Networks})
	if err != nil {
		return err
	}
	s.recordEvent(r, activity.EventTokenCreate, "token:"+strconv.FormatInt(t.ID, 10), t.Scopes)
	j := s.apiTokenJSON(t)
	j.Token = token
	writeJSON(w, http.StatusCreated, j)
	return nil
}

// patchToken: PATCH /api/v1/user/api-tokens/{id} — name, expiry and networks; scopes are
// fixed (the token's prefix shows them).
func (s *Server) patchToken(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	c, err := s.credentials()
	if err != nil {
		return err
	}
	var in tokenInput
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	if in.Scopes != nil {
		return invalid("scopes cannot change: make a new token and revoke this one")
	}
	t, err := c.GetAPIToken(r.Context(), a.user.ID, a.checkID)
	if err != nil {
		return err
	}
	if in.Name != nil {
		if err := validName(*in.Name); err != nil {
			return err
		}
		t.Name = *in.Name
	}
	if exp, set, err := s.expiry(in.ExpiresAt); err != nil {
		return err
	} else if set {
		t.ExpiresAt = exp
	}
	if in.Networks != nil {
		if t.Networks, err = credential.ParseNetworks(in.Networks); err != nil {
			return invalid("%s", err.Error())
		}
	}
	if err := c.UpdateAPIToken(r.Context(), t); err != nil {
		return err
	}
	s.recordEvent(r, activity.EventTokenUpdate, "token:"+strconv.FormatInt(t.ID, 10), "")
	writeJSON(w, http.StatusOK, s.apiTokenJSON(t))
	return nil
}

// revokeToken: DELETE /api/v1/user/api-tokens/{id} (204). The token is refused from the
// next request on, on every node; for RetiredFor it is refused as revoked.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	c, err := s.credentials()
	if err != nil {
		return err
	}
	if err := c.RevokeAPIToken(r.Context(), a.user.ID, a.checkID, s.now().UTC().Truncate(time.Millisecond)); err != nil {
		return err
	}
	s.recordEvent(r, activity.EventTokenRevoke, "token:"+strconv.FormatInt(a.checkID, 10), "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getKeyNetworks: GET /api/v1/user/key-networks.
func (s *Server) getKeyNetworks(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	c, err := s.credentials()
	if err != nil {
		return err
	}
	nets, err := c.KeyNetworks(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"allowed_networks": credential.Networks(nets)})
	return nil
}

// putKeyNetworks: PUT /api/v1/user/key-networks {"allowed_networks": [...]} ([] = any
// client). A list that leaves out the caller's own address is refused: it would lock the
// key out at once.
func (s *Server) putKeyNetworks(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	if _, err := s.credentials(); err != nil {
		return err
	}
	var in struct {
		Networks *[]string `json:"allowed_networks"`
	}
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	if in.Networks == nil {
		return invalid("allowed_networks is required ([] allows any client)")
	}
	var mustAllow func(string) bool
	if p, _ := PrincipalFrom(r.Context()); p.Via == ViaAuthKey {
		ip := s.deps.Limits.ClientIP(r)
		mustAllow = func(nets string) bool { return credential.Allowed(nets, ip) }
	}
	nets, err := s.tokens.SetKeyNetworks(r.Context(), a.user.ID, *in.Networks, mustAllow)
	if err != nil {
		return err
	}
	s.recordEvent(r, activity.EventKeyNetworks, "", nets)
	writeJSON(w, http.StatusOK, map[string]any{"allowed_networks": credential.Networks(nets)})
	return nil
}

// recordEvent logs an account event of the caller.
func (s *Server) recordEvent(r *http.Request, event, cred, detail string) {
	p, _ := PrincipalFrom(r.Context())
	s.deps.Activity.Event(r.Context(), event, activity.Attempt{UserID: p.User.ID, Method: activityMethod(p.Via),
		Credential: cred, Reason: detail, IP: s.deps.Limits.ClientIP(r), UserAgent: r.UserAgent()})
}

// activityJSON is one row of the activity log as the API shows it: the address only as a
// short keyed hash (equal hashes = the same address).
type activityJSON struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id,omitempty"`
	At         time.Time `json:"at"`
	Event      string    `json:"event"`
	Method     string    `json:"method"`
	Credential string    `json:"credential"`
	Outcome    string    `json:"outcome"`
	Reason     string    `json:"reason"`
	IPHash     string    `json:"ip_hash"`
	UserAgent  string    `json:"user_agent"`
}

// listActivity: GET /api/v1/user/activity?size=&cursor= — the user's activity, newest
// first.
func (s *Server) listActivity(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	return s.ServeActivity(w, r, a.user.ID)
}

// ServeActivity answers a page of the activity log (size 1..100, default 25; cursor from
// the previous page's next_cursor): of one user, or of everyone when userID is 0 (the
// admin view, which shows user_id).
func (s *Server) ServeActivity(w http.ResponseWriter, r *http.Request, userID int64) error {
	c, err := s.credentials()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	size, err := queryInt(q, "size", 25, 1, 100)
	if err != nil {
		return err
	}
	var before int64
	if cur := q.Get("cursor"); cur != "" {
		if before, err = decodeActivityCursor(cur); err != nil {
			return err
		}
	}
	var rows []messages.AuditEvent
	if userID == 0 {
		rows, err = c.ListAllAudit(r.Context(), before, size+1)
	} else {
		rows, err = c.ListAudit(r.Context(), userID, before, size+1)
	}
	if err != nil {
		return err
	}
	var next *string
	if len(rows) > size {
		rows = rows[:size]
		n := encodeActivityCursor(rows[size-1].ID)
		next = &n
	}
	items := make([]activityJSON, 0, len(rows))
	for _, e := range rows {
		j := activityJSON{ID: e.ID, At: e.At, Event: e.Event, Method: e.Method, Credential: e.Credential,
			Outcome: e.Outcome, Reason: e.Reason, IPHash: hex.EncodeToString(e.IPHash[:min(len(e.IPHash), 6)]), UserAgent: e.UAFamily}
		if userID == 0 {
			j.UserID = e.UserID
		}
		items = append(items, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next, "size": size})
	return nil
}

// Activity cursors are opaque to clients: "a" and the id the next page starts below, in
// base64url.
func encodeActivityCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("a" + strconv.FormatInt(id, 10)))
}

func decodeActivityCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 64 || len(b) < 2 || b[0] != 'a' {
		return 0, invalid("invalid cursor")
	}
	id, err := strconv.ParseInt(string(b[1:]), 10, 64)
	if err != nil || id <= 0 {
		return 0, invalid("invalid cursor")
	}
	return id, nil
}
