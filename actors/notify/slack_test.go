package notify_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
)

func slackDelivery(url string) notify.Delivery {
	return chatDelivery(messages.ChannelSlack, messages.ChannelConfig{URL: url})
}

func TestSlackRequest(t *testing.T) {
	rc := newReceiver(t, answer(200, "ok"))
	s := notify.NewSlack(chanHTTPConfig(true), nil)
	d := slackDelivery(rc.URL + "/services/T0/B0/xyz")
	d.Payload = downPayload("db <!channel> & co")

	if got := s.Send(context.Background(), d); got != (notify.Result{Outcome: notify.Delivered}) {
		t.Fatalf("Send = %+v, want delivered", got)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/services/T0/B0/xyz" || r.ContentType != "application/json" || r.Key != "down:12.3:slack" {
		t.Errorf("request = %s %s (%s, key %q)", r.Method, r.Path, r.ContentType, r.Key)
	}
	var body struct {
		Text string `json:"text"`
	}
	decodeStrict(t, r.Body, &body)
	// Slack reads <…> as markup: a check's name must not notify a whole channel.
	want := "🔴 Check Failed: [db &lt;!channel&gt; &amp; co] reported a failure. Reason: missed deadline."
	if body.Text != want {
		t.Errorf("text = %q, want %q", body.Text, want)
	}
}

func TestSlackOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header []string
		want   notify.Result
	}{
		{"200", 200, nil, notify.Result{Outcome: notify.Delivered}},
		{"429 with Retry-After", 429, []string{"Retry-After", "30"}, notify.Result{Outcome: notify.RateLimited, RetryAfter: 30 * time.Second, Detail: "receiver answered 429 (rate limited)"}},
		{"429 with a date", 429, []string{"Retry-After", chanNow.Add(time.Minute).Format(http.TimeFormat)}, notify.Result{Outcome: notify.RateLimited, RetryAfter: time.Minute, Detail: "receiver answered 429 (rate limited)"}},
		{"500", 500, nil, notify.Result{Outcome: notify.Transient, Detail: "receiver answered 500"}},
		{"503", 503, nil, notify.Result{Outcome: notify.Transient, Detail: "receiver answered 503"}},
		{"400 invalid_payload", 400, nil, notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 400"}},
		{"403 invalid_token", 403, nil, notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 403"}},
		{"404 no_service", 404, nil, notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 404"}},
		{"410 channel_is_archived", 410, nil, notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 410"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, answer(tt.status, leakyBody, tt.header...))
			got := notify.NewSlack(chanHTTPConfig(true), func() time.Time { return chanNow }).Send(context.Background(), slackDelivery(rc.URL))
			if got != tt.want {
				t.Errorf("Send = %+v, want %+v", got, tt.want)
			}
			if strings.Contains(got.Detail, "hunter2") {
				t.Errorf("detail %q echoes the response body", got.Detail)
			}
		})
	}
}

func TestSlackSSRF(t *testing.T) {
	rc := newReceiver(t, answer(200, "ok"))
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.URL, "http://"))
	refused := notify.Result{Outcome: notify.Permanent, Detail: notify.DetailNoSuchDestination}
	for _, u := range []string{rc.URL, "http://localhost:" + port + "/", "http://[::1]:" + port + "/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1:" + port + "/"} {
		t.Run(u, func(t *testing.T) {
			if got := notify.NewSlack(chanHTTPConfig(false), nil).Send(context.Background(), slackDelivery(u)); got != refused {
				t.Errorf("Send(%s) = %+v, want %+v", u, got, refused)
			}
		})
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("a refused request reached the receiver (%d)", n)
	}
}

func TestSlackInvalidURL(t *testing.T) {
	tests := map[string]string{
		"":                      "the Slack webhook has no URL",
		"ftp://example.com/x":   "the Slack webhook URL must be http or https",
		"javascript:alert(1)":   "the Slack webhook URL is not valid",
		"http://":               "the Slack webhook URL is not valid",
		"https://exa mple.com/": "the Slack webhook URL is not valid",
	}
	for u, detail := range tests {
		t.Run(u, func(t *testing.T) {
			got := notify.NewSlack(chanHTTPConfig(false), nil).Send(context.Background(), slackDelivery(u))
			if want := (notify.Result{Outcome: notify.Permanent, Detail: detail}); got != want {
				t.Errorf("Send(%q) = %+v, want %+v", u, got, want)
			}
		})
	}
}

func TestSlackNetworkErrors(t *testing.T) {
	got := notify.NewSlack(chanHTTPConfig(true), nil).Send(context.Background(), slackDelivery("http://"+closedAddr(t)+"/"))
	if want := (notify.Result{Outcome: notify.Transient, Detail: "connection refused"}); got != want {
		t.Errorf("Send = %+v, want %+v", got, want)
	}
}
