package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/census"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Store is the part of the store a notifier uses: the outbox, with the claim semantics
// documented on persistence.SystemStore, and the destinations' rate state
// (persistence.RateStore).
type Store interface {
	PendingOutbox(ctx context.Context, destHash string, limit int) ([]messages.OutboxRow, error)
	CountPendingOutbox(ctx context.Context, destHash string) (int, error)
	ClaimOutbox(ctx context.Context, id int64, node string, now, until time.Time) (bool, error)
	FinishOutbox(ctx context.Context, r persistence.OutboxResult) (bool, error)
	persistence.RateStore
}

// Opener opens sealed secrets; *keyring.Ring implements it.
type Opener interface {
	Open(sealed, ad []byte) ([]byte, error)
}

// Deps are a notifier's collaborators, shared by every notifier of a node.
type Deps struct {
	// Store holds the outbox (required).
	Store Store
	// Ring opens the rows' sealed destinations (required).
	Ring Opener
	// Senders by channel name (messages.ChannelWebhook …). A row of a channel without a
	// sender fails transiently: a newer node may deliver it during a rolling upgrade.
	Senders map[messages.ChannelKind]Sender
	// NodeID is the id claims are taken under: the id of this process's current node lease
	// (required; a func because a node that re-joins gets a new id).
	NodeID func() string
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Logger; nil = discard.
	Logger *slog.Logger
	// Config; zero fields take their defaults.
	Config Config
	// Metrics; nil = none.
	Metrics *Metrics
	// Depth, when set, receives each running notifier's count of its destination's pending
	// rows (ttr_outbox_depth); a notifier that stops reports zero.
	Depth *census.Outbox
	// Policy returns the pacing policy of one destination when its notifier activates;
	// nil = AIMD with Config.Rate (docs/architecture.md#alerting-rules). Tests may return Unlimited.
	Policy func(destHash string) Policy
	// Passivate asks the notifier's host to stop it (cluster: send ctx.Parent() a
	// cluster.Passivate); nil = the notifier stops itself.
	Passivate func(ctx actor.Context)
	// Work, when set, counts the goroutines that call the store or send, so a graceful
	// shutdown can wait for them (a send in flight finishes and records its outcome) before
	// the store closes.
	Work *sync.WaitGroup
	// MayAct reports whether this node may act (its lease is current, docs/architecture.md#fencing); while
	// it returns false no row is claimed. nil = always.
	MayAct func() bool
	// HostCap caps each user's alerts to one destination host across every URL and node;
	// nil = no cap. A row waiting for it is a local throttle wait: it does not count as an
	// attempt nor lower the destination's rate.
	HostCap *HostCap
}

// Detail shown on a row whose sealed destination does not open.
const detailUndecryptable = "destination secret cannot be decrypted"

// NewProducer returns the producer of notifier actors for the host of kind "notifier":
// identity is "notifier/<dest hash>" (a bare hash is accepted too). It panics when a required
// dependency is missing or the configuration is invalid: both are wiring errors.
//
// A notifier handles these envelopes (*messages.Envelope):
//   - TypePoke (messages.Poke): it has due rows; answered with Reply{OK} when the
//     envelope has a sender.
//   - TypeTestSend (messages.TestSend): send the row now, ahead of the backlog, under the rate
//     limit; answered, when the attempt ends, with OKWith(ReplySendResult, SendResult). A
//     failed delivery is an outcome, not an error reply.
//   - TypeRate (messages.RateQuery): answered with OKWith(ReplyRateSnapshot, RateSnapshot).
func NewProducer(deps Deps) func(identity string) actor.Producer {
	if deps.Store == nil || deps.Ring == nil || deps.NodeID == nil {
		panic("notify: Deps.Store, Deps.Ring and Deps.NodeID are required")
	}
	if err := deps.Config.Validate(); err != nil {
		panic(err)
	}
	deps.Config = deps.Config.withDefaults()
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Policy == nil {
		rate := deps.Config.Rate
		deps.Policy = func(string) Policy { return NewAIMD(rate) }
	}
	return func(identity string) actor.Producer {
		dest := strings.TrimPrefix(identity, messages.KindNotifier+"/")
		return func() actor.Actor {
			return &notifier{
				w:      &worker{deps: deps, dest: dest},
				policy: deps.Policy(dest),
				log:    deps.Logger.With("dest", dest),
			}
		}
	}
}

