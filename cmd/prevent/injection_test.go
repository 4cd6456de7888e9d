package main

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// The hostile extracts: names, organisations, job roles and course names
// that a spreadsheet would run as formulas (OWASP CSV injection), leading
// tabs and carriage returns included.
const hostileConfig = `organisation: '=HYPERLINK("http://evil.example/","Trust")'
ods_code: RT1
requirements:
  - level: face_to_face
    match: {job_role: ["=HYPERLINK*"]}
  - level: level3
    match: {staff_group: ["Nursing and Midwifery Registered"]}
courses:
  - {level: basic, match: ["=Prevent*", "*Prevent Awareness*"]}
  - {level: level3, match: ["*Prevent*Level 3*"]}
return:
  recipients: ["commissioner@icb.nhs.net"]
reminders:
  leads: [{email: lead@trust.nhs.uk}]
outbox_dir: outbox
`

const hostileStaff = "Employee Number,Full Name,Organisation,Staff Group,Job Role,Primary,Email\n" +
	`10000001,@SUM(1+1),"=HYPERLINK(""http://evil.example/"",""click"")",Nursing and Midwifery Registered,Staff Nurse,Yes,a@trust.nhs.uk` + "\n" +
	`10000002,+cmd|' /C calc'!A0,+Org Plus,Estates and Ancillary,"=HYPERLINK(""http://evil.example/"",""role"")",Yes,b@trust.nhs.uk` + "\n" +
	`10000003,-2+3,-Org Minus,Administrative and Clerical,Clerk,Yes,c@trust.nhs.uk` + "\n" +
	"10000004,\"\t=1+1\",\"\r=Org CR\",Administrative and Clerical,Clerk,Yes,d@trust.nhs.uk\n" +
	`10000005,=1+2,@Org At,Administrative and Clerical,Clerk,Yes,e@trust.nhs.uk` + "\n"

const hostileCompletions = "Employee Number,Course Name,Completion Date\n" +
	"10000001,=Prevent Awareness (e-learning),01/02/2024\n" +
	"10000003,@Prevent Level 3,15/01/2023\n" +
	"10000005,+Preventing Radicalisation - Basic Prevent Awareness,01/10/2023\n"

// dangerous reports whether a spreadsheet would read a cell as a formula:
// it begins with =, +, -, @, tab or carriage return and is not a plain
// negative number.
func dangerous(v string) bool {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return false
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil && v[0] == '-' {
		return false
	}
	return true
}

// checkCSV fails on any cell a spreadsheet would run, and returns the
// cells that were neutralised (a leading apostrophe before a formula
// character).
func checkCSV(t *testing.T, name string, data []byte) (neutralised int) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s is not CSV: %v\n%s", name, err, data)
	}
	for i, rec := range recs {
		for j, v := range rec {
			if dangerous(v) {
				t.Errorf("%s row %d column %d would run as a formula: %q", name, i+1, j+1, v)
			}
			if strings.HasPrefix(v, "'") && len(v) > 1 && dangerous(v[1:]) {
				neutralised++
			}
		}
	}
	return neutralised
}

var formulaElement = regexp.MustCompile(`<(\w+:)?f[ >/]`)

// checkXLSX fails on any formula in a worksheet and on any cell text a
// spreadsheet would run once copied out, and returns the neutralised
// cells.
func checkXLSX(t *testing.T, name string, data []byte) (neutralised int) {
	t.Helper()
	for _, part := range unzipped(t, name, data) {
		if strings.Contains(part.name, "xl/worksheets/") && formulaElement.Match(part.data) {
			t.Errorf("%s has a formula: %s", part.name, formulaElement.Find(part.data))
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatalf("%s sheet %s: %v", name, sheet, err)
		}
		for i, row := range rows {
			for j, v := range row {
				ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if dangerous(v) {
					t.Errorf("%s %s!%s holds text a spreadsheet would run: %q", name, sheet, ref, v)
				}
				if strings.HasPrefix(v, "'") && len(v) > 1 && dangerous(v[1:]) {
					neutralised++
				}
				if typ, _ := f.GetCellType(sheet, ref); typ == excelize.CellTypeFormula {
					t.Errorf("%s %s!%s is a formula", name, sheet, ref)
				}
			}
		}
	}
	return neutralised
}

