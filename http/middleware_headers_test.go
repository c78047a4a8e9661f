package http_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
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

// The header values are shared between responses: what a handler does to them in one
// response must not reach the next.
func TestSecurityHeadersIsolatedBetweenResponses(t *testing.T) {
	mw := ttrhttp.SecurityHeaders()
	serve := func(h http.HandlerFunc) http.Header {
		rec := httptest.NewRecorder()
		mw(h).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		return rec.Header()
	}
	first := serve(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("Referrer-Policy", "origin")
		w.Header().Del("X-Content-Type-Options")
	})
	if got := first.Values("X-Frame-Options"); !slices.Equal(got, []string{"DENY", "SAMEORIGIN"}) {
		t.Errorf("first X-Frame-Options %q", got)
	}
	second := serve(func(http.ResponseWriter, *http.Request) {})
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
		if got := second.Values(k); !slices.Equal(got, []string{v}) {
			t.Errorf("second %s = %q, want [%s]", k, got, v)
		}
	}
}
