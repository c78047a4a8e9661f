package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestLateHandler: before ttrd has wired its edge, a request is answered 503 with
// Retry-After (a client retries, a probe sees the node not ready); after, the edge answers.
func TestLateHandler(t *testing.T) {
	var l lateHandler
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, httptest.NewRequest("GET", "/p/some/check", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("before set: %d, Retry-After %q; want 503 after 1 s", rec.Code, rec.Header().Get("Retry-After"))
	}
	l.set(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	rec = httptest.NewRecorder()
	l.ServeHTTP(rec, httptest.NewRequest("GET", "/p/some/check", nil))
	if rec.Code != http.StatusTeapot {
		t.Fatalf("after set: %d, want the edge's answer", rec.Code)
	}
}
