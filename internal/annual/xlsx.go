package annual

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/figures"
)

// WriteXLSX writes the report's tables, one sheet each, after a Cover
// sheet with what the cover page says. Counts and rates are numbers; every
// text cell is a string, never a formula.
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	x := &sheets{f: f}
	if err := f.SetSheetName("Sheet1", "Cover"); err != nil {
		return err
	}
	x.cover(r)
	for _, s := range r.sections() {
		for _, t := range s.Tables {
			x.table(t)
		}
	}
	if x.err != nil {
		return fmt.Errorf("writing the %s annual report workbook: %w", r.Year, x.err)
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{Title: r.Title(), Subject: figures.SafeCell(r.Provider.Name),
		Creator: "prevent", LastModifiedBy: "prevent"}); err != nil {
		return err
	}
	return f.Write(w)
}

// sheets writes a workbook, keeping the first error.
type sheets struct {
	f    *excelize.File
	err  error
	bold int
}

func (x *sheets) set(err error) {
	if x.err == nil {
		x.err = err
	}
}

func (x *sheets) boldStyle() int {
	if x.bold == 0 {
		id, err := x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		x.set(err)
		x.bold = id
	}
	return x.bold
}

func (x *sheets) row(sheet string, n int, values []any) {
	cell, err := excelize.CoordinatesToCellName(1, n)
	x.set(err)
	x.set(x.f.SetSheetRow(sheet, cell, &values))
}

func (x *sheets) cover(r *Report) {
	const s = "Cover"
	rows := [][2]string{
		{r.Title(), ""},
		{"Provider", r.Provider.Name}, {"ODS code", r.Provider.ODSCode}, {"Financial year", r.Year.String()},
		{"Period", r.Period()}, {"Position reported on", longDate(r.LastDay)}, {"Minimum", r.ThresholdText()},
	}
	if p := r.Leads.Prevent; p.Name != "" {
		rows = append(rows, [2]string{"Prevent lead", p.Name + " " + p.Email})
	}
	if a := r.Leads.Accountable; a.Name != "" {
		rows = append(rows, [2]string{"Accountable lead", a.Name + " " + a.Email})
	}
	rows = append(rows, [2]string{"Position", r.Verdict()}, [2]string{"Plan", r.PlanSentence()})
	if ss := r.Plan.Sessions; ss != nil {
		rows = append(rows, [2]string{"Face-to-face sessions", ss.Sentence()})
	}
	rows = append(rows, [2]string{"Made by prevent", r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")})
	for i, kv := range rows {
		x.row(s, i+1, []any{figures.SafeCell(kv[0]), figures.SafeCell(kv[1])})
	}
	x.set(x.f.SetCellStyle(s, "A1", "A"+strconv.Itoa(len(rows)), x.boldStyle()))
	x.set(x.f.SetColWidth(s, "A", "A", 24))
	x.set(x.f.SetColWidth(s, "B", "B", 100))
}

// table writes one table on its own sheet: the header, then a row per
// row, each cell its Value when it has one; a quarter's label is
// repeated on each of its rows so that the sheet sorts and filters.
func (x *sheets) table(t table) {
	if _, err := x.f.NewSheet(t.Sheet); err != nil {
		x.set(err)
		return
	}
	n := 1
	if t.Raw != nil {
		x.rawTable(t)
		return
	}
	x.row(t.Sheet, n, headerValues(t.Header))
	var group any
	for _, rw := range t.Rows {
		n++
		values := make([]any, len(rw.Cells))
		for i, c := range rw.Cells {
			values[i] = cellValue(c)
		}
		if rw.First || group == nil {
			group = values[0]
		} else if values[0] == "" {
			values[0] = group
		}
		x.row(t.Sheet, n, values)
	}
	if t.SheetNote != "" {
		x.row(t.Sheet, n+2, []any{figures.SafeCell(t.SheetNote)})
	}
	x.set(x.f.SetCellStyle(t.Sheet, "A1", colName(len(t.Header))+"1", x.boldStyle()))
	x.set(x.f.SetColWidth(t.Sheet, "A", colName(len(t.Header)), 16))
	x.set(x.f.SetColWidth(t.Sheet, "A", "A", 40))
}

// rawTable writes a table exactly as the return's CSV has it, numbers as
// numbers.
func (x *sheets) rawTable(t table) {
	x.row(t.Sheet, 1, headerValues(t.RawHeader))
	for i, rec := range t.Raw {
		values := make([]any, len(rec))
		for j, v := range rec {
			values[j] = v
			if n, err := strconv.Atoi(v); err == nil {
				values[j] = n
			} else if f, err := strconv.ParseFloat(v, 64); err == nil {
				values[j] = f
			}
		}
		x.row(t.Sheet, i+2, values)
	}
	x.set(x.f.SetCellStyle(t.Sheet, "A1", colName(len(t.RawHeader))+"1", x.boldStyle()))
	x.set(x.f.SetColWidth(t.Sheet, "A", colName(len(t.RawHeader)), 14))
	x.set(x.f.SetColWidth(t.Sheet, "D", "D", 40))
}

func cellValue(c cell) any {
	if c.Value != nil {
		return c.Value
	}
	if c.Text == "–" {
		return ""
	}
	return figures.SafeCell(c.Text)
}

func headerValues(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = figures.SafeCell(s)
	}
	return out
}

func colName(n int) string {
	name, _ := excelize.ColumnNumberToName(n)
	return name
}
