package http_test

import (
	"context"
	"encoding/json"
	"testing"
)

// TestPingLogReportsPruning: the ping log answers pruned_before_n = the n of the oldest ping
// kept once older pings were pruned, and null while the log is whole — on a page that holds
// the whole log and on one that does not.
func TestPingLogReportsPruning(t *testing.T) {
	st := openSQLite(t)
	e := newRealEnvOn(t, st, nil)
	u := e.newUser()
	id := e.originalCheck(u)
	path := "/api/v1/checks/" + apiItoa(id) + "/pings"
	type log struct {
		Pings  []map[string]any `json:"pings"`
		Pruned *json.Number     `json:"pruned_before_n"`
	}
	read := func(query string) log {
		t.Helper()
		var l log
		rec := e.do("GET", path+query, u.Key, nil)
		if rec.Code != 200 {
			t.Fatalf("GET %s: %d %s", path+query, rec.Code, rec.Body)
		}
		apiJSON(t, rec, &l)
		return l
	}
	for range 12 {
		if rec := e.ping("/p/"+u.Slug+"/my-job", ""); rec.Code != 200 {
			t.Fatalf("ping: %d", rec.Code)
		}
	}
	for _, q := range []string{"", "?limit=5"} {
		if l := read(q); l.Pruned != nil {
			t.Errorf("GET pings%s of a whole log: pruned_before_n %v, want null", q, *l.Pruned)
		}
	}
	if _, err := st.PrunePings(context.Background(), 5, 0, 100, 100); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "?limit=5", "?limit=2"} {
		l := read(q)
		if l.Pruned == nil || *l.Pruned != "8" {
			t.Errorf("GET pings%s after pruning to the newest 5 of 12: pruned_before_n %v, want 8", q, l.Pruned)
		}
	}
}
