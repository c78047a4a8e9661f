package notify_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
)

const (
	tgToken  = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	tgSecret = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
)

// newTelegram returns a sender whose API is apiURL. The HTTP config has no allow-list:
// Telegram's fixed, operator-chosen host is not filtered, so the loopback fake is reached.
func newTelegram(tb testing.TB, apiURL string, mod ...func(*notify.TelegramConfig)) *notify.Telegram {
	tb.Helper()
	cfg := notify.TelegramConfig{APIURL: apiURL, HTTP: chanHTTPConfig(false)}
	for _, m := range mod {
		m(&cfg)
	}
	tg, err := notify.NewTelegram(cfg, func() time.Time { return chanNow })
	if err != nil {
		tb.Fatal(err)
	}
	return tg
}

func tgDelivery(token, chat string) notify.Delivery {
	return chatDelivery(messages.ChannelTelegram, messages.ChannelConfig{BotToken: token, ChatID: chat})
}

// assertNoToken fails when a Result shows the bot token or its secret half.
func assertNoToken(tb testing.TB, r notify.Result) {
	tb.Helper()
	if strings.Contains(r.Detail, tgSecret) || strings.Contains(r.Detail, "123456:") {
		tb.Errorf("detail %q reveals the bot token", r.Detail)
	}
}

func TestTelegramRequest(t *testing.T) {
	for _, prefix := range []string{"", "/tg-proxy"} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			rc := newReceiver(t, answer(200, `{"ok":true,"result":{"message_id":1}}`))
			got := newTelegram(t, rc.URL+prefix).Send(context.Background(), tgDelivery(tgToken, "-1001234567890"))
			if got != (notify.Result{Outcome: notify.Delivered}) {
				t.Fatalf("Send = %+v, want delivered", got)
			}
			reqs := rc.requests()
			if len(reqs) != 1 {
				t.Fatalf("receiver saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if want := prefix + "/bot" + tgToken + "/sendMessage"; r.Method != http.MethodPost || r.Path != want {
				t.Errorf("request = %s %s, want POST %s", r.Method, r.Path, want)
			}
			if r.ContentType != "application/json" {
				t.Errorf("Content-Type = %q", r.ContentType)
			}
			var body struct {
				ChatID string `json:"chat_id"`
				Text   string `json:"text"`
			}
			decodeStrict(t, r.Body, &body)
			if body.ChatID != "-1001234567890" {
				t.Errorf("chat_id = %q", body.ChatID)
			}
			if want := "🔴 Check Failed: [backup] reported a failure. Reason: missed deadline."; body.Text != want {
				t.Errorf("text = %q, want %q", body.Text, want)
			}
		})
	}
}

func TestTelegramOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		header []string
		want   notify.Result
	}{
		{"ok", 200, `{"ok":true,"result":{}}`, nil, notify.Result{Outcome: notify.Delivered}},
		{"200 without ok", 200, `{"ok":false}`, nil, notify.Result{Outcome: notify.Transient, Detail: "Telegram answered 200 with a body that is not a Bot API success"}},
		{"200 not json", 200, `<html>proxy login</html>`, nil, notify.Result{Outcome: notify.Transient, Detail: "Telegram answered 200 with a body that is not a Bot API success"}},
		{"429 retry_after", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}`, nil,
			notify.Result{Outcome: notify.RateLimited, RetryAfter: 5 * time.Second, Detail: "Telegram answered 429: Too Many Requests: retry after 5"}},
		{"429 retry_after wins over the header", 429, `{"ok":false,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`, []string{"Retry-After", "1"},
			notify.Result{Outcome: notify.RateLimited, RetryAfter: 7 * time.Second, Detail: "Telegram answered 429: Too Many Requests: retry after 7"}},
		{"429 header only", 429, `not json`, []string{"Retry-After", "3"},
			notify.Result{Outcome: notify.RateLimited, RetryAfter: 3 * time.Second, Detail: "Telegram answered 429"}},
		{"429 nothing", 429, ``, nil, notify.Result{Outcome: notify.RateLimited, Detail: "Telegram answered 429"}},
		{"400 chat not found", 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, nil,
			notify.Result{Outcome: notify.Permanent, Detail: "Telegram answered 400: Bad Request: chat not found"}},
		{"400 group upgraded", 400, `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}`, nil,
			notify.Result{Outcome: notify.Permanent, Detail: "Telegram answered 400: Bad Request: group chat was upgraded to a supergroup chat (the group is now the chat -1001234: update the chat id)"}},
		{"401 bad token", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, nil,
			notify.Result{Outcome: notify.Permanent, Detail: "Telegram answered 401: Unauthorized"}},
		{"403 blocked", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`, nil,
			notify.Result{Outcome: notify.Permanent, Detail: "Telegram answered 403: Forbidden: bot was blocked by the user"}},
		{"404", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`, nil,
			notify.Result{Outcome: notify.Permanent, Detail: "Telegram answered 404: Not Found"}},
		{"404 from a proxy", 404, leakyBody, nil, notify.Result{Outcome: notify.Permanent, Detail: "Telegram answered 404"}},
		{"500 html", 500, `<html>` + leakyBody + `</html>`, nil, notify.Result{Outcome: notify.Transient, Detail: "Telegram answered 500"}},
		{"502 json", 502, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`, nil,
			notify.Result{Outcome: notify.Transient, Detail: "Telegram answered 502: Bad Gateway"}},
		{"description with the token", 400, `{"ok":false,"description":"Bad Request: bot ` + tgToken + ` and ` + tgSecret + "\\nline" + `"}`, nil,
			notify.Result{Outcome: notify.Permanent, Detail: "Telegram answered 400: Bad Request: bot <redacted> and <redacted> line"}},
		{"long description", 400, `{"ok":false,"description":"` + strings.Repeat("x", 500) + `"}`, nil,
			notify.Result{Outcome: notify.Permanent, Detail: "Telegram answered 400: " + strings.Repeat("x", 199) + "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, answer(tt.status, tt.body, tt.header...))
			got := newTelegram(t, rc.URL).Send(context.Background(), tgDelivery(tgToken, "42"))
			if got != tt.want {
				t.Errorf("Send = %+v,\nwant   %+v", got, tt.want)
			}
			assertNoToken(t, got)
			if strings.Contains(got.Detail, "hunter2") {
				t.Errorf("detail %q echoes a body that is not Telegram's", got.Detail)
			}
		})
	}
}

