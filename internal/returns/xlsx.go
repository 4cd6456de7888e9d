package returns

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
)

// Sheet names of the XLSX return, in workbook order.
const (
	SheetCover  = "Cover"
	SheetReturn = "Return"
	SheetChart  = "Chart"
	SheetTrend  = "Trend"
)

// TrendColumns is the header of the trend sheet.
var TrendColumns = []string{"quarter", "basic_pct", "level3_pct", "face_to_face_pct", "all_pct", "threshold_pct"}

// NHS identity colours, and the usual spreadsheet good/bad fills.
const (
	nhsBlue      = "005EB8"
	nhsDarkBlue  = "003087"
	nhsLightBlue = "41B6E6"
	nhsPurple    = "330072"
	nhsRed       = "DA291C"
	nhsGrey      = "425563"
	headerFill   = "DDEBF7"
	goodFill     = "C6EFCE"
	goodFont     = "006100"
	badFill      = "FFC7CE"
	badFont      = "9C0006"
)

// WriteXLSX writes the return as a workbook a commissioner can read at a
// glance: a Cover with the headline figures and provenance, the Return
// table exactly as the CSV (from A1, so it reads like the CSV), a Chart of
// each organisation's rate by level against the threshold, and the Trend
// of the total over the given earlier quarters (oldest first; points at or
// after the return's quarter are ignored) and this one; with a referrals
// section, the Referrals sheet (as the referrals CSV) and the Prevent lead.
// Every text cell is a string, never a formula.
func (r *Return) WriteXLSX(w io.Writer, trend []TrendPoint) error {
	f := excelize.NewFile()
	defer f.Close()
	b := &book{f: f, r: r, recs: r.Records(), styles: map[cellStyle]int{}}
	if err := f.SetSheetName("Sheet1", SheetCover); err != nil {
		return err
	}
	sheets := []string{SheetReturn, SheetChart, SheetTrend}
	if r.Activity != nil {
		sheets = append(sheets, SheetReferrals, SheetLead)
	}
	for _, name := range sheets {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	b.cover()
	b.table()
	b.chart()
	b.trend(trend)
	if r.Activity != nil {
		b.referrals()
	}
	if b.err != nil {
		return fmt.Errorf("writing the %s return workbook: %w", r.Quarter, b.err)
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:   "Prevent quarterly data return " + r.Quarter.String(),
		Subject: figures.SafeCell(r.Provider.Name),
		Creator: "prevent", LastModifiedBy: "prevent",
	}); err != nil {
		return err
	}
	return f.Write(w)
}

// book writes one workbook, keeping the first error so that the layout
// code reads as a list of cells.
type book struct {
	f      *excelize.File
	r      *Return
	recs   [][]string
	styles map[cellStyle]int
	err    error
}

// cellStyle is the few ways the workbook formats a cell.
type cellStyle struct {
	bold, wrap, topRule bool
	size                float64
	numFmt, align       string
	fill, font          string
}

func (b *book) style(cs cellStyle) int {
	if id, ok := b.styles[cs]; ok {
		return id
	}
	s := &excelize.Style{Font: &excelize.Font{Bold: cs.bold, Size: cs.size, Color: cs.font}}
	if cs.numFmt != "" {
		s.CustomNumFmt = &cs.numFmt
	}
	if cs.fill != "" {
		s.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{cs.fill}}
	}
	if cs.wrap || cs.align != "" {
		s.Alignment = &excelize.Alignment{WrapText: cs.wrap, Vertical: "top", Horizontal: cs.align}
	}
	if cs.topRule {
		s.Border = []excelize.Border{{Type: "top", Color: "000000", Style: 1}}
	}
	id, err := b.f.NewStyle(s)
	b.fail(err)
	b.styles[cs] = id
	return id
}

func (b *book) fail(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

// str writes text, neutralised so that no spreadsheet reads it as a formula.
func (b *book) str(sheet string, col, row int, v string, cs cellStyle) {
	ref := cellName(col, row)
	b.fail(b.f.SetCellStr(sheet, ref, figures.SafeCell(v)))
	b.fail(b.f.SetCellStyle(sheet, ref, ref, b.style(cs)))
}

func (b *book) num(sheet string, col, row int, v float64, cs cellStyle) {
	ref := cellName(col, row)
	b.fail(b.f.SetCellFloat(sheet, ref, v, -1, 64))
	b.fail(b.f.SetCellStyle(sheet, ref, ref, b.style(cs)))
}

// blank styles an empty cell (so a TOTAL row is bold across).
func (b *book) blank(sheet string, col, row int, cs cellStyle) {
	ref := cellName(col, row)
	b.fail(b.f.SetCellStyle(sheet, ref, ref, b.style(cs)))
}

// pct writes a percentage from the return's text ("66.7"), or leaves the
// cell blank when the text is empty.
func (b *book) pct(sheet string, col, row int, v string, cs cellStyle) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		b.blank(sheet, col, row, cs)
		return
	}
	b.num(sheet, col, row, x, cs)
}

