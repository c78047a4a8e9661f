package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ttr-rip/ttr/actors/alert"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// A test send waits up to testSendWait for the notifier (docs/api.md#channels), plus testSendMargin so
// the notifier's own answer at the end of its wait still arrives. Together they outlast
// the request timeout, which is meant for store reads and actor round trips.
const (
	testSendWait   = 10 * time.Second
	testSendMargin = 2 * time.Second
)

// testKeyPrefix starts a test alert's idempotency key (docs/architecture.md#alerting-rules: test:<uuid>).
const testKeyPrefix = "test:"

// TestSendJSON answers POST …/{channel}/test.
type TestSendJSON struct {
	Outcome messages.SendOutcome `json:"outcome"`
	Detail  string               `json:"detail"`
	// RetryAfterSeconds is when the destination may be tried again (rate_limited only).
	RetryAfterSeconds *float64 `json:"retry_after_seconds,omitempty"`
	IdempotencyKey    string   `json:"idempotency_key"`
}

// testQueueJSON answers POST …/{channel}/test-queue.
type testQueueJSON struct {
	IdempotencyKey string `json:"idempotency_key"`
	Status         string `json:"status"` // "queued"
}

// RateJSON answers GET …/{channel}/rate: messages.RateSnapshot with every field present.
type RateJSON struct {
	Enabled                 bool    `json:"enabled"`
	Limited                 bool    `json:"limited"`
	LimitedReason           string  `json:"limited_reason"`
	RetryAfterSeconds       float64 `json:"retry_after_seconds"`
	CurrentRPS              float64 `json:"current_rps"`
	MinRPS                  float64 `json:"min_rps"`
	Tokens                  float64 `json:"tokens"`
	MaxTokens               float64 `json:"max_tokens"`
	BackoffSecondsRemaining float64 `json:"backoff_seconds_remaining"`
}

// testChannel: POST /api/v1/checks/{id}/{channel}/test sends a test alert now, through the
// destination's notifier ahead of its backlog and under its rate limit, and answers the
// outcome (200 whatever it is: a failed delivery is a result, not a server error). The
// channel must be configured; it need not be enabled, so it can be tried before it is.
func (s *Server) testChannel(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	row, err := s.testRow(r.Context(), a)
	if err != nil {
		return err
	}
	if err := s.deps.Limits.TestSend(r.Context(), a.user.ID); err != nil {
		return err
	}
	if s.deps.Notifiers == nil {
		return errNoNotifiers
	}
	ctx, cancel := testSendContext(r)
	defer cancel()
	res, err := s.deps.Notifiers.TestSend(ctx, row.DestHash, row)
	if err == nil && res == nil {
		err = errors.New("notifier answered no result")
	}
	if err != nil {
		return s.notifierError(r, a, "test send", err)
	}
	out := TestSendJSON{Outcome: messages.SendOutcome(res.Outcome), Detail: res.Detail, IdempotencyKey: row.IdempotencyKey}
	switch out.Outcome {
	case messages.SendDelivered, messages.SendTransient, messages.SendPermanent:
	case messages.SendRateLimited:
		sec := float64(max(res.RetryAfterMs, 0)) / 1000
		out.RetryAfterSeconds = &sec
	default:
		// Not one of the documented outcomes: the alert was not confirmed delivered.
		s.log.WarnContext(r.Context(), "test send: unknown outcome", "request_id", RequestIDFrom(r.Context()),
			"check_id", a.checkID, "channel", a.channel, "outcome", res.Outcome)
		out.Outcome = messages.SendTransient
	}
	return writeAnswer(w, r, http.StatusOK, &out)
}

// testQueueChannel: POST /api/v1/checks/{id}/{channel}/test-queue writes a test alert to
// the outbox, behind the destination's backlog, and wakes its notifier: 202.
func (s *Server) testQueueChannel(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	row, err := s.testRow(r.Context(), a)
	if err != nil {
		return err
	}
	if err := s.deps.Limits.TestSend(r.Context(), a.user.ID); err != nil {
		return err
	}
	if s.deps.Outbox == nil || s.deps.Notifiers == nil {
		return errNoNotifiers
	}
	if err := s.deps.Outbox.InsertOutbox(r.Context(), []messages.OutboxRow{row}); err != nil {
		return err
	}
	// The row is durable now; a lost poke only delays it until the notifier's next sweep.
	s.deps.Notifiers.Poke(row.DestHash)
	writeJSON(w, http.StatusAccepted, testQueueJSON{IdempotencyKey: row.IdempotencyKey, Status: "queued"})
	return nil
}

