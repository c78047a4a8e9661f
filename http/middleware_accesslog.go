package http

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// AccessLog logs one line per request at Debug: method, route pattern, path, status, bytes,
// duration and request id. Query strings are never logged, and neither are /ping/ paths (they
// hold ping keys): their route pattern stands in. It costs one level check when Debug is off.
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
			st, w, r := begin(w, r)
			next.ServeHTTP(w, r)
			route := st.routeLabel()
			log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
				slog.String("request_id", st.id),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.String("path", loggablePath(r.URL.Path, route)),
				slog.Int("status", st.w.status),
				slog.Int64("bytes", st.w.bytes),
				slog.Duration("duration", time.Since(st.start)))
		})
	}
}

// loggablePath is the path to log: the route pattern for paths that carry secrets (a ping
// key; the state token of Login with Telegram's callbacks, whose payload is the query).
func loggablePath(path, route string) string {
	if strings.HasPrefix(path, "/ping/") || strings.HasPrefix(path, "/login/telegram/callback/") || strings.HasPrefix(path, "/account/telegram/callback/") {
		return route
	}
	return path
}