// Identity returns the identity of the notifier of a destination.
func Identity(destHash string) string {
	return messages.KindNotifier + "/" + destHash
}

// notifier delivers one destination's outbox: the head row only, one send in flight, so
// alerts to a destination arrive in the order they were written. Test sends go ahead of the
// backlog (but never ahead of a send in flight), and every send waits for the destination's
// Policy.
//
// Everything but the messages it receives runs elsewhere: store calls and sends in a
// goroutine per step (a load, or a claim–send–finish), timers through time.AfterFunc. Their
// results come back as messages carrying the notifier that started them, so a message from a
// previous incarnation (after a restart) is ignored.
type notifier struct {
	w      *worker
	policy Policy
	log    *slog.Logger

	self *actor.PID
	root *actor.RootContext

	queue []messages.OutboxRow // the destination's first pending rows, FIFO; head = queue[0]
	stale bool                 // queue must be reloaded before the next decision
	busy  bool                 // a load, a count or a delivery is running

	// pending counts the destination's pending rows (the queue holds the first BatchSize):
	// set by each load, less each row finished, and counted again after a writer said it
	// added rows while the queue was not reloaded.
	pending int
	recount bool

	// Rate state: loaded once per activation before the first send, saved after a send
	// that changed it (one save at a time; a change during a save is saved after it).
	rateReady   bool
	rateWaiters []*actor.PID // rate queries that came before the state was loaded
	savedVer    uint64       // the policy version last saved
	saving      bool
	limited     string // the reason the notifier is waiting for its policy ("" = not), for the gauge

	tests   []*testSend  // test sends waiting for their turn, FIFO
	results []testResult // the latest answered test sends, for a retried request

	// After a refused claim on the head, no new claim before claimWait.
	claimMiss int64
	claimWait time.Time

	wake    *time.Timer
	wakeAt  time.Time
	wakeGen uint64
	idle    *time.Timer
	idleGen uint64

	lastProblem string // the last failure logged, so a repeat logs at Debug only
	lastSaveErr string
}

// Internal messages.
type (
	wakeMsg struct {
		n   *notifier
		gen uint64
	}
	idleMsg struct {
		n   *notifier
		gen uint64
	}
	loadedMsg struct {
		n     *notifier
		rows  []messages.OutboxRow
		total int // pending rows in all
		err   error
	}
	countedMsg struct {
		n     *notifier
		total int
		err   error
	}
	attemptMsg struct {
		n *notifier
		attempt
	}
	rateLoadedMsg struct {
		n     *notifier
		st    messages.RateState
		found bool
		err   error
	}
	rateSavedMsg struct {
		n   *notifier
		ver uint64
		err error
	}
	testDoneMsg struct {
		n   *notifier
		t   *testSend
		res Result
	}
)

// Receive handles one message.
func (n *notifier) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		n.start(c)
	case *actor.Stopping, *actor.Restarting:
		n.shutdown()
	case *messages.Envelope:
		n.envelope(c, m)
	case *wakeMsg:
		if m.n != n || m.gen != n.wakeGen {
			return // a timer that was replaced, or of a previous incarnation
		}
		n.wake = nil
		n.step(c)
	case *idleMsg:
		if m.n != n || m.gen != n.idleGen {
			return
		}
		n.idle = nil
		if n.isIdle() {
			n.log.Debug("notifier idle, passivating")
			n.passivate(c)
		}
	case *loadedMsg:
		if m.n == n {
			n.loaded(c, m)
		}
	case *countedMsg:
		if m.n == n {
			n.counted(c, m)
		}
	case *attemptMsg:
		if m.n == n {
			n.attempted(c, &m.attempt)
		}
	case *rateLoadedMsg:
		if m.n == n {
			n.rateLoaded(c, m)
		}
	case *rateSavedMsg:
		if m.n == n {
			n.rateSaved(c, m)
		}
	case *testDoneMsg:
		if m.n == n {
			n.testDone(c, m)
		}
	}
}

func (n *notifier) envelope(c actor.Context, env *messages.Envelope) {
	switch env.GetType() {
	case messages.TypePoke:
		if c.Sender() != nil {
			c.Respond(cluster.OK())
		}
		var p messages.Poke
		_ = proto.Unmarshal(env.GetBody(), &p) // a body that does not decode is a poke all the same
		n.poke(c, p.GetRows())
	case messages.TypeTestSend:
		n.testSend(c, env)
	case messages.TypeRate:
		n.rateQuery(c)
	default:
		if c.Sender() != nil {
			c.Respond(cluster.UnknownType(env.GetType()))
		}
	}
}

