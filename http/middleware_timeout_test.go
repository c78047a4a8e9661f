package http_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

func TestTimeout(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
	}{
		{"off", 0},
		{"negative is off", -time.Second},
		{"set", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var deadline time.Time
			var has bool
			start := time.Now()
			ttrhttp.Timeout(tt.d)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				deadline, has = r.Context().Deadline()
			})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			if has != (tt.d > 0) {
				t.Fatalf("deadline set = %v", has)
			}
			if has && (deadline.Before(start.Add(tt.d)) || deadline.After(time.Now().Add(tt.d))) {
				t.Errorf("deadline %v not %v from the request", deadline, tt.d)
			}
		})
	}
}

// A handler that runs out of time answers 503 with Retry-After.
func TestTimeoutAnswers503(t *testing.T) {
	e := newAPIEnv(t, func(c *ttrhttp.Config, _ *ttrhttp.Deps) { c.RequestTimeout = 20 * time.Millisecond })
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	e.checks.PauseFn = func(ctx context.Context, _, _ int64) error {
		<-ctx.Done()
		return ctx.Err()
	}
	rec := e.do("POST", "/api/v1/checks/"+apiItoa(id)+"/pause", u.Key, nil)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" || apiDetail(t, rec) != "request timed out" {
		t.Errorf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

// The deadline is enforced: a handler that waits on its context is released when it passes.
func TestTimeoutFires(t *testing.T) {
	const d = 20 * time.Millisecond
	var err error
	start := time.Now()
	ttrhttp.Timeout(d)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			err = r.Context().Err()
		case <-time.After(10 * time.Second):
		}
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline", err)
	}
	if waited := time.Since(start); waited < d {
		t.Errorf("released after %v, before the deadline", waited)
	}
}

// Wherever the timeout sits in a chain, the handler gets the deadline and what the other
// middleware put in the context; and a client that goes away still cancels the handler.
func TestTimeoutInChain(t *testing.T) {
	tests := []struct {
		name string
		ms   []ttrhttp.Middleware
	}{
		{"first", []ttrhttp.Middleware{ttrhttp.Timeout(time.Minute), ttrhttp.RequestIDs()}},
		{"last", []ttrhttp.Middleware{ttrhttp.RequestIDs(), ttrhttp.Timeout(time.Minute)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var id string
			var has bool
			var err error
			ctx, goAway := context.WithCancel(context.Background())
			h := ttrhttp.Chain(tt.ms...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id = ttrhttp.RequestIDFrom(r.Context())
				_, has = r.Context().Deadline()
				goAway() // the client disconnects while the handler works
				<-r.Context().Done()
				err = r.Context().Err()
			}))
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
			req.Header.Set("X-Request-Id", "rid-7")
			h.ServeHTTP(rec, req)
			if id != "rid-7" || rec.Header().Get("X-Request-Id") != "rid-7" {
				t.Errorf("request id %q in the context, %q in the header", id, rec.Header().Get("X-Request-Id"))
			}
			if !has {
				t.Error("no deadline")
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err %v, want the client's cancellation", err)
			}
		})
	}
}
