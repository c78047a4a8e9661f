package http

import (
	"context"
	"net/http"
)

// Middleware wraps a handler with one concern (recovery, request ids, logging, headers,
// metrics, timeouts). Each lives in its own middleware_*.go file.
type Middleware func(http.Handler) http.Handler

// Chain composes middleware so that the first one is the outermost:
// Chain(a, b)(h) serves a request through a, then b, then h.
func Chain(ms ...Middleware) Middleware {
	return func(h http.Handler) http.Handler {
		for i := len(ms) - 1; i >= 0; i-- {
			h = ms[i](h)
		}
		return h
	}
}

// middleware wraps the router in the edge's chain. Order matters: the request id comes first
// so every later log line carries it; the security headers are set before anything can write;
// the access log and metrics sit outside the recovery so they see its 500; the timeout is
// innermost so it bounds only the handler's work.
func (s *Server) middleware(h http.Handler) http.Handler {
	return Chain(
		RequestIDs(),
		SecurityHeaders(),
		AccessLog(s.log),
		Metrics(s.deps.Registerer),
		Recoverer(s.log),
		Timeout(s.cfg.RequestTimeout),
	)(h)
}

// statusWriter records the status and size of a response. Middleware that need them share
// one (see recordStatus) instead of wrapping the writer once each.
type statusWriter struct {
	http.ResponseWriter
	status int // 0 until the header is written
	bytes  int64
}

// recordStatus returns w itself when it already is a *statusWriter, else wraps it.
func recordStatus(w http.ResponseWriter) *statusWriter {
	if sw, ok := w.(*statusWriter); ok {
		return sw
	}
	return &statusWriter{ResponseWriter: w}
}

func (w *statusWriter) WriteHeader(code int) {
	// 1xx responses are informational: the real status comes later.
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets handlers that type-assert http.Flusher keep working behind the wrapper.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Status is the status written so far (200 once a body was written without a header; 0 when
// nothing was written).
func (w *statusWriter) Status() int { return w.status }

// routeHolder is a request-scoped slot in which the handler that serves a request records the
// route pattern it matched ("/api/v1/checks/{id}"), for metrics and the access log: labels by
// pattern stay bounded, raw paths do not (and may hold secrets such as ping keys).
type routeHolder struct{ pattern string }

type routeKey struct{}

// withRouteHolder returns r with a route holder in its context (reusing one already there).
func withRouteHolder(r *http.Request) (*http.Request, *routeHolder) {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
		return r, h
	}
	h := &routeHolder{}
	return r.WithContext(context.WithValue(r.Context(), routeKey{}, h)), h
}

// setRoute records the route pattern that serves r. It is a no-op outside the chain.
func setRoute(r *http.Request, pattern string) {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
		h.pattern = pattern
	}
}

// unmatchedRoute labels requests no handler claimed (404s of the router and the like).
const unmatchedRoute = "unmatched"

// routeOf returns the pattern recorded for r, or unmatchedRoute.
func routeOf(r *http.Request) string {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok && h.pattern != "" {
		return h.pattern
	}
	return unmatchedRoute
}

func (h *routeHolder) route() string {
	if h.pattern == "" {
		return unmatchedRoute
	}
	return h.pattern
}
