package cluster

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// workerDispatcher runs actor mailboxes on long-lived goroutines instead of a new goroutine
// per mailbox turn (protoactor's default dispatcher). A check actor gets one or two messages
// per ping and then goes idle, so with the default every message starts a goroutine whose
// stack must grow again through the receive path; profiles showed ~9 % of a node's CPU in
// goroutine creation and stack copying. Here an idle worker takes the turn over an unbuffered
// channel; when none is idle (all busy, or blocked in a store read) the turn gets a goroutine
// of its own as before, so a slow actor never delays another one.
type workerDispatcher struct {
	turns chan func()
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	// throughput is how many messages a mailbox processes per turn (as protoactor's default).
	throughput int
}

var _ actor.Dispatcher = (*workerDispatcher)(nil)

// newWorkerDispatcher starts n workers.
func newWorkerDispatcher(n, throughput int) *workerDispatcher {
	d := &workerDispatcher{turns: make(chan func()), stop: make(chan struct{}), throughput: throughput}
	d.wg.Add(n)
	for range n {
		go d.work()
	}
	return d
}

func (d *workerDispatcher) work() {
	defer d.wg.Done()
	for {
		select {
		case fn := <-d.turns:
			fn()
		case <-d.stop:
			return
		}
	}
}

// Schedule implements actor.Dispatcher.
func (d *workerDispatcher) Schedule(fn func()) {
	select {
	case d.turns <- fn:
	default:
		go fn()
	}
}

// Throughput implements actor.Dispatcher.
func (d *workerDispatcher) Throughput() int { return d.throughput }

// close stops the idle workers and waits for the busy ones to finish their turn. Turns
// scheduled afterwards run on goroutines of their own.
func (d *workerDispatcher) close() {
	d.once.Do(func() { close(d.stop) })
	d.wg.Wait()
}
