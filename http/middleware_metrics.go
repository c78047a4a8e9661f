package http

import (
	"errors"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/messages/promreg"
)

// Metrics counts requests by route pattern, method and status code
// (ttr_http_requests_total) and observes their latency by route pattern and method
// (ttr_http_request_duration_seconds), on reg. Handlers record their pattern with setRoute;
// requests no handler claimed are labelled "unmatched". A nil reg records nothing.
//
// Building it twice on one registerer reuses the collectors already there.
func Metrics(reg prometheus.Registerer) Middleware {
	if reg == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	requests, err1 := promreg.Reuse(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ttr",
		Subsystem: "http",
		Name:      "requests_total",
		Help:      "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "method", "code"}))
	latency, err2 := promreg.Reuse(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "ttr",
		Subsystem: "http",
		Name:      "request_duration_seconds",
		Help:      "HTTP request latency by route pattern and method.",
		Buckets:   []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"}))
	if err := errors.Join(err1, err2); err != nil {
		panic(err) // a name clash with other labels: a programming error
	}
	m := &httpMetrics{requests: requests, latency: latency}
	m.cache.Store(&map[seriesKey]series{})
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, w, r := begin(w, r)
			next.ServeHTTP(w, r)
			status := st.w.status
			if status == 0 {
				status = http.StatusOK // net/http sends 200 for a handler that wrote nothing
			}
			s := m.series(st.routeLabel(), methodLabel(r.Method), status)
			s.requests.Inc()
			s.latency.Observe(time.Since(st.start).Seconds())
		})
	}
}

// httpMetrics holds the request collectors and the series already looked up in them:
// WithLabelValues hashes its labels and takes a lock on every call, while the labels here
// take few values (route patterns, standard methods, the statuses the edge answers).
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	// cache is copied on write: a request reads it with one atomic load and no lock, so
	// concurrent requests never contend on it. Writes happen once per new series.
	cache atomic.Pointer[map[seriesKey]series]
	mu    sync.Mutex // serialises writers of cache
}

type seriesKey struct {
	route, method string
	code          int
}

type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// maxCachedSeries bounds the cache, and so the cost of copying it. The labels are bounded
// anyway; beyond it, series are looked up in the vectors on every request.
const maxCachedSeries = 1024

// series returns the collectors of one label set.
func (m *httpMetrics) series(route, method string, code int) series {
	k := seriesKey{route: route, method: method, code: code}
	if s, ok := (*m.cache.Load())[k]; ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cached := *m.cache.Load()
	if s, ok := cached[k]; ok { // added while this request waited for the lock
		return s
	}
	s := series{
		requests: m.requests.WithLabelValues(route, method, strconv.Itoa(code)),
		latency:  m.latency.WithLabelValues(route, method),
	}
	if len(cached) < maxCachedSeries {
		next := make(map[seriesKey]series, len(cached)+1)
		maps.Copy(next, cached)
		next[k] = s
		m.cache.Store(&next)
	}
	return s
}

// methodLabel bounds the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
