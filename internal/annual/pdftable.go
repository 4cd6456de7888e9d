package annual

// A table on the PDF: column widths from the widest text in each column,
// scaled to the page; a header of wrapped bold white text on NHS blue.

const (
	tableFont = 8.5
	subFont   = 7
	lineH     = 4.2
)

func (d *pdfDoc) table(t table) {
	widths := d.columnWidths(t)
	headH := d.headerHeight(t, widths)
	rowsH := 0.0
	for _, r := range t.Rows {
		rowsH += rowHeight(r)
	}
	capH := 0.0
	if t.Caption != "" {
		capH = 6
	}
	// A table that fits on a page starts on a fresh one rather than split.
	if total := capH + headH + rowsH; d.GetY()+total > bottomLimit && total < bottomLimit-margin {
		d.AddPage()
	}
	if t.Caption != "" {
		d.room(capH + headH + firstRowHeight(t))
		d.font("B", 9.5, nhsText)
		d.CellFormat(bodyW, capH, d.tr(t.Caption), "", 1, "L", false, 0, "")
	}
	d.room(headH + firstRowHeight(t))
	d.header(t, widths, headH)
	for _, r := range t.Rows {
		if d.GetY()+rowHeight(r) > bottomLimit {
			d.AddPage()
			d.header(t, widths, headH)
		}
		d.row(t, r, widths)
	}
	d.Ln(4)
}

// firstRowHeight is the height of a table's first row, 0 for a table of
// none (its header stands alone).
func firstRowHeight(t table) float64 {
	if len(t.Rows) == 0 {
		return 0
	}
	return rowHeight(t.Rows[0])
}

func rowHeight(r row) float64 {
	for _, c := range r.Cells {
		if c.Sub != "" {
			return 2*lineH + 1.6
		}
	}
	return lineH + 2.4
}

func (d *pdfDoc) columnWidths(t table) []float64 {
	widths := make([]float64, len(t.Header))
	d.SetFont("Helvetica", "B", tableFont)
	for i, h := range t.Header {
		// A header may wrap onto two lines at its widest word.
		widths[i] = max(d.GetStringWidth(d.tr(h))/2, longestWord(d, h)) + 4
	}
	for _, r := range t.Rows {
		for i, c := range r.Cells {
			if i >= len(widths) {
				continue
			}
			d.SetFont("Helvetica", "B", tableFont)
			w := d.GetStringWidth(d.tr(c.Text))
			d.SetFont("Helvetica", "", subFont)
			w = max(w, d.GetStringWidth(c.Sub))
			widths[i] = max(widths[i], w+4)
		}
	}
	sum := 0.0
	for _, w := range widths {
		sum += w
	}
	// Share out the page: the spare width goes to every column alike, and
	// too wide a table is scaled down.
	spare := (bodyW - sum) / float64(len(widths))
	for i := range widths {
		if spare > 0 {
			widths[i] += spare
		} else {
			widths[i] *= bodyW / sum
		}
	}
	return widths
}

func longestWord(d *pdfDoc, s string) float64 {
	best, start := 0.0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			best = max(best, d.GetStringWidth(d.tr(s[start:i])))
			start = i + 1
		}
	}
	return best
}

func (d *pdfDoc) headerHeight(t table, widths []float64) float64 {
	d.SetFont("Helvetica", "B", tableFont)
	lines := 1
	for i, h := range t.Header {
		lines = max(lines, len(d.SplitText(d.tr(h), widths[i]-3)))
	}
	return float64(lines)*lineH + 2.4
}

func (d *pdfDoc) header(t table, widths []float64, h float64) {
	x, y := margin, d.GetY()
	d.fill(nhsBlue)
	d.Rect(x, y, bodyW, h, "F")
	d.font("B", tableFont, "#ffffff")
	for i, head := range t.Header {
		lines := d.SplitText(d.tr(head), widths[i]-3)
		align := "R"
		if t.LeftColumn(i) {
			align = "L"
		}
		ly := y + h - 1.2 - float64(len(lines))*lineH
		for _, l := range lines {
			d.SetXY(x+1.5, ly)
			d.CellFormat(widths[i]-3, lineH, l, "", 0, align, false, 0, "")
			ly += lineH
		}
		x += widths[i]
	}
	d.SetXY(margin, y+h)
}

func (d *pdfDoc) row(t table, r row, widths []float64) {
	h := rowHeight(r)
	x, y := margin, d.GetY()
	if r.Total {
		d.fill("#f0f4f5")
		d.Rect(x, y, bodyW, h, "F")
	}
	for i, c := range r.Cells {
		if i >= len(widths) {
			break
		}
		d.cell(c, x, y, widths[i], h, t.LeftColumn(i) || c.Left, r.Total)
		x += widths[i]
	}
	d.SetLineWidth(0.2)
	d.draw(nhsPaleGrey)
	if r.First {
		d.SetLineWidth(0.4)
		d.draw("#768692")
		d.Line(margin, y, margin+bodyW, y)
		d.SetLineWidth(0.2)
		d.draw(nhsPaleGrey)
	}
	d.Line(margin, y+h, margin+bodyW, y+h)
	d.SetXY(margin, y+h)
}

// markColours are a cell's fill (or "") and text colour by its mark.
var markColours = map[string][2]string{
	"good":  {"", nhsGreen},
	"bad":   {"", nhsRed},
	"green": {"#e5f2eb", "#005a2a"},
	"amber": {"#fff4d6", "#6b4a00"},
	"red":   {"#fbe9e7", "#a41d12"},
}

func (d *pdfDoc) cell(c cell, x, y, w, h float64, left, bold bool) {
	style, colour := "", nhsText
	if mc, ok := markColours[c.Mark]; ok {
		style, colour = "B", mc[1]
		if mc[0] != "" {
			d.fill(mc[0])
			d.Rect(x, y, w, h, "F")
		}
	}
	if bold {
		style = "B"
	}
	align := "R"
	if left {
		align = "L"
	}
	d.font(style, tableFont, colour)
	d.SetXY(x+1.5, y+1.2)
	d.CellFormat(w-3, lineH, d.tr(c.Text), "", 0, align, false, 0, "")
	if c.Sub != "" {
		d.font("", subFont, nhsGrey)
		d.SetXY(x+1.5, y+1.2+lineH)
		d.CellFormat(w-3, lineH, d.tr(c.Sub), "", 0, align, false, 0, "")
	}
}
