package schedule_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// DST transitions used below (2026):
//
//	Europe/Berlin     spring forward Sun 29 Mar at 01:00Z: 02:00 CET → 03:00 CEST (02:00-02:59 does not exist)
//	                  fall back      Sun 25 Oct at 01:00Z: 03:00 CEST → 02:00 CET (02:00-02:59 occurs twice)
//	America/New_York  spring forward Sun  8 Mar at 07:00Z: 02:00 EST → 03:00 EDT
//	                  fall back      Sun  1 Nov at 06:00Z: 02:00 EDT → 01:00 EST (01:00-01:59 occurs twice)
//	Australia/Lord_Howe (30-minute shift)
//	                  fall back      Sun  5 Apr at 15:00Z (4 Apr UTC): 02:00 +11 → 01:30 +10:30 (01:30-01:59 twice)
//	                  spring forward Sun  4 Oct at 15:30Z (3 Oct UTC): 02:00 +10:30 → 02:30 +11 (02:00-02:29 missing)
//
// Rules: a nonexistent local time is skipped; a repeated one fires once, at
// its first occurrence.

type dstCase struct {
	name     string
	cron     string // "" = no cron variant
	calendar string // "" = no OnCalendar variant
	tz       string
	from     string
	want     []string
}

var dstCases = []dstCase{
	// Europe/Berlin.
	{"Berlin 02:30 daily is skipped on the spring-forward day", "30 2 * * *", "*-*-* 02:30", "Europe/Berlin", "2026-03-27T12:00:00Z",
		[]string{"2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}},
	{"Berlin 02:30 daily fires once, first occurrence, on the fall-back day", "30 2 * * *", "*-*-* 02:30", "Europe/Berlin", "2026-10-23T12:00:00Z",
		[]string{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
	{"Berlin hourly across spring forward", "0 * * * *", "hourly", "Europe/Berlin", "2026-03-28T23:30:00Z",
		[]string{"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"}},
	{"Berlin hourly across fall back", "0 * * * *", "hourly", "Europe/Berlin", "2026-10-24T23:30:00Z",
		[]string{"2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"}},
	{"Berlin every 15 minutes across spring forward", "*/15 * * * *", "*:0/15", "Europe/Berlin", "2026-03-29T00:30:00Z",
		[]string{"2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"}},
	{"Berlin every 15 minutes across fall back", "*/15 * * * *", "*:0/15", "Europe/Berlin", "2026-10-24T23:50:00Z",
		[]string{"2026-10-25T00:00:00Z", "2026-10-25T00:15:00Z", "2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z", "2026-10-25T02:15:00Z"}},
	{"Berlin every 15 minutes from inside the first pass", "*/15 * * * *", "*:0/15", "Europe/Berlin", "2026-10-25T00:20:00Z",
		[]string{"2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z"}},
	{"Berlin every 15 minutes from inside the repeated hour", "*/15 * * * *", "*:0/15", "Europe/Berlin", "2026-10-25T01:20:00Z",
		[]string{"2026-10-25T02:00:00Z", "2026-10-25T02:15:00Z"}},
	{"Berlin 02:30 daily from inside the repeated hour", "30 2 * * *", "*-*-* 02:30", "Europe/Berlin", "2026-10-25T01:20:00Z",
		[]string{"2026-10-26T01:30:00Z"}},
	{"Berlin 02:30 daily from between the two occurrences", "30 2 * * *", "*-*-* 02:30", "Europe/Berlin", "2026-10-25T00:45:00Z",
		[]string{"2026-10-26T01:30:00Z"}},
	{"Berlin zone suffix wins over Spec.TZ", "", "*:0/15 Europe/Berlin", "America/New_York", "2026-10-24T23:50:00Z",
		[]string{"2026-10-25T00:00:00Z", "2026-10-25T00:15:00Z", "2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z"}},
	{"Berlin every second across the gap", "", "*:*:0/30", "Europe/Berlin", "2026-03-29T00:59:00Z",
		[]string{"2026-03-29T00:59:30Z", "2026-03-29T01:00:00Z", "2026-03-29T01:00:30Z"}},
	{"Berlin every 30 seconds across fall back", "", "*:*:0/30", "Europe/Berlin", "2026-10-25T00:59:00Z",
		[]string{"2026-10-25T00:59:30Z", "2026-10-25T02:00:00Z", "2026-10-25T02:00:30Z"}},

	// America/New_York.
	{"New York 02:30 daily is skipped on the spring-forward day", "30 2 * * *", "*-*-* 02:30", "America/New_York", "2026-03-06T12:00:00Z",
		[]string{"2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}},
	{"New York 01:30 daily fires once on the fall-back day", "30 1 * * *", "*-*-* 01:30", "America/New_York", "2026-10-31T12:00:00Z",
		[]string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
	{"New York hourly across spring forward", "0 * * * *", "hourly", "America/New_York", "2026-03-08T05:30:00Z",
		[]string{"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}},
	{"New York hourly across fall back", "0 * * * *", "hourly", "America/New_York", "2026-11-01T04:30:00Z",
		[]string{"2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"}},
	{"New York every 15 minutes across spring forward", "*/15 * * * *", "*:0/15", "America/New_York", "2026-03-08T06:40:00Z",
		[]string{"2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"}},
	{"New York every 15 minutes across fall back", "*/15 * * * *", "*:0/15", "America/New_York", "2026-11-01T04:50:00Z",
		[]string{"2026-11-01T05:00:00Z", "2026-11-01T05:15:00Z", "2026-11-01T05:30:00Z", "2026-11-01T05:45:00Z", "2026-11-01T07:00:00Z"}},
	{"New York weekdays 02:15 skip the gap, then resume", "15 2 * * 0-1", "Sun,Mon 02:15", "America/New_York", "2026-03-07T12:00:00Z",
		[]string{"2026-03-09T06:15:00Z", "2026-03-15T06:15:00Z"}},

	// Australia/Lord_Howe: 30-minute shifts.
	{"Lord Howe every 15 minutes across fall back", "*/15 * * * *", "*:0/15", "Australia/Lord_Howe", "2026-04-04T14:10:00Z",
		[]string{"2026-04-04T14:15:00Z", "2026-04-04T14:30:00Z", "2026-04-04T14:45:00Z", "2026-04-04T15:30:00Z", "2026-04-04T15:45:00Z"}},
	{"Lord Howe every 15 minutes across spring forward", "*/15 * * * *", "*:0/15", "Australia/Lord_Howe", "2026-10-03T15:00:00Z",
		[]string{"2026-10-03T15:15:00Z", "2026-10-03T15:30:00Z", "2026-10-03T15:45:00Z"}},
	{"Lord Howe hourly across both", "0 * * * *", "hourly", "Australia/Lord_Howe", "2026-04-04T13:30:00Z",
		[]string{"2026-04-04T14:00:00Z", "2026-04-04T15:30:00Z", "2026-04-04T16:30:00Z"}},
	{"Lord Howe 02:15 skipped on the spring-forward day", "15 2 * * *", "*-*-* 02:15", "Australia/Lord_Howe", "2026-10-02T12:00:00Z",
		[]string{"2026-10-02T15:45:00Z", "2026-10-04T15:15:00Z"}},

	// A zone whose gap swallows midnight (America/Santiago: 6 Sep 2026
	// 00:00 -04 → 01:00 -03), and Samoa's skipped day (Pacific/Apia, 30 Dec 2011).
	{"Santiago midnight does not exist on the spring-forward day", "0 0 * * *", "daily", "America/Santiago", "2026-09-04T12:00:00Z",
		[]string{"2026-09-05T04:00:00Z", "2026-09-07T03:00:00Z"}},
	// Apia: 29 Dec 12:00 (-10) = 22:00Z; local 30 Dec does not exist;
	// 31 Dec 12:00 (+14) = 30 Dec 22:00Z.
	{"Apia skipped day", "0 12 * * *", "12:00", "Pacific/Apia", "2011-12-28T23:00:00Z",
		[]string{"2011-12-29T22:00:00Z", "2011-12-30T22:00:00Z", "2011-12-31T22:00:00Z"}},
	{"Apia skipped day, every 6 hours", "0 */6 * * *", "0/6:00", "Pacific/Apia", "2011-12-29T23:00:00Z",
		[]string{"2011-12-30T04:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T16:00:00Z"}},
}

func TestDSTCron(t *testing.T) {
	var cases []nextCase
	for _, c := range dstCases {
		if c.cron != "" {
			cases = append(cases, nextCase{c.name, c.cron, c.tz, c.from, c.want})
		}
	}
	runNextTable(t, messages.ScheduleCron, cases)
}

func TestDSTOnCalendar(t *testing.T) {
	var cases []nextCase
	for _, c := range dstCases {
		if c.calendar != "" {
			cases = append(cases, nextCase{c.name, c.calendar, c.tz, c.from, c.want})
		}
	}
	runNextTable(t, messages.ScheduleOnCalendar, cases)
}

// TestDSTBruteForce checks Next against an independent oracle around every
// 2026 offset change of several zones: step through UTC minute by minute,
// and fire at an instant when its local wall clock matches the predicate
// and has not been seen before (so a repeated local time fires once, at its
// first occurrence, and a nonexistent one never).
func TestDSTBruteForce(t *testing.T) {
	type wallClock struct{ y, mo, d, h, mi int }
	exprs := []struct {
		cron, calendar string
		match          func(w wallClock, wd time.Weekday) bool
	}{
		{"*/15 * * * *", "*:0/15", func(w wallClock, _ time.Weekday) bool { return w.mi%15 == 0 }},
		{"0 * * * *", "hourly", func(w wallClock, _ time.Weekday) bool { return w.mi == 0 }},
		{"30 2 * * *", "*-*-* 02:30", func(w wallClock, _ time.Weekday) bool { return w.h == 2 && w.mi == 30 }},
		{"0,30 0-3 * * *", "0..3:0,30", func(w wallClock, _ time.Weekday) bool { return w.h <= 3 && w.mi%30 == 0 }},
		{"*/7 */2 * * *", "0/2:0/7", func(w wallClock, _ time.Weekday) bool { return w.h%2 == 0 && w.mi%7 == 0 }},
		{"45 1 * * 0", "Sun 01:45", func(w wallClock, wd time.Weekday) bool { return w.h == 1 && w.mi == 45 && wd == time.Sunday }},
		{"0 0 * * *", "daily", func(w wallClock, _ time.Weekday) bool { return w.h == 0 && w.mi == 0 }},
		{"59 23 * * *", "23:59", func(w wallClock, _ time.Weekday) bool { return w.h == 23 && w.mi == 59 }},
	}
	zones := []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham", "Antarctica/Troll", "America/Havana", "Asia/Gaza"}
	for _, zone := range zones {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		// Offset changes in 2026, found hour by hour.
		var transitions []time.Time
		for tm := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() < 2027; tm = tm.Add(time.Hour) {
			_, o1 := tm.In(loc).Zone()
			_, o2 := tm.Add(time.Hour).In(loc).Zone()
			if o1 != o2 {
				transitions = append(transitions, tm)
			}
		}
		if len(transitions) == 0 {
			t.Fatalf("%s: no offset change found in 2026", zone)
		}
		for _, tr := range transitions {
			from := tr.Add(-30 * time.Hour)
			to := tr.Add(30 * time.Hour)
			for _, e := range exprs {
				seen := map[wallClock]bool{}
				for tm := from.Add(-3 * time.Hour); !tm.After(from); tm = tm.Add(time.Minute) {
					l := tm.In(loc)
					seen[wallClock{l.Year(), int(l.Month()), l.Day(), l.Hour(), l.Minute()}] = true
				}
				var want []string
				for tm := from.Add(time.Minute); tm.Before(to); tm = tm.Add(time.Minute) {
					l := tm.In(loc)
					w := wallClock{l.Year(), int(l.Month()), l.Day(), l.Hour(), l.Minute()}
					if !seen[w] && e.match(w, l.Weekday()) {
						want = append(want, tm.Format(time.RFC3339))
					}
					seen[w] = true
				}
				for _, v := range []struct {
					typ  messages.ScheduleType
					expr string
				}{{messages.ScheduleCron, e.cron}, {messages.ScheduleOnCalendar, e.calendar}} {
					name := fmt.Sprintf("%s/%s/%s/%s", zone, tr.Format("2006-01-02T15"), v.typ, v.expr)
					t.Run(name, func(t *testing.T) {
						s, err := schedule.ParseAt(schedule.Spec{Type: v.typ, Expr: v.expr, TZ: zone}, from)
						if err != nil {
							t.Fatal(err)
						}
						var got []string
						for at := from; ; {
							n, ok := s.Next(at)
							if !ok || !n.Before(to) {
								break
							}
							got = append(got, n.Format(time.RFC3339))
							at = n
						}
						if strings.Join(got, " ") != strings.Join(want, " ") {
							t.Fatalf("got  %v\nwant %v", got, want)
						}
					})
				}
			}
		}
	}
}
