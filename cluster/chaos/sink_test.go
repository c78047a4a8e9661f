package chaos_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// sink is the webhook receiver every canary alerts: it answers 200 and records every
// delivery with its Idempotency-Key, path (one per canary, so each canary is its own
// destination and notifier) and arrival time.
type sink struct {
	*httptest.Server
	mu  sync.Mutex
	got []delivery
}

type delivery struct {
	Path, Key string
	Status    string // the payload's status
	At        time.Time
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Status string `json:"status"`
		}
		_ = json.NewDecoder(r.Body).Decode(&p)
		s.mu.Lock()
		s.got = append(s.got, delivery{Path: r.URL.Path, Key: r.Header.Get("Idempotency-Key"), Status: p.Status, At: time.Now()})
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) deliveries() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.got...)
}

// byPath groups the deliveries per path.
func (s *sink) byPath() map[string][]delivery {
	out := map[string][]delivery{}
	for _, d := range s.deliveries() {
		out[d.Path] = append(out[d.Path], d)
	}
	return out
}