func (n *notifier) start(c actor.Context) {
	n.self = c.Self()
	n.root = c.ActorSystem().Root
	n.stale = true
	n.step(c)
}

// shutdown stops the timers. A send in flight is not cancelled: it completes (within
// SendTimeout) and records its outcome, so a handover does not repeat an alert the receiver
// already has; the next owner sees the claim released then. A rate state not saved yet is
// saved in the background.
func (n *notifier) shutdown() {
	n.disarm()
	n.stopIdle()
	n.setLimited("")
	n.setPending(0) // the destination's next owner counts its rows
	if st, ver := n.policy.State(); n.rateReady && !n.saving && ver != n.savedVer {
		w := n.w
		w.goWork(func() { _ = w.saveRate(st) })
	}
}

// isIdle reports whether the notifier has nothing to do, nor anything to wait for.
func (n *notifier) isIdle() bool {
	return !n.busy && !n.stale && len(n.queue) == 0 && n.wake == nil && len(n.tests) == 0 &&
		!n.saving && len(n.rateWaiters) == 0
}

func (n *notifier) passivate(c actor.Context) {
	if n.w.deps.Passivate != nil {
		n.w.deps.Passivate(c)
		return
	}
	c.Stop(c.Self())
}

// poke says the destination may have new due rows; rows > 0 says its writer just committed
// that many. Rows written after the cached ones come after them in FIFO order, so only an
// empty queue needs a reload: a notifier waiting on its head's back-off is not made to query
// the store by every poke (the dispatcher's sweeps poke every second), only counted again when
// a writer added rows. A claim held elsewhere may have been released, though, so the head is
// tried again at once.
func (n *notifier) poke(c actor.Context, rows uint32) {
	if len(n.queue) == 0 {
		n.stale = true
	} else if rows > 0 {
		n.recount = true
	}
	n.claimMiss = 0 // the claim that stopped us may have been released: ask the store again
	n.step(c)
}

// step decides what to do next when nothing is running: load the rate state (once), serve
// the test sends, then the head of the backlog.
func (n *notifier) step(c actor.Context) {
	if n.busy {
		return
	}
	n.stopIdle()
	if !n.rateReady {
		n.loadRate()
		return
	}
	now := n.w.deps.Now()
	if n.stepTests(c, now) {
		return
	}
	if n.stale {
		n.load()
		return
	}
	if n.recount {
		n.count()
		return
	}
	if len(n.queue) == 0 {
		n.setLimited("")
		n.disarm()
		n.armIdle()
		return
	}
	head := n.queue[0]
	if head.NextAttemptAt.After(now) {
		n.wait(now, head.NextAttemptAt)
		return
	}
	if head.ID == n.claimMiss && n.claimWait.After(now) {
		n.wait(now, n.claimWait)
		return
	}
	if may := n.w.deps.MayAct; may != nil && !may() {
		n.wait(now, now.Add(n.w.deps.Config.ClaimRetry))
		return
	}
	if d := n.policy.Delay(now, 1); d > 0 {
		n.wait(now, now.Add(d))
		return
	}
	n.setLimited("")
	n.disarm()
	n.policy.Take(now)
	n.deliver(head)
}

// wait arms the one timer for at (no polling) and notes whether the policy holds the
// destination back meanwhile (a 429's back-off also delays the row itself).
func (n *notifier) wait(now, at time.Time) {
	n.setLimited(n.policy.Snapshot(now).GetLimitedReason())
	n.arm(at)
}

// setLimited keeps the limited-destinations gauge: reason "" = not waiting for the policy.
func (n *notifier) setLimited(reason string) {
	if reason == n.limited {
		return
	}
	n.w.deps.Metrics.limitedChange(n.limited, reason)
	n.limited = reason
}

// setPending records the count of pending rows and reports it.
func (n *notifier) setPending(k int) {
	n.pending = max(k, 0)
	n.w.deps.Depth.Set(n.w.dest, n.pending)
}

// load reads the destination's first pending rows in a goroutine.
func (n *notifier) load() {
	n.busy = true
	n.stale, n.recount = false, false
	self, root, w := n.self, n.root, n.w
	w.goWork(func() {
		rows, total, err := w.pending()
		root.Send(self, &loadedMsg{n: n, rows: rows, total: total, err: err})
	})
}

