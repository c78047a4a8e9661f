package schedule

import (
	"math"
	"math/bits"
	"time"
)

// This file holds the search engine shared by cron and OnCalendar: a
// compiled calendar is searched field by field (year → month → day → hour →
// minute → second) on local wall-clock values, and each candidate is then
// converted to an instant in the calendar's zone.

const (
	usPerSecond = 1_000_000
	usPerMinute = 60 * usPerSecond

	// maxWallSteps bounds one nextWall search. Each step moves at least one
	// field forward and the year is bounded, so real searches stay far below.
	maxWallSteps = 1 << 20
	// maxResolveSteps bounds the candidates one Next call converts to
	// instants; every rejected candidate skips a DST gap or overlap.
	maxResolveSteps = 1 << 14
	// zoneWindow is wider than any UTC offset (tzdata offsets stay within
	// ±26 h), so every instant whose wall clock is L lies in
	// [L-zoneWindow, L+zoneWindow].
	zoneWindow = 27 * 3600
)

// comp is one element of a value list: start, or start..stop, optionally
// with a repetition (start, start+repeat, …). stop is -1 when there is no
// upper bound other than the field's maximum; repeat 0 means "start only".
type comp struct {
	start, stop, repeat int64
}

// nextInComps returns the smallest value >= v and <= max matched by any
// element of cs.
func nextInComps(cs []comp, v, max int64) (int64, bool) {
	best, found := int64(0), false
	for _, c := range cs {
		k := c.start
		if k < v {
			if c.repeat <= 0 {
				continue
			}
			k = c.start + c.repeat*((v-c.start+c.repeat-1)/c.repeat)
		}
		if k > max || (c.stop >= 0 && k > c.stop) {
			continue
		}
		if !found || k < best {
			best, found = k, true
		}
	}
	return best, found
}

// calendar is a compiled cron or OnCalendar expression.
type calendar struct {
	loc *time.Location

	// years restricts years to the set bits of yearBits (bit i = year
	// yearBase+i) when anyYear is false.
	anyYear  bool
	yearBits [4]uint64
	// maxYear is the last year searched (OnCalendar: 2199); 0 means the
	// search is bounded by horizon years after the start instead.
	maxYear int
	horizon int

	months  uint16    // bit m: month m (1..12)
	days    [4]uint32 // bit d: day d (1..31), indexed by month length - 28
	wdays   uint8     // bit w: weekday w (0 = Sunday)
	dayOr   bool      // day matches when days OR wdays match (Vixie cron)
	hours   uint32    // bit h
	minutes uint64    // bit m
	secs    []comp    // microseconds within the minute
}

const (
	yearBase  = 1970
	allWdays  = 0x7f
	allMonths = 0x1ffe
)

// wall is a local wall-clock time; us counts microseconds within the minute.
type wall struct {
	y, mo, d, h, mi int
	us              int64
}

// localSec returns w's seconds since 1970-01-01T00:00:00 in wall-clock
// terms (i.e. as if the zone were UTC).
func (w wall) localSec() int64 {
	return daysFromCivil(w.y, w.mo, w.d)*86400 + int64(w.h)*3600 + int64(w.mi)*60 + w.us/usPerSecond
}

func wallFromLocalSec(s int64) wall {
	days := floorDiv(s, 86400)
	rem := s - days*86400
	y, mo, d := civilFromDays(days)
	return wall{y: y, mo: mo, d: d, h: int(rem / 3600), mi: int(rem % 3600 / 60), us: rem % 60 * usPerSecond}
}

// nextSetBit returns the smallest set bit of mask that is >= v.
func nextSetBit(mask uint64, v int) (int, bool) {
	if v < 0 {
		v = 0
	}
	if v > 63 {
		return 0, false
	}
	m := mask >> uint(v) << uint(v)
	if m == 0 {
		return 0, false
	}
	return bits.TrailingZeros64(m), true
}

func (c *calendar) yearMatch(y int) bool {
	if c.anyYear {
		return true
	}
	i := y - yearBase
	return i >= 0 && i < 256 && c.yearBits[i/64]&(1<<(uint(i)%64)) != 0
}

// nextYear returns the first matching year >= y.
func (c *calendar) nextYear(y int) (int, bool) {
	if c.anyYear {
		return y, true
	}
	i := max(y-yearBase, 0)
	for ; i < 256; i++ {
		word := c.yearBits[i/64] >> (uint(i) % 64)
		if word == 0 {
			i |= 63 // skip to the end of this word
			continue
		}
		i += bits.TrailingZeros64(word)
		return yearBase + i, true
	}
	return 0, false
}

// nextDay returns the first matching day >= d in month y-mo.
func (c *calendar) nextDay(y, mo, d int) (int, bool) {
	n := daysIn(y, mo)
	if d > n {
		return 0, false
	}
	dom := c.days[n-28] & (1<<uint(n+1) - 1)
	if c.wdays == allWdays && !c.dayOr {
		return nextSetBit(uint64(dom), d)
	}
	wd := weekday(daysFromCivil(y, mo, d))
	for ; d <= n; d++ {
		domOK := dom&(1<<uint(d)) != 0
		wdOK := c.wdays&(1<<uint(wd)) != 0
		if c.dayOr && (domOK || wdOK) || !c.dayOr && domOK && wdOK {
			return d, true
		}
		if wd++; wd == 7 {
			wd = 0
		}
	}
	return 0, false
}

