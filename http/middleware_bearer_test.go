package http_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

func TestRequireBearer(t *testing.T) {
	h := ttrhttp.RequireBearer("s3cret-token")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("metrics"))
	}))
	tests := []struct {
		name, auth string
		want       int
	}{
		{"missing", "", 401},
		{"wrong", "Bearer nope", 401},
		{"not bearer", "Basic s3cret-token", 401},
		{"prefix of the token", "Bearer s3cret", 401},
		{"right", "Bearer s3cret-token", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/metrics", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want == 401 && rec.Body.String() == "metrics" {
				t.Fatal("served the body without the token")
			}
		})
	}
}
