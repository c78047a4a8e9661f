package notify_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

const nodeID = "node-1"

// harness runs notifiers in a real actor system against a fake store and a key ring.
type harness struct {
	t          *testing.T
	sys        *actor.ActorSystem
	store      *fakeStore
	ring       *keyring.Ring
	deps       notify.Deps
	registry   *prometheus.Registry
	mu         sync.Mutex
	passivated map[string][]time.Time // spawn name → when its notifier asked to passivate
}

func newHarness(t *testing.T, mod ...func(*notify.Deps)) *harness {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	ring, err := keyring.Parse("k1:"+base64.StdEncoding.EncodeToString(key), strings.Repeat("s", 32))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t:          t,
		sys:        actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) })),
		store:      &fakeStore{},
		ring:       ring,
		registry:   prometheus.NewRegistry(),
		passivated: map[string][]time.Time{},
	}
	t.Cleanup(h.sys.Shutdown)
	metrics, err := notify.NewMetrics(h.registry)
	if err != nil {
		t.Fatal(err)
	}
	cfg := notify.LocalConfig()
	cfg.IdleTimeout = time.Hour // tests about passivation lower it
	h.deps = notify.Deps{
		Store: h.store,
		Ring:  ring,
		Senders: map[messages.ChannelKind]notify.Sender{
			messages.ChannelWebhook: notify.NewWebhook(notify.HTTPConfig{AllowNets: loopback, Timeout: 5 * time.Second}, nil),
		},
		NodeID:  func() string { return nodeID },
		Config:  cfg,
		Metrics: metrics,
		Logger:  slog.New(slog.DiscardHandler),
		Passivate: func(c actor.Context) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.passivated[c.Self().Id] = append(h.passivated[c.Self().Id], time.Now()) // ids are the spawn names
		},
	}
	for _, m := range mod {
		m(&h.deps)
	}
	return h
}

// spawn starts the notifier of dest as the cluster host would.
func (h *harness) spawn(dest string) *actor.PID {
	h.t.Helper()
	produce := notify.NewProducer(h.deps)
	pid, err := h.sys.Root.SpawnNamed(actor.PropsFromProducer(produce(notify.Identity(dest))), dest)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = h.sys.Root.StopFuture(pid).Wait() })
	return pid
}

func (h *harness) passivations(dest string) []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.passivated[dest])
}

// add writes a pending webhook row for dest, its destination sealed as the check actor does.
func (h *harness) add(dest, url, key string, mod ...func(*messages.OutboxRow)) int64 {
	h.t.Helper()
	return h.store.insert(h.newRow(dest, url, key, mod...))
}

// newRow returns a webhook row for dest, its destination sealed as the check actor does.
func (h *harness) newRow(dest, url, key string, mod ...func(*messages.OutboxRow)) messages.OutboxRow {
	h.t.Helper()
	row := messages.OutboxRow{
		UserID:         42,
		CheckID:        12,
		Kind:           messages.AlertDown,
		Channel:        messages.ChannelWebhook,
		DestHash:       dest,
		Payload:        []byte(fmt.Sprintf(`{"check_id":12,"key":%q}`, key)),
		IdempotencyKey: key,
		CreatedAt:      time.Now(),
	}
	plain, _ := json.Marshal(messages.ChannelConfig{URL: url})
	enc, err := h.ring.Seal(plain, keyring.OutboxAD(key, row.UserID))
	if err != nil {
		h.t.Fatal(err)
	}
	row.DestEnc = enc
	for _, m := range mod {
		m(&row)
	}
	return row
}

func (h *harness) waitStatus(id int64, status messages.OutboxStatus, timeout time.Duration) {
	h.t.Helper()
	waittest.Until(h.t, timeout, fmt.Sprintf("row %d %s", id, status), func() bool { return h.store.status(id) == status })
}

// sink is a webhook receiver that records every request.
type sink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	hits   []hit
	status func(key string, n int) int // the answer to the n-th request for key; nil = 200
}

type hit struct {
	key string
	at  time.Time
}

func newSink(t *testing.T, status func(key string, n int) int) *sink {
	s := &sink{status: status}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		s.hits = append(s.hits, hit{key, time.Now()})
		n := 0
		for _, h := range s.hits {
			if h.key == key {
				n++
			}
		}
		s.mu.Unlock()
		code := 200
		if s.status != nil {
			code = s.status(key, n)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, secretBody)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.hits))
	for i, h := range s.hits {
		out[i] = h.key
	}
	return out
}

