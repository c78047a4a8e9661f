package retention_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ttr-rip/ttr/actors/retention"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

var now = time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func openStore(t *testing.T) persistence.Store {
	t.Helper()
	s := sqlitetest.Open(t)
	return s
}

// world is a store holding some of everything the pruner deletes, each side of its limit.
type world struct {
	s      persistence.Store
	user   messages.User
	checks []messages.Check // with 25, 5 and 12 pings
}

// write commits w on c and returns c after it.
func write(t *testing.T, s persistence.Store, c messages.Check, w persistence.Write) messages.Check {
	t.Helper()
	w.CheckID, w.ExpectVersion = c.ID, c.Version
	if w.State.Status == "" {
		w.State = c.CheckState
	}
	out, err := s.Commit(context.Background(), []persistence.Write{w})
	if err != nil || out[0].Kind != persistence.OutcomeCommitted {
		t.Fatalf("commit: %v %+v", err, out)
	}
	c.Version++
	c.CheckState = w.State
	return c
}

func ping(t *testing.T, s persistence.Store, c messages.Check, n int) messages.Check {
	t.Helper()
	for range n {
		st := c.CheckState
		st.NPings++
		st.Status = messages.StatusUp
		c = write(t, s, c, persistence.Write{State: st, Ping: &messages.PingRecord{CheckID: c.ID, N: st.NPings,
			At: now.Add(-time.Duration(100-st.NPings) * time.Minute), Kind: messages.KindSuccess, ExitStatus: -1,
			RequestID: fmt.Sprintf("r-%d-%d", c.ID, st.NPings)}})
	}
	return c
}

func flip(t *testing.T, s persistence.Store, c messages.Check, age time.Duration) messages.Check {
	t.Helper()
	st := c.CheckState
	st.FlipSeq++
	return write(t, s, c, persistence.Write{State: st, Flip: &messages.Flip{ID: fmt.Sprintf("%d.%d", c.ID, st.FlipSeq),
		CheckID: c.ID, At: now.Add(-age), From: "up", To: "down"}})
}

