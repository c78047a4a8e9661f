package http_test

import (
	"context"
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