// nextWall returns the first wall-clock time >= w matched by c, searching
// no year after maxYear.
func (c *calendar) nextWall(w wall, maxYear int) (wall, bool) {
	for step := 0; step < maxWallSteps; step++ {
		if w.y > maxYear {
			return wall{}, false
		}
		y, ok := c.nextYear(w.y)
		if !ok || y > maxYear {
			return wall{}, false
		}
		if y != w.y {
			w = wall{y: y, mo: 1, d: 1}
		}
		mo, ok := nextSetBit(uint64(c.months), w.mo)
		if !ok {
			w = wall{y: w.y + 1, mo: 1, d: 1}
			continue
		}
		if mo != w.mo {
			w = wall{y: w.y, mo: mo, d: 1}
		}
		d, ok := c.nextDay(w.y, w.mo, w.d)
		if !ok {
			w = wall{y: w.y, mo: w.mo + 1, d: 1}
			continue
		}
		if d != w.d {
			w.d, w.h, w.mi, w.us = d, 0, 0, 0
		}
		h, ok := nextSetBit(uint64(c.hours), w.h)
		if !ok {
			w.d, w.h, w.mi, w.us = w.d+1, 0, 0, 0
			continue
		}
		if h != w.h {
			w.h, w.mi, w.us = h, 0, 0
		}
		mi, ok := nextSetBit(c.minutes, w.mi)
		if !ok {
			w.h, w.mi, w.us = w.h+1, 0, 0
			continue
		}
		if mi != w.mi {
			w.mi, w.us = mi, 0
		}
		us, ok := nextInComps(c.secs, w.us, usPerMinute-1)
		if !ok {
			w.mi, w.us = w.mi+1, 0
			continue
		}
		w.us = us
		return w, true
	}
	return wall{}, false
}

// Supported range of local years of instants passed to Next for cron and
// OnCalendar; outside it Next reports no occurrence.
const (
	minSearchYear = -9999
	maxSearchYear = 9999
)

// next returns the first instant strictly after t whose wall clock in c.loc
// matches c, applying the DST rules: nonexistent wall-clock times are
// skipped and repeated ones fire at their first occurrence only.
func (c *calendar) next(t time.Time) (time.Time, bool) {
	lt := t.In(c.loc)
	if lt.Year() < minSearchYear || lt.Year() > maxSearchYear {
		return time.Time{}, false
	}
	limit := c.maxYear
	if limit == 0 {
		limit = min(lt.Year()+c.horizon, maxSearchYear)
	}
	// Candidates are whole microseconds; the first one strictly after t is
	// at least t truncated to the microsecond plus one.
	w := wall{
		y: lt.Year(), mo: int(lt.Month()), d: lt.Day(), h: lt.Hour(), mi: lt.Minute(),
		us: int64(lt.Second())*usPerSecond + int64(lt.Nanosecond()/1000) + 1,
	}
	for step := 0; step < maxResolveSteps; step++ {
		cw, ok := c.nextWall(w, limit)
		if !ok {
			return time.Time{}, false
		}
		l := cw.localSec()
		inst, ok, skip := resolve(c.loc, l)
		if ok {
			r := time.Unix(inst, cw.us%usPerSecond*1000)
			if r.After(t) {
				return r.UTC(), true
			}
		}
		// Either l does not exist (skip = end of the gap) or its first
		// occurrence is not after t, which happens only when t is in the
		// second pass of a repeated hour: then every wall-clock time up to
		// the end of the period holding that first occurrence is also
		// past (skip = that end). Both skips are whole seconds and > l.
		if skip <= l || skip == math.MaxInt64 {
			skip = l + 1
		}
		w = wallFromLocalSec(skip)
	}
	return time.Time{}, false
}

// resolve converts the wall-clock time l (seconds, as if UTC) in loc to its
// earliest instant. When l does not exist, ok is false and skip is the first
// wall-clock time after l at which a zone period starts (the end of the
// gap). When it does, skip is the wall-clock end of the zone period holding
// the instant. skip is math.MaxInt64 when unknown.
func resolve(loc *time.Location, l int64) (inst int64, ok bool, skip int64) {
	if loc == time.UTC {
		return l, true, math.MaxInt64
	}
	skip = math.MaxInt64
	x := l - zoneWindow
	for range 16 {
		start, end, off := zonePeriod(loc, x)
		if cand := l - off; cand >= start && cand < end {
			if end == math.MaxInt64 {
				return cand, true, math.MaxInt64
			}
			return cand, true, end + off
		}
		if start != math.MinInt64 && start+off > l && start+off < skip {
			skip = start + off
		}
		if end == math.MaxInt64 || end > l+zoneWindow {
			break
		}
		x = end
	}
	return 0, false, skip
}

// zonePeriod returns the zone period [start, end) (Unix seconds, unbounded
// ends as MinInt64/MaxInt64) holding the instant sec, and its UTC offset.
func zonePeriod(loc *time.Location, sec int64) (start, end int64, off int64) {
	t := time.Unix(sec, 0).In(loc)
	_, o := t.Zone()
	s, e := t.ZoneBounds()
	start, end = math.MinInt64, math.MaxInt64
	if !s.IsZero() {
		start = s.Unix()
	}
	if !e.IsZero() {
		end = e.Unix()
	}
	return start, end, int64(o)
}

// Civil-calendar helpers (proleptic Gregorian), after Howard Hinnant's
// public-domain days_from_civil and civil_from_days algorithms.

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d.
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := (int64(m) + 9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

// weekday returns the weekday (0 = Sunday) of the day z days after 1970-01-01.
func weekday(z int64) int {
	return int(((z+4)%7 + 7) % 7)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
