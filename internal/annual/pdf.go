package annual

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/go-pdf/fpdf"
)

// The PDF is drawn with go-pdf/fpdf: pure Go, no browser, the standard
// Helvetica (text in Windows-1252, which holds every character the report
// writes), A4 portrait. Tables never split a row, repeat their header on
// each page they run onto, and start on a new page when they would fit on
// one but not in what is left of the current one.

const (
	pageW, pageH = 210.0, 297.0
	margin       = 14.0
	bodyW        = pageW - 2*margin
	bottomLimit  = pageH - 18.0
)

type pdfDoc struct {
	*fpdf.Fpdf
	tr func(string) string
	r  *Report
}

// WritePDF writes the report as a PDF made in Go.
func (r *Report) WritePDF(w io.Writer) error {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, 0)
	f.SetTitle(r.Title(), true)
	f.SetAuthor("prevent", true)
	f.SetCreator("prevent", true)
	f.SetCreationDate(r.GeneratedAt)
	f.SetModificationDate(r.GeneratedAt)
	f.AliasNbPages("{nb}")
	cp1252 := f.UnicodeTranslatorFromDescriptor("")
	d := &pdfDoc{Fpdf: f, tr: func(s string) string { return cp1252(pdfSafe(s)) }, r: r}
	f.SetFooterFunc(d.footer)
	d.cover()
	for _, s := range r.sections() {
		d.section(s)
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("writing the %s annual report PDF: %w", r.Year, err)
	}
	return f.Output(w)
}

func (d *pdfDoc) footer() {
	d.SetY(pageH - 12)
	d.font("", 8, nhsGrey)
	d.CellFormat(bodyW/2, 5, d.tr(d.r.FileName()), "", 0, "L", false, 0, "")
	d.CellFormat(bodyW/2, 5, fmt.Sprintf("Page %d of {nb}", d.PageNo()), "", 0, "R", false, 0, "")
}

