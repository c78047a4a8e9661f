package web

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

func TestSpanText(t *testing.T) {
	for _, tc := range []struct {
		secs int64
		want string
	}{
		{0, "0 s"}, {1, "1 s"}, {59, "59 s"}, {60, "1 min"}, {90, "1 min 30 s"}, {300, "5 min"},
		{3600, "1 h"}, {3605, "1 h"}, {5400, "1 h 30 min"}, {86400, "1 d"}, {90000, "1 d 1 h"},
		{31536000, "365 d"},
	} {
		if got := spanText(tc.secs); got != tc.want {
			t.Errorf("spanText(%d) = %q, want %q", tc.secs, got, tc.want)
		}
	}
}

func TestSplitSpan(t *testing.T) {
	for _, tc := range []struct {
		secs int64
		n    int64
		unit string
	}{
		{0, 0, "seconds"}, {2, 2, "seconds"}, {90, 90, "seconds"}, {300, 5, "minutes"},
		{7200, 2, "hours"}, {86400, 1, "days"}, {90000, 25, "hours"},
	} {
		n, u := splitSpan(tc.secs)
		if n != tc.n || u != tc.unit {
			t.Errorf("splitSpan(%d) = %d %s, want %d %s", tc.secs, n, u, tc.n, tc.unit)
		}
		if n*unitSeconds(u) != tc.secs {
			t.Errorf("splitSpan(%d) does not round-trip", tc.secs)
		}
	}
	if unitSeconds("fortnights") != 0 {
		t.Error("an unknown unit has a length")
	}
}

func TestRelTime(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "never"},
		{now.Add(-2 * time.Second), "just now"},
		{now.Add(-5 * time.Minute), "5 min ago"},
		{now.Add(3 * time.Hour), "in 3 h"},
		{now.Add(-26 * time.Hour), "1 d 2 h ago"},
	} {
		if got := relTime(tc.t, now); got != tc.want {
			t.Errorf("relTime(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestScheduleText(t *testing.T) {
	for _, tc := range []struct {
		typ      messages.ScheduleType
		expr, tz string
		interval int64
		want     string
	}{
		{messages.ScheduleInterval, "", "UTC", 300, "every 5 min"},
		{messages.ScheduleInterval, "", "UTC", 86400, "every day"},
		{messages.ScheduleInterval, "", "UTC", 2, "every 2 s"},
		{messages.ScheduleCron, "0 3 * * *", "Europe/Berlin", 0, "0 3 * * * Europe/Berlin"},
		{messages.ScheduleCron, "*/5  * * * *", "UTC", 0, "*/5 * * * * UTC"},
		{messages.ScheduleOnCalendar, "Mon *-*-* 06:00\nFri 18:00", "UTC", 0, "Mon *-*-* 06:00 Fri 18:00 UTC"},
	} {
		if got := scheduleText(tc.typ, tc.expr, tc.tz, tc.interval); got != tc.want {
			t.Errorf("scheduleText(%s %q %s %d) = %q, want %q", tc.typ, tc.expr, tc.tz, tc.interval, got, tc.want)
		}
	}
}

func TestFieldOfError(t *testing.T) {
	for msg, want := range map[string]string{
		"schedule: expected 5 fields":                                "schedule",
		"slug \"x\" is already used by another of your checks":       "slug",
		"tz: unknown time zone Nowhere/City":                         "tz",
		"interval_seconds must be between 1 and 31536000 (365 days)": "interval",
		"content_rule.pattern is required":                           "content_pattern",
		`field "grace_seconds" must be an integer`:                   "grace",
		"webhook_url: must be an http or https URL":                  "webhook_url",
		"something else went wrong":                                  "",
		"":                                                           "",
	} {
		if got := fieldOfError(msg); got != want {
			t.Errorf("fieldOfError(%q) = %q, want %q", msg, got, want)
		}
	}
}