func (b *book) widths(sheet string, widths ...float64) {
	for i, wd := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		b.fail(b.f.SetColWidth(sheet, col, col, wd))
	}
}

func (b *book) landscape(sheet string) { b.fitWidth(sheet, "landscape") }

// fitWidth prints the sheet one page wide.
func (b *book) fitWidth(sheet, orient string) {
	fit, wide, tall := true, 1, 0
	b.fail(b.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}))
	b.fail(b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &orient, FitToWidth: &wide, FitToHeight: &tall}))
}

func longDate(t time.Time) string {
	if t.IsZero() {
		return "(not recorded)"
	}
	return t.Format("2 January 2006")
}

func (b *book) thresholdText() string { return figures.ThresholdPct(b.r.Threshold) }

func yesNo(ok bool) string {
	if ok {
		return "Yes"
	}
	return "No"
}

func verdict(ok, big bool) cellStyle {
	cs := cellStyle{bold: true, fill: badFill, font: badFont}
	if ok {
		cs.fill, cs.font = goodFill, goodFont
	}
	if big {
		cs.size = 14
	}
	return cs
}

// cover writes the headline a commissioner reads first, then where the
// figures come from.
func (b *book) cover() {
	const sh = SheetCover
	r, total := b.r, b.r.Total
	th := b.thresholdText()
	b.widths(sh, 30, 16, 13, 13, 15)
	b.fail(b.f.SetSheetView(sh, 0, &excelize.ViewOptions{ShowGridLines: new(bool)}))

	b.str(sh, 1, 1, "Prevent quarterly data return", cellStyle{bold: true, size: 18, font: nhsBlue})
	b.str(sh, 1, 2, fmt.Sprintf("%s (%s)", r.Provider.Name, r.Provider.ODSCode), cellStyle{size: 12, font: nhsGrey})
	b.str(sh, 1, 3, fmt.Sprintf("%s: %s to %s", r.Quarter, longDate(r.Quarter.Start()), longDate(r.Quarter.End())),
		cellStyle{size: 12, font: nhsGrey})

	meets := total.MeetsThreshold(r.Threshold)
	b.str(sh, 1, 5, "Meets "+th+" threshold", cellStyle{bold: true, size: 14})
	b.str(sh, 2, 5, yesNo(meets), verdict(meets, true))
	b.fail(b.f.SetRowHeight(sh, 5, 22))
	orgsMeeting := 0
	for _, s := range r.Rows {
		if s.MeetsThreshold(r.Threshold) {
			orgsMeeting++
		}
	}
	b.str(sh, 1, 6, "Organisations meeting it", cellStyle{})
	b.str(sh, 2, 6, fmt.Sprintf("%d of %d", orgsMeeting, len(r.Rows)), cellStyle{})

	row := 8
	head := cellStyle{bold: true, fill: headerFill}
	for i, h := range []string{"Total compliance", "Required", "Compliant", "Compliance", "Meets " + th} {
		cs := head
		if i >= 1 && i <= 3 { // over numbers
			cs.align = "right"
		}
		b.str(sh, i+1, row, h, cs)
	}
	line := func(label string, t compliance.Tally, judged bool, cs cellStyle) {
		row++
		b.str(sh, 1, row, label, cs)
		b.num(sh, 2, row, float64(t.Required), cs)
		b.num(sh, 3, row, float64(t.Compliant), cs)
		pcs := cs
		pcs.numFmt = `0.0"%"`
		b.pct(sh, 4, row, figures.Pct(t), pcs)
		switch {
		case !judged:
			b.blank(sh, 5, row, cs)
		case t.Required == 0:
			b.str(sh, 5, row, "nobody required", cellStyle{font: nhsGrey})
		default:
			b.str(sh, 5, row, yesNo(t.Meets(r.Threshold)), verdict(t.Meets(r.Threshold), false))
		}
	}
	for _, l := range compliance.Levels {
		line(l.Title(), total.Level(l), true, cellStyle{})
	}
	line("All staff", total.All, false, cellStyle{bold: true, topRule: true})

	row += 2
	b.str(sh, 1, row, "About this return", cellStyle{bold: true, size: 12, font: nhsBlue})
	fact := func(label, value string) {
		row++
		b.str(sh, 1, row, label, cellStyle{bold: true})
		b.str(sh, 2, row, value, cellStyle{})
	}
	fact("Provider", r.Provider.Name)
	fact("ODS code", r.Provider.ODSCode)
	fact("Quarter", r.Quarter.String())
	fact("Period", longDate(r.Quarter.Start())+" to "+longDate(r.Quarter.End()))
	fact("Figures as of", longDate(r.AsOf))
	fact("Staff snapshot effective", longDate(r.SnapshotDate))
	fact("Staff snapshot file", orNotRecorded(r.SnapshotFile))
	if len(r.Sources) == 0 {
		fact("Extract files used", "(not recorded)")
	}
	for i, src := range r.Sources {
		label := ""
		if i == 0 {
			label = "Extract files used"
		}
		fact(label, src)
	}
	fact("Threshold", th+" of the staff required at each level")
	if r.SuppressBelow > 1 {
		fact("Small numbers", fmt.Sprintf("organisation counts of 1 to %d shown as %s", r.SuppressBelow-1, Suppressed))
	}
	if !r.GeneratedAt.IsZero() {
		fact("Generated", r.GeneratedAt.Format("2 January 2006 15:04 MST"))
	}
	row += 2
	b.str(sh, 1, row, "Counts are people, not assignments. A person counts as compliant when their training at or above "+
		"the required level is in date, including when it falls due soon. Percentages are rounded half up to one decimal; "+
		"the threshold is met when every level with staff required reaches it.", cellStyle{wrap: true, font: nhsGrey})
	b.fail(b.f.MergeCell(sh, cellName(1, row), cellName(5, row)))
	b.fail(b.f.SetRowHeight(sh, row, 48))
	b.fitWidth(sh, "portrait")
}

