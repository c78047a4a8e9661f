package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/promreg"
)

// Passivate is what a child sends its host to be stopped once it has processed the messages
// already in its mailbox (see RequestPassivation). Local only.
type Passivate struct{}

// Rebalance makes a host passivate every child it no longer owns, each after the messages
// already in its mailbox. Local only; Node.Rebalance sends it to every host of a node.
type Rebalance struct{}

// PassivateAll makes a host passivate every child, each after the messages already in its
// mailbox (draining). Messages that arrive afterwards activate children again. Local only.
type PassivateAll struct{}

// HostStatsRequest asks a host for its HostStats (see QueryHost). Local only.
type HostStatsRequest struct{}

// HostStats describes a host at one moment.
type HostStats struct {
	Kind string
	// Active children (each can take messages now).
	Active int
	// Stopping children: passivated, finishing their mailbox.
	Stopping int
	// Buffered messages for stopping children, delivered to their next activation.
	Buffered int
}

// HostName is the registered name of the host of kind on every node.
func HostName(kind string) string { return kind + "-host" }

// RequestPassivation asks the host of the calling child to passivate it. Call it from the
// child's Receive; the child goes on processing what is already in its mailbox and then stops;
// messages that arrive meanwhile wait in the host for the next activation.
func RequestPassivation(ctx actor.Context) {
	ctx.Request(ctx.Parent(), &Passivate{})
}

// QueryHost returns the stats of the host of kind on node.
func QueryHost(ctx context.Context, node *Node, kind string) (HostStats, error) {
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return HostStats{}, context.DeadlineExceeded
	}
	system, err := node.beginSend()
	if err != nil {
		return HostStats{}, err
	}
	box := newReplyBox(system)
	defer box.close()
	system.Root.RequestWithCustomSender(system.NewLocalPID(HostName(kind)), &HostStatsRequest{}, box.pid)
	node.endSend()
	res, err := box.wait(ctx, timeout)
	if err != nil {
		return HostStats{}, fmt.Errorf("query %s: %w", HostName(kind), err)
	}
	s, ok := res.(HostStats)
	if !ok {
		return HostStats{}, fmt.Errorf("query %s: unexpected answer %T", HostName(kind), res)
	}
	return s, nil
}

// HostOptions are the optional parts of a host.
type HostOptions struct {
	// OnActivate is called in the host, after a child was spawned for identity. It must not
	// block.
	OnActivate func(identity string)
	// OnDeactivate is called in the host when the child of identity has stopped (passivated,
	// stopped itself, or given up after crashes). It must not block.
	OnDeactivate func(identity string)
	// Supervisor handles a child that panics. Default: restart it in place (a fresh actor
	// from produce, Started again, its mailbox kept) up to 3 times within 10 s, then stop it;
	// a stopped child is removed and the next message activates a new one.
	Supervisor actor.SupervisorStrategy
	// Registerer receives the host's metrics (labelled with the kind). nil = no metrics.
	Registerer prometheus.Registerer
	// Logger defaults to the node's.
	Logger *slog.Logger
}

