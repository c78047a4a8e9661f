package http

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/credential"
	"github.com/ttr-rip/ttr/messages"
)

// Route patterns of the REST API (also its metric labels).
const (
	routeUsers   = "/api/v1/users"
	routePreview = "/api/v1/schedule/preview"
	routeChecks  = "/api/v1/checks"
)

// apiArgs are what routing extracted for an API handler.
type apiArgs struct {
	user    messages.User        // the authenticated user (zero on public routes)
	checkID int64                // {id}
	n       int64                // {n}
	channel messages.ChannelKind // {channel}
}

// apiFunc serves one API route: decode → validate → one call → encode. A returned error is
// answered {"detail": …} by fail.
type apiFunc func(w http.ResponseWriter, r *http.Request, a apiArgs) error

// apiRoutes registers /api/v1. Routes under /api/v1/checks/ go through one catch-all and
// matchCheckRoute (see api_dispatch.go). It also makes the router's own 404 and 405 answers
// JSON, like every other error of the edge.
func (s *Server) apiRoutes(r *httprouter.Router) {
	r.NotFound = http.HandlerFunc(s.notFound)
	r.MethodNotAllowed = http.HandlerFunc(methodNotAllowed)

	r.POST(routeUsers, s.public(routeUsers, s.createUser))
	r.POST(routePreview, s.authed(routePreview, scoped(credential.Read, s.previewSchedule)))
	r.GET(routeChecks, s.authed(routeChecks, scoped(credential.Read, s.listChecks)))
	r.POST(routeChecks, s.authed(routeChecks, scoped(credential.Write, s.createCheck)))
	for _, m := range checkMethods {
		r.Handle(m, routeChecks+"/*rest", s.dispatchChecks)
	}
	r.GET(routeUserBadgeKey, s.authed(routeUserBadgeKey, keyOrSession(s.getBadgeKey)))
	r.POST(routeUserRotateBadgeKey, s.authed(routeUserRotateBadgeKey, keyOrSession(s.rotateBadgeKey)))
	s.tokenRoutes(r)
	s.accountRoutes(r)
}

// notFound answers a path no route claimed: JSON under /api/ (and without a web UI), the
// UI's HTML 404 page for everything a browser may ask for.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if s.deps.Pages != nil && !strings.HasPrefix(r.URL.Path, "/api/") {
		s.deps.Pages.NotFound(w, r)
		return
	}
	notFound(w, r)
}

// checkHandler maps a dispatcher operation to its handler.
func (s *Server) checkHandler(op checkOp) apiFunc {
	switch op {
	case opStats:
		return s.checkStats
	case opTags:
		return s.checkTags
	case opSlugCheck:
		return s.slugCheck
	case opGet:
		return s.getCheck
	case opPut:
		return s.putCheck
	case opPatch:
		return s.patchCheck
	case opDelete:
		return s.deleteCheck
	case opPause:
		return s.pauseCheck
	case opResume:
		return s.resumeCheck
	case opTogglePause:
		return s.togglePauseCheck
	case opContent:
		return s.checkContent
	case opPings:
		return s.listPings
	case opPingBody:
		return s.pingBody
	case opFlips:
		return s.listFlips
	case opDeliveries:
		return s.listDeliveries
	case opChannelPut:
		return s.putChannel
	case opChannelTest:
		return s.testChannel
	case opChannelTestQueue:
		return s.testQueueChannel
	case opChannelRate:
		return s.rateChannel
	case opRotateBadge:
		return s.rotateBadge
	case opExport:
		return s.exportChecks
	case opImport:
		return s.importChecks
	case opImportHC:
		return s.importHealthchecks
	case opAggregate:
		return s.aggregate
	case opUptime:
		return s.checkUptime
	}
	return nil
}

