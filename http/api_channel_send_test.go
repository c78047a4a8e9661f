package http_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ttr-rip/ttr/actors/alert"
	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// withNotifiers wires fake notifiers and outbox into an API env.
func withNotifiers(n ttrhttp.Notifiers, o ttrhttp.OutboxWriter) func(*ttrhttp.Config, *ttrhttp.Deps) {
	return func(_ *ttrhttp.Config, d *ttrhttp.Deps) {
		d.Notifiers = n
		d.Outbox = o
	}
}

// sendEnv is an API env with recording notifiers and one user's check named "nightly
// backup", every channel configured as channelCases sets it.
type sendEnv struct {
	*apiEnv
	log  *sendLog
	user apiUser
	id   int64
}

func newSendEnv(t *testing.T, send func() (*messages.SendResult, error), rate func() (*messages.RateSnapshot, error), insert func() error) *sendEnv {
	t.Helper()
	log := &sendLog{}
	n, o := log.recording(send, rate, insert)
	e := &sendEnv{apiEnv: newAPIEnv(t, withNotifiers(n, o)), log: log}
	e.user = e.newUser()
	e.id = apiID(t, e.create(e.user, map[string]any{"name": "nightly backup"}))
	for _, tc := range channelCases {
		if rec := e.do("PUT", channelPath(e.id, tc.name), e.user.Key, tc.set); rec.Code != 200 {
			t.Fatalf("%s: %d %s", tc.name, rec.Code, rec.Body)
		}
	}
	return e
}

// checkTestRow asserts what a test alert's outbox row holds.
func (e *sendEnv) checkTestRow(t *testing.T, tc channelCase, row messages.OutboxRow, key string) {
	t.Helper()
	if row.Kind != messages.AlertTest || row.Channel != messages.ChannelKind(tc.name) || row.UserID != e.user.ID || row.CheckID != e.id ||
		row.Status != messages.OutboxPending || !row.NextAttemptAt.Equal(apiEpoch) || !row.CreatedAt.Equal(apiEpoch) {
		t.Errorf("row %+v", row)
	}
	if row.IdempotencyKey != key {
		t.Errorf("key %q, answered %q", row.IdempotencyKey, key)
	}
	id, ok := strings.CutPrefix(row.IdempotencyKey, "test:")
	if u, err := uuid.Parse(id); !ok || err != nil || u.Version() != 4 || u.String() != id {
		t.Errorf("key %q is not test:<uuid v4>", row.IdempotencyKey)
	}
	plain, err := e.ring.Open(row.DestEnc, keyring.OutboxAD(row.IdempotencyKey, e.user.ID))
	if err != nil {
		t.Fatalf("DestEnc does not open under OutboxAD: %v", err)
	}
	var dest messages.ChannelConfig
	if err := json.Unmarshal(plain, &dest); err != nil || dest != tc.want {
		t.Errorf("destination %s (%v), want %+v", plain, err, tc.want)
	}
	if _, err := e.ring.Open(row.DestEnc, keyring.OutboxAD("test:other", e.user.ID)); err == nil {
		t.Error("DestEnc opens under another key's AD")
	}
	if want := alert.DestinationHash(e.ring, messages.ChannelKind(tc.name), tc.want); row.DestHash != want {
		t.Errorf("dest hash %q, want %q", row.DestHash, want)
	}
	var p alert.Payload
	if err := json.Unmarshal(row.Payload, &p); err != nil {
		t.Fatalf("payload %s: %v", row.Payload, err)
	}
	if p.Kind != messages.AlertTest || p.CheckID != e.id || p.CheckName != "nightly backup" || p.CheckUUID == "" ||
		p.Message != "🔔 This is a test notification for your check '[nightly backup]'." {
		t.Errorf("payload %+v", p)
	}
}

