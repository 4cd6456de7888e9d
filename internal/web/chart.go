package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"

	"github.com/nhs-prevent/prevent/internal/figures"
)

// The charts are drawn here as inline SVG, so pages need no script and no
// chart library, and print as they show. Colours are presentation
// attributes, not style attributes, which the content security policy
// would block.

// Series is one line of a line chart. A NaN value leaves a gap.
type Series struct {
	Name   string
	Colour string
	Values []float64 // fractions, 0..1
}

// LineChart plots series of rates against labelled points, with the
// threshold as a dashed line.
type LineChart struct {
	Title     string // read by screen readers
	Labels    []string
	Series    []Series
	Threshold float64
	Width     int // viewBox units; the SVG scales to its container
	Height    int
	// Lowest, when above zero, is a value the y axis reaches down to
	// whatever the series hold: charts drawn side by side share an axis.
	Lowest float64
}

// Bar is one bar of a bar chart.
type Bar struct {
	Label  string
	Value  float64 // a fraction, 0..1
	Note   string  // written after the bar, e.g. "723 of 854"
	Colour string
	Absent bool // nobody required: no bar
	// Why replaces "nobody required" beside an absent bar.
	Why string
}

// BarChart draws horizontal bars of rates from 0 to 100% with the threshold
// as a dashed line.
type BarChart struct {
	Title     string
	Bars      []Bar
	Threshold float64
	Width     int
}

// Colours of the NHS identity palette.
const (
	nhsBlue     = "#005eb8"
	nhsGreen    = "#007f3b"
	nhsRed      = "#d5281b"
	nhsOrange   = "#ed8b00"
	nhsPurple   = "#330072"
	nhsPaleGrey = "#d8dde0"
)

func esc(s string) string { return html.EscapeString(s) }

// pctText writes a fraction as a percentage with one decimal.
func pctText(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// thresholdText writes the threshold as the config reads: "85%", "87.5%".
func thresholdText(v float64) string { return figures.ThresholdPct(v) }

// axisFloor is the lowest value the y axis shows: 10% steps below the
// lowest value and the threshold, so that movements near the threshold are
// visible, and 0 when a value is low anyway.
func axisFloor(lowest float64) float64 {
	lo := math.Floor(lowest*10-0.0001) / 10
	if lo < 0.3 {
		return 0
	}
	return lo
}

// SVG draws the chart.
func (c LineChart) SVG() template.HTML {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 1000
	}
	if h == 0 {
		h = 300
	}
	// The right margin holds the threshold's label, clear of the lines.
	const left, right, top, bottom = 48.0, 110.0, 34.0, 30.0
	lowest := c.Threshold
	if c.Lowest > 0 {
		lowest = math.Min(lowest, c.Lowest)
	}
	for _, s := range c.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				lowest = math.Min(lowest, v)
			}
		}
	}
	lo := axisFloor(lowest)
	plotW, plotH := float64(w)-left-right, float64(h)-top-bottom
	y := func(v float64) float64 { return top + plotH*(1-(v-lo)/(1-lo)) }
	n := len(c.Labels)
	x := func(i int) float64 {
		if n <= 1 {
			return left + plotW/2
		}
		return left + plotW*float64(i)/float64(n-1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, w, h, esc(c.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	// Grid and y labels.
	for v := lo; v <= 1.0001; v += 0.1 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`, left, y(v), left+plotW, y(v), nhsPaleGrey)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" class="axis">%.0f%%</text>`, left-6, y(v)+4, 100*v)
	}
	// Threshold.
	if c.Threshold > 0 {
		ty := y(c.Threshold)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"/>`, left, ty, left+plotW, ty, nhsRed)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="threshold-label" fill="%s">%s minimum</text>`, left+plotW+8, ty+4, nhsRed, esc(thresholdText(c.Threshold)))
	}
	// X labels.
	for i, l := range c.Labels {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" class="axis">%s</text>`, x(i), float64(h)-10, esc(l))
	}
	// Legend.
	lx := left
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<rect x="%.1f" y="8" width="12" height="12" rx="2" fill="%s"/>`, lx, s.Colour)
		fmt.Fprintf(&b, `<text x="%.1f" y="18" class="legend">%s</text>`, lx+17, esc(s.Name))
		lx += 30 + 7.2*float64(len(s.Name))
	}
	// Lines, broken where a value is missing, and points with tooltips.
	for _, s := range c.Series {
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round"/>`, strings.Join(seg, " "), s.Colour)
			}
			seg = seg[:0]
		}
		for i, v := range s.Values {
			if i >= n || math.IsNaN(v) {
				flush()
				continue
			}
			seg = append(seg, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		flush()
		for i, v := range s.Values {
			if i >= n || math.IsNaN(v) {
				continue
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s, %s: %s</title></circle>`,
				x(i), y(v), s.Colour, esc(s.Name), esc(c.Labels[i]), esc(pctText(v)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

// SVG draws the chart.
func (c BarChart) SVG() template.HTML {
	w := c.Width
	if w == 0 {
		w = 1100
	}
	const labelW, noteW, rowH, top, bottom = 230.0, 230.0, 40.0, 24.0, 26.0
	h := top + bottom + rowH*float64(len(c.Bars))
	plotW := float64(w) - labelW - noteW
	x := func(v float64) float64 { return labelW + plotW*v }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, w, h, esc(c.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	for v := 0.0; v <= 1.0001; v += 0.25 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`, x(v), top, x(v), h-bottom, nhsPaleGrey)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" class="axis">%.0f%%</text>`, x(v), h-8, 100*v)
	}
	for i, bar := range c.Bars {
		ry := top + rowH*float64(i)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" class="bar-label">%s</text>`, labelW-10, ry+rowH/2+5, esc(bar.Label))
		if bar.Absent {
			note := bar.Why
			if note == "" {
				note = "nobody required"
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="bar-note">%s</text>`, labelW+6, ry+rowH/2+5, esc(note))
			continue
		}
		colour := bar.Colour
		if colour == "" {
			colour = nhsBlue
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="%s"><title>%s: %s</title></rect>`,
			labelW, ry+6, math.Max(plotW*bar.Value, 1), rowH-12, colour, esc(bar.Label), esc(pctText(bar.Value)))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="bar-note"><tspan class="bar-value">%s</tspan> %s</text>`,
			x(1)+8, ry+rowH/2+5, esc(pctText(bar.Value)), esc(bar.Note))
	}
	if c.Threshold > 0 {
		tx := x(c.Threshold)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`,
			tx, top-4, tx, h-bottom+4, nhsRed)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" class="threshold-label" fill="%s">%s minimum</text>`,
			tx, top-8, nhsRed, esc(thresholdText(c.Threshold)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
