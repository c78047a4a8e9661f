package http

import (
	"errors"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/activity"
)

// Routes of the account self-service (docs/api.md "Your account").
const (
	routeUser           = "/api/v1/user"
	routeUserMe         = "/api/v1/user/me"
	routeUserRotateKey  = "/api/v1/user/rotate-key"
	routeUserRotatePing = "/api/v1/user/rotate-ping-key"
	routeUserSlug       = "/api/v1/user/slug"
)

// slugChangeWarning is sent with every user slug change.
const slugChangeWarning = "ping URLs under /p/ change with the user slug: update your jobs; the old slug stays reserved for you for 24 hours"

// accountRoutes registers /api/v1/user….
func (s *Server) accountRoutes(r *httprouter.Router) {
	r.GET(routeUserMe, s.authed(routeUserMe, s.ownAccount(s.getMe)))
	r.POST(routeUserRotateKey, s.authed(routeUserRotateKey, s.ownAccount(s.rotateKey)))
	r.POST(routeUserRotatePing, s.authed(routeUserRotatePing, s.ownAccount(s.rotatePingKey)))
	r.POST(routeUserSlug, s.authed(routeUserSlug, s.ownAccount(s.changeSlug)))
	r.PATCH(routeUser, s.authed(routeUser, s.ownAccount(s.patchUser)))
	r.DELETE(routeUser, s.authed(routeUser, s.ownAccount(s.deleteUser)))
}

// ownAccount admits only the user's own key or a session (keyOrSession: never a scoped API
// token) and needs the account service.
func (s *Server) ownAccount(f apiFunc) apiFunc {
	return keyOrSession(func(w http.ResponseWriter, r *http.Request, a apiArgs) error {
		if s.deps.Accounts == nil {
			return errors.New("account service not configured")
		}
		return f(w, r, a)
	})
}

// getMe: GET /api/v1/user/me.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	me, err := s.deps.Accounts.Me(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.meJSON(me))
	return nil
}

// meJSON is the account as the API shows it, with the ping URL bases filled in.
func (s *Server) meJSON(me account.Me) map[string]any {
	return map[string]any{
		"user_slug": me.UserSlug, "slug_pings": me.SlugPings, "ping_key": me.PingKey,
		"theme": me.Theme, "mode": me.Mode, "tz": me.TZ, "created_at": me.CreatedAt,
		"ping_url_base":     s.cfg.PublicURL + "/p/" + me.UserSlug + "/",
		"ping_key_url_base": s.cfg.PublicURL + "/ping/" + me.PingKey + "/",
	}
}

// rotateKey: POST /api/v1/user/rotate-key. The new key is in this answer only; the old one
// is refused from now on; the user's other sessions end (a browser that asked stays signed
// in).
func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	var keep []byte
	if p, _ := PrincipalFrom(r.Context()); p.Session != nil {
		keep = p.Session.Session.TokenHash
	}
	key, err := s.deps.Accounts.RotateKey(r.Context(), a.user, keep)
	if err != nil {
		return err
	}
	s.recordEvent(r, activity.EventKeyRotate, "", "")
	writeJSON(w, http.StatusOK, map[string]string{
		"auth_key": key,
		"warning":  "this key is shown once: store it now; the previous key no longer works",
	})
	return nil
}

// rotatePingKey: POST /api/v1/user/rotate-ping-key.
func (s *Server) rotatePingKey(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	key, err := s.deps.Accounts.RotatePingKey(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"ping_key": key,
		"warning":  "ping URLs under /ping/{ping_key}/ change with the ping key: update your jobs",
	})
	return nil
}

// changeSlug: POST /api/v1/user/slug {"slug": …}.
func (s *Server) changeSlug(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	var in struct {
		Slug *string `json:"slug"`
	}
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	if in.Slug == nil {
		return invalid("slug is required")
	}
	old, err := s.deps.Accounts.ChangeSlug(r.Context(), a.user.ID, *in.Slug)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"user_slug": *in.Slug, "previous_user_slug": old,
		"ping_url_base": s.cfg.PublicURL + "/p/" + *in.Slug + "/",
		"warning":       slugChangeWarning,
	})
	return nil
}

// patchUser: PATCH /api/v1/user {slug_pings, theme, mode, tz} (each optional).
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	var in account.Settings
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	if err := s.deps.Accounts.Update(r.Context(), a.user.ID, in); err != nil {
		return err
	}
	return s.getMe(w, r, a)
}

// deleteUser: DELETE /api/v1/user {"confirm": "<user slug>"} → 204.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	var in struct {
		Confirm string `json:"confirm"`
	}
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	if err := s.deps.Accounts.Delete(r.Context(), a.user, in.Confirm); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
