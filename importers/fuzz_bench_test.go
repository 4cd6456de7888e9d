package importers

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"02/11/2023", "1/1/29", "2023-11-02T14:30:00Z", "02-Nov-2023", "2 November 2023 9:15 PM",
		"45231.5", "60", "31/02/2026", "12/31/2020", "2023-11-02T00:00:00+01:00", "", " ", "29/02/2024 23:59:59.999"} {
		f.Add(s)
	}
	f.Add("Thu 14 Mar 2024")
	f.Add("Monday 2024")
	f.Fuzz(func(t *testing.T, s string) {
		_ = DateForm(s) // inspect names the form of anything: never a panic
		d, err := ParseDate(s)
		if err != nil {
			if d != (time.Time{}) {
				t.Fatalf("ParseDate(%q) failed but returned %v", s, d)
			}
			return
		}
		if d != compliance.Day(d) || d.Location() != time.UTC || d.Year() < 1900 || d.Year() > 9999 {
			t.Fatalf("ParseDate(%q) = %v, not a calendar day from 1900", s, d)
		}
	})
}

func FuzzReadCompletionsCSV(f *testing.F) {
	for _, s := range []string{
		"Employee Number,Course,Completion Date\n1,Prevent,02/11/2023\n",
		"\xef\xbb\xbfEmployee Number;Email;Course;Completed\r\n;a@b;\"Pre\nvent\";45231\r\n",
		"title\n\nEmp No\tCourse Name\tDate Completed\n1\tPrevent\t31/02/2026\n\"unterminated",
		"\xff\xfeE\x00m\x00p\x00",
		"PK\x03\x04junk",
		"Employee Number,Staff Group\n1,Nursing\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		sum, err := ReadCompletions(p, Options{}, func(c CompletionRow) error {
			if c.Course == "" || (c.EmployeeNumber == "" && c.Email == "") || c.CompletedOn.IsZero() || c.Row < 1 {
				t.Fatalf("emitted a bad completion %+v", c)
			}
			return nil
		})
		if err == nil && sum.RowsOK+sum.NotCompleted+len(sum.Errors) != sum.RowsRead {
			t.Fatalf("summary does not add up: %+v", sum)
		}
		_, _ = ReadStaff(p, Options{}, func(compliance.Assignment) error { return nil })
		_, _ = Classify(p, Options{})
	})
}

func BenchmarkParseDate(b *testing.B) {
	in := []string{"02/11/2023", "2/3/24", "2023-11-02", "2023-11-02T14:30:00", "02-Nov-2023", "02 November 2023", "45231", "02/11/2023 09:15:00"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := ParseDate(in[i%len(in)]); err != nil {
			b.Fatal(err)
		}
	}
}

// writeCompletionsCSV writes an LMS-style completions extract of n rows.
func writeCompletionsCSV(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "Employee Number,Full Name,Email,Course Name,Completion Date,Status\r\n")
	courses := []string{"Prevent Awareness", "Prevent Level 3", "Fire Safety", "Infection Prevention and Control"}
	for i := range n {
		emp := fmt.Sprint(10000000 + i/3)
		if i%10 == 9 {
			emp = ""
		}
		fmt.Fprintf(w, "%s,\"Smith, Jane %d\",jane.smith%d@example.nhs.net,%s,%02d/%02d/%d,Complete\r\n",
			emp, i, i, courses[i%len(courses)], 1+i%28, 1+i%12, 2019+i%7)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	_ = f.Close()
	return st.Size()
}

func BenchmarkReadCompletionsCSV(b *testing.B) {
	const rows = 100_000
	path := filepath.Join(b.TempDir(), "completions.csv")
	size := writeCompletionsCSV(b, path, rows)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		sum, err := ReadCompletions(path, Options{}, func(CompletionRow) error { n++; return nil })
		if err != nil || n != rows || len(sum.Errors) != 0 {
			b.Fatalf("read %d rows, %v, %d errors", n, err, len(sum.Errors))
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// writeCompletionsXLSX writes an ESR-competence-style workbook of n rows
// with a title row, numeric employee numbers and real date cells, through
// excelize's stream writer (inline strings).
func writeCompletionsXLSX(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	_ = sw.SetRow("A1", []any{"ESR BI - Competence Compliance Report"})
	_ = sw.SetRow("A2", []any{"Employee Number", "Full Name", "Competence Name", "Date Achieved"})
	courses := []string{"NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|", "NHS|MAND|Prevent Level 3 - 3 Years|",
		"NHS|CSTF|Fire Safety - 2 Years|", "NHS|CSTF|Infection Prevention and Control - Level 1 - 3 Years|"}
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		day := 44000 + i%2000
		if err := sw.SetRow(cell, []any{10000000 + i/3, fmt.Sprintf("Jane Smith %d", i), courses[i%len(courses)],
			excelize.Cell{StyleID: style, Value: day}}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	st, _ := os.Stat(path)
	return st.Size()
}

// BenchmarkReadCompletionsXLSX reads a 100,000-row workbook with the fast
// path and with excelize alone: what the fast path earns.
func BenchmarkReadCompletionsXLSX(b *testing.B) {
	const rows = 100_000
	path := filepath.Join(b.TempDir(), "competences.xlsx")
	size := writeCompletionsXLSX(b, path, rows)
	for _, fast := range []bool{true, false} {
		name := map[bool]string{true: "fast", false: "excelize"}[fast]
		b.Run(name, func(b *testing.B) {
			defer func(old bool) { fastPath = old }(fastPath)
			fastPath = fast
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				sum, err := ReadCompletions(path, Options{}, func(CompletionRow) error { n++; return nil })
				if err != nil || n != rows || len(sum.Errors) != 0 {
					b.Fatalf("read %d rows, %v, %d errors", n, err, len(sum.Errors))
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkReadCompletionsCSVKeepCourse reads the CSV keeping only Prevent
// courses, as an import given the course rules does: the other rows are
// checked and counted but never allocated.
func BenchmarkReadCompletionsCSVKeepCourse(b *testing.B) {
	const rows = 100_000
	path := filepath.Join(b.TempDir(), "completions.csv")
	size := writeCompletionsCSV(b, path, rows)
	keep := map[string]bool{"Prevent Awareness": true, "Prevent Level 3": true}
	opt := Options{KeepCourse: func(c string) bool { return keep[c] }}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		sum, err := ReadCompletions(path, opt, func(CompletionRow) error { n++; return nil })
		if err != nil || n != rows/2 || len(sum.Skipped) != 2 {
			b.Fatalf("read %d rows, %v, skipped %v", n, err, sum.Skipped)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
