package schedule

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file parses systemd.time(7) calendar events:
//
//	[DayOfWeek] [[Year-]Month-Day] [Hour:Minute[:Second]] [TimeZone]
//
// following systemd's calendarspec.c (v252) closely, so that an expression
// means here what it means to systemd: the same normalisation (two-digit
// years, ranges rounded to their repetition) and the same validity rules.

const (
	calMinYear = 1970 // systemd's MIN_YEAR
	calMaxYear = 2199 // systemd's MAX_YEAR
	// maxCalComponents bounds the elements of one comma list
	// (systemd's CALENDARSPEC_COMPONENTS_MAX).
	maxCalComponents = 240
)

// calSpec is a parsed, not yet compiled, calendar event. A nil chain
// matches any value.
type calSpec struct {
	weekdays   uint8 // bit 0 = Monday … bit 6 = Sunday (systemd order); 0 = any
	year       []comp
	month      []comp
	day        []comp
	endOfMonth bool // day counts back from the end of the month ("~")
	hour       []comp
	minute     []comp
	second     []comp // microseconds
	loc        *time.Location
}

type calendarSchedule struct {
	cals []*calendar
}

// Next returns the earliest next due time over all expressions.
func (s calendarSchedule) Next(t time.Time) (time.Time, bool) {
	var best time.Time
	found := false
	for _, c := range s.cals {
		if n, ok := c.next(t); ok && (!found || n.Before(best)) {
			best, found = n, true
		}
	}
	return best, found
}

func parseOnCalendar(expr string, loc *time.Location, now time.Time) (Schedule, error) {
	if len(expr) > MaxExprLen {
		return nil, errorf("oncalendar: expressions too long (%d bytes, at most %d)", len(expr), MaxExprLen)
	}
	type line struct {
		n    int
		text string
	}
	var lines []line
	for i, l := range strings.Split(expr, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, line{i + 1, l})
		}
	}
	if len(lines) == 0 {
		return nil, errorf("oncalendar: expression is empty")
	}
	if len(lines) > MaxCalendarLines {
		return nil, errorf("oncalendar: too many expressions (%d, at most %d)", len(lines), MaxCalendarLines)
	}
	var s calendarSchedule
	for _, l := range lines {
		prefix := fmt.Sprintf("oncalendar expression %q", truncate(l.text, 80))
		if len(lines) > 1 {
			prefix = fmt.Sprintf("oncalendar line %d %q", l.n, truncate(l.text, 80))
		}
		if len(l.text) > MaxLineLen {
			return nil, errorf("%s: too long (%d bytes, at most %d)", prefix, len(l.text), MaxLineLen)
		}
		spec, err := parseCalendarEvent(l.text, loc)
		if err != nil {
			return nil, errorf("%s: %s", prefix, err.Msg)
		}
		c := spec.compile()
		if _, ok := c.next(now); !ok {
			if _, ever := c.next(time.Date(calMinYear-1, 12, 31, 0, 0, 0, 0, time.UTC)); ever {
				return nil, errorf("%s never fires again: all its dates are in the past", prefix)
			}
			return nil, errorf("%s never fires", prefix)
		}
		s.cals = append(s.cals, c)
	}
	return s, nil
}

// calParser is a cursor over one calendar event.
type calParser struct {
	s string
	p int
}

func (cp *calParser) eof() bool  { return cp.p >= len(cp.s) }
func (cp *calParser) peek() byte { return cp.s[cp.p] }

func (cp *calParser) at(c byte) bool { return cp.p < len(cp.s) && cp.s[cp.p] == c }

func (cp *calParser) skipSpaces() {
	for cp.at(' ') {
		cp.p++
	}
}

// unexpected describes the text at the cursor.
func (cp *calParser) unexpected() *Error {
	if cp.eof() {
		return errorf("unexpected end of expression")
	}
	rest := cp.s[cp.p:]
	if i := strings.IndexByte(rest, ' '); i > 0 {
		rest = rest[:i]
	}
	return errorf("unexpected %q", truncate(rest, 40))
}

