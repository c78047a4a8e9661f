package schedule_test

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// nextCase is one row of a Next table: the due times after from, in order.
type nextCase struct {
	name string
	expr string
	tz   string
	from string   // RFC 3339
	want []string // RFC 3339 (nano), UTC
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad time %q in test: %v", s, err)
	}
	return tm
}

// runNextTable parses each case with ParseAt(spec, from) and compares the
// first len(want) due times after from.
func runNextTable(t *testing.T, typ messages.ScheduleType, cases []nextCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			from := mustTime(t, tc.from)
			s, err := schedule.ParseAt(schedule.Spec{Type: typ, Expr: tc.expr, TZ: tc.tz}, from)
			if err != nil {
				t.Fatalf("ParseAt(%q, tz %q): %v", tc.expr, tc.tz, err)
			}
			got := schedule.Preview(s, from, len(tc.want))
			if len(got) != len(tc.want) {
				t.Fatalf("%q from %s: got %d times %v, want %d %v", tc.expr, tc.from, len(got), fmtTimes(got), len(tc.want), tc.want)
			}
			for i, g := range got {
				if g.Location() != time.UTC {
					t.Errorf("time #%d %v is not in UTC", i+1, g)
				}
				if w := mustTime(t, tc.want[i]); !g.Equal(w) {
					t.Errorf("%q from %s: time #%d = %s, want %s (all: %v)", tc.expr, tc.from, i+1, g.Format(time.RFC3339Nano), tc.want[i], fmtTimes(got))
				}
			}
		})
	}
}

func fmtTimes(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.UTC().Format(time.RFC3339Nano)
	}
	return out
}
