package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/aimd"
	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// specRate is the documented default rate control (docs/architecture.md#alerting-rules) with a start rate the test chooses.
func specRate(mod ...func(*aimd.Config)) func(*notify.Deps) {
	return func(d *notify.Deps) {
		d.Config.Rate = aimd.DefaultConfig()
		for _, m := range mod {
			m(&d.Config.Rate)
		}
	}
}

// scripted is a webhook receiver whose answers a test scripts: answer writes the response to
// the n-th request (1-based, all keys) for key; nil = 200.
type scripted struct {
	srv    *httptest.Server
	mu     sync.Mutex
	hits   []hit
	codes  []int
	answer func(w http.ResponseWriter, key string, n int) int
}

func newScripted(t *testing.T, answer func(w http.ResponseWriter, key string, n int) int) *scripted {
	t.Helper()
	r := &scripted{answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		key := req.Header.Get("Idempotency-Key")
		r.mu.Lock()
		r.hits = append(r.hits, hit{key, time.Now()})
		n := len(r.hits)
		r.mu.Unlock()
		code := http.StatusOK
		if r.answer != nil {
			code = r.answer(w, key, n)
		}
		r.mu.Lock()
		r.codes = append(r.codes, code)
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *scripted) requests() ([]hit, []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...), append([]int(nil), r.codes...)
}

func (r *scripted) keys() []string {
	hits, _ := r.requests()
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.key
	}
	return out
}

// request sends env to pid and returns the reply.
func (h *harness) request(pid *actor.PID, typ string, body proto.Message, requestID string, deadline time.Duration) *messages.Reply {
	h.t.Helper()
	b, err := proto.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	env := &messages.Envelope{Type: typ, Version: 1, Body: b, RequestId: requestID,
		DeadlineUnixMs: time.Now().Add(deadline).UnixMilli()}
	res, err := h.sys.Root.RequestFuture(pid, env, deadline+time.Second).Result()
	if err != nil {
		h.t.Fatalf("%s: %v", typ, err)
	}
	r, ok := res.(*messages.Reply)
	if !ok {
		h.t.Fatalf("%s answered %T", typ, res)
	}
	return r
}

func (h *harness) rate(pid *actor.PID) *messages.RateSnapshot {
	h.t.Helper()
	r := h.request(pid, messages.TypeRate, &messages.RateQuery{}, "", 2*time.Second)
	if err := cluster.ErrorOf(r); err != nil || r.GetType() != messages.ReplyRateSnapshot {
		h.t.Fatalf("rate answered %v (%v)", r, err)
	}
	var s messages.RateSnapshot
	if err := cluster.UnmarshalReply(r, &s); err != nil {
		h.t.Fatal(err)
	}
	return &s
}

// spawnAs starts a notifier for dest under another actor name: a new activation of the
// same destination (a restart, or another node after a handover).
func (h *harness) spawnAs(dest, name string) *actor.PID {
	h.t.Helper()
	pid, err := h.sys.Root.SpawnNamed(actor.PropsFromProducer(notify.NewProducer(h.deps)(notify.Identity(dest))), name)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = h.sys.Root.StopFuture(pid).Wait() })
	return pid
}

func approx(a, b, eps float64) bool { return a-b < eps && b-a < eps }