var specialEvents = map[string]string{
	"minutely":      "*-*-* *:*:00",
	"hourly":        "*-*-* *:00:00",
	"daily":         "*-*-* 00:00:00",
	"monthly":       "*-*-01 00:00:00",
	"weekly":        "Mon *-*-* 00:00:00",
	"yearly":        "*-01-01 00:00:00",
	"annually":      "*-01-01 00:00:00",
	"anually":       "*-01-01 00:00:00", // sic, accepted by systemd
	"quarterly":     "*-01,04,07,10-01 00:00:00",
	"semiannually":  "*-01,07-01 00:00:00",
	"semi-annually": "*-01,07-01 00:00:00",
	"biannually":    "*-01,07-01 00:00:00",
	"bi-annually":   "*-01,07-01 00:00:00",
}

// parseCalendarEvent parses one expression; defLoc applies unless the
// expression names its own zone.
func parseCalendarEvent(s string, defLoc *time.Location) (*calSpec, *Error) {
	c := &calSpec{loc: defLoc}

	// A trailing " UTC" (any case) or IANA zone name, as in systemd.
	if len(s) > 4 && strings.EqualFold(s[len(s)-4:], " utc") {
		c.loc = time.UTC
		s = s[:len(s)-4]
	} else if i := strings.LastIndexByte(s, ' '); i >= 0 {
		name := s[i+1:]
		if loc, err := loadZone(name); err == nil && name != "" {
			c.loc = loc
			s = s[:i]
		} else if looksLikeZone(name) {
			return nil, errorf("unknown time zone %q", truncate(name, 64))
		}
	}
	if s == "" {
		return nil, errorf("missing date and time")
	}

	if norm, ok := specialEvents[strings.ToLower(s)]; ok {
		s = norm
	}
	cp := &calParser{s: s}
	if err := cp.weekdays(c); err != nil {
		return nil, err
	}
	if !cp.eof() && !isDigit(cp.peek()) && cp.peek() != '*' && cp.peek() != '@' {
		return nil, errorf("expected a weekday, a date or a time at %q", truncate(firstWord(cp.s[cp.p:]), 40))
	}
	epoch, err := cp.date(c)
	if err != nil {
		return nil, err
	}
	if !epoch {
		if err := cp.time(c); err != nil {
			return nil, err
		}
	}
	if !cp.eof() {
		return nil, cp.unexpected()
	}
	if err := c.normalizeAndValidate(); err != nil {
		return nil, err
	}
	return c, nil
}

// looksLikeZone reports whether the last word of an expression that is not
// a valid zone was probably meant as one, to give a precise error.
func looksLikeZone(w string) bool {
	if w == "" || !isLetter(w[0]) {
		return false
	}
	if strings.Contains(w, "/") {
		return true
	}
	lw := strings.ToLower(w)
	if _, ok := specialEvents[lw]; ok {
		return false
	}
	for _, wd := range weekdayNames {
		if strings.HasPrefix(lw, wd.name) {
			return false
		}
	}
	for i := 0; i < len(w); i++ {
		if !isLetter(w[i]) && w[i] != '_' && w[i] != '-' && w[i] != '+' && !isDigit(w[i]) {
			return false
		}
	}
	return true
}

// weekdayNames lists long names before their abbreviations so that the
// longest prefix matches first; nr counts from Monday as in systemd.
var weekdayNames = []struct {
	name string
	nr   int
}{
	{"monday", 0}, {"mon", 0},
	{"tuesday", 1}, {"tue", 1},
	{"wednesday", 2}, {"wed", 2},
	{"thursday", 3}, {"thu", 3},
	{"friday", 4}, {"fri", 4},
	{"saturday", 5}, {"sat", 5},
	{"sunday", 6}, {"sun", 6},
}

