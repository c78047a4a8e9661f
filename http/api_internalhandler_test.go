package http_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

func TestInternalHandler(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	e.do("GET", "/api/v1/checks/"+apiItoa(id), u.Key, nil)
	e.do("GET", "/api/v1/checks/"+apiItoa(id+100), u.Key, nil)

	cluster := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "members: 1") })
	h := ttrhttp.InternalHandler(e.reg, map[string]http.Handler{"/cluster": cluster})
	if h == http.Handler(http.DefaultServeMux) {
		t.Fatal("served on http.DefaultServeMux")
	}
	tests := []struct {
		path   string
		status int
		want   []string
		not    []string
	}{
		{"/metrics", 200, []string{
			`ttr_http_requests_total{code="200",method="GET",route="/api/v1/checks/{id}"} 1`,
			`ttr_http_requests_total{code="404",method="GET",route="/api/v1/checks/{id}"} 1`,
			`ttr_http_requests_total{code="201",method="POST",route="/api/v1/users"} 1`,
			`ttr_http_request_duration_seconds_bucket{method="POST",route="/api/v1/checks",le="+Inf"} 1`,
		}, []string{`route="/api/v1/checks/` + apiItoa(id)}},
		{"/debug/pprof/", 200, []string{"goroutine", "heap"}, nil},
		{"/debug/pprof/goroutine?debug=1", 200, []string{"goroutine profile"}, nil},
		{"/debug/pprof/cmdline", 404, nil, []string{"ttr"}},
		{"/debug/pprof/symbol", 200, nil, nil},
		{"/cluster", 200, []string{"members: 1"}, nil},
		{"/", 404, nil, nil},
		{"/api/v1/checks", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.status {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			for _, s := range tt.want {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("lacks %q:\n%s", s, rec.Body)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(rec.Body.String(), s) {
					t.Errorf("has %q", s)
				}
			}
		})
	}
	// Without a gatherer there is no /metrics.
	rec := httptest.NewRecorder()
	ttrhttp.InternalHandler(nil, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 {
		t.Errorf("/metrics without a gatherer: %d", rec.Code)
	}
}
