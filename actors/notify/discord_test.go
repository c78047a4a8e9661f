package notify_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
)

func discordDelivery(url string) notify.Delivery {
	return chatDelivery(messages.ChannelDiscord, messages.ChannelConfig{URL: url})
}

func TestDiscordRequest(t *testing.T) {
	rc := newReceiver(t, answer(http.StatusNoContent, ""))
	d := discordDelivery(rc.URL + "/api/webhooks/1/tok")
	d.Payload = downPayload("@everyone")

	if got := notify.NewDiscord(chanHTTPConfig(true), nil).Send(context.Background(), d); got != (notify.Result{Outcome: notify.Delivered}) {
		t.Fatalf("Send = %+v, want delivered", got)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/api/webhooks/1/tok" || r.ContentType != "application/json" || r.Key != "down:12.3:discord" {
		t.Errorf("request = %s %s (%s, key %q)", r.Method, r.Path, r.ContentType, r.Key)
	}
	var body struct {
		Content         string `json:"content"`
		AllowedMentions struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	decodeStrict(t, r.Body, &body)
	if want := "🔴 Check Failed: [@everyone] reported a failure. Reason: missed deadline."; body.Content != want {
		t.Errorf("content = %q, want %q", body.Content, want)
	}
	// A check named "@everyone" must not ping everyone: no mention kind is allowed.
	if body.AllowedMentions.Parse == nil || len(body.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions.parse = %#v, want []", body.AllowedMentions.Parse)
	}
	if !strings.Contains(string(r.Body), `"parse":[]`) {
		t.Errorf("body %s: allowed_mentions.parse must be an empty list", r.Body)
	}
}

func TestDiscordLongMessage(t *testing.T) {
	rc := newReceiver(t, answer(204, ""))
	d := discordDelivery(rc.URL)
	d.Payload = downPayload(strings.Repeat("é", 3000))
	if got := notify.NewDiscord(chanHTTPConfig(true), nil).Send(context.Background(), d); got.Outcome != notify.Delivered {
		t.Fatalf("Send = %+v", got)
	}
	var body struct {
		Content         string `json:"content"`
		AllowedMentions any    `json:"allowed_mentions"`
	}
	decodeStrict(t, rc.requests()[0].Body, &body)
	if n := len([]rune(body.Content)); n != 2000 {
		t.Errorf("content has %d characters, want Discord's limit 2000", n)
	}
}

func TestDiscordOutcomes(t *testing.T) {
	rateBody := func(s string) string {
		return `{"message":"You are being rate limited.","retry_after":` + s + `,"global":false}`
	}
	limited := "receiver answered 429 (rate limited)"
	tests := []struct {
		name   string
		status int
		body   string
		header []string
		want   notify.Result
	}{
		{"204", 204, "", nil, notify.Result{Outcome: notify.Delivered}},
		{"200 with wait=true", 200, `{"id":"1"}`, nil, notify.Result{Outcome: notify.Delivered}},
		{"429 body seconds", 429, rateBody("1.5"), nil, notify.Result{Outcome: notify.RateLimited, RetryAfter: 1500 * time.Millisecond, Detail: limited}},
		{"429 body wins over the header", 429, rateBody("0.25"), []string{"Retry-After", "1"}, notify.Result{Outcome: notify.RateLimited, RetryAfter: 250 * time.Millisecond, Detail: limited}},
		{"429 tiny wait rounds up", 429, rateBody("0.0004"), nil, notify.Result{Outcome: notify.RateLimited, RetryAfter: time.Millisecond, Detail: limited}},
		{"429 header only", 429, leakyBody, []string{"Retry-After", "3"}, notify.Result{Outcome: notify.RateLimited, RetryAfter: 3 * time.Second, Detail: limited}},
		{"429 zero in body falls back to the header", 429, rateBody("0"), []string{"Retry-After", "2"}, notify.Result{Outcome: notify.RateLimited, RetryAfter: 2 * time.Second, Detail: limited}},
		{"429 negative", 429, rateBody("-4"), nil, notify.Result{Outcome: notify.RateLimited, Detail: limited}},
		{"429 absurd wait is capped", 429, rateBody("1e300"), nil, notify.Result{Outcome: notify.RateLimited, RetryAfter: 24 * time.Hour, Detail: limited}},
		{"429 nothing", 429, "", nil, notify.Result{Outcome: notify.RateLimited, Detail: limited}},
		{"500", 500, leakyBody, nil, notify.Result{Outcome: notify.Transient, Detail: "receiver answered 500"}},
		{"502", 502, "<html>bad gateway</html>", nil, notify.Result{Outcome: notify.Transient, Detail: "receiver answered 502"}},
		{"400", 400, leakyBody, nil, notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 400"}},
		{"401 bad token", 401, leakyBody, nil, notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 401"}},
		{"404 unknown webhook", 404, `{"message": "Unknown Webhook", "code": 10015}`, nil, notify.Result{Outcome: notify.Permanent, Detail: "receiver answered 404"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, answer(tt.status, tt.body, tt.header...))
			got := notify.NewDiscord(chanHTTPConfig(true), func() time.Time { return chanNow }).Send(context.Background(), discordDelivery(rc.URL))
			if got != tt.want {
				t.Errorf("Send = %+v, want %+v", got, tt.want)
			}
			if strings.Contains(got.Detail, "hunter2") || strings.Contains(got.Detail, "Unknown") {
				t.Errorf("detail %q echoes the response body", got.Detail)
			}
		})
	}
}

func TestDiscordSSRF(t *testing.T) {
	rc := newReceiver(t, answer(204, ""))
	refused := notify.Result{Outcome: notify.Permanent, Detail: notify.DetailNoSuchDestination}
	for _, u := range []string{rc.URL, "http://169.254.169.254/latest/meta-data/"} {
		t.Run(u, func(t *testing.T) {
			if got := notify.NewDiscord(chanHTTPConfig(false), nil).Send(context.Background(), discordDelivery(u)); got != refused {
				t.Errorf("Send(%s) = %+v, want %+v", u, got, refused)
			}
		})
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("a refused request reached the receiver (%d)", n)
	}
	// With the allow-list, the same receiver is reached.
	if got := notify.NewDiscord(chanHTTPConfig(true), nil).Send(context.Background(), discordDelivery(rc.URL)); got.Outcome != notify.Delivered {
		t.Errorf("Send with loopback allowed = %+v, want delivered", got)
	}
}

func TestDiscordInvalidURLAndNetwork(t *testing.T) {
	s := notify.NewDiscord(chanHTTPConfig(true), nil)
	tests := []struct {
		url  string
		want notify.Result
	}{
		{"", notify.Result{Outcome: notify.Permanent, Detail: "the Discord webhook has no URL"}},
		{"gopher://example.com/", notify.Result{Outcome: notify.Permanent, Detail: "the Discord webhook URL must be http or https"}},
		{"http://" + closedAddr(t) + "/", notify.Result{Outcome: notify.Transient, Detail: "connection refused"}},
	}
	for _, tt := range tests {
		if got := s.Send(context.Background(), discordDelivery(tt.url)); got != tt.want {
			t.Errorf("Send(%q) = %+v, want %+v", tt.url, got, tt.want)
		}
	}
}
