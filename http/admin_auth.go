package http

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/adminauth"
	"github.com/ttr-rip/ttr/http/siteadmin"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Route patterns of admin sign-in.
const (
	routeToken        = "/api/v1/token"
	routeTokenRefresh = "/api/v1/token/refresh"
	routeLogout       = "/api/v1/logout"
)

// HeaderCSRF carries the CSRF token of a cookie-authenticated request.
const HeaderCSRF = "X-CSRF-Token"

// Names of the refresh cookie: __Host- (Secure, Path=/, no Domain) when the public URL is
// https, a plain name on a plain-HTTP (loopback or development) installation.
const (
	refreshCookieSecure = "__Host-ttr_refresh"
	refreshCookiePlain  = "ttr_refresh"
)

// signInBodyLimit bounds a sign-in body: a username and a password of at most 1 KiB.
const signInBodyLimit = 4 << 10

// maxUsernameLen bounds usernames (also enforced by `ttrd admin create`).
const maxUsernameLen = siteadmin.MaxUsernameLen

// errAdminUnauthenticated is the one answer to a missing, malformed, expired or revoked admin
// token.
var errAdminUnauthenticated = &messages.Error{Code: messages.EUnauthorized, Message: "missing or invalid admin token"}

// errCSRF answers a cookie-authenticated request without the sign-in's CSRF token.
var errCSRF = messages.Errorf(messages.EForbidden, "missing or wrong "+HeaderCSRF)

// adminAuthRoutes registers sign-in, refresh and logout.
func (s *Server) adminAuthRoutes(r *httprouter.Router) {
	r.POST(routeToken, s.public(routeToken, s.signIn))
	r.POST(routeTokenRefresh, s.public(routeTokenRefresh, s.refresh))
	r.POST(routeLogout, s.public(routeLogout, s.logout))
}

// tokenJSON is the answer of a sign-in or a refresh.
type tokenJSON struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	CSRFToken   string `json:"csrf_token"`
}

// signIn: POST /api/v1/token with username and password (form or JSON) → an access token,
// the refresh token in its cookie and the sign-in's CSRF token. Failures count against the
// client's failed-authentication allowance and against the (username, client) one.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, _ apiArgs) error {
	ad := s.deps.Admin
	if ad == nil {
		return messages.ErrNotFound
	}
	if err := s.cop.Check(r); err != nil {
		return errCrossOrigin
	}
	username, password, err := readSignIn(w, r)
	if err != nil {
		return err
	}
	a, err := ad.Site.SignIn(r.Context(), r, "admin", username, password)
	if err != nil {
		return err
	}
	family, err := adminauth.NewFamily()
	if err != nil {
		return err
	}
	refresh, rc, err := ad.Tokens.Mint(a.ID, adminauth.Refresh, family)
	if err != nil {
		return err
	}
	if err := ad.Store.AddRefreshToken(r.Context(), persistence.RefreshToken{
		JTI: rc.ID, Family: family, AdminID: a.ID, ExpiresAt: rc.ExpiresAt.Time,
	}); err != nil {
		return err
	}
	// Expired allow-list rows and revocations go with each sign-in: few, indexed, and no
	// background job is needed.
	if _, err := ad.Store.PruneAdminTokens(r.Context(), s.now()); err != nil {
		s.log.WarnContext(r.Context(), "prune admin tokens", "err", err)
	}
	return s.issue(w, a.ID, family, refresh)
}

// issue answers a new access token of family, with refresh in its cookie.
func (s *Server) issue(w http.ResponseWriter, adminID int64, family, refresh string) error {
	ad := s.deps.Admin
	access, ac, err := ad.Tokens.Mint(adminID, adminauth.Access, family)
	if err != nil {
		return err
	}
	http.SetCookie(w, s.refreshCookie(refresh, ad.Tokens.Config().RefreshTTL))
	writeJSON(w, http.StatusOK, tokenJSON{
		AccessToken: access, TokenType: "Bearer",
		ExpiresIn: int64(ac.ExpiresAt.Sub(ac.IssuedAt.Time) / time.Second),
		CSRFToken: ad.Tokens.CSRF(family),
	})
	return nil
}

