package hcapi_test

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http/hcapi"
	"github.com/ttr-rip/ttr/messages"
)

// The unique keys of healthchecks.io's documentation examples.
func TestUniqueKey(t *testing.T) {
	for uuid, want := range map[string]string{
		"31365bce-8da9-4729-8ff3-aaa71d56b712": "a6c7b0a8a66bed0df66abfdab3c77736861703ee",
		"803f680d-e89b-492b-82ef-2be7b774a92d": "124f983e0e3dcaeba921cfcef46efd084576e783",
	} {
		if got := hcapi.UniqueKey(uuid); got != want {
			t.Errorf("UniqueKey(%s) = %s, want %s", uuid, got, want)
		}
	}
}

// Django's slugify, as its own tests and documentation show it.
func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Backups":                      "backups",
		" Joel is a slug ":             "joel-is-a-slug",
		"Hello, World!":                "hello-world",
		"spam & ıçüş":                  "spam-cus",
		"foo ıç bar":                   "foo-c-bar",
		"    foo ıç bar":               "foo-c-bar",
		"你好":                           "",
		"__strip__underscore-value___": "strip__underscore-value",
		"--strip-dash-value---":        "strip-dash-value",
		"a - b -- c":                   "a-b-c",
		"Café":                         "cafe",
	} {
		if got := hcapi.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

// Durations pair a success or failure with the start of the same run id, newest first.
func TestDurations(t *testing.T) {
	t0 := time.Date(2020, 6, 9, 14, 50, 56, 0, time.UTC)
	p := func(n int64, kind messages.PingLogKind, rid string, at time.Duration) messages.PingRecord {
		return messages.PingRecord{N: n, Kind: kind, RID: rid, At: t0.Add(at)}
	}
	pings := []messages.PingRecord{ // newest first, as the store lists them
		p(7, messages.KindSuccess, "", 100*time.Hour),
		p(6, messages.KindStart, "", 20*time.Hour),
		p(5, messages.KindSuccess, "r", 10*time.Second),
		p(4, messages.KindLog, "r", 9*time.Second),
		p(3, messages.KindStart, "r", 7*time.Second),
		p(2, messages.KindSuccess, "", 3*time.Second),
		p(1, messages.KindStart, "", 0),
	}
	want := []time.Duration{-1, -1, 3 * time.Second, -1, -1, 3 * time.Second, -1}
	got := hcapi.Durations(pings)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ping %d: %v, want %v", pings[i].N, got[i], want[i])
		}
	}
}

// Status maps ttr's stored status and derived late/started to healthchecks.io's.
func TestStatus(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	up := messages.CheckState{Status: messages.StatusUp, NextDue: now.Add(time.Minute), NextDeadline: now.Add(time.Hour)}
	late := up
	late.NextDue = now.Add(-time.Minute)
	overdue := late
	overdue.NextDeadline = now.Add(-time.Second)
	started := up
	started.LastStart = now.Add(-time.Second)
	for _, tc := range []struct {
		name string
		st   messages.CheckState
		v    int
		want string
	}{
		{"new", messages.CheckState{Status: messages.StatusNew}, 3, "new"},
		{"up", up, 3, "up"},
		{"late", late, 3, "grace"},
		{"past the deadline", overdue, 3, "down"},
		{"down", messages.CheckState{Status: messages.StatusDown}, 3, "down"},
		{"paused", messages.CheckState{Status: messages.StatusPaused}, 2, "paused"},
		{"started v3", started, 3, "up"},
		{"started v1", started, 1, "started"},
	} {
		if got := hcapi.Status(messages.Check{CheckState: tc.st}, tc.v, now); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
