package http

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	requests := registerCollector(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ttr",
		Subsystem: "http",
		Name:      "requests_total",
		Help:      "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "method", "code"}))
	latency := registerCollector(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "ttr",
		Subsystem: "http",
		Name:      "request_duration_seconds",
		Help:      "HTTP request latency by route pattern and method.",
		Buckets:   []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"}))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := recordStatus(w)
			r, route := withRouteHolder(r)
			next.ServeHTTP(sw, r)
			status := sw.status
			if status == 0 {
				status = http.StatusOK // net/http sends 200 for a handler that wrote nothing
			}
			method := methodLabel(r.Method)
			requests.WithLabelValues(route.route(), method, strconv.Itoa(status)).Inc()
			latency.WithLabelValues(route.route(), method).Observe(time.Since(start).Seconds())
		})
	}
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

// registerCollector registers c on reg, or returns the equal collector registered before.
// Any other registration error is a programming error and panics.
func registerCollector[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}
