package notify_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
)

// secretBody is what test receivers answer; it must never reach a Result.
const secretBody = "internal-stack-trace: db password hunter2"

var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func newWebhook(tb testing.TB, allow bool, mod ...func(*notify.HTTPConfig)) *notify.Webhook {
	tb.Helper()
	cfg := notify.DefaultHTTPConfig()
	cfg.Timeout = 2 * time.Second
	cfg.DialTimeout = time.Second
	if allow {
		cfg.AllowNets = loopback
	}
	for _, m := range mod {
		m(&cfg)
	}
	return notify.NewWebhook(cfg, func() time.Time { return fixedNow })
}

func delivery(url string) notify.Delivery {
	return notify.Delivery{
		Row:     messages.OutboxRow{ID: 7, IdempotencyKey: "down:12.3:webhook", Channel: messages.ChannelWebhook},
		Dest:    messages.ChannelConfig{URL: url},
		Payload: []byte(`{"check_id":12,"status":"down"}`),
	}
}

func TestWebhookRequest(t *testing.T) {
	type seen struct {
		method, ctype, key, ua, body string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.Header.Get("Content-Type"), r.Header.Get("Idempotency-Key"), r.Header.Get("User-Agent"), string(b)}
	}))
	t.Cleanup(srv.Close)

	res := newWebhook(t, true).Send(context.Background(), delivery(srv.URL+"/hook"))
	if res.Outcome != notify.Delivered {
		t.Fatalf("result = %+v, want delivered", res)
	}
	s := <-got
	want := seen{"POST", "application/json", "down:12.3:webhook", "ttr", `{"check_id":12,"status":"down"}`}
	if s != want {
		t.Errorf("request = %+v, want %+v", s, want)
	}
}

func TestWebhookOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		want       notify.Result
	}{
		{"200", 200, "", notify.Result{Outcome: notify.Delivered}},
		{"204", 204, "", notify.Result{Outcome: notify.Delivered}},
		{"429 seconds", 429, "7", notify.Result{Outcome: notify.RateLimited, RetryAfter: 7 * time.Second, Detail: "receiver answered 429 (rate limited)"}},
		{"429 http date", 429, fixedNow.Add(2 * time.Minute).Format(http.TimeFormat), notify.Result{Outcome: notify.RateLimited, RetryAfter: 2 * time.Minute, Detail: "receiver answered 429 (rate limited)"}},
		{"429 none", 429, "", notify.Result{Outcome: notify.RateLimited, Detail: "receiver answered 429 (rate limited)"}},
		{"429 garbage", 429, "soon", notify.Result{Outcome: notify.RateLimited, Detail: "receiver answered 429 (rate limited)"}},
		{"500", 500, "", notify.Result{Outcome: notify.Transient, Detail: "receiver answered 500"}},
		{"503", 503, "30", notify.Result{Outcome: notify.Transient, Detail: "receiver answered 503"}},
		{"400", 400, "", notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 400"}},
		{"404", 404, "", notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 404"}},
		{"410", 410, "", notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 410"}},
		{"304", 304, "", notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 304"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, secretBody)
			}))
			t.Cleanup(srv.Close)
			got := newWebhook(t, true).Send(context.Background(), delivery(srv.URL))
			if got != tt.want {
				t.Errorf("Send = %+v, want %+v", got, tt.want)
			}
			if strings.Contains(got.Detail, "hunter2") || strings.Contains(got.Detail, "stack") {
				t.Errorf("detail %q echoes the response body", got.Detail)
			}
		})
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // a receiver that never answers in time
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	wh := newWebhook(t, true, func(c *notify.HTTPConfig) { c.Timeout = 200 * time.Millisecond })
	start := time.Now()
	got := wh.Send(context.Background(), delivery(srv.URL))
	if got.Outcome != notify.Transient || got.Detail != "receiver did not answer within 200ms" {
		t.Errorf("Send = %+v, want transient timeout", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %s with a 200ms timeout", d)
	}
}

