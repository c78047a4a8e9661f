package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOpenLoopChargesStalls checks the open loop measures from due times: a server that stalls
// once for 200 ms delays every request due meanwhile, and they must all show it (a generator
// measuring from the send would see one slow request). A small exchange, not a load test.
func TestOpenLoopChargesStalls(t *testing.T) {
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { time.Sleep(200 * time.Millisecond) })
		_, _ = w.Write([]byte("OK"))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	target := Target{Nodes: []TargetNode{{Addr: addr, Reqs: [][]byte{formatRequest(addr, "/p/u/c1"), formatRequest(addr, "/ping/x")}}}}

	r, err := runOpen(context.Background(), target, 1, 500*time.Millisecond, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK != 100 || r.ErrorCount() != 0 {
		t.Fatalf("ok %d, errors %v; want all 100 requests answered", r.OK, r.Errors)
	}
	// About 40 requests fall due during the stall, waiting from 200 ms down to 0: a quarter
	// of all must show 40 ms or more.
	if p := r.Latency.Percentile(75); p < 40*time.Millisecond {
		t.Errorf("p75 = %v: the requests queued behind the stall must be charged for it", p)
	}
	if m := r.Latency.Max(); m < 190*time.Millisecond {
		t.Errorf("max = %v, want the 200 ms stall", m)
	}

	c, err := runClosed(context.Background(), target, 2, 300*time.Millisecond, 1)
	if err != nil || c.OK == 0 || c.ErrorCount() != 0 {
		t.Fatalf("closed loop: ok %d, errors %v, %v", c.OK, c.Errors, err)
	}
}
