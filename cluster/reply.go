package cluster

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// replyBox is the sender PID of a request: a process in the node's registry whose answers
// land in a channel.
//
// protoactor's Future is not used: it stores a result without synchronisation and PIDs cache
// the process they resolved to, so a reply that arrives after its attempt timed out (the
// retry case: a slow commit) writes into a future its requester is reading, a data race. A
// box also gives a wait that ends with its context, and one box serves every attempt of a
// Request, so a late answer to an earlier attempt (same request id) is as good as the
// current one.
type replyBox struct {
	system *actor.ActorSystem
	pid    *actor.PID
	ch     chan any
}

func newReplyBox(system *actor.ActorSystem) *replyBox {
	b := &replyBox{system: system, ch: make(chan any, 4)}
	b.pid, _ = system.ProcessRegistry.Add(b, "reply"+system.ProcessRegistry.NextId())
	return b
}

// SendUserMessage implements actor.Process: the first few answers are kept, later ones (to
// earlier attempts) dropped.
func (b *replyBox) SendUserMessage(_ *actor.PID, message any) {
	select {
	case b.ch <- actor.UnwrapEnvelopeMessage(message):
	default:
	}
}

// SendSystemMessage implements actor.Process.
func (b *replyBox) SendSystemMessage(*actor.PID, any) {}

// Stop implements actor.Process.
func (b *replyBox) Stop(*actor.PID) {}

// close unregisters the box: later answers become dead letters.
func (b *replyBox) close() { b.system.ProcessRegistry.Remove(b.pid) }

// wait returns the next answer, actor.ErrDeadLetter when the target was unreachable,
// actor.ErrTimeout after timeout, or ctx's error.
func (b *replyBox) wait(ctx context.Context, timeout time.Duration) (any, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m := <-b.ch:
		if _, ok := m.(*actor.DeadLetterResponse); ok {
			return nil, actor.ErrDeadLetter
		}
		return m, nil
	case <-t.C:
		return nil, actor.ErrTimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
