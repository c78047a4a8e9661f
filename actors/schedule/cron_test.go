package schedule_test

import (
	"testing"

	"github.com/ttr-rip/ttr/messages"
)

// 2026-01-01 is a Thursday.
const jan1 = "2026-01-01T00:00:00Z"

func TestCronNext(t *testing.T) {
	runNextTable(t, messages.ScheduleCron, []nextCase{
		{"every minute", "* * * * *", "", jan1,
			[]string{"2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z", "2026-01-01T00:03:00Z"}},
		{"every minute from last second", "* * * * *", "", "2026-01-01T00:00:59.999Z",
			[]string{"2026-01-01T00:01:00Z"}},
		{"strictly after, with nanoseconds", "* * * * *", "", "2026-01-01T00:01:00.000000001Z",
			[]string{"2026-01-01T00:02:00Z"}},
		{"every 15 minutes", "*/15 * * * *", "", "2026-01-01T00:07:30Z",
			[]string{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"}},
		{"range with step", "1-10/3 * * * *", "", jan1,
			[]string{"2026-01-01T00:01:00Z", "2026-01-01T00:04:00Z", "2026-01-01T00:07:00Z", "2026-01-01T00:10:00Z", "2026-01-01T01:01:00Z"}},
		{"value with step", "5/20 * * * *", "", jan1,
			[]string{"2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:05:00Z"}},
		{"fixed time daily", "5 4 * * *", "", jan1,
			[]string{"2026-01-01T04:05:00Z", "2026-01-02T04:05:00Z"}},
		{"weekdays by name", "0 9 * * MON-FRI", "", jan1,
			[]string{"2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z"}},
		{"weekday step", "0 12 * * 1-5/2", "", jan1,
			[]string{"2026-01-02T12:00:00Z", "2026-01-05T12:00:00Z", "2026-01-07T12:00:00Z"}},
		{"weekend range ending on SUN", "0 22 * * fri-sun", "", jan1,
			[]string{"2026-01-02T22:00:00Z", "2026-01-03T22:00:00Z", "2026-01-04T22:00:00Z", "2026-01-09T22:00:00Z"}},
		{"weekday 7 is Sunday", "0 0 * * 7", "", jan1,
			[]string{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"}},
		{"weekday 0 is Sunday", "0 0 * * 0", "", jan1,
			[]string{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"}},
		{"days of month list", "0 0 1,15 * *", "", jan1,
			[]string{"2026-01-15T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-15T00:00:00Z"}},
		{"month names mixed case", "30 12 * JAN,jun *", "", "2026-01-31T13:00:00Z",
			[]string{"2026-06-01T12:30:00Z", "2026-06-02T12:30:00Z"}},
		{"31st skips short months", "0 0 31 * *", "", jan1,
			[]string{"2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"}},
		{"29 February", "0 0 29 2 *", "", jan1,
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"Vixie OR: 13th or Friday", "0 0 13 * 5", "", jan1,
			[]string{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z"}},
		{"Vixie OR: 1st or Monday", "0 0 1 * MON", "", jan1,
			[]string{"2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z", "2026-01-26T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"}},
		{"Vixie OR: 30 February or Monday", "0 0 30 2 1", "", jan1,
			[]string{"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"}},
		{"AND when day of month starts with *", "0 0 */10 * 1", "", jan1,
			[]string{"2026-05-11T00:00:00Z", "2026-06-01T00:00:00Z"}},
		{"AND when day of week starts with *", "0 0 29 2 */7", "", jan1,
			[]string{"2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z", "2088-02-29T00:00:00Z", "2128-02-29T00:00:00Z"}},
		{"@hourly", "@hourly", "", jan1,
			[]string{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"}},
		{"@daily", "@daily", "", jan1,
			[]string{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"}},
		{"@midnight", "@midnight", "", jan1,
			[]string{"2026-01-02T00:00:00Z"}},
		{"@weekly", "@weekly", "", jan1,
			[]string{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"}},
		{"@monthly", "@monthly", "", jan1,
			[]string{"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"}},
		{"@yearly", "@yearly", "", jan1,
			[]string{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}},
		{"@annually", "@annually", "", jan1,
			[]string{"2027-01-01T00:00:00Z"}},
		{"zone east of UTC", "0 9 * * *", "Asia/Tokyo", "2025-12-31T23:00:00Z",
			[]string{"2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"}},
		{"half-hour zone", "0 * * * *", "Asia/Kolkata", jan1,
			[]string{"2026-01-01T00:30:00Z", "2026-01-01T01:30:00Z"}},
		{"zone west of UTC, weekdays", "0 9 * * 1-5", "America/New_York", jan1,
			[]string{"2026-01-01T14:00:00Z", "2026-01-02T14:00:00Z", "2026-01-05T14:00:00Z"}},
		{"year boundary", "59 23 31 12 *", "", "2026-12-31T23:59:00Z",
			[]string{"2027-12-31T23:59:00Z"}},
	})
}
