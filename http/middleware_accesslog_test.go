package http_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

func TestAccessLog(t *testing.T) {
	tests := []struct {
		name    string
		level   slog.Level
		target  string
		status  int
		want    []string
		notWant []string
	}{
		{"debug", slog.LevelDebug, "/api/v1/checks?cursor=SECRETQ", 201,
			[]string{"level=DEBUG", `msg="http request"`, "method=GET", "status=201", "bytes=2", "path=/api/v1/checks", "duration=", "request_id=rid-1"},
			[]string{"SECRETQ"}},
		{"info level logs nothing", slog.LevelInfo, "/api/v1/checks", 200, nil, []string{"http request"}},
		{"ping key paths are not logged", slog.LevelDebug, "/ping/SECRETKEYSECRETKEY1234/backup", 200,
			[]string{"status=200", "route=unmatched", "path=unmatched"}, []string{"SECRETKEY"}},
		{"Telegram callbacks are not logged", slog.LevelDebug, "/login/telegram/callback/STATESTATE?id=42&hash=SECRETHASH", 303,
			[]string{"status=303", "path=unmatched"}, []string{"STATESTATE", "SECRETHASH", "id=42"}},
		{"errors too", slog.LevelDebug, "/nope", 404, []string{"status=404", "path=/nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: tt.level}))
			h := ttrhttp.Chain(ttrhttp.RequestIDs(), ttrhttp.AccessLog(log))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte("ok"))
			}))
			req := httptest.NewRequest("GET", tt.target, nil)
			req.Header.Set("X-Request-Id", "rid-1")
			h.ServeHTTP(httptest.NewRecorder(), req)
			out := logs.String()
			for _, s := range tt.want {
				if !strings.Contains(out, s) {
					t.Errorf("log lacks %q: %s", s, out)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(out, s) {
					t.Errorf("log has %q: %s", s, out)
				}
			}
		})
	}
}

// Through the server, the access log names the route pattern, not the path's ids.
func TestAccessLogRoutePattern(t *testing.T) {
	var logs syncBuffer
	e := newAPIEnv(t, func(_ *ttrhttp.Config, d *ttrhttp.Deps) { d.Logger = slogDebug(&logs) })
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	e.do("GET", "/api/v1/checks/"+apiItoa(id)+"/pings", u.Key, nil)
	if out := logs.String(); !strings.Contains(out, "route=/api/v1/checks/{id}/pings") {
		t.Errorf("no route pattern: %s", out)
	}
}
