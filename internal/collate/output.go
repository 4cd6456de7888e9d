package collate

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
)

// Formats of the assurance table.
var Formats = []string{"table", "csv", "xlsx"}

// Columns is the header of the assurance CSV (and of the XLSX's
// Assurance sheet).
var Columns = func() []string {
	cols := []string{"quarter", "provider_code", "provider", "status", "received_at", "resubmitted_at", "due_by", "versions", "headcount"}
	for _, l := range compliance.Levels {
		cols = append(cols, l.String()+"_pct", l.String()+"_change_pp")
	}
	return append(cols, "all_pct", "all_change_pp", "meets_threshold", "flags")
}()

// levelsAndAll are the tallies of a line: each level, then everyone.
var levelsAndAll = append(append([]compliance.Level(nil), compliance.Levels...), compliance.LevelNone)

func tallyName(l compliance.Level) string {
	if l == compliance.LevelNone {
		return "all"
	}
	return l.String()
}

// stamp writes an instant as UK time.
func stamp(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(London).Format(layout)
}

// ReferredColumn is the column the assurance table gains when any
// collated return of the quarter carries a referrals section.
const ReferredColumn = "referred_to_prevent"

// HasReferrals reports whether any provider's referrals section was
// collated for the quarter: only then does the table show referrals.
func (a *Assurance) HasReferrals() bool { return len(a.Referrals) > 0 }

// TableColumns is the header of this table: Columns, and
// referred_to_prevent when HasReferrals.
func (a *Assurance) TableColumns() []string {
	if !a.HasReferrals() {
		return Columns
	}
	return append(append([]string(nil), Columns...), ReferredColumn)
}

// Referred is a provider's referred_to_prevent as its return gave it ("*"
// when withheld), or "" when none was collated.
func (a *Assurance) Referred(l *Line) string {
	return a.Referrals[strings.ToUpper(l.Provider.ODSCode)].ReferredToPrevent
}

// Record is a line in TableColumns order.
func (a *Assurance) Record(l *Line) []string {
	resubmitted := ""
	if l.Return != nil && l.Versions > 1 {
		resubmitted = stamp(l.Return.ReceivedAt, time.RFC3339)
	}
	rec := []string{a.Quarter.String(), figures.SafeCell(l.Provider.ODSCode), figures.SafeCell(l.Provider.Name), string(l.Status),
		stamp(l.FirstReceived, time.RFC3339), resubmitted, a.Window.LastDay().Format(time.DateOnly), strconv.Itoa(l.Versions)}
	if l.Return == nil {
		rec = append(rec, "")
	} else {
		rec = append(rec, strconv.Itoa(l.Return.Headcount))
	}
	for _, lv := range levelsAndAll {
		t, ok := l.Rate(lv)
		pct := ""
		if ok {
			pct = figures.Pct(t)
		}
		rec = append(rec, pct, l.Change(lv))
	}
	meets := ""
	if l.Return != nil {
		meets = figures.YesNo(l.Total().MeetsThreshold(a.Threshold))
	}
	rec = append(rec, meets, strings.Join(l.Flags, ";"))
	if a.HasReferrals() {
		rec = append(rec, a.Referred(l))
	}
	return rec
}

// WriteCSV writes the assurance table as CSV.
func (a *Assurance) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(a.TableColumns())
	for i := range a.Lines {
		_ = cw.Write(a.Record(&a.Lines[i]))
	}
	cw.Flush()
	return cw.Error()
}

