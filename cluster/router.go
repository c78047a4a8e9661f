package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/backoff"
	"github.com/ttr-rip/ttr/messages/promreg"
)

// RouterOptions tune a Router. Zero values take the documented defaults.
type RouterOptions struct {
	// AttemptTimeout bounds the wait for one reply; an attempt that times out is retried
	// with the same request id. Default 2 s (and never beyond the caller's deadline).
	AttemptTimeout time.Duration
	// DefaultTimeout bounds a Request whose context has no deadline. Default 10 s.
	DefaultTimeout time.Duration
	// MinBackoff and MaxBackoff bound the jittered, doubling pause between attempts.
	// Defaults 5 ms and 200 ms.
	MinBackoff, MaxBackoff time.Duration
	// Registerer receives the router's metrics. nil = no metrics.
	Registerer prometheus.Registerer
	// Logger defaults to the node's.
	Logger *slog.Logger
}

// Router is the one way any code sends to an identity: it wraps the message in an Envelope,
// finds the owner in the membership, sends to the owner's host (locally, or over remote) and
// retries until the caller's deadline when the owner is unknown, unreachable, slow, or
// refuses (NotOwner: the membership was out of date). It is safe for concurrent use.
type Router struct {
	node       *Node
	membership Membership
	opts       RouterOptions
	log        *slog.Logger
	m          *routerMetrics

	idPrefix string
	idSeq    atomic.Uint64
	pids     sync.Map // pidKey → *actor.PID: a PID caches its process, so reuse them
}

type pidKey struct{ addr, kind string }

// NewRouter returns a router that sends from node along membership.
func NewRouter(node *Node, membership Membership, opts RouterOptions) *Router {
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = 2 * time.Second
	}
	if opts.DefaultTimeout <= 0 {
		opts.DefaultTimeout = 10 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 5 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(200*time.Millisecond, opts.MinBackoff)
	}
	if opts.Logger == nil {
		opts.Logger = node.logger
	}
	r := &Router{
		node:       node,
		membership: membership,
		opts:       opts,
		log:        opts.Logger,
		idPrefix:   NewNodeID() + "-",
	}
	m, err := newRouterMetrics(opts.Registerer)
	if err != nil {
		r.log.Error("router: metrics disabled", slog.Any("err", err))
	}
	r.m = m
	return r
}

type requestIDKey struct{}

// WithRequestID returns a context that makes Request use id when its requestID argument is
// empty: an edge that takes request ids from its clients sets it once.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id set by WithRequestID, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewRequestID returns a request id unique in the cluster (a random router prefix and a
// sequence number).
func (r *Router) NewRequestID() string {
	return r.idPrefix + strconv.FormatUint(r.idSeq.Add(1), 36)
}

// errNoOwner is the last cause recorded when the membership has no active member.
var errNoOwner = errors.New("no active member")

// Request sends body (inner type typ, schema version) to identity and waits for the final
// reply: OK, NotFound, Invalid, Conflict, Stale, Unavailable or Internal are returned as they
// are. NotOwner, a reply that does not come within the attempt timeout, and an unreachable or
// missing host are retried, with the same request id, until ctx's deadline (DefaultTimeout
// when it has none); then the error wraps context.DeadlineExceeded (or context.Canceled) and
// names the last cause. requestID "" takes the id from ctx (WithRequestID) or a new one.
//
// An error is also returned, at once, for an identity without a kind (EInvalid) and a body
// that does not marshal.
func (r *Router) Request(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error) {
	start := time.Now()
	kind, err := KindOf(identity)
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("route %s to %s: marshal: %w", typ, identity, err)
	}
	if requestID == "" {
		if requestID = RequestIDFrom(ctx); requestID == "" {
			requestID = r.NewRequestID()
		}
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = start.Add(r.opts.DefaultTimeout)
	}
	env := &messages.Envelope{
		Type:           typ,
		Version:        version,
		Body:           payload,
		Identity:       identity,
		RequestId:      requestID,
		DeadlineUnixMs: deadline.UnixMilli(),
	}

	system, err := r.node.running()
	if err != nil {
		r.m.done(kind, "error", start)
		return nil, fmt.Errorf("route %s to %s: %w", typ, identity, err)
	}
	box := newReplyBox(system)
	defer box.close()
	var last error
	var reason string // why the previous attempt is being retried
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, r.giveUp(kind, start, env, attempt-1, last, err)
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, r.giveUp(kind, start, env, attempt-1, last, context.DeadlineExceeded)
		}
		if attempt > 1 {
			r.m.retry(kind, reason)
		}
		owner, ok := r.membership.Owner(identity)
		if !ok {
			last, reason = errNoOwner, "no_owner"
		} else {
			timeout := min(remaining, r.opts.AttemptTimeout)
			res, err := r.attempt(ctx, box, r.hostPID(owner, kind), env, timeout)
			switch {
			case ctx.Err() != nil:
				return nil, r.giveUp(kind, start, env, attempt, last, ctx.Err())
			case errors.Is(err, actor.ErrTimeout):
				last, reason = fmt.Errorf("no reply from %s within %v", owner.ID, timeout), "timeout"
			case errors.Is(err, errStopped):
				r.m.done(kind, "error", start)
				return nil, fmt.Errorf("route %s to %s: %w", typ, identity, err)
			case errors.Is(err, actor.ErrDeadLetter):
				last, reason = fmt.Errorf("%s unreachable or its host missing", owner.ID), "dead_letter"
			case err != nil: // none today
				last, reason = err, "error"
			default:
				reply, ok := res.(*messages.Reply)
				if !ok {
					r.m.done(kind, "error", start)
					return nil, fmt.Errorf("route %s to %s: unexpected answer %T", typ, identity, res)
				}
				if reply.GetCode() != messages.Code_CODE_NOT_OWNER {
					r.m.done(kind, outcome(reply.GetCode()), start)
					return reply, nil
				}
				last, reason = fmt.Errorf("%s is not the owner (hint %q)", owner.ID, reply.GetHint()), "not_owner"
			}
		}
		r.log.Debug("router: retrying", slog.String("identity", identity), slog.String("request_id", requestID),
			slog.Int("attempt", attempt), slog.String("reason", reason), slog.Any("err", last))

		wait := backoff.Exp(r.opts.MinBackoff, r.opts.MaxBackoff, attempt-1)
		pause := wait/2 + rand.N(wait/2+1) // jitter keeps retries of many callers apart
		t := time.NewTimer(min(pause, max(time.Until(deadline), 0)))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// attempt sends env once from box and waits for an answer, the timeout, or ctx.
