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
