package runchart

import (
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Ping is what pairing needs of one ping of the log.
type Ping struct {
	N    int64
	At   time.Time
	Kind messages.PingLogKind
	RID  string // run id, "" when none was sent
}

// Run is one timed run: a start and the ping that ended it.
type Run struct {
	EndN     int64 // the ending ping's number
	End      time.Time
	Failed   bool // ended by a failure
	Duration time.Duration
}

// Runs pairs the pings (oldest first) into runs, oldest first, as the check pairs them when
// it records its last run duration: a start opens a run (a later start replaces it); a
// success or failure ends the open run unless both carry run ids and they differ (another
// run's end); log and ignored pings change nothing. A start whose end fell outside the pings
// given, or a run the check ended itself (max runtime, pause), cannot be seen here: such a
// run pairs with the next end the log shows, as the check's own last duration would not — a
// rare over-estimate the page's caption names.
func Runs(pings []Ping) []Run {
	var runs []Run
	var start time.Time
	var startRID string
	open := false
	for _, p := range pings {
		switch p.Kind {
		case messages.KindStart:
			start, startRID, open = p.At, p.RID, true
		case messages.KindSuccess, messages.KindFail:
			if !open || (p.RID != "" && startRID != "" && p.RID != startRID) {
				continue
			}
			runs = append(runs, Run{EndN: p.N, End: p.At, Failed: p.Kind == messages.KindFail, Duration: max(p.At.Sub(start), 0)})
			open = false
		}
	}
	return runs
}

// Last returns the newest n runs (all when there are fewer).
func Last(runs []Run, n int) []Run {
	if len(runs) > n {
		return runs[len(runs)-n:]
	}
	return runs
}
