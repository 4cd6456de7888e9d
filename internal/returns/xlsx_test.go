package returns

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// exampleReturn is the hand-computed example with its provenance and two
// earlier quarters of trend, given out of order.
func exampleReturn(t *testing.T) (*Return, []TrendPoint) {
	t.Helper()
	q := mustQuarter(t, "2026-27Q2")
	r := Build(q, provider, example(), 0.85)
	r.SnapshotDate = compliance.Date(2026, 9, 30)
	r.SnapshotFile = "ESR staff 2026-09-30.xlsx"
	r.Sources = []string{"ESR staff 2026-09-30.xlsx", "LMS completions 2026-09.csv"}
	r.GeneratedAt = time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	_, q1 := compliance.Aggregate(append(staff("A", compliance.Basic, 10, 6), staff("A", compliance.Level3, 4, 1)...))
	_, q4 := compliance.Aggregate(append(staff("A", compliance.Basic, 10, 5), staff("A", compliance.FaceToFace, 2, 1)...))
	trend := []TrendPoint{{Quarter: q.Prev(), Total: q1}, {Quarter: q.Prev().Prev(), Total: q4},
		{Quarter: q, Total: q4}} // the current quarter is the return's own
	return r, trend
}

func writeXLSX(t *testing.T, r *Return, trend []TrendPoint) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteXLSX(&buf, trend); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteXLSX(t *testing.T) {
	r, trend := exampleReturn(t)
	data := writeXLSX(t, r, trend)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	t.Run("the workbook has the cover, return, chart and trend sheets in order", func(t *testing.T) {
		if got := f.GetSheetList(); !slices.Equal(got, []string{SheetCover, SheetReturn, SheetChart, SheetTrend}) {
			t.Fatalf("sheets = %v", got)
		}
	})

	t.Run("the return sheet is the CSV table from A1", func(t *testing.T) {
		rows, err := f.GetRows(SheetReturn)
		if err != nil {
			t.Fatal(err)
		}
		want := append([][]string{Columns}, r.Records()...)
		if len(rows) != len(want) {
			t.Fatalf("%d rows, want %d", len(rows), len(want))
		}
		for i := range want {
			got := append(rows[i], make([]string, len(Columns)-len(rows[i]))...) // GetRows drops trailing blanks
			if !slices.Equal(got, want[i]) {
				t.Errorf("row %d = %q\nwant %q", i+1, got, want[i])
			}
		}
	})

	t.Run("counts and percentages are numbers", func(t *testing.T) {
		for _, ref := range []string{"E2", "F2", "H2", "K2", "P5"} {
			typ, err := f.GetCellType(SheetReturn, ref)
			if err != nil {
				t.Fatal(err)
			}
			if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
				t.Errorf("%s has type %v, want a number", ref, typ)
			}
			if v, _ := f.GetCellValue(SheetReturn, ref, excelize.Options{RawCellValue: true}); v == "" {
				t.Errorf("%s is empty", ref)
			}
		}
		if v, _ := f.GetCellValue(SheetReturn, "K3"); v != "" {
			t.Errorf("Community Services level3_pct = %q, want blank", v)
		}
	})

	t.Run("the header is bold and frozen", func(t *testing.T) {
		if !cellBold(t, f, SheetReturn, "A1") {
			t.Error("header is not bold")
		}
		panes, err := f.GetPanes(SheetReturn)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("panes = %+v, want the first row frozen", panes)
		}
	})

	t.Run("the TOTAL row is bold", func(t *testing.T) {
		if v, _ := f.GetCellValue(SheetReturn, "D5"); v != compliance.TotalName {
			t.Fatalf("D5 = %q, want TOTAL", v)
		}
		for _, ref := range []string{"D5", "E5", "H5"} {
			if !cellBold(t, f, SheetReturn, ref) {
				t.Errorf("%s is not bold", ref)
			}
		}
		if cellBold(t, f, SheetReturn, "D2") {
			t.Error("an organisation row is bold")
		}
	})

	t.Run("every pct column is coloured against the threshold", func(t *testing.T) {
		cf, err := f.GetConditionalFormats(SheetReturn)
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{"H2:H5", "K2:K5", "N2:N5", "P2:P5"} {
			if len(cf[ref]) != 2 {
				t.Errorf("conditional formats of %s = %+v, want a green and a red rule", ref, cf[ref])
			}
		}
		if c := cf["H2:H5"]; len(c) > 0 && !strings.Contains(c[0].Criteria, "G2*1000000>=F2*850000") {
			t.Errorf("basic_pct rule %q does not compare the counts with 85%%", c[0].Criteria)
		}
	})

	t.Run("the cover gives the headline and provenance", func(t *testing.T) {
		text := sheetText(t, f, SheetCover)
		for _, want := range []string{
			"Prevent quarterly data return", "Example NHS Foundation Trust", "RXX", "2026-27Q2",
			"2026-27Q2: 1 July 2026 to 30 September 2026", "Meets 85% threshold|No", "Organisations meeting it|1 of 3",
			"Basic Prevent awareness|11|4|36.4%|No", "Level 3 Prevent|3|2|66.7%|No", "Face-to-face (WRAP)|1|1|100.0%|Yes",
			"All staff|15|7|46.7%", "Staff snapshot effective|30 September 2026", "ESR staff 2026-09-30.xlsx",
			"LMS completions 2026-09.csv", "Threshold|85% of the staff required at each level", "1 October 2026 08:00 UTC",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("cover lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("the headline verdict is red when the threshold is missed", func(t *testing.T) {
		style := cellStyleOf(t, f, SheetCover, "B5")
		if len(style.Fill.Color) == 0 || style.Fill.Color[0] != badFill {
			t.Errorf("B5 fill = %v, want %s", style.Fill.Color, badFill)
		}
	})

	t.Run("the trend runs oldest first and ends with this quarter", func(t *testing.T) {
		rows, err := f.GetRows(SheetTrend)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{TrendColumns,
			{"2025-26Q4", "50.0", "", "50.0", "50.0", "85.0"},
			{"2026-27Q1", "60.0", "25.0", "", "50.0", "85.0"},
			{"2026-27Q2", "36.4", "66.7", "100.0", "46.7", "85.0"},
		}
		if len(rows) != len(want) {
			t.Fatalf("trend rows = %q", rows)
		}
		for i := range want {
			if !slices.Equal(rows[i], want[i]) {
				t.Errorf("trend row %d = %q, want %q", i+1, rows[i], want[i])
			}
		}
	})

	t.Run("the workbook holds the two charts", func(t *testing.T) {
		parts := zipParts(t, data)
		for _, name := range []string{"xl/charts/chart1.xml", "xl/charts/chart2.xml"} {
			if _, ok := parts[name]; !ok {
				t.Errorf("no %s in the workbook", name)
			}
		}
		chart := parts["xl/charts/chart1.xml"]
		for _, want := range []string{"<barChart>", "<lineChart>", "Chart!$E$2:$E$5"} {
			if !strings.Contains(chart, want) {
				t.Errorf("the organisation chart lacks %s", want)
			}
		}
	})

	t.Run("no cell is a formula", func(t *testing.T) {
		for _, sh := range f.GetSheetList() {
			rows, _ := f.GetRows(sh)
			for r, row := range rows {
				for c := range row {
					ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
					if fm, _ := f.GetCellFormula(sh, ref); fm != "" {
						t.Errorf("%s!%s holds the formula %q", sh, ref, fm)
					}
				}
			}
		}
	})
}

func TestXLSXNeutralisesFormulaText(t *testing.T) {
	q := mustQuarter(t, "2026-27Q2")
	r := Build(q, Provider{Name: "=1+1", ODSCode: "@RXX"}, staff("-Ward", compliance.Basic, 2, 2), 0.85)
	r.Sources = []string{"+evil.csv"}
	f, err := excelize.OpenReader(bytes.NewReader(writeXLSX(t, r, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for _, row := range rows {
			for _, v := range row {
				if v != "" && strings.ContainsRune("=+@", rune(v[0])) || strings.HasPrefix(v, "-W") {
					t.Errorf("%s has the unneutralised cell %q", sh, v)
				}
			}
		}
	}
}

// TestNoPersonalData scans every output for the names, employee numbers
// and emails of the people the return was built from.
func TestNoPersonalData(t *testing.T) {
	r, trend := exampleReturn(t)
	people := example()
	var csvOut bytes.Buffer
	if err := r.WriteCSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	data := writeXLSX(t, r, trend)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	outputs := map[string]string{"CSV": csvOut.String()}
	for _, sh := range f.GetSheetList() {
		outputs["sheet "+sh] = sheetText(t, f, sh)
	}
	for name, part := range zipParts(t, data) {
		outputs["part "+name] = part
	}
	for _, p := range people {
		for _, secret := range []string{p.Name, p.EmployeeNumber, p.Email, "Zebedee", "Quonsett"} {
			for where, text := range outputs {
				if strings.Contains(strings.ToLower(text), strings.ToLower(secret)) {
					t.Errorf("%s contains %q", where, secret)
				}
			}
		}
	}
}

// TestXLSXRendersInLibreOffice converts the workbook to PDF with LibreOffice
// when it is installed, to show that an office suite opens it.
func TestXLSXRendersInLibreOffice(t *testing.T) {
	office := ""
	for _, name := range []string{"libreoffice", "soffice"} {
		if p, err := exec.LookPath(name); err == nil {
			office = p
			break
		}
	}
	if office == "" {
		t.Skip("LibreOffice is not installed (optional): skipping the PDF rendering check")
	}
	if testing.Short() {
		t.Skip("skipping the LibreOffice rendering in -short mode")
	}
	r, trend := exampleReturn(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "return.xlsx")
	if err := os.WriteFile(in, writeXLSX(t, r, trend), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, office, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--convert-to", "pdf", "--outdir", dir, in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "return.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pdf) < 1000 || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("LibreOffice wrote %d bytes that are not a PDF", len(pdf))
	}
}

func cellStyleOf(t *testing.T, f *excelize.File, sheet, ref string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	style, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return style
}

func cellBold(t *testing.T, f *excelize.File, sheet, ref string) bool {
	t.Helper()
	s := cellStyleOf(t, f, sheet, ref)
	return s.Font != nil && s.Font.Bold
}

// sheetText is a sheet's cells, "|" between cells and a newline between rows.
func sheetText(t *testing.T, f *excelize.File, sheet string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, row := range rows {
		b.WriteString(strings.Join(row, "|") + "\n")
	}
	return b.String()
}

func zipParts(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		parts[zf.Name] = string(b)
	}
	return parts
}

func TestXLSXSuppression(t *testing.T) {
	r, _ := exampleReturn(t)
	r.SuppressBelow = 3
	f, err := excelize.OpenReader(bytes.NewReader(writeXLSX(t, r, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Run("the return sheet writes suppressed counts as * like the CSV", func(t *testing.T) {
		rows, err := f.GetRows(SheetReturn)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range r.Records() {
			got := append(rows[i+1], make([]string, len(Columns)-len(rows[i+1]))...)
			if !slices.Equal(got, want) {
				t.Errorf("row %d = %q\nwant %q", i+2, got, want)
			}
		}
	})
	t.Run("the chart shows no rate that suppression withheld", func(t *testing.T) {
		// Community Services' basic rate (12.5) gives away a count of 1.
		if v, _ := f.GetCellValue(SheetChart, "B3"); v != "" {
			t.Errorf("Chart!B3 = %q, want blank", v)
		}
		if text := sheetText(t, f, SheetChart); strings.Contains(text, "12.5") {
			t.Errorf("the chart data shows 12.5:\n%s", text)
		}
	})
}

func TestEmptyWorkforce(t *testing.T) {
	r := Build(mustQuarter(t, "2026-27Q2"), provider, nil, 0.85)
	t.Run("the return has only a TOTAL row of zeros with blank rates", func(t *testing.T) {
		var buf bytes.Buffer
		if err := r.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		want := contractHeader + "\n2026-27Q2,RXX,Example NHS Foundation Trust,TOTAL,0,0,0,,0,0,,0,0,,0,,yes\n"
		if buf.String() != want {
			t.Fatalf("CSV =\n%s\nwant\n%s", buf.String(), want)
		}
	})
	t.Run("the workbook still writes", func(t *testing.T) {
		if _, err := excelize.OpenReader(bytes.NewReader(writeXLSX(t, r, nil))); err != nil {
			t.Fatal(err)
		}
	})
}
