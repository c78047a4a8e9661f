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
func BenchmarkPingHandler(b *testing.B) {
	w := newLookupWorld(b)
	checks := &fakePingChecks{PingFunc: func(context.Context, int64, *messages.Ping) (string, error) { return "", nil }}
	cfg := http.DefaultConfig()
	for _, bc := range []struct {
		name, method, target string
		body                 []byte
		reg                  bool
	}{
		{"uuid GET", "GET", "/ping/" + lkUUID1, nil, false},
		{"uuid GET metrics", "GET", "/ping/" + lkUUID1, nil, true},
		{"uuid exit HEAD", "HEAD", "/ping/" + lkUUID1 + "/3", nil, false},
		{"user slug GET rid", "GET", "/p/alice/backup/start?rid=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", nil, false},
		{"ping key POST 1KB", "POST", "/ping/" + lkKey1 + "/backup", []byte(strings.Repeat("x", 1024)), false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			deps := http.Deps{Store: w.store(), Checks: checks, Ring: w.ring}
			if bc.reg {
				deps.Registerer = prometheus.NewRegistry()
			}
			h := http.NewServer(cfg, deps).Handler()
			r := httptest.NewRequest(bc.method, bc.target, nil)
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
