package schedule

import (
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/messages"
)

// Spec is what a user configures.
type Spec struct {
	Type            messages.ScheduleType
	Expr            string // cron expression or OnCalendar lines (one expression per line); empty for interval
	TZ              string // IANA zone, "" = UTC
	IntervalSeconds int64  // for messages.ScheduleInterval
}

// Schedule computes due times.
type Schedule interface {
	// Next returns the first due time strictly after t, in UTC; ok=false when there is none
	// (e.g. an OnCalendar expression whose years are all past).
	Next(t time.Time) (next time.Time, ok bool)
}

// Limits on what Parse accepts.
const (
	// MinIntervalSeconds and MaxIntervalSeconds bound Spec.IntervalSeconds.
	MinIntervalSeconds = 1
	MaxIntervalSeconds = 365 * 24 * 60 * 60
	// MaxExprLen bounds the length of Spec.Expr in bytes.
	MaxExprLen = 8192
	// MaxLineLen bounds the length of one cron or OnCalendar expression.
	MaxLineLen = 1024
	// MaxCalendarLines bounds the number of OnCalendar expressions in Spec.Expr.
	MaxCalendarLines = 64
	// MaxPreview bounds the number of due times Preview returns.
	MaxPreview = 1000
)

// Error reports an invalid Spec. Its message names the problem in words a
// user can act on; callers map it to HTTP 400.
type Error struct {
	Msg string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// Parse validates spec and returns a Schedule, or an error whose message names the problem
// in words a user can act on (e.g. `cron: field "day of month": value 32 out of range 1-31`,
// `unknown time zone "Mars/Olympus"`, `cron expression "0 0 30 2 *" never fires`).
//
// Parse reads the current time once, to reject cron and OnCalendar
// expressions that have no occurrence after it; see ParseAt.
func Parse(spec Spec) (Schedule, error) {
	return ParseAt(spec, time.Now())
}

// ParseAt is Parse with an explicit current time: a cron or OnCalendar
// expression (or any one OnCalendar line) with no occurrence after now is
// rejected as never firing. All errors are of type *Error.
func ParseAt(spec Spec, now time.Time) (Schedule, error) {
	loc, err := loadZone(spec.TZ)
	if err != nil {
		return nil, err
	}
	switch spec.Type {
	case messages.ScheduleInterval:
		return parseInterval(spec.IntervalSeconds)
	case messages.ScheduleCron:
		return parseCron(spec.Expr, loc, now)
	case messages.ScheduleOnCalendar:
		return parseOnCalendar(spec.Expr, loc, now)
	case "":
		return nil, errorf("schedule type is missing (want %q, %q or %q)", messages.ScheduleInterval, messages.ScheduleCron, messages.ScheduleOnCalendar)
	default:
		return nil, errorf("unknown schedule type %q (want %q, %q or %q)", truncate(string(spec.Type), 64), messages.ScheduleInterval, messages.ScheduleCron, messages.ScheduleOnCalendar)
	}
}

// Preview returns up to n due times strictly after t (for POST /api/v1/schedule/preview).
// n is capped at MaxPreview; a nil Schedule or n <= 0 yields nil.
func Preview(s Schedule, t time.Time, n int) []time.Time {
	if s == nil || n <= 0 {
		return nil
	}
	n = min(n, MaxPreview)
	out := make([]time.Time, 0, n)
	for len(out) < n {
		next, ok := s.Next(t)
		if !ok || !next.After(t) {
			break
		}
		out = append(out, next)
		t = next
	}
	return out
}

// intervalSchedule is due a fixed duration after the time passed to Next.
type intervalSchedule struct {
	every time.Duration
}

func parseInterval(seconds int64) (Schedule, error) {
	if seconds < MinIntervalSeconds || seconds > MaxIntervalSeconds {
		return nil, errorf("interval of %d seconds out of range %d-%d (1 second to 365 days)",
			seconds, MinIntervalSeconds, MaxIntervalSeconds)
	}
	return intervalSchedule{every: time.Duration(seconds) * time.Second}, nil
}

// Next returns t plus the interval, in UTC.
func (s intervalSchedule) Next(t time.Time) (time.Time, bool) {
	return t.Add(s.every).UTC(), true
}

// zones caches successfully loaded locations: time.LoadLocation reads and
// parses zone data on every call.
var zones sync.Map // string -> *time.Location

// loadZone resolves an IANA zone name; "" and "UTC" are UTC.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if !plausibleZoneName(name) {
		return nil, errorf("unknown time zone %q", truncate(name, 64))
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errorf("unknown time zone %q", name)
	}
	zones.Store(name, loc)
	return loc, nil
}

// plausibleZoneName rejects names that cannot be IANA zone names before
// they reach time.LoadLocation (which would look them up on disk), as well
// as "Local", which depends on the host.
func plausibleZoneName(name string) bool {
	if len(name) == 0 || len(name) > 64 || name == "Local" {
		return false
	}
	if !isLetter(name[0]) || strings.Contains(name, "..") || strings.Contains(name, "//") || name[len(name)-1] == '/' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isLetter(c) && !isDigit(c) && !strings.ContainsRune("/_+-.", rune(c)) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// truncate shortens s for inclusion in an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