func orNotRecorded(s string) string {
	if s == "" {
		return "(not recorded)"
	}
	return s
}

// columnKind says how a return column is written in the workbook.
func columnKind(name string) string {
	switch {
	case strings.HasSuffix(name, "_pct"):
		return "pct"
	case name == "headcount", strings.HasSuffix(name, "_required"), strings.HasSuffix(name, "_compliant"):
		return "count"
	}
	return "text"
}

// table writes the Return sheet: the CSV's header and records from A1,
// counts and percentages as numbers.
func (b *book) table() {
	const sh = SheetReturn
	for c, h := range Columns {
		b.str(sh, c+1, 1, h, cellStyle{bold: true, fill: headerFill})
	}
	widths := make([]float64, len(Columns))
	for c, h := range Columns {
		widths[c] = float64(len(h)) + 2
	}
	for i, rec := range b.recs {
		row := i + 2
		isTotal := i == len(b.recs)-1
		base := cellStyle{bold: isTotal, topRule: isTotal}
		for c, v := range rec {
			if n := float64(len([]rune(v))) + 2; n > widths[c] {
				widths[c] = math.Min(n, 50)
			}
			cs := base
			switch kind := columnKind(Columns[c]); {
			case kind == "pct":
				cs.numFmt = "0.0"
				b.pct(sh, c+1, row, v, cs)
			case kind == "count":
				if n, err := strconv.Atoi(v); err == nil {
					b.num(sh, c+1, row, float64(n), cs)
				} else { // suppressed
					cs.align = "right"
					b.str(sh, c+1, row, v, cs)
				}
			case Columns[c] == "meets_threshold":
				cs.fill, cs.font = badFill, badFont
				if v == figures.YesNo(true) {
					cs.fill, cs.font = goodFill, goodFont
				}
				b.fail(b.f.SetCellStr(sh, cellName(c+1, row), v))
				b.fail(b.f.SetCellStyle(sh, cellName(c+1, row), cellName(c+1, row), b.style(cs)))
			default:
				// Already neutralised by Records; SetCellStr writes it as is.
				ref := cellName(c+1, row)
				b.fail(b.f.SetCellStr(sh, ref, v))
				b.fail(b.f.SetCellStyle(sh, ref, ref, b.style(cs)))
			}
		}
	}
	b.widths(sh, widths...)
	b.fail(b.f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
	b.rateColours()
	b.landscape(sh)
}

// rateColours fills each percentage green when its rate reaches the
// threshold and red when not. The rule compares the counts, not the rounded
// percentage, so that it agrees with meets_threshold at the margin (84.96%
// shows as 85.0 but does not meet 85%).
func (b *book) rateColours() {
	good, err := b.f.NewConditionalStyle(&excelize.Style{Font: &excelize.Font{Color: goodFont},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{goodFill}}})
	b.fail(err)
	bad, err := b.f.NewConditionalStyle(&excelize.Style{Font: &excelize.Font{Color: badFont},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{badFill}}})
	b.fail(err)
	// Millionths, as compliance.Tally.Meets compares them, keep the test exact.
	th := strconv.FormatInt(int64(math.Round(b.r.Threshold*1e6)), 10)
	last := len(b.recs) + 1
	for _, tc := range returnTallies {
		col := func(i int) string { name, _ := excelize.ColumnNumberToName(i + 1); return name }
		p, req, comp := col(tc.pct), col(tc.required), col(tc.compliant)
		reaches := fmt.Sprintf("%s2*1000000>=%s2*%s", comp, req, th)
		b.fail(b.f.SetConditionalFormat(SheetReturn, fmt.Sprintf("%s2:%s%d", p, p, last), []excelize.ConditionalFormatOptions{
			{Type: "formula", Criteria: fmt.Sprintf("AND(ISNUMBER(%s2),%s)", p, reaches), Format: &good},
			{Type: "formula", Criteria: fmt.Sprintf("AND(ISNUMBER(%s2),NOT(%s))", p, reaches), Format: &bad},
		}))
	}
}

