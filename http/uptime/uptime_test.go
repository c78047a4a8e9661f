package uptime_test

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http/uptime"
	"github.com/ttr-rip/ttr/messages"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDayStartsAcrossDST(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	santiago := mustLoad(t, "America/Santiago") // its DST changes happen at midnight
	tests := []struct {
		name  string
		now   time.Time
		loc   *time.Location
		n     int
		hours []float64 // lengths of the days but the last
	}{
		{"spring forward", time.Date(2030, 4, 1, 12, 0, 0, 0, berlin), berlin, 4, []float64{24, 24, 23}},
		{"fall back", time.Date(2030, 10, 28, 12, 0, 0, 0, berlin), berlin, 4, []float64{24, 24, 25}},
		{"utc", time.Date(2030, 3, 31, 12, 0, 0, 0, time.UTC), time.UTC, 3, []float64{24, 24}},
		// Chile's DST begins at midnight (2030-09-08 00:00 → 01:00): that day starts at 01:00.
		{"midnight skipped", time.Date(2030, 9, 9, 12, 0, 0, 0, santiago), santiago, 4, []float64{24, 24, 23}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			starts := uptime.DayStarts(tc.now, tc.loc, tc.n)
			if len(starts) != tc.n {
				t.Fatalf("%d starts", len(starts))
			}
			for i, s := range starts {
				l := s.In(tc.loc)
				if p := s.Add(-time.Millisecond).In(tc.loc); p.Day() == l.Day() {
					t.Errorf("start %d (%v) is not the first instant of its day", i, l)
				}
				if i > 0 && l.Day() == starts[i-1].In(tc.loc).Day() {
					t.Errorf("starts %d and %d on the same day", i-1, i)
				}
			}
			for i, h := range tc.hours {
				if got := starts[i+1].Sub(starts[i]).Hours(); got != h {
					t.Errorf("day %d (%v) lasts %vh, want %vh", i, starts[i].In(tc.loc), got, h)
				}
			}
			if last := starts[tc.n-1]; last.After(tc.now) || tc.now.Sub(last) >= 25*time.Hour {
				t.Errorf("the last day starts at %v, now is %v", last, tc.now)
			}
		})
	}
}

// marksOf builds the sums of a check from its flips, as the store's marks hold them.
func marksOf(flips []struct {
	at time.Time
	to messages.CheckStatus
}) func(time.Time) uptime.Value {
	var marks []uptime.Mark
	var prev uptime.Mark
	for _, f := range flips {
		v := prev.SumsAt(f.at)
		prev = uptime.Mark{At: f.at, Status: f.to, Up: v.Up, Tracked: v.Tracked}
		marks = append(marks, prev)
	}
	return func(t time.Time) uptime.Value {
		var m uptime.Mark
		for _, mk := range marks {
			if !mk.At.After(t) {
				m = mk
			}
		}
		return m.SumsAt(t)
	}
}

// TestDaysAcrossDST: a check in Berlin up from the day before the spring change, down from
// 12:00 to 18:00 local on the change's day (23 hours long), paused from 20:00 to 22:00. By
// hand: tracked 23 h − 2 h paused = 21 h, down 6 h, up 15 h → 15/21.
func TestDaysAcrossDST(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	at := func(d, h int) time.Time { return time.Date(2030, 3, d, h, 0, 0, 0, berlin) }
	sums := marksOf([]struct {
		at time.Time
		to messages.CheckStatus
	}{
		{at(29, 10), messages.StatusUp},
		{at(31, 12), messages.StatusDown},
		{at(31, 18), messages.StatusUp},
		{at(31, 20), messages.StatusPaused},
		{at(31, 22), messages.StatusUp},
	})
	now := at(31, 0).Add(30 * time.Hour) // 2030-04-01 07:00 local
	days := uptime.Days(uptime.DayStarts(now, berlin, 4), now, sums)
	want := []struct {
		up, tracked time.Duration
	}{
		{14 * time.Hour, 14 * time.Hour}, // the 29th from 10:00
		{24 * time.Hour, 24 * time.Hour},
		{15 * time.Hour, 21 * time.Hour}, // the DST day
		{7 * time.Hour, 7 * time.Hour},   // today so far
	}
	for i, w := range want {
		if days[i].Up != w.up || days[i].Tracked != w.tracked {
			t.Errorf("day %d (%v): up %v tracked %v, want %v / %v", i, days[i].Start.In(berlin), days[i].Up, days[i].Tracked, w.up, w.tracked)
		}
	}
	if r, ok := days[2].Ratio(); !ok || r != 15.0/21.0 {
		t.Errorf("DST day ratio %v %v", r, ok)
	}
	// A day before the first flip is not tracked at all: no ratio, not 0 %.
	early := uptime.Days(uptime.DayStarts(at(28, 12), berlin, 1), at(28, 12), sums)
	if _, ok := early[0].Ratio(); ok {
		t.Errorf("a day before the first flip has a ratio")
	}
}

func TestSumsAt(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status      messages.CheckStatus
		up, tracked time.Duration
	}{
		{messages.StatusUp, time.Hour, time.Hour},
		{messages.StatusDown, 0, time.Hour},
		{messages.StatusPaused, 0, 0},
		{messages.StatusNew, 0, 0},
	} {
		v := uptime.Mark{At: t0, Status: tc.status, Up: time.Minute, Tracked: 2 * time.Minute}.SumsAt(t0.Add(time.Hour))
		if v.Up != time.Minute+tc.up || v.Tracked != 2*time.Minute+tc.tracked {
			t.Errorf("%s: %+v", tc.status, v)
		}
	}
	if v := (uptime.Mark{}).SumsAt(t0); v != (uptime.Value{}) {
		t.Errorf("no mark: %+v", v)
	}
}