var weekdayShort = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// weekdays parses an optional weekday list such as "Mon,Wed..Fri".
func (cp *calParser) weekdays(c *calSpec) *Error {
	rangeStart := -1
	first := true
	for {
		rest := cp.s[cp.p:]
		idx := -1
		for i, wn := range weekdayNames {
			if len(rest) >= len(wn.name) && strings.EqualFold(rest[:len(wn.name)], wn.name) {
				idx = i
				break
			}
		}
		if idx < 0 {
			if first {
				return nil // no weekday list
			}
			return errorf("expected a weekday name at %q", truncate(firstWord(rest), 40))
		}
		wn := weekdayNames[idx]
		if n := len(wn.name); n < len(rest) && !strings.ContainsRune("-., ", rune(rest[n])) {
			return errorf("invalid weekday %q", truncate(firstWord(rest), 40))
		}
		c.weekdays |= 1 << wn.nr
		if rangeStart >= 0 {
			if rangeStart > wn.nr {
				return errorf("weekday range %s..%s goes backwards (ranges run from Mon to Sun)", weekdayShort[rangeStart], weekdayShort[wn.nr])
			}
			for j := rangeStart + 1; j < wn.nr; j++ {
				c.weekdays |= 1 << j
			}
		}
		cp.p += len(wn.name)
		if cp.eof() {
			return nil
		}
		switch cp.peek() {
		case ' ':
			cp.skipSpaces()
			return nil
		case '.':
			if rangeStart >= 0 {
				return errorf("weekday ranges cannot be chained")
			}
			if cp.p+1 >= len(cp.s) || cp.s[cp.p+1] != '.' {
				return errorf("weekday range needs \"..\"")
			}
			rangeStart = wn.nr
			cp.p += 2
		case '-': // range, for backwards compatibility
			if rangeStart >= 0 {
				return errorf("weekday ranges cannot be chained")
			}
			rangeStart = wn.nr
			cp.p++
		case ',':
			rangeStart = -1
			cp.p++
		}
		if cp.eof() || cp.peek() == ' ' {
			cp.skipSpaces()
			if rangeStart >= 0 {
				return errorf("weekday range %s.. has no end", weekdayShort[rangeStart])
			}
			return nil
		}
		first = false
	}
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " ,.-"); i > 0 {
		return s[:i]
	}
	return s
}

// date parses an optional [Year-]Month-Day or @epoch. It reports epoch
// when the expression was "@seconds", which has no time part.
func (cp *calParser) date(c *calSpec) (epoch bool, err *Error) {
	if cp.eof() {
		return false, nil
	}
	if cp.peek() == '@' {
		return true, cp.epoch(c)
	}
	save := cp.p
	first, err := cp.chain(false)
	if err != nil {
		return false, err
	}
	if cp.eof() || cp.peek() == ':' {
		cp.p = save // this was an hour: no date
		return false, nil
	}
	switch cp.peek() {
	case '~':
		c.endOfMonth = true
	case '-':
	default:
		return false, cp.unexpected()
	}
	cp.p++
	second, err := cp.chain(false)
	if err != nil {
		return false, err
	}
	if cp.eof() || cp.peek() == ' ' {
		cp.skipSpaces()
		c.month, c.day = first, second
		return false, nil
	}
	if c.endOfMonth {
		return false, errorf("\"~\" must separate the month and the day")
	}
	switch cp.peek() {
	case '~':
		c.endOfMonth = true
	case '-':
	default:
		return false, cp.unexpected()
	}
	cp.p++
	third, err := cp.chain(false)
	if err != nil {
		return false, err
	}
	if !cp.eof() && cp.peek() != ' ' {
		return false, cp.unexpected()
	}
	cp.skipSpaces()
	c.year, c.month, c.day = first, second, third
	return false, nil
}

