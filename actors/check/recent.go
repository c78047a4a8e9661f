package check

import (
	"github.com/ttr-rip/ttr/messages"
)

// recentRequests remembers the request ids of a check's latest pings, so a retried request
// is answered with its first result instead of being counted again. It is reloaded from the
// ping log on activation, so repeats are caught across passivation and restarts too.
//
// Every active check holds one, so it is kept small: entries live in the map by value and
// the ids reloaded from the log share one reply (a check with a full log would otherwise
// hold a few hundred small allocations, kilobytes each, across thousands of checks).
type recentRequests struct {
	byID  map[string]recentEntry
	order []string // ids, oldest first from head, at most capacity() (a ring once full)
	head  int
	size  int // the ring's capacity; 0 = recentCap
}

type recentEntry struct {
	seq   uint64 // the pending write while not done
	done  bool
	reply *messages.Reply // shared and never modified: replies are only sent
}

// recentCap is the least number of ids an activation remembers.
const recentCap = 128

func (r *recentRequests) capacity() int {
	if r.size > 0 {
		return r.size
	}
	return recentCap
}

// okReplay is the answer to a repeat of a ping found in the log: the ping was taken.
var okReplay = &messages.Reply{Code: messages.Code_CODE_OK}

func (r *recentRequests) reset(ids []string) {
	r.byID = make(map[string]recentEntry, len(ids))
	r.order, r.head = r.order[:0], 0
	for i := len(ids) - 1; i >= 0; i-- { // oldest first
		if ids[i] != "" {
			r.push(ids[i], recentEntry{done: true, reply: okReplay})
		}
	}
}

func (r *recentRequests) get(id string) (recentEntry, bool) {
	e, ok := r.byID[id]
	return e, ok
}

func (r *recentRequests) add(id string, seq uint64) { r.push(id, recentEntry{seq: seq}) }

func (r *recentRequests) done(id string, reply *messages.Reply) {
	if e, ok := r.byID[id]; ok {
		e.done, e.reply = true, reply
		r.byID[id] = e
	}
}

func (r *recentRequests) forget(id string) { delete(r.byID, id) }

func (r *recentRequests) push(id string, e recentEntry) {
	if r.byID == nil {
		r.byID = map[string]recentEntry{}
	}
	if len(r.order) < r.capacity() {
		r.order = append(r.order, id)
	} else {
		old := r.order[r.head]
		if cur, ok := r.byID[old]; ok && cur.done {
			delete(r.byID, old)
		}
		r.order[r.head] = id
		r.head = (r.head + 1) % r.capacity()
	}
	r.byID[id] = e
}
