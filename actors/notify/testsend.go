package notify

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
)

// testSend is a test delivery waiting for its turn.
type testSend struct {
	row       messages.OutboxRow
	requestID string
	replyTo   []*actor.PID // who waits for the outcome (a request and its repeats)
	deadline  time.Time    // the caller's: the outcome must reach it before
	waitUntil time.Time    // the latest a token may come; later = answered rate_limited
}

// testResult is the answer to a test send, kept for a retried request.
type testResult struct {
	requestID string
	reply     *messages.Reply
}

// Test send tuning.
const (
	// recentTests is how many answered test sends are remembered by request id.
	recentTests = 16
	// replyMargin is kept between the end of a test send and the caller's deadline, for the
	// answer's way back.
	replyMargin = 50 * time.Millisecond
	// minTestSend is the least time a test send is given, whatever the caller's deadline.
	minTestSend = 100 * time.Millisecond
)

// Details of test sends answered without a send.
const (
	detailTestRateLimited = "the destination is rate limited"
	detailTestFenced      = "this server cannot send right now, try again"
	detailTestBusy        = "the destination is busy with another delivery, try again"
)

// testSend queues a TypeTestSend envelope: it goes next, ahead of the backlog. A request the
// router repeats (same request id) is not sent twice: it is answered when the first one
// ends, or from the answers kept.
func (n *notifier) testSend(c actor.Context, env *messages.Envelope) {
	var body messages.TestSend
	if err := cluster.Unmarshal(env, &body); err != nil {
		n.respond(c, cluster.ReplyOf(err))
		return
	}
	var row messages.OutboxRow
	if err := json.Unmarshal(body.GetRowJson(), &row); err != nil {
		n.respond(c, cluster.Invalid("the test row is not valid JSON"))
		return
	}
	if row.DestHash != "" && row.DestHash != n.w.dest {
		n.respond(c, cluster.Invalid("the test row is for another destination"))
		return
	}
	id := env.GetRequestId()
	if id != "" {
		for _, r := range n.results {
			if r.requestID == id {
				n.respond(c, r.reply)
				return
			}
		}
		for _, t := range n.tests {
			if t.requestID == id {
				t.addReplyTo(c.Sender()) // the router's repeat: answered with the first
				return
			}
		}
	}
	now := n.w.deps.Now()
	cfg := n.w.deps.Config
	deadline := now.Add(cfg.TestWait + cfg.TestSendReserve)
	if ms := env.GetDeadlineUnixMs(); ms > 0 {
		if d := time.UnixMilli(ms); d.Before(deadline) {
			deadline = d
		}
	}
	reserve := min(cfg.TestSendReserve, deadline.Sub(now)/2)
	t := &testSend{row: row, requestID: id, deadline: deadline,
		waitUntil: minTime(now.Add(cfg.TestWait), deadline.Add(-reserve))}
	t.addReplyTo(c.Sender())
	// The tests queued before it each take a token first.
	if d := n.policy.Delay(now, len(n.tests)+1); n.rateReady && d > 0 && now.Add(d).After(t.waitUntil) {
		n.answerTest(c, t, rateLimitedResult(d))
		return
	}
	n.tests = append(n.tests, t)
	n.step(c)
}

// maxReplyTo bounds the callers of one test send (the router repeats a request every
// attempt timeout, usually from one reply box).
const maxReplyTo = 8

func (t *testSend) addReplyTo(p *actor.PID) {
	if p == nil || len(t.replyTo) == maxReplyTo {
		return
	}
	for _, q := range t.replyTo {
		if q.Equal(p) {
			return
		}
	}
	t.replyTo = append(t.replyTo, p)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func rateLimitedResult(wait time.Duration) Result {
	return Result{Outcome: RateLimited, RetryAfter: wait,
		Detail: fmt.Sprintf("%s: the next send is possible in %s", detailTestRateLimited, roundUp(wait))}
}

// roundUp renders a wait in whole seconds, rounded up ("1s" for 300ms).
func roundUp(d time.Duration) time.Duration {
	return ((d + time.Second - 1) / time.Second) * time.Second
}

// respond answers the envelope being handled, if anyone waits for an answer.
func (n *notifier) respond(c actor.Context, r *messages.Reply) {
	if c.Sender() != nil {
		c.Respond(r)
	}
}

// stepTests serves the queued test sends: it reports whether the notifier is now busy with
// one or waiting for the policy on its behalf (the backlog waits meanwhile).
func (n *notifier) stepTests(c actor.Context, now time.Time) bool {
	for len(n.tests) > 0 {
		t := n.tests[0]
		if may := n.w.deps.MayAct; may != nil && !may() {
			n.tests = n.tests[1:]
			n.answerTest(c, t, Result{Outcome: Transient, Detail: detailTestFenced})
			continue
		}
		if t.deadline.Sub(now) < minTestSend+replyMargin {
			// A send in flight took the caller's time (a slow receiver): no time is left
			// for this one.
			n.tests = n.tests[1:]
			n.answerTest(c, t, Result{Outcome: Transient, Detail: detailTestBusy})
			continue
		}
		d := n.policy.Delay(now, 1)
		if d > 0 && now.Add(d).After(t.waitUntil) {
			n.tests = n.tests[1:]
			n.answerTest(c, t, rateLimitedResult(d))
			continue
		}
		if d > 0 {
			n.wait(now, now.Add(d))
			return true
		}
		n.tests = n.tests[1:]
		n.setLimited("")
		n.disarm()
		n.policy.Take(now)
		n.sendTest(now, t)
		return true
	}
	return false
}

// sendTest sends a test row in a goroutine, cut off just before the caller's deadline.
func (n *notifier) sendTest(now time.Time, t *testSend) {
	n.busy = true
	timeout := max(min(n.w.deps.Config.SendTimeout, t.deadline.Sub(now)-replyMargin), minTestSend)
	self, root, w := n.self, n.root, n.w
	w.goWork(func() {
		res := w.send(t.row, timeout)
		root.Send(self, &testDoneMsg{n: n, t: t, res: res})
	})
}

func (n *notifier) testDone(c actor.Context, m *testDoneMsg) {
	n.busy = false
	now := n.w.deps.Now()
	n.observe(now, m.t.row.Channel, m.res)
	res := m.res
	if res.Outcome == RateLimited {
		res.RetryAfter = max(res.RetryAfter, n.policy.Delay(now, 1))
	}
	n.log.Debug("test send", "channel", m.t.row.Channel, "check_id", m.t.row.CheckID,
		"outcome", res.Outcome.String(), "detail", res.Detail)
	n.answerTest(c, m.t, res)
	n.step(c)
}

// answerTest replies to a test send's caller with its outcome and remembers the answer.
func (n *notifier) answerTest(c actor.Context, t *testSend, res Result) {
	sr := &messages.SendResult{Outcome: res.Outcome.String(), Detail: res.Detail}
	if res.Outcome == RateLimited {
		sr.RetryAfterMs = res.RetryAfter.Milliseconds()
	}
	reply, err := cluster.OKWith(messages.ReplySendResult, sr)
	if err != nil {
		reply = cluster.ReplyOf(err)
	}
	if t.requestID != "" {
		if len(n.results) == recentTests {
			n.results = n.results[1:]
		}
		n.results = append(n.results, testResult{requestID: t.requestID, reply: reply})
	}
	for _, p := range t.replyTo {
		c.Send(p, reply)
	}
}
