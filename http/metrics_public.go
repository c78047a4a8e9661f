package http

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// routeMetrics is Prometheus on the public listener.
const routeMetrics = "/metrics"

// MetricsTokenPrefix starts every metrics token (`ttrd admin token --metrics`): the edge
// knows at a glance which lookup a bearer token needs.
const MetricsTokenPrefix = "ttr_mx_"

// errMetricsUnauthenticated answers /metrics without a metrics token or admin token.
var errMetricsUnauthenticated = &messages.Error{Code: messages.EUnauthorized, Message: "missing or invalid metrics token"}

// publicMetrics: GET /metrics on the public listener, for a metrics token or an admin access
// token in Authorization: Bearer (a Prometheus scrape config sets the former), or a browser
// signed in to the admin pages (its admin session cookie). A metrics
// token opens this route and nothing else: every other route reads it as no credential.
func (s *Server) publicMetrics(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	setRoute(r, routeMetrics)
	w.Header().Set("Cache-Control", "no-store")
	ad := s.deps.Admin
	if ad == nil || ad.Metrics == nil {
		notFound(w, r)
		return
	}
	lim := s.deps.Limits
	ip := lim.ClientIP(r)
	if err := lim.APIClient(ip); err != nil {
		s.fail(w, r, err)
		return
	}
	token, ok := bearerToken(r)
	if !ok && s.deps.Sessions != nil && s.deps.Sessions.HasAdminCookie(r) {
		// An admin signed in to the admin pages reads the metrics in the browser.
		if _, err := s.deps.Sessions.ResolveAdmin(r); err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Add("Vary", "Cookie")
		promhttp.HandlerFor(ad.Metrics, promhttp.HandlerOpts{}).ServeHTTP(w, r)
		return
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ttr metrics"`)
		s.fail(w, r, errMetricsUnauthenticated)
		return
	}
	if strings.HasPrefix(token, MetricsTokenPrefix) {
		if err := lim.AuthBlocked(ip); err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := ad.Store.MetricsTokenByHash(r.Context(), keyring.Hash([]byte(token))); err != nil {
			if messages.CodeOf(err) != messages.ENotFound {
				s.fail(w, r, err)
				return
			}
			if lerr := lim.AuthFailed(r.Context(), ip); lerr != nil {
				s.fail(w, r, lerr)
				return
			}
			s.fail(w, r, errMetricsUnauthenticated)
			return
		}
	} else if _, _, err := s.authAdmin(r.Context(), r, token); err != nil {
		s.fail(w, r, err)
		return
	}
	promhttp.HandlerFor(ad.Metrics, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