func (s *sink) times(key string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, h := range s.hits {
		if h.key == key {
			out = append(out, h.at)
		}
	}
	return out
}

func TestNotifierDeliversFIFOAcrossRetries(t *testing.T) {
	h := newHarness(t, func(d *notify.Deps) {
		d.Config.BackoffBase = 50 * time.Millisecond
		d.Config.BackoffMax = time.Second
	})
	const third = "down:3:webhook"
	recv := newSink(t, func(key string, n int) int {
		if key == third && n <= 2 {
			return 500
		}
		return 204
	})
	var ids, want []string
	var rowIDs []int64
	for i := 1; i <= 20; i++ {
		key := fmt.Sprintf("down:%d:webhook", i)
		rowIDs = append(rowIDs, h.add("destA", recv.srv.URL, key))
		ids = append(ids, key)
		want = append(want, key)
		if i == 3 {
			want = append(want, key, key) // two failures, then the success
		}
	}
	h.spawn("destA")
	h.waitStatus(rowIDs[19], messages.OutboxDelivered, 10*time.Second)

	if got := recv.keys(); !slices.Equal(got, want) {
		t.Fatalf("receiver saw\n %v\nwant\n %v", got, want)
	}
	for _, id := range rowIDs {
		if s := h.store.status(id); s != messages.OutboxDelivered {
			t.Errorf("row %d is %s", id, s)
		}
	}
	r3 := h.store.row(rowIDs[2])
	if r3.Attempts != 3 {
		t.Errorf("row 3 attempts = %d, want 3", r3.Attempts)
	}
	fin := h.store.finished(rowIDs[2])
	if len(fin) != 3 || fin[0].ChannelStatus != messages.DeliveryError || fin[0].ChannelMessage != "receiver answered 500" || fin[2].ChannelStatus != messages.DeliveryOK {
		t.Errorf("row 3 outcomes = %+v", fin)
	}
	// The back-off doubles (50 ms, then 100 ms, ± 20 %) and the receiver is not asked before.
	at := recv.times(third)
	for i, bounds := range [][2]time.Duration{{40 * time.Millisecond, 60 * time.Millisecond}, {80 * time.Millisecond, 120 * time.Millisecond}} {
		wait := fin[i].NextAttemptAt.Sub(fin[i].At)
		if wait < bounds[0] || wait > bounds[1] {
			t.Errorf("back-off after failure %d = %s, want within %v", i+1, wait, bounds)
		}
		if at[i+1].Before(fin[i].NextAttemptAt) {
			t.Errorf("retry %d came %s before its back-off ended", i+1, fin[i].NextAttemptAt.Sub(at[i+1]))
		}
	}
	if v := metricValue(t, h.registry, "ttr_notify_deliveries_total", "webhook", "transient"); v != 2 {
		t.Errorf("transient deliveries metric = %v, want 2", v)
	}
}

func TestNotifierPermanentFailureIsNotRetried(t *testing.T) {
	h := newHarness(t)
	recv := newSink(t, func(key string, n int) int {
		if key == "bad" {
			return 400
		}
		return 200
	})
	bad := h.add("destA", recv.srv.URL, "bad")
	good := h.add("destA", recv.srv.URL, "good")
	h.spawn("destA")
	h.waitStatus(good, messages.OutboxDelivered, 5*time.Second)

	r := h.store.row(bad)
	if r.Status != messages.OutboxFailed || r.LastError != "receiver answered 400" || r.Attempts != 1 {
		t.Errorf("bad row = status %s, error %q, attempts %d; want failed, receiver answered 400, 1", r.Status, r.LastError, r.Attempts)
	}
	if fin := h.store.finished(bad); len(fin) != 1 || fin[0].ChannelStatus != messages.DeliveryError || fin[0].ChannelMessage != "receiver answered 400" {
		t.Errorf("channel status = %+v", fin)
	}
	if got := recv.keys(); !slices.Equal(got, []string{"bad", "good"}) {
		t.Errorf("receiver saw %v, want [bad good]", got)
	}
}

