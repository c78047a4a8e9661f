package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/alert"
	"github.com/ttr-rip/ttr/actors/batcher"
	"github.com/ttr-rip/ttr/actors/census"
	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Loader loads a check on activation (persistence.SystemStore.LoadCheck).
type Loader interface {
	LoadCheck(ctx context.Context, checkID int64, recent int) (messages.Check, []messages.Channel, []string, error)
}

// Writer takes writes (the node's batcher).
type Writer interface {
	Submit(batcher.Item) error
}

// Wheel holds wake-ups.
type Wheel interface {
	Set(id int64, at time.Time)
	Remove(id int64)
}

// Poker wakes the notifier of a destination after rows for it commit, telling it how many
// (notify.RouterPoker).
type Poker interface {
	PokeRows(destHash string, rows int)
}

// Deps are the check actor's collaborators. All are shared by every check of a node.
type Deps struct {
	Store   Loader
	Batcher Writer
	Wheel   Wheel
	Ring    *keyring.Ring
	Poker   Poker
	// NodeID names this node in flips.
	NodeID func() string
	// Passivate asks the host to stop this activation once its queued messages are done.
	Passivate func(ctx actor.Context)
	Now       func() time.Time
	Log       *slog.Logger
	// IdleTimeout passivates an activation that saw no message for this long (default 5 min).
	IdleTimeout time.Duration
	// TickIdleTimeout passivates sooner an activation that only ever handled wake-ups (a
	// deadline that passed, a re-alert): nothing suggests more traffic, and a burst of
	// deadlines would otherwise keep every check it touched in memory for IdleTimeout
	// (default 10 s).
	TickIdleTimeout time.Duration
	// KeepPings is how many pings of each check's log are kept (--ping-log-limit, default
	// 1,000; 0 = all). Each commit whose ping number is a multiple of ten trims the log to
	// it, so the log holds KeepPings to KeepPings+9 rows; the retention pass
	// (actors/retention) removes the rest.
	KeepPings int64
	// DedupeWindow is how many request ids of its newest pings an activation reloads to
	// recognise retried requests (--ping-dedupe-window, default 100); it is at most
	// KeepPings, and the activation remembers at least as many as it goes on.
	DedupeWindow int
	// LoadTimeout bounds an activation's store read (default 5 s).
	LoadTimeout time.Duration
	// Flap is the flapping detection of every check (zero fields: documented defaults).
	Flap checklogic.FlapConfig
	// Metrics, when set, receives the deadline lag of every flip a missed deadline causes.
	Metrics *Metrics
	// Census, when set, counts this node's checks by status: each activation reports the
	// status it loaded, each committed write the status it stored, each delete the removal.
	Census *census.Checks
	// PingLimit bounds each check's pings (default off; the daemon sets 20/s with bursts of
	// 100). A ping beyond it is answered RateLimited and not recorded. The bucket lives in the
	// activation: it is per check and per node that owns it, which is one node at a time.
	PingLimit ratelimit.Limit
	// RuleBudget, when set, bounds the time each user's content rules spend matching on this
	// node (contentrule.Budget).
	RuleBudget *contentrule.Budget
	// RuleSubjectLimit is how many bytes of a ping a content rule reads (the ping body limit;
	// 0 = contentrule.DefaultSubjectLimit).
	RuleSubjectLimit int
}

func (d *Deps) defaults() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = 5 * time.Minute
	}
	if d.TickIdleTimeout <= 0 {
		d.TickIdleTimeout = 10 * time.Second
	}
	d.TickIdleTimeout = min(d.TickIdleTimeout, d.IdleTimeout)
	if d.KeepPings < 0 {
		d.KeepPings = 0
	}
	if d.DedupeWindow <= 0 {
		d.DedupeWindow = 100
	}
	if d.KeepPings > 0 {
		d.DedupeWindow = min(d.DedupeWindow, int(d.KeepPings))
	}
	if d.LoadTimeout <= 0 {
		d.LoadTimeout = 5 * time.Second
	}
	if d.NodeID == nil {
		d.NodeID = func() string { return "" }
	}
	if d.Passivate == nil {
		d.Passivate = func(ctx actor.Context) { ctx.Stop(ctx.Self()) }
	}
}