func TestChannelTestSend(t *testing.T) {
	e := newSendEnv(t, func() (*messages.SendResult, error) {
		return &messages.SendResult{Outcome: "delivered", Detail: "receiver answered 200"}, nil
	}, nil, nil)
	for _, tc := range channelCases {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do("POST", channelPath(e.id, tc.name, "test"), e.user.Key, nil)
			noSecrets(t, rec, tc.secrets)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			var got map[string]any
			apiJSON(t, rec, &got)
			key, _ := got["idempotency_key"].(string)
			if got["outcome"] != "delivered" || got["detail"] != "receiver answered 200" || len(got) != 3 {
				t.Errorf("answer %v", got)
			}
			e.log.mu.Lock()
			sent := slices.Clone(e.log.sent)
			e.log.mu.Unlock()
			if len(sent) == 0 {
				t.Fatal("nothing sent")
			}
			last := sent[len(sent)-1]
			if last.destHash != last.row.DestHash {
				t.Errorf("sent to %q, row names %q", last.destHash, last.row.DestHash)
			}
			// It may wait past the request timeout (10 s), but not much longer.
			if last.wait <= 10*time.Second || last.wait > 13*time.Second {
				t.Errorf("the send had %v to run", last.wait)
			}
			e.checkTestRow(t, tc, last.row, key)
		})
	}
	// A disabled channel can still be tried.
	if rec := e.do("PUT", channelPath(e.id, "slack"), e.user.Key, map[string]any{"slack_enabled": false}); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec := e.do("POST", channelPath(e.id, "slack", "test"), e.user.Key, nil); rec.Code != 200 {
		t.Errorf("disabled: %d %s", rec.Code, rec.Body)
	}
	// Every send has its own key.
	e.log.mu.Lock()
	defer e.log.mu.Unlock()
	keys := map[string]bool{}
	for _, s := range e.log.sent {
		keys[s.row.IdempotencyKey] = true
	}
	if len(keys) != len(e.log.sent) || len(keys) != len(channelCases)+1 {
		t.Errorf("%d keys for %d sends", len(keys), len(e.log.sent))
	}
	if len(e.log.inserted) != 0 || len(e.log.pokes) != 0 {
		t.Errorf("a test send touched the outbox: %+v", e.log)
	}
}

// Every outcome is a 200 answer; a notifier that cannot be reached is 503.
func TestChannelTestOutcomes(t *testing.T) {
	unavailable := &messages.Error{Code: messages.EUnavailable, Message: "owner node n2 unreachable", RetryAfter: 3 * time.Second}
	tests := []struct {
		name   string
		result *messages.SendResult
		err    error
		status int
		want   map[string]any // without idempotency_key
		retry  string         // Retry-After
	}{
		{name: "delivered", result: &messages.SendResult{Outcome: "delivered"}, status: 200,
			want: map[string]any{"outcome": "delivered", "detail": ""}},
		{name: "transient", result: &messages.SendResult{Outcome: "transient", Detail: "receiver answered 503"}, status: 200,
			want: map[string]any{"outcome": "transient", "detail": "receiver answered 503"}},
		{name: "permanent", result: &messages.SendResult{Outcome: "permanent", Detail: "receiver answered 400"}, status: 200,
			want: map[string]any{"outcome": "permanent", "detail": "receiver answered 400"}},
		{name: "forbidden address", result: &messages.SendResult{Outcome: "permanent", Detail: "the address is forbidden"}, status: 200,
			want: map[string]any{"outcome": "permanent", "detail": "the address is forbidden"}},
		{name: "rate limited", result: &messages.SendResult{Outcome: "rate_limited", Detail: "rate limited", RetryAfterMs: 2500}, status: 200,
			want: map[string]any{"outcome": "rate_limited", "detail": "rate limited", "retry_after_seconds": json.Number("2.5")}},
		{name: "rate limited now", result: &messages.SendResult{Outcome: "rate_limited"}, status: 200,
			want: map[string]any{"outcome": "rate_limited", "detail": "", "retry_after_seconds": json.Number("0")}},
		{name: "unknown outcome", result: &messages.SendResult{Outcome: "exploded", Detail: "?"}, status: 200,
			want: map[string]any{"outcome": "transient", "detail": "?"}},
		{name: "owner unreachable", err: unavailable, status: 503, retry: "3",
			want: map[string]any{"detail": "the channel's notifier cannot be reached; try again"}},
		{name: "internal error", err: errors.New("dial tcp 10.1.2.3:7946: refused"), status: 503, retry: "1",
			want: map[string]any{"detail": "the channel's notifier cannot be reached; try again"}},
		{name: "no answer in time", err: context.DeadlineExceeded, status: 503, retry: "1",
			want: map[string]any{"detail": "the channel's notifier cannot be reached; try again"}},
		{name: "no result", status: 503, retry: "1",
			want: map[string]any{"detail": "the channel's notifier cannot be reached; try again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSendEnv(t, func() (*messages.SendResult, error) { return tt.result, tt.err }, nil, nil)
			rec := e.do("POST", channelPath(e.id, "webhook", "test"), e.user.Key, nil)
			if rec.Code != tt.status || rec.Header().Get("Retry-After") != tt.retry {
				t.Fatalf("%d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
			}
			var got map[string]any
			apiJSON(t, rec, &got)
			if tt.status == 200 {
				key, _ := got["idempotency_key"].(string)
				if !strings.HasPrefix(key, "test:") {
					t.Errorf("idempotency_key %q", key)
				}
				delete(got, "idempotency_key")
			}
			if len(got) != len(tt.want) {
				t.Errorf("answer %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
			if strings.Contains(rec.Body.String(), "10.1.2.3") || strings.Contains(rec.Body.String(), "n2") {
				t.Errorf("internal detail answered: %s", rec.Body)
			}
		})
	}
}

func TestChannelTestNeedsConfiguredChannel(t *testing.T) {
	e := newSendEnv(t, nil, nil, nil)
	for _, tc := range channelCases {
		if rec := e.do("PUT", channelPath(e.id, tc.name), e.user.Key, map[string]any{tc.clear: nil}); rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		for _, suffix := range []string{"test", "test-queue"} {
			rec := e.do("POST", channelPath(e.id, tc.name, suffix), e.user.Key, nil)
			if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), tc.name+" is not configured") {
				t.Errorf("%s/%s: %d %s", tc.name, suffix, rec.Code, rec.Body)
			}
		}
	}
	e.log.mu.Lock()
	defer e.log.mu.Unlock()
	if len(e.log.sent)+len(e.log.inserted)+len(e.log.pokes) != 0 {
		t.Errorf("an unconfigured channel was sent to: %+v", e.log)
	}
}

func TestChannelTestQueue(t *testing.T) {
	e := newSendEnv(t, nil, nil, nil)
	for _, tc := range channelCases {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do("POST", channelPath(e.id, tc.name, "test-queue"), e.user.Key, nil)
			noSecrets(t, rec, tc.secrets)
			if rec.Code != 202 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			var got map[string]any
			apiJSON(t, rec, &got)
			key, _ := got["idempotency_key"].(string)
			if got["status"] != "queued" || len(got) != 2 {
				t.Errorf("answer %v", got)
			}
			e.log.mu.Lock()
			inserted, pokes := slices.Clone(e.log.inserted), slices.Clone(e.log.pokes)
			e.log.mu.Unlock()
			if len(inserted) == 0 || len(pokes) != len(inserted) {
				t.Fatalf("inserted %d rows, poked %d", len(inserted), len(pokes))
			}
			row := inserted[len(inserted)-1]
			if pokes[len(pokes)-1] != row.DestHash {
				t.Errorf("poked %q, row's destination %q", pokes[len(pokes)-1], row.DestHash)
			}
			e.checkTestRow(t, tc, row, key)
		})
	}
	if len(e.log.sent) != 0 {
		t.Errorf("test-queue sent directly: %+v", e.log.sent)
	}
}

