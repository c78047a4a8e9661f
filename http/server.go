package http

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/hcapi"
	"github.com/ttr-rip/ttr/http/siteadmin"
	"github.com/ttr-rip/ttr/http/statuspage"
)

// Server is the public edge.
type Server struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	now  func() time.Time

	handler http.Handler
	// cop refuses cross-origin browser requests to the routes a form could reach
	// (POST /api/v1/users).
	cop *http.CrossOriginProtection
	// hc serves healthchecks.io's Management API and Prometheus endpoint.
	hc *hcapi.Handler
	// tokens makes API tokens and sets key networks (shared with the account page).
	tokens *account.Tokens
	// transfer runs exports and imports (the web UI calls the same service).
	transfer *Transfer
}

// NewServer builds the edge. Call Handler to serve it.
func NewServer(cfg Config, deps Deps) *Server {
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, now: deps.Now, cop: http.NewCrossOriginProtection()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if deps.HCKeys == nil {
		deps.HCKeys = hcKeys{s: s}
	}
	if st, ok := s.deps.Store.(statuspage.Store); ok && s.deps.StatusPages == nil {
		s.deps.StatusPages, _ = statuspage.New(statuspage.Config{Quotas: cfg.Quotas}, statuspage.Deps{Store: st, Now: s.now})
	}
	if s.transfer = deps.Transfer; s.transfer == nil {
		s.transfer = NewTransfer(cfg, TransferDeps{Store: deps.Store, Checks: deps.Checks, Ring: deps.Ring,
			HCClient: deps.HCClient, Pages: StatusPageTransfer(s.deps.StatusPages), Logger: s.log, Now: s.now})
	}
	s.hc = hcapi.New(hcapi.Config{
		PublicURL: cfg.PublicURL, BodyLimit: cfg.APIBodyLimit, Quotas: cfg.Quotas,
	}, hcapi.Deps{
		Store: deps.Store, Checks: deps.Checks, Ring: deps.Ring, Resolver: deps.HCKeys,
		Limits: deps.Limits, Logger: s.log, Now: s.now, Status: deps.Ready, SetRoute: setRoute,
	})
	if st, ok := s.deps.Store.(account.Store); ok && s.deps.Accounts == nil && s.deps.Ring != nil {
		// Without a session manager there are no web sessions to forget.
		var forget account.SessionForgetter
		if s.deps.Sessions != nil {
			forget = s.deps.Sessions
		}
		users, _ := s.deps.Store.(account.UserDeleter)
		var keys account.Keys
		if s.deps.Credentials != nil {
			keys = s.deps.Credentials
		}
		s.deps.Accounts, _ = account.New(account.Deps{Store: st, Checks: s.deps.Checks, Users: users, Keys: keys, Ring: s.deps.Ring, Sessions: forget, Now: s.now})
	}
	if s.deps.Credentials != nil {
		s.tokens = &account.Tokens{Store: s.deps.Credentials, Quotas: cfg.Quotas, Now: s.now}
	}
	if ad := s.deps.Admin; ad != nil && ad.Site == nil {
		own := *ad
		var forget siteadmin.SessionForgetter
		if s.deps.Sessions != nil {
			forget = s.deps.Sessions
		}
		var checks siteadmin.CheckDeleter
		if s.deps.Checks != nil {
			checks = s.deps.Checks
		}
		own.Site, _ = siteadmin.New(siteadmin.Deps{Store: siteAdminStore{ad.Store, s.deps.Store}, Checks: checks,
			Verifier: ad.Verifier, Limits: s.deps.Limits, Activity: s.deps.Activity, Sessions: forget, Logger: s.log, Now: s.now,
			Nodes: ad.Nodes, Ready: s.deps.Ready})
		s.deps.Admin = &own
	}
	router, ping := s.routes()
	inner := pingsFirst(ping, s.healthchecksFirst(router))
	s.handler = s.middleware(inner)
	if p, ok := deps.Pages.(APIUser); ok {
		p.UseAPI(inner)
	}
	return s
}

// routes builds the router of every route, and the ping handler it sends pings to.
func (s *Server) routes() (*httprouter.Router, *pingHandler) {
	r := httprouter.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	ping := s.pingRoutes(r)
	s.apiRoutes(r)
	s.badgeRoutes(r)
	s.statusPageRoutes(r)
	s.adminAuthRoutes(r)
	s.adminRoutes(r)
	s.adminTransferRoutes(r)
	r.GET(routeMetrics, s.publicMetrics)
	r.GET(routeSummary, s.authedSummary)
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	if s.deps.Pages != nil {
		for _, pr := range s.deps.Pages.Routes() {
			r.Handle(pr.Method, pr.Pattern, s.page(pr))
		}
	}
	return r, ping
}

// page adapts a web UI route: its pattern labels the request's metrics and logs; its
// parameters are in the request's context (httprouter.ParamsFromContext).
func (s *Server) page(pr PageRoute) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		setRoute(r, pr.Pattern)
		if len(ps) > 0 {
			r = r.WithContext(context.WithValue(r.Context(), httprouter.ParamsKey, ps))
		}
		pr.Handler.ServeHTTP(w, r)
	}
}

// Handler returns the edge's handler with its middleware chain.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if s.deps.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.deps.Ready(ctx); err != nil {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "detail": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// healthchecksFirst sends healthchecks.io's requests (its API versions, its Prometheus
// endpoint, and the /api/v1 requests that carry its credentials) to the hcapi handler, and
// everything else — ttr's own /api/v1 among it — to the router, unchanged.
func (s *Server) healthchecksFirst(router http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hc.Owns(r) {
			s.hc.ServeHTTP(w, r)
			return
		}
		router.ServeHTTP(w, r)
	})
}
