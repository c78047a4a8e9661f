package http_test

import (
	"context"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
)

// benchWriter is a ResponseWriter that keeps nothing, so a benchmark counts the edge's
// allocations and not a recorder's.
type benchWriter struct {
	h    nethttp.Header
	code int
}

func (w *benchWriter) Header() nethttp.Header      { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }

// rewindBody is a request body that can be read again without allocating.
type rewindBody struct {
	b   []byte
	off int
}

func (r *rewindBody) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

func (r *rewindBody) Close() error { return nil }

// BenchmarkPingHandler serves cached pings through the whole edge (router and middleware
// chain included) with fakes behind it: the allocations reported are the edge's per ping.
// Like net/http's, each request's context can be cancelled (by the client going away).
func BenchmarkPingHandler(b *testing.B) {
	w := newLookupWorld(b)
	checks := &fakePingChecks{PingFunc: func(context.Context, int64, *messages.Ping) (string, error) { return "", nil }}
	cfg := http.DefaultConfig()
	for _, bc := range []struct {
		name, method, target string
		body                 []byte
		reg                  bool
		requestID            string // sent by the client ("" = none: the edge makes one)
	}{
		{"uuid GET", "GET", "/ping/" + lkUUID1, nil, false, ""},
		{"uuid GET metrics", "GET", "/ping/" + lkUUID1, nil, true, ""},
		{"uuid GET metrics request id", "GET", "/ping/" + lkUUID1, nil, true, "client-chosen-id-1"},
		{"uuid exit HEAD", "HEAD", "/ping/" + lkUUID1 + "/3", nil, false, ""},
		{"user slug GET rid", "GET", "/p/alice/backup/start?rid=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", nil, false, ""},
		{"ping key POST 1KB", "POST", "/ping/" + lkKey1 + "/backup", []byte(strings.Repeat("x", 1024)), false, ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			deps := http.Deps{Store: w.store(), Checks: checks, Ring: w.ring}
			if bc.reg {
				deps.Registerer = prometheus.NewRegistry()
			}
			h := http.NewServer(cfg, deps).Handler()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := httptest.NewRequest(bc.method, bc.target, nil).WithContext(ctx)
			if bc.requestID != "" {
				r.Header.Set(http.HeaderRequestID, bc.requestID)
			}
			body := &rewindBody{b: bc.body}
			rw := &benchWriter{h: nethttp.Header{}}
			serve := func() {
				clear(rw.h)
				if bc.body != nil {
					body.off = 0
					r.Body = body
				}
				h.ServeHTTP(rw, r)
				if rw.code != 0 && rw.code != nethttp.StatusOK {
					b.Fatalf("status %d", rw.code)
				}
			}
			serve() // fill the cache
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				serve()
			}
		})
	}
}

// BenchmarkPingHandlerParallel serves cached /ping/{uuid} GETs through the whole edge, with
// metrics, from as many goroutines as GOMAXPROCS: the shape of many keep-alive connections,
// which shared locks and counters would slow down.
func BenchmarkPingHandlerParallel(b *testing.B) {
	w := newLookupWorld(b)
	checks := &fakePingChecks{PingFunc: func(context.Context, int64, *messages.Ping) (string, error) { return "", nil }}
	h := http.NewServer(http.DefaultConfig(), http.Deps{
		Store: w.store(), Checks: checks, Ring: w.ring, Registerer: prometheus.NewRegistry(),
	}).Handler()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := httptest.NewRequest("GET", "/ping/"+lkUUID1, nil).WithContext(ctx)
		rw := &benchWriter{h: nethttp.Header{}}
		for pb.Next() {
			clear(rw.h)
			h.ServeHTTP(rw, r)
			if rw.code != 0 && rw.code != nethttp.StatusOK {
				b.Errorf("status %d", rw.code)
				return
			}
		}
	})
}