// rateChannel: GET /api/v1/checks/{id}/{channel}/rate answers the live rate control of the
// channel's destination. An unconfigured channel has no destination: it answers 200 with
// enabled false and zeros (so a page can poll every channel without error noise).
func (s *Server) rateChannel(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	ctx := r.Context()
	_, ch, err := s.loadChannel(ctx, a)
	if err != nil {
		return err
	}
	if len(ch.ConfigEnc) == 0 {
		return writeAnswer(w, r, http.StatusOK, &RateJSON{})
	}
	cfg, err := s.openChannel(ctx, a, ch)
	if err != nil {
		return err
	}
	if s.deps.Notifiers == nil {
		return errNoNotifiers
	}
	snap, err := s.deps.Notifiers.Rate(ctx, alert.DestinationHash(s.deps.Ring, a.channel, cfg))
	if err != nil {
		return s.notifierError(r, a, "rate", err)
	}
	if snap == nil {
		snap = &messages.RateSnapshot{}
	}
	return writeAnswer(w, r, http.StatusOK, &RateJSON{
		Enabled:                 snap.Enabled,
		Limited:                 snap.Limited,
		LimitedReason:           snap.LimitedReason,
		RetryAfterSeconds:       snap.RetryAfterSeconds,
		CurrentRPS:              snap.CurrentRps,
		MinRPS:                  snap.MinRps,
		Tokens:                  snap.Tokens,
		MaxTokens:               snap.MaxTokens,
		BackoffSecondsRemaining: snap.BackoffSecondsRemaining,
	})
}

// testRow builds the outbox row of a test alert to a.channel: 404 when the check is not the
// user's, 400 when the channel is not configured, 409 when its settings cannot be opened.
// Its destination is sealed bound to the row's key and user, as the check actor seals the
// rows it writes.
func (s *Server) testRow(ctx context.Context, a apiArgs) (messages.OutboxRow, error) {
	c, ch, err := s.loadChannel(ctx, a)
	if err != nil {
		return messages.OutboxRow{}, err
	}
	spec, ok := channelSpecOf(a.channel)
	if !ok {
		return messages.OutboxRow{}, messages.ErrNotFound
	}
	notConfigured := invalid("%s is not configured (set %s first)", spec.name, spec.fieldNames())
	if len(ch.ConfigEnc) == 0 {
		return messages.OutboxRow{}, notConfigured
	}
	cfg, err := s.openChannel(ctx, a, ch)
	if err != nil {
		return messages.OutboxRow{}, err
	}
	if spec.missing(&cfg) != "" {
		return messages.OutboxRow{}, notConfigured
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return messages.OutboxRow{}, err
	}
	key := testKeyPrefix + id.String()
	plain, err := json.Marshal(cfg)
	if err != nil {
		return messages.OutboxRow{}, err
	}
	destEnc, err := s.deps.Ring.Seal(plain, keyring.OutboxAD(key, a.user.ID))
	if err != nil {
		return messages.OutboxRow{}, err
	}
	now := s.now().UTC()
	return messages.OutboxRow{
		UserID:   a.user.ID,
		CheckID:  a.checkID,
		Kind:     messages.AlertTest,
		Channel:  a.channel,
		DestHash: alert.DestinationHash(s.deps.Ring, a.channel, cfg),
		DestEnc:  destEnc,
		Payload: alert.Build(alert.Input{
			CheckID: c.ID, CheckUUID: c.UUID, CheckName: c.Name, Kind: messages.AlertTest,
			From: c.Status, To: c.Status, LastDuration: c.LastDuration, At: now,
		}),
		IdempotencyKey: key,
		Status:         messages.OutboxPending,
		NextAttemptAt:  now,
		CreatedAt:      now,
	}, nil
}

// testSendContext bounds a test send by testSendWait + testSendMargin. It outlives the
// request timeout (whose deadline it ignores) and ends when the client goes away before
// that timeout; a client that leaves after it is noticed only when the send's own time is up
// (the request's context no longer tells), which is at most testSendMargin later.
func testSendContext(r *http.Request) (context.Context, context.CancelFunc) {
	parent := r.Context()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), testSendWait+testSendMargin)
	stop := context.AfterFunc(parent, func() {
		if !errors.Is(parent.Err(), context.DeadlineExceeded) {
			cancel()
		}
	})
	return ctx, func() { stop(); cancel() }
}

// errNoNotifiers answers channel sends on an edge built without notifiers.
var errNoNotifiers = &messages.Error{Code: messages.EUnavailable, Message: "alert delivery is not available on this node", RetryAfter: 5 * time.Second}

// notifierError turns a failure to reach a destination's notifier (its owner unreachable,
// no answer in time) into 503 with Retry-After. The cause is logged here, not answered.
func (s *Server) notifierError(r *http.Request, a apiArgs, op string, err error) error {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return err // the client went away: fail says so
	}
	retry := time.Second
	var e *messages.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		retry = e.RetryAfter
	}
	s.log.WarnContext(r.Context(), "notifier unreachable", "request_id", RequestIDFrom(r.Context()),
		"op", op, "check_id", a.checkID, "channel", a.channel, "err", err)
	return &messages.Error{Code: messages.EUnavailable, Message: "the channel's notifier cannot be reached; try again", RetryAfter: retry}
}