// Headline says in one line what the table shows.
func (a *Assurance) Headline() string {
	c := a.Counts()
	th := figures.ThresholdPct(a.Threshold)
	parts := []string{fmt.Sprintf("%d of %d %s received", c.Received+c.Late, c.Providers, plural(c.Providers, "provider", "providers"))}
	if c.Late > 0 {
		parts[0] += fmt.Sprintf(" (%d late)", c.Late)
	}
	if c.Missing > 0 {
		parts = append(parts, fmt.Sprintf("%d missing", c.Missing))
	}
	if c.Awaited > 0 {
		parts = append(parts, fmt.Sprintf("%d awaited", c.Awaited))
	}
	parts = append(parts, fmt.Sprintf("%d below %s", c.Below, th))
	if c.Rejected > 0 {
		parts = append(parts, fmt.Sprintf("%d %s refused", c.Rejected, plural(c.Rejected, "file", "files")))
	}
	if c.Unknown > 0 {
		parts = append(parts, fmt.Sprintf("%d from %s not in the config", c.Unknown, plural(c.Unknown, "a provider", "providers")))
	}
	return strings.Join(parts, "; ") + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// windowText describes the submission window.
func (a *Assurance) windowText() string {
	state := "open"
	if a.Window.Closed(a.Now) {
		state = "closed"
	}
	return fmt.Sprintf("returns due by %s (window %s to %s, now %s)", a.Window.LastDay().Format("Monday 2 January 2006"),
		a.Window.Opens.Format("2 January"), a.Window.LastDay().Format("2 January 2006"), state)
}

// WriteTable writes the assurance table for a terminal.
func (a *Assurance) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "Prevent assurance %s: %s; threshold %s\n\n", a.Quarter, a.windowText(), figures.ThresholdPct(a.Threshold))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "PROVIDER\tCODE\tSTATUS\tRECEIVED")
	for _, lv := range levelsAndAll {
		fmt.Fprintf(tw, "\t%s", strings.ToUpper(strings.ReplaceAll(tallyName(lv), "_", " ")))
	}
	fmt.Fprint(tw, "\tFLAGS")
	if a.HasReferrals() {
		fmt.Fprint(tw, "\tREFERRED TO PREVENT")
	}
	fmt.Fprintln(tw)
	for i := range a.Lines {
		l := &a.Lines[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s", figures.Clip(l.Provider.Name, 36), figures.Printable(l.Provider.ODSCode), l.Status, figures.Dash(stamp(l.FirstReceived, "2006-01-02 15:04")))
		for _, lv := range levelsAndAll {
			fmt.Fprintf(tw, "\t%s", rateText(l, lv))
		}
		fmt.Fprintf(tw, "\t%s", figures.Dash(figures.Printable(strings.Join(l.Flags, " "))))
		if a.HasReferrals() {
			fmt.Fprintf(tw, "\t%s", figures.Dash(a.Referred(l)))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s\n", a.Headline())
	fmt.Fprintln(w, "Rates are each provider's TOTAL row; in brackets, the change since", a.Quarter.Prev(), "in percentage points.")
	if len(a.Rejections) > 0 {
		fmt.Fprintln(w, "\nRefused files (not used):")
		for _, r := range a.Rejections {
			who := r.ProviderCode
			if who == "" {
				who = "no provider code"
			}
			fmt.Fprintf(w, "  %s (%s, received %s): %s\n", figures.Printable(r.FileName), figures.Printable(who), stamp(r.ReceivedAt, "2006-01-02 15:04"),
				figures.Printable(rejectionText(r.Row, r.Column, r.Reason)))
		}
	}
	return nil
}

func rejectionText(row int, column, reason string) string {
	if w := Where(row, column); w != "" {
		return w + ": " + reason
	}
	return reason
}

// Where names the place of a problem in a return file: "row 3, column
// headcount", "row 3", "column headcount" or "".
func Where(row int, column string) string {
	var parts []string
	if row > 0 {
		parts = append(parts, fmt.Sprintf("row %d", row))
	}
	if column != "" {
		parts = append(parts, "column "+column)
	}
	return strings.Join(parts, ", ")
}

// UKTime writes an instant as a UK date and time ("2026-10-05 09:30"), ""
// for none.
func UKTime(t time.Time) string { return stamp(t, "2006-01-02 15:04") }

func rateText(l *Line, lv compliance.Level) string {
	t, ok := l.Rate(lv)
	if !ok || t.Required == 0 {
		return "-"
	}
	s := figures.Pct(t) + "%"
	if ch := l.Change(lv); ch != "" {
		s += " (" + ch + ")"
	}
	return s
}

// Sheet names of the assurance workbook.
const (
	SheetAssurance = "Assurance"
	SheetChart     = "Chart"
	SheetRefused   = "Refused"
)

// WriteXLSX writes the assurance table as a workbook: the Assurance sheet
// (the CSV's table from A1, rates below the threshold and missing or late
// returns in red), a Chart of each provider's TOTAL rate by level against
// the threshold line, and the Refused files with their reasons.
func (a *Assurance) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	x := &sheetWriter{f: f, styles: map[string]int{}}
	x.fail(f.SetSheetName("Sheet1", SheetAssurance))
	for _, s := range []string{SheetChart, SheetRefused} {
		_, err := f.NewSheet(s)
		x.fail(err)
	}
	a.assuranceSheet(x)
	a.chartSheet(x)
	a.refusedSheet(x)
	for _, s := range []string{SheetAssurance, SheetChart, SheetRefused} {
		x.landscape(s)
	}
	if x.err != nil {
		return fmt.Errorf("writing the %s assurance workbook: %w", a.Quarter, x.err)
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{Title: "Prevent assurance " + a.Quarter.String(),
		Creator: "prevent", LastModifiedBy: "prevent"}); err != nil {
		return err
	}
	return f.Write(w)
}

type sheetWriter struct {
	f      *excelize.File
	styles map[string]int
	err    error
}

func (x *sheetWriter) fail(err error) {
	if x.err == nil && err != nil {
		x.err = err
	}
}

// landscape prints a sheet landscape, one page wide.
func (x *sheetWriter) landscape(sheet string) {
	fit, orient, wide, tall := true, "landscape", 1, 0
	x.fail(x.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}))
	x.fail(x.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &orient, FitToWidth: &wide, FitToHeight: &tall}))
}

