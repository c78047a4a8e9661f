package main

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSummarizeAlerts(t *testing.T) {
	deadline := time.Unix(1000, 0)
	at := func(ms int) time.Time { return deadline.Add(time.Duration(ms) * time.Millisecond) }
	down := func(ms int, key string) alertHit { return alertHit{At: at(ms), Key: key, Status: "down"} }
	hits := map[int][]alertHit{
		0: {down(300, "down:1.2:webhook")},
		1: {down(100, "down:2.2:webhook"), down(900, "down:2.2:webhook")}, // a retry: duplicate
		2: {down(200, "down:3.2:webhook"), down(250, "up:3.3:webhook")},   // another alert
		3: {{At: at(400), Status: "up", Key: "up:4.2:webhook"}},           // not the down alert
		// 4: missing
		5: {{At: at(500), Status: "down"}}, // no key
	}
	s := summarizeAlerts(hits, 2, 6, deadline)
	want := alertSummary{Received: 5, Missing: 1, Duplicates: 1, Extra: 1, NoKey: 1, NotDown: 1, Other: 2,
		Lag: []float64{0.1, 0.2, 0.3, 0.4, 0.5}}
	if fmt.Sprint(s) != fmt.Sprint(want) {
		t.Errorf("summary\n got %+v\nwant %+v", s, want)
	}
	if s.exactlyOnce() {
		t.Error("exactlyOnce with problems")
	}
	clean := summarizeAlerts(map[int][]alertHit{0: {down(10, "k0")}, 1: {down(20, "k1")}}, 0, 2, deadline)
	if !clean.exactlyOnce() || clean.Received != 2 {
		t.Errorf("clean summary %+v", clean)
	}
}

