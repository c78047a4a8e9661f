package http

import (
	"context"
	"net/http"
	"time"
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

// middleware wraps the router in the edge's chain. Order matters: the request id comes before
// anything that logs, so every log line carries it; the security headers are set before
// anything can write; the access log and metrics sit outside the recovery so they see its 500.
//
// The timeout comes first: the first middleware of a chain creates the request state the
// others share (see begin), and the timeout, which must derive a context anyway, then puts
// both in one, so a request is copied once for the whole chain instead of twice. In effect
// its deadline still bounds only the handler's work: no middleware waits on the context.
func (s *Server) middleware(h http.Handler) http.Handler {
	ms := []Middleware{
		Timeout(s.cfg.RequestTimeout),
		RequestIDs(),
		SecurityHeaders(),
	}
	if s.cfg.HSTS {
		ms = append(ms, HSTS())
	}
	ms = append(ms,
		AccessLog(s.log),
		Metrics(s.deps.Registerer),
		Recoverer(s.log),
	)
	return Chain(ms...)(h)
}

// requestState is what the edge's middleware and handlers share about one request: the first
// middleware of the chain to see a request creates it (begin) and puts it in the request's
// context; the others find it there. One struct, one context value and one copy of the
// request serve the whole chain: a context value and a request copy per middleware were a
// large part of what the edge spent per ping.
//
// Only the goroutine serving the request writes it (the id before the handler runs, the
// route from the handler itself, the status through the writer), so it needs no lock.
type requestState struct {
	// w wraps the response writer to record status and size, for the access log, the
	// metrics and Recoverer; &w is the writer the creator passes on.
	w statusWriter
	// start is when the chain began: one clock read serves the access log, the metrics and
	// the timeout.
	start time.Time
	// id is the request id (RequestIDs), "" without one.
	id string
	// idHeader holds the X-Request-Id header value: the response header's []string points
	// here rather than at an allocation of its own.
	idHeader [1]string
	// route is the route pattern that served the request ("/api/v1/checks/{id}"), for
	// metrics and logs: labels by pattern stay bounded, raw paths do not (and may hold
	// secrets such as ping keys). Set by the handler through setRoute.
	route string
}

type stateKey struct{}

// newRequestState starts the state of a request that w answers.
func newRequestState(w http.ResponseWriter) *requestState {
	return &requestState{w: statusWriter{ResponseWriter: w}, start: time.Now()}
}

// stateOf returns the request state in ctx, or nil outside the chain.
func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// withState returns ctx carrying st.
func withState(ctx context.Context, st *requestState) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

// begin returns r's request state, and the writer and request to pass on. The first
// middleware to see a request creates the state and passes on its recording writer and a
// copy of r that carries it; the others get back w and r unchanged, which every write still
// reaches the recording writer through.
func begin(w http.ResponseWriter, r *http.Request) (*requestState, http.ResponseWriter, *http.Request) {
	if st := stateOf(r.Context()); st != nil {
		return st, w, r
	}
	st := newRequestState(w)
	return st, &st.w, r.WithContext(withState(r.Context(), st))
}

// unmatchedRoute labels requests no handler claimed (404s of the router and the like).
const unmatchedRoute = "unmatched"

// setRoute records the route pattern that serves r. It is a no-op outside the chain.
func setRoute(r *http.Request, pattern string) {
	if st := stateOf(r.Context()); st != nil {
		st.route = pattern
	}
}

// routeOf returns the pattern recorded for r, or unmatchedRoute.
func routeOf(r *http.Request) string {
	if st := stateOf(r.Context()); st != nil {
		return st.routeLabel()
	}
	return unmatchedRoute
}

// routeLabel is the recorded route pattern, or unmatchedRoute.
func (st *requestState) routeLabel() string {
	if st.route == "" {
		return unmatchedRoute
	}
	return st.route
}

// statusWriter records the status and size of a response (see requestState.w).
type statusWriter struct {
	http.ResponseWriter
	status int // 0 until the header is written
	bytes  int64
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