// chart writes the Chart sheet: a small table of rates by organisation and
// level, and a clustered column chart of it with the threshold as a line.
func (b *book) chart() {
	const sh = SheetChart
	head := cellStyle{bold: true, fill: headerFill, wrap: true}
	b.str(sh, 1, 1, "Organisation", head)
	for i, l := range compliance.Levels {
		b.str(sh, i+2, 1, l.Title(), head)
	}
	thCol := len(compliance.Levels) + 2
	b.str(sh, thCol, 1, b.thresholdText()+" threshold", head)
	orgWidth := 16.0
	for _, rec := range b.recs {
		orgWidth = math.Max(orgWidth, math.Min(float64(len([]rune(rec[colIndex("organisation")])))+2, 50))
	}
	b.widths(sh, orgWidth, 14, 14, 14, 14)
	b.fail(b.f.SetRowHeight(sh, 1, 30))
	orgCol := colIndex("organisation")
	for i, rec := range b.recs {
		row := i + 2
		isTotal := i == len(b.recs)-1
		cs := cellStyle{bold: isTotal, topRule: isTotal}
		b.fail(b.f.SetCellStr(sh, cellName(1, row), rec[orgCol])) // neutralised by Records
		b.fail(b.f.SetCellStyle(sh, cellName(1, row), cellName(1, row), b.style(cs)))
		cs.numFmt = "0.0"
		for j, l := range compliance.Levels {
			b.pct(sh, j+2, row, rec[colIndex(l.String()+"_pct")], cs)
		}
		b.num(sh, thCol, row, math.Round(b.r.Threshold*1000)/10, cs)
	}
	last := len(b.recs) + 1
	cats := fmt.Sprintf("%s!$A$2:$A$%d", sh, last)
	colours := []string{nhsBlue, nhsLightBlue, nhsPurple}
	var bars []excelize.ChartSeries
	for i := range compliance.Levels {
		c, _ := excelize.ColumnNumberToName(i + 2)
		bars = append(bars, excelize.ChartSeries{
			Name: fmt.Sprintf("%s!$%s$1", sh, c), Categories: cats, Values: fmt.Sprintf("%s!$%s$2:$%s$%d", sh, c, c, last),
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colours[i]}},
		})
	}
	thName, _ := excelize.ColumnNumberToName(thCol)
	// The combo's axes replace the first chart's, so both carry them.
	line := &excelize.Chart{Type: excelize.Line, XAxis: categoryAxis(), YAxis: percentAxis(), Series: []excelize.ChartSeries{{
		Name: fmt.Sprintf("%s!$%s$1", sh, thName), Categories: cats,
		Values: fmt.Sprintf("%s!$%s$2:$%s$%d", sh, thName, thName, last),
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{nhsRed}},
		Line:   excelize.LineOptions{Width: 2.25, Dash: excelize.LineDashDash},
		Marker: excelize.ChartMarker{Symbol: "none"},
	}}}
	width := uint(min(max(200+110*len(b.recs), 640), 1800))
	b.fail(b.f.AddChart(sh, "G2", &excelize.Chart{
		Type: excelize.Col, Series: bars, VaryColors: new(bool),
		Title:     chartTitle("Prevent compliance by organisation, " + b.r.Quarter.String()),
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: width, Height: 420},
		XAxis:     categoryAxis(),
		YAxis:     percentAxis(),
		Format:    excelize.GraphicOptions{OffsetX: 4, OffsetY: 4},
	}, line))
	b.landscape(sh)
}

