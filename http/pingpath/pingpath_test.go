package pingpath_test

import (
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/http/pingpath"
)

const (
	uid   = "0f8fad5b-d9cb-469f-a165-70867728950e"
	uidUp = "0F8FAD5B-D9CB-469F-A165-70867728950E"
)

func TestParse(t *testing.T) {
	long := strings.Repeat("a", 64)
	tooLong := strings.Repeat("a", 65)
	ok := func(s pingpath.Scheme, user, key, ref string, a pingpath.Action, exit int32) pingpath.Target {
		return pingpath.Target{Scheme: s, UserSlug: user, PingKey: key, Ref: ref, Action: a, ExitStatus: exit}
	}
	tests := []struct {
		path string
		want pingpath.Target
		err  error
	}{
		// /ping/{uuid}: healthchecks.io's routes (hc/api/urls.py)
		{"/ping/" + uid, ok(pingpath.UUID, "", "", uid, pingpath.Success, -1), nil},
		{"/ping/" + uid + "/", ok(pingpath.UUID, "", "", uid, pingpath.Success, -1), nil}, // path("", views.ping)
		{"/ping/" + uid + "/start", ok(pingpath.UUID, "", "", uid, pingpath.Start, -1), nil},
		{"/ping/" + uid + "/fail", ok(pingpath.UUID, "", "", uid, pingpath.Fail, -1), nil},
		{"/ping/" + uid + "/log", ok(pingpath.UUID, "", "", uid, pingpath.Log, -1), nil},
		{"/ping/" + uid + "/0", ok(pingpath.UUID, "", "", uid, pingpath.Exit, 0), nil},
		{"/ping/" + uid + "/1", ok(pingpath.UUID, "", "", uid, pingpath.Exit, 1), nil},
		{"/ping/" + uid + "/255", ok(pingpath.UUID, "", "", uid, pingpath.Exit, 255), nil},
		{"/ping/" + uid + "/007", ok(pingpath.UUID, "", "", uid, pingpath.Exit, 7), nil}, // <int:exitstatus>
		{"/ping/" + uid + "/00", ok(pingpath.UUID, "", "", uid, pingpath.Exit, 0), nil},
		{"/ping/" + uid + "/000255", ok(pingpath.UUID, "", "", uid, pingpath.Exit, 255), nil},
		{"/ping/" + uid + "/256", ok(pingpath.UUID, "", "", uid, pingpath.Exit, -1), pingpath.ErrExitTooLarge},
		{"/ping/" + uid + "/1000", ok(pingpath.UUID, "", "", uid, pingpath.Exit, -1), pingpath.ErrExitTooLarge},
		{"/ping/" + uid + "/99999999999999999999999", ok(pingpath.UUID, "", "", uid, pingpath.Exit, -1), pingpath.ErrExitTooLarge},
		// Not an action after a uuid: the slug pattern takes the path, with the uuid as a ping key.
		{"/ping/" + uid + "/-1", ok(pingpath.PingKey, "", uid, "-1", pingpath.Success, -1), nil},
		{"/ping/" + uid + "/nope", ok(pingpath.PingKey, "", uid, "nope", pingpath.Success, -1), nil},
		{"/ping/" + uid + "/Start", pingpath.Target{}, pingpath.ErrBadFormat},
		{"/ping/" + uid + "/+1", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/" + uid + "/1e2", ok(pingpath.PingKey, "", uid, "1e2", pingpath.Success, -1), nil},
		{"/ping/" + uid + "/badge.svg", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/" + uid + "/start/", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/" + uid + "/start/x", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/" + uid + "//start", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/" + uid + "//", pingpath.Target{}, pingpath.ErrNotFound},
		// Django's uuid converter is lower case only: an upper-case uuid can only be a ping key.
		{"/ping/" + uidUp, pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/" + uidUp + "/start", ok(pingpath.PingKey, "", uidUp, "start", pingpath.Success, -1), nil},
		// /ping/{ping_key}/{slug}
		{"/ping/Key_1-x/backup", ok(pingpath.PingKey, "", "Key_1-x", "backup", pingpath.Success, -1), nil},
		{"/ping/key/backup/start", ok(pingpath.PingKey, "", "key", "backup", pingpath.Start, -1), nil},
		{"/ping/key/backup/fail", ok(pingpath.PingKey, "", "key", "backup", pingpath.Fail, -1), nil},
		{"/ping/key/backup/log", ok(pingpath.PingKey, "", "key", "backup", pingpath.Log, -1), nil},
		{"/ping/key/backup/3", ok(pingpath.PingKey, "", "key", "backup", pingpath.Exit, 3), nil},
		{"/ping/key/backup/03", ok(pingpath.PingKey, "", "key", "backup", pingpath.Exit, 3), nil},
		{"/ping/key/" + uid, ok(pingpath.PingKey, "", "key", uid, pingpath.Success, -1), nil},
		{"/ping/key/123", ok(pingpath.PingKey, "", "key", "123", pingpath.Success, -1), nil},
		{"/ping/" + long + "/" + long, ok(pingpath.PingKey, "", long, long, pingpath.Success, -1), nil},
		{"/ping/key/backup/256", ok(pingpath.PingKey, "", "key", "backup", pingpath.Exit, -1), pingpath.ErrExitTooLarge},
		// test_it_rejects_uppercase_slug: refused before the lookup, whatever follows.
		{"/ping/key/fooFOO", pingpath.Target{}, pingpath.ErrBadFormat},
		{"/ping/key/" + uidUp, pingpath.Target{}, pingpath.ErrBadFormat},
		{"/ping/key/Backup/start", pingpath.Target{}, pingpath.ErrBadFormat},
		{"/ping/key/Backup/256", pingpath.Target{}, pingpath.ErrBadFormat},
		{"/ping/key/" + strings.Repeat("A", 65), pingpath.Target{}, pingpath.ErrBadFormat},
		{"/ping/" + tooLong + "/backup", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/" + tooLong, pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/backup/", pingpath.Target{}, pingpath.ErrNotFound}, // slug_urls has no ""
		{"/ping/key/backup/-1", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/backup/unknown", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/backup/start/1", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/k.ey/backup", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/Backup.DB", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/back%2Fup", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/back up", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/..", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/.", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/key/bäckup", pingpath.Target{}, pingpath.ErrNotFound},
		// /p/{user_slug}/{slug|uuid}
		{"/p/ab12cd34/backup", ok(pingpath.UserSlug, "ab12cd34", "", "backup", pingpath.Success, -1), nil},
		{"/p/ab12cd34/backup/start", ok(pingpath.UserSlug, "ab12cd34", "", "backup", pingpath.Start, -1), nil},
		{"/p/ab12cd34/backup/fail", ok(pingpath.UserSlug, "ab12cd34", "", "backup", pingpath.Fail, -1), nil},
		{"/p/ab12cd34/backup/log", ok(pingpath.UserSlug, "ab12cd34", "", "backup", pingpath.Log, -1), nil},
		{"/p/ab12cd34/backup/0", ok(pingpath.UserSlug, "ab12cd34", "", "backup", pingpath.Exit, 0), nil},
		{"/p/ab12cd34/backup/42", ok(pingpath.UserSlug, "ab12cd34", "", "backup", pingpath.Exit, 42), nil},
		{"/p/ab12cd34/" + uidUp + "/fail", ok(pingpath.UserSlug, "ab12cd34", "", uid, pingpath.Fail, -1), nil},
		{"/p/" + long + "/x", ok(pingpath.UserSlug, long, "", "x", pingpath.Success, -1), nil},
		{"/p/" + tooLong + "/x", pingpath.Target{}, pingpath.ErrNotFound},
		{"/p/AB12cd34/backup", pingpath.Target{}, pingpath.ErrNotFound},
		{"/p/ab12cd34", pingpath.Target{}, pingpath.ErrNotFound},
		{"/p/ab12cd34/", pingpath.Target{}, pingpath.ErrNotFound},
		{"/p/ab12cd34/backup/", pingpath.Target{}, pingpath.ErrNotFound},
		{"/p/ab12cd34/backup/00", pingpath.Target{}, pingpath.ErrBadExitCode},
		{"/p/ab12cd34/backup/256", pingpath.Target{}, pingpath.ErrBadExitCode},
		{"/p/ab12cd34/backup/badge.svg", pingpath.Target{}, pingpath.ErrNotFound},
		{"/p/ab12cd34/backup/start/x", pingpath.Target{}, pingpath.ErrNotFound},
		{"/p//backup", pingpath.Target{}, pingpath.ErrNotFound},
		{"/p/", pingpath.Target{}, pingpath.ErrNotFound},
		// other shapes
		{"", pingpath.Target{}, pingpath.ErrNotFound},
		{"/", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping", pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/", pingpath.Target{}, pingpath.ErrNotFound},
		{"/pong/" + uid, pingpath.Target{}, pingpath.ErrNotFound},
		{"ping/" + uid, pingpath.Target{}, pingpath.ErrNotFound},
		{"/ping/" + uid[:35], pingpath.Target{}, pingpath.ErrNotFound},                                      // not a UUID: a ping key without a slug
		{"/ping/" + uid + "x/start", ok(pingpath.PingKey, "", uid+"x", "start", pingpath.Success, -1), nil}, // "start" is a slug there
		{"/ping/" + uid + "x/y", ok(pingpath.PingKey, "", uid+"x", "y", pingpath.Success, -1), nil},
		// Without hyphens a UUID is a valid ping key.
		{"/ping/0f8fad5bd9cb469fa16570867728950e/x", ok(pingpath.PingKey, "", "0f8fad5bd9cb469fa16570867728950e", "x", pingpath.Success, -1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := pingpath.Parse(tt.path)
			if err != tt.err {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.path, err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.path, got, tt.want)
			}
			if err == nil {
				back, err := pingpath.Parse(got.Path())
				if err != nil || back != got {
					t.Fatalf("Parse(%q.Path() = %q) = %+v, %v; want %+v", tt.path, got.Path(), back, err, got)
				}
			}
		})
	}
}

func TestParseAllocations(t *testing.T) {
	paths := []string{
		"/ping/" + uid + "/start",
		"/ping/key/backup/3",
		"/p/ab12cd34/backup/fail",
		"/ping/" + uid + "/nope",
		"/ping/" + uid + "/256",
	}
	for _, p := range paths {
		if n := testing.AllocsPerRun(100, func() { _, _ = pingpath.Parse(p) }); n != 0 {
			t.Errorf("Parse(%q) allocates %v times, want 0", p, n)
		}
	}
}

func TestIsSlug(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"backup", true},
		{"db-backup_2", true},
		{"a", true},
		{"1a", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"123", false},
		{"0", false},
		{"start", false},
		{"fail", false},
		{"log", false},
		{"badge.svg", false},
		{"Backup", false},
		{"a.b", false},
		{uid, false},
		{uidUp, false},
	}
	for _, tt := range tests {
		if got := pingpath.IsSlug(tt.s); got != tt.want {
			t.Errorf("IsSlug(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
	if !pingpath.IsSlugShaped(uid) || pingpath.IsSlugShaped(uidUp) || pingpath.IsSlugShaped("") {
		t.Error("IsSlugShaped: a lower-case uuid is slug-shaped, an upper-case one and \"\" are not")
	}
}

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		uid:                                     true,
		uidUp:                                   true,
		"0f8fad5b-d9cb-469f-a165-70867728950":   false,
		"0f8fad5b-d9cb-469f-a165-70867728950e0": false,
		"0f8fad5bxd9cb-469f-a165-70867728950e":  false,
		"0f8fad5b-d9cb-469f-a165-70867728950g":  false,
		"":                                      false,
	} {
		if got := pingpath.IsUUID(s); got != want {
			t.Errorf("IsUUID(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/ping/" + uid, "/ping/" + uidUp + "/start", "/ping/" + uid + "/255", "/ping/" + uid + "/256",
		"/ping/key/backup", "/ping/key/backup/fail", "/ping/key/" + uid + "/0", "/ping/key/backup/00",
		"/p/user/backup", "/p/user/backup/log", "/p/user/" + uidUp + "/7", "/p/user/backup/",
		"/p//x", "/ping/k/../log", "/ping/k/x%2Fy", "/p/u/x/+1", "/p/u/x/1e2", "",
		"/ping/" + uid + "/", "/ping/" + uid + "/007", "/ping/key/Backup", "/ping/" + uid + "/Start",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		got, err := pingpath.Parse(path)
		hc := strings.HasPrefix(path, "/ping/")
		if err == pingpath.ErrExitTooLarge {
			// The Target comes along, so the check can be looked up first.
			if !hc || got.Action != pingpath.Exit || got.ExitStatus != -1 || got.Ref == "" {
				t.Fatalf("Parse(%q) = %+v with ErrExitTooLarge", path, got)
			}
			return
		}
		if err != nil {
			if got != (pingpath.Target{}) {
				t.Fatalf("Parse(%q) = %+v with error %v; want the zero Target", path, got, err)
			}
			switch {
			case err == pingpath.ErrNotFound:
			case err == pingpath.ErrBadExitCode && !hc, err == pingpath.ErrBadFormat && hc:
			default:
				t.Fatalf("Parse(%q) error %v is not one its prefix gives", path, err)
			}
			return
		}
		if got.Action == pingpath.Exit {
			if got.ExitStatus < 0 || got.ExitStatus > 255 {
				t.Fatalf("Parse(%q) exit status %d out of range", path, got.ExitStatus)
			}
		} else if got.ExitStatus != -1 {
			t.Fatalf("Parse(%q) exit status %d for action %v", path, got.ExitStatus, got.Action)
		}
		if got.Ref == "" || len(got.Ref) > pingpath.MaxSegment || len(got.UserSlug) > pingpath.MaxSegment || len(got.PingKey) > pingpath.MaxSegment {
			t.Fatalf("Parse(%q) = %+v: empty ref or over-long segment", path, got)
		}
		if pingpath.IsUUID(got.Ref) && got.Ref != strings.ToLower(got.Ref) {
			t.Fatalf("Parse(%q) left UUID ref %q in upper case", path, got.Ref)
		}
		p := got.Path()
		switch {
		case !hc && !strings.EqualFold(p, path):
			t.Fatalf("Parse(%q).Path() = %q, want the same path up to UUID case", path, p)
		case hc && len(p) > len(path):
			// A /ping/ path may be longer than its canonical form (a trailing slash, zeros
			// before an exit status), never shorter.
			t.Fatalf("Parse(%q).Path() = %q is longer", path, p)
		}
		back, err := pingpath.Parse(p)
		if err != nil || back != got {
			t.Fatalf("Parse(Parse(%q).Path() = %q) = %+v, %v; want %+v", path, p, back, err, got)
		}
	})
}