// epoch parses "@seconds": one instant, in UTC.
func (cp *calParser) epoch(c *calSpec) *Error {
	cp.p++
	start := cp.p
	for !cp.eof() && isDigit(cp.peek()) {
		cp.p++
	}
	if cp.p == start {
		return errorf("\"@\" must be followed by seconds since 1970-01-01 UTC")
	}
	v, perr := strconv.ParseInt(cp.s[start:cp.p], 10, 64)
	if perr != nil || v > time.Date(calMaxYear, 12, 31, 23, 59, 59, 0, time.UTC).Unix() {
		return errorf("timestamp @%s is after %d", truncate(cp.s[start:cp.p], 24), calMaxYear)
	}
	t := time.Unix(v, 0).UTC()
	one := func(x int) []comp { return []comp{{start: int64(x), stop: -1}} }
	c.year, c.month, c.day = one(t.Year()), one(int(t.Month())), one(t.Day())
	c.hour, c.minute = one(t.Hour()), one(t.Minute())
	c.second = []comp{{start: int64(t.Second()) * usPerSecond, stop: -1}}
	c.loc = time.UTC
	return nil
}

// time parses Hour:Minute[:Second]; an empty time means 00:00:00.
func (cp *calParser) time(c *calSpec) *Error {
	zero := []comp{{start: 0, stop: -1}}
	if cp.eof() {
		c.hour, c.minute, c.second = zero, zero, zero
		return nil
	}
	h, err := cp.chain(false)
	if err != nil {
		return err
	}
	if !cp.at(':') {
		if cp.eof() {
			return errorf("a time needs at least hour:minute")
		}
		return cp.unexpected()
	}
	cp.p++
	m, err := cp.chain(false)
	if err != nil {
		return err
	}
	c.hour, c.minute = h, m
	if cp.eof() {
		c.second = zero
		return nil
	}
	if !cp.at(':') {
		return cp.unexpected()
	}
	cp.p++
	sec, err := cp.chain(true)
	if err != nil {
		return err
	}
	c.second = sec
	return nil
}

// chain parses "*" or a comma list of value[..value][/repetition]. With usec
// the values are seconds with up to 6 decimals, returned in microseconds.
func (cp *calParser) chain(usec bool) ([]comp, *Error) {
	if cp.at('*') {
		cp.p++
		if usec {
			return []comp{{start: 0, stop: -1, repeat: usPerSecond}}, nil
		}
		return nil, nil
	}
	unit := int64(1)
	if usec {
		unit = usPerSecond
	}
	var out []comp
	for {
		if len(out) >= maxCalComponents {
			return nil, errorf("too many values in one list (at most %d)", maxCalComponents)
		}
		c := comp{stop: -1}
		var err *Error
		if c.start, err = cp.decimal(usec); err != nil {
			return nil, err
		}
		if cp.p+1 < len(cp.s) && cp.s[cp.p] == '.' && cp.s[cp.p+1] == '.' {
			cp.p += 2
			if c.stop, err = cp.decimal(usec); err != nil {
				return nil, err
			}
			c.repeat = unit
		}
		if cp.at('/') {
			cp.p++
			if c.repeat, err = cp.decimal(usec); err != nil {
				return nil, err
			}
			if c.repeat == 0 {
				return nil, errorf("repetition must be greater than zero")
			}
		} else if usec && c.stop >= 0 && c.start+c.repeat > c.stop {
			return nil, errorf("seconds range %s..%s is empty", fmtSeconds(c.start), fmtSeconds(c.stop))
		}
		if !cp.eof() && !strings.ContainsRune(" ,-~:", rune(cp.peek())) {
			return nil, cp.unexpected()
		}
		out = append(out, c)
		if !cp.at(',') {
			return out, nil
		}
		cp.p++
	}
}

