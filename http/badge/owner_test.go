package badge_test

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/http/badge"
	"github.com/ttr-rip/ttr/messages"
)

// TestStatesFromTheOwnersLogic drives a check through the check owner's own logic (the
// state it stores after each event) and reads the badge of each stored state, for an
// interval, a cron and an OnCalendar check: new, up, up between two runs, late within
// grace, down after a missed deadline, up again, down by a fail ping, paused.
func TestStatesFromTheOwnersLogic(t *testing.T) {
	// 12:00 UTC on a Monday: the daily 03:00 runs are 14-18 hours away in either zone.
	t0 := time.Date(2030, 3, 4, 12, 0, 0, 0, time.UTC)
	const grace = 10 * time.Minute
	specs := []struct {
		name     string
		typ      messages.ScheduleType
		expr, tz string
		interval int64
		// between is a time after t0's ping at which a naive "last ping + a period"
		// reading would call the check late but its schedule says it is not due yet.
		between time.Duration
	}{
		{"interval", messages.ScheduleInterval, "", "UTC", 3600, 30 * time.Minute},
		{"cron", messages.ScheduleCron, "0 3 * * *", "Europe/Berlin", 0, 6 * time.Hour},
		{"oncalendar", messages.ScheduleOnCalendar, "*-*-* 03:00:00", "America/New_York", 0, 8 * time.Hour},
	}
	for _, sp := range specs {
		t.Run(sp.name, func(t *testing.T) {
			cfg := checkconfig.Default("0b6c1b1e-0000-4000-8000-000000000001")
			cfg.Name, cfg.ScheduleType, cfg.Schedule, cfg.TZ = "job", sp.typ, sp.expr, sp.tz
			if sp.interval > 0 {
				cfg.IntervalSeconds = sp.interval
			}
			cfg.GraceSeconds = int64(grace / time.Second)
			c, err := checklogic.Compile(1, cfg)
			if err != nil {
				t.Fatal(err)
			}
			expect := func(step string, st messages.CheckState, at time.Time, want badge.Status) {
				t.Helper()
				if got := badge.Of(st, at); got != want {
					t.Errorf("%s at %s: %s, want %s (status %s, due %s, deadline %s)", step, at.Format(time.RFC3339), got, want,
						st.Status, st.NextDue.Format(time.RFC3339), st.NextDeadline.Format(time.RFC3339))
				}
			}
			ok := checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: -1, Method: "GET"}

			st := checklogic.Initial()
			expect("created", st, t0, badge.New)

			st = checklogic.OnPing(c, st, ok, t0).State
			expect("just pinged", st, t0.Add(time.Second), badge.Up)
			expect("between two runs", st, t0.Add(sp.between), badge.Up)
			if sp.typ != messages.ScheduleInterval && st.NextDue.Sub(t0) < 12*time.Hour {
				t.Fatalf("the next run is due %s after the ping: not the daily 03:00 run", st.NextDue.Sub(t0))
			}
			expect("a minute before the run is due", st, st.NextDue.Add(-time.Minute), badge.Up)
			expect("past the due time, within grace", st, st.NextDue.Add(time.Minute), badge.Late)

			missed := checklogic.OnTick(c, st, st.NextDeadline.Add(time.Second))
			if missed.Flip == nil {
				t.Fatal("the missed deadline flipped nothing")
			}
			expect("after the missed deadline", missed.State, st.NextDeadline.Add(time.Second), badge.Down)

			back := st.NextDeadline.Add(time.Minute)
			st = checklogic.OnPing(c, missed.State, ok, back).State
			expect("pinged again", st, back.Add(time.Second), badge.Up)

			fail := ok
			fail.Kind = messages.KindFail
			st = checklogic.OnPing(c, st, fail, back.Add(time.Minute)).State
			expect("a fail ping", st, back.Add(2*time.Minute), badge.Down)

			st = checklogic.OnPause(c, st, back.Add(3*time.Minute)).State
			expect("paused", st, back.Add(4*time.Minute), badge.Paused)
			// Long after what would have been its deadline, a paused check is paused.
			expect("paused, a week later", st, back.Add(7*24*time.Hour), badge.Paused)
		})
	}
}
