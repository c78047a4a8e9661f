package http

import (
	"context"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"testing"

	"github.com/ttr-rip/ttr/messages"
)

// benchStore answers ResolveUUID only; any other call panics on the nil interface.
type benchStore struct{ Store }

func (benchStore) ResolveUUID(context.Context, string) (messages.CheckRef, error) {
	return messages.CheckRef{ID: 1, UserID: 1}, nil
}

type benchChecks struct{ Checks }

func (benchChecks) Ping(context.Context, int64, *messages.Ping) (string, error) { return "", nil }

type discardWriter struct{ h nethttp.Header }

func (w *discardWriter) Header() nethttp.Header      { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkPingHandlerAlone measures the ping handler without router and middleware: a
// cached /ping/{uuid} GET, with and without a deadline already on the request (the Timeout
// middleware sets one).
func BenchmarkPingHandlerAlone(b *testing.B) {
	cfg := DefaultConfig()
	h := newPingHandler(cfg, Deps{Store: benchStore{}, Checks: benchChecks{}}, slog.New(slog.DiscardHandler), nil)
	for _, deadline := range []bool{false, true} {
		b.Run(map[bool]string{false: "no deadline", true: "deadline"}[deadline], func(b *testing.B) {
			r := httptest.NewRequest("GET", "/ping/0f8fad5b-d9cb-469f-a165-70867728950e", nil)
			if deadline {
				ctx, cancel := context.WithTimeout(r.Context(), cfg.RequestTimeout)
				defer cancel()
				r = r.WithContext(ctx)
			}
			w := &discardWriter{h: nethttp.Header{}}
			h.serve(w, r, nil)
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.serve(w, r, nil)
			}
		})
	}
}
