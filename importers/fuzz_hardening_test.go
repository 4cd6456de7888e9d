package importers

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// These fuzz targets feed hostile extracts to every public reader. Whatever
// the bytes, a reader must not panic, must emit only rows that satisfy the
// contract, must keep its summary consistent, and must fail only with a
// *FileError whose message is one line naming the file.

// readAll runs ReadStaff, ReadCompletions and Classify on the file at p and
// checks what they promise.
func readAll(t *testing.T, p string) {
	t.Helper()
	name := filepath.Base(p)
	checkErr := func(what string, err error) {
		t.Helper()
		if err == nil {
			return
		}
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("%s failed with %T, not a *FileError: %v", what, err, err)
		}
		if msg := err.Error(); !strings.Contains(msg, name) || strings.ContainsAny(msg, "\n\r") {
			t.Fatalf("%s error is not one line naming %s: %q", what, name, msg)
		}
	}

	checkRows := func(what string, errs []RowError) {
		t.Helper()
		for _, e := range errs {
			if e.Row < 1 || strings.ContainsAny(e.Error(), "\n\r") {
				t.Fatalf("%s row error is not one line with a row number: %q", what, e.Error())
			}
		}
	}

	sum, err := ReadStaff(p, Options{}, func(a compliance.Assignment) error {
		if a.EmployeeNumber == "" || a.Row < 1 || a.EmployeeNumber != strings.TrimSpace(a.EmployeeNumber) {
			t.Fatalf("ReadStaff emitted a bad assignment %+v", a)
		}
		return nil
	})
	checkErr("ReadStaff", err)
	if err == nil && sum.RowsOK+len(sum.Errors) != sum.RowsRead {
		t.Fatalf("ReadStaff summary does not add up: %+v", sum)
	}
	checkRows("ReadStaff", sum.Errors)

	sum, err = ReadCompletions(p, Options{}, func(c CompletionRow) error {
		if c.Course == "" || (c.EmployeeNumber == "" && c.Email == "") || c.CompletedOn.IsZero() || c.Row < 1 ||
			c.CompletedOn != compliance.Day(c.CompletedOn) {
			t.Fatalf("ReadCompletions emitted a bad completion %+v", c)
		}
		return nil
	})
	checkErr("ReadCompletions", err)
	checkRows("ReadCompletions", sum.Errors)
	skipped := 0
	for _, n := range sum.Skipped {
		skipped += n
	}
	if err == nil && sum.RowsOK+skipped+sum.NotCompleted+len(sum.Errors) != sum.RowsRead {
		t.Fatalf("ReadCompletions summary does not add up: %+v", sum)
	}

	kind, err := Classify(p, Options{})
	checkErr("Classify", err)
	if err == nil && kind != Staff && kind != Completions {
		t.Fatalf("Classify returned %q", kind)
	}
}

func FuzzReadStaffCSV(f *testing.F) {
	for _, s := range []string{
		"Employee Number,Full Name,Organisation,Staff Group,Job Role,Primary,Email\n1,A B,Org,Nursing,Nurse,Yes,A@B\n",
		"\ufeffStaff List;;\r\nAssignment Number;First Name;Last Name;Position Title\r\n10000001-2;Ann;\"Lee\r\nSmith\";Porter\r\n;;;\r\n",
		"Emp No\tJob Role\tAssignment Status\n00012345\tPrevent Lead\tActive\n1.2345678e+07\tX\tTerminate\n",
		"Employee Number,Staff Group,Course,Completed\n1,Nursing,Prevent,01/01/2020\n",
		"Employee Number,Employee Number,Staff Group\n1,2,3\n,,\n\"\n",
		"\xff\xfeE\x00m\x00p\x00 \x00N\x00o\x00\t\x00J\x00o\x00b\x00 \x00R\x00o\x00l\x00e\x00\n\x001\x00\t\x00X\x00",
		"Employee Number,Staff Group,Full Name\n=1+1,@SUM(A1),\"=HYPERLINK(\"\"x\"\")\"\n",
		"Employee Number,Staff Group\n\x00\x01\x02,\x80\x81\xfe\n",
		strings.Repeat("title\n", 25) + "Employee Number,Staff Group\n1,2\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "fuzz_staff.csv")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		readAll(t, p)
	})
}

