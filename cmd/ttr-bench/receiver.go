package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// alertReceiver is the webhook endpoint of the alerts scenario: it answers 200 to every
// request and records, for the check named in the query string (?check=<i>), when each alert
// arrived, its Idempotency-Key and the status it announced. Each check has a URL of its own,
// so each is a destination of its own for ttrd's rate control (docs/architecture.md#alerting-rules: the identity of a
// webhook is its URL), as alerts of many users' checks would be.
type alertReceiver struct {
	srv  *http.Server
	addr string

	mu     sync.Mutex
	hits   map[int][]alertHit
	other  int // requests that name no check
	want   int // checks 0..want-1
	seen   int // distinct checks received
	allIn  chan struct{}
	closed bool
}

// alertHit is one delivery as the receiver saw it.
type alertHit struct {
	At     time.Time
	Key    string // Idempotency-Key
	Status string // "status" of the webhook JSON
}

// startAlertReceiver listens on a free loopback port for the alerts of checks 0..want-1.
func startAlertReceiver(want int) (*alertReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &alertReceiver{addr: ln.Addr().String(), hits: map[int][]alertHit{}, want: want, allIn: make(chan struct{})}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// url is check i's webhook URL.
func (r *alertReceiver) url(i int) string {
	return "http://" + r.addr + "/hook?check=" + strconv.Itoa(i)
}

// ServeHTTP records the request and answers 200.
func (r *alertReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	var body struct {
		Status string `json:"status"`
	}
	_ = json.NewDecoder(io.LimitReader(req.Body, 64<<10)).Decode(&body)
	hit := alertHit{At: at, Key: req.Header.Get("Idempotency-Key"), Status: body.Status}
	i, err := strconv.Atoi(req.URL.Query().Get("check"))
	r.mu.Lock()
	if err != nil || i < 0 || i >= r.want {
		r.other++
	} else {
		if len(r.hits[i]) == 0 {
			r.seen++
			if r.seen == r.want && !r.closed {
				close(r.allIn)
				r.closed = true
			}
		}
		r.hits[i] = append(r.hits[i], hit)
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// snapshot copies what was received so far.
func (r *alertReceiver) snapshot() (hits map[int][]alertHit, other int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	hits = make(map[int][]alertHit, len(r.hits))
	for k, v := range r.hits {
		hits[k] = slices.Clone(v)
	}
	return hits, r.other
}

// Close stops the receiver.
func (r *alertReceiver) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
}

// alertSummary is what the receiver saw of the alerts of checks 0..want-1 that were due at one
// deadline.
type alertSummary struct {
	Received   int       // checks with at least one delivery
	Missing    int       // checks with none
	Duplicates int       // deliveries repeating an Idempotency-Key already received for the check
	Extra      int       // further deliveries with another key (another alert than the one due)
	NoKey      int       // deliveries without an Idempotency-Key
	NotDown    int       // first deliveries whose status is not "down"
	Other      int       // requests naming no check
	Lag        []float64 // seconds from the deadline to each check's first delivery, ascending
}

// summarizeAlerts checks that each of want checks got exactly one alert, a down alert, and
// measures when the first delivery of each arrived after deadline.
func summarizeAlerts(hits map[int][]alertHit, other, want int, deadline time.Time) alertSummary {
	s := alertSummary{Other: other}
	for i := range want {
		hs := hits[i]
		if len(hs) == 0 {
			s.Missing++
			continue
		}
		s.Received++
		first := hs[0]
		for _, h := range hs[1:] {
			if h.At.Before(first.At) {
				first = h
			}
		}
		s.Lag = append(s.Lag, first.At.Sub(deadline).Seconds())
		if first.Status != "down" {
			s.NotDown++
		}
		keys := map[string]bool{}
		for _, h := range hs {
			switch {
			case h.Key == "":
				s.NoKey++
			case keys[h.Key]:
				s.Duplicates++
			case len(keys) > 0:
				s.Extra++
			}
			if h.Key != "" {
				keys[h.Key] = true
			}
		}
	}
	slices.Sort(s.Lag)
	return s
}

// exactlyOnce reports whether every check got one down alert and nothing else arrived.
func (s alertSummary) exactlyOnce() bool {
	return s.Missing == 0 && s.Duplicates == 0 && s.Extra == 0 && s.NoKey == 0 && s.NotDown == 0 && s.Other == 0
}