// TestFormulaInjection imports extracts whose names, organisations, job
// roles and course names begin with formula characters, and checks every
// CSV and XLSX prevent writes from them: the status listing, the summary,
// the return and its email attachments, the reminder workbook, and the
// dashboard's people and TNA exports. No cell may run as a formula, and
// the hostile values must be there, neutralised.
func TestFormulaInjection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", hostileConfig)
	run := func(args ...string) string {
		t.Helper()
		r := prevent(t, dir, db, args...)
		if r.code != 0 {
			t.Fatalf("prevent %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	run("import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", hostileStaff))
	run("import", "completions", write(t, dir, "lms.csv", hostileCompletions))
	status := run("status", "--as-of", "2026-09-30", "--format", "json")
	if !strings.Contains(status, `"name": "=1+1"`) || !strings.Contains(status, `"organisation": "=Org CR"`) {
		t.Fatalf("the leading tab and carriage return should be trimmed, leaving the formula:\n%s", status)
	}

	type file struct {
		name     string
		data     []byte
		atLeast  int // neutralised cells expected
		workbook bool
	}
	var files []file
	add := func(name string, data []byte, atLeast int) {
		files = append(files, file{name, data, atLeast, bytes.HasPrefix(data, []byte("PK"))})
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	add("status csv", []byte(run("status", "--as-of", "2026-09-30", "--format", "csv")), 8)
	run("status", "--as-of", "2026-09-30", "--format", "xlsx", "--out", "status.xlsx")
	add("status xlsx", read("status.xlsx"), 8)
	add("summary csv", []byte(run("summary", "--as-of", "2026-09-30", "--format", "csv")), 4)
	add("return csv", []byte(run("return", "--quarter", "2026-27Q2", "--format", "csv")), 8)
	run("return", "--quarter", "2026-27Q2", "--out", "return.xlsx")
	add("return xlsx", read("return.xlsx"), 4)
	run("return", "--quarter", "2026-27Q2", "--send")
	run("remind", "--as-of", "2026-09-30", "--send")
	emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	attachments := 0
	for _, f := range emls {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, parts := decodeEmail(t, filepath.Base(f), raw)
		for _, p := range parts {
			if p.filename != "" {
				attachments++
				add(filepath.Base(f)+" attachment "+p.filename, p.data, 1)
			}
		}
	}
	if attachments != 3 {
		t.Errorf("%d attachments in the outbox, want the return's XLSX and CSV and the reminder workbook", attachments)
	}

	// The dashboard's exports.
	serve := startServe(t, dir, db, "--http", "127.0.0.1:0")
	line := serve.waitFor(t, `msg="dashboard listening"`)
	base := strings.TrimSuffix(strings.Fields(line[strings.Index(line, "url=")+len("url="):])[0], "/")
	for _, path := range []string{"/people.csv", "/people.xlsx", "/tna.csv", "/tna.xlsx", "/returns/2026-27Q2.csv", "/returns/2026-27Q2.xlsx"} {
		resp, err := http.Get(base + path + "?as_of=2026-09-30")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %v\n%s", path, resp.Status, err, b)
		}
		want := 1
		if strings.HasPrefix(path, "/people") {
			want = 8
		}
		add("dashboard "+path, b, want)
	}
	serve.stop(t, syscall.SIGTERM)

	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			var n int
			if f.workbook {
				n = checkXLSX(t, f.name, f.data)
			} else {
				n = checkCSV(t, f.name, f.data)
			}
			if n < f.atLeast {
				t.Errorf("%d neutralised cells, want at least %d: the hostile values did not reach this output", n, f.atLeast)
			}
		})
	}
}

// TestFormulaInjectionAssurance collates a provider's return whose name
// (not in the config) and organisations begin with formula characters, from
// a hand-made file that left them raw, beside a configured provider with a
// hostile name, and checks the assurance CSV and XLSX.
func TestFormulaInjectionAssurance(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", `organisation: NHS Example Integrated Care Board
providers:
  - {name: '=HYPERLINK("http://evil.example/","Alpha")', ods_code: RA1, email: returns@alpha.nhs.net}
  - {name: "+Beta Trust", ods_code: RB2, email: returns@beta.nhs.net}
outbox_dir: outbox
`)
	var alpha, rogue bytes.Buffer
	b := compliance.Basic
	if err := providerReturn("RA1", "Alpha", map[string]map[compliance.Level][2]int{"=Acute": {b: {10, 9}}}).WriteCSV(&alpha); err != nil {
		t.Fatal(err)
	}
	if err := providerReturn("RZ9", "@Rogue Provider", map[string]map[compliance.Level][2]int{"-Wards": {b: {4, 2}}}).WriteCSV(&rogue); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(dir, "inbox")
	if err := os.Mkdir(inbox, 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, inbox, "alpha.csv", strings.ReplaceAll(alpha.String(), ",'", ","))
	write(t, inbox, "rogue.csv", strings.ReplaceAll(rogue.String(), ",'", ","))
	if r := prevent(t, dir, db, "collate", "inbox", "--quarter", "2026-27Q2"); !strings.Contains(r.stdout, "rogue.csv") {
		t.Fatalf("collate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := prevent(t, dir, db, "assurance", "--quarter", "2026-27Q2", "--format", "csv")
	if r.code != 0 {
		t.Fatalf("assurance: exit %d: %s", r.code, r.stderr)
	}
	if n := checkCSV(t, "assurance csv", []byte(r.stdout)); n < 3 {
		t.Errorf("%d neutralised cells in the assurance CSV, want the three hostile provider names:\n%s", n, r.stdout)
	}
	if r := prevent(t, dir, db, "assurance", "--quarter", "2026-27Q2", "--format", "xlsx", "--out", "assurance.xlsx"); r.code != 0 {
		t.Fatalf("assurance xlsx: exit %d: %s", r.code, r.stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "assurance.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if n := checkXLSX(t, "assurance xlsx", data); n < 3 {
		t.Errorf("%d neutralised cells in the assurance XLSX, want the three hostile provider names at least", n)
	}
}
