// Command gen writes the XLSX fixtures of the importers tests. Run it from
// the module root after changing it:
//
//	go run ./testdata/importers/gen -out testdata/importers
//
// The workbooks imitate what ESR and LMS reports really look like: a cover
// sheet, title rows above the header, numeric employee numbers, real date
// cells, a date with a time of day, a blank row in the middle.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/xuri/excelize/v2"
)

func main() {
	out := flag.String("out", "testdata/importers", "folder to write the fixtures into")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for name, build := range map[string]func() (*excelize.File, error){
		"esr_staff_report_20260930.xlsx":  staffWorkbook,
		"esr_competences.xlsx":            completionsWorkbook,
		"lms_completions_streamed.xlsx":   streamedWorkbook,
		"mac_completions_date1904.xlsx":   date1904Workbook,
		"cover_only.xlsx":                 coverOnlyWorkbook,
		"staff_missing_staff_group.xlsx":  missingColumnWorkbook,
		"staff_and_completions_tabs.xlsx": twoKindsWorkbook,
		"totara_certifications.xlsx":      totaraCertificationsWorkbook,
		"esr_competence_meets.xlsx":       esrMeetsRequirementWorkbook,
	} {
		f, err := build()
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join(*out, name)
		if err := f.SaveAs(path); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			log.Fatal(err)
		}
		_ = f.Close()
	}
}

// setRows writes rows starting at a row number; a nil row is left blank.
func setRows(f *excelize.File, sheet string, first int, rows [][]any) error {
	for i, r := range rows {
		if r == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, first+i)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			return err
		}
	}
	return nil
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// staffWorkbook: a cover sheet, then the staff sheet with three title rows,
// numeric employee numbers and a boolean primary flag.
func staffWorkbook() (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", "Read Me"); err != nil {
		return nil, err
	}
	if err := setRows(f, "Read Me", 1, [][]any{
		{"Prevent staff extract"},
		{"This workbook is produced by ESR report PRV001. Staff are listed on the next sheet."},
		{"Contact", "workforce.information@example.nhs.net"},
	}); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet("Staff"); err != nil {
		return nil, err
	}
	err := setRows(f, "Staff", 1, [][]any{
		{"Example NHS Foundation Trust"},
		{"Staff in post at 30-Sep-2026"},
		nil,
		{"Employee Number", "Assignment Number", "First Name", "Last Name", "Org L3", "Organisation", "Staff Group", "Job Role", "Position Title", "Assignment Category", "Assignment Status", "Primary", "Email Address", "Occupation Code"},
		{10000001, "10000001-1", "Jane", "Smith", "Medicine", "Ward 7 Acute Medicine", "Nursing and Midwifery Registered", "Staff Nurse", "Staff Nurse Band 5", "Permanent", "Active Assignment", "Yes", "Jane.Smith@Example.NHS.net", "N0A"},
		{10000001, "10000001-2", "Jane", "Smith", "Medicine", "Nurse Bank", "Nursing and Midwifery Registered", "Staff Nurse", "Bank Staff Nurse", "Bank", "Active Assignment", "No", "jane.smith@example.nhs.net", "N0A"},
		{float64(12345678), "12345678-1", "  Ahmed ", "Khan", "Surgery", "Theatres", "Medical and Dental", "Consultant", "Consultant Anaesthetist", "Permanent", "Active Assignment", true, "ahmed.khan@example.nhs.net", 123},
		nil,
		{"00012345", "00012345-1", "Siobhán", "O'Neill", "Corporate", "Finance", "Administrative and Clerical", "Finance Officer", "Finance Officer", "Fixed Term Temp", "Suspend Assignment", "Y", "", ""},
		{nil, "", "No", "Number", "Corporate", "Estates", "Estates and Ancillary", "Porter", "Porter", "Permanent", "Active Assignment", "Y"},
	})
	return f, err
}

// completionsWorkbook: an ESR competence report with real date cells, a date
// with a time of day, a text date and bad rows.
func completionsWorkbook() (*excelize.File, error) {
	f := excelize.NewFile()
	const sheet = "Competences"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return nil, err
	}
	dtStyle, err := f.NewStyle(&excelize.Style{NumFmt: 22})
	if err != nil {
		return nil, err
	}
	const course3 = "NHS|CSTF|Preventing Radicalisation - Level 3 - 3 Years|"
	const basic = "NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|"
	if err := setRows(f, sheet, 1, [][]any{
		{"Competence Report"},
		nil,
		{"Employee Number", "Full Name", "Competence Name", "Date From", "Date To"},
		{10000001, "Smith, Jane", course3, day(2023, time.November, 2), day(2026, time.November, 2)},
		{12345678, "Khan, Ahmed", basic, time.Date(2024, time.January, 15, 14, 30, 0, 0, time.UTC), nil},
		{"00012345", "O'Neill, Siobhán", basic, "02-Nov-2023", nil},
		{20000002, "Brown, Sam", basic, 45231, nil},
		{20000003, "Green, Ann", basic, "unknown", nil},
		{20000004, "White, Lee", "", day(2023, time.March, 1), nil},
	}); err != nil {
		return nil, err
	}
	if err := f.SetCellStyle(sheet, "D4", "E4", dateStyle); err != nil {
		return nil, err
	}
	if err := f.SetCellStyle(sheet, "D5", "D5", dtStyle); err != nil {
		return nil, err
	}
	if err := f.SetCellStyle(sheet, "D9", "D9", dateStyle); err != nil {
		return nil, err
	}
	return f, nil
}