// tinyWorkbook makes a small real XLSX with excelize: a title row, a blank
// row, a header and data rows (text, numbers, a date and a formula).
func tinyWorkbook(tb testing.TB, header []string, rows [][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := "Sheet1"
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(f.SetCellStr(sh, "A1", "Extract run 30/09/2026"))
	for c, h := range header {
		ref, _ := excelize.CoordinatesToCellName(c+1, 3)
		must(f.SetCellStr(sh, ref, h))
	}
	for r, row := range rows {
		for c, v := range row {
			ref, _ := excelize.CoordinatesToCellName(c+1, r+4)
			if s, ok := v.(string); ok && strings.HasPrefix(s, "=") {
				must(f.SetCellFormula(sh, ref, s[1:]))
				continue
			}
			must(f.SetCellValue(sh, ref, v))
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// stored rewrites a zip with every entry stored uncompressed, so that byte
// mutations reach the XML parts instead of only breaking the deflate stream.
func stored(tb testing.TB, b []byte) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Store})
		if err != nil {
			tb.Fatal(err)
		}
		rc, err := zf.Open()
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			tb.Fatal(err)
		}
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

func FuzzReadXLSX(f *testing.F) {
	staff := tinyWorkbook(f, []string{"Employee Number", "Full Name", "Organisation", "Staff Group", "Job Role", "Primary", "Email"},
		[][]any{
			{12345678, "Jane Smith", "RXX Acute", "Nursing and Midwifery Registered", "Staff Nurse", "Yes", "jane@trust.nhs.uk"},
			{"00000042", "=CONCAT(\"a\",\"b\")", "=1+1", 3.5, true, "No", ""},
			{"", "", "", "", "", "", ""},
		})
	completions := tinyWorkbook(f, []string{"Employee Number", "Email", "Competence Name", "Date Achieved"},
		[][]any{
			{12345678, "", "Prevent Awareness", 45231},
			{"", "JANE@trust.nhs.uk", "Prevent Level 3", "02/11/2023"},
			{1.5e7, "", "=\"Prevent\"", "=DATE(2024,2,29)"},
			{"x", "", "Prevent WRAP", "31/02/2026"},
		})
	for _, b := range [][]byte{staff, completions, stored(f, staff), stored(f, completions)} {
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		p := filepath.Join(dir, "fuzz.xlsx")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		readAll(t, p)
	})
}

// FuzzXLSXCells keeps the workbook well formed and fuzzes what its cells
// hold: header text, text cells (shared strings) and numbers where
// identifiers and dates are expected.
func FuzzXLSXCells(f *testing.F) {
	f.Add("Employee Number", "Course Name", "Completion Date", "12345678", "Prevent Awareness", "02/11/2023", 45231.0)
	f.Add("Emp No", "Staff Group", "Job Role", "=1+1", "@SUM(1)", "\t-2", -1.0)
	f.Add("Email", "Module", "Date From", "A@B", "\x00\x1b[31m", "29/02/2024 23:59", 1e300)
	f.Add("Assignment Number", "Position Title", "Primary", "1-2-3", "]]><x>", "_x000D_", 0.0)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, h1, h2, h3, v1, v2, v3 string, n float64) {
		wb := excelize.NewFile()
		defer wb.Close()
		for i, v := range []string{h1, h2, h3, "Staff Group", v1, v2, v3} {
			ref, _ := excelize.CoordinatesToCellName(i%4+1, 1+i/4)
			if err := wb.SetCellStr("Sheet1", ref, v); err != nil {
				return // excelize refuses the text: not a workbook we can make
			}
		}
		if err := wb.SetCellFloat("Sheet1", "D2", n, -1, 64); err != nil {
			return
		}
		p := filepath.Join(dir, "cells.xlsx")
		if err := wb.SaveAs(p); err != nil {
			return
		}
		readAll(t, p)
	})
}