func outbox(t *testing.T, s persistence.Store, u messages.User, c messages.Check, key string, age time.Duration, status messages.OutboxStatus) {
	t.Helper()
	ctx := context.Background()
	rows := []messages.OutboxRow{{UserID: u.ID, CheckID: c.ID, Kind: messages.AlertDown, Channel: messages.ChannelWebhook,
		DestHash: "d-" + key, Payload: []byte("{}"), IdempotencyKey: key, Status: messages.OutboxPending, CreatedAt: now.Add(-age)}}
	if err := s.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if status == messages.OutboxPending {
		return
	}
	if ok, err := s.ClaimOutbox(ctx, rows[0].ID, "n1", now, now.Add(time.Minute)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if ok, err := s.FinishOutbox(ctx, persistence.OutboxResult{ID: rows[0].ID, Node: "n1", Status: status, Attempts: 1,
		DeliveredAt: now.Add(-age), At: now.Add(-age)}); !ok || err != nil {
		t.Fatalf("finish: %v %v", ok, err)
	}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s := openStore(t)
	w := &world{s: s, user: storetest.NewUser(t, s)}
	ctx := context.Background()
	for _, n := range []int{25, 5, 12} {
		w.checks = append(w.checks, ping(t, s, storetest.NewCheck(t, s, w.user.ID), n))
	}
	c := w.checks[0]
	for _, age := range []time.Duration{500 * day, 401 * day, 399 * day, day} {
		c = flip(t, s, c, age)
	}
	w.checks[0] = c
	outbox(t, s, w.user, c, "old-delivered", 31*day, messages.OutboxDelivered)
	outbox(t, s, w.user, c, "old-failed", 45*day, messages.OutboxFailed)
	outbox(t, s, w.user, c, "old-pending", 300*day, messages.OutboxPending) // never delivered: kept
	outbox(t, s, w.user, c, "new-delivered", 29*day, messages.OutboxDelivered)
	for i := range 25 {
		at := now.Add(-91 * day) // past the retention
		if i >= 20 {
			at = now.Add(-89 * day)
		}
		if err := s.InsertAudit(ctx, &messages.AuditEvent{At: at, Event: "auth", Outcome: "failure"}); err != nil {
			t.Fatal(err)
		}
	}
	for i, age := range []time.Duration{25 * time.Hour, 23 * time.Hour} {
		if err := s.RetireKey(ctx, 1, []byte{byte(i + 1)}, now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func config() retention.Config {
	return retention.Config{PingLogLimit: 10, FlipsFor: retention.DefaultFlipsFor, OutboxFor: retention.DefaultOutboxFor,
		ActivityFor: retention.DefaultActivityFor, Batch: 7, Scan: 2}
}

func newService(t *testing.T, s persistence.Store, cfg retention.Config, reg prometheus.Registerer, healthy func() bool) *retention.Service {
	t.Helper()
	if healthy == nil {
		healthy = func() bool { return true }
	}
	svc, err := retention.New(cfg, retention.Deps{Store: s, Healthy: healthy, Holder: func() string { return "node-a" },
		Now: func() time.Time { return now }, Registerer: reg,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func pingNs(t *testing.T, s persistence.Store, c messages.Check) []int64 {
	t.Helper()
	ps, err := s.ListPings(context.Background(), c.UserID, c.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ns []int64
	for _, p := range ps {
		ns = append(ns, p.N)
	}
	return ns
}

// TestPassPrunesEveryTable: one pass, in batches smaller than each table's excess, leaves each
// check its newest 10 pings, the flips of the last 400 days, the finished alerts of the last
// 30 days and every pending one, 90 days of activity and a day of retired keys; counters and
// gauges say so.
func TestPassPrunesEveryTable(t *testing.T) {
	w := newWorld(t)
	reg := prometheus.NewRegistry()
	rep, err := newService(t, w.s, config(), reg, nil).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"pings": 15 + 2, "flips": 2, "outbox": 2, "auth_activity": 20, "retired_credentials": 1}
	for table, n := range want {
		if rep.Deleted[table] != n {
			t.Errorf("deleted %d rows of %s, want %d", rep.Deleted[table], table, n)
		}
	}
	for i, c := range w.checks {
		got := pingNs(t, w.s, c)
		if len(got) != min(10, int(c.NPings)) || got[0] != c.NPings || got[len(got)-1] != max(1, c.NPings-9) {
			t.Errorf("check %d (%d pings): kept %v, want its newest 10", i, c.NPings, got)
		}
	}
	ctx := context.Background()
	flips, _ := w.s.ListFlips(ctx, w.user.ID, w.checks[0].ID, 100)
	if len(flips) != 2 || flips[1].At.Before(now.Add(-400*day)) {
		t.Errorf("flips kept: %+v, want the two of the last 400 days", flips)
	}
	var keys []string
	ds, _ := w.s.ListDeliveries(ctx, w.user.ID, w.checks[0].ID, 100)
	for _, d := range ds {
		keys = append(keys, d.IdempotencyKey)
	}
	if strings.Join(keys, ",") != "new-delivered,old-pending" {
		t.Errorf("outbox rows kept: %v, want new-delivered and old-pending", keys)
	}
	if n, _ := w.s.CountPendingOutbox(ctx, "d-old-pending"); n != 1 {
		t.Errorf("the undelivered alert 300 days old: %d pending, want 1", n)
	}
	if left, _ := w.s.ListAllAudit(ctx, 0, 100); len(left) != 5 {
		t.Errorf("%d activity events left, want 5", len(left))
	}
	if _, err := w.s.RetiredCredential(ctx, []byte{2}, now.Add(-24*time.Hour)); err != nil {
		t.Errorf("recent retired key pruned: %v", err)
	}

	counters := `
# HELP ttr_retention_pruned_rows_total Rows the retention pruner deleted, by table.
# TYPE ttr_retention_pruned_rows_total counter
ttr_retention_pruned_rows_total{table="auth_activity"} 20
ttr_retention_pruned_rows_total{table="flips"} 2
ttr_retention_pruned_rows_total{table="outbox"} 2
ttr_retention_pruned_rows_total{table="pings"} 17
ttr_retention_pruned_rows_total{table="retired_credentials"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(counters), "ttr_retention_pruned_rows_total"); err != nil {
		t.Error(err)
	}
	ages := map[string]float64{}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "ttr_retention_oldest_row_age_seconds" {
			for _, m := range mf.GetMetric() {
				ages[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	for table, want := range map[string]time.Duration{"flips": 399 * day, "outbox": 300 * day, "auth_activity": 89 * day, "retired_credentials": 23 * time.Hour} {
		if table == "outbox" {
			want = 29 * day // its oldest finished row; the pending one does not count
		}
		if got := ages[table]; got != want.Seconds() {
			t.Errorf("oldest %s row: %v s, want %v s", table, got, want.Seconds())
		}
	}
	if ages["pings"] <= 0 {
		t.Errorf("oldest ping age %v, want positive", ages["pings"])
	}

	// A second pass finds nothing.
	rep, err = newService(t, w.s, config(), nil, nil).RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range rep.Deleted {
		if n != 0 {
			t.Errorf("second pass deleted %d rows of %s", n, table)
		}
	}
}

// TestZeroKeepsForever: a zero retention leaves its table alone.
func TestZeroKeepsForever(t *testing.T) {
	w := newWorld(t)
	rep, err := newService(t, w.s, retention.Config{}, nil, nil).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"pings", "flips", "outbox", "auth_activity"} {
		if n := rep.Deleted[table]; n != 0 {
			t.Errorf("%s: deleted %d rows with a zero retention", table, n)
		}
	}
	if rep.Deleted["retired_credentials"] != 1 {
		t.Errorf("retired credentials: deleted %d, want 1 (their day is not optional)", rep.Deleted["retired_credentials"])
	}
	if got := pingNs(t, w.s, w.checks[0]); len(got) != 25 {
		t.Errorf("kept %d pings of 25", len(got))
	}
}

// TestOneNodeAtATime: while another node holds the lease, a pass deletes nothing; an unhealthy
// store stops a pass before it starts.
func TestOneNodeAtATime(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if ok, err := w.s.AcquireJobLease(ctx, retention.LeaseName, "node-b", now, now.Add(time.Minute)); !ok || err != nil {
		t.Fatalf("node-b takes the lease: %v %v", ok, err)
	}
	reg := prometheus.NewRegistry()
	rep, err := newService(t, w.s, config(), reg, nil).RunOnce(ctx)
	if err != nil || !rep.Held {
		t.Fatalf("pass while node-b holds the lease: %+v, %v; want held", rep, err)
	}
	if got := pingNs(t, w.s, w.checks[0]); len(got) != 25 {
		t.Errorf("node-a pruned under node-b's lease: %d pings left of 25", len(got))
	}
	_, err = newService(t, w.s, config(), nil, func() bool { return false }).RunOnce(ctx)
	if !errors.Is(err, retention.ErrUnhealthy) {
		t.Errorf("unhealthy store: %v, want ErrUnhealthy", err)
	}
	want := "\n# HELP ttr_retention_runs_total Retention passes by outcome (done, held: another node prunes, unhealthy, error).\n# TYPE ttr_retention_runs_total counter\nttr_retention_runs_total{outcome=\"held\"} 1\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ttr_retention_runs_total"); err != nil {
		t.Error(err)
	}
}

// slowFlips takes 20 ms over every flips statement.
type slowFlips struct{ persistence.Store }

func (s slowFlips) PruneFlips(ctx context.Context, before time.Time, limit int) (int64, error) {
	time.Sleep(20 * time.Millisecond)
	return s.Store.PruneFlips(ctx, before, limit)
}

// TestThrottle: after each statement the pass pauses so that statements take at most Duty of
// its time, and never less than BatchPause.
func TestThrottle(t *testing.T) {
	w := newWorld(t)
	var pauses []time.Duration
	cfg := config()
	cfg.Duty, cfg.BatchPause = 0.25, 3*time.Millisecond
	svc, err := retention.New(cfg, retention.Deps{Store: slowFlips{w.s}, Healthy: func() bool { return true },
		Holder: func() string { return "n" }, Now: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error { pauses = append(pauses, d); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Pings: 17 rows, 7 a statement, 2 checks a walk: at least 3; flips, outbox, retired
	// keys one each; activity 20 rows, 7 a statement: 3.
	if len(pauses) < 9 {
		t.Errorf("%d pauses, want one after each statement (at least 9)", len(pauses))
	}
	var longest time.Duration
	for _, p := range pauses {
		if p < cfg.BatchPause {
			t.Errorf("pause %v is shorter than BatchPause", p)
		}
		longest = max(longest, p)
	}
	// The flips statement took 20 ms or more: at a quarter duty it is followed by three times that.
	if longest < 60*time.Millisecond {
		t.Errorf("longest pause %v after a 20 ms statement, want at least 60 ms", longest)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []retention.Config{{PingLogLimit: -1}, {FlipsFor: -time.Hour}, {Duty: 1.5}, {Batch: -1}, {Every: -time.Second}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := (retention.Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
}
