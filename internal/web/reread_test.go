package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/ingest"
)

// A completions file imported again because a course rule now maps a
// course its first import only counted is shown as that file read again,
// not as another extract.
func TestImportsPageShowsAFileReadAgain(t *testing.T) {
	s, srv, c := emptyServer(t)
	ctx := context.Background()

	p := filepath.Join(t.TempDir(), "lms.csv")
	csv := "Employee Number,Course Name,Completion Date\n" +
		"100,Prevent Awareness,02/11/2023\n" +
		"200,Prevent Duty eLearning,15/01/2024\n"
	if err := os.WriteFile(p, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	// With no staff held every completion names nobody and is stored
	// whatever its course: hold one that names both people.
	staff := filepath.Join(t.TempDir(), "esr_staff_2026-10-31.csv")
	if err := os.WriteFile(staff, []byte("Employee Number,Staff Group\n100,Medical and Dental\n200,Medical and Dental\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opt := ingest.Options{Today: compliance.Date(2026, 11, 1)}
	if _, err := ingest.Staff(ctx, s, staff, opt); err != nil {
		t.Fatal(err)
	}
	for _, courses := range [][]string{{"*Prevent Awareness*"}, {"*Prevent Awareness*", "*Prevent Duty*"}} {
		set, err := glob.CompileSet(courses)
		if err != nil {
			t.Fatal(err)
		}
		pol := compliance.DefaultPolicy()
		pol.Courses = []compliance.CourseRule{{Level: compliance.Basic, Match: set}}
		opt.Policy = &pol
		if _, err := ingest.Completions(ctx, s, p, opt); err != nil {
			t.Fatal(err)
		}
	}
	r := get(t, c, srv.URL+"/imports")
	for _, want := range []string{
		"<strong>3</strong> imports (1 of them a completions file read again for newly mapped courses)",
		`lms.csv<br><span class="hint">read again for newly mapped courses (first imported `,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("imports page lacks %q", want)
		}
	}
}

// A staff extract replaced by a later import for its date is marked on the
// imports page as not in force; the one in force is not.
func TestImportsPageMarksAReplacedExtract(t *testing.T) {
	s, srv, c := emptyServer(t)
	ctx := context.Background()
	dir := t.TempDir()
	opt := ingest.Options{Today: compliance.Date(2026, 11, 1)}
	for _, f := range []struct{ name, body string }{
		{"esr_staff_2026-10-31.csv", "Employee Number,Staff Group\n100,Medical and Dental\n200,Medical and Dental\n"},
		{"esr_staff_2026-10-31 corrected.csv", "Employee Number,Staff Group\n100,Medical and Dental\n"},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.Staff(ctx, s, p, opt); err != nil {
			t.Fatal(err)
		}
	}
	r := get(t, c, srv.URL+"/imports")
	if n := strings.Count(r.body, "replaced by a later import of an extract for that date; not in force"); n != 1 {
		t.Errorf("imports page marks %d extracts replaced, want 1", n)
	}
}
