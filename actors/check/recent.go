package check

import (
	"encoding/json"

	"github.com/ttr-rip/ttr/messages"
)

// recentRequests remembers the request ids of a check's latest pings, so a retried request
// is answered with its first result instead of being counted again. It is reloaded from the
// ping log on activation, so repeats are caught across passivation and restarts too.
type recentRequests struct {
	byID  map[string]*recentEntry
	order []string // FIFO of ids, bounded
}

type recentEntry struct {
	seq   uint64 // the pending write while not done
	done  bool
	reply *messages.Reply
}

const recentCap = 128

func (r *recentRequests) reset(ids []string) {
	r.byID = make(map[string]*recentEntry, len(ids))
	r.order = r.order[:0]
	for i := len(ids) - 1; i >= 0; i-- { // oldest first
		if ids[i] != "" {
			r.push(ids[i], &recentEntry{done: true, reply: ok("")})
		}
	}
}

func (r *recentRequests) get(id string) (*recentEntry, bool) {
	e, ok := r.byID[id]
	return e, ok
}

func (r *recentRequests) add(id string, seq uint64) { r.push(id, &recentEntry{seq: seq}) }

func (r *recentRequests) done(id string, reply *messages.Reply) {
	if e, ok := r.byID[id]; ok {
		e.done, e.reply = true, reply
	}
}

func (r *recentRequests) forget(id string) { delete(r.byID, id) }

func (r *recentRequests) push(id string, e *recentEntry) {
	if r.byID == nil {
		r.byID = map[string]*recentEntry{}
	}
	if len(r.order) >= recentCap {
		old := r.order[0]
		r.order = r.order[1:]
		if cur, ok := r.byID[old]; ok && cur.done {
			delete(r.byID, old)
		}
	}
	r.order = append(r.order, id)
	r.byID[id] = e
}

func decodeConfig(b []byte) (messages.CheckConfig, error) {
	var cfg messages.CheckConfig
	if len(b) == 0 {
		return cfg, errEmptyConfig
	}
	err := jsonUnmarshal(b, &cfg)
	return cfg, err
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