// Identity returns the identity of a check's actor.
func Identity(checkID int64) string {
	return messages.KindCheck + "/" + strconv.FormatInt(checkID, 10)
}

// ParseIdentity returns the check id of an identity.
func ParseIdentity(identity string) (int64, bool) {
	rest, ok := strings.CutPrefix(identity, messages.KindCheck+"/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// NewProducer returns the host's producer for check actors.
func NewProducer(d Deps) func(identity string) actor.Producer {
	d.defaults()
	deps := &d
	return func(identity string) actor.Producer {
		id, _ := ParseIdentity(identity)
		return func() actor.Actor {
			return &checkActor{d: deps, id: id, pending: map[uint64]*pendingWrite{},
				recent: recentRequests{size: max(recentCap, deps.DedupeWindow)}}
		}
	}
}

// checkActor is one activation of a check.
type checkActor struct {
	d  *Deps
	id int64

	loaded bool
	// broken: the in-memory state may be ahead of the store (a write failed or was fenced);
	// it is reloaded before the next message, once no write is in flight.
	broken  bool
	deleted bool

	chk      messages.Check
	cfg      checklogic.Config
	channels []messages.Channel

	seq      uint64
	pending  map[uint64]*pendingWrite
	stash    []stashed
	recent   recentRequests
	lastSeen time.Time
	idle     *time.Timer
	// pings is the check's ping allowance (Deps.PingLimit), made on the first ping.
	pings *ratelimit.Bucket
	// traffic: this activation handled something besides wake-ups (see TickIdleTimeout).
	traffic bool
	// counted is the status last reported to Deps.Census, by the write countedSeq (0: by
	// the load): a write's outcome that arrives after a later one's does not undo it.
	counted    messages.CheckStatus
	countedSeq uint64
}

type stashed struct {
	env    *messages.Envelope
	sender *actor.PID
}

// pendingWrite is a write handed to the batcher and what to do when it commits.
type pendingWrite struct {
	requestID string
	waiters   []*actor.PID
	reply     *messages.Reply
	wake      time.Time
	dests     []string
	deleted   bool
	// deadline is the missed deadline whose flip this write records (zero for other writes).
	deadline time.Time
	// status is the check's status once the write commits.
	status messages.CheckStatus
}

// writeDone carries a write's outcome from the batcher back into the actor.
type writeDone struct {
	seq     uint64
	outcome persistence.Outcome
}

type idleCheck struct{}

func (a *checkActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *messages.Envelope:
		a.lastSeen = a.d.Now()
		if m.Type != messages.TypeTick && m.Type != messages.TypeReload {
			a.traffic = true // a reload is the system's, like a tick: no sign of more traffic
		}
		a.handle(ctx, m, ctx.Sender())
	case *writeDone:
		a.onWriteDone(ctx, m)
	case idleCheck:
		a.onIdleCheck(ctx)
	case *actor.Started:
		a.lastSeen = a.d.Now()
		a.armIdle(ctx, a.d.TickIdleTimeout)
	case *actor.Stopping:
		if a.idle != nil {
			a.idle.Stop()
		}
	}
}

func (a *checkActor) handle(ctx actor.Context, env *messages.Envelope, sender *actor.PID) {
	if a.deleted {
		respond(ctx, sender, notFound())
		return
	}
	if a.broken && len(a.pending) > 0 {
		// Writes built on the state that failed are still in flight: their outcomes decide
		// what to reload. Hold the message until they are all answered.
		a.stash = append(a.stash, stashed{env, sender})
		return
	}
	fresh := !a.loaded || a.broken
	if fresh {
		if rep := a.load(); rep != nil {
			if env.Type != messages.TypeTick && env.Type != messages.TypeReload {
				respond(ctx, sender, rep)
			}
			if rep.Code == messages.Code_CODE_NOT_FOUND {
				a.d.Wheel.Remove(a.id)
				a.d.Census.Remove(a.id)
				a.deleted = true
				a.d.Passivate(ctx)
			}
			return
		}
	}
	switch env.Type {
	case messages.TypePing:
		a.onPing(ctx, env, sender)
	case messages.TypeTick:
		a.onTick(ctx)
	case messages.TypeEdit:
		a.onEdit(ctx, env, sender)
	case messages.TypeUpdate:
		a.onUpdate(ctx, env, sender)
	case messages.TypePause, messages.TypeResume, messages.TypeDelete, messages.TypeCommand:
		a.onCommand(ctx, env, sender)
	case messages.TypeSetChannel:
		a.onSetChannel(ctx, env, sender)
	case messages.TypeReload:
		if fresh {
			respond(ctx, sender, ok("")) // loaded just now
		} else if len(a.pending) == 0 {
			a.loaded = false
		} else {
			a.broken = true
		}
		respond(ctx, sender, ok(""))
	default:
		// A newer edge's request: refused as such (the edge retries later), never guessed at.
		respond(ctx, sender, cluster.UnknownType(env.Type))
	}
}

// load reads the check from the store. It returns a reply to send instead of handling the
// message, or nil when loaded.
func (a *checkActor) load() *messages.Reply {
	ctx, cancel := context.WithTimeout(context.Background(), a.d.LoadTimeout)
	defer cancel()
	chk, chans, recent, err := a.d.Store.LoadCheck(ctx, a.id, a.d.DedupeWindow)
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			return notFound()
		}
		a.d.Log.Warn("load check", "check_id", a.id, "err", err)
		return unavailable(time.Second)
	}
	cfg, err := checklogic.CompileWith(chk.ID, chk.CheckConfig, a.d.Flap)
	if err != nil {
		// The API validated the configuration; a stored one that no longer compiles (a zone
		// removed from tzdata) is reported rather than crashing the actor.
		a.d.Log.Error("stored check config does not compile", "check_id", a.id, "err", err)
		return cluster.ReplyOf(fmt.Errorf("stored configuration of check %d: %w", a.id, err))
	}
	a.chk, a.cfg, a.channels = chk, cfg, chans
	a.recent.reset(recent)
	a.loaded, a.broken = true, false
	a.d.Wheel.Set(a.id, chk.NextWakeAt)
	a.d.Census.Set(a.id, chk.Status)
	a.counted, a.countedSeq = chk.Status, a.seq
	return nil
}

