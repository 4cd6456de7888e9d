package collate

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// Sheet names of the template.
const (
	SheetInstructions = "Instructions"
	// TemplateRows is how many organisation rows the template offers above
	// its TOTAL row; more may be inserted.
	TemplateRows = 10
)

// Template is what the blank return for a provider without prevent says.
type Template struct {
	Quarter   returns.Quarter
	Provider  *returns.Provider // prefilled when given
	Threshold float64           // DefaultThreshold when 0
	DueBy     time.Time         // the last day a return is on time; left out when zero
	ReturnTo  string            // who to send it to; left out when ""
}

// WriteTemplate writes a plain workbook a provider without prevent fills
// in: the Return sheet with the return's header row (as the CSV), the
// quarter (and provider) filled in on TemplateRows organisation rows and
// the TOTAL row, and an Instructions sheet. Filled in, Read recognises it
// by its header row.
func WriteTemplate(w io.Writer, tpl Template) error {
	if tpl.Threshold == 0 {
		tpl.Threshold = DefaultThreshold
	}
	f := excelize.NewFile()
	defer f.Close()
	var firstErr error
	fail := func(err error) {
		if firstErr == nil && err != nil {
			firstErr = err
		}
	}
	fail(f.SetSheetName("Sheet1", returns.SheetReturn))
	_, err := f.NewSheet(SheetInstructions)
	fail(err)

	const sh = returns.SheetReturn
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	fail(err)
	countFmt, pctFmt := "0", "0.0"
	countStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &countFmt})
	fail(err)
	pctStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &pctFmt})
	fail(err)
	totalStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Border: []excelize.Border{{Type: "top", Color: "000000", Style: 1}}})
	fail(err)

	for c, h := range returns.Columns {
		ref := cell(c+1, 1)
		fail(f.SetCellStr(sh, ref, h))
		fail(f.SetCellStyle(sh, ref, ref, head))
		name, _ := excelize.ColumnNumberToName(c + 1)
		width := float64(len(h)) + 2
		if h == "provider" || h == "organisation" {
			width = 34
		}
		fail(f.SetColWidth(sh, name, name, width))
	}
	last := TemplateRows + 2
	for row := 2; row <= last; row++ {
		fail(f.SetCellStr(sh, cell(col["quarter"]+1, row), tpl.Quarter.String()))
		if tpl.Provider != nil {
			fail(f.SetCellStr(sh, cell(col["provider_code"]+1, row), figures.SafeCell(tpl.Provider.ODSCode)))
			fail(f.SetCellStr(sh, cell(col["provider"]+1, row), figures.SafeCell(tpl.Provider.Name)))
		}
		for c, h := range returns.Columns {
			switch {
			case strings.HasSuffix(h, "_pct"):
				fail(f.SetCellStyle(sh, cell(c+1, row), cell(c+1, row), pctStyle))
			case h == "headcount" || strings.HasSuffix(h, "_required") || strings.HasSuffix(h, "_compliant"):
				fail(f.SetCellStyle(sh, cell(c+1, row), cell(c+1, row), countStyle))
			}
		}
	}
	fail(f.SetCellStr(sh, cell(col["organisation"]+1, last), compliance.TotalName))
	fail(f.SetCellStyle(sh, cell(1, last), cell(len(returns.Columns), last), totalStyle))
	meets := cell(col["meets_threshold"]+1, 2) + ":" + cell(col["meets_threshold"]+1, last)
	dv := excelize.NewDataValidation(true)
	dv.Sqref = meets
	fail(dv.SetDropList([]string{"yes", "no"}))
	fail(f.AddDataValidation(sh, dv))
	fail(f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))

	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	fail(err)
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14, Color: "005EB8"}})
	fail(err)
	fail(f.SetColWidth(SheetInstructions, "A", "A", 110))
	for i, line := range instructions(tpl) {
		ref := cell(1, i+1)
		fail(f.SetCellStr(SheetInstructions, ref, figures.SafeCell(line)))
		st := wrap
		if i == 0 {
			st = title
		}
		fail(f.SetCellStyle(SheetInstructions, ref, ref, st))
	}
	f.SetActiveSheet(0)
	fail(f.SetDocProps(&excelize.DocProperties{Title: "Prevent quarterly data return template " + tpl.Quarter.String(),
		Creator: "prevent", LastModifiedBy: "prevent"}))
	if firstErr != nil {
		return fmt.Errorf("writing the %s return template: %w", tpl.Quarter, firstErr)
	}
	return f.Write(w)
}

func cell(c, r int) string {
	name, _ := excelize.CoordinatesToCellName(c, r)
	return name
}

// instructions is the Instructions sheet, one paragraph a line.
func instructions(tpl Template) []string {
	q, th := tpl.Quarter, figures.ThresholdPct(tpl.Threshold)
	end := q.End().Format("2 January 2006")
	lines := []string{
		"Prevent quarterly data return " + q.String(),
		fmt.Sprintf("For the quarter %s to %s. Give the position on %s, the quarter's last day.", q.Start().Format("2 January 2006"), end, end),
	}
	if tpl.Provider != nil {
		lines = append(lines, fmt.Sprintf("Provider: %s (ODS code %s).", tpl.Provider.Name, tpl.Provider.ODSCode))
	}
	prefilled := "quarter, provider_code, provider: filled in already."
	if tpl.Provider == nil {
		prefilled = "quarter: filled in already. provider_code and provider: your ODS code and name, on one row at least (blank cells take the value the other rows give)."
	}
	lines = append(lines, "",
		"Fill in the Return sheet: one row per organisation (directorate, division or site), then the TOTAL row. Leave the header row and the column order as they are. Need more rows? Insert them above TOTAL. Rows left empty are ignored.",
		prefilled,
		"headcount: people (not assignments) in the workforce on "+end+".",
		"basic_required, level3_required, face_to_face_required: people whose training needs analysis requires that level, each person once, at their highest level. The three add up to the headcount.",
		"basic_compliant, level3_compliant, face_to_face_compliant: of those, the people whose Prevent training at or above that level is in date on "+end+" (completed within the last three years, including training falling due soon).",
		"all_compliant: the three compliant counts added up.",
		"basic_pct, level3_pct, face_to_face_pct, all_pct: 100 × compliant ÷ required, rounded half up to one decimal; empty when required is 0. You may leave them empty: they are worked out from the counts.",
		"meets_threshold: yes when every level with anyone required reaches "+th+", else no. You may leave it empty too.",
		"TOTAL row: each count is the sum of the organisation rows above it.",
		"Aggregates only: never a name or an employee number.",
		"Returns that do not add up are refused with the row, column and reason, and you will be asked for a corrected one. A corrected return replaces the earlier one.",
	)
	send := "Save the workbook as .xlsx (a CSV of the Return sheet is fine too) and email it"
	if tpl.ReturnTo != "" {
		send += " to " + tpl.ReturnTo
	}
	if !tpl.DueBy.IsZero() {
		send += " by " + tpl.DueBy.Format("Monday 2 January 2006")
	}
	return append(lines, "", send+".")
}