// streamedWorkbook: written with the stream writer (inline and rich-text
// strings), keyed by email.
func streamedWorkbook() (*excelize.File, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, err
	}
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return nil, err
	}
	rows := [][]any{
		{"Learning Hub export"},
		{"User Email", "Email", "Course Title", "Completion Date", "Status"},
		{"x", "A.Patel@example.nhs.net", []excelize.RichTextRun{{Text: "Prevent Awareness "}, {Text: "e-learning"}}, excelize.Cell{StyleID: style, Value: day(2025, time.June, 30)}, "Passed"},
		{"x", "b.jones@example.nhs.net", "Prevent Level 3", "30/06/2025", "Passed"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, r); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	return f, nil
}

// date1904Workbook: a workbook in the 1904 date system (old Mac Excel).
func date1904Workbook() (*excelize.File, error) {
	f := excelize.NewFile()
	yes := true
	if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
		return nil, err
	}
	// 2 November 2023 is serial 45232 in the 1900 system, 43770 in 1904.
	return f, setRows(f, "Sheet1", 1, [][]any{
		{"Employee Number", "Course", "Completion Date"},
		{10000001, "Prevent Awareness", 43770},
	})
}

func coverOnlyWorkbook() (*excelize.File, error) {
	f := excelize.NewFile()
	return f, setRows(f, "Sheet1", 1, [][]any{
		{"Nothing to see here"},
		{"Just a cover note", "with", "a few", "words"},
	})
}

func missingColumnWorkbook() (*excelize.File, error) {
	f := excelize.NewFile()
	return f, setRows(f, "Sheet1", 1, [][]any{
		{"Staff list"},
		{"Employee Number", "Full Name", "Organisation"},
		{10000001, "Jane Smith", "Ward 7"},
	})
}

// twoKindsWorkbook: completions on the first sheet, staff on the second;
// the first sheet with a header of the kind asked for is used.
func twoKindsWorkbook() (*excelize.File, error) {
	f := excelize.NewFile()
	if err := setRows(f, "Sheet1", 1, [][]any{
		{"Employee Number", "Course", "Completed"},
		{10000001, "Prevent Awareness", "01/02/2024"},
	}); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet("Staff"); err != nil {
		return nil, err
	}
	return f, setRows(f, "Staff", 1, [][]any{
		{"Employee Number", "Name", "Staff Group"},
		{10000001, "Jane Smith", "Nursing and Midwifery Registered"},
	})
}

// totaraCertificationsWorkbook: Totara's "Certifications" report saved as
// Excel: a title row, real date cells, a text date, a certification in
// progress with no date and an expired one (judged by its date).
func totaraCertificationsWorkbook() (*excelize.File, error) {
	f := excelize.NewFile()
	const sheet = "Certifications"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 15}) // d-mmm-yy
	if err != nil {
		return nil, err
	}
	const l3 = "Preventing Radicalisation - Prevent Level 3"
	if err := setRows(f, sheet, 1, [][]any{
		{"Certifications"},
		{"User's Fullname", "User's Email", "Certification name", "Status", "Completion date", "Expiration date"},
		{"Cat Certified", "cat.certified@newtrust.nhs.uk", l3, "Certified", day(2025, time.June, 10), day(2028, time.June, 10)},
		{"Dev Expired", "dev.expired@newtrust.nhs.uk", l3, "Expired", "10/01/2023", "10/01/2026"},
		{"Ben Progress", "ben.progress@newtrust.nhs.uk", l3, "In progress", nil, nil},
		{"Fay Moodle", "fay.moodle@newtrust.nhs.uk", "Fire Safety", "Assigned", nil, nil},
	}); err != nil {
		return nil, err
	}
	return f, f.SetCellStyle(sheet, "E3", "F3", dateStyle)
}

// esrMeetsRequirementWorkbook: an ESR competence export with a summary
// sheet before the detail sheet, title rows, Meets Requirement = No with a
// blank date for people not yet trained, and Excel date cells.
func esrMeetsRequirementWorkbook() (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", "Summary"); err != nil {
		return nil, err
	}
	const basic = "NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|"
	if err := setRows(f, "Summary", 1, [][]any{
		{"Competence Compliance Summary"},
		{"Competence Name", "Completed", "Not Completed", "Compliance %"},
		{basic, 1, 1, 0.5},
	}); err != nil {
		return nil, err
	}
	const sheet = "Detail"
	if _, err := f.NewSheet(sheet); err != nil {
		return nil, err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return nil, err
	}
	if err := setRows(f, sheet, 1, [][]any{
		{"ESR BI: Competence Compliance - Detail"},
		{"Run date: 31/10/2026"},
		nil,
		{"Employee Number", "Full Name", "Competence Name", "Meets Requirement", "Achievement Date", "Expiry Date"},
		{30000007, "Gus Esr", basic, "Yes", day(2023, time.December, 15), day(2026, time.December, 15)},
		{30000008, "Hal Notyet", basic, "No", nil, nil},
		{30000010, "Jo Infection", "NHS|CSTF|Infection Prevention and Control - Level 1 - 3 Years|", "Yes", "01-Feb-2025", nil},
	}); err != nil {
		return nil, err
	}
	return f, f.SetCellStyle(sheet, "E5", "F5", dateStyle)
}

func init() { log.SetFlags(0); log.SetPrefix("gen: ") }
