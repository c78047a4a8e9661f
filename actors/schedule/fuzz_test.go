package schedule_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// callBudget bounds each Parse or Next call on any input. Typical calls
// take microseconds; the bound is generous for -race and slow machines.
const callBudget = 100 * time.Millisecond

var fuzzZones = []string{"", "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "America/Santiago", "Asia/Kolkata", "Pacific/Chatham", "Antarctica/Troll"}

// fuzzTime maps an arbitrary int64 to an instant between 1900 and 2300.
func fuzzTime(x int64) time.Time {
	const span = 400 * 365 * 86400
	m := x % span
	if m < 0 {
		m += span
	}
	return time.Unix(-2208988800+m, (x&0x3fffffff)%1e9)
}

// checkSchedule parses spec and checks the invariants that must hold for
// any input: no panic, bounded time, *Error on failure, and Next strictly
// after its argument, in UTC, with nothing skipped just before it. The
// checks run on another goroutine so that even a call that never returns
// is reported (with its input) instead of stalling the fuzzer.
func checkSchedule(t *testing.T, spec schedule.Spec, now time.Time) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- scheduleInvariants(spec, now) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(100 * callBudget):
		t.Fatalf("ParseAt/Next on %+v (now %v) did not return within %v", spec, now, 100*callBudget)
	}
}

// slow reports whether f takes longer than callBudget. A slow run is
// repeated so that a scheduling hiccup on a loaded machine is not mistaken
// for an input that is slow every time.
func slow(f func()) (time.Duration, bool) {
	var d time.Duration
	for range 3 {
		start := time.Now()
		f()
		if d = time.Since(start); d <= callBudget {
			return d, false
		}
	}
	return d, true
}

func scheduleInvariants(spec schedule.Spec, now time.Time) error {
	var s schedule.Schedule
	var err error
	if d, bad := slow(func() { s, err = schedule.ParseAt(spec, now) }); bad {
		return fmt.Errorf("ParseAt(%+v) took %v", spec, d)
	}
	if err != nil {
		var se *schedule.Error
		if !errors.As(err, &se) || se.Error() == "" {
			return fmt.Errorf("ParseAt(%+v): error %v (%T) is not a non-empty *schedule.Error", spec, err, err)
		}
		return nil
	}
	at := now
	for i := 0; i < 4; i++ {
		var next time.Time
		var ok bool
		if d, bad := slow(func() { next, ok = s.Next(at) }); bad {
			return fmt.Errorf("%+v: Next(%v) took %v", spec, at, d)
		}
		if i == 0 && !ok {
			return fmt.Errorf("%+v: parsed at %v but Next(%v) has no occurrence", spec, now, at)
		}
		if !ok {
			return nil
		}
		if !next.After(at) || next.Location() != time.UTC {
			return fmt.Errorf("%+v: Next(%v) = %v, not strictly after it or not UTC", spec, at, next)
		}
		// Nothing fires between at and next, so just before next the
		// answer must be next again.
		if before := next.Add(-time.Nanosecond); before.After(at) {
			if again, ok := s.Next(before); !ok || !again.Equal(next) {
				return fmt.Errorf("%+v: Next(%v) = %v but Next(%v) = %v, %v", spec, at, next, before, again, ok)
			}
		}
		at = next
		if i == 1 {
			at = next.Add(37*time.Hour + 11*time.Minute + 13*time.Second) // jump ahead
		}
	}
	return nil
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{
		"* * * * *", "*/15 * * * *", "0 9 * * MON-FRI", "30 2 * * *", "0 0 13 * 5", "0 0 */10 * 1",
		"0 0 29 2 */7", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "@hourly", "@weekly", "@yearly", "@reboot",
		"1-10/3 5/20 1,15 jan-jun/2 sun-sat", "0 0 * * 7", "59 23 31 12 *", "0 */6 * * fri-sun",
		"0 0 * * 5#3", "0 0 L * *", "0 0 1 * * 2026", "60 * * * *", "*/0 * * * *", "1,,2 * * * *",
		"99999999999999999999 * * * *", "-1 * * * *", "\t0\t0 * * *", "0 0 29 2 1",
	} {
		for i := range 4 {
			f.Add(s, uint8(i), int64(1767225600+i*86400*97))
		}
	}
	f.Fuzz(func(t *testing.T, expr string, zone uint8, unix int64) {
		tz := fuzzZones[int(zone)%len(fuzzZones)]
		checkSchedule(t, schedule.Spec{Type: messages.ScheduleCron, Expr: expr, TZ: tz}, fuzzTime(unix))
	})
}

func FuzzParseOnCalendar(f *testing.F) {
	for _, s := range []string{
		"daily", "hourly", "minutely", "weekly", "monthly", "yearly", "quarterly", "semiannually", "anually",
		"Mon..Fri 09:00", "Sat,Sun 10:30", "Wed, 17:48", "Mon-Wed 12:00", "Mon *-*-1..7 00:00",
		"*-02~01", "*-*~03", "Mon *-05~07/1", "*-*~1..5/2", "*-01~1..6/2", "Fri *-*-13",
		"*-*-* 8..18/2:00", "*:0/15", "*:*:0/20", "*:*:*", "*:*:0/0.000001", "*-*-1/2 06:00", "*-1/3-1",
		"2027-*-* 12:00", "2026..2030-06-15", "2026/4-01-01", "2028-02-29", "*-02-29 00:00:00", "*-02-30",
		"2199-12-31", "2199-12-31 23:59:59.999999", "12,14,13,12:20,10,30", "03-05 08:05:40",
		"Mon,Sun 27-*-* 2,1:23", "*-*-* 1:2:3.5", "*:*:0/7.5", "*:*:5.1234567", "@2000000000", "@0",
		"daily Europe/Berlin", "*:0/15 America/New_York", "weekly Pacific/Auckland", "daily utc",
		"12:00 Mars/Olympus", "Mon..Wed..Fri", "Fri..Mon", "*-*-*/2", "*-*~29", "*-05~1/2",
		"Mon 09:00\nFri 17:00", "daily\n*-02-30", "Sun *-03-25..31 02:00..02:59:*",
		"Sun *-03-25..31 02:00..02:59:* Europe/Berlin", "*-*-* 02:30 Europe/Berlin",
		"Sat *-12~01/1 23:59:59", "1970-01-01", "*-*-* *:*:59.9999994", "0/1:0/1:0/0.5",
	} {
		for i := range 3 {
			f.Add(s, uint8(i+1), int64(1767225600+i*86400*113))
		}
	}
	f.Fuzz(func(t *testing.T, expr string, zone uint8, unix int64) {
		tz := fuzzZones[int(zone)%len(fuzzZones)]
		checkSchedule(t, schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: expr, TZ: tz}, fuzzTime(unix))
	})
}