func (n *notifier) loaded(c actor.Context, m *loadedMsg) {
	n.busy = false
	if m.err != nil {
		n.storeTrouble(fmt.Errorf("load pending outbox: %w", m.err))
		return
	}
	n.queue = m.rows
	n.setPending(m.total)
	n.step(c)
}

// count counts the destination's pending rows in a goroutine. It runs only while nothing
// else does, so no row is finished between the count and its use.
func (n *notifier) count() {
	n.busy = true
	n.recount = false
	self, root, w := n.self, n.root, n.w
	w.goWork(func() {
		total, err := w.countPending()
		root.Send(self, &countedMsg{n: n, total: total, err: err})
	})
}

func (n *notifier) counted(c actor.Context, m *countedMsg) {
	n.busy = false
	if m.err != nil {
		n.storeTrouble(fmt.Errorf("count pending outbox: %w", m.err))
		return
	}
	n.setPending(m.total)
	n.step(c)
}

// deliver claims, sends and finishes the head row in a goroutine.
func (n *notifier) deliver(row messages.OutboxRow) {
	n.busy = true
	node := n.w.deps.NodeID()
	self, root, w := n.self, n.root, n.w
	w.goWork(func() {
		a := w.attempt(row, node)
		root.Send(self, &attemptMsg{n: n, attempt: a})
	})
}

func (n *notifier) attempted(c actor.Context, a *attempt) {
	n.busy = false
	if a.throttled > 0 {
		// The user's allowance for the destination's host is spent: the row was not
		// claimed; try it again when the allowance has a send for it.
		now := n.w.deps.Now()
		n.setLimited(limitedHost)
		n.arm(now.Add(a.throttled))
		return
	}
	if a.err != nil && !a.sent {
		n.storeTrouble(a.err)
		return
	}
	now := n.w.deps.Now()
	if a.refused {
		// Another live claimer holds the row, or the row is no longer pending: a.rows is
		// the queue as the store sees it now.
		n.queue = a.rows
		n.setPending(a.total)
		n.claimMiss = a.row.ID
		n.claimWait = now.Add(n.w.deps.Config.ClaimRetry)
		if len(a.rows) > 0 && a.rows[0].ID == a.row.ID && a.rows[0].ClaimUntil.After(now) {
			n.claimWait = a.rows[0].ClaimUntil
		}
		if len(n.queue) == 0 {
			n.stale = true
		}
		n.log.Debug("outbox row claimed elsewhere", "outbox_id", a.row.ID,
			"claimed_by", a.rowClaimedBy(), "until", n.claimWait)
		n.step(c)
		return
	}
	// The receiver answered (or did not): the policy learns from it even when recording the
	// outcome failed.
	n.observe(now, a.row.Channel, a.res)
	if a.err != nil {
		n.storeTrouble(a.err)
		return
	}
	n.report(a)
	if !a.finished {
		// The claim was lost while sending (it expired and another node took the row): the
		// store's view wins.
		n.queue, n.stale = nil, true
		n.step(c)
		return
	}
	if a.fin.Status != messages.OutboxPending {
		n.setPending(n.pending - 1) // delivered or failed: no longer pending
	}
	if len(n.queue) > 0 && n.queue[0].ID == a.row.ID {
		if a.fin.Status == messages.OutboxPending {
			head := &n.queue[0]
			head.Attempts = a.fin.Attempts
			head.NextAttemptAt = a.fin.NextAttemptAt
			head.LastError = a.fin.LastError
			head.ClaimedBy, head.ClaimUntil = "", time.Time{}
		} else {
			n.queue = n.queue[1:]
		}
	} else {
		n.stale = true
	}
	if len(n.queue) == 0 {
		n.stale = true // there may be more rows beyond the batch, or new ones
	}
	n.step(c)
}

// observe feeds the result of a send to the policy and saves the rate state if it changed.
func (n *notifier) observe(now time.Time, channel messages.ChannelKind, res Result) {
	_, before := n.policy.State()
	n.policy.Observe(now, res)
	if _, after := n.policy.State(); after != before {
		switch res.Outcome {
		case RateLimited:
			n.w.deps.Metrics.decrease(channel, "rate_limited")
		case Delivered, Permanent:
		default:
			n.w.deps.Metrics.decrease(channel, "error")
		}
	}
	n.saveRate()
}