func rgb(hex string) (int, int, int) {
	v, _ := strconv.ParseUint(hex[1:], 16, 32)
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

func (d *pdfDoc) font(style string, size float64, colour string) {
	d.SetFont("Helvetica", style, size)
	d.SetTextColor(rgb(colour))
}

func (d *pdfDoc) fill(colour string) { d.SetFillColor(rgb(colour)) }
func (d *pdfDoc) draw(colour string) { d.SetDrawColor(rgb(colour)) }

// para writes a paragraph across the page.
func (d *pdfDoc) para(text string, size float64, style, colour string) {
	d.font(style, size, colour)
	h := size * 0.5
	lines := d.SplitText(d.tr(text), bodyW)
	d.room(float64(len(lines)) * h)
	d.MultiCell(bodyW, h, d.tr(text), "", "L", false)
	d.Ln(1.5)
}

// room starts a new page unless h mm fit above the bottom margin.
func (d *pdfDoc) room(h float64) {
	if d.GetY()+h > bottomLimit {
		d.AddPage()
	}
}

func (d *pdfDoc) cover() {
	r := d.r
	d.AddPage()
	d.fill(nhsBlue)
	d.Rect(margin, margin, bodyW, 40, "F")
	d.SetXY(margin+7, margin+7)
	d.font("B", 22, "#ffffff")
	d.CellFormat(bodyW-14, 10, d.tr("Prevent annual report to the board"), "", 2, "L", false, 0, "")
	d.SetX(margin + 7)
	d.font("B", 18, "#ffffff")
	d.CellFormat(bodyW-14, 9, r.Year.String(), "", 2, "L", false, 0, "")
	d.SetX(margin + 7)
	d.font("", 12, "#ffffff")
	who := r.Provider.Name
	if r.Provider.ODSCode != "" {
		who += " (" + r.Provider.ODSCode + ")"
	}
	d.CellFormat(bodyW-14, 7, d.tr(who), "", 2, "L", false, 0, "")
	d.SetY(margin + 46)
	d.periodBox()
	d.facts()
	d.Ln(3)
	d.para(r.Verdict(), 11, "B", nhsText)
	d.table(r.headline())
	d.font("B", 10, nhsText)
	d.CellFormat(bodyW, 6, "Contents", "", 1, "L", false, 0, "")
	d.font("", 10, nhsText)
	for i, s := range r.sections() {
		d.CellFormat(bodyW, 5.5, d.tr(fmt.Sprintf("%d. %s", i+1, s.Heading)), "", 1, "L", false, 0, "")
	}
	d.Ln(6)
	d.para(fmt.Sprintf("Made by prevent on %s from the staff and training extracts held. Aggregates only: this report holds no name, employee number or staff email address.",
		r.GeneratedAt.UTC().Format("2 January 2006 at 15:04 UTC")), 8.5, "", nhsGrey)
}

func (d *pdfDoc) periodBox() {
	bar, bg := nhsBlue, "#f0f4f5"
	if !d.r.Complete {
		bar, bg = nhsOrange, "#fff4e5"
	}
	d.font("", 10.5, nhsText)
	lines := d.SplitText(d.tr(d.r.Period()), bodyW-8)
	h := float64(len(lines))*5 + 5
	y := d.GetY()
	d.fill(bg)
	d.Rect(margin, y, bodyW, h, "F")
	d.fill(bar)
	d.Rect(margin, y, 1.4, h, "F")
	d.SetXY(margin+5, y+2.5)
	d.MultiCell(bodyW-8, 5, d.tr(d.r.Period()), "", "L", false)
	d.SetY(y + h + 4)
}

func (d *pdfDoc) facts() {
	r := d.r
	rows := [][2]string{{"Provider", dash(r.Provider.Name)}, {"ODS code", dash(r.Provider.ODSCode)}, {"Financial year", r.Year.String()},
		{"Position reported on", longDate(r.LastDay)}, {"Minimum", r.ThresholdText() + " of staff trained at each level required"}}
	for _, c := range []struct {
		role string
		who  Contact
	}{{"Prevent lead", r.Leads.Prevent}, {"Accountable lead", r.Leads.Accountable}} {
		if c.who.Name != "" {
			v := c.who.Name
			if c.who.Email != "" {
				v += ", " + c.who.Email
			}
			rows = append(rows, [2]string{c.role, v})
		}
	}
	for _, kv := range rows {
		d.font("B", 10, nhsGrey)
		d.CellFormat(50, 6, d.tr(kv[0]), "", 0, "L", false, 0, "")
		d.font("", 10, nhsText)
		d.CellFormat(bodyW-50, 6, d.tr(kv[1]), "", 1, "L", false, 0, "")
	}
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// section draws a heading, its paragraphs, chart and tables; the heading
// is kept with what follows it.
func (d *pdfDoc) section(s section) {
	if d.PageNo() == 1 {
		d.AddPage()
	} else {
		// Keep the heading with its chart, or with a table's first rows.
		need := 45.0
		if s.Chart != nil {
			need = 100
		}
		d.room(need)
		d.Ln(4)
	}
	d.draw(nhsBlue)
	d.SetLineWidth(0.6)
	d.Line(margin, d.GetY(), margin+bodyW, d.GetY())
	d.Ln(2.5)
	d.font("B", 14, nhsBlue)
	d.CellFormat(bodyW, 8, d.tr(s.Heading), "", 1, "L", false, 0, "")
	d.Ln(1)
	for _, p := range s.Paras {
		d.para(p, 10, "", nhsText)
	}
	if s.Chart != nil {
		d.chart(*s.Chart, 72)
	}
	for _, t := range s.Tables {
		d.table(t)
	}
}

// chart draws a line chart h mm high with fpdf's lines and circles, from
// the geometry the SVG uses.
func (d *pdfDoc) chart(c lineChart, h float64) {
	d.room(h + 2)
	x0, y0 := margin, d.GetY()
	f := c.frame(bodyW, h, 11, 22, 9, 7)
	d.SetLineWidth(0.2)
	d.draw(nhsPaleGrey)
	for _, v := range f.ticks() {
		d.Line(x0+f.left, y0+f.y(v), x0+f.left+f.plotW, y0+f.y(v))
		d.font("", 7.5, nhsGrey)
		label := fmt.Sprintf("%.0f%%", 100*v)
		d.Text(x0+f.left-1.5-d.GetStringWidth(label), y0+f.y(v)+1.2, label)
	}
	if c.Threshold > 0 {
		ty := y0 + f.y(c.Threshold)
		d.draw(nhsRed)
		d.SetLineWidth(0.4)
		d.SetDashPattern([]float64{2, 1.3}, 0)
		d.Line(x0+f.left, ty, x0+f.left+f.plotW, ty)
		d.SetDashPattern(nil, 0)
		d.font("", 7.5, nhsRed)
		d.Text(x0+f.left+f.plotW+2, ty+1.2, d.tr(d.r.ThresholdText()+" minimum"))
	}
	d.font("", 7.5, nhsGrey)
	for i, l := range c.Labels {
		d.Text(x0+f.x(i)-d.GetStringWidth(l)/2, y0+h-2, l)
	}
	d.legend(c, x0+f.left, y0+3)
	for _, s := range c.Series {
		d.series(s, f, x0, y0)
	}
	d.SetY(y0 + h + 3)
}

func (d *pdfDoc) legend(c lineChart, x, y float64) {
	d.font("", 8, nhsText)
	for _, s := range c.Series {
		d.draw(s.Colour)
		d.SetLineWidth(0.9)
		if s.Dash {
			d.SetDashPattern([]float64{1.8, 1}, 0)
		}
		d.Line(x, y, x+6, y)
		d.SetDashPattern(nil, 0)
		d.Text(x+8, y+1.2, d.tr(s.Name))
		x += 14 + d.GetStringWidth(d.tr(s.Name))
	}
}

func (d *pdfDoc) series(s series, f frame, x0, y0 float64) {
	d.draw(s.Colour)
	d.fill(s.Colour)
	d.SetLineWidth(0.7)
	if s.Dash {
		d.SetDashPattern([]float64{1.8, 1}, 0)
	}
	prev := -1
	for i, v := range s.Values {
		if math.IsNaN(v) {
			prev = -1
			continue
		}
		if prev >= 0 {
			d.Line(x0+f.x(prev), y0+f.y(s.Values[prev]), x0+f.x(i), y0+f.y(v))
		}
		prev = i
	}
	d.SetDashPattern(nil, 0)
	for i, v := range s.Values {
		if !math.IsNaN(v) {
			d.Circle(x0+f.x(i), y0+f.y(v), 0.9, "F")
		}
	}
}