func (a *checkActor) onPing(ctx actor.Context, env *messages.Envelope, sender *actor.PID) {
	var p messages.Ping
	if err := proto.Unmarshal(env.Body, &p); err != nil {
		respond(ctx, sender, invalid("malformed ping"))
		return
	}
	if a.stale(&p) {
		respond(ctx, sender, &messages.Reply{Code: messages.Code_CODE_STALE})
		return
	}
	if env.RequestId != "" {
		if r, seen := a.recent.get(env.RequestId); seen {
			// A retry of a ping already taken: answer like the first time, never count twice.
			if r.done {
				respond(ctx, sender, r.reply)
			} else if w := a.pending[r.seq]; w != nil && sender != nil {
				w.waiters = append(w.waiters, sender)
			}
			return
		}
	}
	now := a.d.Now()
	if !a.d.PingLimit.Off() {
		if a.pings == nil {
			a.pings = ratelimit.NewBucket(a.d.PingLimit)
		}
		if ok, wait := a.pings.Take(now, 1); !ok {
			a.d.Metrics.pingLimited()
			respond(ctx, sender, cluster.RateLimited("too many pings for this check", wait))
			return
		}
	}
	in := checklogic.PingInput{Kind: p.Kind.Logged(), ExitStatus: p.ExitStatus, RID: p.Rid, Body: p.Body, Query: p.Query,
		Method: p.Method, Rule: contentrule.Options{Limit: a.d.RuleSubjectLimit, Meter: a.d.RuleBudget.For(a.chk.UserID)}}
	eff := checklogic.OnPing(a.cfg, a.chk.CheckState, in, now)
	reason := eff.Reason
	if reason == "" {
		reason = eff.Note
	}
	st := eff.State
	st.NPings = a.chk.NPings + 1
	w := persistence.Write{
		CheckID: a.id,
		State:   st,
		Ping: &messages.PingRecord{
			CheckID: a.id, N: st.NPings, At: now, Kind: eff.Kind, ExitStatus: p.ExitStatus, RID: p.Rid,
			Method: p.Method, RemoteIP: p.RemoteIp, ForwardedProto: p.ForwardedProto, UserAgent: p.UserAgent, Body: p.Body,
			RequestID: env.RequestId, Reason: reason,
		},
		Flip:   eff.Flip,
		Outbox: a.outbox(eff, now),
	}
	// Prune every tenth ping, so the log holds between KeepPings and KeepPings+9 rows
	// without a delete on every write (docs/operations.md, "Retention").
	if a.d.KeepPings > 0 && st.NPings%10 == 0 && st.NPings > a.d.KeepPings {
		w.PruneBelow = st.NPings - a.d.KeepPings
	}
	a.submit(ctx, w, &pendingWrite{requestID: env.RequestId, reply: ok(eff.Reason)}, sender)
}