// SpawnHost starts the host of kind on node: the actor named HostName(kind) that owns the
// virtual actors of that kind on this node.
//
// It receives *messages.Envelope. An identity that is not of this kind is answered Invalid;
// one the membership does not place on this node is answered NotOwner with the owner's ID as
// hint, and nothing is activated. Otherwise the child named identity is activated on demand
// (produce(identity) makes it) and the envelope is forwarded with its sender, so the child
// answers the requester directly (ctx.Respond, or later actor.RootContext.Send(sender, reply)).
// Any other message is answered Invalid.
//
// A child is passivated when it asks (RequestPassivation) or no longer owned (Rebalance):
// protoactor's Poison stops it after the messages it already holds, and messages arriving
// meanwhile are buffered and go, in order, to a fresh activation once the old one has
// terminated. A child that stops by itself (or after crashes) is removed; protoactor drops
// the messages left in its mailbox, whose requesters then time out and retry.
func SpawnHost(node *Node, kind string, membership Membership, produce func(identity string) actor.Producer, opts HostOptions) (*actor.PID, error) {
	if kind == "" || strings.Contains(kind, "/") {
		return nil, fmt.Errorf("spawn host: invalid kind %q", kind)
	}
	if membership == nil || produce == nil {
		return nil, errors.New("spawn host: membership and produce are required")
	}
	system, err := node.running()
	if err != nil {
		return nil, fmt.Errorf("spawn host %s: %w", kind, err)
	}
	if opts.Logger == nil {
		opts.Logger = node.logger
	}
	sup := opts.Supervisor
	if sup == nil {
		sup = actor.NewOneForOneStrategy(3, 10*time.Second, actor.DefaultDecider)
	}
	m, err := newHostMetrics(opts.Registerer, kind)
	if err != nil {
		return nil, fmt.Errorf("spawn host %s: %w", kind, err)
	}
	logger := opts.Logger.With(slog.String("kind", kind))
	props := actor.PropsFromProducer(func() actor.Actor {
		return &host{
			kind:       kind,
			membership: membership,
			produce:    produce,
			dispatcher: node.dispatcher,
			opts:       opts,
			m:          m,
			log:        logger,
			active:     make(map[string]*actor.PID),
			stopping:   make(map[string][]parked),
		}
	}, actor.WithSupervisor(sup), actor.WithDispatcher(node.dispatcher))
	pid, err := system.Root.SpawnNamed(props, HostName(kind))
	if err != nil {
		m.unregister()
		return nil, fmt.Errorf("spawn host %s: %w", kind, err)
	}
	if err := node.addHost(kind, pid); err != nil {
		system.Root.Stop(pid)
		m.unregister()
		return nil, fmt.Errorf("spawn host %s: %w", kind, err)
	}
	return pid, nil
}

// parked is a message for a stopping child, with what forwarding it later needs.
type parked struct {
	env    *messages.Envelope
	sender *actor.PID
	header map[string]string
}

type host struct {
	kind       string
	prefix     string // the host's PID id + "/": a child's PID id is prefix + identity
	membership Membership
	produce    func(identity string) actor.Producer
	dispatcher actor.Dispatcher
	opts       HostOptions
	m          *hostMetrics
	log        *slog.Logger

	active   map[string]*actor.PID
	stopping map[string][]parked // present while the identity's last child is stopping
	buffered int
	closing  bool // the host itself is stopping: it activates nothing more
}

func (h *host) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *messages.Envelope:
		h.route(ctx, msg)
	case *actor.Terminated:
		h.terminated(ctx, msg.GetWho())
	case *Passivate:
		h.passivateSender(ctx)
	case *Rebalance:
		h.rebalance(ctx, false)
	case *PassivateAll:
		h.rebalance(ctx, true)
	case *HostStatsRequest:
		ctx.Respond(HostStats{Kind: h.kind, Active: len(h.active), Stopping: len(h.stopping), Buffered: h.buffered})
	case *actor.Started:
		h.prefix = ctx.Self().GetId() + "/"
		h.m.reset() // a restarted host starts empty: its children were stopped first
	case *actor.Stopping:
		h.closing = true
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		h.log.Debug("host: unexpected message", slog.String("type", fmt.Sprintf("%T", msg)))
		respond(ctx, Invalid("unexpected message type"))
	}
}

func respond(ctx actor.Context, r *messages.Reply) {
	if ctx.Sender() != nil { // a Send (no reply wanted) must not become a dead letter
		ctx.Respond(r)
	}
}

// route is the hot path: it stays small (protoactor runs each mailbox turn on a fresh
// goroutine, so a large frame costs a stack copy per message) and leaves the rare cases to
// functions of their own.
func (h *host) route(ctx actor.Context, env *messages.Envelope) {
	id := env.GetIdentity()
	if h.closing {
		deadLetter(ctx, ctx.Sender())
		return
	}
	if !h.isKind(id) {
		h.refuseKind(ctx, id)
		return
	}
	if !h.ownsID(id) {
		h.refuseOwner(ctx, id)
		return
	}
	if _, stopping := h.stopping[id]; stopping {
		h.park(ctx, id, env)
		return
	}
	pid := h.active[id]
	if pid == nil {
		if pid = h.activate(ctx, id); pid == nil {
			respond(ctx, Unavailable(100*time.Millisecond))
			return
		}
	}
	ctx.Forward(pid)
}

