package web

import (
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/ingest"
)

// The imports page lists an email keying completions that two people hold
// in a staff extract, and says whom its completions count for; with no
// such email it has no such section.
func TestImportsPageListsSharedEmails(t *testing.T) {
	s, srv, c := emptyServer(t)
	dir := t.TempDir()
	opt := ingest.Options{Today: compliance.Date(2026, 11, 1)}
	imp := func(kind, name, body string) { importText(t, s, opt, dir, kind, name, body) }
	imp("staff", "esr_staff_2026-10-31.csv", "Employee Number,Staff Group,Email Address\n"+
		"100,Medical and Dental,ward7@nhs.net\n200,Medical and Dental,ward7@nhs.net\n300,Medical and Dental,own@nhs.net\n")
	imp("completions", "lms.csv", "Email,Course Name,Completion Date\nown@nhs.net,Prevent Awareness,02/11/2023\n")
	if r := get(t, c, srv.URL+"/imports"); r.status != 200 || strings.Contains(r.body, `id="shared"`) {
		t.Fatalf("with no shared email keying a completion: %d, shared section shown", r.status)
	}
	imp("completions", "lms2.csv", "Email,Course Name,Completion Date\nWard7@nhs.net,Prevent Awareness,02/11/2023\n")
	r := get(t, c, srv.URL+"/imports")
	doc := parse(t, r.body)
	rows := tableRows(t, doc, "shared-table")
	if want := "ward7@nhs.net|100|200|2026-10-31|1"; len(rows) != 1 || strings.Join(rows[0], "|") != want {
		t.Errorf("shared emails table %q, want one row %s", rows, want)
	}
	if !strings.Contains(r.body, "<strong>1</strong> email keys completions but more than one person holds it") {
		t.Errorf("the summary does not count the shared email:\n%s", r.body)
	}
}

// The imports page lists a completions file imported before a course rule
// counted one of its courses (here the dashboard's config counts "Prevent
// Level 1 eLearning", which the import's rules did not), whose rows were
// counted, not stored.
func TestImportsPageListsUnstoredCourses(t *testing.T) {
	s, srv, c := emptyServer(t)
	dir := t.TempDir()
	set, err := glob.CompileSet([]string{"*Prevent Awareness*"})
	if err != nil {
		t.Fatal(err)
	}
	pol := compliance.DefaultPolicy()
	pol.Courses = []compliance.CourseRule{{Level: compliance.Basic, Match: set}}
	opt := ingest.Options{Today: compliance.Date(2026, 11, 1), Policy: &pol}
	importText(t, s, opt, dir, "staff", "esr_staff_2026-10-31.csv", "Employee Number,Staff Group\n100,Medical and Dental\n")
	importText(t, s, opt, dir, "completions", "lms.csv",
		"Employee Number,Course Name,Completion Date\n100,Prevent Level 1 eLearning,02/11/2023\n100,Prevent Awareness,02/11/2023\n")
	rows := tableRows(t, parse(t, get(t, c, srv.URL+"/imports").body), "unstored-table")
	if want := "lms.csv|Prevent Level 1 eLearning|1"; len(rows) != 1 || len(rows[0]) != 4 ||
		strings.Join([]string{rows[0][0], rows[0][2], rows[0][3]}, "|") != want {
		t.Errorf("unstored table %q, want one row %s", rows, want)
	}
}
