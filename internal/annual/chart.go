package annual

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
)

// Colours of the NHS identity palette, as the dashboard uses them.
const (
	nhsBlue     = "#005eb8"
	nhsDarkBlue = "#003087"
	nhsGreen    = "#007f3b"
	nhsRed      = "#d5281b"
	nhsAmber    = "#ffb81c"
	nhsOrange   = "#ed8b00"
	nhsPurple   = "#330072"
	nhsGrey     = "#425563"
	nhsPaleGrey = "#d8dde0"
	nhsText     = "#212b32"
)

// series is one line of a chart: a level, or all staff.
type series struct {
	Name   string
	Colour string
	Dash   bool
	Values []float64 // fractions 0..1; NaN leaves a gap
}

// lineChart is a chart of rates against labelled points with the
// threshold as a dashed red line. The HTML draws it as SVG and the PDF
// with its own primitives, from the same geometry.
type lineChart struct {
	Labels    []string
	Series    []series
	Threshold float64
}

// trendChart is the rate of each level and all staff at each quarter-end.
func (r *Report) trendChart() lineChart {
	c := lineChart{Threshold: r.Threshold}
	for _, q := range r.Trend {
		c.Labels = append(c.Labels, shortLabel(q.Quarter))
	}
	for _, l := range compliance.Levels {
		s := series{Name: l.Title(), Colour: levelColour(l)}
		for _, q := range r.Trend {
			s.Values = append(s.Values, rateOrGap(q.Total.Level(l)))
		}
		c.Series = append(c.Series, s)
	}
	all := series{Name: "All staff", Colour: nhsText, Dash: true}
	for _, q := range r.Trend {
		all.Values = append(all.Values, rateOrGap(q.Total.All))
	}
	c.Series = append(c.Series, all)
	return c
}

// forecastChart is each level's rate from the last day over the next
// month-ends if nobody trains.
func (r *Report) forecastChart() lineChart {
	c := lineChart{Threshold: r.Threshold, Labels: []string{r.Plan.From.Format("2 Jan 06")}}
	for _, d := range compliance.MonthEnds(r.Plan.From, ForecastMonths) {
		c.Labels = append(c.Labels, d.Format("Jan 06"))
	}
	for _, f := range r.Plan.Forecasts {
		s := series{Name: f.Level.Title(), Colour: levelColour(f.Level), Values: []float64{f.Now.Rate()}}
		for _, m := range f.Months {
			s.Values = append(s.Values, m.Tally.Rate())
		}
		c.Series = append(c.Series, s)
	}
	return c
}

func levelColour(l compliance.Level) string {
	switch l {
	case compliance.Level3:
		return nhsOrange
	case compliance.FaceToFace:
		return nhsPurple
	}
	return nhsBlue
}

func rateOrGap(t compliance.Tally) float64 {
	if t.Required == 0 {
		return math.NaN()
	}
	return t.Rate()
}

// floor is the lowest value the y axis shows: 10% steps below the lowest
// value and the threshold, so movements near the threshold show, and 0
// when a value is low anyway.
func (c lineChart) floor() float64 {
	lowest := c.Threshold
	for _, s := range c.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				lowest = math.Min(lowest, v)
			}
		}
	}
	lo := math.Floor(lowest*10-0.0001) / 10
	if lo < 0.3 {
		return 0
	}
	return lo
}

// frame places the plot in a w×h box: x of point i, y of a value.
type frame struct {
	left, top, plotW, plotH, lo float64
	n                           int
}

// frame places the plot in a w×h box with margins for the axis labels,
// the legend above and the threshold's label on the right.
func (c lineChart) frame(w, h, left, right, top, bottom float64) frame {
	return frame{left: left, top: top, plotW: w - left - right, plotH: h - top - bottom, lo: c.floor(), n: len(c.Labels)}
}

func (f frame) x(i int) float64 {
	if f.n <= 1 {
		return f.left + f.plotW/2
	}
	return f.left + f.plotW*float64(i)/float64(f.n-1)
}

func (f frame) y(v float64) float64 { return f.top + f.plotH*(1-(v-f.lo)/(1-f.lo)) }

// ticks are the y axis's gridline values.
func (f frame) ticks() []float64 {
	var out []float64
	for v := f.lo; v <= 1.0001; v += 0.1 {
		out = append(out, v)
	}
	return out
}

// SVG draws the chart as inline SVG with presentation attributes only, so
// that it needs no stylesheet and prints as it shows.
func (c lineChart) SVG(title string) string {
	const w, h = 720.0, 260.0
	f := c.frame(w, h, 40, 70, 28, 22)
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg" font-family="Arial, Helvetica, sans-serif" font-size="11">`, w, h, esc(title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	for _, v := range f.ticks() {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, f.left, f.y(v), f.left+f.plotW, f.y(v), nhsPaleGrey)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="%s">%.0f%%</text>`, f.left-5, f.y(v)+4, nhsGrey, 100*v)
	}
	if c.Threshold > 0 {
		ty := f.y(c.Threshold)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"/>`, f.left, ty, f.left+f.plotW, ty, nhsRed)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s">%s minimum</text>`, f.left+f.plotW+6, ty+4, nhsRed, esc(figures.ThresholdPct(c.Threshold)))
	}
	for i, l := range c.Labels {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, f.x(i), h-6, nhsGrey, esc(l))
	}
	lx := f.left
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="12" x2="%.1f" y2="12" stroke="%s" stroke-width="3"%s/>`, lx, lx+16, s.Colour, dashAttr(s.Dash))
		fmt.Fprintf(&b, `<text x="%.1f" y="16" fill="%s">%s</text>`, lx+21, nhsText, esc(s.Name))
		lx += 34 + 6.2*float64(len(s.Name))
	}
	for _, s := range c.Series {
		for _, seg := range c.segments(s, f) {
			if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round"%s/>`, strings.Join(seg, " "), s.Colour, dashAttr(s.Dash))
			}
		}
		for i, v := range s.Values {
			if !math.IsNaN(v) {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s %s: %.1f%%</title></circle>`, f.x(i), f.y(v), s.Colour, esc(s.Name), esc(c.Labels[i]), 100*v)
			}
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// segments are the runs of points between gaps, as "x,y" pairs.
func (c lineChart) segments(s series, f frame) [][]string {
	var out [][]string
	var seg []string
	for i, v := range s.Values {
		if math.IsNaN(v) {
			out, seg = append(out, seg), nil
			continue
		}
		seg = append(seg, fmt.Sprintf("%.1f,%.1f", f.x(i), f.y(v)))
	}
	return append(out, seg)
}

func dashAttr(dash bool) string {
	if dash {
		return ` stroke-dasharray="7 4"`
	}
	return ""
}
