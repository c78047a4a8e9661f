package runchart

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The chart's geometry in SVG user units (it scales to its box through the viewBox).
const (
	width, height = 640, 200
	left, right   = 70, 630 // the plot's x range (tick labels to the left of it)
	top, bottom   = 12, 172 // the plot's y range (the x axis caption below it)
	failMarkR     = 2.5     // the dot that marks a failed run besides its colour
)

// Summary is the chart's text alternative in numbers.
type Summary struct {
	Count, Failed    int
	Min, Median, Max time.Duration
	Last             Run
}

// Summarize describes runs (oldest first); the zero Summary for none.
func Summarize(runs []Run) Summary {
	if len(runs) == 0 {
		return Summary{}
	}
	ds := make([]time.Duration, len(runs))
	s := Summary{Count: len(runs), Last: runs[len(runs)-1]}
	for i, r := range runs {
		ds[i] = r.Duration
		if r.Failed {
			s.Failed++
		}
	}
	slices.Sort(ds)
	s.Min, s.Max = ds[0], ds[len(ds)-1]
	if n := len(ds); n%2 == 1 {
		s.Median = ds[n/2]
	} else {
		s.Median = (ds[n/2-1] + ds[n/2]) / 2
	}
	return s
}

// Text is the summary in one sentence (the chart's desc and the page's caption).
func (s Summary) Text() string {
	if s.Count == 0 {
		return "No timed runs yet: send /start before a run and the success or failure after it."
	}
	outcome := "succeeded"
	if s.Last.Failed {
		outcome = "failed"
	}
	return fmt.Sprintf("%d runs, %d failed. Shortest %s, median %s, longest %s. The newest run %s after %s.",
		s.Count, s.Failed, Format(s.Min), Format(s.Median), Format(s.Max), outcome, Format(s.Last.Duration))
}

// SVG draws runs (oldest first, at most 100 are meant to be given) as a bar chart: one bar
// per run, its height the duration on a scale from zero to a round maximum, failed runs in
// the failure colour and marked with a dot. id prefixes the ids of its title and desc (it
// must be unique in the page). Colours come from CSS classes (bar, ok, fail, axis, grid), so
// the page's theme styles it; the text is escaped. It answers "" for no runs.
func SVG(runs []Run, id string) string {
	if len(runs) == 0 {
		return ""
	}
	sum := Summarize(runs)
	scale := Ceiling(sum.Max)
	var b strings.Builder
	id = html.EscapeString(id)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="runchart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc">`, width, height, id, id)
	fmt.Fprintf(&b, `<title id="%s-title">Durations of the last %d runs</title>`, id, len(runs))
	fmt.Fprintf(&b, `<desc id="%s-desc">%s</desc>`, id, html.EscapeString(sum.Text()))
	// Grid lines and tick labels at 0, half and the whole scale.
	for _, f := range []float64{0, 0.5, 1} {
		y := yOf(time.Duration(float64(scale)*f), scale)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%s" y2="%s"/>`, left, right, num(y), num(y))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`, left-6, num(y), html.EscapeString(Format(time.Duration(float64(scale)*f))))
	}
	slot := float64(right-left) / float64(len(runs))
	barW := slot * 0.8
	for i, r := range runs {
		x := float64(left) + slot*float64(i) + (slot-barW)/2
		y := yOf(r.Duration, scale)
		h := float64(bottom) - y
		if h < 1 { // a zero-length run still shows
			h, y = 1, float64(bottom)-1
		}
		class, outcome := "bar ok", "success"
		if r.Failed {
			class, outcome = "bar fail", "failure"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"><title>%s: %s (%s)</title></rect>`,
			class, num(x), num(y), num(barW), num(h),
			html.EscapeString(r.End.UTC().Format("2006-01-02 15:04:05 UTC")), html.EscapeString(Format(r.Duration)), outcome)
		if r.Failed {
			fmt.Fprintf(&b, `<circle class="failmark" cx="%s" cy="%s" r="%s"/>`, num(x+barW/2), num(y-failMarkR-1), num(failMarkR))
		}
	}
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d">oldest</text>`, left, height-8)
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">newest</text>`, right, height-8)
	b.WriteString(`</svg>`)
	return b.String()
}

// yOf is the y coordinate of d on a scale from 0 (bottom) to scale (top).
func yOf(d, scale time.Duration) float64 {
	f := float64(d) / float64(scale)
	return float64(bottom) - f*float64(bottom-top)
}

// num writes a coordinate with at most two decimals.
func num(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

// Ceiling is the chart's scale for a longest run of d: the smallest 1, 2 or 5 × 10ⁿ ms at
// or above it (1 s when d is zero).
func Ceiling(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Second
	}
	for step := time.Millisecond; ; step *= 10 {
		for _, m := range []time.Duration{1, 2, 5} {
			if c := m * step; c >= d {
				return c
			}
		}
	}
}

// Format writes a duration as the page shows it: "850 ms", "12.3 s", "4 min 5 s", "1 h 2 min".
func Format(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < 10*time.Second:
		return strconv.FormatFloat(float64(d.Milliseconds())/1000, 'f', 1, 64) + " s"
	case d < time.Minute:
		return strconv.FormatInt(int64(d/time.Second), 10) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int64(d/time.Minute), int64(d%time.Minute/time.Second))
	default:
		return fmt.Sprintf("%d h %d min", int64(d/time.Hour), int64(d%time.Hour/time.Minute))
	}
}