// A queued test whose row cannot be written is not poked and not accepted.
func TestChannelTestQueueStoreDown(t *testing.T) {
	e := newSendEnv(t, nil, nil, func() error {
		return &messages.Error{Code: messages.EUnavailable, Message: "store unavailable", RetryAfter: 2 * time.Second}
	})
	rec := e.do("POST", channelPath(e.id, "email", "test-queue"), e.user.Key, nil)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "2" {
		t.Errorf("%d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if len(e.log.pokes) != 0 {
		t.Errorf("poked %v", e.log.pokes)
	}
}

func TestChannelRate(t *testing.T) {
	snap := &messages.RateSnapshot{
		Enabled: true, Limited: true, LimitedReason: "backoff", RetryAfterSeconds: 2.5, CurrentRps: 0.25,
		MinRps: 0.1, Tokens: 1.5, MaxTokens: 5, BackoffSecondsRemaining: 2.5,
	}
	e := newSendEnv(t, nil, func() (*messages.RateSnapshot, error) { return snap, nil }, nil)
	fields := []string{"enabled", "limited", "limited_reason", "retry_after_seconds", "current_rps", "min_rps",
		"tokens", "max_tokens", "backoff_seconds_remaining"}
	rateOf := func(tb testing.TB, rec *httptest.ResponseRecorder) map[string]any {
		tb.Helper()
		if rec.Code != 200 {
			tb.Fatalf("%d %s", rec.Code, rec.Body)
		}
		var got map[string]any
		apiJSON(tb, rec, &got)
		if len(got) != len(fields) {
			tb.Errorf("fields %v, want %v", got, fields)
		}
		for _, f := range fields {
			if _, ok := got[f]; !ok {
				tb.Errorf("no %s in %v", f, got)
			}
		}
		return got
	}
	for _, tc := range channelCases {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do("GET", channelPath(e.id, tc.name, "rate"), e.user.Key, nil)
			noSecrets(t, rec, tc.secrets)
			got := rateOf(t, rec)
			want := map[string]any{
				"enabled": true, "limited": true, "limited_reason": "backoff", "retry_after_seconds": json.Number("2.5"),
				"current_rps": json.Number("0.25"), "min_rps": json.Number("0.1"), "tokens": json.Number("1.5"),
				"max_tokens": json.Number("5"), "backoff_seconds_remaining": json.Number("2.5"),
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
			e.log.mu.Lock()
			asked := e.log.rates[len(e.log.rates)-1]
			e.log.mu.Unlock()
			if want := alert.DestinationHash(e.ring, messages.ChannelKind(tc.name), tc.want); asked != want {
				t.Errorf("asked %q, want the destination %q", asked, want)
			}
		})
	}

	// Unconfigured: enabled false and zeros, without asking any notifier.
	asked := len(e.log.rates)
	if rec := e.do("PUT", channelPath(e.id, "discord"), e.user.Key, map[string]any{"discord_webhook_url": nil}); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	got := rateOf(t, e.do("GET", channelPath(e.id, "discord", "rate"), e.user.Key, nil))
	for k, v := range got {
		if v != false && v != "" && v != json.Number("0") {
			t.Errorf("unconfigured %s = %#v", k, v)
		}
	}
	if len(e.log.rates) != asked {
		t.Error("a notifier was asked about an unconfigured channel")
	}
}