func TestWebhookRedirects(t *testing.T) {
	var hits atomic.Int32
	var lastBody atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/final", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/found", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/final", http.StatusFound)
	})
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		lastBody.Store(r.Method + " " + string(b))
	})
	mux.HandleFunc("/to-metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.255.255.1/", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/to-ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.com/", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	wh := newWebhook(t, true)

	t.Run("308 keeps the alert", func(t *testing.T) {
		got := wh.Send(context.Background(), delivery(srv.URL+"/moved"))
		if got.Outcome != notify.Delivered {
			t.Fatalf("Send = %+v, want delivered", got)
		}
		if b := lastBody.Load(); b != `POST {"check_id":12,"status":"down"}` {
			t.Errorf("final request = %v", b)
		}
	})
	t.Run("302 would drop the alert", func(t *testing.T) {
		got := wh.Send(context.Background(), delivery(srv.URL+"/found"))
		want := notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 302: only 307 and 308 redirects keep the alert"}
		if got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
	})
	t.Run("redirect limit", func(t *testing.T) {
		got := wh.Send(context.Background(), delivery(srv.URL+"/loop"))
		want := notify.Result{Outcome: notify.Permanent, Detail: "receiver redirected too many times"}
		if got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
		if n := hits.Load(); n != 4 { // the request and 3 redirects
			t.Errorf("receiver saw %d requests, want 4", n)
		}
	})
	for _, path := range []string{"/to-metadata", "/to-private"} {
		t.Run("redirect "+path, func(t *testing.T) {
			got := wh.Send(context.Background(), delivery(srv.URL+path))
			want := notify.Result{Outcome: notify.Permanent, Detail: notify.DetailNoSuchDestination}
			if got != want {
				t.Errorf("Send = %+v, want %+v", got, want)
			}
		})
	}
	t.Run("redirect to another scheme", func(t *testing.T) {
		got := wh.Send(context.Background(), delivery(srv.URL+"/to-ftp"))
		if got.Outcome != notify.Permanent {
			t.Errorf("Send = %+v, want permanent", got)
		}
	})
}

func TestWebhookSSRF(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, secretBody)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	refused := notify.Result{Outcome: notify.Permanent, Detail: notify.DetailNoSuchDestination}

	tests := []struct {
		name  string
		url   string
		allow bool
		want  notify.Result
	}{
		{"loopback refused by default", srv.URL, false, refused},
		{"loopback allowed by configuration", srv.URL, true, notify.Result{Outcome: notify.Delivered}},
		{"a name resolving to loopback", "http://localhost:" + port + "/", false, refused},
		{"metadata address", "http://169.254.169.254/latest/meta-data/", false, refused},
		{"metadata address with loopback allowed", "http://169.254.169.254/latest/meta-data/", true, refused},
		{"private address", "http://10.0.0.1:" + port + "/", false, refused},
		{"IPv6 loopback", "http://[::1]:" + port + "/", false, refused},
		{"unspecified", "http://0.0.0.0:" + port + "/", false, refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hits.Load()
			got := newWebhook(t, tt.allow).Send(context.Background(), delivery(tt.url))
			if got != tt.want {
				t.Errorf("Send(%s) = %+v, want %+v", tt.url, got, tt.want)
			}
			if tt.want.Outcome != notify.Delivered && hits.Load() != before {
				t.Errorf("the refused request reached the receiver")
			}
		})
	}
}

func TestWebhookInvalidDestination(t *testing.T) {
	wh := newWebhook(t, false)
	for _, u := range []string{"", "ftp://example.com/x", "file:///etc/passwd", "http://", "://nope", "javascript:alert(1)"} {
		t.Run(u, func(t *testing.T) {
			got := wh.Send(context.Background(), delivery(u))
			if got.Outcome != notify.Permanent || got.Detail == "" {
				t.Errorf("Send(%q) = %+v, want a permanent failure", u, got)
			}
		})
	}
}

func TestWebhookConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	got := newWebhook(t, true).Send(context.Background(), delivery("http://"+addr+"/"))
	want := notify.Result{Outcome: notify.Transient, Detail: "connection refused"}
	if got != want {
		t.Errorf("Send = %+v, want %+v", got, want)
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"  12 ", 12 * time.Second},
		{"3600", time.Hour},
		{fixedNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{fixedNow.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 0},
		{"1.5", 0},
		{"tomorrow", 0},
		{"99999999999999999999", 0},
		{"9999999999999", time.Duration(1<<63 - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := notify.ParseRetryAfter(tt.in, fixedNow); got != tt.want {
				t.Errorf("ParseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
