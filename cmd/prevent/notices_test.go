package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A report from a database that did not exist (a mistyped --db) says the
// database is new, not only that it holds no staff extract; a second run,
// on the database now there, says only the latter.
func TestNewDatabaseSaysSo(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "typo", "prevnet.db")
	const note = "is a new, empty database that this command has just created: check --db or PREVENT_DB"
	r := prevent(t, dir, db, "summary")
	if r.code != 1 || !strings.Contains(r.stderr, "no staff snapshot") || !strings.Contains(r.stderr, note) {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	r = prevent(t, dir, db, "status", "--as-of", "2026-09-30")
	if r.code != 1 || !strings.Contains(r.stderr, "no staff snapshot") || strings.Contains(r.stderr, note) {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
}

// A staff extract with a row repeated word for word (a report that joined
// a table twice) stores it once and says so; the figures count people.
func TestStaffImportSaysRowsRepeat(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	const row = "1001,1001-1,\"Smith, Ann\",Ward A,Nursing and Midwifery Registered,Staff Nurse,Active Assignment\n"
	f := write(t, dir, "esr_2026-09-30.csv", "Employee Number,Assignment Number,Full Name,Organisation,Staff Group,Job Role,Assignment Status\n"+
		row+row+"1002,1002-1,\"Jones, Bo\",Ward B,Admin and Clerical,Clerk,Active Assignment\n"+row)
	r := prevent(t, dir, db, "import", "staff", f)
	if r.code != 0 || !strings.Contains(r.stdout, ": 4 rows read, 2 assignments imported, 0 rejected, 2 rows repeating others word for word (stored once)\n") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = prevent(t, dir, db, "quality"); !strings.Contains(r.stdout, "4 rows read, 2 imported, 2 duplicate, 0 rejected") {
		t.Errorf("quality:\n%s", r.stdout)
	}
	if r = prevent(t, dir, db, "summary", "--as-of", "2026-09-30", "--format", "csv"); !strings.Contains(r.stdout, "\n2026-09-30,Ward A,1,") {
		t.Errorf("Ward A should count one person:\n%s", r.stdout)
	}
}

// A staff extract whose effective date comes from neither --effective nor
// its file name is taken as effective on the day of its import, and the
// import says so.
func TestUndatedStaffExtractSaysSo(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	const note = "has no date in its name (such as esr_staff_2026-09-30.csv): taken as effective today"
	for _, tc := range []struct {
		args []string
		note bool
	}{
		{[]string{write(t, dir, "staff list.csv", e2eStaff)}, true},
		{[]string{write(t, dir, "esr_staff_2026-08-31.csv", e2eStaff+"10000099;10000099-1;X Y;RT1 Acute;Admin and Clerical;Clerk;Active Assignment;Yes;x@trust.nhs.uk\r\n")}, false},
		{[]string{"--effective", "2026-07-31", write(t, dir, "undated.csv", e2eStaff+"10000098;10000098-1;X Z;RT1 Acute;Admin and Clerical;Clerk;Active Assignment;Yes;z@trust.nhs.uk\r\n")}, false},
	} {
		r := prevent(t, dir, db, append([]string{"import", "staff"}, tc.args...)...)
		if r.code != 0 || strings.Contains(r.stderr, note) != tc.note {
			t.Errorf("%v: exit %d, note on stderr %v, want %v:\n%s", tc.args, r.code, !tc.note, tc.note, r.stderr)
		}
	}
}