func TestChannelRateNotifierDown(t *testing.T) {
	e := newSendEnv(t, nil, func() (*messages.RateSnapshot, error) {
		return nil, &messages.Error{Code: messages.EUnavailable, Message: "owner unreachable", RetryAfter: 4 * time.Second}
	}, nil)
	rec := e.do("GET", channelPath(e.id, "telegram", "rate"), e.user.Key, nil)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "4" ||
		apiDetail(t, rec) != "the channel's notifier cannot be reached; try again" {
		t.Errorf("%d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
}

// An edge built without notifiers answers 503, never 500.
func TestChannelSendsWithoutNotifiers(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	if rec := e.do("PUT", channelPath(id, "webhook"), u.Key, map[string]any{"webhook_url": "https://example.com/h"}); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	for _, rq := range []struct{ method, suffix string }{{"POST", "test"}, {"POST", "test-queue"}, {"GET", "rate"}} {
		rec := e.do(rq.method, channelPath(id, "webhook", rq.suffix), u.Key, nil)
		if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: %d %s", rq.suffix, rec.Code, rec.Body)
		}
	}
}

// A test send outlives the request timeout (the notifier's own wait is as long) ...
func TestChannelTestSendOutlivesRequestTimeout(t *testing.T) {
	var log sendLog
	n, o := log.recording(nil, nil, nil)
	n.TestSendFn = func(ctx context.Context, _ string, _ messages.OutboxRow) (*messages.SendResult, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond): // well past the 1 ms request timeout
			return &messages.SendResult{Outcome: "delivered"}, nil
		}
	}
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	if rec := e.do("PUT", channelPath(id, "webhook"), u.Key, map[string]any{"webhook_url": "https://example.com/h"}); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	// A second edge over the same store, whose request timeout passes during the send.
	cfg := e.cfg
	cfg.RequestTimeout = time.Millisecond
	h := ttrhttp.NewServer(cfg, ttrhttp.Deps{Store: e.store, Checks: e.checks, Notifiers: n, Outbox: o, Ring: e.ring, Now: e.clock}).Handler()
	req := httptest.NewRequest("POST", channelPath(id, "webhook", "test"), nil)
	req.Header.Set("X-Auth-Key", u.Key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"outcome":"delivered"`) {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

// ... but ends when the client goes away.
func TestChannelTestSendCancelledWithClient(t *testing.T) {
	started := make(chan struct{})
	var log sendLog
	n, o := log.recording(nil, nil, nil)
	n.TestSendFn = func(ctx context.Context, _ string, _ messages.OutboxRow) (*messages.SendResult, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	e := newAPIEnv(t, withNotifiers(n, o))
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	if rec := e.do("PUT", channelPath(id, "webhook"), u.Key, map[string]any{"webhook_url": "https://example.com/h"}); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("POST", channelPath(id, "webhook", "test"), nil).WithContext(ctx)
	req.Header.Set("X-Auth-Key", u.Key)
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		done <- rec
	}()
	<-started
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the send did not end with the client")
	}
}