// report logs an attempt: failures when they change, everything else at Debug.
func (n *notifier) report(a *attempt) {
	attrs := []any{"outbox_id", a.row.ID, "check_id", a.row.CheckID, "channel", a.row.Channel,
		"kind", a.row.Kind, "outcome", a.res.Outcome.String(), "status", a.fin.Status}
	switch {
	case a.res.Outcome == Delivered:
		if n.lastProblem != "" {
			n.log.Info("destination accepts alerts again", attrs...)
			n.lastProblem = ""
			return
		}
		n.log.Debug("alert delivered", attrs...)
	case a.res.Detail != n.lastProblem || a.fin.Status == messages.OutboxFailed:
		n.lastProblem = a.res.Detail
		n.log.Info("alert not delivered", append(attrs, "detail", a.res.Detail, "attempts", a.fin.Attempts)...)
	default:
		n.log.Debug("alert not delivered", append(attrs, "detail", a.res.Detail, "attempts", a.fin.Attempts)...)
	}
	if !a.finished {
		n.log.Info("outbox claim lost before the outcome was recorded", "outbox_id", a.row.ID)
	}
}

// storeTrouble reloads after StoreRetry.
func (n *notifier) storeTrouble(err error) {
	if msg := err.Error(); msg != n.lastProblem {
		n.lastProblem = msg
		n.log.Warn("outbox store error", "err", err)
	}
	n.queue, n.stale = nil, true
	n.arm(n.w.deps.Now().Add(n.w.deps.Config.StoreRetry))
}

// arm sets the one wake-up timer to fire at at, replacing any other.
func (n *notifier) arm(at time.Time) {
	if n.wake != nil && n.wakeAt.Equal(at) {
		return
	}
	n.disarm()
	n.wakeGen++
	n.wakeAt = at
	msg := &wakeMsg{n: n, gen: n.wakeGen}
	self, root := n.self, n.root
	n.wake = time.AfterFunc(at.Sub(n.w.deps.Now()), func() { root.Send(self, msg) })
}

func (n *notifier) disarm() {
	if n.wake != nil {
		n.wake.Stop()
		n.wake = nil
		n.wakeGen++
	}
}

func (n *notifier) armIdle() {
	if n.idle != nil {
		return
	}
	n.idleGen++
	msg := &idleMsg{n: n, gen: n.idleGen}
	self, root := n.self, n.root
	n.idle = time.AfterFunc(n.w.deps.Config.IdleTimeout, func() { root.Send(self, msg) })
}

func (n *notifier) stopIdle() {
	if n.idle != nil {
		n.idle.Stop()
		n.idle = nil
		n.idleGen++
	}
}

// worker does a notifier's I/O. It holds only what never changes, so its methods run in
// goroutines without touching the actor's state.
type worker struct {
	deps Deps
	dest string
}

// attempt is the result of one claim–send–finish.
type attempt struct {
	row      messages.OutboxRow
	refused  bool                 // the claim was refused; rows is the reloaded queue
	rows     []messages.OutboxRow // with refused
	total    int                  // with refused: the destination's pending rows in all
	sent     bool                 // the row went to its sender: res is its result
	res      Result
	fin      persistence.OutboxResult
	finished bool  // the outcome was recorded (false: the claim was lost meanwhile)
	err      error // a store error; with !sent nothing more is known
	// throttled > 0: the host cap refused the send; nothing was claimed, try after it.
	throttled time.Duration
}

func (a *attempt) rowClaimedBy() string {
	for _, r := range a.rows {
		if r.ID == a.row.ID {
			return r.ClaimedBy
		}
	}
	return ""
}

func (w *worker) storeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), w.deps.Config.StoreTimeout)
}

// pending reads the destination's first pending rows and how many it has in all (counted
// only when the batch is full: otherwise the batch is all of them).
func (w *worker) pending() ([]messages.OutboxRow, int, error) {
	ctx, cancel := w.storeContext()
	defer cancel()
	rows, err := w.deps.Store.PendingOutbox(ctx, w.dest, w.deps.Config.BatchSize)
	if err != nil || len(rows) < w.deps.Config.BatchSize {
		return rows, len(rows), err
	}
	total, err := w.deps.Store.CountPendingOutbox(ctx, w.dest)
	return rows, max(total, len(rows)), err
}

func (w *worker) countPending() (int, error) {
	ctx, cancel := w.storeContext()
	defer cancel()
	return w.deps.Store.CountPendingOutbox(ctx, w.dest)
}