func chartTitle(s string) excelize.ChartTitle {
	return excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: s,
		Font: &excelize.Font{Bold: true, Size: 13, Color: nhsDarkBlue}}}}
}

// axisFont keeps axis labels legible; the library's default is a pale grey.
var axisFont = excelize.Font{Size: 9, Color: "404040"}

func percentAxis() excelize.ChartAxis {
	lo, hi := 0.0, 100.0
	return excelize.ChartAxis{Minimum: &lo, Maximum: &hi, MajorUnit: 20, MajorGridLines: true, Font: axisFont,
		NumFmt: excelize.ChartNumFmt{CustomNumFmt: `0"%"`}}
}

func categoryAxis() excelize.ChartAxis { return excelize.ChartAxis{Font: axisFont} }

func colIndex(name string) int {
	for i, c := range Columns {
		if c == name {
			return i
		}
	}
	panic("returns: no column " + name)
}

// trend writes the Trend sheet: the total's rates in earlier quarters and
// this one, oldest first, and a line chart of them.
func (b *book) trend(points []TrendPoint) {
	const sh = SheetTrend
	var pts []TrendPoint
	for _, p := range points {
		if p.Total != nil && p.Quarter.Before(b.r.Quarter) {
			pts = append(pts, p)
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].Quarter.Before(pts[j].Quarter) })
	pts = append(pts, TrendPoint{Quarter: b.r.Quarter, Total: b.r.Total})

	for c, h := range TrendColumns {
		b.str(sh, c+1, 1, h, cellStyle{bold: true, fill: headerFill})
	}
	b.widths(sh, 12, 12, 12, 17, 10, 14)
	pct := cellStyle{numFmt: "0.0"}
	for i, p := range pts {
		row := i + 2
		b.str(sh, 1, row, p.Quarter.String(), cellStyle{})
		for j, l := range compliance.Levels {
			b.pct(sh, j+2, row, figures.Pct(p.Total.Level(l)), pct)
		}
		b.pct(sh, len(compliance.Levels)+2, row, figures.Pct(p.Total.All), pct)
		b.num(sh, len(TrendColumns), row, math.Round(b.r.Threshold*1000)/10, pct)
	}
	last := len(pts) + 1
	colours := []string{nhsBlue, nhsLightBlue, nhsPurple, nhsGrey, nhsRed}
	var series []excelize.ChartSeries
	for i := range TrendColumns[1:] {
		c, _ := excelize.ColumnNumberToName(i + 2)
		s := excelize.ChartSeries{
			Name: fmt.Sprintf("%s!$%s$1", sh, c), Categories: fmt.Sprintf("%s!$A$2:$A$%d", sh, last),
			Values: fmt.Sprintf("%s!$%s$2:$%s$%d", sh, c, c, last),
			Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colours[i]}},
			Line:   excelize.LineOptions{Width: 2.25},
			Marker: excelize.ChartMarker{Symbol: "circle", Size: 6},
		}
		if TrendColumns[i+1] == "threshold_pct" {
			s.Line.Dash = excelize.LineDashDash
			s.Marker = excelize.ChartMarker{Symbol: "none"}
		}
		series = append(series, s)
	}
	b.fail(b.f.AddChart(sh, "H2", &excelize.Chart{
		Type: excelize.Line, Series: series, VaryColors: new(bool),
		Title:     chartTitle("Total compliance by quarter"),
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 640, Height: 360},
		XAxis:     categoryAxis(),
		YAxis:     percentAxis(),
	}))
	b.landscape(sh)
}
