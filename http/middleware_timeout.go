package http

import (
	"context"
	"net/http"
	"time"
)

// Timeout bounds the work of each request: the handler's context carries a deadline d from
// now, which store reads and actor round trips honour (a request that runs out answers 503
// with Retry-After). d <= 0 sets none. It does not cut off a slow client: the server's read
// and write timeouts do that.
func Timeout(d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		if d <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
