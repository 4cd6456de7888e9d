package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// The exports of a new trust, laid out as Totara, Moodle and ESR write
// them, import with no columns: block and give every person the status an
// independent reading of the contract gives.
const realExportsConfig = `organisation: New Trust
ods_code: RN9
requirements:
  - level: level3
    match: {staff_group: ["Nursing and Midwifery Registered", "Allied Health Professionals"]}
courses:
  - {level: face_to_face, match: ["*WRAP*"]}
  - {level: level3, match: ["*Prevent*Level 3*"]}
  - {level: basic, match: ["*Basic Prevent Awareness*"]}
`

// realExportsStatuses is every person's status on 2026-10-31 once all the
// exports are imported, read from the contract independently of the code.
var realExportsStatuses = []string{
	"30000001|basic|compliant|2024-03-05",  // Totara "5 Mar 2024"
	"30000002|basic|never|null",            // In progress, even with a date; certification in progress
	"30000003|level3|compliant|2025-06-10", // Totara certification, an Excel date cell
	"30000004|basic|expired|2023-01-10",    // Status Expired: judged by its date
	"30000005|basic|compliant|2024-03-14",  // Moodle "Thursday, 14 March 2024, 10:30 AM"
	"30000006|basic|never|null",            // Completed = No, with a time or without
	"30000007|basic|due_soon|2023-12-15",   // ESR Meets Requirement Yes, summary sheet first
	"30000008|basic|never|null",            // Meets Requirement No, blank date
	"30000009|level3|compliant|2025-09-02", // Moodle "2/9/25, 14:05", course from --course
	"30000010|basic|never|null",            // Infection Prevention and Control is not Prevent
}

// realExport copies a fixture of testdata/importers into dir.
func realExport(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "importers", name))
	if err != nil {
		t.Fatal(err)
	}
	return write(t, dir, name, string(b))
}