// isKind reports whether id is "<kind>/<key>" with a non-empty key.
func (h *host) isKind(id string) bool {
	k := len(h.kind)
	return len(id) > k+1 && id[k] == '/' && id[:k] == h.kind
}

func (h *host) ownsID(id string) bool {
	owner, ok := h.membership.Owner(id)
	return ok && owner.ID == h.membership.Self().ID
}

//go:noinline
func (h *host) refuseKind(ctx actor.Context, id string) {
	respond(ctx, Invalid(fmt.Sprintf("identity %q is not of kind %q", id, h.kind)))
}

//go:noinline
func (h *host) refuseOwner(ctx actor.Context, id string) {
	owner, _ := h.membership.Owner(id)
	h.m.notOwner()
	respond(ctx, NotOwner(owner.ID))
}

//go:noinline
func (h *host) park(ctx actor.Context, id string, env *messages.Envelope) {
	h.stopping[id] = append(h.stopping[id], parked{env: env, sender: ctx.Sender(), header: headerMap(ctx)})
	h.buffered++
	h.m.park(h.buffered)
}

// deadLetter tells sender that its message found no actor, as protoactor does for a PID
// that does not exist: the router retries it (elsewhere, once the membership has moved on).
func deadLetter(ctx actor.Context, sender *actor.PID) {
	if sender != nil {
		ctx.Send(sender, &actor.DeadLetterResponse{Target: ctx.Self()})
	}
}

func headerMap(ctx actor.Context) map[string]string {
	if hd := ctx.MessageHeader(); hd != nil && hd.Length() > 0 {
		return hd.ToMap()
	}
	return nil
}

// activate spawns the child of id; nil when that failed (logged).
//
//go:noinline
func (h *host) activate(ctx actor.Context, id string) (pid *actor.PID) {
	var err error
	defer func() {
		if p := recover(); p != nil { // produce panicked: keep the host and its other children
			pid, err = nil, fmt.Errorf("produce: panic: %v", p)
		}
		if err != nil {
			h.log.Error("host: activation failed", slog.String("identity", id), slog.Any("err", err))
		}
	}()
	pid, err = ctx.SpawnNamed(actor.PropsFromProducer(h.produce(id), actor.WithDispatcher(h.dispatcher)), id)
	if err != nil {
		return nil
	}
	h.active[id] = pid
	h.m.activated(len(h.active))
	h.hook(h.opts.OnActivate, id)
	return pid
}

// hook calls a HostOptions hook; a panicking hook is logged rather than allowed to restart
// the host (which would stop every child).
func (h *host) hook(f func(identity string), id string) {
	if f == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("host: hook panicked", slog.String("identity", id), slog.Any("panic", p))
		}
	}()
	f(id)
}

func (h *host) identityOf(pid *actor.PID) (string, bool) {
	return strings.CutPrefix(pid.GetId(), h.prefix)
}

func (h *host) passivateSender(ctx actor.Context) {
	sender := ctx.Sender()
	if sender == nil {
		h.log.Debug("host: passivation request without sender (use RequestPassivation)")
		return
	}
	id, ok := h.identityOf(sender)
	if !ok {
		return
	}
	// Only the active child may ask; a repeat from one already stopping is ignored.
	if pid := h.active[id]; pid != nil && pid.GetId() == sender.GetId() {
		h.passivate(ctx, id, pid)
	}
}

func (h *host) passivate(ctx actor.Context, id string, pid *actor.PID) {
	delete(h.active, id)
	h.stopping[id] = nil
	h.m.setActive(len(h.active))
	ctx.Poison(pid) // a user message: processed after everything already in the mailbox
}

func (h *host) rebalance(ctx actor.Context, all bool) {
	n := 0
	for id, pid := range h.active { // deleting the current key while ranging is allowed
		if all || !h.ownsID(id) {
			h.passivate(ctx, id, pid)
			n++
		}
	}
	if n > 0 {
		h.log.Info("host: passivating children", slog.Int("count", n), slog.Bool("all", all))
	}
}

