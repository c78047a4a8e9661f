package schedule_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// Differential tests against systemd's own implementation:
// `systemd-analyze calendar --base-time=B --iterations=N EXPR...` with
// TZ=UTC. They are skipped when systemd-analyze is not installed.

// differentialExprs are compared iteration by iteration.
var differentialExprs = []string{
	"daily", "hourly", "minutely", "weekly", "monthly", "yearly", "quarterly", "semiannually",
	"Mon..Fri 09:00", "Sat,Sun 10:30", "Mon,Wed,Fri *-*-* 08:00:00", "Mon-Wed 12:00", "Wed, 17:48",
	"*-*-1,15 12:00", "Mon *-*-1..7 00:00", "Mon,Tue *-*-1,15 00:00", "Fri *-*-13",
	"*-02~01", "*-*~01 23:59", "*-*~03", "Mon *-05~07/1", "*-*~1..5/2", "*-01~1..6/2", "Sun *-*~07/1 12:00", "*~02",
	"*-*-* 8..18/2:00", "*:0/15", "*:*:0/20", "*:30:45", "*-*-1/2 06:00", "*-1/3-1 00:00", "*-*-1/10",
	"*-1..3,10..12-1..5/2 04:00", "*-*-* 0/7:0/13:0/17", "*-*-* *:*:30..33", "*-*-31",
	"2027-*-* 12:00", "2026..2030-06-15", "2026/4-01-01", "2030-*-* *:00/5", "Thu,Fri 2027-*-1,5 11:12:13",
	"*-02-29 00:00:00", "12,14,13,12:20,10,30", "03-05 08:05:40", "Mon,Sun 27-*-* 2,1:23",
	"*:*:0/7.5", "*-*-* 1:2:3.5", "@2000000000", "*-02-30", "2024-01-01", "Wed..Sat,Tue 12-10-15 1:2:3",
	"daily Europe/Berlin", "hourly Asia/Tokyo", "weekly Pacific/Auckland", "daily UTC", "daily CET",
	"*:0/15 Europe/Berlin", "*-*-* 02:30 Europe/Berlin", "*:0/15 America/New_York",
	"*-*-* 01:30 America/New_York", "hourly America/New_York", "*:0/15 Australia/Lord_Howe",
	"*-*-* 02:15 Australia/Lord_Howe",
}

// acceptanceExprs are only checked for agreement on what is a valid
// expression (both lists are checked for this).
var acceptanceExprs = []string{
	"*:*/15", "*-*-31/1", "*-*-5..5", "*-*-5..3", "8..18/20:00", "*-05~1/2", "*-05~5..1", "anually", "biannually",
	"bi-annually", "semi-annually", "DAILY", "12", "12:00:60", "1969-01-01", "2200-01-01", "Fri..Mon", "Mon-Fri",
	"00.5:00", "daily utc", "daily europe/berlin", "Mon..Wed..Fri", "Mon..", "Mon,", "Mon.Fri", "*:*:1..5",
	"*:*:1.5..2", "*:*:0..59/0.5", "70-01-01", "69-01-01", "100-01-01", "0-01-01", "*-*-0", "99999999999:00",
	"2147:00", "*:*:2147", "*:*:2148", "*-*-* 24:00", "*-*-*/2", "Mon Tue", "*-*-* *:*:*.5", "*:*:05.",
	"*:*:5.1234567", "*:*:59.9999995", "1,2,3", "Mon 1,2", "*-*-1 12:00 UTC UTC", "12:00 Mars/Olympus", "@-1",
	"@1.5", "@abc", "@1700000000", "Mon 2026", "Mon *", "Mon *-*", "*", "*:*", "*-*", "1-1-1-1", "2026~02-03",
	"2024~02~03", "*-*~0", "*-*~28", "*-*~29", "*-*~28/1", "*-*~27/28", "*-*~*", "+5:00", "05 :00", "Wednesday",
	"Wednes", "Monx", "MONDAY", "mon..SUN 0:0", "Sun..Sat", "*:*:5..5", "Mon,,Tue", "Mon , Tue", "*-1/13-01",
	"*-*-1/30", "*-*-1/31", "*:0/59", "*:0/60", "*:1.5", "*-*-* Mon", "2026-02-29", "12:00 EST5EDT",
	"daily Etc/GMT+5", "Mon\t12:00", "*-*-1/0", "bogus", "1..3..5:00", "1/2/3:00", "*:*:0/0.000001",
	"*-*-01..31/31", "Mon..Fri,", "Mon,Fri, 10:00", "*-*-* 00:00:00.", "@99999999999",
}

// differentialBases are base times (UTC) around which sequences are
// compared; they include the 2026 DST transitions of the zones above.
var differentialBases = []string{
	"2026-01-01 00:00:00", "2027-02-27 12:34:56",
	"2026-03-28 23:10:00", "2026-10-24 23:50:00", // Europe/Berlin
	"2026-03-08 05:40:00", "2026-11-01 04:40:00", // America/New_York
	"2026-04-04 14:00:00", "2026-10-03 15:00:00", // Australia/Lord_Howe
}

const differentialIterations = 6

type systemdResult struct {
	never bool
	times []time.Time // truncated to seconds by systemd's output
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/systemd-analyze"); serr != nil {
			t.Skip("systemd-analyze not installed")
		}
		bin = "/usr/bin/systemd-analyze"
	}
	return bin
}

