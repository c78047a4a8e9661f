package limiter

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
)

// Identity returns the identity of the limiter of allowance name for key.
func Identity(name, key string) string {
	return messages.KindLimiter + "/" + name + "/" + key
}

// Deps are what limiter actors share on a node.
type Deps struct {
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Passivate asks the host to stop an actor (cluster.RequestPassivation); nil = the actor
	// stops itself.
	Passivate func(ctx actor.Context)
	// IdleCheck is how often an actor looks whether its bucket is full, to passivate
	// (default 30 s).
	IdleCheck time.Duration
}

// NewProducer returns the producer of the host of kind messages.KindLimiter.
//
// A limiter answers an Envelope of TypeLimitTake (messages.LimitTake) with
// OKWith(ReplyLimitResult, LimitResult), an invalid allowance with Invalid.
func NewProducer(d Deps) func(identity string) actor.Producer {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.IdleCheck <= 0 {
		d.IdleCheck = 30 * time.Second
	}
	if d.Passivate == nil {
		d.Passivate = func(ctx actor.Context) { ctx.Stop(ctx.Self()) }
	}
	deps := &d
	return func(string) actor.Producer {
		return func() actor.Actor { return &limiterActor{d: deps} }
	}
}

type limiterActor struct {
	d      *Deps
	bucket *ratelimit.Bucket
	idle   *time.Timer
}

type idleCheck struct{}

func (a *limiterActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *messages.Envelope:
		a.take(ctx, m)
	case idleCheck:
		if a.bucket == nil || a.bucket.Full(a.d.Now()) {
			a.d.Passivate(ctx)
			return
		}
		a.armIdle(ctx)
	case *actor.Started:
		a.armIdle(ctx)
	case *actor.Stopping:
		if a.idle != nil {
			a.idle.Stop()
		}
	}
}

func (a *limiterActor) take(ctx actor.Context, env *messages.Envelope) {
	if env.GetType() != messages.TypeLimitTake {
		respond(ctx, cluster.UnknownType(env.GetType()))
		return
	}
	var m messages.LimitTake
	if err := cluster.Unmarshal(env, &m); err != nil {
		respond(ctx, cluster.ReplyOf(err))
		return
	}
	l := ratelimit.Limit{Rate: m.GetRate(), Burst: int(m.GetBurst())}
	if err := l.Validate(); err != nil {
		respond(ctx, cluster.Invalid("limit: "+err.Error()))
		return
	}
	if a.bucket == nil || a.bucket.Limit() != l {
		// First use, or the allowance was reconfigured: start from a full bucket.
		a.bucket = ratelimit.NewBucket(l)
	}
	ok, wait := a.bucket.Take(a.d.Now(), int(m.GetCost()))
	rep, err := cluster.OKWith(messages.ReplyLimitResult, &messages.LimitResult{Allowed: ok, RetryAfterMs: wait.Milliseconds()})
	if err != nil {
		rep = cluster.ReplyOf(err)
	}
	respond(ctx, rep)
}

func (a *limiterActor) armIdle(ctx actor.Context) {
	self, root := ctx.Self(), ctx.ActorSystem().Root
	a.idle = time.AfterFunc(a.d.IdleCheck, func() { root.Send(self, idleCheck{}) })
}

func respond(ctx actor.Context, r *messages.Reply) {
	if ctx.Sender() != nil {
		ctx.Respond(r)
	}
}