func (r *Router) attempt(ctx context.Context, box *replyBox, pid *actor.PID, env *messages.Envelope, timeout time.Duration) (any, error) {
	system, err := r.node.beginSend()
	if err != nil {
		return nil, err
	}
	system.Root.RequestWithCustomSender(pid, env, box.pid)
	r.node.endSend()
	return box.wait(ctx, timeout)
}

func (r *Router) giveUp(kind string, start time.Time, env *messages.Envelope, attempts int, last, err error) error {
	o := "deadline"
	if errors.Is(err, context.Canceled) {
		o = "canceled"
	}
	r.m.done(kind, o, start)
	if last == nil {
		return fmt.Errorf("route %s to %s (request %s): %w", env.GetType(), env.GetIdentity(), env.GetRequestId(), err)
	}
	return fmt.Errorf("route %s to %s (request %s): no final reply after %d attempts, last: %v: %w",
		env.GetType(), env.GetIdentity(), env.GetRequestId(), attempts, last, err)
}

// Send delivers body to identity once, without waiting for a reply (Tick, Poke): a message
// that finds no owner, or an owner that refuses it, is lost, and the caller's own repair
// (the sweeper, the outbox dispatcher) covers it. The error reports only an identity without
// a kind, a body that does not marshal, or an empty membership.
func (r *Router) Send(identity, typ string, version uint32, body proto.Message) error {
	kind, err := KindOf(identity)
	if err != nil {
		return err
	}
	payload, err := proto.Marshal(body)
	if err != nil {
		return fmt.Errorf("send %s to %s: marshal: %w", typ, identity, err)
	}
	owner, ok := r.membership.Owner(identity)
	if !ok {
		r.m.sent(kind, "no_owner")
		return fmt.Errorf("send %s to %s: %w", typ, identity, errNoOwner)
	}
	system, err := r.node.beginSend()
	if err != nil {
		return fmt.Errorf("send %s to %s: %w", typ, identity, err)
	}
	system.Root.Send(r.hostPID(owner, kind), &messages.Envelope{
		Type:      typ,
		Version:   version,
		Body:      payload,
		Identity:  identity,
		RequestId: r.NewRequestID(),
	})
	r.node.endSend()
	r.m.sent(kind, "sent")
	return nil
}

func (r *Router) hostPID(owner Member, kind string) *actor.PID {
	addr := owner.RemoteAddr
	if owner.ID == r.membership.Self().ID {
		addr = r.node.Address() // local delivery, whatever the member record says
	}
	k := pidKey{addr, kind}
	if pid, ok := r.pids.Load(k); ok {
		return pid.(*actor.PID)
	}
	pid, _ := r.pids.LoadOrStore(k, actor.NewPID(addr, HostName(kind)))
	return pid.(*actor.PID)
}

// outcome is a reply code as a metric label: CODE_NOT_FOUND → "not_found".
func outcome(c messages.Code) string {
	return strings.ToLower(strings.TrimPrefix(c.String(), "CODE_"))
}

// routerMetrics is nil-safe: a router without a registerer has none.
type routerMetrics struct {
	requests *prometheus.CounterVec
	retries  *prometheus.CounterVec
	sends    *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newRouterMetrics(reg prometheus.Registerer) (*routerMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &routerMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ttr_router_requests_total",
			Help: "Requests routed to identities, by kind and outcome (a reply code, deadline, canceled, error)."},
			[]string{"kind", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ttr_router_retries_total",
			Help: "Request attempts retried, by kind and reason (not_owner, timeout, dead_letter, no_owner)."},
			[]string{"kind", "reason"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ttr_router_sends_total",
			Help: "Fire-and-forget messages, by kind and outcome (sent, no_owner)."},
			[]string{"kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ttr_router_request_duration_seconds",
			Help:    "Time from Request to its final reply or error, retries included.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"kind"}),
	}
	// Routers sharing a registry (several in one process) share the collectors.
	var err error
	m.requests, err = promreg.Reuse(reg, m.requests)
	if err != nil {
		return nil, err
	}
	if m.retries, err = promreg.Reuse(reg, m.retries); err != nil {
		return nil, err
	}
	if m.sends, err = promreg.Reuse(reg, m.sends); err != nil {
		return nil, err
	}
	if m.latency, err = promreg.Reuse(reg, m.latency); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *routerMetrics) done(kind, outcome string, start time.Time) {
	if m != nil {
		m.requests.WithLabelValues(kind, outcome).Inc()
		m.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	}
}

func (m *routerMetrics) retry(kind, reason string) {
	if m != nil {
		m.retries.WithLabelValues(kind, reason).Inc()
	}
}

func (m *routerMetrics) sent(kind, outcome string) {
	if m != nil {
		m.sends.WithLabelValues(kind, outcome).Inc()
	}
}
