package uptime

import (
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Mark is a check's newest uptime mark at or before some instant: at At the check entered
// Status, having been up for Up and up or down for Tracked until then. The zero Mark is a
// check that had not flipped yet (new: nothing tracked).
type Mark struct {
	At          time.Time
	Status      messages.CheckStatus
	Up, Tracked time.Duration
}

// SumsAt returns the check's cumulative up and tracked time at t, where m is its newest mark
// at or before t: the mark's sums plus the time since it, counted as its status says.
func (m Mark) SumsAt(t time.Time) Value {
	v := Value{Up: m.Up, Tracked: m.Tracked}
	if m.At.IsZero() || !t.After(m.At) {
		return v
	}
	d := t.Sub(m.At)
	switch m.Status {
	case messages.StatusUp:
		v.Up += d
		v.Tracked += d
	case messages.StatusDown:
		v.Tracked += d
	}
	return v
}

// Value is up and tracked time over some interval.
type Value struct {
	Up, Tracked time.Duration
}

// Sub returns the time of the interval from b's instant to a's (a at the later one).
func (a Value) Sub(b Value) Value {
	return Value{Up: a.Up - b.Up, Tracked: a.Tracked - b.Tracked}
}

// Ratio is the share of tracked time that was up, in [0, 1]; false when nothing was tracked
// (the check was new or paused throughout).
func (a Value) Ratio() (float64, bool) {
	if a.Tracked <= 0 {
		return 0, false
	}
	r := float64(a.Up) / float64(a.Tracked)
	return min(max(r, 0), 1), true
}

// DayStarts returns the starts of the n days of loc that end with the one containing now,
// oldest first. Each is local midnight (or the first instant of the day where midnight does
// not exist), so consecutive starts are 23, 24 or 25 hours apart around DST changes.
func DayStarts(now time.Time, loc *time.Location, n int) []time.Time {
	if n <= 0 {
		return nil
	}
	l := now.In(loc)
	y, m, d := l.Date()
	out := make([]time.Time, n)
	for i := range n {
		out[i] = startOfDay(y, m, d-(n-1-i), loc)
	}
	return out
}

// startOfDay is the first instant of the local date y-m-d (normalised). Where midnight does
// not exist (a DST change at 00:00), time.Date picks an instant of one of the two offsets,
// which may fall on the day before; a binary search between the evening before and noon
// then finds the day's real first instant (to the millisecond).
func startOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	noon := time.Date(y, m, d, 12, 0, 0, 0, loc)
	ty, tm, td := noon.Date()
	sameDay := func(u time.Time) bool {
		uy, um, ud := u.In(loc).Date()
		return uy == ty && um == tm && ud == td
	}
	if t := time.Date(y, m, d, 0, 0, 0, 0, loc); sameDay(t) && !sameDay(t.Add(-time.Millisecond)) {
		return t
	}
	lo, hi := noon.Add(-15*time.Hour), noon // lo on the day before, hi on the day
	for hi.Sub(lo) > time.Millisecond {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Millisecond)
		if sameDay(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// Day is one day's uptime.
type Day struct {
	Start time.Time // the first instant of the day, in the zone's location
	Value
}

// Days returns the value of each day whose start is in starts (DayStarts), the last one
// ending at now; sums gives the cumulative sums at an instant.
func Days(starts []time.Time, now time.Time, sums func(time.Time) Value) []Day {
	out := make([]Day, len(starts))
	for i, s := range starts {
		end := now
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		out[i] = Day{Start: s, Value: sums(end).Sub(sums(s))}
	}
	return out
}