func (a *checkActor) onTick(ctx actor.Context) {
	eff := checklogic.OnTick(a.cfg, a.chk.CheckState, a.d.Now())
	if !eff.Changed {
		a.d.Wheel.Set(a.id, a.chk.NextWakeAt)
		return
	}
	w := persistence.Write{CheckID: a.id, State: eff.State, Flip: eff.Flip, Outbox: a.outbox(eff, a.d.Now())}
	p := &pendingWrite{}
	if eff.Flip != nil {
		p.deadline = eff.Flip.At // a tick's flip is dated at the deadline it found missed
	}
	a.submit(ctx, w, p, nil)
}

// onEdit merges an edit into the configuration this actor holds, after every write queued
// before it: two edits of different fields both survive, and an If-Match is compared with the
// config_version the edit would change.
func (a *checkActor) onEdit(ctx actor.Context, env *messages.Envelope, sender *actor.PID) {
	var m messages.CheckEdit
	if !a.decodeOwned(ctx, env, sender, &m) {
		return
	}
	if err := checkconfig.MatchVersion(m.IfConfigVersions, a.chk.ConfigVersion); err != nil {
		respond(ctx, sender, cluster.ReplyOf(err))
		return
	}
	now := a.d.Now()
	cfg, err := checkconfig.Edit(a.chk.CheckConfig, &m, a.chk.UUID, now)
	if err != nil {
		respond(ctx, sender, cluster.ReplyOf(err))
		return
	}
	a.reconfigure(ctx, cfg, sender)
}

// reconfigure applies a new, validated configuration: the deadlines are recomputed and the
// configuration is written with the next config_version.
func (a *checkActor) reconfigure(ctx actor.Context, cfg messages.CheckConfig, sender *actor.PID) {
	compiled, err := checklogic.CompileWith(a.id, cfg, a.d.Flap)
	if err != nil {
		respond(ctx, sender, invalid(messages.MessageOf(err)))
		return
	}
	now := a.d.Now()
	eff := checklogic.OnReconfigure(compiled, a.chk.CheckState, now)
	w := persistence.Write{CheckID: a.id, Config: &cfg, State: eff.State, Flip: eff.Flip, Outbox: a.outbox(eff, now)}
	a.chk.CheckConfig, a.cfg = cfg, compiled
	a.submit(ctx, w, &pendingWrite{reply: ok("")}, sender)
}

// onCommand runs a pause, resume, toggle or delete, from its own message type (every release
// knows those) or from a Command (a toggle, or one with an If-Match precondition). Pause and
// resume write the configuration's next config_version with the new state.
func (a *checkActor) onCommand(ctx actor.Context, env *messages.Envelope, sender *actor.PID) {
	cmd, err := decodeCommand(env)
	if err != nil {
		respond(ctx, sender, invalid(err.Error()))
		return
	}
	if cmd.UserId != a.chk.UserID {
		respond(ctx, sender, notFound())
		return
	}
	if err := checkconfig.MatchVersion(cmd.IfConfigVersions, a.chk.ConfigVersion); err != nil {
		respond(ctx, sender, cluster.ReplyOf(err))
		return
	}
	now := a.d.Now()
	var eff checklogic.Effects
	switch cmd.Op {
	case messages.CommandOp_COMMAND_OP_PAUSE:
		eff = checklogic.OnPause(a.cfg, a.chk.CheckState, now)
	case messages.CommandOp_COMMAND_OP_RESUME:
		eff = checklogic.OnResume(a.cfg, a.chk.CheckState, now)
	case messages.CommandOp_COMMAND_OP_TOGGLE_PAUSE:
		if a.chk.Status == messages.StatusPaused {
			eff = checklogic.OnResume(a.cfg, a.chk.CheckState, now)
		} else {
			eff = checklogic.OnPause(a.cfg, a.chk.CheckState, now)
		}
	case messages.CommandOp_COMMAND_OP_DELETE:
		w := persistence.Write{CheckID: a.id, State: a.chk.CheckState, Delete: true}
		a.submit(ctx, w, &pendingWrite{reply: ok(""), deleted: true}, sender)
		return
	default:
		respond(ctx, sender, invalid("unknown command "+cmd.Op.String()))
		return
	}
	if !eff.Changed {
		respond(ctx, sender, ok(""))
		return
	}
	cfg := a.chk.CheckConfig
	w := persistence.Write{CheckID: a.id, State: eff.State, Config: &cfg, Flip: eff.Flip, Outbox: a.outbox(eff, now)}
	a.submit(ctx, w, &pendingWrite{reply: ok("")}, sender)
}

