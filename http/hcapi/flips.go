package hcapi

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// flipFilter is the time window of a flips listing: start (inclusive) and end (exclusive)
// UNIX times, and seconds back from now; zero values are no bound.
type flipFilter struct {
	start, end, since time.Time
}

// Bounds of healthchecks.io's flips filters.
const (
	maxTimestamp = 10000000000 // year 2286
	maxSeconds   = 31536000
)

// parseFlipFilter reads seconds, start and end as healthchecks.io's form does: integers,
// timestamps within [0, 10000000000], seconds within [0, 31536000]; an empty value is absent.
func parseFlipFilter(q url.Values, now time.Time) (flipFilter, bool) {
	var f flipFilter
	num := func(name string, hi int64) (int64, bool, bool) {
		s := strings.TrimSpace(q.Get(name))
		if s == "" {
			return 0, false, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > hi {
			return 0, false, false
		}
		return n, true, true
	}
	if n, set, ok := num("start", maxTimestamp); !ok {
		return f, false
	} else if set {
		f.start = time.Unix(n, 0)
	}
	if n, set, ok := num("end", maxTimestamp); !ok {
		return f, false
	} else if set {
		f.end = time.Unix(n, 0)
	}
	if n, set, ok := num("seconds", maxSeconds); !ok {
		return f, false
	} else if set && n > 0 {
		f.since = now.Add(-time.Duration(n) * time.Second)
	}
	return f, true
}

// keep reports whether a flip at t is inside the window.
func (f flipFilter) keep(t time.Time) bool {
	if !f.start.IsZero() && t.Before(f.start) {
		return false
	}
	if !f.end.IsZero() && !t.Before(f.end) {
		return false
	}
	if !f.since.IsZero() && t.Before(f.since) {
		return false
	}
	return true
}