// decimal parses an unsigned number; with usec, an optional fraction is
// rounded to microseconds (as systemd does) and the result is in µs.
func (cp *calParser) decimal(usec bool) (int64, *Error) {
	if cp.eof() || !isDigit(cp.peek()) {
		if cp.eof() {
			return 0, errorf("expected a number at the end")
		}
		return 0, errorf("expected a number at %q", truncate(firstWord(cp.s[cp.p:]), 40))
	}
	start := cp.p
	var v int64
	for !cp.eof() && isDigit(cp.peek()) {
		if v <= math.MaxInt32 {
			v = v*10 + int64(cp.peek()-'0')
		}
		cp.p++
	}
	tooLarge := func() (int64, *Error) {
		return 0, errorf("number %s is too large", truncate(cp.s[start:cp.p], 24))
	}
	if v > math.MaxInt32 {
		return tooLarge()
	}
	if !usec {
		return v, nil
	}
	v *= usPerSecond
	// One "." is a decimal point, ".." a range.
	if cp.at('.') && (cp.p+1 >= len(cp.s) || cp.s[cp.p+1] != '.') {
		cp.p++
		var frac int64
		i := 0
		for ; i < 6 && !cp.eof() && isDigit(cp.peek()); i++ {
			frac = frac*10 + int64(cp.peek()-'0')
			cp.p++
		}
		if i == 0 {
			return 0, errorf("expected digits after the decimal point in %q", truncate(cp.s[start:cp.p], 24))
		}
		for ; i < 6; i++ {
			frac *= 10
		}
		if !cp.eof() && cp.peek() >= '5' && cp.peek() <= '9' {
			frac++ // round to 6 decimals
		}
		for !cp.eof() && isDigit(cp.peek()) {
			cp.p++
		}
		v += frac
	}
	if v > math.MaxInt32 {
		return tooLarge()
	}
	return v, nil
}

