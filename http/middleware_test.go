package http_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

func TestChain(t *testing.T) {
	var order []string
	mw := func(name string) ttrhttp.Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	final := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "h") })
	tests := []struct {
		name string
		ms   []ttrhttp.Middleware
		want []string
	}{
		{"none", nil, []string{"h"}},
		{"one", []ttrhttp.Middleware{mw("a")}, []string{"a", "h"}},
		{"first is outermost", []ttrhttp.Middleware{mw("a"), mw("b"), mw("c")}, []string{"a", "b", "c", "h"}},
		{"nested chains", []ttrhttp.Middleware{ttrhttp.Chain(mw("a"), mw("b")), mw("c")}, []string{"a", "b", "c", "h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order = nil
			ttrhttp.Chain(tt.ms...)(final).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			if !slices.Equal(order, tt.want) {
				t.Errorf("order %v, want %v", order, tt.want)
			}
		})
	}
}