// runSystemd runs systemd-analyze calendar on exprs and returns the
// results of the expressions it accepted, keyed by expression.
func runSystemd(t *testing.T, bin string, base string, exprs []string) map[string]systemdResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := []string{"calendar", "--iterations=" + strconv.Itoa(differentialIterations)}
	if base != "" {
		args = append(args, "--base-time="+base+" UTC")
	}
	cmd := exec.CommandContext(ctx, bin, append(args, exprs...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("systemd-analyze: %v", err)
	}
	// One block per accepted expression, separated by blank lines. The
	// "Original form" line is omitted when it equals the normalized form.
	results := map[string]systemdResult{}
	var cur string
	var res systemdResult
	flush := func() {
		if cur != "" {
			results[cur] = res
		}
		cur, res = "", systemdResult{}
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			flush()
			continue
		}
		key, val, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch {
		case key == "Original form":
			cur = val
		case key == "Normalized form":
			if cur == "" {
				cur = val
			}
		case key == "Next elapse" && val == "never":
			res.never = true
		case key == "Next elapse" || strings.HasPrefix(key, "Iter. #"):
			f := strings.Fields(val) // "Thu 2026-01-01 00:00:07 UTC"
			if len(f) != 4 || f[3] != "UTC" {
				t.Fatalf("unexpected systemd-analyze line %q", line)
			}
			tm, err := time.Parse("2006-01-02 15:04:05", f[1]+" "+f[2])
			if err != nil {
				t.Fatalf("unexpected systemd-analyze line %q: %v", line, err)
			}
			res.times = append(res.times, tm)
		}
	}
	flush()
	return results
}

// baseTimeSupported reports whether this systemd-analyze knows --base-time
// (systemd 247 and later).
func baseTimeSupported(bin string) bool {
	out, err := exec.Command(bin, "calendar", "--base-time=2026-01-01 00:00:00 UTC", "daily").CombinedOutput()
	return err == nil && strings.Contains(string(out), "2026-01-02 00:00:00")
}

func TestSystemdDifferential(t *testing.T) {
	bin := systemdAnalyze(t)
	bases := differentialBases
	if !baseTimeSupported(bin) {
		t.Logf("%s has no --base-time: comparing from the current time", bin)
		bases = []string{""}
	}
	compared := 0
	for _, base := range bases {
		var from time.Time
		if base == "" {
			from = time.Now().UTC()
		} else {
			var err error
			if from, err = time.Parse("2006-01-02 15:04:05", base); err != nil {
				t.Fatal(err)
			}
		}
		results := runSystemd(t, bin, base, differentialExprs)
		for _, expr := range differentialExprs {
			t.Run(base+"/"+expr, func(t *testing.T) {
				want, accepted := results[expr]
				if !accepted {
					t.Fatalf("systemd rejected %q; fix the test list", expr)
				}
				s, err := schedule.ParseAt(schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: expr}, from)
				if want.never {
					if err == nil || !strings.Contains(err.Error(), "never fires") {
						t.Fatalf("systemd: never elapses; ParseAt: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("ParseAt: %v", err)
				}
				at := from
				if base == "" && len(want.times) > 0 {
					// Without --base-time systemd used its own "now": align on
					// its first elapse.
					at = want.times[0].Add(-time.Second)
				}
				got := schedule.Preview(s, at, len(want.times))
				if len(got) != len(want.times) {
					t.Fatalf("got %d times %v, systemd %d %v", len(got), fmtTimes(got), len(want.times), fmtTimes(want.times))
				}
				for i := range got {
					if g := got[i].Truncate(time.Second); !g.Equal(want.times[i]) {
						t.Fatalf("iteration %d: got %s, systemd %s\n got: %v\nwant: %v", i+1,
							got[i].Format(time.RFC3339Nano), want.times[i].Format(time.RFC3339), fmtTimes(got), fmtTimes(want.times))
					}
				}
				if len(want.times) >= 5 {
					compared++
				}
			})
		}
	}
	if compared < len(differentialExprs)/2 {
		t.Errorf("only %d sequences of 5+ iterations compared", compared)
	}
}

func TestSystemdAcceptance(t *testing.T) {
	bin := systemdAnalyze(t)
	base, from := "2026-01-01 00:00:00", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !baseTimeSupported(bin) {
		base, from = "", time.Now()
	}
	exprs := append(append([]string{}, acceptanceExprs...), differentialExprs...)
	results := runSystemd(t, bin, base, exprs)
	for _, expr := range exprs {
		t.Run(expr, func(t *testing.T) {
			res, accepted := results[expr]
			_, err := schedule.ParseAt(schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: expr}, from)
			never := err != nil && strings.Contains(err.Error(), "never fires")
			switch {
			case !accepted && err == nil:
				t.Errorf("systemd rejects %q, we accept it", expr)
			case !accepted && never:
				t.Errorf("systemd rejects %q, we call it valid but never firing: %v", expr, err)
			case accepted && res.never && !never:
				t.Errorf("systemd accepts %q but it never elapses; we say: %v", expr, err)
			case accepted && !res.never && err != nil:
				t.Errorf("systemd accepts %q, we reject it: %v", expr, err)
			}
		})
	}
}