// readSignIn reads username and password from a form or a JSON body.
func readSignIn(w http.ResponseWriter, r *http.Request) (string, string, error) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		if err := decodeJSON(w, r, signInBodyLimit, &in); err != nil {
			return "", "", err
		}
	case "application/x-www-form-urlencoded":
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, signInBodyLimit))
		if err != nil {
			return "", "", jsonError(err)
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", "", invalid("malformed form body")
		}
		in.Username, in.Password = form.Get("username"), form.Get("password")
	default:
		return "", "", invalid("Content-Type must be application/x-www-form-urlencoded or application/json")
	}
	switch {
	case in.Username == "" || in.Password == "":
		return "", "", invalid("username and password are required")
	case len(in.Username) > maxUsernameLen || !utf8.ValidString(in.Username):
		return "", "", invalid("username must be valid UTF-8 of at most %d bytes", maxUsernameLen)
	case len(in.Password) > adminauth.MaxPasswordBytes:
		return "", "", invalid("password must be at most %d bytes", adminauth.MaxPasswordBytes)
	}
	return in.Username, in.Password, nil
}

// refresh: POST /api/v1/token/refresh with the refresh cookie and the sign-in's CSRF token
// in X-CSRF-Token → a new access token and a new refresh token (the old one is spent).
// Presenting a spent refresh token revokes its whole sign-in.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request, _ apiArgs) error {
	ad := s.deps.Admin
	if ad == nil {
		return messages.ErrNotFound
	}
	if err := s.cop.Check(r); err != nil {
		return errCrossOrigin
	}
	rc, err := s.refreshClaims(r)
	if err != nil {
		return err
	}
	if !ad.Tokens.CheckCSRF(rc.Family, r.Header.Get(HeaderCSRF)) {
		return errCSRF
	}
	refresh, next, err := ad.Tokens.Mint(rc.AdminID(), adminauth.Refresh, rc.Family)
	if err != nil {
		return err
	}
	row := persistence.RefreshToken{JTI: next.ID, ExpiresAt: next.ExpiresAt.Time}
	out, err := ad.Store.RotateRefreshToken(r.Context(), rc.ID, &row, s.now())
	if err != nil {
		return err
	}
	switch out {
	case persistence.RefreshRotated:
	case persistence.RefreshReused:
		s.log.WarnContext(r.Context(), "spent admin refresh token presented again: its sign-in is revoked",
			"request_id", RequestIDFrom(r.Context()), "admin_id", rc.AdminID())
		http.SetCookie(w, s.refreshCookie("", -1))
		return errAdminUnauthenticated
	default:
		http.SetCookie(w, s.refreshCookie("", -1))
		return errAdminUnauthenticated
	}
	if _, err := ad.Store.AdminByID(r.Context(), rc.AdminID()); err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			return errAdminUnauthenticated
		}
		return err
	}
	return s.issue(w, rc.AdminID(), rc.Family, refresh)
}

// refreshClaims reads and verifies the refresh cookie. A cookie that does not verify counts
// as a failed authentication.
func (s *Server) refreshClaims(r *http.Request) (adminauth.Claims, error) {
	c, err := r.Cookie(s.refreshCookieName())
	if err != nil || c.Value == "" {
		return adminauth.Claims{}, errAdminUnauthenticated
	}
	lim := s.deps.Limits
	ip := lim.ClientIP(r)
	if err := lim.AuthBlocked(ip); err != nil {
		return adminauth.Claims{}, err
	}
	rc, err := s.deps.Admin.Tokens.Parse(c.Value, adminauth.Refresh)
	if err != nil {
		if lerr := lim.AuthFailed(r.Context(), ip); lerr != nil {
			return adminauth.Claims{}, lerr
		}
		return adminauth.Claims{}, errAdminUnauthenticated
	}
	return rc, nil
}

// logout: POST /api/v1/logout with the access token (Authorization: Bearer) and/or the
// refresh cookie (then with X-CSRF-Token) → 204: the access token is refused from now on,
// on every node, and the sign-in's refresh tokens are revoked.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ apiArgs) error {
	ad := s.deps.Admin
	if ad == nil {
		return messages.ErrNotFound
	}
	if err := s.cop.Check(r); err != nil {
		return errCrossOrigin
	}
	var family string
	if bearer, ok := bearerToken(r); ok {
		ac, _, err := s.authAdmin(r.Context(), r, bearer)
		if err != nil {
			return err
		}
		if err := ad.Store.RevokeAccessToken(r.Context(), ac.ID, ac.ExpiresAt.Time); err != nil {
			return err
		}
		family = ac.Family
	} else {
		rc, err := s.refreshClaims(r)
		if err != nil {
			return err
		}
		if !ad.Tokens.CheckCSRF(rc.Family, r.Header.Get(HeaderCSRF)) {
			return errCSRF
		}
		family = rc.Family
	}
	if err := ad.Store.RevokeRefreshFamily(r.Context(), family); err != nil {
		return err
	}
	http.SetCookie(w, s.refreshCookie("", -1))
	ad.Site.SignedOut(r.Context(), r, "admin", 0)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// secureCookies says whether cookies are Secure: the public URL is https.