// ownedMessage is a request that names the user it acts for.
type ownedMessage interface {
	proto.Message
	GetUserId() int64
}

// decodeOwned decodes env's body into m and answers the refusal itself when the body is
// malformed (invalid) or names another user than the check's (not found: another user's
// check does not exist for them). It reports whether m may be acted on.
func (a *checkActor) decodeOwned(ctx actor.Context, env *messages.Envelope, sender *actor.PID, m ownedMessage) bool {
	if err := proto.Unmarshal(env.Body, m); err != nil {
		respond(ctx, sender, invalid("malformed "+env.Type))
		return false
	}
	if m.GetUserId() != a.chk.UserID {
		respond(ctx, sender, notFound())
		return false
	}
	return true
}

// decodeCommand reads a Command, or a Pause, Resume or Delete as the Command it is.
func decodeCommand(env *messages.Envelope) (*messages.Command, error) {
	var cmd messages.Command
	var m ownedMessage = &cmd
	switch env.Type {
	case messages.TypePause:
		m, cmd.Op = &messages.Pause{}, messages.CommandOp_COMMAND_OP_PAUSE
	case messages.TypeResume:
		m, cmd.Op = &messages.Resume{}, messages.CommandOp_COMMAND_OP_RESUME
	case messages.TypeDelete:
		m, cmd.Op = &messages.Delete{}, messages.CommandOp_COMMAND_OP_DELETE
	}
	if proto.Unmarshal(env.Body, m) != nil {
		return nil, errors.New("malformed " + env.Type)
	}
	cmd.UserId = m.GetUserId()
	return &cmd, nil
}

func (a *checkActor) onSetChannel(ctx actor.Context, env *messages.Envelope, sender *actor.PID) {
	var m messages.SetChannel
	if !a.decodeOwned(ctx, env, sender, &m) {
		return
	}
	ch := messages.Channel{CheckID: a.id, UserID: a.chk.UserID, Name: messages.ChannelKind(m.Channel), Enabled: m.Enabled, ConfigEnc: m.ConfigEnc}
	i := slices.IndexFunc(a.channels, func(c messages.Channel) bool { return c.Name == ch.Name })
	if i >= 0 {
		if m.KeepConfig {
			ch.ConfigEnc = a.channels[i].ConfigEnc
		}
		ch.LastStatus, ch.LastMessage, ch.LastAt = a.channels[i].LastStatus, a.channels[i].LastMessage, a.channels[i].LastAt
		a.channels[i] = ch
	} else {
		a.channels = append(a.channels, ch)
	}
	w := persistence.Write{CheckID: a.id, State: a.chk.CheckState, Channel: &ch}
	a.submit(ctx, w, &pendingWrite{reply: ok("")}, sender)
}

// stale reports whether the lookup that routed a ping no longer names this check.
func (a *checkActor) stale(p *messages.Ping) bool {
	switch p.LookupKind {
	case messages.LookupKind_LOOKUP_KIND_UUID:
		return p.LookupRef != a.chk.UUID
	case messages.LookupKind_LOOKUP_KIND_USER_SLUG:
		return p.UserId != a.chk.UserID || (p.LookupRef != a.chk.Slug && p.LookupRef != a.chk.UUID)
	case messages.LookupKind_LOOKUP_KIND_PING_KEY:
		return p.UserId != a.chk.UserID || p.LookupRef != a.chk.Slug
	default:
		return p.UserId != a.chk.UserID
	}
}

