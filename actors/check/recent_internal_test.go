package check

import (
	"strconv"
	"testing"
)

// TestRecentRequestsKeepsTheNewest: reloaded ids are known, the oldest fall out once more
// than recentCap are remembered, and a write still pending is not forgotten by age.
func TestRecentRequestsKeepsTheNewest(t *testing.T) {
	var r recentRequests
	r.reset([]string{"log-2", "", "log-1"}) // newest first, as the store returns them
	for _, id := range []string{"log-1", "log-2"} {
		if e, ok := r.get(id); !ok || !e.done || e.reply.GetCode() != okReplay.GetCode() {
			t.Fatalf("%s after reset: %+v %v", id, e, ok)
		}
	}
	r.add("pending", 7)
	for i := range recentCap + 10 {
		id := "p" + strconv.Itoa(i)
		r.add(id, uint64(100+i))
		r.done(id, ok("reason"))
	}
	if _, ok := r.get("log-1"); ok {
		t.Error("the oldest id is still remembered after recentCap newer ones")
	}
	if e, ok := r.get("pending"); !ok || e.done || e.seq != 7 {
		t.Errorf("a pending write was forgotten: %+v %v", e, ok)
	}
	last := "p" + strconv.Itoa(recentCap+9)
	if e, ok := r.get(last); !ok || !e.done || e.reply.GetDetail() != "reason" {
		t.Errorf("newest id: %+v %v", e, ok)
	}
	if len(r.byID) > recentCap+1 || len(r.order) != recentCap {
		t.Errorf("holds %d ids in a ring of %d, want at most %d", len(r.byID), len(r.order), recentCap+1)
	}
	r.forget(last)
	if _, ok := r.get(last); ok {
		t.Error("forget did not forget")
	}
}
