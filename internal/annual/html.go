package annual

import (
	_ "embed"
	"html/template"
	"io"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// htmlView is what the template reads.
type htmlView struct {
	*Report
	Sections  []htmlSection
	Headline  table
	Generated string
}

type htmlSection struct {
	section
	Chart template.HTML
}

// WriteHTML writes the report as one self-contained HTML file: inline CSS
// and SVG, no script, nothing fetched; it prints on A4.
func (r *Report) WriteHTML(w io.Writer) error {
	v := htmlView{Report: r, Headline: r.headline(), Generated: r.GeneratedAt.UTC().Format("2 January 2006 at 15:04 UTC")}
	for _, s := range r.sections() {
		hs := htmlSection{section: s}
		if s.Chart != nil {
			// The chart's text is escaped as it is drawn.
			hs.Chart = template.HTML(s.Chart.SVG(s.ChartTitle)) // #nosec G203
		}
		v.Sections = append(v.Sections, hs)
	}
	return htmlTemplate.Execute(w, v)
}

// headline is the cover's table: each level on the last day reported.
func (r *Report) headline() table {
	t := table{Header: []string{"Level", "Required", "Compliant", "Rate", "Meets " + r.ThresholdText()}}
	for _, l := range levelRows(r.YearEnd.Total) {
		if l.Tally.Required == 0 && !l.All {
			continue
		}
		t.Rows = append(t.Rows, row{Total: l.All, Cells: []cell{label(l.Name), count(l.Tally.Required), count(l.Tally.Compliant),
			r.rate(l.Tally, false), r.meets(l.Tally.Meets(r.Threshold), l.Tally.Required > 0)}})
	}
	return t
}

// DateOf is a date as the cover writes it.
func (r *Report) DateOf(t time.Time) string { return longDate(t) }
