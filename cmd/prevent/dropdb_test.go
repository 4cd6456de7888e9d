package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A trust that keeps prevent.db and prevent.yaml in the folder it drops
// extracts into, and runs `import dir .` there, keeps both: they are
// skipped, said so on stderr once each, and the next command finds what
// was imported under the same config. (They used to be moved to failed/
// with the files that are not extracts, leaving the next command an empty
// database and the built-in defaults.) Thumbs.db, which Windows leaves in
// a folder opened in Explorer, is passed over without a word.
func TestImportDirLeavesTheDatabaseInTheFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "esr_staff_2026-09-30.csv", "Employee Number,Full Name,Organisation,Staff Group\n1,A,Medicine,Estates and Ancillary\n2,B,Medicine,Medical and Dental\n")
	write(t, dir, "prevent.yaml", "organisation: Test NHS Trust\nrequirements:\n  - level: level3\n    match: {staff_group: [\"Medical and Dental\"]}\n")
	write(t, dir, "Thumbs.db", "\x00\x01binary")
	db := "sqlite:prevent.db"
	if r := prevent(t, dir, db, "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d: %s", r.code, r.stderr)
	}
	r := prevent(t, dir, db, "import", "dir", ".")
	if r.code != 0 {
		t.Fatalf("import dir: exit %d: %s", r.code, r.stderr)
	}
	want := "prevent: prevent.db skipped: it is the database prevent is using (keep the database outside the drop folder)\n" +
		"prevent: prevent.yaml skipped: it is the config file prevent is using\n"
	if r.stderr != want {
		t.Errorf("stderr\n got: %q\nwant: %q", r.stderr, want)
	}
	for _, f := range []string{"prevent.db", "prevent.yaml", "Thumbs.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s was moved: %v", f, err)
		}
	}
	for _, sub := range []string{"processed", "failed"} {
		moved, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		for _, m := range moved {
			if filepath.Base(m) != "esr_staff_2026-09-30.csv" {
				t.Errorf("%s moved to %s", filepath.Base(m), sub)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "processed", "esr_staff_2026-09-30.csv")); err != nil {
		t.Errorf("the extract was not processed: %v", err)
	}
	s := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv")
	if s.code != 0 || strings.Count(s.stdout, "\n") != 3 || !strings.Contains(s.stdout, "level3") {
		t.Errorf("status after the import, under the folder's config: exit %d, %q, %s", s.code, s.stdout, s.stderr)
	}
}

// An extract and its correction for the same date dropped together: the
// one saved last stands, whatever their names (here the correction's name
// sorts first), and the note says which replaced which.
func TestImportDirCorrectionSavedLastStands(t *testing.T) {
	for _, correctedLast := range []bool{true, false} {
		dir := t.TempDir()
		drop := filepath.Join(dir, "drop")
		if err := os.Mkdir(drop, 0o700); err != nil {
			t.Fatal(err)
		}
		original := write(t, drop, "ESR Staff Extract 2026-10-31.csv", "Employee Number,Full Name,Organisation,Staff Group\n1,A,Medicine,Estates and Ancillary\n2,B,Medicine,Estates and Ancillary\n")
		corrected := write(t, drop, "ESR Staff Extract 2026-10-31 corrected.csv", "Employee Number,Full Name,Organisation,Staff Group\n1,A,Medicine,Estates and Ancillary\n")
		older, newer := time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
		first, last := original, corrected
		if !correctedLast {
			first, last = corrected, original
		}
		for _, f := range []struct {
			path string
			at   time.Time
		}{{first, older}, {last, newer}} {
			if err := os.Chtimes(f.path, f.at, f.at); err != nil {
				t.Fatal(err)
			}
		}
		db := "sqlite:" + filepath.Join(dir, "prevent.db")
		r := prevent(t, dir, db, "import", "dir", "drop")
		if r.code != 0 {
			t.Fatalf("import dir: exit %d: %s", r.code, r.stderr)
		}
		want := filepath.Base(last) + " replaces the staff snapshot effective 2026-10-31 imported from " + filepath.Base(first)
		if !strings.Contains(r.stderr, want) {
			t.Errorf("saved last %s: stderr %q, want it to say %q", filepath.Base(last), r.stderr, want)
		}
		s := prevent(t, dir, db, "status", "--as-of", "2026-10-31", "--format", "csv")
		rows := 2
		if correctedLast {
			rows = 1
		}
		if got := strings.Count(s.stdout, "\n") - 1; s.code != 0 || got != rows {
			t.Errorf("saved last %s: %d people, want %d (%s)", filepath.Base(last), got, rows, s.stderr)
		}
	}
}

