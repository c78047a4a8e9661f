package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronHorizon bounds the cron search, in years after the start. Any
// satisfiable day-of-month/month/day-of-week combination occurs within one
// 400-year Gregorian cycle (e.g. February 29 on a Sunday: 2004, 2032, …,
// 2088, 2128).
const cronHorizon = 401

type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	}},
	{name: "day of week", min: 0, max: 7, names: map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	}},
}

var cronMacros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

type cronSchedule struct {
	cal *calendar
}

// Next returns the first matching minute strictly after t.
func (s cronSchedule) Next(t time.Time) (time.Time, bool) { return s.cal.next(t) }

func parseCron(expr string, loc *time.Location, now time.Time) (Schedule, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, errorf("cron: expression is empty")
	}
	if len(expr) > MaxLineLen {
		return nil, errorf("cron: expression too long (%d bytes, at most %d)", len(expr), MaxLineLen)
	}
	src := expr
	if strings.HasPrefix(expr, "@") {
		m, ok := cronMacros[strings.ToLower(expr)]
		if !ok {
			return nil, errorf("cron: unknown macro %q (want @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)", truncate(expr, 40))
		}
		expr = m
	}
	fields := strings.Fields(expr)
	switch {
	case len(fields) == 6 || len(fields) == 7:
		return nil, errorf("cron: expected 5 fields (minute hour day-of-month month day-of-week), got %d: seconds and year fields are not supported", len(fields))
	case len(fields) != 5:
		return nil, errorf("cron: expected 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
	}
	var masks [5]uint64
	for i, f := range fields {
		m, err := parseCronField(f, cronFields[i])
		if err != nil {
			return nil, err
		}
		masks[i] = m
	}
	domStar := strings.HasPrefix(fields[2], "*")
	dowStar := strings.HasPrefix(fields[4], "*")
	cal := &calendar{
		loc:     loc,
		anyYear: true,
		horizon: cronHorizon,
		minutes: masks[0],
		hours:   uint32(masks[1]),
		months:  uint16(masks[3]),
		wdays:   uint8(masks[4]),
		dayOr:   !domStar && !dowStar,
		secs:    []comp{{start: 0, stop: -1}},
	}
	for i := range cal.days {
		cal.days[i] = uint32(masks[2])
	}
	if !cal.dayOr && !cronDateExists(masks[2], masks[3]) {
		return nil, errorf("cron expression %q never fires: no month in it has such a day", truncate(src, 80))
	}
	if _, ok := cal.next(now); !ok {
		return nil, errorf("cron expression %q never fires", truncate(src, 80))
	}
	return cronSchedule{cal: cal}, nil
}

// cronDateExists reports whether some month in months has some day in doms.
func cronDateExists(doms, months uint64) bool {
	longest := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := 1; m <= 12; m++ {
		if months&(1<<uint(m)) != 0 && doms&(1<<uint(longest[m]+1)-1) != 0 {
			return true
		}
	}
	return false
}

// parseCronField parses one field into a bit mask of the values it
// matches. Day-of-week 7 is folded onto 0 (Sunday).
func parseCronField(s string, f cronField) (uint64, *Error) {
	fail := func(format string, args ...any) (uint64, *Error) {
		return 0, errorf("cron: field %q: %s", f.name, fmt.Sprintf(format, args...))
	}
	var mask uint64
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return fail("empty element in list %q", truncate(s, 40))
		}
		base, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := cronNumber(stepStr)
			if err != nil || strings.Contains(stepStr, "/") {
				return fail("invalid step %q in %q", truncate(stepStr, 20), truncate(item, 40))
			}
			maxStep := f.max - f.min
			if f.name == "day of month" || f.name == "month" || f.name == "day of week" {
				maxStep = f.max
			}
			if n < 1 || n > maxStep {
				return fail("step %s out of range 1-%d", truncate(stepStr, 20), maxStep)
			}
			step = n
		}
		var lo, hi int
		switch {
		case base == "*":
			lo, hi = f.min, f.max
		case strings.Contains(base, "-"):
			a, b, _ := strings.Cut(base, "-")
			var err *Error
			if lo, err = cronValue(a, f); err != nil {
				return 0, err
			}
			if hi, err = cronValue(b, f); err != nil {
				return 0, err
			}
			// "FRI-SUN": a range may end on Sunday written as a name.
			if f.name == "day of week" && hi == 0 && lo > 0 && !isDigit(b[0]) {
				hi = 7
			}
			if lo > hi {
				return fail("range %s goes backwards (the start is after the end)", truncate(base, 20))
			}
		default:
			v, err := cronValue(base, f)
			if err != nil {
				return 0, err
			}
			lo, hi = v, v
			if hasStep { // "5/15" means 5-max/15
				hi = f.max
			}
		}
		for v := lo; v <= hi; v += step {
			mask |= 1 << uint(v)
		}
	}
	if f.name == "day of week" && mask&(1<<7) != 0 {
		mask = mask&^(1<<7) | 1
	}
	return mask, nil
}

// cronValue parses a number or, for month and day of week, a three-letter
// name, and checks its range.
func cronValue(s string, f cronField) (int, *Error) {
	if s == "" {
		return 0, errorf("cron: field %q: missing value", f.name)
	}
	if f.names != nil && isLetter(s[0]) {
		if v, ok := f.names[strings.ToLower(s)]; ok {
			return v, nil
		}
		return 0, errorf("cron: field %q: unknown name %q", f.name, truncate(s, 20))
	}
	v, err := cronNumber(s)
	if err != nil {
		if looksLikeCronExtension(s) {
			return 0, errorf("cron: field %q: %q is not supported (the L, W, # and ? extensions are not implemented)", f.name, truncate(s, 20))
		}
		return 0, errorf("cron: field %q: invalid value %q", f.name, truncate(s, 20))
	}
	if v < f.min || v > f.max {
		return 0, errorf("cron: field %q: value %s out of range %d-%d", f.name, truncate(s, 20), f.min, f.max)
	}
	return v, nil
}

// cronNumber parses an unsigned decimal; values too large for any field
// are returned as a large number rather than an error.
func cronNumber(s string) (int, error) {
	if s == "" {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, strconv.ErrSyntax
		}
	}
	s = strings.TrimLeft(s, "0")
	if len(s) > 6 {
		return 1 << 30, nil
	}
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

// looksLikeCronExtension reports whether s is one of the non-standard
// forms "L", "5L", "15W", "LW", "5#3" or "?".
func looksLikeCronExtension(s string) bool {
	if s == "?" || strings.Contains(s, "#") || strings.EqualFold(s, "LW") {
		return true
	}
	last := s[len(s)-1] | 0x20
	if last != 'l' && last != 'w' {
		return false
	}
	_, err := cronNumber(s[:len(s)-1])
	return s[:len(s)-1] == "" || err == nil
}
