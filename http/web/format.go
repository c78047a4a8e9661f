package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Pure formatting of what the check pages show: durations in human units, times relative to
// now, schedules in words, and which form field an API error is about.

// unit is a span a duration is written in.
type unit struct {
	secs        int64
	short, long string // "min", "minutes"
}

// units are the form's and the table's units, largest first.
var units = []unit{
	{86400, "d", "days"},
	{3600, "h", "hours"},
	{60, "min", "minutes"},
	{1, "s", "seconds"},
}

// spanText writes secs in at most two units: "5 min", "1 h 30 min", "2 d 3 h", "0 s".
func spanText(secs int64) string {
	if secs <= 0 {
		return "0 s"
	}
	var parts []string
	for _, u := range units {
		if secs >= u.secs {
			parts = append(parts, strconv.FormatInt(secs/u.secs, 10)+" "+u.short)
			secs %= u.secs
			if len(parts) == 2 {
				break
			}
		} else if len(parts) == 1 {
			break // "1 h 0 min 5 s" would be noise: keep the leading unit only
		}
	}
	return strings.Join(parts, " ")
}

// splitSpan writes secs as a number and the largest unit that divides it, for the form's
// number + unit inputs: 300 → (5, "minutes"), 90 → (90, "seconds"), 0 → (0, "seconds").
func splitSpan(secs int64) (int64, string) {
	for _, u := range units {
		if secs > 0 && secs%u.secs == 0 {
			return secs / u.secs, u.long
		}
	}
	return secs, "seconds"
}

// unitSeconds is the length of a form unit ("minutes"), 0 when unknown.
func unitSeconds(name string) int64 {
	for _, u := range units {
		if u.long == name {
			return u.secs
		}
	}
	return 0
}

// relTime writes t relative to now: "just now", "5 min ago", "in 3 h", "never" for zero.
func relTime(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	secs := int64(d / time.Second)
	if secs < 5 {
		return "just now"
	}
	s := spanText(secs)
	if future {
		return "in " + s
	}
	return s + " ago"
}

// scheduleText is a check's schedule in words: "every 5 min", "0 3 * * * Europe/Berlin".
func scheduleText(typ messages.ScheduleType, expr, tz string, interval int64) string {
	if typ == messages.ScheduleInterval || typ == "" {
		if interval == 86400 {
			return "every day"
		}
		return "every " + spanText(interval)
	}
	expr = strings.Join(strings.Fields(expr), " ") // an OnCalendar list on one line
	if tz != "" && tz != "UTC" {
		return expr + " " + tz
	}
	return expr + " UTC"
}

// formFields maps the first word of an API error message to the form field it is about
// (the API's messages start with the JSON name: "schedule: …", "slug must be …").
var formFields = map[string]string{
	"name":                     "name",
	"slug":                     "slug",
	"desc":                     "desc",
	"tags":                     "tags",
	"tag":                      "tags",
	"schedule_type":            "schedule_type",
	"schedule":                 "schedule",
	"tz":                       "tz",
	"interval_seconds":         "interval",
	"grace_seconds":            "grace",
	"max_runtime_seconds":      "max_runtime",
	"realert_interval_seconds": "realert",
	"notify_after_failures":    "notify_after_failures",
	"content_rule":             "content_pattern",
	"content_rule.pattern":     "content_pattern",
	"content_rule.type":        "content_type",
	"methods":                  "methods",
	"start_kw":                 "start_kw",
	"success_kw":               "success_kw",
	"failure_kw":               "failure_kw",
	"subject":                  "subject",
	"subject_fail":             "subject_fail",
	"webhook_url":              "webhook_url",
}

// fieldOfError names the form field an API error message is about, or "" (shown at the top
// of the form). "field \"x\" must be …" (a JSON type error) names x.
func fieldOfError(msg string) string {
	word := msg
	if rest, ok := strings.CutPrefix(msg, `field "`); ok {
		word, _, _ = strings.Cut(rest, `"`)
	} else if i := strings.IndexAny(msg, " :"); i >= 0 {
		word = msg[:i]
	}
	return formFields[word]
}
