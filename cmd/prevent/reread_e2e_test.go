package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestFileReadAgainForANewlyMappedCourse: a completions file whose course
// no rule mapped is imported again once a rule maps it. The second import
// stores that course's rows and says it is the same file read again; the
// quality report and the annual report show it so and count the file's
// rows once.
func TestFileReadAgainForANewlyMappedCourse(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	config := filepath.Join(dir, "prevent.yaml")
	const rules = "organisation: Test NHS Trust\nods_code: RT1\ncourses:\n  - {level: level3, match: [\"*Prevent*Level 3*\"]}\n"
	if err := os.WriteFile(config, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun := func(args ...string) run {
		t.Helper()
		r := prevent(t, dir, db, append([]string{"--config", config}, args...)...)
		if r.code != 0 {
			t.Fatalf("prevent %v: exit %d\n%s", args, r.code, r.stderr)
		}
		return r
	}
	mustRun("import", "staff", write(t, dir, "esr_staff_2025-09-30.csv", "Employee Number,Staff Group\n1,Medical and Dental\n2,Estates and Ancillary\n3,Estates and Ancillary\n"))
	lms := write(t, dir, "lms.csv", "Employee Number,Course Name,Completion Date,Status\n"+
		"1,Preventing Radicalisation - Prevent Level 3,01/03/2025,Completed\n"+
		"2,Prevent Awareness eLearning v2,02/04/2025,Completed\n"+
		"3,Prevent Awareness eLearning v2,03/05/2025,Completed\n"+
		"3,Fire Safety,03/05/2025,Completed\n"+
		"2,Fire Safety,,In progress\n")
	first := mustRun("import", "completions", lms).stdout
	if want := "lms.csv: completions: 5 rows read, 1 new, 0 already held, 0 rejected, 1 not completed, 3 of other courses (counted, not stored)\n"; first != want {
		t.Fatalf("first import printed %q, want %q", first, want)
	}
	mustRun("import", "exemptions", write(t, dir, "leave.csv", "Employee Number,Reason,From,Until\n3,Maternity leave,01/01/2025,\n"))
	before := mustRun("quality").stdout

	if err := os.WriteFile(config, []byte(rules+"  - {level: basic, match: [\"*Prevent Awareness*\"]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("the import line says the file is read again, for which course", func(t *testing.T) {
		got := mustRun("import", "completions", lms).stdout
		for _, want := range []string{`lms.csv: completions: read again for the newly mapped course "Prevent Awareness eLearning v2" (the file was first imported on `,
			"): 2 rows, 2 new, 0 already held\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("second import printed %q, want it to contain %q", got, want)
			}
		}
		if third := mustRun("import", "completions", lms).stdout; !strings.Contains(third, "(same content): nothing to do") {
			t.Errorf("a third import printed %q, want a no-op", third)
		}
	})
	t.Run("quality lists it as the file read again, the first import's line as it was", func(t *testing.T) {
		got := mustRun("quality").stdout
		if want := "Imports: 4 (1 of them a completions file read again for newly mapped courses)\n"; !strings.Contains(got, want) {
			t.Errorf("quality lacks %q:\n%s", want, got)
		}
		if want := "lms.csv, read again for newly mapped courses (first imported "; !strings.Contains(got, want) {
			t.Errorf("quality lacks %q:\n%s", want, got)
		}
		for _, line := range strings.Split(before, "\n") {
			if strings.Contains(line, "lms.csv:") && !strings.Contains(got, line+"\n") {
				t.Errorf("the first import's line %q changed:\n%s", line, got)
			}
		}
	})
	t.Run("the annual report counts the file and its rows once", func(t *testing.T) {
		mustRun("report", "annual", "--year", "2025-26", "--format", "xlsx", "--out", "annual.xlsx")
		book, err := excelize.OpenFile(filepath.Join(dir, "annual.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		defer book.Close()
		rows, err := book.GetRows("Data quality")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows {
			if len(r) == 2 {
				got[r[0]] = r[1]
			}
		}
		for what, want := range map[string]string{
			"Files imported (all kinds)":   "3",
			"Staff extracts imported":      "1",
			"Completion extracts imported": "1",
			"Exemption lists imported":     "1",
			"Completion extracts read again for newly mapped courses (each file counted once above)": "1",
			"Rows read":     "9", // 3 staff rows, 5 completion rows, 1 exemption: lms.csv's counted once
			"Rows imported": "7", // 3 assignments, 1 completion, then 2, 1 exemption
		} {
			if got[what] != want {
				t.Errorf("%q is %q, want %q (rows %q)", what, got[what], want, rows)
			}
		}
		for _, absent := range []string{"Imports held (staff extracts, completion extracts)", "Referral logs imported", "Partnership meeting logs imported"} {
			if _, ok := got[absent]; ok {
				t.Errorf("the table has a row %q: %q", absent, rows)
			}
		}
	})
}