func TestNotifierHonoursRateLimitWithoutCountingAttempts(t *testing.T) {
	var mu sync.Mutex
	var calls []time.Time
	h := newHarness(t, func(d *notify.Deps) {
		d.Config.RetryFor = time.Millisecond // 429 waits never count toward it
		d.Senders[messages.ChannelWebhook] = notify.SenderFunc(func(ctx context.Context, _ notify.Delivery) notify.Result {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, time.Now())
			if len(calls) <= 3 {
				return notify.Result{Outcome: notify.RateLimited, RetryAfter: 60 * time.Millisecond, Detail: "receiver answered 429 (rate limited)"}
			}
			return notify.Result{Outcome: notify.Delivered}
		})
	})
	id := h.add("destA", "http://127.0.0.1:1/", "k1", func(r *messages.OutboxRow) { r.CreatedAt = time.Now().Add(-time.Minute) })
	h.spawn("destA")
	h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)

	if r := h.store.row(id); r.Attempts != 1 {
		t.Errorf("attempts = %d, want 1 (429s do not count)", r.Attempts)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 4 {
		t.Fatalf("sender called %d times, want 4", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Sub(calls[i-1]); gap < 55*time.Millisecond {
			t.Errorf("send %d came %s after the 429, want ≥ Retry-After 60ms", i+1, gap)
		}
	}
	for _, f := range h.store.finished(id)[:3] {
		if f.ChannelStatus != messages.DeliveryNone {
			t.Errorf("a 429 changed the channel status: %+v", f)
		}
	}
}

func TestNotifierTakesOverAnExpiredClaim(t *testing.T) {
	h := newHarness(t)
	recv := newSink(t, nil)
	id := h.add("destA", recv.srv.URL, "k1", func(r *messages.OutboxRow) {
		r.ClaimedBy, r.ClaimUntil = "dead-node", time.Now().Add(-time.Second)
	})
	h.spawn("destA")
	h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)
	if fin := h.store.finished(id); len(fin) != 1 || fin[0].Node != nodeID {
		t.Errorf("finishes = %+v, want one by %s", fin, nodeID)
	}
}

func TestNotifierDoesNotStealALiveClaim(t *testing.T) {
	h := newHarness(t)
	recv := newSink(t, nil)
	until := time.Now().Add(300 * time.Millisecond)
	first := h.add("destA", recv.srv.URL, "k1", func(r *messages.OutboxRow) {
		r.ClaimedBy, r.ClaimUntil = "live-node", until
	})
	second := h.add("destA", recv.srv.URL, "k2")
	h.spawn("destA")
	h.waitStatus(second, messages.OutboxDelivered, 5*time.Second)

	if s := h.store.status(first); s != messages.OutboxDelivered {
		t.Errorf("first row %s", s)
	}
	if got := recv.keys(); !slices.Equal(got, []string{"k1", "k2"}) {
		t.Errorf("receiver saw %v, want [k1 k2] (FIFO behind the claimed row)", got)
	}
	if at := recv.times("k1"); at[0].Before(until) {
		t.Errorf("row sent at %s, before the live claim expired at %s", at[0].Format(time.StampMilli), until.Format(time.StampMilli))
	}
}

func TestNotifierReloadsWhenItsClaimIsLostDuringASend(t *testing.T) {
	var (
		mu    sync.Mutex
		calls []time.Time
		until time.Time
		h     *harness
		id    int64
	)
	h = newHarness(t, func(d *notify.Deps) {
		d.Senders[messages.ChannelWebhook] = notify.SenderFunc(func(ctx context.Context, _ notify.Delivery) notify.Result {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, time.Now())
			if len(calls) == 1 { // the send outlived the claim and another node took the row
				until = time.Now().Add(150 * time.Millisecond)
				h.store.update(id, func(r *messages.OutboxRow) { r.ClaimedBy, r.ClaimUntil = "other-node", until })
			}
			return notify.Result{Outcome: notify.Delivered}
		})
	})
	id = h.add("destA", "http://127.0.0.1:1/", "k1")
	h.spawn("destA")
	h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)
	if fin := h.store.finished(id); len(fin) != 1 {
		t.Errorf("finishes = %+v, want only the second attempt's", fin)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 {
		t.Fatalf("sender called %d times, want 2", len(calls))
	}
	if calls[1].Before(until) {
		t.Errorf("resent %s before the other node's claim expired", until.Sub(calls[1]))
	}
}

