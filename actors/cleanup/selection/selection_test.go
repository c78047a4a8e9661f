package selection_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/cleanup/selection"
	"github.com/ttr-rip/ttr/messages"
)

var now = time.Date(2030, 6, 15, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

var n14 = selection.Policy{InactiveFor: 14 * day}

func interval(seconds int64) func(*messages.Check) {
	return func(c *messages.Check) { c.ScheduleType, c.IntervalSeconds = messages.ScheduleInterval, seconds }
}

func cron(expr string) func(*messages.Check) {
	return func(c *messages.Check) { c.ScheduleType, c.Schedule = messages.ScheduleCron, expr }
}

func onCalendar(expr string) func(*messages.Check) {
	return func(c *messages.Check) { c.ScheduleType, c.Schedule = messages.ScheduleOnCalendar, expr }
}

func pinged(ago time.Duration) func(*messages.Check) {
	return func(c *messages.Check) { c.LastPing, c.Status = now.Add(-ago), messages.StatusUp }
}

func created(ago time.Duration) func(*messages.Check) {
	return func(c *messages.Check) { c.CreatedAt = now.Add(-ago) }
}

func status(s messages.CheckStatus) func(*messages.Check) {
	return func(c *messages.Check) { c.Status = s }
}

// check is a check created a year ago, never pinged, daily with an hour's grace, changed by
// opts.
func check(opts ...func(*messages.Check)) messages.Check {
	c := messages.Check{ID: 7, UserID: 3, CreatedAt: now.Add(-365 * day),
		CheckConfig: messages.CheckConfig{Slug: "backup", ScheduleType: messages.ScheduleInterval, IntervalSeconds: 86400, GraceSeconds: 3600, TZ: "UTC"},
		CheckState:  messages.CheckState{Status: messages.StatusNew}}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name          string
		c             messages.Check
		policy        selection.Policy
		remove        bool
		wantThreshold time.Duration
	}{
		{"daily check last pinged 15 days ago", check(pinged(15 * day)), n14, true, 14 * day},
		{"daily check last pinged 13 days ago", check(pinged(13 * day)), n14, false, 0},
		{"exactly N days is not older than N days", check(pinged(14 * day)), n14, false, 0},
		{"a paused check is kept however old", check(pinged(400*day), status(messages.StatusPaused)), n14, false, 0},
		{"never pinged: its creation counts", check(created(15 * day)), n14, true, 14 * day},
		{"never pinged, created recently", check(created(13 * day)), n14, false, 0},
		{"a recent ping beats an old creation", check(created(100*day), pinged(day)), n14, false, 0},
		{"monthly cron check pinged 20 days ago survives", check(cron("0 0 1 * *"), pinged(20*day)), n14, false, 0},
		// Pinged on 2030-03-07: the next due times are Apr 1, May 1, Jun 1 … (longest gap
		// 31 days), so the threshold is 93 days and an hour.
		{"monthly cron check pinged 100 days ago", check(cron("0 0 1 * *"), pinged(100*day)), n14, true, 93*day + time.Hour},
		{"monthly cron check pinged 90 days ago survives", check(cron("0 0 1 * *"), pinged(90*day)), n14, false, 0},
		{"weekly interval: three periods are longer than N", check(interval(7*86400), pinged(20*day)), n14, false, 0},
		{"weekly interval past three periods and grace", check(interval(7*86400), pinged(22*day)), n14, true, 21*day + time.Hour},
		// Mon–Fri at 9: the weekend gap (72 h) is the period.
		{"weekday cron: the weekend is the period", check(cron("0 9 * * 1-5"), pinged(15*day)), n14, true, 14 * day},
		{"weekday cron with a long N", check(cron("0 9 * * 1-5"), pinged(10*day)), selection.Policy{InactiveFor: 5 * day}, true, 9*day + time.Hour},
		{"OnCalendar quarterly pinged 200 days ago survives", check(onCalendar("quarterly"), pinged(200*day)), n14, false, 0},
		{"OnCalendar with one due time after the last ping: N alone", check(onCalendar("2030-02-01"), pinged(160*day)), n14, true, 14 * day},
		// Its schedule cannot be read as of the last ping: kept, like any unreadable one.
		{"OnCalendar whose last due time was before the last ping", check(onCalendar("2030-01-01"), pinged(160*day)), n14, false, 0},
		{"an unreadable schedule is kept", check(cron("not a cron"), pinged(400*day)), n14, false, 0},
		{"an interval of zero is kept", check(interval(0), pinged(400*day)), n14, false, 0},
		{"no time known: kept", check(func(c *messages.Check) { c.CreatedAt = time.Time{} }), n14, false, 0},
		{"a disabled policy removes nothing", check(pinged(400 * day)), selection.Policy{}, false, 0},
		{"a grace longer than N wins", check(func(c *messages.Check) { c.GraceSeconds = 20 * 86400 }, pinged(19*day)), n14, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := selection.Check(tc.c, tc.policy, now)
			if ok != tc.remove {
				t.Fatalf("removed %v, want %v (%+v)", ok, tc.remove, r)
			}
			if !ok {
				return
			}
			want := selection.CheckRemoval{CheckID: 7, UserID: 3, Slug: "backup", LastActivity: selection.LastActivity(tc.c), Threshold: tc.wantThreshold}
			if r != want {
				t.Errorf("removal %+v, want %+v", r, want)
			}
		})
	}
}