// fmtSeconds formats microseconds as seconds, with decimals only when needed.
func fmtSeconds(us int64) string {
	if us%usPerSecond == 0 {
		return strconv.FormatInt(us/usPerSecond, 10)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%06d", us/usPerSecond, us%usPerSecond), "0")
}

// normalizeAndValidate applies systemd's normalisation (two-digit years,
// ranges cut to a multiple of their repetition) and validity rules.
func (c *calSpec) normalizeAndValidate() *Error {
	if c.endOfMonth && c.day == nil {
		c.endOfMonth = false
	}
	for i := range c.year { // 12 → 2012, 89 → 1989
		for _, p := range []*int64{&c.year[i].start, &c.year[i].stop} {
			switch {
			case *p >= 0 && *p < 70:
				*p += 2000
			case *p >= 70 && *p < 100:
				*p += 1900
			}
		}
	}
	for _, ch := range [][]comp{c.year, c.month, c.day, c.hour, c.minute, c.second} {
		normalizeChain(ch)
	}
	checks := []struct {
		ch       []comp
		name     string
		from, to int64
		eom      bool
	}{
		{c.year, "year", calMinYear, calMaxYear, false},
		{c.month, "month", 1, 12, false},
		{c.day, "day", 1, 31, c.endOfMonth},
		{c.hour, "hour", 0, 23, false},
		{c.minute, "minute", 0, 59, false},
		{c.second, "second", 0, usPerMinute - 1, false},
	}
	for _, k := range checks {
		if err := validChain(k.ch, k.name, k.from, k.to, k.eom); err != nil {
			return err
		}
	}
	return nil
}

func normalizeChain(ch []comp) {
	for i := range ch {
		c := &ch[i]
		if c.stop > c.start && c.repeat > 0 {
			c.stop -= (c.stop - c.start) % c.repeat
		}
		if c.stop > c.start && c.start+c.repeat > c.stop || c.start == c.stop {
			c.repeat, c.stop = 0, -1
		}
	}
}

func validChain(ch []comp, name string, from, to int64, eom bool) *Error {
	f := func(v int64) string {
		if name == "second" {
			return fmtSeconds(v)
		}
		return strconv.FormatInt(v, 10)
	}
	what := name
	if eom {
		to -= 3 // at most the 28th day from the end
		what = "day counted from the end of the month"
	}
	for _, c := range ch {
		if c.start < from || c.start > to {
			return errorf("%s %s out of range %s-%s", what, f(c.start), f(from), f(to))
		}
		if c.stop >= 0 && (c.stop < from || c.stop > to) {
			return errorf("%s %s out of range %s-%s", what, f(c.stop), f(from), f(to))
		}
		if c.repeat > to-from {
			return errorf("%s repetition /%s too large (at most %s)", name, f(c.repeat), f(to-from))
		}
		switch {
		case c.stop >= 0:
			if c.start+c.repeat > c.stop {
				return errorf("%s range %s..%s is empty (the start is after the end)", what, f(c.start), f(c.stop))
			}
		case eom:
			if c.start-c.repeat < from {
				return errorf("%s ~%s/%s repeats past the end of the month", name, f(c.start), f(c.repeat))
			}
		default:
			if c.start+c.repeat > to {
				return errorf("%s %s/%s never repeats within %s-%s", name, f(c.start), f(c.repeat), f(from), f(to))
			}
		}
	}
	return nil
}

// compile turns a validated calSpec into a searchable calendar.
func (c *calSpec) compile() *calendar {
	cal := &calendar{loc: c.loc, maxYear: calMaxYear}
	if c.year == nil {
		cal.anyYear = true
	} else {
		for _, v := range chainValues(c.year, calMinYear, calMaxYear) {
			i := v - yearBase
			cal.yearBits[i/64] |= 1 << (uint(i) % 64)
		}
	}
	cal.months = uint16(maskOf(c.month, 1, 12))
	for n := 28; n <= 31; n++ {
		if c.endOfMonth {
			cal.days[n-28] = uint32(endOfMonthMask(c.day, n))
		} else {
			cal.days[n-28] = uint32(maskOf(c.day, 1, n))
		}
	}
	cal.wdays = allWdays
	if c.weekdays != 0 {
		cal.wdays = 0
		for nr := 0; nr < 7; nr++ {
			if c.weekdays&(1<<nr) != 0 {
				cal.wdays |= 1 << ((nr + 1) % 7) // Monday-based → Sunday-based
			}
		}
	}
	cal.hours = uint32(maskOf(c.hour, 0, 23))
	cal.minutes = maskOf(c.minute, 0, 59)
	cal.secs = c.second
	if cal.secs == nil {
		cal.secs = []comp{{start: 0, stop: -1, repeat: 1}}
	}
	return cal
}

// chainValues lists the values in [lo, hi] matched by ch (nil = all).
func chainValues(ch []comp, lo, hi int) []int {
	var out []int
	if ch == nil {
		for v := lo; v <= hi; v++ {
			out = append(out, v)
		}
		return out
	}
	for _, c := range ch {
		end := int64(hi)
		if c.stop >= 0 {
			end = min(end, c.stop)
		}
		if c.repeat == 0 {
			end = min(end, c.start)
		}
		step := max(c.repeat, 1)
		for v := c.start; v <= end; v += step {
			if v >= int64(lo) {
				out = append(out, int(v))
			}
		}
	}
	return out
}

func maskOf(ch []comp, lo, hi int) uint64 {
	var m uint64
	for _, v := range chainValues(ch, lo, hi) {
		m |= 1 << uint(v)
	}
	return m
}

// endOfMonthMask computes the days matched by a "~" day chain in a month of
// n days, as systemd does: ~k is day n-k+1; a range ~a..b covers days
// n-b+1 … n-a+1 stepping up from n-b+1; a repetition steps towards the
// end of the month.
func endOfMonthMask(ch []comp, n int) uint64 {
	var m uint64
	for _, c := range ch {
		start, stop := int64(n)-c.start+1, int64(n)
		if c.stop >= 0 {
			start, stop = int64(n)-c.stop+1, int64(n)-c.start+1
		}
		if c.repeat == 0 {
			stop = start
		}
		step := max(c.repeat, 1)
		for d := start; d <= stop; d += step {
			if d >= 1 {
				m |= 1 << uint(d)
			}
		}
	}
	return m
}
