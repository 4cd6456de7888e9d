package importers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestClassifyEveryFixture pins the kind of every extract, report and
// output kept in testdata: what Classify gave for each before it read
// workbooks' shared strings only as far as their header rows. A file not
// listed is neither kind.
func TestClassifyEveryFixture(t *testing.T) {
	want := map[string]Kind{
		"testdata/compat/gen/ESR competences 2026-11-01.xlsx":                        Completions,
		"testdata/compat/gen/LMS completions export 2026-11-01.csv":                  Completions,
		"testdata/compat/gen/esr_staff_2026-10-31.csv":                               Staff,
		"testdata/demo/ESR Staff Extract 2026-10-31.xlsx":                            Staff,
		"testdata/demo/ESR Staff Extract 2026-11-30.xlsx":                            Staff,
		"testdata/demo/ESR competences 2026-11-01.xlsx":                              Completions,
		"testdata/demo/LMS completions export 2026-11-01.csv":                        Completions,
		"testdata/demo/Partnership meetings 2026-11-20.xlsx":                         Meetings,
		"testdata/demo/Prevent referral log 2026-11-20.csv":                          Referrals,
		"testdata/demo/esr_staff_2026-09-30.csv":                                     Staff,
		"testdata/demo/exemptions 2026-12-01.csv":                                    Exemptions,
		"testdata/importers/completions_dates.csv":                                   Completions,
		"testdata/importers/esr_competence_meets.xlsx":                               Completions,
		"testdata/importers/esr_competences.xlsx":                                    Completions,
		"testdata/importers/esr_staff_report_20260930.xlsx":                          Staff,
		"testdata/importers/esr_staff_titles_30-09-2026.csv":                         Staff,
		"testdata/importers/lms_completions_streamed.xlsx":                           Completions,
		"testdata/importers/lms_completions_tab.csv":                                 Completions,
		"testdata/importers/mac_completions_date1904.xlsx":                           Completions,
		"testdata/importers/moodle_custom_report.csv":                                Completions,
		"testdata/importers/moodle_flag_only.csv":                                    Completions,
		"testdata/importers/newtrust_esr_staff_2026-10-31.csv":                       Staff,
		"testdata/importers/staff_and_completions_tabs.xlsx":                         Completions,
		"testdata/importers/staff_cp1252.csv":                                        Staff,
		"testdata/importers/staff_semicolon_bom_crlf_2026-09-30.csv":                 Staff,
		"testdata/importers/staff_unicode_text.txt":                                  Staff,
		"testdata/importers/totara_certifications.xlsx":                              Completions,
		"testdata/importers/totara_record_of_learning.csv":                           Completions,
		"cmd/prevent/testdata/compat-return/return.xlsx":                             "",
		"cmd/prevent/testdata/compat-return/email-RT1 Prevent return 2026-27Q2.xlsx": "",
	}
	seen := 0
	for _, root := range []string{"testdata", "cmd/prevent/testdata"} {
		err := filepath.WalkDir(filepath.Join("..", root), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.Contains(".xlsx .csv .txt", filepath.Ext(p)) {
				return err
			}
			rel := filepath.ToSlash(strings.TrimPrefix(p, ".."+string(filepath.Separator)))
			t.Run(rel, func(t *testing.T) {
				k, ok := want[rel]
				if ok {
					seen++
				}
				got, err := Classify(p, Options{RegularOnly: true})
				if k == "" {
					if err == nil || !strings.Contains(err.Error(), "is neither a staff nor a completions extract") {
						t.Fatalf("Classify = %q, %v; want neither kind", got, err)
					}
					return
				}
				if err != nil || got != k {
					t.Fatalf("Classify = %q, %v; want %q", got, err, k)
				}
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d files listed", seen, len(want))
	}
}

// classifyInput classifies a workbook and returns its input, still open,
// to look at how much of its shared strings was read.
func classifyInput(t *testing.T, path string) (Kind, *input) {
	t.Helper()
	in, err := openPath(path, Limits{}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.close)
	k, err := classify(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return k, in
}

func TestClassifyReadsTheSharedStringsItNeeds(t *testing.T) {
	t.Run("a large table: the strings of the rows up to the header", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "competences.xlsx")
		writeSharedXLSX(t, p, 3000) // 1,000 names and 4 courses after the 5 strings of the title and header
		k, in := classifyInput(t, p)
		if k != Completions {
			t.Fatalf("Classify = %q", k)
		}
		if sst := in.book.sst; len(sst.s) > 8 || sst.end != nil {
			t.Errorf("read %d shared strings (end %v) to classify, want at most the 5 above the data and a few more", len(sst.s), sst.end)
		}
		// The same input then reads every row, the table as it goes.
		n := 0
		if _, err := in.readCompletions(Options{}, func(CompletionRow) error { n++; return nil }); err != nil || n != 3000 {
			t.Fatalf("read %d rows, %v", n, err)
		}
		assertSameRows(t, p, true)
	})

	// Hand-written tables: the header (row 4, under a title row) is
	// Employee Number, Course, Completion Date.
	title := `<x:row r="1"><x:c r="A1" t="s"><x:v>%d</x:v></x:c></x:row>`
	header := `<x:row r="4"><x:c r="A4" t="s"><x:v>%d</x:v></x:c><x:c r="B4" t="s"><x:v>%d</x:v></x:c><x:c r="C4" t="s"><x:v>%d</x:v></x:c></x:row>`
	data := `<x:row r="5"><x:c r="A5"><x:v>1001</x:v></x:c><x:c r="B5" t="s"><x:v>%d</x:v></x:c><x:c r="C5"><x:v>45231</x:v></x:c></x:row>` +
		`<x:row r="6"><x:c r="A6" t="inlineStr"><x:is><x:t>1002</x:t></x:is></x:c><x:c r="B6" t="s"><x:v>%d</x:v></x:c><x:c r="C6"><x:v>45232</x:v></x:c></x:row>`
	si := func(texts ...string) string {
		var b strings.Builder
		for _, s := range texts {
			if strings.HasPrefix(s, "<") {
				b.WriteString(s)
				continue
			}
			fmt.Fprintf(&b, "<si><t>%s</t></si>", s)
		}
		return b.String()
	}
	cdata := `<si><t><![CDATA[Prevent Level 3]]></t></si>`
	for _, tc := range []struct {
		name, sheet, sst string
		fast             bool // every row read by the fast path
		read             int  // shared strings read by Classify
	}{
		{"title and header strings first, as Excel numbers them",
			fmt.Sprintf(title+header+data, 0, 1, 2, 3, 4, 5), si("Competence report", "Employee Number", "Course", "Completion Date", "Prevent Awareness", "Fire Safety"), true, 4},
		{"header strings at the end of the table",
			fmt.Sprintf(title+header+data, 5, 2, 3, 4, 0, 1), si("Prevent Awareness", "Fire Safety", "Employee Number", "Course", "Completion Date", "Competence report"), true, 6},
		{"an inline-string header over shared-string rows",
			`<x:row r="4"><x:c r="A4" t="inlineStr"><x:is><x:t>Employee Number</x:t></x:is></x:c><x:c r="B4" t="inlineStr"><x:is><x:t>Course</x:t></x:is></x:c><x:c r="C4" t="inlineStr"><x:is><x:t>Completion Date</x:t></x:is></x:c></x:row>` +
				fmt.Sprintf(data, 0, 1), si("Prevent Awareness", "Fire Safety"), true, 0},
		{"a string the fast reader leaves to excelize after the header's",
			fmt.Sprintf(title+header+data, 0, 1, 2, 3, 4, 5), si("Competence report", "Employee Number", "Course", "Completion Date", "Prevent Awareness", cdata), false, 4},
		{"a string the fast reader leaves to excelize before the header's",
			fmt.Sprintf(title+header+data, 1, 2, 3, 4, 5, 0), si(cdata, "Competence report", "Employee Number", "Course", "Completion Date", "Fire Safety"), false, 0},
		{"a row naming a string past the table's end",
			fmt.Sprintf(title+header+data, 0, 1, 2, 3, 4, 99), si("Competence report", "Employee Number", "Course", "Completion Date", "Prevent Awareness"), false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.xlsx")
			writeWorkbook(t, p, tc.sheet, tc.sst)
			if k, err := Classify(p, Options{}); err != nil || k != Completions {
				t.Fatalf("Classify = %q, %v", k, err)
			}
			_, in := classifyInput(t, p)
			if n := len(in.book.sst.s); n != tc.read {
				t.Errorf("read %d shared strings to classify, want %d", n, tc.read)
			}
			assertSameRows(t, p, tc.fast)
		})
	}

	t.Run("a cover sheet before the data, both of shared strings", func(t *testing.T) {
		f := excelize.NewFile()
		defer f.Close()
		_ = f.SetSheetName("Sheet1", "Cover")
		_ = f.SetCellStr("Cover", "A1", "ESR BI - Staff in Post")
		_ = f.SetCellStr("Cover", "A2", "Run by the workforce team")
		_, _ = f.NewSheet("Detail")
		for c, h := range []string{"Employee Number", "Full Name", "Staff Group", "Job Role"} {
			ref, _ := excelize.CoordinatesToCellName(c+1, 2)
			_ = f.SetCellStr("Detail", ref, h)
		}
		for r := range 200 {
			for c, v := range []any{20000 + r, fmt.Sprintf("Person %d", r), "Nursing", "Staff Nurse"} {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+3)
				_ = f.SetCellValue("Detail", ref, v)
			}
		}
		p := filepath.Join(t.TempDir(), "staff.xlsx")
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		k, in := classifyInput(t, p)
		if k != Staff {
			t.Fatalf("Classify = %q", k)
		}
		if n := len(in.book.sst.s); n > 8 {
			t.Errorf("read %d shared strings to classify, want the cover's 2, the header's 4 and a few", n)
		}
		assertSameRows(t, p, true)
	})
}

