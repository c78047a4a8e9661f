package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

func TestParseErrors(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	cron := func(expr string) schedule.Spec { return schedule.Spec{Type: messages.ScheduleCron, Expr: expr} }
	cal := func(expr string) schedule.Spec { return schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: expr} }
	cases := []struct {
		name string
		spec schedule.Spec
		want []string // substrings of the message
	}{
		// Type, interval and zone.
		{"type missing", schedule.Spec{}, []string{"schedule type is missing"}},
		{"type unknown", schedule.Spec{Type: "weekly"}, []string{`unknown schedule type "weekly"`}},
		{"interval zero", schedule.Spec{Type: messages.ScheduleInterval}, []string{"interval of 0 seconds out of range 1-31536000"}},
		{"interval negative", schedule.Spec{Type: messages.ScheduleInterval, IntervalSeconds: -60}, []string{"interval of -60 seconds out of range"}},
		{"interval over a year", schedule.Spec{Type: messages.ScheduleInterval, IntervalSeconds: 365*86400 + 1}, []string{"interval of 31536001 seconds out of range"}},
		{"zone unknown", schedule.Spec{Type: messages.ScheduleCron, Expr: "* * * * *", TZ: "Mars/Olympus"}, []string{`unknown time zone "Mars/Olympus"`}},
		{"zone wrong case", schedule.Spec{Type: messages.ScheduleCron, Expr: "* * * * *", TZ: "europe/berlin"}, []string{`unknown time zone "europe/berlin"`}},
		{"zone Local", schedule.Spec{Type: messages.ScheduleCron, Expr: "* * * * *", TZ: "Local"}, []string{`unknown time zone "Local"`}},
		{"zone path", schedule.Spec{Type: messages.ScheduleCron, Expr: "* * * * *", TZ: "../../etc/passwd"}, []string{`unknown time zone "../../etc/passwd"`}},
		{"zone on interval", schedule.Spec{Type: messages.ScheduleInterval, IntervalSeconds: 60, TZ: "Nowhere/Special"}, []string{`unknown time zone "Nowhere/Special"`}},

		// Cron.
		{"cron empty", cron("  "), []string{"cron: expression is empty"}},
		{"cron 4 fields", cron("* * * *"), []string{"expected 5 fields", "got 4"}},
		{"cron seconds field", cron("0 */5 * * * *"), []string{"expected 5 fields", "got 6", "seconds"}},
		{"cron minute range", cron("60 * * * *"), []string{`cron: field "minute": value 60 out of range 0-59`}},
		{"cron hour range", cron("0 24 * * *"), []string{`cron: field "hour": value 24 out of range 0-23`}},
		{"cron dom range", cron("0 0 32 * *"), []string{`cron: field "day of month": value 32 out of range 1-31`}},
		{"cron dom zero", cron("0 0 0 * *"), []string{`cron: field "day of month": value 0 out of range 1-31`}},
		{"cron month range", cron("0 0 * 13 *"), []string{`cron: field "month": value 13 out of range 1-12`}},
		{"cron dow range", cron("0 0 * * 8"), []string{`cron: field "day of week": value 8 out of range 0-7`}},
		{"cron huge value", cron("99999999999999999999 * * * *"), []string{`cron: field "minute": value 99999999999999999999 out of range 0-59`}},
		{"cron step zero", cron("*/0 * * * *"), []string{`cron: field "minute": step 0 out of range 1-59`}},
		{"cron step too big", cron("0 */24 * * *"), []string{`cron: field "hour": step 24 out of range 1-23`}},
		{"cron huge step", cron("*/99999999999999999999 * * * *"), []string{"step 99999999999999999999 out of range"}},
		{"cron double step", cron("*/5/2 * * * *"), []string{`invalid step "5/2"`}},
		{"cron empty list element", cron("1,,2 * * * *"), []string{`cron: field "minute": empty element in list "1,,2"`}},
		{"cron trailing comma", cron("0 0 * * 1,"), []string{`field "day of week": empty element`}},
		{"cron backwards range", cron("0 22-2 * * *"), []string{`cron: field "hour": range 22-2 goes backwards`}},
		{"cron garbage", cron("x * * * *"), []string{`cron: field "minute": invalid value "x"`}},
		{"cron negative", cron("-1 * * * *"), []string{`cron: field "minute": missing value`}},
		{"cron open range", cron("0 0 * * MON-"), []string{`field "day of week": missing value`}},
		{"cron unknown month name", cron("0 0 1 FOO *"), []string{`cron: field "month": unknown name "FOO"`}},
		{"cron weekday name in month", cron("0 0 1 MON *"), []string{`field "month": unknown name "MON"`}},
		{"cron L", cron("0 0 L * *"), []string{`"L" is not supported`}},
		{"cron hash", cron("0 0 * * 5#3"), []string{`"5#3" is not supported`}},
		{"cron question mark", cron("0 0 ? * 1"), []string{`"?" is not supported`}},
		{"cron reboot", cron("@reboot"), []string{`unknown macro "@reboot"`}},
		{"cron every", cron("@every 5m"), []string{`unknown macro "@every 5m"`}},
		{"cron never fires 30 Feb", cron("0 0 30 2 *"), []string{`cron expression "0 0 30 2 *" never fires`}},
		{"cron never fires 31 short months", cron("0 0 31 4,6,9,11 *"), []string{`cron expression "0 0 31 4,6,9,11 *" never fires`}},
		{"cron never fires with star dow", cron("0 0 31 2 */2"), []string{"never fires"}},
		{"cron only inside DST gaps", schedule.Spec{Type: messages.ScheduleCron, Expr: "30 2 25-31 3 */7", TZ: "Europe/Berlin"}, []string{`cron expression "30 2 25-31 3 */7" never fires`}},

		// OnCalendar.
		{"cal empty", cal(""), []string{"oncalendar: expression is empty"}},
		{"cal blank lines", cal(" \n\t\n"), []string{"oncalendar: expression is empty"}},
		{"cal garbage", cal("bogus"), []string{`oncalendar expression "bogus"`, `expected a weekday, a date or a time at "bogus"`}},
		{"cal day range", cal("*-*-32"), []string{`oncalendar expression "*-*-32": day 32 out of range 1-31`}},
		{"cal day zero", cal("*-*-0"), []string{"day 0 out of range 1-31"}},
		{"cal month range", cal("*-13-01"), []string{"month 13 out of range 1-12"}},
		{"cal hour range", cal("25:00"), []string{"hour 25 out of range 0-23"}},
		{"cal minute range", cal("12:60"), []string{"minute 60 out of range 0-59"}},
		{"cal second range", cal("12:00:60"), []string{"second 60 out of range 0-59.999999"}},
		{"cal year too early", cal("1969-01-01"), []string{"year 1969 out of range 1970-2199"}},
		{"cal year too late", cal("2200-01-01"), []string{"year 2200 out of range 1970-2199"}},
		{"cal three-digit year", cal("100-01-01"), []string{"year 100 out of range"}},
		{"cal huge number", cal("99999999999:00"), []string{"number 99999999999 is too large"}},
		{"cal never fires 30 Feb", cal("*-02-30"), []string{`oncalendar expression "*-02-30" never fires`}},
		{"cal never fires 31 short months", cal("*-04,06,09,11-31 12:00"), []string{"never fires"}},
		{"cal only inside DST gaps", cal("Sun *-03-25..31 02:00..59:* Europe/Berlin"), []string{"never fires"}},
		{"cal past year", cal("2024-01-01"), []string{`oncalendar expression "2024-01-01" never fires again`, "in the past"}},
		{"cal past two-digit year", cal("12-*-*"), []string{"never fires again"}},
		{"cal past epoch", cal("@1700000000"), []string{"never fires again"}},
		{"cal epoch garbage", cal("@abc"), []string{`"@" must be followed by seconds`}},
		{"cal epoch too late", cal("@99999999999"), []string{"timestamp @99999999999 is after 2199"}},
		{"cal weekday backwards", cal("Fri..Mon"), []string{"weekday range Fri..Mon goes backwards"}},
		{"cal weekday chained", cal("Mon..Wed..Fri"), []string{"weekday ranges cannot be chained"}},
		{"cal weekday open", cal("Mon.."), []string{"weekday range Mon.. has no end"}},
		{"cal weekday single dot", cal("Mon.Fri"), []string{`weekday range needs ".."`}},
		{"cal weekday misspelt", cal("Monx 12:00"), []string{`invalid weekday "Monx"`}},
		{"cal weekday empty element", cal("Mon,,Tue"), []string{`expected a weekday name at ",Tue"`}},
		{"cal weekday after date", cal("*-*-* Mon"), []string{`expected a number at "Mon"`}},
		{"cal seconds round up to 60", cal("*:*:59.9999995"), []string{"second 60 out of range 0-59.999999"}},
		{"cal hour only", cal("12"), []string{"a time needs at least hour:minute"}},
		{"cal zero repetition", cal("*-*-1/0"), []string{"repetition must be greater than zero"}},
		{"cal repetition never repeats", cal("*-*-31/1"), []string{"day 31/1 never repeats within 1-31"}},
		{"cal repetition too large", cal("*:0/60"), []string{"minute repetition /60 too large (at most 59)"}},
		{"cal empty range", cal("*-*-5..3"), []string{"day range 5..3 is empty"}},
		{"cal empty seconds range", cal("*:*:1.5..2"), []string{"seconds range 1.5..2 is empty"}},
		{"cal end of month too far", cal("*-*~29"), []string{"day counted from the end of the month 29 out of range 1-28"}},
		{"cal end of month repetition", cal("*-05~1/2"), []string{"day ~1/2 repeats past the end of the month"}},
		{"cal end of month misplaced", cal("2024~02~03"), []string{`"~" must separate the month and the day`}},
		{"cal too many date parts", cal("1-1-1-1"), []string{`unexpected "-1"`}},
		{"cal star step", cal("*-*-*/2"), []string{`unexpected "/2"`}},
		{"cal decimal point", cal("*:*:05."), []string{"expected digits after the decimal point"}},
		{"cal decimal in minute", cal("*:1.5"), []string{`unexpected ".5"`}},
		{"cal unknown zone", cal("12:00 Mars/Olympus"), []string{`oncalendar expression "12:00 Mars/Olympus": unknown time zone "Mars/Olympus"`}},
		{"cal zone wrong case", cal("daily europe/berlin"), []string{`unknown time zone "europe/berlin"`}},
		{"cal zone only", cal("Europe/Berlin"), []string{`expected a weekday, a date or a time at "Europe/Berlin"`}},
		{"cal tab", cal("Mon\t12:00"), []string{`invalid weekday`}},
		{"cal too many components", cal("*:" + strings.Repeat("1,", 240) + "1"), []string{"too many values in one list (at most 240)"}},
		{"cal second line", cal("daily\n\nbogus 12:00"), []string{`oncalendar line 3 "bogus 12:00"`}},
		{"cal second line never fires", cal("daily\n*-02-30"), []string{`oncalendar line 2 "*-02-30" never fires`}},
		{"cal too many lines", cal(strings.Repeat("daily\n", schedule.MaxCalendarLines+1)), []string{"too many expressions (65, at most 64)"}},
		{"cal line too long", cal("*:" + strings.Repeat("0", 1100)), []string{"too long"}},
		{"cal expr too long", cal(strings.Repeat("daily\n", 2000)), []string{"expressions too long"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := schedule.ParseAt(tc.spec, now)
			if err == nil {
				t.Fatalf("ParseAt(%+v) = %v, want an error", tc.spec, s)
			}
			var se *schedule.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *schedule.Error", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	cases := []schedule.Spec{
		{Type: messages.ScheduleInterval, IntervalSeconds: 1},
		{Type: messages.ScheduleInterval, IntervalSeconds: 365 * 86400},
		{Type: messages.ScheduleInterval, IntervalSeconds: 60, Expr: "ignored", TZ: "Europe/Berlin"},
		{Type: messages.ScheduleCron, Expr: "0 0 31 * *"},
		{Type: messages.ScheduleCron, Expr: "0 0 30 2 1"}, // Vixie: day 30 OR Monday
		{Type: messages.ScheduleCron, Expr: "0 0 29 2 *"},
		{Type: messages.ScheduleCron, Expr: " \t*/5  *\t* * *  "},
		{Type: messages.ScheduleCron, Expr: "@HOURLY"},
		{Type: messages.ScheduleCron, Expr: "0 0 * * 0-7", TZ: "UTC"},
		{Type: messages.ScheduleCron, Expr: "0 0 * * 1", TZ: "Etc/GMT+5"},
		{Type: messages.ScheduleOnCalendar, Expr: "DAILY"},
		{Type: messages.ScheduleOnCalendar, Expr: "anually"},
		{Type: messages.ScheduleOnCalendar, Expr: "bi-annually"},
		{Type: messages.ScheduleOnCalendar, Expr: "  Mon  12:00  "},
		{Type: messages.ScheduleOnCalendar, Expr: "*-*-* 00:00:00 UTC", TZ: "Asia/Tokyo"},
		{Type: messages.ScheduleOnCalendar, Expr: "2199-12-31 23:59:59"},
		{Type: messages.ScheduleOnCalendar, Expr: "8..18/20:00"},
		{Type: messages.ScheduleOnCalendar, Expr: "*:*:59.9999994"},
		{Type: messages.ScheduleOnCalendar, Expr: "daily\r\nweekly\r\n"},
	}
	for _, spec := range cases {
		t.Run(string(spec.Type)+" "+spec.Expr, func(t *testing.T) {
			s, err := schedule.ParseAt(spec, now)
			if err != nil {
				t.Fatalf("ParseAt(%+v): %v", spec, err)
			}
			if n, ok := s.Next(now); !ok || !n.After(now) {
				t.Fatalf("Next(%v) = %v, %v", now, n, ok)
			}
		})
	}
}

func TestParseUsesCurrentTime(t *testing.T) {
	past := time.Now().AddDate(-1, 0, 0).UTC().Format("2006-01-02 15:04:05")
	if _, err := schedule.Parse(schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: past}); err == nil {
		t.Errorf("Parse(%q) accepted a date in the past", past)
	}
	future := time.Now().AddDate(1, 0, 0).UTC().Format("2006-01-02 15:04:05")
	s, err := schedule.Parse(schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: future})
	if err != nil {
		t.Fatalf("Parse(%q): %v", future, err)
	}
	if _, ok := s.Next(time.Now()); !ok {
		t.Errorf("Next after now: no occurrence for %q", future)
	}
}

