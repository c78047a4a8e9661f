package cleanup_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/cleanup"
	"github.com/ttr-rip/ttr/actors/cleanup/selection"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

var now = time.Date(2030, 6, 15, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func openStore(t *testing.T) persistence.Store {
	t.Helper()
	s := sqlitetest.Open(t)
	return s
}

// actorDeleter deletes as the check actor does: the same store write, conditional on the
// check's version, after the If-Match comparison.
type actorDeleter struct {
	store persistence.Store
	calls atomic.Int32
	after func() // runs after each delete
}

func (d *actorDeleter) Delete(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	d.calls.Add(1)
	c, err := d.store.GetCheck(ctx, userID, checkID)
	if err != nil {
		return err
	}
	if len(ifMatch) > 0 && !slices.Contains(ifMatch, c.ConfigVersion) {
		return messages.Errorf(messages.EPrecondition, "config version moved")
	}
	out, err := d.store.Commit(ctx, []persistence.Write{{CheckID: checkID, ExpectVersion: c.Version, Delete: true}})
	if err != nil {
		return err
	}
	if out[0].Kind != persistence.OutcomeCommitted {
		return messages.Errorf(messages.EUnavailable, "fenced")
	}
	if d.after != nil {
		d.after()
	}
	return nil
}

func newUser(t *testing.T, s persistence.Store, created time.Time) messages.User {
	t.Helper()
	u := messages.User{Slug: storetest.RandomHex(4), AuthKeyHash: []byte(storetest.RandomHex(16)),
		PingKeyIndex: []byte(storetest.RandomHex(16)), SlugPings: true, CreatedAt: created}
	if err := s.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func pinged(ago time.Duration, status messages.CheckStatus) func(*messages.Check) {
	return func(c *messages.Check) {
		c.CreatedAt = now.Add(-365 * day)
		c.LastPing, c.Status = now.Add(-ago), status
	}
}

func cronCheck(expr string) func(*messages.Check) {
	return func(c *messages.Check) {
		c.ScheduleType, c.Schedule, c.IntervalSeconds = messages.ScheduleCron, expr, 0
	}
}

// fixture is a store with the cases of docs/operations.md's cleanup rules.
type fixture struct {
	store                              persistence.Store
	dailyOld, monthlyCron, paused      messages.Check
	activeUser, abandonedUser, gone    messages.User
	linkedUser, freshUser, bothRemoved messages.User
	dailyOfBoth                        messages.Check
}

func newFixture(t *testing.T) *fixture {
	s := openStore(t)
	f := &fixture{store: s}
	f.activeUser = newUser(t, s, now.Add(-100*day))
	// A daily check last pinged 15 days ago: removed at N = 14.
	f.dailyOld = storetest.NewCheck(t, s, f.activeUser.ID, pinged(15*day, messages.StatusDown))
	// A monthly cron check pinged 20 days ago: kept (three months have not passed).
	f.monthlyCron = storetest.NewCheck(t, s, f.activeUser.ID, cronCheck("0 0 1 * *"), pinged(20*day, messages.StatusUp))
	// A paused check: kept however old.
	f.paused = storetest.NewCheck(t, s, f.activeUser.ID, pinged(200*day, messages.StatusPaused))
	// Recently pinged checks make up the rest of the store.
	for range 7 {
		storetest.NewCheck(t, s, f.activeUser.ID, pinged(time.Hour, messages.StatusUp))
	}
	// Users: without checks and inactive (removed), Telegram-linked (kept), created recently
	// (kept), and one whose only check is removed in the same run (removed too).
	f.abandonedUser = newUser(t, s, now.Add(-30*day))
	f.linkedUser = newUser(t, s, now.Add(-30*day))
	if err := s.LinkTelegram(context.Background(), f.linkedUser.ID, 99, now.Add(-30*day)); err != nil {
		t.Fatal(err)
	}
	f.freshUser = newUser(t, s, now.Add(-3*day))
	f.bothRemoved = newUser(t, s, now.Add(-60*day))
	f.dailyOfBoth = storetest.NewCheck(t, s, f.bothRemoved.ID, pinged(40*day, messages.StatusDown))
	return f
}

type config struct {
	maxShare float64
	force    bool
	healthy  func() bool
	holder   string
	store    cleanup.Store
	log      *bytes.Buffer
	deleter  *actorDeleter
}

func newService(t *testing.T, f *fixture, c config) *cleanup.Service {
	t.Helper()
	if c.healthy == nil {
		c.healthy = func() bool { return true }
	}
	if c.holder == "" {
		c.holder = "node-a"
	}
	if c.store == nil {
		c.store = f.store
	}
	if c.log == nil {
		c.log = &bytes.Buffer{}
	}
	svc, err := cleanup.New(cleanup.Config{InactiveFor: 14 * day, MaxShare: c.maxShare, Force: c.force, BatchSize: 2, BatchPause: time.Millisecond},
		cleanup.Deps{Store: c.store, Checks: c.deleter, Healthy: c.healthy, Holder: func() string { return c.holder },
			Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(c.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func planIDs(p selection.Plan) (checks, users []int64) {
	for _, c := range p.Checks {
		checks = append(checks, c.CheckID)
	}
	for _, u := range p.Users {
		users = append(users, u.UserID)
	}
	return checks, users
}

func TestDryRunMatchesRun(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dry, err := cleanup.BuildPlan(ctx, f.store, selection.Policy{InactiveFor: 14 * day}, now)
	if err != nil {
		t.Fatal(err)
	}
	dryChecks, dryUsers := planIDs(dry)
	wantChecks := []int64{f.dailyOld.ID, f.dailyOfBoth.ID}
	wantUsers := []int64{f.abandonedUser.ID, f.bothRemoved.ID}
	if !slices.Equal(dryChecks, wantChecks) || !slices.Equal(dryUsers, wantUsers) {
		t.Fatalf("dry run lists checks %v and users %v; want %v and %v", dryChecks, dryUsers, wantChecks, wantUsers)
	}

	var log bytes.Buffer
	d := &actorDeleter{store: f.store}
	rep, err := newService(t, f, config{maxShare: 0.2, deleter: d, log: &log}).RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.RemovedChecks, dryChecks) || !slices.Equal(rep.RemovedUsers, dryUsers) {
		t.Errorf("the run removed checks %v and users %v; the dry run listed %v and %v", rep.RemovedChecks, rep.RemovedUsers, dryChecks, dryUsers)
	}
	// What is gone is gone from the store; what was kept is there.
	for _, c := range []messages.Check{f.dailyOld, f.dailyOfBoth} {
		if _, err := f.store.GetCheck(ctx, c.UserID, c.ID); messages.CodeOf(err) != messages.ENotFound {
			t.Errorf("check %d is still there (%v)", c.ID, err)
		}
	}
	for _, c := range []messages.Check{f.monthlyCron, f.paused} {
		if _, err := f.store.GetCheck(ctx, c.UserID, c.ID); err != nil {
			t.Errorf("check %d (%s) was removed: %v", c.ID, c.Status, err)
		}
	}
	for _, u := range []messages.User{f.abandonedUser, f.bothRemoved} {
		if _, err := f.store.UserBySlug(ctx, u.Slug); messages.CodeOf(err) != messages.ENotFound {
			t.Errorf("user %d is still there (%v)", u.ID, err)
		}
	}
	for _, u := range []messages.User{f.activeUser, f.linkedUser, f.freshUser} {
		if _, err := f.store.UserBySlug(ctx, u.Slug); err != nil {
			t.Errorf("user %d was removed: %v", u.ID, err)
		}
	}
	// Every removal is recorded with its ids.
	for _, want := range []string{
		"cleanup removed an inactive check", "check_id=" + itoa(f.dailyOld.ID),
		"cleanup removed an inactive user", "user_id=" + itoa(f.abandonedUser.ID),
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	// A second run finds nothing more.
	again, err := cleanup.BuildPlan(ctx, f.store, selection.Policy{InactiveFor: 14 * day}, now)
	if err != nil || len(again.Checks)+len(again.Users) != 0 {
		t.Errorf("after the run the dry run lists %+v (%v)", again, err)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestShareGuard(t *testing.T) {
	ctx := context.Background()
	// 2 of the 11 checks are inactive: 18 % of all checks.
	tests := []struct {
		name     string
		maxShare float64
		force    bool
		refused  bool
	}{
		{"the default share of 10 % refuses", 0, false, true},
		{"forced", 0, true, false},
		{"a share of 20 % allows it", 0.2, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			d := &actorDeleter{store: f.store}
			rep, err := newService(t, f, config{maxShare: tc.maxShare, force: tc.force, deleter: d}).RunOnce(ctx)
			if refused := errors.Is(err, selection.ErrTooMany); refused != tc.refused {
				t.Fatalf("run: %v; want refused %v", err, tc.refused)
			}
			if tc.refused {
				if n := d.calls.Load(); n != 0 || len(rep.RemovedUsers) != 0 {
					t.Errorf("a refused run deleted %d checks and %d users", n, len(rep.RemovedUsers))
				}
				if total, _ := f.store.CountChecks(ctx); total != 11 {
					t.Errorf("%d checks left of 11", total)
				}
				return
			}
			if len(rep.RemovedChecks) != 2 {
				t.Errorf("removed %v, want 2 checks", rep.RemovedChecks)
			}
		})
	}
}

func TestUnhealthyStoreStopsTheRun(t *testing.T) {
	ctx := context.Background()
	t.Run("before it starts", func(t *testing.T) {
		f := newFixture(t)
		d := &actorDeleter{store: f.store}
		_, err := newService(t, f, config{force: true, deleter: d, healthy: func() bool { return false }}).RunOnce(ctx)
		if !errors.Is(err, cleanup.ErrUnhealthy) || d.calls.Load() != 0 {
			t.Errorf("run: %v after %d deletions; want ErrUnhealthy and none", err, d.calls.Load())
		}
		// It did not even take the lease.
		if ok, err := f.store.AcquireJobLease(ctx, cleanup.LeaseName, "node-b", now, now.Add(time.Minute)); err != nil || !ok {
			t.Errorf("lease after an unhealthy run: %v %v", ok, err)
		}
	})
	t.Run("in the middle", func(t *testing.T) {
		f := newFixture(t)
		var healthy atomic.Bool
		healthy.Store(true)
		d := &actorDeleter{store: f.store, after: func() { healthy.Store(false) }} // the store fails after the first removal
		rep, err := newService(t, f, config{force: true, deleter: d, healthy: healthy.Load}).RunOnce(ctx)
		if !errors.Is(err, cleanup.ErrUnhealthy) {
			t.Fatalf("run: %v; want ErrUnhealthy", err)
		}
		if len(rep.RemovedChecks) != 1 || len(rep.RemovedUsers) != 0 {
			t.Errorf("removed checks %v and users %v; want one check and no user", rep.RemovedChecks, rep.RemovedUsers)
		}
		// The lease is released for the next run.
		if ok, err := f.store.AcquireJobLease(ctx, cleanup.LeaseName, "node-b", now, now.Add(time.Minute)); err != nil || !ok {
			t.Errorf("lease after a stopped run: %v %v", ok, err)
		}
	})
}

func TestOneNodeAtATime(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if ok, err := f.store.AcquireJobLease(ctx, cleanup.LeaseName, "node-b", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("node-b's lease: %v %v", ok, err)
	}
	d := &actorDeleter{store: f.store}
	rep, err := newService(t, f, config{force: true, deleter: d}).RunOnce(ctx)
	if err != nil || !rep.Held || d.calls.Load() != 0 || len(rep.RemovedUsers) != 0 {
		t.Errorf("run while node-b holds the lease: %+v, %v, %d deletions", rep, err, d.calls.Load())
	}
}

// pingedMeanwhile is a store in which one check was pinged after the plan was made.
type pingedMeanwhile struct {
	persistence.Store
	checkID int64
}

func (s pingedMeanwhile) GetCheck(ctx context.Context, userID, checkID int64) (messages.Check, error) {
	c, err := s.Store.GetCheck(ctx, userID, checkID)
	if checkID == s.checkID {
		c.LastPing, c.Status = now.Add(-time.Minute), messages.StatusUp
	}
	return c, err
}

func TestDecidedAgainBeforeRemoval(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	d := &actorDeleter{store: f.store}
	rep, err := newService(t, f, config{force: true, deleter: d, store: pingedMeanwhile{f.store, f.dailyOfBoth.ID}}).RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The check pinged meanwhile stays, and so does its user.
	if !slices.Equal(rep.RemovedChecks, []int64{f.dailyOld.ID}) || !slices.Equal(rep.RemovedUsers, []int64{f.abandonedUser.ID}) || rep.Kept != 2 {
		t.Errorf("removed checks %v and users %v, kept %d; want [%d], [%d], 2", rep.RemovedChecks, rep.RemovedUsers, rep.Kept,
			f.dailyOld.ID, f.abandonedUser.ID)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  cleanup.Config
		ok   bool
	}{
		{"defaults with 14 days", cleanup.Config{InactiveFor: 14 * day}, true},
		{"no period", cleanup.Config{}, false},
		{"less than a day", cleanup.Config{InactiveFor: time.Hour}, false},
		{"share above 1", cleanup.Config{InactiveFor: day, MaxShare: 1.5}, false},
		{"negative share", cleanup.Config{InactiveFor: day, MaxShare: -0.1}, false},
		{"negative batch", cleanup.Config{InactiveFor: day, BatchSize: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// TestRemovalsInActivityLog: every check and user a run removes has its row in the activity
// log, under its user, naming what went; nothing kept has one.
func TestRemovalsInActivityLog(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rep, err := newService(t, f, config{maxShare: 0.2, deleter: &actorDeleter{store: f.store}}).RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.store.ListAllAudit(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]messages.AuditEvent{}
	for _, e := range rows {
		if e.Event != messages.AuditEventCleanup || e.Method != "cleanup" || e.Outcome != "success" {
			t.Errorf("unexpected row %+v", e)
			continue
		}
		got[e.Credential] = e
	}
	want := map[string]int64{
		"check:" + strconv.FormatInt(f.dailyOld.ID, 10):     f.activeUser.ID,
		"check:" + strconv.FormatInt(f.dailyOfBoth.ID, 10):  f.bothRemoved.ID,
		"user:" + strconv.FormatInt(f.abandonedUser.ID, 10): f.abandonedUser.ID,
		"user:" + strconv.FormatInt(f.bothRemoved.ID, 10):   f.bothRemoved.ID,
	}
	if len(got) != len(want) || len(rep.RemovedChecks)+len(rep.RemovedUsers) != len(want) {
		t.Fatalf("activity rows %v; want one for each of %v", got, want)
	}
	for cred, user := range want {
		e, ok := got[cred]
		if !ok || e.UserID != user || !strings.Contains(e.Reason, "inactive") {
			t.Errorf("%s: row %+v, want one under user %d saying why", cred, e, user)
		}
	}
	// A removed user's log outlives the user.
	own, err := f.store.ListAudit(ctx, f.abandonedUser.ID, 0, 10)
	if err != nil || len(own) != 1 {
		t.Errorf("the removed user's rows: %v %v", own, err)
	}
}
