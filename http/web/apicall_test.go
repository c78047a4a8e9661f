package web

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// TestAnswerErrKeepsTheAPIsRetryAfter: a page passes on the wait the API asked for, not a
// guess; without one (or with one it cannot read) it asks for a second.
func TestAnswerErrKeepsTheAPIsRetryAfter(t *testing.T) {
	for _, c := range []struct {
		status int
		header string
		want   time.Duration
	}{
		{http.StatusTooManyRequests, "7", 7 * time.Second},
		{http.StatusServiceUnavailable, "5", 5 * time.Second},
		{http.StatusTooManyRequests, "", time.Second},
		{http.StatusTooManyRequests, "soon", time.Second},
		{http.StatusBadRequest, "7", 0},
	} {
		a := apiAnswer{status: c.status, header: http.Header{"Retry-After": {c.header}}, body: []byte(`{"detail":"slow down"}`)}
		var e *messages.Error
		if err := a.err(); !errors.As(err, &e) || e.RetryAfter != c.want || e.Message != "slow down" {
			t.Errorf("%d with Retry-After %q: %#v, want a wait of %v", c.status, c.header, err, c.want)
		}
	}
	if err := (apiAnswer{status: http.StatusOK}).err(); err != nil {
		t.Errorf("a 2xx answer is an error: %v", err)
	}
}