func TestNotifierBlackholedDestinationDoesNotDelayAnother(t *testing.T) {
	release := make(chan struct{})
	var inFlight, answered atomic.Int32
	hole := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer answered.Add(1)
		select { // never answers
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hole.Close)
	t.Cleanup(func() { close(release) }) // runs before hole.Close

	h := newHarness(t, func(d *notify.Deps) {
		d.Config.SendTimeout, d.Config.ClaimTTL = time.Minute, 2*time.Minute
		d.Senders[messages.ChannelWebhook] = notify.NewWebhook(notify.HTTPConfig{AllowNets: loopback, Timeout: time.Minute}, nil)
	})
	recv := newSink(t, nil)
	stuck := h.add("destA", hole.URL, "a1")
	var ids []int64
	for i := range 5 {
		ids = append(ids, h.add("destB", recv.srv.URL, fmt.Sprintf("b%d", i)))
	}
	h.spawn("destA")
	waittest.Until(t, 5*time.Second, "the blackholed send", func() bool { return inFlight.Load() == 1 })
	h.spawn("destB")
	for _, id := range ids {
		h.waitStatus(id, messages.OutboxDelivered, 10*time.Second)
	}
	// All of destB was delivered while destA's one send was still waiting for its receiver.
	if n := answered.Load(); n != 0 {
		t.Errorf("the blackhole answered %d requests", n)
	}
	if s := h.store.status(stuck); s != messages.OutboxPending {
		t.Errorf("blackholed row is %s, want still pending", s)
	}
	if v := metricValue(t, h.registry, "ttr_notify_sends_in_flight"); v != 1 {
		t.Errorf("in-flight gauge = %v, want 1", v)
	}
}

func TestNotifierGivesUpAfterRetryFor(t *testing.T) {
	t.Run("old row", func(t *testing.T) {
		h := newHarness(t, func(d *notify.Deps) { d.Config.RetryFor = time.Hour })
		recv := newSink(t, func(string, int) int { return 500 })
		id := h.add("destA", recv.srv.URL, "k1", func(r *messages.OutboxRow) { r.CreatedAt = time.Now().Add(-2 * time.Hour) })
		h.spawn("destA")
		h.waitStatus(id, messages.OutboxFailed, 5*time.Second)
		r := h.store.row(id)
		if r.LastError != "receiver answered 500 (gave up after 1h)" || r.Attempts != 1 {
			t.Errorf("row = error %q, attempts %d", r.LastError, r.Attempts)
		}
	})
	t.Run("retried until the period ends", func(t *testing.T) {
		h := newHarness(t, func(d *notify.Deps) { d.Config.RetryFor = 400 * time.Millisecond })
		recv := newSink(t, func(string, int) int { return 503 })
		created := time.Now()
		id := h.add("destA", recv.srv.URL, "k1", func(r *messages.OutboxRow) { r.CreatedAt = created })
		h.spawn("destA")
		h.waitStatus(id, messages.OutboxFailed, 5*time.Second)
		at := recv.times("k1")
		if len(at) < 2 {
			t.Errorf("tried %d times within RetryFor, want several", len(at))
		}
		if last := at[len(at)-1]; last.Before(created.Add(400 * time.Millisecond)) {
			t.Errorf("gave up %s after creation, before RetryFor", last.Sub(created))
		}
	})
}

func TestNotifierUndecryptableDestinationFails(t *testing.T) {
	h := newHarness(t)
	recv := newSink(t, nil)
	bad := h.add("destA", recv.srv.URL, "k1", func(r *messages.OutboxRow) {
		// Sealed for another row: the additional data does not match.
		r.DestEnc, _ = h.ring.Seal([]byte(`{"url":"http://127.0.0.1/"}`), keyring.OutboxAD("other", r.UserID))
	})
	garbage := h.add("destA", recv.srv.URL, "k2", func(r *messages.OutboxRow) { r.DestEnc = []byte("not sealed") })
	good := h.add("destA", recv.srv.URL, "k3")
	h.spawn("destA")
	h.waitStatus(good, messages.OutboxDelivered, 5*time.Second)
	for _, id := range []int64{bad, garbage} {
		r := h.store.row(id)
		if r.Status != messages.OutboxFailed || r.LastError != "destination secret cannot be decrypted" {
			t.Errorf("row %d = %s %q, want failed with the detail", id, r.Status, r.LastError)
		}
	}
	if got := recv.keys(); !slices.Equal(got, []string{"k3"}) {
		t.Errorf("receiver saw %v, want [k3]", got)
	}
}

func TestNotifierPassivatesWhenIdle(t *testing.T) {
	h := newHarness(t, func(d *notify.Deps) { d.Config.IdleTimeout = 50 * time.Millisecond })
	recv := newSink(t, nil)
	id := h.add("destA", recv.srv.URL, "k1")
	h.spawn("destA")
	h.spawn("destEmpty")
	waittest.Until(t, 5*time.Second, "idle notifiers passivate", func() bool {
		return len(h.passivations("destA")) > 0 && len(h.passivations("destEmpty")) > 0
	})
	if s := h.store.status(id); s != messages.OutboxDelivered {
		t.Errorf("passivated with row %s", s)
	}
}

