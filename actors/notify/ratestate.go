package notify

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
)

// maxRateWaiters bounds the rate queries parked while the rate state loads (the router
// repeats a query that gets no answer, so a slow store would otherwise grow the list).
const maxRateWaiters = 64

// loadRate reads the destination's persisted rate state in a goroutine: a back-off begun
// before a restart or on another node goes on here.
func (n *notifier) loadRate() {
	n.busy = true
	self, root, w := n.self, n.root, n.w
	w.goWork(func() {
		st, found, err := w.loadRate()
		root.Send(self, &rateLoadedMsg{n: n, st: st, found: found, err: err})
	})
}

func (n *notifier) rateLoaded(c actor.Context, m *rateLoadedMsg) {
	n.busy = false
	if m.err != nil {
		for _, p := range n.rateWaiters {
			c.Send(p, cluster.Unavailable(n.w.deps.Config.StoreRetry))
		}
		n.rateWaiters = nil
		n.storeTrouble(fmt.Errorf("load rate state: %w", m.err))
		return
	}
	st := m.st
	if !m.found {
		st = messages.RateState{}
	}
	now := n.w.deps.Now()
	n.policy.Restore(now, st)
	_, n.savedVer = n.policy.State()
	n.rateReady = true
	if len(n.rateWaiters) > 0 {
		reply := n.rateReply(now)
		for _, p := range n.rateWaiters {
			c.Send(p, reply)
		}
		n.rateWaiters = nil
	}
	n.step(c)
}

// rateQuery answers a TypeRate envelope with the policy's snapshot, once the persisted
// state is loaded.
func (n *notifier) rateQuery(c actor.Context) {
	sender := c.Sender()
	if sender == nil {
		return
	}
	if !n.rateReady {
		if len(n.rateWaiters) < maxRateWaiters {
			n.rateWaiters = append(n.rateWaiters, sender)
		}
		n.step(c) // starts the load unless it is running
		return
	}
	c.Respond(n.rateReply(n.w.deps.Now()))
}

func (n *notifier) rateReply(now time.Time) *messages.Reply {
	reply, err := cluster.OKWith(messages.ReplyRateSnapshot, n.policy.Snapshot(now))
	if err != nil {
		return cluster.ReplyOf(err)
	}
	return reply
}

// saveRate writes the policy's state when its version moved since the last save. One save
// runs at a time; a change made meanwhile is saved when it ends. A failed save is repeated
// after the next send.
func (n *notifier) saveRate() {
	if n.saving {
		return // rateSaved looks again
	}
	st, ver := n.policy.State()
	if ver == n.savedVer {
		return
	}
	n.saving = true
	self, root, w := n.self, n.root, n.w
	w.goWork(func() {
		err := w.saveRate(st)
		root.Send(self, &rateSavedMsg{n: n, ver: ver, err: err})
	})
}

func (n *notifier) rateSaved(c actor.Context, m *rateSavedMsg) {
	n.saving = false
	if m.err != nil {
		if msg := m.err.Error(); msg != n.lastSaveErr {
			n.lastSaveErr = msg
			n.log.Warn("save rate state", "err", m.err)
		}
	} else {
		n.lastSaveErr = ""
		n.savedVer = m.ver
		n.saveRate() // a change made while this save ran
	}
	if n.isIdleButTimer() {
		n.armIdle() // the save was all that kept an idle notifier from passivating
	}
}

// isIdleButTimer is isIdle for a notifier whose idle timer has not been armed yet.
func (n *notifier) isIdleButTimer() bool { return n.idle == nil && n.isIdle() }