func TestRealSystemExports(t *testing.T) {
	storetest.ForEachDSN(t, func(t *testing.T, db string) {
		dir := t.TempDir()
		write(t, dir, "prevent.yaml", realExportsConfig)
		if r := prevent(t, dir, db, "import", "staff", realExport(t, dir, "newtrust_esr_staff_2026-10-31.csv")); r.code != 0 {
			t.Fatalf("staff: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, tc := range []struct {
			file, line string // line: what the summary line must say
			args       []string
		}{
			{"totara_record_of_learning.csv", "5 rows read, 1 new, 0 already held, 0 rejected, 3 not completed, 1 of other courses", nil},
			{"totara_certifications.xlsx", "4 rows read, 2 new, 0 already held, 0 rejected, 2 not completed", nil},
			{"moodle_custom_report.csv", "4 rows read, 1 new, 0 already held, 0 rejected, 2 not completed, 1 of other courses", nil},
			{"esr_competence_meets.xlsx", "3 rows read, 1 new, 0 already held, 0 rejected, 1 not completed, 1 of other courses", nil},
			{"moodle_one_course.csv", "2 rows read, 1 new, 0 already held, 0 rejected, 1 not completed",
				[]string{"--course", "Preventing Radicalisation - Prevent Level 3"}},
		} {
			t.Run(tc.file+" imports under --strict", func(t *testing.T) {
				args := append([]string{"import", "completions", "--strict", realExport(t, dir, tc.file)}, tc.args...)
				r := prevent(t, dir, db, args...)
				if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, tc.line) {
					t.Fatalf("exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, tc.line)
				}
			})
		}
		t.Run("every person has the right status", func(t *testing.T) {
			r := prevent(t, dir, db, "status", "--as-of", "2026-10-31", "--format", "json")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var got statusJSON
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatal(err)
			}
			want := realExportsStatuses
			if len(got.People) != len(want) {
				t.Fatalf("%d people:\n%s", len(got.People), r.stdout)
			}
			for i, p := range got.People {
				if line := p.EmployeeNumber + "|" + p.Requirement + "|" + p.Status + "|" + str(p.CompletedOn); line != want[i] {
					t.Errorf("got  %s\nwant %s", line, want[i])
				}
			}
		})
		t.Run("quality counts the not-completed rows apart from rejected ones", func(t *testing.T) {
			r := prevent(t, dir, db, "quality")
			if r.code != 0 || !strings.Contains(r.stdout, "Rejected rows: 0\n") ||
				!strings.Contains(r.stdout, "not completed yet (blank date, in progress, not started; skipped, not errors): 9\n") {
				t.Fatalf("exit %d\n%s", r.code, r.stdout)
			}
		})
		t.Run("a Yes/No Completed as the only completed column is refused", func(t *testing.T) {
			r := prevent(t, dir, db, "import", "completions", realExport(t, dir, "moodle_flag_only.csv"))
			if r.code != 1 || !strings.Contains(r.stderr, `moodle_flag_only.csv has no completion date column: its "Completed" column`) {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
		})
		t.Run("content imported as completions is not a staff extract", func(t *testing.T) {
			r := prevent(t, dir, db, "import", "staff", filepath.Join(dir, "totara_record_of_learning.csv"))
			if r.code != 1 || !strings.Contains(r.stderr, "totara_record_of_learning.csv: already imported as completions on ") ||
				!strings.Contains(r.stderr, "; not a staff extract") {
				t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
		})
		t.Run("import dir moves content of another kind to failed", func(t *testing.T) {
			// A one-course report that carries staff columns: imported as
			// completions with --course, it then reads as a staff extract.
			report := "Employee Number,Staff Group,Job Role,Completion Date\n30000004,Administrative and Clerical,Receptionist,01/10/2026\n"
			first := write(t, dir, "one_course_with_roles.csv", report)
			if r := prevent(t, dir, db, "import", "completions", "--course", "Preventing Radicalisation - Basic Prevent Awareness", first); r.code != 0 {
				t.Fatalf("first import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			drop := filepath.Join(dir, "drop")
			if err := os.Mkdir(drop, 0o700); err != nil {
				t.Fatal(err)
			}
			write(t, drop, "one_course_with_roles.csv", report)
			r := prevent(t, dir, db, "import", "dir", drop)
			if r.code != 1 || !strings.Contains(r.stderr, "one_course_with_roles.csv: already imported as completions on ") ||
				!strings.Contains(r.stderr, "; not a staff extract") {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(drop, "failed", "one_course_with_roles.csv")); err != nil {
				t.Errorf("not moved to failed/: %v", err)
			}
		})
	})
}

func TestRealSystemExportsFromADropFolder(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", realExportsConfig)
	drop := filepath.Join(dir, "drop")
	if err := os.Mkdir(drop, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"newtrust_esr_staff_2026-10-31.csv", "totara_record_of_learning.csv", "totara_certifications.xlsx",
		"moodle_custom_report.csv", "esr_competence_meets.xlsx", "moodle_flag_only.csv"} {
		realExport(t, drop, f)
	}
	r := prevent(t, dir, db, "import", "dir", "drop")
	if r.code != 1 || !strings.Contains(r.stderr, "1 of 6 files in drop not imported") || !strings.Contains(r.stderr, "moodle_flag_only.csv has no completion date column") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The one-course report needs its course: imported by hand.
	if r := prevent(t, dir, db, "import", "completions", "--course", "Preventing Radicalisation - Prevent Level 3",
		realExport(t, dir, "moodle_one_course.csv")); r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = prevent(t, dir, db, "status", "--as-of", "2026-10-31", "--format", "json")
	var got statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got.People) != len(realExportsStatuses) {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	for i, p := range got.People {
		if line := p.EmployeeNumber + "|" + p.Requirement + "|" + p.Status + "|" + str(p.CompletedOn); line != realExportsStatuses[i] {
			t.Errorf("got  %s\nwant %s", line, realExportsStatuses[i])
		}
	}
}
