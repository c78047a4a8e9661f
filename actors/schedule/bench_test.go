package schedule_test

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

func BenchmarkNext(b *testing.B) {
	from := time.Date(2026, 6, 15, 12, 34, 56, 0, time.UTC)
	for _, bc := range []struct {
		name string
		spec schedule.Spec
	}{
		{"interval", schedule.Spec{Type: messages.ScheduleInterval, IntervalSeconds: 300}},
		{"cron every 5 min UTC", schedule.Spec{Type: messages.ScheduleCron, Expr: "*/5 * * * *"}},
		{"cron weekdays Berlin", schedule.Spec{Type: messages.ScheduleCron, Expr: "30 9 * * MON-FRI", TZ: "Europe/Berlin"}},
		{"cron Feb 29 Sunday", schedule.Spec{Type: messages.ScheduleCron, Expr: "0 0 29 2 */7", TZ: "America/New_York"}},
		{"calendar daily Berlin", schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "daily", TZ: "Europe/Berlin"}},
		{"calendar Fri 13th", schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "Fri *-*-13 12:00"}},
		{"calendar leap day", schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "*-02-29 00:00:00", TZ: "Australia/Lord_Howe"}},
		{"calendar 2199", schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "2199-12-31"}},
		{"calendar 4 lines", schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "Mon 09:00\nTue..Fri 10:00\n*-*~01 23:00\n*:0/15 America/New_York"}},
	} {
		s, err := schedule.ParseAt(bc.spec, from)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := s.Next(from); !ok {
					b.Fatal("no next")
				}
			}
		})
	}
}

func BenchmarkParseNeverFires(b *testing.B) {
	from := time.Date(2026, 6, 15, 12, 34, 56, 0, time.UTC)
	for _, bc := range []struct {
		name string
		spec schedule.Spec
	}{
		{"cron only in DST gaps", schedule.Spec{Type: messages.ScheduleCron, Expr: "30 2 25-31 3 */7", TZ: "Europe/Berlin"}},
		{"calendar only in DST gaps", schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "Sun *-03-25..31 02:00..59:* Europe/Berlin"}},
		{"calendar 30 Feb", schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "*-02-30 *:*:*"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := schedule.ParseAt(bc.spec, from); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
