package schedule

import (
	"math"
	"testing"
	"time"
)

func TestCivilHelpers(t *testing.T) {
	for _, y := range []int{-1000, -1, 0, 1, 1600, 1700, 1899, 1900, 1969, 1970, 1999, 2000, 2024, 2026, 2100, 2199, 2400, 9999} {
		for m := 1; m <= 12; m++ {
			for _, d := range []int{1, 15, daysIn(y, m)} {
				tm := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
				z := daysFromCivil(y, m, d)
				if want := floorDiv(tm.Unix(), 86400); z != want {
					t.Fatalf("daysFromCivil(%d,%d,%d) = %d, want %d", y, m, d, z, want)
				}
				if gy, gm, gd := civilFromDays(z); gy != y || gm != m || gd != d {
					t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %d-%d-%d", z, gy, gm, gd, y, m, d)
				}
				if wd := weekday(z); wd != int(tm.Weekday()) {
					t.Fatalf("weekday(%d-%d-%d) = %d, want %d", y, m, d, wd, tm.Weekday())
				}
			}
			if n := daysIn(y, m); time.Date(y, time.Month(m), n+1, 0, 0, 0, 0, time.UTC).Day() != 1 {
				t.Fatalf("daysIn(%d, %d) = %d is wrong", y, m, n)
			}
		}
	}
}

func TestResolve(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	local := func(s string) int64 {
		tm, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Unix()
	}
	utc := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Unix()
	}
	cases := []struct {
		name   string
		wall   string
		ok     bool
		inst   string // when ok
		skipTo string // wall clock; "" = unbounded
	}{
		{"winter", "2026-01-15 12:00:00", true, "2026-01-15T11:00:00Z", "2026-03-29 02:00:00"},
		{"summer", "2026-07-15 12:00:00", true, "2026-07-15T10:00:00Z", "2026-10-25 03:00:00"},
		{"gap start", "2026-03-29 02:00:00", false, "", "2026-03-29 03:00:00"},
		{"gap end", "2026-03-29 02:59:59", false, "", "2026-03-29 03:00:00"},
		{"after gap", "2026-03-29 03:00:00", true, "2026-03-29T01:00:00Z", "2026-10-25 03:00:00"},
		{"before gap", "2026-03-29 01:59:59", true, "2026-03-29T00:59:59Z", "2026-03-29 02:00:00"},
		{"overlap takes first", "2026-10-25 02:30:00", true, "2026-10-25T00:30:00Z", "2026-10-25 03:00:00"},
		{"overlap start", "2026-10-25 02:00:00", true, "2026-10-25T00:00:00Z", "2026-10-25 03:00:00"},
		{"after overlap", "2026-10-25 03:00:00", true, "2026-10-25T02:00:00Z", "2027-03-28 02:00:00"},
		{"far future (zone rule)", "2150-03-29 02:30:00", false, "", "2150-03-29 03:00:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inst, ok, skip := resolve(berlin, local(tc.wall))
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && inst != utc(tc.inst) {
				t.Errorf("instant = %v, want %s", time.Unix(inst, 0).UTC(), tc.inst)
			}
			want := int64(math.MaxInt64)
			if tc.skipTo != "" {
				want = local(tc.skipTo)
			}
			if skip != want {
				t.Errorf("skip = %v, want %s", time.Unix(skip, 0).UTC(), tc.skipTo)
			}
		})
	}
	if inst, ok, _ := resolve(time.UTC, 12345); !ok || inst != 12345 {
		t.Errorf("UTC resolve = %d, %v", inst, ok)
	}
	fixed := time.FixedZone("X", 3600)
	if inst, ok, skip := resolve(fixed, 7200); !ok || inst != 3600 || skip != math.MaxInt64 {
		t.Errorf("fixed-zone resolve = %d, %v, %d", inst, ok, skip)
	}
}

func TestNextInComps(t *testing.T) {
	cs := []comp{{start: 5, stop: -1, repeat: 10}, {start: 2, stop: 8, repeat: 3}, {start: 40, stop: -1}}
	for _, tc := range []struct {
		v, want int64
		ok      bool
	}{
		{0, 2, true}, {3, 5, true}, {6, 8, true}, {9, 15, true}, {16, 25, true},
		{36, 40, true}, {41, 45, true}, {56, 0, false},
	} {
		got, ok := nextInComps(cs, tc.v, 59)
		if ok != tc.ok || got != tc.want {
			t.Errorf("nextInComps(%d) = %d, %v; want %d, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}