// submit applies a write's state optimistically (the next message builds on it) and hands
// the write to the batcher; the reply goes out when it commits.
func (a *checkActor) submit(ctx actor.Context, w persistence.Write, p *pendingWrite, sender *actor.PID) {
	w.ExpectVersion = a.chk.Version
	if w.Flip != nil {
		w.Flip.Node = a.d.NodeID()
	}
	a.seq++
	seq := a.seq
	if sender != nil {
		p.waiters = append(p.waiters, sender)
	}
	p.wake, p.status = w.State.NextWakeAt, w.State.Status
	for _, o := range w.Outbox {
		p.dests = append(p.dests, o.DestHash)
	}
	a.pending[seq] = p
	if p.requestID != "" {
		a.recent.add(p.requestID, seq)
	}
	if w.Config != nil {
		a.chk.ConfigVersion++
		w.ConfigVersion = a.chk.ConfigVersion
	}
	a.chk.CheckState = w.State
	a.chk.Version++
	self, root := ctx.Self(), ctx.ActorSystem().Root
	err := a.d.Batcher.Submit(batcher.Item{Write: w, Done: func(o persistence.Outcome) {
		root.Send(self, &writeDone{seq: seq, outcome: o})
	}})
	if err != nil {
		a.onWriteDone(ctx, &writeDone{seq: seq, outcome: persistence.Outcome{Kind: persistence.OutcomeFailed, Err: persistence.Unavailable(err)}})
	}
}

func (a *checkActor) onWriteDone(ctx actor.Context, m *writeDone) {
	p := a.pending[m.seq]
	if p == nil {
		return
	}
	delete(a.pending, m.seq)
	reply := p.reply
	switch m.outcome.Kind {
	case persistence.OutcomeCommitted:
		if p.requestID != "" {
			a.recent.done(p.requestID, reply)
		}
		if !p.deadline.IsZero() {
			a.d.Metrics.observeDeadlineLag(a.d.Now().Sub(p.deadline))
		}
		if p.deleted {
			a.deleted = true
			a.d.Wheel.Remove(a.id)
			a.d.Census.Remove(a.id)
		} else if len(a.pending) == 0 && !a.broken {
			a.d.Wheel.Set(a.id, p.wake)
		}
		if !p.deleted && m.seq > a.countedSeq {
			a.countedSeq = m.seq
			if p.status != a.counted {
				a.counted = p.status
				a.d.Census.Set(a.id, p.status)
			}
		}
		a.poke(p.dests)
	default:
		a.broken = true
		if p.requestID != "" {
			a.recent.forget(p.requestID)
		}
		reply = failureReply(m.outcome)
		if m.outcome.Kind == persistence.OutcomeFailed && !persistence.IsUnavailable(m.outcome.Err) {
			a.d.Log.Error("check write failed", "check_id", a.id, "err", m.outcome.Err)
		}
	}
	for _, w := range p.waiters {
		if reply != nil {
			ctx.Send(w, reply)
		}
	}
	if a.deleted && len(a.pending) == 0 {
		a.d.Passivate(ctx)
		return
	}
	if len(a.pending) == 0 && a.broken && len(a.stash) > 0 {
		stash := a.stash
		a.stash = nil
		for _, s := range stash {
			a.handle(ctx, s.env, s.sender)
		}
	}
}

// poke wakes the notifier of each destination the committed write added rows for, saying
// how many, so it can keep its count of pending rows without asking the store.
func (a *checkActor) poke(dests []string) {
	for i, d := range dests {
		if slices.Contains(dests[:i], d) {
			continue // counted with its first occurrence
		}
		n := 0
		for _, e := range dests[i:] {
			if e == d {
				n++
			}
		}
		a.d.Poker.PokeRows(d, n)
	}
}