func TestAlertReceiver(t *testing.T) {
	r, err := startAlertReceiver(2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	post := func(url, key string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"status":"down","check_id":7}`))
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %v, %v", url, resp, err)
		}
		resp.Body.Close()
	}
	post(r.url(0), "a")
	post("http://"+r.addr+"/hook?check=9", "x")
	select {
	case <-r.allIn:
		t.Fatal("all in after one of two")
	default:
	}
	post(r.url(1), "b")
	post(r.url(1), "b")
	select {
	case <-r.allIn:
	case <-time.After(time.Second):
		t.Fatal("not all in after both")
	}
	hits, other := r.snapshot()
	if other != 1 || len(hits[0]) != 1 || len(hits[1]) != 2 || hits[1][0].Key != "b" || hits[0][0].Status != "down" {
		t.Errorf("hits %+v, other %d", hits, other)
	}
}

func TestClusterSettled(t *testing.T) {
	member := func(name, state string, placed bool) string {
		return fmt.Sprintf(`{"ID":"%s-id","Name":"%s","RemoteAddr":"x","HTTPAddr":"y","GossipAddr":"z","State":"%s","StoreOK":true,"Protocol":1,"Local":false,"Placed":%v,"Problem":""}`,
			name, name, state, placed)
	}
	view := func(state string, lease bool, members ...string) []byte {
		return []byte(fmt.Sprintf(`{"self":{},"fenced":false,"lease_valid":%v,"wheel_entries":0,"actors":{},"state":"%s","members":[%s]}`,
			lease, state, strings.Join(members, ",")))
	}
	for _, tc := range []struct {
		name string
		body []byte
		ok   bool
		why  string
	}{
		{"formed", view("active", true, member("a", "active", true), member("b", "active", true), member("c", "active", true)), true, ""},
		{"two members", view("active", true, member("a", "active", true), member("b", "active", true)), false, "2 members"},
		{"one joining", view("active", true, member("a", "active", true), member("b", "joining", false), member("c", "active", true)), false, "member b"},
		{"node joining", view("joining", true, member("a", "active", true)), false, "node state"},
		{"no lease", view("active", false, member("a", "active", true), member("b", "active", true), member("c", "active", true)), false, "lease"},
		{"not JSON", []byte("<html>"), false, "GET /cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := clusterSettled(tc.body, 3)
			if ok != tc.ok || !strings.Contains(why, tc.why) {
				t.Errorf("clusterSettled = %v, %q; want %v, …%q…", ok, why, tc.ok, tc.why)
			}
		})
	}
}

func TestSpreadNote(t *testing.T) {
	c := ConfigResult{Name: cfgCluster3, Phases: []Phase{
		{Kind: "closed", OKPerNode: []int64{30, 30, 40}},
		{Kind: "open", OKPerNode: []int64{100, 0, 0}}, // only the closed loop counts
		{Kind: "closed", OKPerNode: []int64{40, 30, 30}},
	}}
	if got := spreadNote(c); !strings.Contains(got, "35 % · 30 % · 35 %") || strings.Contains(got, "none") {
		t.Errorf("spreadNote = %q", got)
	}
	c.Phases = []Phase{{Kind: "closed", OKPerNode: []int64{50, 0, 50}}}
	if got := spreadNote(c); !strings.Contains(got, "1 nodes answered none") {
		t.Errorf("a node without load is flagged: %q", got)
	}
	if got := spreadNote(ConfigResult{Name: cfgSQLite, Phases: []Phase{{Kind: "closed", OK: 10}}}); got != "" {
		t.Errorf("one node: %q", got)
	}
}

func TestCollectPerNode(t *testing.T) {
	ws := []*worker{{ok: 1, lat: NewHistogram()}, {ok: 2, lat: NewHistogram()}, {ok: 4, lat: NewHistogram()}, {ok: 8, lat: NewHistogram()}}
	if r := collect(ws, 3); r.OK != 15 || fmt.Sprint(r.PerNode) != "[9 2 4]" {
		t.Errorf("collect over 3 nodes: ok %d, per node %v", r.OK, r.PerNode)
	}
	if r := collect(ws, 1); r.PerNode != nil {
		t.Errorf("one node has no per-node counts: %v", r.PerNode)
	}
}

func TestScenarioTargets(t *testing.T) {
	sc := Scenarios{
		Idle: &IdleResult{ScenarioStatus: ScenarioStatus{Status: "ok"}, Checks: 1_000_000, BytesPerCheck: 600,
			EmptyRSS: 30 << 20, RSS: 600 << 20, StartupSeconds: 4.2, DeadlinesArmed: 1_000_000},
		Deadlines: &DeadlineResult{ScenarioStatus: ScenarioStatus{Status: "ok"}, Checks: 100, SpreadSeconds: 60, Down: 100,
			Lag: map[string]float64{"p50": 20, "p99": 180, "max_le": 250}, LagCount: 100},
		Alerts: &AlertResult{ScenarioStatus: ScenarioStatus{Status: "failed", Note: "receiver: boom\nmore"}, Checks: 10},
	}
	got := map[string]target{}
	for _, tg := range scenarioTargets(sc) {
		got[tg.what] = tg
	}
	for what, want := range map[string]string{
		"1,000,000 idle checks: resident memory ≤ 512 bytes per check":                "**missed**",
		"1,000,000 idle checks: start-up to ready, every deadline armed, ≤ 10 s":      "met",
		"100 deadlines within 60 s: p99 of (flip committed − deadline) ≤ 250 ms":      "met",
		"10 alerts at once: every alert delivered, once, within 10 s of the deadline": "—",
	} {
		if tg, ok := got[what]; !ok || tg.met != want {
			t.Errorf("%s: %+v (have %v)", what, tg, got)
		}
	}
	if tg := got["10 alerts at once: every alert delivered, once, within 10 s of the deadline"]; tg.measured != "failed: receiver: boom" {
		t.Errorf("failed scenario: %+v", tg)
	}
	// Not every check down: missed, whatever the lag.
	sc.Deadlines.Down = 99
	for _, tg := range scenarioTargets(sc) {
		if strings.Contains(tg.what, "deadlines within") && (tg.met != "**missed**" || !strings.Contains(tg.measured, "only 99 of 100")) {
			t.Errorf("deadlines with a check not down: %+v", tg)
		}
	}
	// Without ttrd's histogram, the commit-count bound judges.
	sc.Deadlines.Down, sc.Deadlines.Lag, sc.Deadlines.LagCount = 100, nil, 0
	sc.Deadlines.CommitLag = map[string]float64{"p50": 30, "p99": 300, "max": 400}
	for _, tg := range scenarioTargets(sc) {
		if strings.Contains(tg.what, "deadlines within") && (tg.met != "**missed**" || !strings.HasPrefix(tg.measured, "300 ms by the commit count")) {
			t.Errorf("deadlines judged by the commit count: %+v", tg)
		}
	}
	// Not run: listed, not judged.
	for _, tg := range scenarioTargets(Scenarios{}) {
		if tg.measured != "not run" || tg.met != "—" {
			t.Errorf("scenario not run: %+v", tg)
		}
	}
}

func TestRenderScenarios(t *testing.T) {
	sc := Scenarios{
		Idle: &IdleResult{ScenarioStatus: ScenarioStatus{Status: "ok"}, Checks: 50_000, Users: 4, EmptyRSS: 30 << 20, RSS: 40 << 20,
			BytesPerCheck: 209.7, StartupSeconds: 0.09, DeadlinesArmed: 50_000, Verified: "8 seeded checks read back"},
		Deadlines: &DeadlineResult{ScenarioStatus: ScenarioStatus{Status: "failed", Note: "ttrd armed 9 deadlines"}, Checks: 10},
	}
	md := renderScenarios(sc)
	for _, want := range []string{"#### Idle checks", "| 50,000 | 30.0 MiB | 40.0 MiB | 210 bytes |", "Verified: 8 seeded checks read back.",
		"#### Deadlines", "**Failed**: ttrd armed 9 deadlines"} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
	if strings.Contains(md, "#### Alerts") {
		t.Error("a scenario that did not run has a section")
	}
	if renderScenarios(Scenarios{}) != "" {
		t.Error("no scenarios, no sections")
	}
	if got := sc.failedScenarios(); len(got) != 1 || got[0] != "deadlines: ttrd armed 9 deadlines" {
		t.Errorf("failedScenarios = %q", got)
	}
}

func TestLagLine(t *testing.T) {
	r := &DeadlineResult{Lag: map[string]float64{"p50": 12.5, "p99": 180, "max_le": 250}, LagCount: 10}
	if got := lagLine(r); got != "p50 12.5 ms, p99 180 ms, max ≤ 250 ms" {
		t.Errorf("lagLine = %q", got)
	}
	r.LagMaxInf = true
	if got := lagLine(r); !strings.HasSuffix(got, "max > 250 ms") {
		t.Errorf("lagLine beyond the buckets = %q", got)
	}
	if got := lagLine(&DeadlineResult{}); !strings.Contains(got, "not measured") {
		t.Errorf("lagLine without the metric = %q", got)
	}
}

func TestVerifySeededRejectsAWrongDeadline(t *testing.T) {
	deadline := time.UnixMilli(1_800_000_000_000).UTC()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/v1/checks/"):
			fmt.Fprintf(w, `{"uuid":"u1","status":"up","next_deadline":%q}`, deadline.Add(time.Second).Format(time.RFC3339Nano))
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	seed := seedResult{Users: []seededUser{{ID: 1, Slug: "s", AuthKey: "k"}},
		Samples: []seededCheck{{ID: 5, UserID: 1, UUID: "u1", Slug: "c000000", Deadline: deadline}}}
	if _, err := verifySeeded(t.Context(), strings.TrimPrefix(srv.URL, "http://"), seed); err == nil || !strings.Contains(err.Error(), "next deadline") {
		t.Errorf("verifySeeded with another deadline: %v", err)
	}
}

func TestQuantilesOf(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	q := quantilesOf(xs)
	if q["p50"] != 50 || q["p99"] != 99 || q["max"] != 100 {
		t.Errorf("quantilesOf = %v", q)
	}
	if quantilesOf(nil) != nil {
		t.Error("no values, no quantiles")
	}
}

func TestCommitLags(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(v int) time.Time { return t0.Add(time.Duration(v) * time.Millisecond) }
	// Deadlines at 0, 100, 200 and 300 ms; the count (above 7 at the start) seen at each sample.
	deadline := func(k int) time.Time { return ms(100 * k) }
	samples := []countSample{{ms(-50), 7}, {ms(50), 8}, {ms(150), 8}, {ms(250), 10}, {ms(350), 11}}
	got := commitLags(samples, 4, deadline)
	want := []float64{0.05, 0.05, 0.05, 0.15} // 1st seen at 50 (due 0), 2nd and 3rd at 250 (due 100, 200), 4th at 350 (due 300)
	if len(got) != len(want) {
		t.Fatalf("commitLags = %v, want %v", got, want)
	}
	slices.Sort(want)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Errorf("commitLags = %v, want %v", got, want)
			break
		}
	}
	if got := commitLags(samples, 5, deadline); got != nil {
		t.Errorf("a count that never reached n: %v", got)
	}
}
