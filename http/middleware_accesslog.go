package http

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// AccessLog logs one line per request at Debug: method, route pattern, path, status, bytes,
// duration and request id. Query strings are never logged, and neither are /ping/ paths (they
// hold ping keys): their route pattern stands in. It costs nothing when Debug is off.
func AccessLog(log *slog.Logger) Middleware {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !log.Enabled(r.Context(), slog.LevelDebug) {
				next.ServeHTTP(w, r)
				return
			}
			start := time.Now()
			sw := recordStatus(w)
			r, route := withRouteHolder(r)
			next.ServeHTTP(sw, r)
			log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
				slog.String("request_id", RequestIDFrom(r.Context())),
				slog.String("method", r.Method),
				slog.String("route", route.route()),
				slog.String("path", loggablePath(r.URL.Path, route.route())),
				slog.Int("status", sw.status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)))
		})
	}
}

// loggablePath is the path to log: the route pattern for paths that carry secrets.
func loggablePath(path, route string) string {
	if strings.HasPrefix(path, "/ping/") {
		return route
	}
	return path
}