func TestInterval(t *testing.T) {
	s, err := schedule.Parse(schedule.Spec{Type: messages.ScheduleInterval, IntervalSeconds: 90})
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2026, 3, 29, 1, 59, 0, 123, berlin)
	next, ok := s.Next(last)
	if !ok || !next.Equal(last.Add(90*time.Second)) || next.Location() != time.UTC {
		t.Fatalf("Next(%v) = %v, %v; want %v in UTC", last, next, ok, last.Add(90*time.Second))
	}
	got := schedule.Preview(s, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 3)
	want := []string{"2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z", "2026-01-01T00:04:30Z"}
	if g := fmtTimes(got); strings.Join(g, " ") != strings.Join(want, " ") {
		t.Fatalf("Preview = %v, want %v", g, want)
	}
}

func TestPreview(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	daily, err := schedule.ParseAt(schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "daily"}, from)
	if err != nil {
		t.Fatal(err)
	}
	once, err := schedule.ParseAt(schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "2026-03-01 12:00"}, from)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		s    schedule.Schedule
		n    int
		want int
	}{
		{"five", daily, 5, 5},
		{"zero", daily, 0, 0},
		{"negative", daily, -3, 0},
		{"nil schedule", nil, 5, 0},
		{"capped", daily, 1 << 30, schedule.MaxPreview},
		{"stops when exhausted", once, 5, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := schedule.Preview(tc.s, from, tc.n)
			if len(got) != tc.want {
				t.Fatalf("Preview(n=%d) returned %d times, want %d", tc.n, len(got), tc.want)
			}
			prev := from
			for _, g := range got {
				if !g.After(prev) {
					t.Fatalf("Preview not strictly increasing: %v after %v", g, prev)
				}
				prev = g
			}
		})
	}
}