// TestTelegramNeverRevealsTheToken covers the failures whose error messages quote the URL.
func TestTelegramNeverRevealsTheToken(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		got := newTelegram(t, "http://"+closedAddr(t)).Send(context.Background(), tgDelivery(tgToken, "42"))
		if want := (notify.Result{Outcome: notify.Transient, Detail: "connection refused"}); got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
		assertNoToken(t, got)
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		t.Cleanup(func() { close(release) })
		tg := newTelegram(t, rc.URL, func(c *notify.TelegramConfig) {
			c.HTTP.Timeout, c.HTTP.DialTimeout = 200*time.Millisecond, 100*time.Millisecond
		})
		got := tg.Send(context.Background(), tgDelivery(tgToken, "42"))
		if want := (notify.Result{Outcome: notify.Transient, Detail: "receiver did not answer within 200ms"}); got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
		assertNoToken(t, got)
	})
	t.Run("cancelled", func(t *testing.T) {
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		got := newTelegram(t, rc.URL).Send(ctx, tgDelivery(tgToken, "42"))
		if want := (notify.Result{Outcome: notify.Transient, Detail: "the delivery was interrupted"}); got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
		assertNoToken(t, got)
	})
	t.Run("redirect is not followed", func(t *testing.T) {
		elsewhere := newReceiver(t, answer(200, `{"ok":true}`))
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
		})
		got := newTelegram(t, rc.URL).Send(context.Background(), tgDelivery(tgToken, "42"))
		if want := (notify.Result{Outcome: notify.Permanent, Detail: "Telegram answered 307"}); got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
		if n := len(elsewhere.requests()); n != 0 {
			t.Errorf("the token was sent to the redirect target (%d requests)", n)
		}
	})
}

func TestTelegramDestinationErrors(t *testing.T) {
	rc := newReceiver(t, answer(200, `{"ok":true}`))
	tg := newTelegram(t, rc.URL)
	tests := []struct {
		name, token, chat, detail string
	}{
		{"no token", "", "42", "the Telegram bot token is not set"},
		{"blank token", "  ", "42", "the Telegram bot token is not set"},
		{"no chat", tgToken, "", "the Telegram chat id is not set"},
		{"token without id", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "42", "the Telegram bot token is not valid"},
		{"token with a path", "123:abc/../../getMe", "42", "the Telegram bot token is not valid"},
		{"token with a query", "123:abc?chat_id=1", "42", "the Telegram bot token is not valid"},
		{"token with a space", "123:abc def", "42", "the Telegram bot token is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tg.Send(context.Background(), tgDelivery(tt.token, tt.chat))
			if want := (notify.Result{Outcome: notify.Permanent, Detail: tt.detail}); got != want {
				t.Errorf("Send = %+v, want %+v", got, want)
			}
		})
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("receiver saw %d requests for invalid destinations", n)
	}
}

func TestTelegramLongMessage(t *testing.T) {
	rc := newReceiver(t, answer(200, `{"ok":true}`))
	d := tgDelivery(tgToken, "42")
	d.Payload = downPayload(strings.Repeat("😀", 3000)) // two UTF-16 units each
	if got := newTelegram(t, rc.URL).Send(context.Background(), d); got.Outcome != notify.Delivered {
		t.Fatalf("Send = %+v", got)
	}
	var body struct {
		ChatID string `json:"chat_id"`
		Text   string `json:"text"`
	}
	decodeStrict(t, rc.requests()[0].Body, &body)
	units := len(utf16.Encode([]rune(body.Text)))
	if units > 4096 || units < 4090 || !strings.HasSuffix(body.Text, "…") {
		t.Errorf("text has %d UTF-16 units (ends %q), want just within Telegram's 4096", units, body.Text[len(body.Text)-8:])
	}
}

func TestTelegramConfigValidate(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"", true}, // the default
		{"https://api.telegram.org", true},
		{"http://127.0.0.1:8081", true},
		{"http://telegram-proxy.internal/prefix", true},
		{"api.telegram.org", false},
		{"ftp://api.telegram.org", false},
		{"https://api.telegram.org?x=1", false},
		{"https://user:pw@api.telegram.org", false},
		{"https://", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			cfg := notify.TelegramConfig{APIURL: tt.url}
			err := cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%q) = %v, want ok %v", tt.url, err, tt.ok)
			}
			if _, err := notify.NewTelegram(cfg, nil); (err == nil) != tt.ok {
				t.Fatalf("NewTelegram(%q) = %v, want ok %v", tt.url, err, tt.ok)
			}
		})
	}
	if got := notify.DefaultTelegramConfig().APIURL; got != "https://api.telegram.org" {
		t.Errorf("default API URL = %q", got)
	}
}
