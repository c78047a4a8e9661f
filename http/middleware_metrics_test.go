package http

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func TestMetrics(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		route   string // what the handler records ("" = none)
		status  int    // what it writes (0 = nothing)
		labels  []string
		panics  bool
		withRec bool // Recoverer inside
	}{
		{"route pattern", "GET", "/api/v1/checks/{id}", 200, []string{"/api/v1/checks/{id}", "GET", "200"}, false, false},
		{"no route", "GET", "", 404, []string{"unmatched", "GET", "404"}, false, false},
		{"nothing written", "POST", "/x", 0, []string{"/x", "POST", "200"}, false, false},
		{"odd method", "BREW", "/x", 405, []string{"/x", "OTHER", "405"}, false, false},
		{"panic recovered inside", "GET", "/boom", 0, []string{"/boom", "GET", "500"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			h := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.route != "" {
					setRoute(r, tt.route)
				}
				if tt.panics {
					panic("x")
				}
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
			}))
			if tt.withRec {
				h = Recoverer(nil)(h)
			}
			h = Metrics(reg)(h)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, "/raw/path/123", nil))

			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"route": tt.labels[0], "method": tt.labels[1], "code": tt.labels[2]}
			if !hasCount(mfs, "ttr_http_requests_total", want, 1) {
				t.Errorf("no ttr_http_requests_total%v in %v", tt.labels, mfs)
			}
			if n := testutil.CollectAndCount(reg, "ttr_http_request_duration_seconds"); n != 1 {
				t.Errorf("%d latency series", n)
			}
		})
	}
}

func TestMetricsNilRegistererAndReuse(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { setRoute(r, "/x") })
	Metrics(nil)(h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) // no panic, no registry

	reg := prometheus.NewRegistry()
	a, b := Metrics(reg)(h), Metrics(reg)(h) // the second reuses the first's collectors
	a.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	b.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if v := testutil.ToFloat64(mustCounter(t, reg)); v != 2 {
		t.Errorf("count %v, want 2", v)
	}
}

func mustCounter(t *testing.T, reg *prometheus.Registry) prometheus.Collector {
	t.Helper()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ttr", Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests by route pattern, method and status code."}, []string{"route", "method", "code"})
	err := reg.Register(c)
	are, ok := err.(prometheus.AlreadyRegisteredError)
	if !ok {
		t.Fatalf("register: %v", err)
	}
	return are.ExistingCollector.(*prometheus.CounterVec).WithLabelValues("/x", "GET", "200")
}

// Through the whole chain: the access log and the metrics see the Recoverer's 500, and every
// log line carries the request id the response does.
func TestChainOrder(t *testing.T) {
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := NewServer(DefaultConfig(), Deps{Registerer: reg, Logger: log})
	h := s.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(r, "/boom")
		if _, ok := r.Context().Deadline(); !ok {
			t.Error("no request deadline")
		}
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	id := rec.Header().Get("X-Request-Id")
	if rec.Code != 500 || id == "" || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("%d %v", rec.Code, rec.Header())
	}
	for _, want := range []string{
		`level=ERROR msg="panic serving request" request_id=` + id + ` method=GET route=/boom`,
		`level=DEBUG msg="http request" request_id=` + id + ` method=GET route=/boom path=/boom status=500`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q: %s", want, logs.String())
		}
	}
	c, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if !hasCount(c, "ttr_http_requests_total", map[string]string{"route": "/boom", "method": "GET", "code": "500"}, 1) {
		t.Errorf("metrics did not see the 500")
	}
}

// hasCount reports whether mfs hold counter name with exactly these labels and value n.
func hasCount(mfs []*dto.MetricFamily, name string, labels map[string]string, n float64) bool {
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			if m.GetCounter().GetValue() == n {
				return true
			}
		}
	}
	return false
}

// Series are looked up once and then served from a cache: counts stay exact across repeated
// and concurrent requests, and beyond the cache's bound.
func TestMetricsCachedSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := Metrics(reg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(r, r.URL.Path)
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
	}))
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/a", nil))
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/a", nil))
			}
		})
	}
	wg.Wait()
	// Past the bound, more series than the cache holds.
	for i := range maxCachedSeries + 10 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/r/"+strconv.Itoa(i), nil))
	}
	last := "/r/" + strconv.Itoa(maxCachedSeries+9)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", last, nil))

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		route, method, code string
		n                   float64
	}{
		{"/a", "GET", "200", workers * each},
		{"/a", "POST", "201", workers * each},
		{"/r/0", "GET", "200", 1},
		{last, "GET", "200", 2},
	} {
		if !hasCount(mfs, "ttr_http_requests_total", map[string]string{"route": c.route, "method": c.method, "code": c.code}, c.n) {
			t.Errorf("ttr_http_requests_total{%s %s %s} is not %v", c.route, c.method, c.code, c.n)
		}
	}
	if n := testutil.CollectAndCount(reg, "ttr_http_request_duration_seconds"); n != maxCachedSeries+10+2 {
		t.Errorf("%d latency series", n)
	}
}