func failureReply(o persistence.Outcome) *messages.Reply {
	switch o.Kind {
	case persistence.OutcomeFenced:
		// Another activation wrote first: this one is stale. The router retries; the retry
		// reaches the current owner (or this actor after it reloads).
		return cluster.NotOwner("")
	case persistence.OutcomeConflict:
		return cluster.ReplyOf(o.Err)
	default:
		if persistence.IsUnavailable(o.Err) {
			return unavailable(time.Second)
		}
		return cluster.ReplyOf(errors.New("write failed")) // internal: no detail leaves the node
	}
}

func (a *checkActor) armIdle(ctx actor.Context, d time.Duration) {
	self, root := ctx.Self(), ctx.ActorSystem().Root
	a.idle = time.AfterFunc(d, func() { root.Send(self, idleCheck{}) })
}

func (a *checkActor) onIdleCheck(ctx actor.Context) {
	limit := a.d.TickIdleTimeout
	if a.traffic {
		limit = a.d.IdleTimeout
	}
	quiet := a.d.Now().Sub(a.lastSeen)
	if quiet >= limit && len(a.pending) == 0 && len(a.stash) == 0 {
		a.d.Passivate(ctx)
		return
	}
	a.armIdle(ctx, max(limit-quiet, time.Second))
}

// outbox turns an event's alerts into one outbox row per alert and enabled channel. The
// destination is sealed into the row as configured now, so a later edit of the channel
// does not redirect an alert already due.
func (a *checkActor) outbox(eff checklogic.Effects, now time.Time) []messages.OutboxRow {
	if len(eff.Alerts) == 0 {
		return nil
	}
	var rows []messages.OutboxRow
	for _, al := range eff.Alerts {
		payload := alert.Build(alert.Input{
			CheckID: a.id, CheckUUID: a.chk.UUID, CheckName: a.chk.Name, Kind: al.Kind,
			From: al.From, To: al.To, Reason: al.Reason, LastDuration: eff.State.LastDuration, At: al.At,
			FlapChanges: al.Changes, FlapWindow: al.Window, FlapSuppress: al.Suppress,
		})
		for _, ch := range a.channels {
			if !ch.Enabled || ch.ConfigEnc == nil {
				continue
			}
			key := al.Key(ch.Name)
			row := messages.OutboxRow{
				UserID: a.chk.UserID, CheckID: a.id, Kind: al.Kind, Channel: ch.Name, Payload: payload,
				IdempotencyKey: key, Status: messages.OutboxPending, NextAttemptAt: now, CreatedAt: now,
			}
			row.DestHash, row.DestEnc = a.destination(ch, key)
			rows = append(rows, row)
		}
	}
	return rows
}

func (a *checkActor) destination(ch messages.Channel, key string) (hash string, sealed []byte) {
	plain, err := a.d.Ring.Open(ch.ConfigEnc, keyring.ChannelAD(a.chk.UserID, a.id, string(ch.Name)))
	var cfg messages.ChannelConfig
	if err == nil {
		err = json.Unmarshal(plain, &cfg)
	}
	if err == nil {
		sealed, err = a.d.Ring.Seal(plain, keyring.OutboxAD(key, a.chk.UserID))
	}
	if err != nil {
		// The row is still written, with no destination: its notifier fails it and the
		// channel shows why, instead of the alert vanishing.
		a.d.Log.Warn("channel secret cannot be used", "check_id", a.id, "channel", ch.Name, "err", err)
		return "undecryptable-" + strconv.FormatInt(a.id, 10) + "-" + string(ch.Name), nil
	}
	return alert.DestinationHash(a.d.Ring, ch.Name, cfg), sealed
}

func respond(ctx actor.Context, to *actor.PID, r *messages.Reply) {
	if to != nil && r != nil {
		ctx.Send(to, r)
	}
}

func ok(detail string) *messages.Reply {
	return &messages.Reply{Code: messages.Code_CODE_OK, Detail: detail}
}
func notFound() *messages.Reply {
	return &messages.Reply{Code: messages.Code_CODE_NOT_FOUND, Detail: "not found"}
}
func invalid(d string) *messages.Reply {
	return &messages.Reply{Code: messages.Code_CODE_INVALID, Detail: d}
}
func unavailable(after time.Duration) *messages.Reply {
	return &messages.Reply{Code: messages.Code_CODE_UNAVAILABLE, Detail: "store unavailable", RetryAfterMs: after.Milliseconds()}
}
