package http_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

func TestRequestIDs(t *testing.T) {
	generated := regexp.MustCompile(`^[A-Z2-7]{26}$`)
	tests := []struct {
		name, in string
		keep     bool
	}{
		{"none", "", false},
		{"client id kept", "abc-123_X.y", true},
		{"64 chars kept", strings.Repeat("a", 64), true},
		{"65 chars replaced", strings.Repeat("a", 65), false},
		{"space replaced", "a b", false},
		{"newline replaced", "a\nb", false},
		{"quote replaced", `a"b`, false},
		{"unicode replaced", "é", false},
		{"slash replaced", "a/b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			h := ttrhttp.RequestIDs()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = ttrhttp.RequestIDFrom(r.Context())
			}))
			req := httptest.NewRequest("GET", "/", nil)
			if tt.in != "" {
				req.Header.Set("X-Request-Id", tt.in)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			out := rec.Header().Get("X-Request-Id")
			if out != seen {
				t.Errorf("header %q, context %q", out, seen)
			}
			if tt.keep && out != tt.in {
				t.Errorf("id %q, want the client's %q", out, tt.in)
			}
			if !tt.keep && !generated.MatchString(out) {
				t.Errorf("id %q is not a generated one", out)
			}
		})
	}
	if ttrhttp.RequestIDFrom(httptest.NewRequest("GET", "/", nil).Context()) != "" {
		t.Error("id outside the middleware")
	}
}

// Generated ids are distinct and use the whole base32 alphabet at every position (no bits
// stuck).
func TestRequestIDsGeneratedAreDistinct(t *testing.T) {
	h := ttrhttp.RequestIDs()(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	seen := map[string]bool{}
	var chars [26][256]bool
	for range 2000 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		id := rec.Header().Get("X-Request-Id")
		if seen[id] {
			t.Fatalf("id %q generated twice", id)
		}
		seen[id] = true
		for i := 0; i < len(id) && i < len(chars); i++ {
			chars[i][id[i]] = true
		}
	}
	for i := range chars {
		for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" {
			if !chars[i][c] {
				t.Errorf("%q never generated at %d", c, i)
			}
		}
	}
}
