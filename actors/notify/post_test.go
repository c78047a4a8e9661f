package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/alert"
	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
)

// Helpers shared by the channel tests (Slack, Discord, Telegram, email).

// chanNow is the clock the channel senders are given.
var chanNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// allowLoopbackNets lets the SSRF-safe client reach the test receivers on 127.0.0.1.
var allowLoopbackNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// leakyBody is what fake receivers answer alongside an error; no Result may repeat it.
const leakyBody = `{"message":"internal: db password hunter2"}`

// chanHTTPConfig is a fast HTTPConfig; allow lets it reach loopback.
func chanHTTPConfig(allow bool) notify.HTTPConfig {
	cfg := notify.DefaultHTTPConfig()
	cfg.Timeout = 2 * time.Second
	cfg.DialTimeout = time.Second
	if allow {
		cfg.AllowNets = allowLoopbackNets
	}
	return cfg
}

// downPayload is a real down alert's payload.
func downPayload(name string) []byte {
	return alert.Build(alert.Input{
		CheckID: 12, CheckUUID: "0b9c-uuid", CheckName: name, Kind: messages.AlertDown,
		From: messages.StatusUp, To: messages.StatusDown, Reason: "missed deadline", At: chanNow,
	})
}

// chatDelivery is a down alert to channel with dest.
func chatDelivery(channel messages.ChannelKind, dest messages.ChannelConfig) notify.Delivery {
	return notify.Delivery{
		Row:     messages.OutboxRow{ID: 7, Channel: channel, Kind: messages.AlertDown, IdempotencyKey: "down:12.3:" + string(channel)},
		Dest:    dest,
		Payload: downPayload("backup"),
	}
}

// seenRequest is what a fake receiver recorded.
type seenRequest struct {
	Method, Path, ContentType, Key string
	Body                           []byte
}

// receiver is an httptest server that records requests and answers with respond.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

func newReceiver(tb testing.TB, respond func(w http.ResponseWriter, r *http.Request)) *receiver {
	tb.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.seen = append(rc.seen, seenRequest{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Idempotency-Key"), b})
		rc.mu.Unlock()
		if respond != nil {
			respond(w, r)
		}
	}))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []seenRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]seenRequest(nil), rc.seen...)
}

// answer returns a responder with a status, headers and body.
func answer(status int, body string, header ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// decodeStrict decodes b into v, refusing fields v does not have.
func decodeStrict(tb testing.TB, b []byte, v any) {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("request body %s: %v", b, err)
	}
}

// TestChatChannelsRefuseUnreadablePayloads: a row whose payload is not an alert is never
// sendable, on any channel.
func TestChatChannelsRefuseUnreadablePayloads(t *testing.T) {
	rc := newReceiver(t, answer(200, `{"ok":true}`))
	tg, err := notify.NewTelegram(notify.TelegramConfig{APIURL: rc.URL, HTTP: chanHTTPConfig(false)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	senders := map[string]struct {
		s    notify.Sender
		dest messages.ChannelConfig
	}{
		"slack":    {notify.NewSlack(chanHTTPConfig(true), nil), messages.ChannelConfig{URL: rc.URL}},
		"discord":  {notify.NewDiscord(chanHTTPConfig(true), nil), messages.ChannelConfig{URL: rc.URL}},
		"telegram": {tg, messages.ChannelConfig{BotToken: "1:tok", ChatID: "5"}},
	}
	for name, s := range senders {
		for _, payload := range []string{"", "not json", `{"message":""}`, `[1]`} {
			t.Run(name+" "+payload, func(t *testing.T) {
				d := chatDelivery(messages.ChannelKind(name), s.dest)
				d.Payload = []byte(payload)
				got := s.s.Send(context.Background(), d)
				want := notify.Result{Outcome: notify.Permanent, Detail: "the alert could not be read"}
				if got != want {
					t.Errorf("Send = %+v, want %+v", got, want)
				}
			})
		}
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("receiver saw %d requests, want none", n)
	}
}
