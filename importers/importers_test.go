package importers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func fixture(name string) string { return filepath.Join("..", "testdata", "importers", name) }

func readStaff(t *testing.T, path string, opt Options) ([]compliance.Assignment, Summary) {
	t.Helper()
	var out []compliance.Assignment
	sum, err := ReadStaff(path, opt, func(a compliance.Assignment) error {
		out = append(out, a)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadStaff(%s): %v", filepath.Base(path), err)
	}
	return out, sum
}

func readCompletions(t *testing.T, path string, opt Options) ([]CompletionRow, Summary) {
	t.Helper()
	var out []CompletionRow
	sum, err := ReadCompletions(path, opt, func(c CompletionRow) error {
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadCompletions(%s): %v", filepath.Base(path), err)
	}
	return out, sum
}

// writeFile writes a fixture into a temporary folder.
func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func copyFixture(t *testing.T, name, as string) string {
	t.Helper()
	b, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, as, b)
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func errorStrings(errs []RowError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestReadStaffCSVWithBOMSemicolonsCRLFAndQuotedNewline(t *testing.T) {
	got, sum := readStaff(t, fixture("staff_semicolon_bom_crlf_2026-09-30.csv"), Options{})
	want := []compliance.Assignment{
		{EmployeeNumber: "10000001", AssignmentNumber: "10000001-1", Name: "Jane Smith", Organisation: "Ward 7; Acute Medicine",
			StaffGroup: "Nursing and Midwifery Registered", JobRole: "Staff Nurse", PositionTitle: "Staff Nurse\nBand 5",
			AssignmentCategory: "Permanent", AssignmentStatus: "Active Assignment", Primary: true, Email: "jane.smith@example.nhs.net", Row: 2,
			OrgLevels: [6]string{1: "Medicine"}}, // Org L3 is kept beside Organisation
		{EmployeeNumber: "10000001", AssignmentNumber: "10000001-2", Name: "Jane Smith", Organisation: "Nurse Bank",
			StaffGroup: "Nursing and Midwifery Registered", JobRole: "Staff Nurse", PositionTitle: "Bank Staff Nurse",
			AssignmentCategory: "Bank", AssignmentStatus: "Active Assignment", Email: "jane.smith@example.nhs.net", Row: 4,
			OrgLevels: [6]string{1: "Medicine"}},
		{EmployeeNumber: "20000002", AssignmentNumber: "20000002-1", Name: "Sam Brown", Organisation: "Estates",
			StaffGroup: "Estates and Ancillary", JobRole: "Porter", PositionTitle: "Porter",
			AssignmentCategory: "Permanent", AssignmentStatus: "Active Assignment", Primary: true, Row: 6,
			OrgLevels: [6]string{1: "Corporate"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("assignments:\n got %+v\nwant %+v", got, want)
	}
	t.Run("header row and columns", func(t *testing.T) {
		if sum.HeaderRow != 1 || sum.Sheet != "" || sum.Columns["organisation"] != "Organisation" || sum.Columns["employee_number"] != "Employee Number" {
			t.Fatalf("summary = %+v", sum)
		}
	})
	t.Run("blank row is skipped and not counted; bad row is reported", func(t *testing.T) {
		if sum.RowsRead != 4 || sum.RowsOK != 3 || len(sum.Errors) != 1 {
			t.Fatalf("RowsRead %d RowsOK %d errors %v", sum.RowsRead, sum.RowsOK, sum.Errors)
		}
		e := sum.Errors[0]
		if e.Row != 7 || e.Column != "Employee Number" || e.File != "staff_semicolon_bom_crlf_2026-09-30.csv" {
			t.Fatalf("error = %+v", e)
		}
		if !strings.HasPrefix(e.Error(), `staff_semicolon_bom_crlf_2026-09-30.csv row 7, column "Employee Number" is blank`) {
			t.Fatalf("message = %s", e.Error())
		}
	})
}

func TestReadStaffTitleRowsAssignmentFallbackAndSplitName(t *testing.T) {
	got, sum := readStaff(t, fixture("esr_staff_titles_30-09-2026.csv"), Options{})
	for _, tc := range []struct {
		rule string
		ok   bool
	}{
		{"header row found below title rows", sum.HeaderRow == 4},
		{"employee number from assignment number up to its suffix", len(got) == 3 && got[0].EmployeeNumber == "10000001" && got[1].EmployeeNumber == "12345678"},
		{"assignment number without a suffix is the employee number", len(got) == 3 && got[2].EmployeeNumber == "99999999"},
		{"First Name + Surname joined with one space", len(got) == 3 && got[0].Name == "Jane Smith"},
		{"a missing surname leaves the first name", len(got) == 3 && got[1].Name == "Ahmed"},
		{"a missing first name leaves the surname", len(got) == 3 && got[2].Name == "Solo"},
		{"Org L3 beats Directorate", len(got) == 3 && got[0].Organisation == "Division of Medicine" && sum.Columns["organisation"] == "Org L3"},
		{"Job Title is the position title", len(got) == 3 && got[0].PositionTitle == "Staff Nurse"},
		{"Primary Flag Y and 1 are true, N false", len(got) == 3 && got[0].Primary && !got[1].Primary && got[2].Primary},
		{"CSV row numbers are file lines", len(got) == 3 && got[0].Row == 5 && got[1].Row == 6 && got[2].Row == 9},
		{"a repeated header row is skipped", sum.RowsRead == 4},
		{"a row naming nobody is reported", len(sum.Errors) == 1 && sum.Errors[0].Row == 7 && sum.Errors[0].Column == "Assignment Number"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if !tc.ok {
				t.Fatalf("got %+v\nsummary %+v", got, sum)
			}
		})
	}
}

func TestReadStaffXLSX(t *testing.T) {
	got, sum := readStaff(t, fixture("esr_staff_report_20260930.xlsx"), Options{})
	byRow := map[int]compliance.Assignment{}
	for _, a := range got {
		byRow[a.Row] = a
	}
	for _, tc := range []struct {
		rule string
		ok   bool
	}{
		{"the cover sheet is passed over for the first sheet with a header", sum.Sheet == "Staff"},
		{"title and blank rows above the header are skipped", sum.HeaderRow == 4},
		{"numeric employee numbers read as their digits", byRow[5].EmployeeNumber == "10000001" && byRow[7].EmployeeNumber == "12345678"},
		{"text employee numbers keep leading zeros", byRow[9].EmployeeNumber == "00012345"},
		{"numeric occupation code reads as digits", byRow[7].OccupationCode == "123"},
		{"Organisation beats Org L3", byRow[5].Organisation == "Ward 7 Acute Medicine"},
		{"first and last name trimmed and joined", byRow[7].Name == "Ahmed Khan"},
		{"non-ASCII names survive", byRow[9].Name == "Siobhán O'Neill"},
		{"boolean TRUE cell is primary", byRow[7].Primary},
		{"Yes and Y are primary, No is not", byRow[5].Primary && byRow[9].Primary && !byRow[6].Primary},
		{"email lower-cased", byRow[5].Email == "jane.smith@example.nhs.net"},
		{"rows keep spreadsheet row numbers past a blank row", len(got) == 4 && got[3].Row == 9},
		{"blank row not counted", sum.RowsRead == 5 && sum.RowsOK == 4},
		{"row with no employee number reported with its row", len(sum.Errors) == 1 && sum.Errors[0].Row == 10 && sum.Errors[0].Column == "Employee Number"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if !tc.ok {
				t.Fatalf("got %+v\nsummary %+v", got, sum)
			}
		})
	}
}

func TestReadStaffUsesTheFirstSheetOfItsKind(t *testing.T) {
	got, sum := readStaff(t, fixture("staff_and_completions_tabs.xlsx"), Options{})
	if sum.Sheet != "Staff" || len(got) != 1 || got[0].StaffGroup != "Nursing and Midwifery Registered" {
		t.Fatalf("got %+v, summary %+v", got, sum)
	}
	rows, sum := readCompletions(t, fixture("staff_and_completions_tabs.xlsx"), Options{})
	if sum.Sheet != "Sheet1" || len(rows) != 1 || rows[0].CompletedOn != day("2024-02-01") {
		t.Fatalf("got %+v, summary %+v", rows, sum)
	}
}

func TestReadStaffEncodings(t *testing.T) {
	for _, tc := range []struct{ rule, file, want string }{
		{"UTF-16 with BOM (Excel Unicode text) is read", "staff_unicode_text.txt", "Siobhán O'Neill"},
		{"Windows-1252 CSV is read as such", "staff_cp1252.csv", "Siobhán O’Neill"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			got, _ := readStaff(t, fixture(tc.file), Options{})
			if len(got) != 1 || got[0].Name != tc.want || got[0].EmployeeNumber != "10000001" || got[0].Row != 2 {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestReadCompletionsTabDelimitedWithTitles(t *testing.T) {
	got, sum := readCompletions(t, fixture("lms_completions_tab.csv"), Options{})
	want := []CompletionRow{
		{Row: 5, Completion: compliance.Completion{EmployeeNumber: "10000001", Course: "Prevent Awareness", CompletedOn: day("2023-11-02")}},
		{Row: 6, Completion: compliance.Completion{Email: "a.patel@example.nhs.net", Course: "Prevent Awareness", CompletedOn: day("2024-01-15")}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("completions:\n got %+v\nwant %+v", got, want)
	}
	wantErrs := []string{
		`lms_completions_tab.csv row 7, column "Employee No" is blank, and so is "Email Address" (a completion needs an employee number or email to name its person)`,
		`lms_completions_tab.csv row 8, column "Completion Date": "31/02/2024" is not a date (want dd/mm/yyyy, yyyy-mm-dd, dd-Mon-yyyy, d Mon yyyy, a Moodle date or an Excel date)`,
		`lms_completions_tab.csv row 9, column "Completion Date": "12/31/2020" is not a date (want dd/mm/yyyy, yyyy-mm-dd, dd-Mon-yyyy, d Mon yyyy, a Moodle date or an Excel date)`,
	}
	if g := errorStrings(sum.Errors); !reflect.DeepEqual(g, wantErrs) {
		t.Fatalf("errors:\n got %q\nwant %q", g, wantErrs)
	}
	if sum.HeaderRow != 4 || sum.RowsRead != 5 || sum.RowsOK != 2 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestReadCompletionsEveryDateForm(t *testing.T) {
	// Each row's Expected column says what its date reads as.
	path := fixture("completions_dates.csv")
	expect := map[int]string{}
	{
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
			f := strings.Split(line, ",")
			expect[i+2] = f[len(f)-1]
			if f[2] == "" { // a blank date is not completed, not an error
				expect[i+2] = "not completed"
			}
		}
	}
	got, sum := readCompletions(t, path, Options{})
	seen := map[int]bool{}
	for _, c := range got {
		seen[c.Row] = true
		if w := expect[c.Row]; c.CompletedOn.Format(time.DateOnly) != w {
			t.Errorf("row %d: completed %s, want %s", c.Row, c.CompletedOn.Format(time.DateOnly), w)
		}
	}
	for _, e := range sum.Errors {
		seen[e.Row] = true
		if expect[e.Row] != "error" {
			t.Errorf("row %d: unexpected error %v", e.Row, e)
		}
	}
	notCompleted := 0
	for row, w := range expect {
		if w == "not completed" {
			notCompleted++
			continue
		}
		if !seen[row] {
			t.Errorf("row %d (want %s) neither read nor reported", row, w)
		}
	}
	t.Run("a blank course is reported with its column", func(t *testing.T) {
		var cols []string
		for _, e := range sum.Errors {
			if e.Value == "" {
				cols = append(cols, e.Column)
			}
		}
		if !reflect.DeepEqual(cols, []string{"Course"}) {
			t.Fatalf("blank-value errors in columns %q", cols)
		}
	})
	t.Run("a blank date is counted as not completed, not an error", func(t *testing.T) {
		if notCompleted == 0 || sum.NotCompleted != notCompleted {
			t.Fatalf("NotCompleted = %d, want %d", sum.NotCompleted, notCompleted)
		}
	})
}

func TestReadCompletionsXLSX(t *testing.T) {
	got, sum := readCompletions(t, fixture("esr_competences.xlsx"), Options{})
	basic := "NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|"
	want := []CompletionRow{
		{Row: 4, Completion: compliance.Completion{EmployeeNumber: "10000001", Course: "NHS|CSTF|Preventing Radicalisation - Level 3 - 3 Years|", CompletedOn: day("2023-11-02")}},
		{Row: 5, Completion: compliance.Completion{EmployeeNumber: "12345678", Course: basic, CompletedOn: day("2024-01-15")}},
		{Row: 6, Completion: compliance.Completion{EmployeeNumber: "00012345", Course: basic, CompletedOn: day("2023-11-02")}},
		{Row: 7, Completion: compliance.Completion{EmployeeNumber: "20000002", Course: basic, CompletedOn: day("2023-11-01")}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("real date cells, a date-time cell, a text date and a bare serial:\n got %+v\nwant %+v", got, want)
	}
	if sum.Columns["completed"] != "Date From" || sum.Columns["course"] != "Competence Name" || sum.HeaderRow != 3 {
		t.Fatalf("summary %+v", sum)
	}
	wantErrs := []string{
		`esr_competences.xlsx row 8, column "Date From": "unknown" is not a date (want dd/mm/yyyy, yyyy-mm-dd, dd-Mon-yyyy, d Mon yyyy, a Moodle date or an Excel date)`,
		`esr_competences.xlsx row 9, column "Competence Name" is blank (a completion needs a course name)`,
	}
	if g := errorStrings(sum.Errors); !reflect.DeepEqual(g, wantErrs) {
		t.Fatalf("errors:\n got %q\nwant %q", g, wantErrs)
	}
}

func TestReadCompletionsXLSXVariants(t *testing.T) {
	t.Run("inline and rich-text strings, keyed by email", func(t *testing.T) {
		got, sum := readCompletions(t, fixture("lms_completions_streamed.xlsx"), Options{})
		want := []CompletionRow{
			{Row: 3, Completion: compliance.Completion{Email: "a.patel@example.nhs.net", Course: "Prevent Awareness e-learning", CompletedOn: day("2025-06-30")}},
			{Row: 4, Completion: compliance.Completion{Email: "b.jones@example.nhs.net", Course: "Prevent Level 3", CompletedOn: day("2025-06-30")}},
		}
		if !reflect.DeepEqual(got, want) || sum.Columns["email"] != "Email" {
			t.Fatalf("got %+v\nsummary %+v", got, sum)
		}
	})
	t.Run("progress ends at the file size", func(t *testing.T) {
		var last [3]int64
		_, err := ReadCompletions(fixture("esr_competences.xlsx"), Options{Progress: func(rows int, done, total int64) {
			last = [3]int64{int64(rows), done, total}
		}}, func(CompletionRow) error { return nil })
		st, _ := os.Stat(fixture("esr_competences.xlsx"))
		if err != nil || last != [3]int64{6, st.Size(), st.Size()} {
			t.Fatalf("last progress %v, %v", last, err)
		}
	})
	t.Run("1904 date system serials", func(t *testing.T) {
		got, _ := readCompletions(t, fixture("mac_completions_date1904.xlsx"), Options{})
		if len(got) != 1 || got[0].CompletedOn != day("2023-11-02") {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("format decided by content, not extension", func(t *testing.T) {
		got, _ := readCompletions(t, copyFixture(t, "esr_competences.xlsx", "competences.csv"), Options{})
		if len(got) != 4 {
			t.Fatalf("xlsx named .csv: got %d rows", len(got))
		}
		got, _ = readCompletions(t, copyFixture(t, "completions_dates.csv", "dates.xlsx"), Options{})
		if len(got) != 12 {
			t.Fatalf("csv named .xlsx: got %d rows", len(got))
		}
	})
}

func TestAliases(t *testing.T) {
	csv := "Person Ref,Employee Number,Learning Item,Passed On\n" +
		"P1,10000001,Prevent Awareness,02/11/2023\n"
	path := writeFile(t, "lms.csv", []byte(csv))
	t.Run("config aliases are recognised and win over built-in headers", func(t *testing.T) {
		got, sum := readCompletions(t, path, Options{Aliases: map[string][]string{
			"employee_number": {"Person Ref"},
			"course":          {"learning item"},
			"completion_date": {"PASSED-ON"}, // synonym key, any case and punctuation
		}})
		if len(got) != 1 || got[0].EmployeeNumber != "P1" || got[0].Course != "Prevent Awareness" || sum.Columns["employee_number"] != "Person Ref" {
			t.Fatalf("got %+v, summary %+v", got, sum)
		}
	})
	t.Run("without aliases the file lacks columns", func(t *testing.T) {
		_, err := ReadCompletions(path, Options{}, func(CompletionRow) error { return nil })
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "no column for the course name") || !strings.Contains(err.Error(), "nor for the completion date") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("an alias is listed first in the looked-for headers", func(t *testing.T) {
		_, err := ReadCompletions(path, Options{Aliases: map[string][]string{"course": {"Module Title"}}}, func(CompletionRow) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "(looked for Module Title, Course, Course Name,") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestFileErrors(t *testing.T) {
	staff := func(p string) error {
		_, err := ReadStaff(p, Options{}, func(compliance.Assignment) error { return nil })
		return err
	}
	completions := func(p string) error {
		_, err := ReadCompletions(p, Options{}, func(CompletionRow) error { return nil })
		return err
	}
	for _, tc := range []struct {
		rule string
		read func(string) error
		path string
		want string
	}{
		{"missing role column in a CSV", staff, fixture("staff_missing_role.csv"),
			"staff_missing_role.csv: no column for a staff group, job role or position title (looked for Staff Group, Job Role, Position Title, Position, Job Title, Position Name) in its header row (row 1)"},
		{"missing role column in a workbook names the sheet and row", staff, fixture("staff_missing_staff_group.xlsx"),
			`staff_missing_staff_group.xlsx: no column for a staff group, job role or position title (looked for Staff Group, Job Role, Position Title, Position, Job Title, Position Name) in its header row (row 2 of sheet "Sheet1")`},
		{"missing course and date columns", completions, fixture("esr_staff_report_20260930.xlsx"),
			"esr_staff_report_20260930.xlsx: no column for the course name (looked for Course, Course Name, Competence Name, Competency Name, Module, ...), nor for the completion date"},
		{"missing employee number", staff, writeFile(t, "s.csv", []byte("Full Name,Staff Group\nJane,Nursing\n")),
			"s.csv: no column for the employee number (looked for Employee Number, Emp No, Employee No, Person Number, Staff Number, Assignment Number, Assignment No, ...)"},
		{"no header row at all", staff, fixture("cover_only.xlsx"),
			"cover_only.xlsx has no recognisable header row in its first 20 rows (a staff extract needs columns for the employee number"},
		{"a completions extract refused as staff", staff, writeFile(t, "c.csv", []byte("Employee Number,Job Role,Course,Completion Date\n1,Nurse,Prevent,02/11/2023\n")),
			`c.csv looks like a completions extract (it has "Course" and "Completion Date" columns), not a staff extract`},
		{"header row below the first 20 rows", staff, writeFile(t, "late.csv", []byte(strings.Repeat("title\n", 20)+"Employee Number,Staff Group\n1,Nursing\n")),
			"late.csv has no recognisable header row in its first 20 rows"},
		{"legacy xls", staff, writeFile(t, "old.xls", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 600)...)),
			"old.xls is an old-style .xls workbook (or a password-protected one); save it as .xlsx or .csv"},
		{"binary junk", completions, writeFile(t, "junk.csv", []byte("\x7fELF\x02\x01\x01\x00\x00\x00garbage")),
			"junk.csv is not a CSV or Excel (.xlsx) file (it holds binary data)"},
		{"a damaged zip", completions, writeFile(t, "broken.xlsx", []byte("PK\x03\x04 this is not really a zip file")),
			"broken.xlsx cannot be read as an Excel workbook"},
		{"an empty file", staff, writeFile(t, "empty.csv", nil), "empty.csv is empty"},
		{"a BOM and nothing else", staff, writeFile(t, "bom.csv", []byte("\xef\xbb\xbf\r\n")), "bom.csv is empty"},
		{"a missing file", staff, filepath.Join(t.TempDir(), "nope.csv"), "nope.csv does not exist"},
		{"a folder", staff, t.TempDir(), "is a folder, not a file"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			err := tc.read(tc.path)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %#v, want a *FileError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %s\nwant it to contain %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("message is not one line: %q", err)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		rule, file string
		want       Kind // "" means an error
	}{
		{"staff CSV", "staff_semicolon_bom_crlf_2026-09-30.csv", Staff},
		{"staff CSV with titles and assignment numbers only", "esr_staff_titles_30-09-2026.csv", Staff},
		{"staff workbook behind a cover sheet", "esr_staff_report_20260930.xlsx", Staff},
		{"completions CSV keyed by number and email", "lms_completions_tab.csv", Completions},
		{"completions workbook", "esr_competences.xlsx", Completions},
		{"completions workbook keyed by email only", "lms_completions_streamed.xlsx", Completions},
		{"the first sheet with a header decides", "staff_and_completions_tabs.xlsx", Completions},
		{"UTF-16 staff text", "staff_unicode_text.txt", Staff},
		{"neither kind", "neither.csv", ""},
		{"staff without a role column is neither", "staff_missing_role.csv", ""},
		{"a cover note only", "cover_only.xlsx", ""},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := Classify(fixture(tc.file), Options{})
			if tc.want == "" {
				var fe *FileError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), "is neither a staff nor a completions extract") {
					t.Fatalf("Classify = %q, %v; want a FileError", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Classify = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Run("a staff header with a course column is not staff", func(t *testing.T) {
		p := writeFile(t, "x.csv", []byte("Employee Number,Staff Group,Course\n1,Nursing,Prevent\n"))
		if k, err := Classify(p, Options{}); err == nil {
			t.Fatalf("Classify = %q, want an error", k)
		}
	})
	t.Run("aliases count", func(t *testing.T) {
		p := writeFile(t, "x.csv", []byte("Ref,Grade\n1,Nursing\n"))
		k, err := Classify(p, Options{Aliases: map[string][]string{"employee_number": {"Ref"}, "staff_group": {"Grade"}}})
		if err != nil || k != Staff {
			t.Fatalf("Classify = %q, %v", k, err)
		}
	})
}

func TestEmitErrorStopsReading(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	sum, err := ReadCompletions(fixture("completions_dates.csv"), Options{}, func(CompletionRow) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 || sum.RowsOK != 2 {
		t.Fatalf("err %v after %d rows, summary %+v", err, n, sum)
	}
}

func TestProgress(t *testing.T) {
	var b strings.Builder
	b.WriteString("Employee Number,Course,Completion Date\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "%d,Prevent Awareness,02/11/2023\n", 10000000+i)
	}
	path := writeFile(t, "big.csv", []byte(b.String()))
	var calls [][3]int64
	sum, err := ReadCompletions(path, Options{Progress: func(rows int, done, total int64) {
		calls = append(calls, [3]int64{int64(rows), done, total})
	}}, func(CompletionRow) error { return nil })
	if err != nil || sum.RowsOK != 10000 {
		t.Fatalf("err %v, summary %+v", err, sum)
	}
	size := int64(b.Len())
	if len(calls) != 3 || calls[0][0] != progressEvery || calls[2] != [3]int64{10000, size, size} {
		t.Fatalf("progress calls %v (size %d)", calls, size)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][1] < calls[i-1][1] || calls[i][1] > size {
			t.Fatalf("progress not monotonic: %v", calls)
		}
	}
}

func TestCSVQuirks(t *testing.T) {
	for _, tc := range []struct {
		rule, content string
		want          []CompletionRow
	}{
		{"short rows pad with blanks, so a missing trailing column is blank",
			"Email,Course,Completion Date,Employee Number\na@x.nhs.net,Prevent,02/11/2023\n",
			[]CompletionRow{{Row: 2, Completion: compliance.Completion{Email: "a@x.nhs.net", Course: "Prevent", CompletedOn: day("2023-11-02")}}}},
		{"bare quotes inside a field are kept",
			"Employee Number,Course,Completion Date\n1,Prevent \"Level 3\" course,02/11/2023\n",
			[]CompletionRow{{Row: 2, Completion: compliance.Completion{EmployeeNumber: "1", Course: `Prevent "Level 3" course`, CompletedOn: day("2023-11-02")}}}},
		{"spaces after a comma before a quoted field",
			"Employee Number, Course, Completion Date\n1, \"Prevent, Level 3\", 02/11/2023\n",
			[]CompletionRow{{Row: 2, Completion: compliance.Completion{EmployeeNumber: "1", Course: "Prevent, Level 3", CompletedOn: day("2023-11-02")}}}},
		{"row numbers count the lines of a quoted newline and skip empty lines",
			"Employee Number,Course,Completion Date\n\"1\",\"Prevent\nAwareness\",02/11/2023\n\n2,Prevent,1/1/2024\n",
			[]CompletionRow{
				{Row: 2, Completion: compliance.Completion{EmployeeNumber: "1", Course: "Prevent\nAwareness", CompletedOn: day("2023-11-02")}},
				{Row: 5, Completion: compliance.Completion{EmployeeNumber: "2", Course: "Prevent", CompletedOn: day("2024-01-01")}}}},
		{"a title line with commas above a semicolon header",
			"Report, run on 02/11/2023\nEmployee Number;Course;Completion Date\n1;Prevent;02/11/2023\n",
			[]CompletionRow{{Row: 3, Completion: compliance.Completion{EmployeeNumber: "1", Course: "Prevent", CompletedOn: day("2023-11-02")}}}},
		{"numeric employee number written as a float",
			"Employee Number,Course,Completion Date\n1.2345678E7,Prevent,02/11/2023\n12345678.0,Prevent,02/11/2023\n",
			[]CompletionRow{
				{Row: 2, Completion: compliance.Completion{EmployeeNumber: "12345678", Course: "Prevent", CompletedOn: day("2023-11-02")}},
				{Row: 3, Completion: compliance.Completion{EmployeeNumber: "12345678", Course: "Prevent", CompletedOn: day("2023-11-02")}}}},
		{"email kept only when the employee number is blank",
			"Employee Number,Email,Course,Completion Date\n1,A@X.nhs.net,Prevent,02/11/2023\n,B@X.nhs.net,Prevent,02/11/2023\n",
			[]CompletionRow{
				{Row: 2, Completion: compliance.Completion{EmployeeNumber: "1", Course: "Prevent", CompletedOn: day("2023-11-02")}},
				{Row: 3, Completion: compliance.Completion{Email: "b@x.nhs.net", Course: "Prevent", CompletedOn: day("2023-11-02")}}}},
		{"an LMS export naming the learner's email as Totara does",
			"User's Email,Course,Completion Date\nJane.Smith@NHS.net,Prevent,02/11/2023\n",
			[]CompletionRow{{Row: 2, Completion: compliance.Completion{Email: "jane.smith@nhs.net", Course: "Prevent", CompletedOn: day("2023-11-02")}}}},
		{"UTF-16 BE with BOM",
			string(utf16be("Employee Number\tCourse\tCompletion Date\r\n1\tPrevent\t02/11/2023\r\n")),
			[]CompletionRow{{Row: 2, Completion: compliance.Completion{EmployeeNumber: "1", Course: "Prevent", CompletedOn: day("2023-11-02")}}}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			got, _ := readCompletions(t, writeFile(t, "c.csv", []byte(tc.content)), Options{})
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func utf16be(s string) []byte {
	out := []byte{0xfe, 0xff}
	for _, r := range s { // ASCII only
		out = append(out, 0, byte(r))
	}
	return out
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		rule string
		err  error
		want string
	}{
		{"bad value", RowError{File: "staff.csv", Row: 14, Column: "Completion Date", Value: "31/02/2026", Reason: reasonNotDate},
			`staff.csv row 14, column "Completion Date": "31/02/2026" is not a date (want dd/mm/yyyy, yyyy-mm-dd, dd-Mon-yyyy, d Mon yyyy, a Moodle date or an Excel date)`},
		{"blank value", RowError{File: "c.csv", Row: 3, Column: "Course", Reason: "is blank (a completion needs a course name)"},
			`c.csv row 3, column "Course" is blank (a completion needs a course name)`},
		{"no column", RowError{File: "c.csv", Row: 3, Reason: "something odd"}, `c.csv row 3: something odd`},
		{"file error with a verb", &FileError{File: "a.xls", Reason: "is an old-style .xls workbook"}, "a.xls is an old-style .xls workbook"},
		{"file error without a verb", &FileError{File: "a.csv", Reason: "no column for X"}, "a.csv: no column for X"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestFileHash(t *testing.T) {
	p := writeFile(t, "x.csv", []byte("abc"))
	h, err := FileHash(p, false)
	if err != nil || h != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("FileHash = %s, %v", h, err)
	}
	if _, err := FileHash(filepath.Join(t.TempDir(), "none"), false); err == nil {
		t.Fatal("FileHash of a missing file: no error")
	}
}

func TestFieldNames(t *testing.T) {
	for _, k := range FieldNames() {
		if c, ok := CanonicalField(strings.ToUpper(k)); !ok || c != k {
			t.Errorf("CanonicalField(%q) = %q, %v", k, c, ok)
		}
	}
	if c, ok := CanonicalField("Completion Date"); !ok || c != "completed" {
		t.Errorf("CanonicalField(Completion Date) = %q, %v", c, ok)
	}
	if _, ok := CanonicalField("shoe_size"); ok {
		t.Error("CanonicalField accepted shoe_size")
	}
}

// "Employee ID" and "Staff ID", as many LMS reports head the employee
// number, are read without a columns: alias.
func TestEmployeeIDHeaders(t *testing.T) {
	for _, h := range []string{"Employee ID", "Staff ID", "employee id"} {
		path := writeFile(t, "lms.csv", []byte(h+",Course Name,Completion Date\n00123,Prevent Awareness,02/11/2025\n"))
		var got []CompletionRow
		sum, err := ReadCompletions(path, Options{}, func(r CompletionRow) error { got = append(got, r); return nil })
		if err != nil || len(got) != 1 || got[0].EmployeeNumber != "00123" || sum.Columns["employee_number"] != h {
			t.Errorf("%q: %v, rows %+v, columns %v", h, err, got, sum.Columns)
		}
	}
}

// A note a report writes in its first column below the rows ("Total rows:
// 2", "Report run by ...") is neither a person nor a row error; a row
// whose only value is an employee number, or a name in another column, is
// still read as data (and reported when it names nobody).
func TestReadStaffSkipsReportNotes(t *testing.T) {
	csv := "Employee Number,Full Name,Organisation,Staff Group\n" +
		"1,A,Ward,Admin\n2,B,Ward,Admin\n3,,,\n,Ann Other,,\n" +
		"Total rows: 4,,,\n\nReport run by J Smith on 01/10/2026\nEnd of report\n"
	got, sum := readStaff(t, writeFile(t, "esr_2026-09-30.csv", []byte(csv)), Options{})
	var emps []string
	for _, a := range got {
		emps = append(emps, a.EmployeeNumber)
	}
	if strings.Join(emps, ",") != "1,2,3" || sum.RowsRead != 4 || len(sum.Errors) != 1 || sum.Errors[0].Row != 5 {
		t.Fatalf("people %v, %d rows read, errors %+v", emps, sum.RowsRead, sum.Errors)
	}
	// Where the first column is not an identifier, a row with only it
	// filled is data: a name with nobody's number is a row error, not a
	// note passed over.
	csv = "Full Name,Employee Number,Organisation,Staff Group\nAnn Smith,1,Ward,Admin\nJohn Doe,,,\n"
	got, sum = readStaff(t, writeFile(t, "esr_names_2026-09-30.csv", []byte(csv)), Options{})
	if len(got) != 1 || sum.RowsRead != 2 || len(sum.Errors) != 1 || sum.Errors[0].Row != 3 {
		t.Fatalf("name first: %d people, %d rows read, errors %+v", len(got), sum.RowsRead, sum.Errors)
	}
}