func TestNextExtremeTimes(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, spec := range []schedule.Spec{
		{Type: messages.ScheduleCron, Expr: "0 0 * * *", TZ: "America/New_York"},
		{Type: messages.ScheduleOnCalendar, Expr: "daily", TZ: "America/New_York"},
	} {
		s, err := schedule.ParseAt(spec, from)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			at time.Time
			ok bool
		}{
			{time.Time{}, true}, // 0001-01-01 UTC is year 0 in New York
			{time.Date(9999, 6, 1, 0, 0, 0, 0, time.UTC), spec.Type == messages.ScheduleCron}, // OnCalendar stops at 2199
			{time.Date(9999, 12, 31, 23, 59, 0, 0, time.UTC), false},                          // next would be in year 10000
			{time.Unix(1<<62, 0), false},
			{time.Unix(-1<<62, 0), false},
		} {
			n, ok := s.Next(tc.at)
			if ok != tc.ok || ok && !n.After(tc.at) {
				t.Errorf("%s %q: Next(%v) = %v, %v; want ok=%v", spec.Type, spec.Expr, tc.at, n, ok, tc.ok)
			}
		}
	}
}

func TestNextNoOccurrence(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := schedule.ParseAt(schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "2026-03-01 12:00\n2027-01-01"}, from)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from string
		want string // "" = none
	}{
		{"2026-01-01T00:00:00Z", "2026-03-01T12:00:00Z"},
		{"2026-03-01T12:00:00Z", "2027-01-01T00:00:00Z"},
		{"2027-01-01T00:00:00Z", ""},
		{"2300-01-01T00:00:00Z", ""},
		{"0001-01-01T00:00:00Z", "2026-03-01T12:00:00Z"},
	} {
		t.Run(tc.from, func(t *testing.T) {
			n, ok := s.Next(mustTime(t, tc.from))
			if tc.want == "" {
				if ok {
					t.Fatalf("Next = %v, want none", n)
				}
				return
			}
			if !ok || !n.Equal(mustTime(t, tc.want)) {
				t.Fatalf("Next = %v, %v; want %s", n, ok, tc.want)
			}
		})
	}
}
