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
			sw := recordStatus(w)
			r, _ = withRouteHolder(r) // so the log names the route even without metrics
			before := w.Header().Clone()
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler { //nolint:errorlint // net/http compares it the same way
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic serving request",
					"request_id", RequestIDFrom(r.Context()),
					"method", r.Method,
					"route", routeOf(r),
					"panic", fmt.Sprint(v),
					"stack", string(debug.Stack()))
				if sw.status != 0 {
					return
				}
				h := sw.Header()
				for k := range h {
					delete(h, k)
				}
				for k, v := range before {
					h[k] = v
				}
				writeJSON(sw, http.StatusInternalServerError, map[string]string{"detail": "internal error"})
			}()
			next.ServeHTTP(sw, r)
		})
	}
}