func TestRateRetryAfterPausesTheDestinationAndHalvesItsRate(t *testing.T) {
	t.Parallel() // seconds of wall clock, mostly waiting
	h := newHarness(t, specRate(func(c *aimd.Config) { c.StartRPS = 1 }))
	recv := newScripted(t, func(w http.ResponseWriter, _ string, n int) int {
		if n == 1 {
			w.Header().Set("Retry-After", "3")
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	})
	k1 := h.add("destA", recv.srv.URL, "k1")
	k2 := h.add("destA", recv.srv.URL, "k2")
	pid := h.spawn("destA")
	waittest.Until(t, 5*time.Second, "the 429", func() bool { return len(recv.keys()) == 1 })
	waittest.Until(t, 2*time.Second, "the rate state saved", func() bool { _, ok, _ := h.store.rate("destA"); return ok })

	snap := h.rate(pid)
	if !snap.GetEnabled() || !snap.GetLimited() || snap.GetLimitedReason() != "backoff" ||
		!approx(snap.GetCurrentRps(), 0.5, 1e-9) || !approx(snap.GetMaxTokens(), 2.5, 1e-9) ||
		snap.GetBackoffSecondsRemaining() < 2.5 || snap.GetBackoffSecondsRemaining() > 3 ||
		snap.GetRetryAfterSeconds() < snap.GetBackoffSecondsRemaining() || snap.GetMinRps() != 0.1 {
		t.Errorf("snapshot during the back-off = %v", snap)
	}
	st, _, _ := h.store.rate("destA")
	if !approx(st.RPS, 0.5, 1e-9) || st.BackoffLevel != 1 {
		t.Errorf("saved state after the 429 = %+v, want rate 0.5 (halved), level 1", st)
	}
	if v := metricValue(t, h.registry, "ttr_notify_rate_limited_destinations", "backoff"); v != 1 {
		t.Errorf("destinations limited by a back-off = %v, want 1", v)
	}

	h.waitStatus(k2, messages.OutboxDelivered, 10*time.Second)
	hits, codes := recv.requests()
	if len(hits) != 3 || hits[0].key != "k1" || hits[1].key != "k1" || hits[2].key != "k2" || codes[0] != 429 {
		t.Fatalf("receiver saw %v %v, want k1 (429), k1, k2", hits, codes)
	}
	if gap := hits[1].at.Sub(hits[0].at); gap < 3*time.Second {
		t.Errorf("the receiver was asked again %s after its 429 with Retry-After: 3", gap)
	}
	if r := h.store.row(k1); r.Attempts != 1 {
		t.Errorf("k1 attempts = %d, want 1 (a 429 is not an attempt)", r.Attempts)
	}
	waittest.Until(t, 2*time.Second, "the recovered rate saved", func() bool {
		st, _, _ := h.store.rate("destA")
		return approx(st.RPS, 0.6, 1e-9) && st.BackoffLevel == 0
	})
	if v := metricValue(t, h.registry, "ttr_notify_rate_decreases_total", "rate_limited", "webhook"); v != 1 {
		t.Errorf("rate decreases metric = %v, want 1", v)
	}
	waittest.Until(t, 2*time.Second, "the destination no longer limited", func() bool {
		return metricValue(t, h.registry, "ttr_notify_rate_limited_destinations", "backoff") == 0
	})
}

func TestRateTransientFailuresAreRetriedWithGrowingGaps(t *testing.T) {
	h := newHarness(t, specRate(func(c *aimd.Config) { c.StartRPS, c.MaxRPS, c.ErrorBackoff = 10, 10, 50*time.Millisecond }), func(d *notify.Deps) {
		d.Config.BackoffBase, d.Config.Jitter = 100*time.Millisecond, -1
	})
	recv := newScripted(t, func(_ http.ResponseWriter, _ string, n int) int {
		if n <= 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	id := h.add("destA", recv.srv.URL, "k1")
	h.spawn("destA")
	h.waitStatus(id, messages.OutboxDelivered, 10*time.Second)
	hits, _ := recv.requests()
	if len(hits) != 4 {
		t.Fatalf("receiver asked %d times, want 4", len(hits))
	}
	for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		if gap := hits[i+1].at.Sub(hits[i].at); gap < want {
			t.Errorf("gap %d = %s, want ≥ %s", i+1, gap, want)
		}
	}
	// × 0.8 three times, then + 0.05 for the success.
	waittest.Until(t, 2*time.Second, "the final rate saved", func() bool {
		st, _, _ := h.store.rate("destA")
		return approx(st.RPS, 10*0.8*0.8*0.8+0.05, 1e-9) && approx(st.Burst, 5*0.8*0.8*0.8+0.25, 1e-9)
	})
	if v := metricValue(t, h.registry, "ttr_notify_rate_decreases_total", "error", "webhook"); v != 3 {
		t.Errorf("rate decreases metric = %v, want 3", v)
	}
}

func TestRatePermanentRefusalIsNotRetriedAndLeavesTheRate(t *testing.T) {
	h := newHarness(t, specRate())
	recv := newScripted(t, func(_ http.ResponseWriter, key string, _ int) int {
		if key == "bad" {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	bad := h.add("destA", recv.srv.URL, "bad")
	good := h.add("destA", recv.srv.URL, "good")
	pid := h.spawn("destA")
	h.waitStatus(good, messages.OutboxDelivered, 5*time.Second)
	if r := h.store.row(bad); r.Status != messages.OutboxFailed || r.Attempts != 1 || r.LastError != "receiver answered 400" {
		t.Errorf("bad row = %+v", r)
	}
	if keys := recv.keys(); len(keys) != 2 {
		t.Errorf("receiver saw %v, want bad once, then good", keys)
	}
	// The 400 changed nothing; the delivery raised the rate by one step.
	if s := h.rate(pid); !approx(s.GetCurrentRps(), 0.55, 1e-9) || s.GetLimited() && s.GetLimitedReason() != "tokens" {
		t.Errorf("snapshot = %v", s)
	}
}

func TestRateBackoffSurvivesANewActivation(t *testing.T) {
	t.Parallel() // seconds of wall clock, mostly waiting
	t.Run("handover after a 429", func(t *testing.T) {
		h := newHarness(t, specRate(func(c *aimd.Config) { c.StartRPS = 2 }))
		recv := newScripted(t, func(w http.ResponseWriter, _ string, n int) int {
			if n == 1 {
				w.Header().Set("Retry-After", "2")
				return http.StatusTooManyRequests
			}
			return http.StatusOK
		})
		id := h.add("destA", recv.srv.URL, "k1")
		first := h.spawn("destA")
		waittest.Until(t, 5*time.Second, "the 429", func() bool { return len(recv.keys()) == 1 })
		waittest.Until(t, 2*time.Second, "the rate state saved", func() bool { _, ok, _ := h.store.rate("destA"); return ok })
		if err := h.sys.Root.StopFuture(first).Wait(); err != nil {
			t.Fatal(err)
		}
		// The row itself is due at once on the new owner (its Retry-After is forgotten as if
		// the store had lost it): only the persisted back-off holds the next send.
		h.store.update(id, func(r *messages.OutboxRow) { r.NextAttemptAt = time.Time{} })

		second := h.spawnAs("destA", "destA-2")
		if s := h.rate(second); s.GetLimitedReason() != "backoff" || s.GetBackoffSecondsRemaining() <= 0 || !approx(s.GetCurrentRps(), 1, 1e-9) {
			t.Errorf("the new activation's snapshot = %v, want the back-off and the halved rate", s)
		}
		h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)
		hits, _ := recv.requests()
		if gap := hits[1].at.Sub(hits[0].at); gap < 2*time.Second {
			t.Errorf("the new activation sent %s after the 429 with Retry-After: 2", gap)
		}
	})
	t.Run("state written by another node", func(t *testing.T) {
		h := newHarness(t, specRate())
		recv := newScripted(t, nil)
		until := time.Now().Add(1500 * time.Millisecond)
		h.store.setRate("destA", messages.RateState{RPS: 0.4, Burst: 2, Tokens: 2, BackoffLevel: 3,
			BackoffUntil: until, UpdatedAt: time.Now()})
		id := h.add("destA", recv.srv.URL, "k1")
		h.spawn("destA")
		h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)
		if hits, _ := recv.requests(); hits[0].at.Before(until) {
			t.Errorf("sent %s before the persisted back-off ended", until.Sub(hits[0].at))
		}
		waittest.Until(t, 2*time.Second, "the state saved", func() bool {
			st, _, _ := h.store.rate("destA")
			return approx(st.RPS, 0.45, 1e-9) && st.BackoffLevel == 0 && approx(st.Burst, 2.25, 1e-9)
		})
	})
}

func TestRateStateLoadErrorsAreRetried(t *testing.T) {
	var mu sync.Mutex
	fails := 2
	h := newHarness(t)
	h.store.RateErr = func() error {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			return errors.New("database is locked")
		}
		return nil
	}
	recv := newScripted(t, nil)
	id := h.add("destA", recv.srv.URL, "k1")
	h.spawn("destA")
	h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)
}

// testSend asks pid for a test send of row and decodes the result.
func (h *harness) testSend(pid *actor.PID, row messages.OutboxRow, requestID string, deadline time.Duration) *messages.SendResult {
	h.t.Helper()
	res, err := h.tryTestSend(pid, row, requestID, deadline)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// tryTestSend is testSend for other goroutines than the test's.
func (h *harness) tryTestSend(pid *actor.PID, row messages.OutboxRow, requestID string, deadline time.Duration) (*messages.SendResult, error) {
	b, err := json.Marshal(row)
	if err != nil {
		return nil, err
	}
	body, _ := proto.Marshal(&messages.TestSend{RowJson: b})
	env := &messages.Envelope{Type: messages.TypeTestSend, Version: 1, Body: body, RequestId: requestID,
		DeadlineUnixMs: time.Now().Add(deadline).UnixMilli()}
	got, err := h.sys.Root.RequestFuture(pid, env, deadline+time.Second).Result()
	if err != nil {
		return nil, fmt.Errorf("test send: %w", err)
	}
	r, ok := got.(*messages.Reply)
	if !ok {
		return nil, fmt.Errorf("test send answered %T", got)
	}
	if err := cluster.ErrorOf(r); err != nil || r.GetType() != messages.ReplySendResult {
		return nil, fmt.Errorf("test send answered %v (%v)", r, err)
	}
	var res messages.SendResult
	if err := cluster.UnmarshalReply(r, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

func TestTestSendJumpsTheBacklogUnderTheRateLimit(t *testing.T) {
	// One token, refilled every 500 ms.
	h := newHarness(t, specRate(func(c *aimd.Config) { c.StartRPS, c.MaxRPS, c.Burst, c.AIStep = 2, 2, 1, 0.01 }))
	release := make(chan struct{})
	recv := newScripted(t, func(_ http.ResponseWriter, key string, _ int) int {
		if key == "r1" {
			<-release // the send in flight when the test comes
		}
		return http.StatusOK
	})
	var ids []int64
	for i := 1; i <= 3; i++ {
		ids = append(ids, h.add("destA", recv.srv.URL, fmt.Sprintf("r%d", i)))
	}
	pid := h.spawn("destA")
	waittest.Until(t, 5*time.Second, "r1 in flight", func() bool { return len(recv.keys()) == 1 })
	inFlightAt := time.Now()

	type answer struct {
		res *messages.SendResult
		err error
	}
	done := make(chan answer, 2)
	row := h.newRow("", recv.srv.URL, "test:1", func(r *messages.OutboxRow) { r.Kind = messages.AlertTest })
	for range 2 { // the router repeats a request that takes long: one send, two answers
		go func() {
			res, err := h.tryTestSend(pid, row, "req-1", 5*time.Second)
			done <- answer{res, err}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	for range 2 {
		a := <-done
		if a.err != nil || a.res.GetOutcome() != "delivered" || a.res.GetRetryAfterMs() != 0 {
			t.Errorf("test send result = %v, %v", a.res, a.err)
		}
	}
	h.waitStatus(ids[2], messages.OutboxDelivered, 10*time.Second)
	hits, _ := recv.requests()
	want := []string{"r1", "test:1", "r2", "r3"}
	if got := recv.keys(); !slices.Equal(got, want) {
		t.Fatalf("receiver saw %v, want %v (the test after the send in flight, before the backlog, once)", got, want)
	}
	// r1 took the only token: the test waited for the next one (500 ms after it).
	if gap := hits[1].at.Sub(inFlightAt); gap < 400*time.Millisecond {
		t.Errorf("the test went %s after the send in flight, want it to wait for a token (~500ms)", gap)
	}
	if gap := hits[2].at.Sub(hits[1].at); gap < 400*time.Millisecond {
		t.Errorf("r2 went %s after the test, want a token's wait", gap)
	}
	if got := h.store.status(ids[0]); got != messages.OutboxDelivered {
		t.Errorf("r1 is %s", got)
	}
	if n := len(h.store.rows); n != 3 {
		t.Errorf("the outbox holds %d rows, want the 3 of the backlog (a test row is not written)", n)
	}
}

func TestTestSendTooLateIsRateLimited(t *testing.T) {
	// One token, then one every 10 s.
	h := newHarness(t, specRate(func(c *aimd.Config) { c.StartRPS, c.MinRPS, c.MaxRPS, c.Burst = 0.1, 0.1, 0.1, 1 }))
	recv := newScripted(t, nil)
	id := h.add("destA", recv.srv.URL, "r1")
	pid := h.spawn("destA")
	h.waitStatus(id, messages.OutboxDelivered, 5*time.Second)

	start := time.Now()
	res := h.testSend(pid, h.newRow("destA", recv.srv.URL, "test:1"), "req-1", 3*time.Second)
	if took := time.Since(start); took > time.Second {
		t.Errorf("answered after %s, want at once", took)
	}
	if res.GetOutcome() != "rate_limited" || res.GetRetryAfterMs() < 9000 || res.GetRetryAfterMs() > 10000 ||
		res.GetDetail() != "the destination is rate limited: the next send is possible in 10s" {
		t.Errorf("result = %v, want rate_limited with the ~10 s wait", res)
	}
	if keys := recv.keys(); len(keys) != 1 {
		t.Errorf("receiver saw %v: the test was sent", keys)
	}
	s := h.rate(pid)
	if !s.GetLimited() || s.GetLimitedReason() != "tokens" || s.GetRetryAfterSeconds() < 9 || s.GetTokens() > 0.2 || s.GetMaxTokens() != 1 {
		t.Errorf("snapshot = %v", s)
	}
	if v := metricValue(t, h.registry, "ttr_notify_rate_limited_destinations", "tokens"); v != 0 {
		t.Errorf("limited gauge = %v with nothing waiting", v)
	}
}

func TestTestSendOutcomes(t *testing.T) {
	h := newHarness(t)
	recv := newScripted(t, func(w http.ResponseWriter, key string, _ int) int {
		switch key {
		case "test:400":
			return http.StatusBadRequest
		case "test:429":
			w.Header().Set("Retry-After", "1")
			return http.StatusTooManyRequests
		case "test:500":
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	pid := h.spawn("destA")
	for _, tt := range []struct {
		key, outcome, detail string
		retry                bool
	}{
		{"test:ok", "delivered", "", false},
		{"test:400", "permanent", "receiver answered 400", false},
		{"test:500", "transient", "receiver answered 500", false},
		{"test:429", "rate_limited", "receiver answered 429 (rate limited)", true},
	} {
		res := h.testSend(pid, h.newRow("destA", recv.srv.URL, tt.key), "", 3*time.Second)
		if res.GetOutcome() != tt.outcome || res.GetDetail() != tt.detail || (res.GetRetryAfterMs() >= 900) != tt.retry {
			t.Errorf("%s: result = %v", tt.key, res)
		}
	}
	// A row for another destination, or no JSON, is refused.
	b, _ := json.Marshal(h.newRow("destB", recv.srv.URL, "test:x"))
	if r := h.request(pid, messages.TypeTestSend, &messages.TestSend{RowJson: b}, "", time.Second); r.GetCode() != messages.Code_CODE_INVALID {
		t.Errorf("a row of another destination answered %v", r)
	}
	if r := h.request(pid, messages.TypeTestSend, &messages.TestSend{RowJson: []byte("{")}, "", time.Second); r.GetCode() != messages.Code_CODE_INVALID {
		t.Errorf("bad JSON answered %v", r)
	}
}

// routerFake is a Requester that delivers to local notifiers as the cluster router would.
type routerFake struct {
	sys  *actor.ActorSystem
	mu   sync.Mutex
	pids map[string]*actor.PID
}

func (r *routerFake) Request(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error) {
	r.mu.Lock()
	pid := r.pids[identity]
	r.mu.Unlock()
	if pid == nil {
		return &messages.Reply{Code: messages.Code_CODE_NOT_FOUND, Detail: "no such notifier"}, nil
	}
	b, err := proto.Marshal(body)
	if err != nil {
		return nil, err
	}
	dl, _ := ctx.Deadline()
	env := &messages.Envelope{Type: typ, Version: version, Body: b, Identity: identity, RequestId: requestID,
		DeadlineUnixMs: dl.UnixMilli()}
	res, err := r.sys.Root.RequestFuture(pid, env, time.Until(dl)).Result()
	if err != nil {
		return nil, err
	}
	return res.(*messages.Reply), nil
}

func TestClient(t *testing.T) {
	h := newHarness(t, specRate())
	recv := newScripted(t, nil)
	pid := h.spawn("destA")
	var poked []string
	c := notify.NewClient(&routerFake{sys: h.sys, pids: map[string]*actor.PID{notify.Identity("destA"): pid}},
		notify.PokerFunc(func(d string) { poked = append(poked, d) }))
	c.Poke("destA")
	if !slices.Equal(poked, []string{"destA"}) {
		t.Errorf("poked %v", poked)
	}
	notify.NewClient(nil, nil).Poke("destA") // no poker: nothing happens
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	res, err := c.TestSend(ctx, "destA", h.newRow("", recv.srv.URL, "test:1"))
	if err != nil || res.GetOutcome() != "delivered" {
		t.Fatalf("TestSend = %v, %v", res, err)
	}
	snap, err := c.Rate(ctx, "destA")
	if err != nil || !approx(snap.GetCurrentRps(), 0.55, 1e-9) || !approx(snap.GetTokens(), 4, 0.01) || snap.GetMaxTokens() != 5 || snap.GetLimited() {
		t.Fatalf("Rate = %v, %v", snap, err)
	}
	var e *messages.Error
	if _, err := c.Rate(ctx, "nobody"); !errors.As(err, &e) || e.Code != messages.ENotFound {
		t.Errorf("Rate of a missing notifier = %v, want ENotFound", err)
	}
	if _, err := c.TestSend(ctx, "", messages.OutboxRow{}); !errors.As(err, &e) || e.Code != messages.EInvalid {
		t.Errorf("TestSend without destination = %v, want EInvalid", err)
	}
}

// TestRateFindsTheLimitOfAReceiver is the rate-limited receiver scenario at a small scale: 40 alerts to one
// receiver that accepts 5 requests per second and answers 429 with Retry-After: 1 beyond,
// with StartRPS 2, AIStep 0.5 and MaxRPS 20 so the limiter has to find the limit.
func TestRateFindsTheLimitOfAReceiver(t *testing.T) {
	t.Parallel() // seconds of wall clock, mostly waiting
	if testing.Short() {
		t.Skip("takes ~10 s")
	}
	h := newHarness(t, specRate(func(c *aimd.Config) { c.StartRPS, c.AIStep, c.MaxRPS = 2, 0.5, 20 }))
	var mu sync.Mutex
	var accepted []time.Time
	recv := newScripted(t, func(w http.ResponseWriter, _ string, _ int) int {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		for len(accepted) > 0 && now.Sub(accepted[0]) >= time.Second {
			accepted = accepted[1:]
		}
		if len(accepted) >= 5 {
			w.Header().Set("Retry-After", "1")
			return http.StatusTooManyRequests
		}
		accepted = append(accepted, now)
		return http.StatusOK
	})
	const rows = 40
	var ids []int64
	for i := range rows {
		ids = append(ids, h.add("destA", recv.srv.URL, "down:"+strconv.Itoa(i)+":webhook"))
	}
	start := time.Now()
	h.spawn("destA")
	for _, id := range ids {
		h.waitStatus(id, messages.OutboxDelivered, 20*time.Second)
	}
	took := time.Since(start)
	hits, codes := recv.requests()
	const warmup = 3 * time.Second
	var late, lateLimited, limited int
	seen := map[string]bool{}
	for i, hit := range hits {
		if codes[i] == 429 {
			limited++
		} else if seen[hit.key] {
			t.Errorf("%s delivered twice", hit.key)
		}
		seen[hit.key] = seen[hit.key] || codes[i] == 200
		if hit.at.Sub(start) >= warmup {
			late++
			if codes[i] == 429 {
				lateLimited++
			}
		}
	}
	share := float64(lateLimited) / float64(late)
	t.Logf("%d alerts in %s (%.2f/s) with %d requests, %d answered 429; after %s: %d requests, 429 share %.1f %%",
		rows, took.Round(time.Millisecond), rows/took.Seconds(), len(hits), limited, warmup, late, 100*share)
	if share > 0.2 {
		t.Errorf("429 share after the warm-up = %.1f %%, want ≤ 20 %%", 100*share)
	}
	if rate := rows / took.Seconds(); rate < 2 {
		t.Errorf("delivered %.2f alerts/s, want near the receiver's 5/s", rate)
	}
}

func TestTestSendWhileFenced(t *testing.T) {
	h := newHarness(t, func(d *notify.Deps) { d.MayAct = func() bool { return false } })
	recv := newScripted(t, nil)
	pid := h.spawn("destA")
	res := h.testSend(pid, h.newRow("destA", recv.srv.URL, "test:1"), "", 2*time.Second)
	if res.GetOutcome() != "transient" || res.GetDetail() != "this server cannot send right now, try again" {
		t.Errorf("result = %v", res)
	}
	if keys := recv.keys(); len(keys) != 0 {
		t.Errorf("a fenced node sent %v", keys)
	}
}
