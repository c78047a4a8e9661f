package http

import (
	"context"
	"net/http"
	"time"
)

// Timeout bounds the work of each request: the handler's context carries a deadline d from
// the start of the chain, which store reads and actor round trips honour (a request that
// runs out answers 503 with Retry-After). d <= 0 sets none. It does not cut off a slow
// client: the server's read and write timeouts do that.
//
// context.WithDeadline is the cheapest form that is correct: no goroutine, one timer that
// cancel stops. First in a chain (as in the server's), it also creates the request state
// (see begin) and carries it in the same context, so the chain copies the request once.
func Timeout(d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		if d <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := stateOf(r.Context())
			created := st == nil
			if created {
				st = newRequestState(w)
				w = &st.w
			}
			ctx, cancel := context.WithDeadline(r.Context(), st.start.Add(d))
			defer cancel()
			if created {
				ctx = withState(ctx, st)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
