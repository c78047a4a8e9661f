package runchart_test

import (
	"encoding/xml"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http/web/runchart"
	"github.com/ttr-rip/ttr/messages"
)

var t0 = time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func TestRuns(t *testing.T) {
	p := func(n int64, s int, kind messages.PingLogKind, rid string) runchart.Ping {
		return runchart.Ping{N: n, At: at(s), Kind: kind, RID: rid}
	}
	for _, tc := range []struct {
		name  string
		pings []runchart.Ping
		want  []runchart.Run
	}{
		{"no pings", nil, nil},
		{"success without a start is no run", []runchart.Ping{p(1, 0, messages.KindSuccess, "")}, nil},
		{"start and success", []runchart.Ping{p(1, 0, messages.KindStart, ""), p(2, 7, messages.KindSuccess, "")},
			[]runchart.Run{{EndN: 2, End: at(7), Duration: 7 * time.Second}}},
		{"start and failure", []runchart.Ping{p(1, 10, messages.KindStart, ""), p(2, 12, messages.KindFail, "")},
			[]runchart.Run{{EndN: 2, End: at(12), Failed: true, Duration: 2 * time.Second}}},
		{"log and ignored pings change nothing", []runchart.Ping{p(1, 0, messages.KindStart, ""), p(2, 3, messages.KindLog, ""), p(3, 4, messages.KindIgnored, ""), p(4, 5, messages.KindSuccess, "")},
			[]runchart.Run{{EndN: 4, End: at(5), Duration: 5 * time.Second}}},
		{"a later start replaces the open one", []runchart.Ping{p(1, 0, messages.KindStart, ""), p(2, 10, messages.KindStart, ""), p(3, 15, messages.KindSuccess, "")},
			[]runchart.Run{{EndN: 3, End: at(15), Duration: 5 * time.Second}}},
		{"another run's end leaves the run open", []runchart.Ping{p(1, 0, messages.KindStart, "a"), p(2, 3, messages.KindSuccess, "b"), p(3, 9, messages.KindSuccess, "a")},
			[]runchart.Run{{EndN: 3, End: at(9), Duration: 9 * time.Second}}},
		{"an end without a run id ends a run with one", []runchart.Ping{p(1, 0, messages.KindStart, "a"), p(2, 4, messages.KindSuccess, "")},
			[]runchart.Run{{EndN: 2, End: at(4), Duration: 4 * time.Second}}},
		{"one end ends one run", []runchart.Ping{p(1, 0, messages.KindStart, ""), p(2, 1, messages.KindSuccess, ""), p(3, 2, messages.KindSuccess, "")},
			[]runchart.Run{{EndN: 2, End: at(1), Duration: time.Second}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runchart.Runs(tc.pings)
			if len(got) != len(tc.want) {
				t.Fatalf("runs %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("run %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if got := runchart.Last(make([]runchart.Run, 150), 100); len(got) != 100 {
		t.Errorf("Last kept %d", len(got))
	}
}

func TestFormatAndCeiling(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0 ms", 850 * time.Millisecond: "850 ms", 1234 * time.Millisecond: "1.2 s", 42 * time.Second: "42 s",
		245 * time.Second: "4 min 5 s", 3720 * time.Second: "1 h 2 min",
	} {
		if got := runchart.Format(d); got != want {
			t.Errorf("Format(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]time.Duration{
		0: time.Second, time.Millisecond: time.Millisecond, 3 * time.Millisecond: 5 * time.Millisecond,
		1500 * time.Millisecond: 2 * time.Second, 7 * time.Second: 10 * time.Second, 10 * time.Second: 10 * time.Second,
		11 * time.Minute: 1000 * time.Second,
	} {
		if got := runchart.Ceiling(d); got != want {
			t.Errorf("Ceiling(%v) = %v, want %v", d, got, want)
		}
	}
}

func TestSummary(t *testing.T) {
	runs := []runchart.Run{
		{Duration: 4 * time.Second}, {Duration: 2 * time.Second, Failed: true}, {Duration: 10 * time.Second}, {Duration: 6 * time.Second, Failed: true},
	}
	s := runchart.Summarize(runs)
	if s.Count != 4 || s.Failed != 2 || s.Min != 2*time.Second || s.Max != 10*time.Second || s.Median != 5*time.Second || s.Last != runs[3] {
		t.Fatalf("summary %+v", s)
	}
	if got := s.Text(); got != "4 runs, 2 failed. Shortest 2.0 s, median 5.0 s, longest 10 s. The newest run failed after 6.0 s." {
		t.Errorf("text %q", got)
	}
	if got := runchart.Summarize(nil).Text(); !strings.Contains(got, "No timed runs") {
		t.Errorf("empty text %q", got)
	}
}

var rectRE = regexp.MustCompile(`<rect class="bar (ok|fail)" x="[0-9.]+" y="([0-9.]+)" width="[0-9.]+" height="([0-9.]+)">`)

func TestSVG(t *testing.T) {
	if got := runchart.SVG(nil, "c"); got != "" {
		t.Fatalf("no runs drew %q", got)
	}
	runs := []runchart.Run{
		{EndN: 2, End: at(5), Duration: 5 * time.Second},
		{EndN: 4, End: at(20), Duration: 10 * time.Second, Failed: true},
		{EndN: 6, End: at(30), Duration: 0},
	}
	svg := runchart.SVG(runs, `run<chart>`)
	// Well-formed XML, with its title and desc named by aria-labelledby.
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
	}
	for _, want := range []string{
		`role="img"`, `aria-labelledby="run&lt;chart&gt;-title run&lt;chart&gt;-desc"`,
		`<title id="run&lt;chart&gt;-title">Durations of the last 3 runs</title>`,
		`<desc id="run&lt;chart&gt;-desc">3 runs, 1 failed.`,
		`<title>2026-03-01 03:00:20 UTC: 10 s (failure)</title>`,
		`class="failmark"`, `>10 s</text>`, `>5.0 s</text>`, `>0 ms</text>`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %s\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "style=") || strings.Contains(svg, "<chart>") {
		t.Error("inline style or unescaped text in the SVG")
	}
	bars := rectRE.FindAllStringSubmatch(svg, -1)
	if len(bars) != 3 {
		t.Fatalf("%d bars", len(bars))
	}
	h := func(i int) float64 { v, _ := strconv.ParseFloat(bars[i][3], 64); return v }
	// The scale is 10 s: the 10 s run fills the plot (160 units), the 5 s run half of it,
	// and a zero run still shows as one unit.
	if h(1) != 160 || h(0) != 80 || h(2) != 1 {
		t.Errorf("bar heights %v %v %v", h(0), h(1), h(2))
	}
	if bars[0][1] != "ok" || bars[1][1] != "fail" {
		t.Errorf("bar classes %s %s", bars[0][1], bars[1][1])
	}
}
