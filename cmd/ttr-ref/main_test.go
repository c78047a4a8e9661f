package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandlerAnswersOKToAnything(t *testing.T) {
	for _, target := range []string{"/", "/readyz", "/p/user/check", "/ping/6f1c1c2e-0000-4000-8000-000000000000"} {
		rec := httptest.NewRecorder()
		handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code != http.StatusOK || rec.Body.String() != "OK" {
			t.Errorf("GET %s: %d %q, want 200 \"OK\"", target, rec.Code, rec.Body.String())
		}
	}
}