// completionRows reads a completions extract by path, as a list.
func completionRows(t *testing.T, read func(func(CompletionRow) error) (Summary, error)) []CompletionRow {
	t.Helper()
	var out []CompletionRow
	if _, err := read(func(c CompletionRow) error { out = append(out, c); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExtract(t *testing.T) {
	for _, file := range []string{"esr_competences.xlsx", "esr_competence_meets.xlsx", "lms_completions_tab.csv", "moodle_custom_report.csv"} {
		t.Run(file+": hashed as FileHash hashes, read as ReadCompletions reads", func(t *testing.T) {
			p := fixture(file)
			want, err := FileHash(p, false)
			if err != nil {
				t.Fatal(err)
			}
			x, err := Open(p, Options{RegularOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			got, err := x.SHA256()
			if err != nil || got != want {
				t.Fatalf("SHA256 = %s, %v; want %s", got, err, want)
			}
			rows := completionRows(t, func(emit func(CompletionRow) error) (Summary, error) {
				return ReadCompletions(p, Options{}, emit)
			})
			for range 2 { // every read starts from the top
				if again := completionRows(t, func(emit func(CompletionRow) error) (Summary, error) {
					return x.ReadCompletions(Options{}, emit)
				}); !reflect.DeepEqual(again, rows) || len(rows) == 0 {
					t.Fatalf("read through the Extract:\n%v\nwant\n%v", again, rows)
				}
			}
		})
	}

	for _, file := range []string{"esr_competences.xlsx", "lms_completions_tab.csv"} {
		t.Run(file+" changed while read is refused", func(t *testing.T) {
			p := copyFixture(t, file, file)
			x, err := Open(p, Options{RegularOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if _, err := x.SHA256(); err != nil {
				t.Fatal(err)
			}
			appended := false
			_, err = x.ReadCompletions(Options{}, func(CompletionRow) error {
				if !appended {
					appended = true
					f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
					if err != nil {
						t.Fatal(err)
					}
					_, _ = f.WriteString("more\n")
					_ = f.Close()
				}
				return nil
			})
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "changed while it was being read") {
				t.Fatalf("err = %v, want a FileError saying it changed", err)
			}
		})
	}

	t.Run("a file that grows once opened is hashed and read as it was", func(t *testing.T) {
		content := "Employee Number,Course,Completion Date\n1,Prevent,02/11/2023\n"
		p := writeFile(t, "grows.csv", []byte(content))
		x, err := Open(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if err := os.WriteFile(p, []byte(content+"2,Prevent,03/11/2023\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if h, err := x.SHA256(); err != nil || h != HashOf(content) {
			t.Fatalf("SHA256 = %s, %v; want the hash of the content when opened", h, err)
		}
		if _, err := x.ReadCompletions(Options{}, func(CompletionRow) error { return nil }); err == nil || !strings.Contains(err.Error(), "changed while") {
			t.Fatalf("read: %v, want it refused", err)
		}
	})

	t.Run("a link is refused for a drop folder", func(t *testing.T) {
		dir := t.TempDir()
		link := filepath.Join(dir, "link.xlsx")
		abs, _ := filepath.Abs(fixture("esr_competences.xlsx"))
		if err := os.Symlink(abs, link); err != nil {
			t.Skip(err)
		}
		if _, err := Open(link, Options{RegularOnly: true}); !errors.Is(err, ErrNotRegular) {
			t.Fatalf("Open = %v, want ErrNotRegular", err)
		}
	})
}