func (h *host) terminated(ctx actor.Context, who *actor.PID) {
	id, ok := h.identityOf(who)
	if !ok {
		return
	}
	if pid := h.active[id]; pid != nil && pid.GetId() == who.GetId() {
		// Stopped by itself or by its supervisor rather than passivated.
		delete(h.active, id)
		h.m.setActive(len(h.active))
		h.deactivated(id)
		return
	}
	buf, ok := h.stopping[id]
	if !ok {
		return
	}
	delete(h.stopping, id)
	h.buffered -= len(buf)
	h.m.setBuffered(h.buffered)
	h.deactivated(id)
	if len(buf) == 0 {
		return
	}
	if h.closing {
		for _, p := range buf {
			deadLetter(ctx, p.sender)
		}
		return
	}
	// The ownership check passed when these arrived; the topology may have changed since.
	owner, _ := h.membership.Owner(id)
	owned := h.ownsID(id)
	var pid *actor.PID
	if owned {
		pid = h.activate(ctx, id)
	}
	for _, p := range buf {
		switch {
		case pid != nil:
			ctx.Send(pid, &actor.MessageEnvelope{Header: p.header, Message: p.env, Sender: p.sender})
		case p.sender == nil:
		case !owned:
			ctx.Send(p.sender, NotOwner(owner.ID))
		default:
			ctx.Send(p.sender, Unavailable(100*time.Millisecond))
		}
	}
}

func (h *host) deactivated(id string) {
	h.m.deactivated()
	h.hook(h.opts.OnDeactivate, id)
}

// hostMetrics is nil-safe: a host without a registerer has none.
type hostMetrics struct {
	reg           prometheus.Registerer
	collectors    []prometheus.Collector
	active        atomic.Int64
	buffered      atomic.Int64
	activations   prometheus.Counter
	deactivations prometheus.Counter
	notOwners     prometheus.Counter
	parked        prometheus.Counter
}

func newHostMetrics(reg prometheus.Registerer, kind string) (*hostMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &hostMetrics{reg: reg}
	labels := prometheus.Labels{"kind": kind}
	m.activations = prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_host_activations_total",
		Help: "Virtual actors activated by the host.", ConstLabels: labels})
	m.deactivations = prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_host_deactivations_total",
		Help: "Virtual actors of the host that stopped (passivated, stopped, crashed).", ConstLabels: labels})
	m.notOwners = prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_host_not_owner_total",
		Help: "Envelopes the host refused because another member owns their identity.", ConstLabels: labels})
	m.parked = prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_host_parked_messages_total",
		Help: "Messages the host held for an actor that was stopping, then delivered to its next activation.", ConstLabels: labels})
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ttr_host_active_actors",
		Help: "Virtual actors currently active in the host.", ConstLabels: labels},
		func() float64 { return float64(m.active.Load()) })
	buffered := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ttr_host_buffered_messages",
		Help: "Messages the host holds for actors that are stopping.", ConstLabels: labels},
		func() float64 { return float64(m.buffered.Load()) })
	cs := []prometheus.Collector{m.activations, m.deactivations, m.notOwners, m.parked, active, buffered}
	if err := promreg.Register(reg, cs...); err != nil {
		return nil, fmt.Errorf("host metrics: %w", err)
	}
	m.collectors = cs
	return m, nil
}

func (m *hostMetrics) unregister() {
	if m == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

func (m *hostMetrics) reset() {
	if m != nil {
		m.active.Store(0)
		m.buffered.Store(0)
	}
}

func (m *hostMetrics) activated(active int) {
	if m != nil {
		m.activations.Inc()
		m.active.Store(int64(active))
	}
}

func (m *hostMetrics) deactivated() {
	if m != nil {
		m.deactivations.Inc()
	}
}

func (m *hostMetrics) notOwner() {
	if m != nil {
		m.notOwners.Inc()
	}
}

func (m *hostMetrics) setActive(n int) {
	if m != nil {
		m.active.Store(int64(n))
	}
}

func (m *hostMetrics) park(buffered int) {
	if m != nil {
		m.parked.Inc()
		m.buffered.Store(int64(buffered))
	}
}

func (m *hostMetrics) setBuffered(n int) {
	if m != nil {
		m.buffered.Store(int64(n))
	}
}