// style makes (once) one of the few styles the workbook uses.
func (x *sheetWriter) style(name string) int {
	if id, ok := x.styles[name]; ok {
		return id
	}
	one := "0.0"
	s := &excelize.Style{}
	switch name {
	case "head":
		s = &excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}
	case "pct":
		s = &excelize.Style{CustomNumFmt: &one}
	case "pp":
		pp := "+0.0;-0.0;0.0"
		s = &excelize.Style{CustomNumFmt: &pp}
	case "bad":
		s = &excelize.Style{Font: &excelize.Font{Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}}
	case "badpct":
		s = &excelize.Style{CustomNumFmt: &one, Font: &excelize.Font{Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}}
	case "good":
		s = &excelize.Style{Font: &excelize.Font{Color: "006100"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C6EFCE"}}}
	case "wrap":
		s = &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}
	}
	id, err := x.f.NewStyle(s)
	x.fail(err)
	x.styles[name] = id
	return id
}

// put writes a cell: numbers as numbers, text neutralised against
// formulas.
func (x *sheetWriter) put(sheet string, c, r int, v string, style string) {
	ref := cell(c, r)
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		x.fail(x.f.SetCellFloat(sheet, ref, n, -1, 64))
	} else {
		x.fail(x.f.SetCellStr(sheet, ref, figures.SafeCell(v)))
	}
	if style != "" {
		x.fail(x.f.SetCellStyle(sheet, ref, ref, x.style(style)))
	}
}