func (w *worker) attempt(row messages.OutboxRow, node string) attempt {
	a := attempt{row: row}
	cfg := w.deps.Config
	if a.throttled = w.hostWait(row); a.throttled > 0 {
		return a
	}
	now := w.deps.Now()
	ctx, cancel := w.storeContext()
	ok, err := w.deps.Store.ClaimOutbox(ctx, row.ID, node, now, now.Add(cfg.ClaimTTL))
	cancel()
	if err != nil {
		a.err = fmt.Errorf("claim outbox row %d: %w", row.ID, err)
		return a
	}
	if !ok {
		a.refused = true
		if a.rows, a.total, err = w.pending(); err != nil {
			a.err = fmt.Errorf("load pending outbox: %w", err)
		}
		return a
	}
	a.res, a.sent = w.send(row, cfg.SendTimeout), true
	a.fin = decide(cfg, row, node, a.res, w.deps.Now(), rand.Float64())
	ctx, cancel = w.storeContext()
	defer cancel()
	a.finished, err = w.deps.Store.FinishOutbox(ctx, a.fin)
	if err != nil {
		a.err = fmt.Errorf("finish outbox row %d: %w", row.ID, err)
	}
	return a
}

// hostWait takes one send of the row's user allowance for its destination host, or returns
// how long until there is one. A row whose destination does not open is not capped (its send
// fails at once), and an unreachable limiter lets the send go: the cap bounds abuse, it must
// not hold a user's alerts back while the cluster changes.
func (w *worker) hostWait(row messages.OutboxRow) time.Duration {
	hc := w.deps.HostCap
	if hc == nil || hc.Limiter == nil {
		return 0
	}
	plain, err := w.deps.Ring.Open(row.DestEnc, keyring.OutboxAD(row.IdempotencyKey, row.UserID))
	var dest messages.ChannelConfig
	if err == nil {
		err = json.Unmarshal(plain, &dest)
	}
	if err != nil {
		return 0
	}
	key := hc.key(row.UserID, row.Channel, dest)
	if key == "" {
		return 0
	}
	ctx, cancel := w.storeContext()
	defer cancel()
	ok, wait, err := hc.Limiter.Take(ctx, HostCapName, key, hc.Limit, 1)
	if err != nil {
		w.deps.Logger.Debug("host cap unavailable, sending", "err", err)
		return 0
	}
	if ok {
		return 0
	}
	w.deps.Metrics.capped()
	return max(wait, time.Millisecond)
}

func (w *worker) loadRate() (messages.RateState, bool, error) {
	ctx, cancel := w.storeContext()
	defer cancel()
	return w.deps.Store.LoadRateState(ctx, w.dest)
}

func (w *worker) saveRate(st messages.RateState) error {
	ctx, cancel := w.storeContext()
	defer cancel()
	return w.deps.Store.SaveRateState(ctx, w.dest, st)
}

// send opens the row's destination and hands it to the channel's sender, for at most
// timeout. A sender that panics costs a transient failure, not the process.
func (w *worker) send(row messages.OutboxRow, timeout time.Duration) (res Result) {
	m := w.deps.Metrics
	plain, err := w.deps.Ring.Open(row.DestEnc, keyring.OutboxAD(row.IdempotencyKey, row.UserID))
	var dest messages.ChannelConfig
	if err == nil {
		err = json.Unmarshal(plain, &dest)
	}
	if err != nil {
		res = Result{Outcome: Permanent, Detail: detailUndecryptable}
		m.unsent(row.Channel, res)
		return res
	}
	sender := w.deps.Senders[row.Channel]
	if sender == nil {
		res = Result{Outcome: Transient, Detail: fmt.Sprintf("the %s channel is not available on this server", row.Channel)}
		m.unsent(row.Channel, res)
		return res
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m.begin()
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			w.deps.Logger.Error("sender panicked", "channel", row.Channel, "outbox_id", row.ID, "err", fmt.Sprint(p))
			res = Result{Outcome: Transient, Detail: "internal error while sending"}
		}
		m.end(row.Channel, res, time.Since(start))
	}()
	return sender.Send(ctx, Delivery{Row: row, Dest: dest, Payload: row.Payload})
}

// goWork runs f on its own goroutine, counted in Deps.Work when set.
func (w *worker) goWork(f func()) {
	if w.deps.Work == nil {
		go f()
		return
	}
	w.deps.Work.Add(1)
	go func() {
		defer w.deps.Work.Done()
		f()
	}()
}
