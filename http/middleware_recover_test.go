package http_test

import (
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

func TestRecoverer(t *testing.T) {
	tests := []struct {
		name       string
		h          http.HandlerFunc
		status     int
		body       string
		logged     bool
		handlerHdr bool // the handler's header survives
	}{
		{"no panic", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Handler", "1")
			_, _ = w.Write([]byte("fine"))
		}, 200, "fine", false, true},
		{"panic before writing", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Handler", "1")
			w.Header().Set("ETag", `"x"`)
			panic("kaboom")
		}, 500, `{"detail":"internal error"}` + "\n", true, false},
		{"panic with error", func(w http.ResponseWriter, r *http.Request) {
			panic(errors.New("kaboom"))
		}, 500, `{"detail":"internal error"}` + "\n", true, false},
		{"panic after writing", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Handler", "1")
			w.WriteHeader(202)
			_, _ = w.Write([]byte("part"))
			panic("kaboom")
		}, 202, "part", true, true},
		{"panic after changing an outer header", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Outer", "2")
			panic("kaboom")
		}, 500, `{"detail":"internal error"}` + "\n", true, false},
		{"panic after adding to an outer header", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("X-Outer", "2")
			panic("kaboom")
		}, 500, `{"detail":"internal error"}` + "\n", true, false},
		{"panic after deleting outer headers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Del("X-Outer")
			clear(w.Header())
			panic("kaboom")
		}, 500, `{"detail":"internal error"}` + "\n", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			outer := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("X-Outer", "1")
					next.ServeHTTP(w, r)
				})
			}
			h := ttrhttp.Chain(outer, ttrhttp.Recoverer(log))(tt.h)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tt.status, tt.body)
			}
			if got := rec.Header().Values("X-Outer"); !slices.Equal(got, []string{"1"}) {
				t.Errorf("the outer middleware's header is %q, want [1]", got)
			}
			if got := rec.Header().Get("X-Handler") == "1"; got != tt.handlerHdr {
				t.Errorf("handler header kept = %v, want %v", got, tt.handlerHdr)
			}
			if tt.status == 500 && rec.Header().Get("ETag") != "" {
				t.Error("the panicking handler's ETag was kept")
			}
			out := logs.String()
			if n := strings.Count(out, "panic serving request"); n != map[bool]int{true: 1, false: 0}[tt.logged] {
				t.Errorf("logged %d times: %s", n, out)
			}
			if tt.logged && (!strings.Contains(out, "kaboom") || !strings.Contains(out, "goroutine") || !strings.Contains(out, "level=ERROR")) {
				t.Errorf("log lacks the panic or its stack: %s", out)
			}
		})
	}
}

// However many headers outer middleware set, a panic keeps exactly them.
func TestRecovererKeepsAllOuterHeaders(t *testing.T) {
	for _, n := range []int{0, 1, 8, 9, 30} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			outer := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					for i := range n {
						w.Header().Set("X-Outer-"+strconv.Itoa(i), strconv.Itoa(i))
					}
					next.ServeHTTP(w, r)
				})
			}
			h := ttrhttp.Chain(outer, ttrhttp.Recoverer(nil))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Handler", "1")
				if n > 0 {
					w.Header().Set("X-Outer-0", "changed")
				}
				panic("kaboom")
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			want := http.Header{"Content-Type": {"application/json"}}
			for i := range n {
				want.Set("X-Outer-"+strconv.Itoa(i), strconv.Itoa(i))
			}
			if rec.Code != 500 || !maps.EqualFunc(rec.Header(), want, slices.Equal) {
				t.Errorf("%d %v, want 500 %v", rec.Code, rec.Header(), want)
			}
		})
	}
}

func TestRecovererLetsAbortThrough(t *testing.T) {
	h := ttrhttp.Recoverer(nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("ErrAbortHandler was swallowed")
}