func TestPeriod(t *testing.T) {
	from := time.Date(2030, 1, 10, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		c    messages.CheckConfig
		want time.Duration
		ok   bool
	}{
		{"interval", messages.CheckConfig{ScheduleType: messages.ScheduleInterval, IntervalSeconds: 90}, 90 * time.Second, true},
		{"hourly cron", messages.CheckConfig{ScheduleType: messages.ScheduleCron, Schedule: "0 * * * *"}, time.Hour, true},
		// Jan 10 → Feb 1 … Aug 1: the longest month among them has 31 days.
		{"monthly cron: the longest gap", messages.CheckConfig{ScheduleType: messages.ScheduleCron, Schedule: "0 0 1 * *"}, 31 * day, true},
		// Twice a year, on Jan 1 and Jul 1: 184 days from July to January.
		{"irregular cron", messages.CheckConfig{ScheduleType: messages.ScheduleCron, Schedule: "0 0 1 1,7 *"}, 184 * day, true},
		// A DST change inside the samples: the gap counts real time (Riga moves to summer
		// time on 2030-03-31, so that day is 23 hours long).
		{"daily cron across a DST change", messages.CheckConfig{ScheduleType: messages.ScheduleCron, Schedule: "0 12 * * *", TZ: "Europe/Riga"}, day, true},
		{"OnCalendar list", messages.CheckConfig{ScheduleType: messages.ScheduleOnCalendar, Schedule: "Mon 08:00\nThu 08:00"}, 4 * day, true},
		{"a single due time left", messages.CheckConfig{ScheduleType: messages.ScheduleOnCalendar, Schedule: "2030-02-01"}, 0, true},
		{"unknown type", messages.CheckConfig{ScheduleType: "weekly"}, 0, false},
		{"bad zone", messages.CheckConfig{ScheduleType: messages.ScheduleCron, Schedule: "* * * * *", TZ: "Mars/Olympus"}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := selection.Period(tc.c, from)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Period = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func user(opts ...func(*selection.User)) selection.User {
	u := selection.User{ID: 3, Slug: "abcd1234", CreatedAt: now.Add(-100 * day)}
	for _, o := range opts {
		o(&u)
	}
	return u
}

func TestUserDecision(t *testing.T) {
	tests := []struct {
		name       string
		u          selection.User
		checksLeft int64
		remove     bool
		lastSeen   time.Time
	}{
		{"never seen, no checks, created 100 days ago", user(), 0, true, now.Add(-100 * day)},
		{"seen 15 days ago", user(func(u *selection.User) { u.LastSeenAt = now.Add(-15 * day) }), 0, true, now.Add(-15 * day)},
		{"seen 13 days ago", user(func(u *selection.User) { u.LastSeenAt = now.Add(-13 * day) }), 0, false, time.Time{}},
		{"created 13 days ago", user(func(u *selection.User) { u.CreatedAt = now.Add(-13 * day) }), 0, false, time.Time{}},
		{"a check left", user(), 1, false, time.Time{}},
		{"Telegram linked", user(func(u *selection.User) { u.TelegramLinked = true }), 0, false, time.Time{}},
		{"disabled by an admin", user(func(u *selection.User) { u.DisabledAt = now.Add(-50 * day) }), 0, false, time.Time{}},
		{"no creation time", user(func(u *selection.User) { u.CreatedAt = time.Time{} }), 0, false, time.Time{}},
		{"seen before creation counts from creation", user(func(u *selection.User) { u.LastSeenAt = now.Add(-200 * day) }), 0, true, now.Add(-100 * day)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := selection.UserDecision(tc.u, tc.checksLeft, n14, now)
			if ok != tc.remove {
				t.Fatalf("removed %v, want %v", ok, tc.remove)
			}
			if want := (selection.UserRemoval{UserID: 3, Slug: "abcd1234", LastSeen: tc.lastSeen}); ok && r != want {
				t.Errorf("removal %+v, want %+v", r, want)
			}
		})
	}
}

func TestPlanner(t *testing.T) {
	pl := selection.NewPlanner(n14, now, 50)
	withID := func(id, userID int64) func(*messages.Check) {
		return func(c *messages.Check) { c.ID, c.UserID = id, userID }
	}
	// Two pages of candidate checks.
	pl.AddChecks([]messages.Check{
		check(withID(1, 10), pinged(15*day)),
		check(withID(2, 10), pinged(30*day)),
		check(withID(3, 20), pinged(30*day)),
	})
	pl.AddChecks([]messages.Check{
		check(withID(4, 20), pinged(2*day)), // the candidate query's cutoff is a pre-filter only
		check(withID(5, 30), pinged(90*day), status(messages.StatusPaused)),
	})
	pl.AddUsers([]selection.User{
		{ID: 10, CreatedAt: now.Add(-50 * day), Checks: 2}, // both checks go: so does the user
		{ID: 20, CreatedAt: now.Add(-50 * day), Checks: 2}, // one check stays
		{ID: 30, CreatedAt: now.Add(-50 * day), Checks: 1}, // a paused check stays
		{ID: 40, CreatedAt: now.Add(-50 * day)},            // no checks at all
	})
	p := pl.Plan()
	var checks, users []int64
	for _, c := range p.Checks {
		checks = append(checks, c.CheckID)
	}
	for _, u := range p.Users {
		users = append(users, u.UserID)
	}
	if !equal(checks, []int64{1, 2, 3}) || !equal(users, []int64{10, 40}) {
		t.Errorf("plan removes checks %v and users %v; want [1 2 3] and [10 40]", checks, users)
	}
	if p.TotalChecks != 50 || !p.Now.Equal(now) {
		t.Errorf("plan of %d checks at %v", p.TotalChecks, p.Now)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGuard(t *testing.T) {
	removing := func(n int) []selection.CheckRemoval { return make([]selection.CheckRemoval, n) }
	tests := []struct {
		name     string
		plan     selection.Plan
		maxShare float64
		force    bool
		refused  bool
	}{
		{"nothing to remove", selection.Plan{TotalChecks: 0}, 0.1, false, false},
		{"exactly the share", selection.Plan{TotalChecks: 100, Checks: removing(10)}, 0.1, false, false},
		{"one more than the share", selection.Plan{TotalChecks: 100, Checks: removing(11)}, 0.1, false, true},
		{"every check (the empty-cache bug)", selection.Plan{TotalChecks: 100, Checks: removing(100)}, 0.1, false, true},
		{"forced", selection.Plan{TotalChecks: 100, Checks: removing(100)}, 0.1, true, false},
		{"a count of zero checks is not trusted", selection.Plan{TotalChecks: 0, Checks: removing(1)}, 0.1, false, true},
		{"users only are not judged by the share", selection.Plan{TotalChecks: 100, Users: make([]selection.UserRemoval, 90)}, 0.1, false, false},
		{"a share of 1 allows everything", selection.Plan{TotalChecks: 10, Checks: removing(10)}, 1, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.plan.Guard(tc.maxShare, tc.force)
			if refused := errors.Is(err, selection.ErrTooMany); refused != tc.refused || (err != nil && !refused) {
				t.Errorf("Guard = %v, want refused %v", err, tc.refused)
			}
		})
	}
}