func (s *Server) secureCookies() bool { return strings.HasPrefix(s.cfg.PublicURL, "https://") }

func (s *Server) refreshCookieName() string {
	if s.secureCookies() {
		return refreshCookieSecure
	}
	return refreshCookiePlain
}

// refreshCookie holds value for ttl (a negative ttl deletes the cookie). SameSite=Strict:
// no other site's page can make the browser send it.
func (s *Server) refreshCookie(value string, ttl time.Duration) *http.Cookie {
	c := &http.Cookie{Name: s.refreshCookieName(), Value: value, Path: "/", HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode}
	if ttl < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(ttl / time.Second)
	}
	return c
}

// bearerToken returns the token of "Authorization: Bearer <token>".
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// authAdmin verifies an admin access token: signature and claims (a token that does not
// verify counts as a failed authentication of the client), then, in the store, that it was
// not revoked and that its admin still exists — so a logout or a deleted admin is refused on
// every node at the next request.
func (s *Server) authAdmin(ctx context.Context, r *http.Request, token string) (adminauth.Claims, persistence.Admin, error) {
	ad := s.deps.Admin
	lim := s.deps.Limits
	ip := lim.ClientIP(r)
	if err := lim.AuthBlocked(ip); err != nil {
		return adminauth.Claims{}, persistence.Admin{}, err
	}
	c, err := ad.Tokens.Parse(token, adminauth.Access)
	if err != nil {
		if lerr := lim.AuthFailed(ctx, ip); lerr != nil {
			return c, persistence.Admin{}, lerr
		}
		return c, persistence.Admin{}, errAdminUnauthenticated
	}
	revoked, err := ad.Store.AccessTokenRevoked(ctx, c.ID)
	if err != nil {
		return c, persistence.Admin{}, err
	}
	if revoked {
		return c, persistence.Admin{}, errAdminUnauthenticated
	}
	a, err := ad.Store.AdminByID(ctx, c.AdminID())
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			return c, persistence.Admin{}, errAdminUnauthenticated
		}
		return c, persistence.Admin{}, err
	}
	return c, a, nil
}

// adminArgs are what routing extracted for an admin API handler.
type adminArgs struct {
	admin  persistence.Admin
	userID int64 // {id}
}

// adminFunc serves one admin API route.
type adminFunc func(w http.ResponseWriter, r *http.Request, a adminArgs) error

// adminAuthed adapts an admin API handler: an admin access token in Authorization: Bearer,
// or 401. The routes do not exist (404) without AdminDeps.
func (s *Server) adminAuthed(pattern string, f adminFunc) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		setRoute(r, pattern)
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Add("Vary", "Authorization")
		if s.deps.Admin == nil {
			notFound(w, r)
			return
		}
		if err := s.deps.Limits.APIRequest(r); err != nil {
			s.fail(w, r, err)
			return
		}
		token, ok := bearerToken(r)
		if !ok {
			h.Set("WWW-Authenticate", `Bearer realm="ttr admin"`)
			s.fail(w, r, errAdminUnauthenticated)
			return
		}
		_, a, err := s.authAdmin(r.Context(), r, token)
		if err != nil {
			if messages.CodeOf(err) == messages.EUnauthorized {
				h.Set("WWW-Authenticate", `Bearer realm="ttr admin", error="invalid_token"`)
			}
			s.fail(w, r, err)
			return
		}
		if err := s.deps.Limits.APICredential(siteadmin.Credential(a.ID)); err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
			s.fail(w, r, invalid("malformed query string"))
			return
		}
		args := adminArgs{admin: a}
		if id := ps.ByName("id"); id != "" {
			v, ok := parseID(id)
			if !ok {
				notFound(w, r)
				return
			}
			args.userID = v
		}
		if err := f(w, r, args); err != nil {
			s.fail(w, r, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead { // an action, not a look
			s.deps.Admin.Site.Recorded(r.Context(), r, "admin", a, args.userID, r.Method+" "+pattern)
		}
	}
}
