package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// chart is one PNG the tool draws.
type chart struct {
	file, alt string
	draw      func(*Report) (*plot.Plot, error)
}

// charts lists the PNGs, in the order the Markdown shows them.
func charts() []chart {
	return []chart{
		{"throughput.png", "Pings per second per configuration, with the reference", throughputChart},
		{"latency.png", "Open-loop latency percentiles per configuration", latencyChart},
		{"rounds.png", "Closed-loop throughput per round", roundsChart},
	}
}

// writeCharts draws every chart into dir.
func writeCharts(rep *Report, dir string) error {
	if len(rep.Rows) == 0 {
		return nil // nothing measured
	}
	for _, c := range charts() {
		p, err := c.draw(rep)
		if err != nil {
			return fmt.Errorf("%s: %w", c.file, err)
		}
		if err := p.Save(10*vg.Inch, 5*vg.Inch, filepath.Join(dir, c.file)); err != nil {
			return fmt.Errorf("%s: %w", c.file, err)
		}
	}
	return nil
}

// configsOf lists the configurations that have rows, in run order.
func configsOf(rep *Report) []string {
	var names []string
	for _, r := range rep.Rows {
		if len(names) == 0 || names[len(names)-1] != r.Config {
			names = append(names, r.Config)
		}
	}
	return names
}

// throughputChart: grouped bars, one group per configuration, one bar per generator, each
// labelled with its ratio to the reference.
func throughputChart(rep *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Pings per second, median of %d rounds (%s checks, %d connections)",
		rep.Settings.Rounds, fmtInt(float64(rep.Settings.Checks)), rep.Settings.Conns)
	p.Y.Label.Text = "responses 200 / s"
	p.Y.Min = 0
	names := configsOf(rep)
	width := vg.Points(36)
	gens := []string{genOwn, genWrk}
	maxV := 0.0
	for gi, gen := range gens {
		vals := make(plotter.Values, len(names))
		var labels plotter.XYLabels
		any := false
		for i, n := range names {
			for _, r := range rep.Rows {
				if r.Config == n && r.Generator == gen {
					vals[i] = r.ReqPerSec
					maxV = math.Max(maxV, r.ReqPerSec)
					any = true
					if r.Ratio > 0 {
						labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: r.ReqPerSec})
						labels.Labels = append(labels.Labels, fmt.Sprintf("%s\n%.2f× ref", fmtInt(r.ReqPerSec), r.Ratio))
					}
				}
			}
		}
		if !any {
			continue
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		bars.Color = plotutil.Color(gi)
		bars.LineStyle.Width = 0
		offset := width * (vg.Length(gi) - 0.5)
		bars.Offset = offset
		p.Add(bars)
		p.Legend.Add(gen, bars)
		if len(labels.XYs) > 0 {
			l, err := plotter.NewLabels(labels)
			if err != nil {
				return nil, err
			}
			for i := range l.TextStyle {
				l.TextStyle[i].XAlign = draw.XCenter
				l.TextStyle[i].Font.Size = vg.Points(8)
			}
			l.Offset = vg.Point{X: offset, Y: vg.Points(4)}
			p.Add(l)
		}
	}
	p.Y.Max = maxV * 1.3 // room for the labels and the legend
	p.Y.Tick.Marker = countTicks{}
	p.NominalX(names...)
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p, nil
}

// latencyChart: one line per configuration over the percentiles, logarithmic in time.
func latencyChart(rep *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Open-loop latency at %.0f %% of each configuration's maximum (median of %d rounds)",
		rep.Settings.OpenFraction*100, rep.Settings.Rounds)
	p.Y.Label.Text = "latency from due time (ms, log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks125{}
	qs := []string{"p50", "p90", "p99", "p99.9", "max"}
	lo, hi := math.Inf(1), 0.0
	i := 0
	for _, r := range rep.Rows {
		if r.Generator != genOwn || r.Latency == nil {
			continue
		}
		var pts plotter.XYs
		for x, q := range qs {
			if v := r.Latency[q]; v > 0 {
				pts = append(pts, plotter.XY{X: float64(x), Y: v / 1e3})
				lo, hi = math.Min(lo, v/1e3), math.Max(hi, v/1e3)
			}
		}
		if len(pts) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(2)
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(fmt.Sprintf("%s at %s/s", r.Config, fmtInt(r.OpenRate)), line, points)
		i++
	}
	if hi > 0 {
		p.Y.Min, p.Y.Max = lo/1.5, hi*6 // room above for the legend
	}
	p.NominalX(qs...)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p, nil
}

// roundsChart: closed-loop (and wrk) throughput per round, to show drift as data grows.
func roundsChart(rep *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Throughput per round (closed loop; drift shows a server slowing down as its data grows)"
	p.X.Label.Text = "round"
	p.Y.Label.Text = "responses 200 / s"
	p.Y.Min = 0
	maxV := 0.0
	for i, r := range rep.Rows {
		var pts plotter.XYs
		for j, v := range r.Rounds {
			pts = append(pts, plotter.XY{X: float64(j + 1), Y: v})
			maxV = math.Max(maxV, v)
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(2)
		if r.Generator == genWrk {
			line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(r.Config+" ("+r.Generator+")", line, points)
	}
	p.Y.Max = maxV * 1.4 // room for the legend
	p.Y.Tick.Marker = countTicks{}
	p.X.Tick.Marker = integerTicks{}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p, nil
}

// integerTicks marks whole numbers only (round numbers).
type integerTicks struct{}

// Ticks returns a labelled tick at each integer in [lo, hi].
func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for v := math.Ceil(lo); v <= hi; v++ {
		ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprint(v)})
	}
	return ts
}

// countTicks are gonum's default ticks labelled with thousands separators.
type countTicks struct{}

// Ticks relabels plot.DefaultTicks.
func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmtInt(ts[i].Value)
		}
	}
	return ts
}

// logTicks125 labels 1, 2 and 5 of every decade on a logarithmic axis, with minor ticks
// between them (gonum's LogTicks labels powers of ten only, too few on a narrow range).
type logTicks125 struct{}

// Ticks returns the ticks in [lo, hi] (lo > 0).
func (logTicks125) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		dec := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * dec
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}
