package http_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

func TestSecurityHeaders(t *testing.T) {
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
	}
	tests := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"ok", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("x")) }},
		{"error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 404) }},
		{"nothing written", func(w http.ResponseWriter, r *http.Request) {}},
		{"header only", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ttrhttp.SecurityHeaders()(tt.h).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			for k, v := range want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if rec.Header().Get("Permissions-Policy") == "" {
				t.Error("no Permissions-Policy")
			}
		})
	}
}

// Every answer of the edge carries them, errors and the router's own 404 and 405 included.
func TestSecurityHeadersOnServer(t *testing.T) {
	e := newAPIEnv(t)
	for _, rq := range []struct{ method, path string }{
		{"GET", "/healthz"}, {"GET", "/nope"}, {"DELETE", "/api/v1/users"}, {"GET", "/api/v1/checks"},
		{"POST", "/api/v1/users"}, {"GET", "/api/v1/checks/abc"},
	} {
		rec := e.do(rq.method, rq.path, "", nil)
		if rec.Header().Get("X-Frame-Options") != "DENY" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s (%d): headers %v", rq.method, rq.path, rec.Code, rec.Header())
		}
		if rec.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no request id", rq.method, rq.path)
		}
	}
}