// quality says which staff extracts are no longer held, and why: one
// replaced by a later import for its date, one purged; the one in force
// says nothing more.
func TestQualitySaysWhichExtractsAreGone(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	staff := "Employee Number,Full Name,Organisation,Staff Group\n1,A,Medicine,Estates and Ancillary\n"
	for _, imp := range [][]string{
		{"import", "staff", write(t, dir, "esr_staff_2026-08-31.csv", staff)},
		{"import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", staff+"2,B,Medicine,Estates and Ancillary\n")},
		{"import", "staff", write(t, dir, "esr_staff_2026-09-30 corrected.csv", staff+"3,C,Surgery,Estates and Ancillary\n"), "--effective", "2026-09-30"},
		{"import", "staff", write(t, dir, "esr_staff_2026-10-31.csv", staff+"4,D,Surgery,Estates and Ancillary\n")},
		{"purge", "--before", "2026-09-30"},
	} {
		if r := prevent(t, dir, db, imp...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", imp, r.code, r.stderr)
		}
	}
	r := prevent(t, dir, db, "quality")
	for _, want := range []string{
		"esr_staff_2026-08-31.csv effective 2026-08-31 (purged; not held): 1 rows read",
		"esr_staff_2026-09-30.csv effective 2026-09-30 (replaced by a later import of an extract for that date; not in force): 2 rows read",
		"esr_staff_2026-09-30 corrected.csv effective 2026-09-30: 2 rows read",
		"esr_staff_2026-10-31.csv effective 2026-10-31: 2 rows read",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("quality lacks %q:\n%s", want, r.stdout)
		}
	}
}

// quality lists an email that keys completions and that two people hold
// in the staff extract (a ward mailbox): its completions count for the
// first holder only, and the summary shows that. A report with no such
// email has no such section.
func TestQualityListsSharedEmails(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	staff := write(t, dir, "esr_staff_2026-09-30.csv", "Employee Number,Full Name,Organisation,Staff Group,Email Address\n"+
		"1,A Ward,Medicine,Estates and Ancillary,ward7@nhs.net\n2,B Ward,Medicine,Estates and Ancillary,Ward7@NHS.net\n3,C Own,Medicine,Estates and Ancillary,c.own@nhs.net\n")
	if r := prevent(t, dir, db, "import", "staff", staff); r.code != 0 {
		t.Fatalf("import staff: exit %d: %s", r.code, r.stderr)
	}
	if r := prevent(t, dir, db, "quality"); r.code != 0 || strings.Contains(r.stdout, "more than one person") {
		t.Fatalf("before any completion keyed by email: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	lms := write(t, dir, "lms.csv", "Email,Course Name,Completion Date\nward7@nhs.net,Prevent Awareness,01/03/2026\nc.own@nhs.net,Prevent Awareness,01/03/2026\n")
	if r := prevent(t, dir, db, "import", "completions", lms); r.code != 0 {
		t.Fatalf("import completions: exit %d: %s", r.code, r.stderr)
	}
	r := prevent(t, dir, db, "quality")
	want := "\nEmails keying completions that more than one person holds in a staff extract (each counts for the first holder only): 1\n" +
		"  ward7@nhs.net: held by 1 and 2 in the extract effective 2026-09-30; its 1 completion counts for 1 only\n"
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("exit %d: quality lacks\n%s\n%s%s", r.code, want, r.stdout, r.stderr)
	}
	s := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv")
	for _, line := range strings.Split(s.stdout, "\n")[1:] {
		if strings.HasPrefix(line, "2,") && !strings.Contains(line, ",never,") {
			t.Errorf("the second holder was credited: %s", line)
		}
		if strings.HasPrefix(line, "1,") && !strings.Contains(line, ",compliant,") {
			t.Errorf("the first holder was not credited: %s", line)
		}
	}
}
