package http

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// InternalHandler serves the internal listener (--internal-addr, for a private network):
// /metrics from g (none when g is nil), /debug/pprof/ and the paths of extra (the cluster
// view, as it lands), on a mux of its own. /debug/pprof/cmdline is not served: the command
// line may hold a password (a --database-url). Importing net/http/pprof also registers its
// handlers on http.DefaultServeMux, which ttr never serves. An extra path that repeats one of
// these panics, as http.ServeMux does.
func InternalHandler(g prometheus.Gatherer, extra map[string]http.Handler) http.Handler {
	mux := http.NewServeMux()
	if g != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.Handle("/debug/pprof/cmdline", http.NotFoundHandler())
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	for path, h := range extra {
		mux.Handle(path, h)
	}
	return mux
}
