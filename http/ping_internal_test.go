package http

import (
	"context"
	"log/slog"
	"maps"
	nethttp "net/http"
	"net/http/httptest"
	"slices"
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

// equivStore resolves /p/alice/backup and the uuid of benchStore; every other lookup is
// not found.
type equivStore struct{ benchStore }

func (equivStore) UserBySlug(_ context.Context, slug string) (messages.User, error) {
	if slug != "alice" {
		return messages.User{}, messages.ErrNotFound
	}
	return messages.User{ID: 1, SlugPings: true}, nil
}

func (equivStore) ResolveSlug(_ context.Context, userID int64, slug string) (messages.CheckRef, error) {
	if userID != 1 || slug != "backup" {
		return messages.CheckRef{}, messages.ErrNotFound
	}
	return messages.CheckRef{ID: 2, UserID: 1}, nil
}

// pingsFirst answers every request exactly as the router alone does.
func TestPingsFirstAnswersAsTheRouter(t *testing.T) {
	s := NewServer(DefaultConfig(), Deps{Store: equivStore{}, Checks: benchChecks{}})
	router, ping := s.routes()
	fast := pingsFirst(ping, router)
	const uuid = "0f8fad5b-d9cb-469f-a165-70867728950e"
	paths := []string{
		"/p/alice/backup", "/p/alice/backup/start", "/p/alice/backup/7", "/p/alice/backup/300",
		"/p/alice/nope", "/p/bob/backup", "/p/alice", "/p/", "/p", "/p//", "/px/alice/backup",
		"/ping/" + uuid, "/ping/" + uuid + "/fail", "/ping/" + uuid + "/x", "/ping/" + uuid + "?rid=bad",
		"/ping/key/backup", "/ping/", "/ping", "/pingx/" + uuid, "/pin",
		"/healthz", "/nope", "/api/v1/users",
	}
	for _, method := range []string{"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		for _, path := range paths {
			t.Run(method+" "+path, func(t *testing.T) {
				want, got := httptest.NewRecorder(), httptest.NewRecorder()
				router.ServeHTTP(want, httptest.NewRequest(method, path, nil))
				fast.ServeHTTP(got, httptest.NewRequest(method, path, nil))
				if got.Code != want.Code || got.Body.String() != want.Body.String() ||
					!maps.EqualFunc(got.Header(), want.Header(), slices.Equal) {
					t.Errorf("got %d %v %q, want %d %v %q", got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
				}
			})
		}
	}
}