func TestNotifierWaitsWhilePendingInsteadOfPassivating(t *testing.T) {
	h := newHarness(t, func(d *notify.Deps) {
		d.Config.IdleTimeout = 20 * time.Millisecond
		d.Config.BackoffBase = 300 * time.Millisecond
		d.Config.Jitter = -1
	})
	recv := newSink(t, func(_ string, n int) int {
		if n == 1 {
			return 502
		}
		return 200
	})
	id := h.add("destA", recv.srv.URL, "k1")
	h.spawn("destA")
	h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)
	at := recv.times("k1")
	if gap := at[1].Sub(at[0]); gap < 300*time.Millisecond {
		t.Errorf("retried after %s, want the 300ms back-off", gap)
	}
	for _, p := range h.passivations("destA") {
		if p.Before(at[1]) {
			t.Errorf("passivated at %s while a row was pending", p.Format(time.StampMilli))
		}
	}
}

func TestNotifierAnswersPokes(t *testing.T) {
	h := newHarness(t)
	recv := newSink(t, nil)
	pid := h.spawn("destA")

	// Nothing pending at activation; a row written later arrives with a poke.
	id := h.add("destA", recv.srv.URL, "k1")
	res, err := h.sys.Root.RequestFuture(pid, &messages.Envelope{Type: messages.TypePoke, Identity: notify.Identity("destA")}, 2*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := res.(*messages.Reply); !ok || r.GetCode() != messages.Code_CODE_OK {
		t.Fatalf("poke answered %v", res)
	}
	h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)

	// A fire-and-forget poke (no sender) works too.
	id2 := h.add("destA", recv.srv.URL, "k2")
	h.sys.Root.Send(pid, &messages.Envelope{Type: messages.TypePoke})
	h.waitStatus(id2, messages.OutboxDelivered, 5*time.Second)

	res, err = h.sys.Root.RequestFuture(pid, &messages.Envelope{Type: "ping"}, 2*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := res.(*messages.Reply); !ok || r.GetCode() != messages.Code_CODE_UNKNOWN_TYPE {
		t.Errorf("an unknown type answered %v, want UNKNOWN_TYPE", res)
	}
}

func TestNotifierRetriesAfterStoreErrors(t *testing.T) {
	var fails atomic.Int32
	fails.Store(3)
	h := newHarness(t)
	h.store.PendingErr = func() error {
		if fails.Add(-1) >= 0 {
			return errors.New("database is locked")
		}
		return nil
	}
	recv := newSink(t, nil)
	id := h.add("destA", recv.srv.URL, "k1")
	h.spawn("destA")
	h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)
}

func TestNotifierDoesNotActWhileFenced(t *testing.T) {
	var may atomic.Bool
	h := newHarness(t, func(d *notify.Deps) { d.MayAct = may.Load })
	recv := newSink(t, nil)
	id := h.add("destA", recv.srv.URL, "k1")
	h.spawn("destA")
	time.Sleep(100 * time.Millisecond) // several ClaimRetry periods: nothing may happen
	if r := h.store.row(id); r.ClaimedBy != "" || len(recv.keys()) != 0 {
		t.Fatalf("a fenced node claimed or sent: %+v", r)
	}
	may.Store(true)
	h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)
}

func TestNotifierUnknownChannelIsRetried(t *testing.T) {
	h := newHarness(t, func(d *notify.Deps) { d.Config.RetryFor = 300 * time.Millisecond })
	id := h.add("destA", "", "k1", func(r *messages.OutboxRow) { r.Channel = messages.ChannelTelegram })
	h.spawn("destA")
	h.waitStatus(id, messages.OutboxFailed, 5*time.Second)
	r := h.store.row(id)
	if r.Attempts < 2 || !strings.HasPrefix(r.LastError, "the telegram channel is not available on this server") {
		t.Errorf("row = attempts %d, error %q", r.Attempts, r.LastError)
	}
}

// metricValue returns the value of the counter or gauge series name{labels…}.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var vals []string
			for _, lp := range m.GetLabel() {
				vals = append(vals, lp.GetValue())
			}
			if slices.Equal(vals, labels) {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}
