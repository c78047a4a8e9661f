package http

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recoverer turns a panic in the handler into a 500 {"detail": "internal error"} and logs it
// once, at Error, with its stack. Headers the handler set before panicking are dropped (those
// of outer middleware are kept); if the response had already started, the connection is left
// to net/http. http.ErrAbortHandler is re-raised: it is net/http's way to abort a response.
func Recoverer(log *slog.Logger) Middleware {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, w, r := begin(w, r) // the state also lets the log name the route without metrics
			var before headerSnapshot
			before.take(w.Header())
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler { //nolint:errorlint // net/http compares it the same way
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic serving request",
					"request_id", st.id,
					"method", r.Method,
					"route", st.routeLabel(),
					"panic", fmt.Sprint(v),
					"stack", string(debug.Stack()))
				if st.w.status != 0 {
					return
				}
				before.restore(w.Header())
				writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": "internal error"})
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// headerSnapshot remembers a header map's entries so that they can be put back after a
// panic. Taking one runs on every request and a panic almost never comes, so it is shallow
// (the value slices are shared, not copied) and held inline, on the stack: it allocates
// nothing for the few headers outer middleware set. Sharing the value slices is safe because
// header values are replaced (Set, assignment) or appended to, never edited in place, and an
// append leaves the entries a snapshot holds as they were.
type headerSnapshot struct {
	n       int
	entries [8]headerEntry
	clone   http.Header // when the map held more than len(entries) keys
}

type headerEntry struct {
	key   string
	value []string
}

func (s *headerSnapshot) take(h http.Header) {
	if len(h) > len(s.entries) {
		s.clone = h.Clone()
		return
	}
	for k, v := range h {
		s.entries[s.n] = headerEntry{k, v}
		s.n++
	}
}

// restore makes h hold exactly the snapshot's entries.
func (s *headerSnapshot) restore(h http.Header) {
	clear(h)
	if s.clone != nil {
		for k, v := range s.clone {
			h[k] = v
		}
		return
	}
	for _, e := range s.entries[:s.n] {
		h[e.key] = e.value
	}
}