func (a *Assurance) assuranceSheet(x *sheetWriter) {
	const sh = SheetAssurance
	columns := a.TableColumns()
	for c, h := range columns {
		x.put(sh, c+1, 1, h, "head")
		name, _ := excelize.ColumnNumberToName(c + 1)
		width := math.Max(float64(len(h))+2, 10)
		switch h {
		case "provider":
			width = 36
		case "received_at", "resubmitted_at":
			width = 26
		case "flags":
			width = 30
		}
		x.fail(x.f.SetColWidth(sh, name, name, width))
	}
	colOf := map[string]int{}
	for i, c := range columns {
		colOf[c] = i
	}
	for i := range a.Lines {
		l := &a.Lines[i]
		rec := a.Record(l)
		row := i + 2
		for c, v := range rec {
			name := columns[c]
			st := ""
			switch {
			case strings.HasSuffix(name, "_pct"):
				st = "pct"
				lv := levelsAndAll[(c-colOf[tallyName(compliance.Levels[0])+"_pct"])/2]
				if t, ok := l.Rate(lv); ok && t.Required > 0 && !t.Meets(a.Threshold) {
					st = "badpct"
				}
			case strings.HasSuffix(name, "_change_pp"):
				st = "pp"
			case name == "status" && (l.Status == Missing || l.Status == Late):
				st = "bad"
			case name == "meets_threshold" && v == "no":
				st = "bad"
			case name == "meets_threshold" && v == "yes":
				st = "good"
			}
			if name == "received_at" || name == "resubmitted_at" || name == "quarter" || name == "due_by" || name == "provider_code" {
				x.fail(x.f.SetCellStr(sh, cell(c+1, row), v))
				continue
			}
			x.put(sh, c+1, row, v, st)
		}
	}
	last := len(a.Lines) + 3
	x.put(sh, 1, last, a.Headline(), "")
	x.put(sh, 1, last+1, "Rates are each provider's TOTAL row; *_change_pp is the change since "+a.Quarter.Prev().String()+
		" in percentage points. On time: received by the end of "+a.Window.LastDay().Format("2 January 2006")+" (UK time).", "")
	x.fail(x.f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
}

// chartSheet writes each provider's TOTAL rate by level and the
// threshold, and a column chart of them with the threshold as a line.
func (a *Assurance) chartSheet(x *sheetWriter) {
	const sh = SheetChart
	x.put(sh, 1, 1, "Provider", "head")
	for i, l := range compliance.Levels {
		x.put(sh, i+2, 1, l.Title(), "head")
	}
	thCol := len(compliance.Levels) + 2
	x.put(sh, thCol, 1, figures.ThresholdPct(a.Threshold)+" threshold", "head")
	x.fail(x.f.SetColWidth(sh, "A", "A", 36))
	x.fail(x.f.SetColWidth(sh, "B", "E", 14))
	row := 1
	for i := range a.Lines {
		l := &a.Lines[i]
		if l.Return == nil {
			continue
		}
		row++
		x.fail(x.f.SetCellStr(sh, cell(1, row), figures.SafeCell(l.Provider.Name)))
		for j, lv := range compliance.Levels {
			if t, _ := l.Rate(lv); t.Required > 0 {
				x.put(sh, j+2, row, figures.Pct(t), "pct")
			}
		}
		x.put(sh, thCol, row, strconv.FormatFloat(math.Round(a.Threshold*1000)/10, 'f', -1, 64), "pct")
	}
	if row == 1 {
		x.put(sh, 1, 2, "No returns received yet.", "")
		return
	}
	cats := fmt.Sprintf("%s!$A$2:$A$%d", sh, row)
	colours := []string{"005EB8", "41B6E6", "330072"}
	var bars []excelize.ChartSeries
	for i := range compliance.Levels {
		c, _ := excelize.ColumnNumberToName(i + 2)
		bars = append(bars, excelize.ChartSeries{Name: fmt.Sprintf("%s!$%s$1", sh, c), Categories: cats,
			Values: fmt.Sprintf("%s!$%s$2:$%s$%d", sh, c, c, row),
			Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colours[i]}}})
	}
	thName, _ := excelize.ColumnNumberToName(thCol)
	lo, hi := 0.0, 100.0
	yAxis := excelize.ChartAxis{Minimum: &lo, Maximum: &hi, MajorUnit: 20, MajorGridLines: true,
		Font: excelize.Font{Size: 9, Color: "404040"}, NumFmt: excelize.ChartNumFmt{CustomNumFmt: `0"%"`}}
	xAxis := excelize.ChartAxis{Font: excelize.Font{Size: 9, Color: "404040"}}
	line := &excelize.Chart{Type: excelize.Line, XAxis: xAxis, YAxis: yAxis, Series: []excelize.ChartSeries{{
		Name: fmt.Sprintf("%s!$%s$1", sh, thName), Categories: cats, Values: fmt.Sprintf("%s!$%s$2:$%s$%d", sh, thName, thName, row),
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DA291C"}},
		Line:   excelize.LineOptions{Width: 2.25, Dash: excelize.LineDashDash},
		Marker: excelize.ChartMarker{Symbol: "none"},
	}}}
	width := uint(min(max(200+110*(row-1), 640), 1800))
	x.fail(x.f.AddChart(sh, "G2", &excelize.Chart{
		Type: excelize.Col, Series: bars, VaryColors: new(bool),
		Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Prevent compliance by provider, " + a.Quarter.String(),
			Font: &excelize.Font{Bold: true, Size: 13, Color: "003087"}}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: width, Height: 420},
		XAxis:     xAxis, YAxis: yAxis,
	}, line))
}

func (a *Assurance) refusedSheet(x *sheetWriter) {
	const sh = SheetRefused
	for c, h := range []string{"file", "provider_code", "received_at", "row", "column", "reason", "every problem"} {
		x.put(sh, c+1, 1, h, "head")
	}
	for c, wd := range []float64{34, 14, 26, 6, 22, 70, 90} {
		name, _ := excelize.ColumnNumberToName(c + 1)
		x.fail(x.f.SetColWidth(sh, name, name, wd))
	}
	for i, r := range a.Rejections {
		row := i + 2
		x.fail(x.f.SetCellStr(sh, cell(1, row), figures.SafeCell(r.FileName)))
		x.fail(x.f.SetCellStr(sh, cell(2, row), figures.SafeCell(r.ProviderCode)))
		x.fail(x.f.SetCellStr(sh, cell(3, row), stamp(r.ReceivedAt, time.RFC3339)))
		if r.Row > 0 {
			x.fail(x.f.SetCellInt(sh, cell(4, row), int64(r.Row)))
		}
		x.fail(x.f.SetCellStr(sh, cell(5, row), r.Column))
		x.put(sh, 6, row, r.Reason, "wrap")
		x.put(sh, 7, row, r.Detail, "wrap")
	}
	if len(a.Rejections) == 0 {
		x.put(sh, 1, 2, "No files refused.", "")
	}
}