// dispatchChecks serves the catch-all /api/v1/checks/*rest. Unknown paths (404) and methods
// (405 with Allow) are answered before authentication: the route table is no secret.
func (s *Server) dispatchChecks(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	m := matchCheckRoute(r.Method, ps.ByName("rest"))
	switch m.status {
	case http.StatusNotFound:
		notFound(w, r)
		return
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", strings.Join(m.allow, ", "))
		methodNotAllowed(w, r)
		return
	}
	if err := s.deps.Limits.APIRequest(r); err != nil {
		setRoute(r, m.pattern)
		s.fail(w, r, err)
		return
	}
	h := s.checkHandler(m.op)
	if h == nil { // a route in the table without a handler: a programming error
		s.fail(w, r, errors.New("no handler for check route "+m.pattern))
		return
	}
	setRoute(r, m.pattern)
	s.serveAuthed(w, r, apiArgs{checkID: m.checkID, n: m.n, channel: m.channel}, scoped(scopeOf(m.op), h))
}

// public adapts an unauthenticated API handler.
func (s *Server) public(pattern string, f apiFunc) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		setRoute(r, pattern)
		w.Header().Set("Cache-Control", "no-store")
		if err := s.deps.Limits.APIRequest(r); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := f(w, r, apiArgs{}); err != nil {
			s.fail(w, r, err)
		}
	}
}

// authed adapts an API handler that needs an authenticated user.
func (s *Server) authed(pattern string, f apiFunc) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		setRoute(r, pattern)
		if err := s.deps.Limits.APIRequest(r); err != nil {
			s.fail(w, r, err)
			return
		}
		s.serveAuthed(w, r, apiArgs{}, f)
	}
}

// serveAuthed authenticates the request (401 otherwise), puts the principal in its context
// and runs f. Answers are private to the user: caches must revalidate them (ETags) and never
// share them. A client over its failed-authentication allowance is answered 429 whatever
// its credential, and a credential over its request allowance too.
func (s *Server) serveAuthed(w http.ResponseWriter, r *http.Request, a apiArgs, f apiFunc) {
	h := w.Header()
	h.Set("Cache-Control", "private, no-cache")
	h.Add("Vary", HeaderAuthKey+", Authorization, Cookie")
	p, err := s.authenticateLimited(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.deps.Limits.APICredential(p.Via + ":" + strconv.FormatInt(p.User.ID, 10) + ":" + p.credentialName()); err != nil {
		s.fail(w, r, err)
		return
	}
	r = r.WithContext(withPrincipal(r.Context(), p))
	a.user = p.User
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		// net/http drops malformed pairs silently; a parameter the client meant must not be
		// ignored (a cursor lost would restart a listing from the first page).
		s.fail(w, r, invalid("malformed query string"))
		return
	}
	if err := f(w, r, a); err != nil {
		s.fail(w, r, err)
	}
}

// errTimeout answers a request that ran out of its time (the Timeout middleware).
var errTimeout = &messages.Error{Code: messages.EUnavailable, Message: "request timed out", RetryAfter: time.Second}

// errInternal is all a client learns of an internal error.
var errInternal = &messages.Error{Code: messages.EInternal, Message: "internal error"}

// fail answers err as {"detail": …}. Errors without an application code are internal: they
// are logged here, once, and the client learns only "internal error". A request that ran out
// of time answers 503.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if messages.CodeOf(err) == messages.EInternal {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			err = errTimeout
		case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
			// The client went away; nobody reads the answer.
			s.log.DebugContext(r.Context(), "api request cancelled", "request_id", RequestIDFrom(r.Context()), "route", routeOf(r))
			err = errTimeout
		default:
			s.log.ErrorContext(r.Context(), "api request failed",
				"request_id", RequestIDFrom(r.Context()), "method", r.Method, "route", routeOf(r), "err", err)
			err = errInternal // even an *messages.Error's own words stay in the log
		}
	}
	writeError(w, err)
}

func notFound(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"detail": "not found"})
}

// methodNotAllowed answers 405; the caller (or httprouter) has set Allow.
func methodNotAllowed(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "method not allowed"})
}

// queryInt reads an optional integer query parameter within [lo, hi] (def when absent).
func queryInt(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" && !q.Has(name) {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, invalid("%s must be an integer from %d to %d", name, lo, hi)
	}
	return v, nil
}
