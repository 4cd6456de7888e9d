package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// binary is the prevent binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "prevent-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "prevent")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building prevent: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type run struct {
	code           int
	stdout, stderr string
}

// prevent runs the binary in dir with the given database.
func prevent(t *testing.T, dir, db string, args ...string) run {
	t.Helper()
	return preventEnv(t, dir, db, nil, args...)
}

// preventEnv is prevent with extra environment variables (NAME=value).
func preventEnv(t *testing.T, dir, db string, env []string, args ...string) run {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--db", db}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB="), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := run{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("prevent %v printed a stack trace:\n%s", args, r.stderr)
	}
	return r
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const e2eConfig = `organisation: Test NHS Trust
ods_code: RT1
requirements:
  - level: face_to_face
    match: {job_role: ["Safeguarding*", "Prevent Lead"]}
  - level: level3
    match: {staff_group: ["Medical and Dental", "Nursing and Midwifery Registered"]}
courses:
  - {level: face_to_face, match: ["*WRAP*"]}
  - {level: level3, match: ["*Prevent*Level 3*"]}
  - {level: basic, match: ["*Prevent Awareness*"]}
exclude:
  assignment_status: ["Terminate*"]
return:
  recipients: ["commissioner@icb.nhs.net", "second@icb.nhs.net"]
outbox_dir: outbox
`

// The staff extract: BOM, semicolons, CRLF, a title row, two assignments for
// one person (bank first), a leaver whose only assignment is terminated.
const e2eStaff = "\ufeffStaff List - All Assignments;;;;;;;;\r\n" +
	"Employee Number;Assignment Number;Full Name;Organisation;Staff Group;Job Role;Assignment Status;Primary;Email\r\n" +
	"10000001;10000001-2;Alice Bank;RT1 Bank Office;Additional Clinical Services;Healthcare Assistant;Active Assignment;No;alice@trust.nhs.uk\r\n" +
	"10000001;10000001-1;Alice Nurse;RT1 Acute;Nursing and Midwifery Registered;Staff Nurse;Active Assignment;Yes;alice@trust.nhs.uk\r\n" +
	"10000002;10000002-1;\"Porter, Bob\";RT1 Estates;Estates and Ancillary;Porter;Active Assignment;Yes;bob@trust.nhs.uk\r\n" +
	"10000003;10000003-1;Cara Lead;RT1 Corporate;Administrative and Clerical;Prevent Lead;Active Assignment;Yes;cara@trust.nhs.uk\r\n" +
	"10000004;10000004-1;Dan Doctor;RT1 Acute;Medical and Dental;Consultant;Active Assignment;Yes;dan@trust.nhs.uk\r\n" +
	"10000005;10000005-1;Eve Leaver;RT1 Acute;Nursing and Midwifery Registered;Staff Nurse;Terminate Assignment;Yes;eve@trust.nhs.uk\r\n" +
	";;;;;;;;\r\n"

// The LMS export: keyed by email for most rows, dd/mm/yyyy dates, other
// mandatory courses, a duplicate row, a bad date, someone unknown.
const e2eCompletions = "Email,Employee Number,Course Name,Completion Date\n" +
	"ALICE@trust.nhs.uk,,Preventing Radicalisation - Prevent Level 3,02/11/2023\n" +
	"alice@trust.nhs.uk,,Fire Safety,01/09/2026\n" +
	",10000002,Preventing Radicalisation - Basic Prevent Awareness,15/01/2023\n" +
	",10000002,Preventing Radicalisation - Basic Prevent Awareness,15/01/2023\n" +
	"cara@trust.nhs.uk,10000003,Preventing Radicalisation - Prevent Level 3,01/01/2025\n" +
	",10000004,Prevent WRAP Face to Face,29/02/2024\n" +
	",10000004,Preventing Radicalisation - Basic Prevent Awareness,31/02/2026\n" +
	"nobody@elsewhere.nhs.uk,,Preventing Radicalisation - Basic Prevent Awareness,01/03/2026\n"

type statusJSON struct {
	AsOf   string `json:"as_of"`
	People []struct {
		EmployeeNumber string  `json:"employee_number"`
		Name           string  `json:"name"`
		Organisation   string  `json:"organisation"`
		Requirement    string  `json:"requirement"`
		Status         string  `json:"status"`
		CompletedOn    *string `json:"completed_on"`
		DueDate        *string `json:"due_date"`
	} `json:"people"`
}

func str(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

func TestEndToEnd(t *testing.T) {
	dbs := map[string]func(t *testing.T, dir string) string{
		"sqlite":   func(t *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "prevent.db") },
		"postgres": func(t *testing.T, dir string) string { return storetest.PostgresDSN(t) },
	}
	for name, dsn := range dbs {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := dsn(t, dir)
			write(t, dir, "prevent.yaml", e2eConfig)
			staff := write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)
			lms := write(t, dir, "lms.csv", e2eCompletions)

			t.Run("no snapshot yet is an error naming the date", func(t *testing.T) {
				r := prevent(t, dir, db, "summary", "--as-of", "2026-09-30")
				if r.code != 1 || !strings.Contains(r.stderr, "2026-09-30") {
					t.Errorf("exit %d, stderr %q", r.code, r.stderr)
				}
			})
			t.Run("staff import takes the effective date from the file name", func(t *testing.T) {
				r := prevent(t, dir, db, "import", "staff", staff)
				if r.code != 0 || !strings.Contains(r.stdout, "effective 2026-09-30") || !strings.Contains(r.stdout, "6 assignments imported") {
					t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
				}
			})
			t.Run("completions import reports the bad row and keeps the rest", func(t *testing.T) {
				r := prevent(t, dir, db, "import", "completions", lms)
				if r.code != 0 {
					t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
				}
				if !strings.Contains(r.stderr, "row 8") || !strings.Contains(r.stderr, `"Completion Date"`) {
					t.Errorf("bad date not reported with row and column: %q", r.stderr)
				}
				if !strings.Contains(r.stdout, "1 already held") {
					t.Errorf("duplicate row not counted once: %q", r.stdout)
				}
			})
			t.Run("the same file again is a no-op", func(t *testing.T) {
				r := prevent(t, dir, db, "import", "completions", lms)
				if r.code != 0 || !strings.Contains(r.stdout, "already imported") {
					t.Errorf("exit %d: %q %q", r.code, r.stdout, r.stderr)
				}
			})
			t.Run("status json follows every rule", func(t *testing.T) {
				r := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "json")
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				var got statusJSON
				if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
					t.Fatalf("%v\n%s", err, r.stdout)
				}
				want := []string{
					// email-keyed, level 3 needed via the primary nurse post; due 2026-11-02 is within 90 days
					"10000001|Alice Nurse|RT1 Acute|level3|due_soon|2023-11-02|2026-11-02",
					"10000002|Porter, Bob|RT1 Estates|basic|expired|2023-01-15|2026-01-15",
					// a Prevent lead needs face to face: level 3 does not count
					"10000003|Cara Lead|RT1 Corporate|face_to_face|never|null|null",
					// 29 February falls due on 28 February
					"10000004|Dan Doctor|RT1 Acute|level3|compliant|2024-02-29|2027-02-28",
				}
				if got.AsOf != "2026-09-30" || len(got.People) != len(want) {
					t.Fatalf("as_of %s, %d people:\n%s", got.AsOf, len(got.People), r.stdout)
				}
				for i, p := range got.People {
					line := strings.Join([]string{p.EmployeeNumber, p.Name, p.Organisation, p.Requirement, p.Status, str(p.CompletedOn), str(p.DueDate)}, "|")
					if line != want[i] {
						t.Errorf("person %d:\n got %s\nwant %s", i, line, want[i])
					}
				}
			})
			t.Run("summary csv counts people against the threshold", func(t *testing.T) {
				r := prevent(t, dir, db, "summary", "--as-of", "2026-09-30", "--format", "csv")
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				total := recs[len(recs)-1]
				// headcount 4; basic 0/1; level3 2/2; face_to_face 0/1; all 2/4
				want := "2026-09-30,TOTAL,4,1,0,0.0,2,2,100.0,1,0,0.0,2,50.0,no"
				if got := strings.Join(total, ","); got != want {
					t.Errorf("TOTAL row\n got %s\nwant %s", got, want)
				}
			})
			t.Run("a later date moves statuses on", func(t *testing.T) {
				r := prevent(t, dir, db, "status", "--as-of", "2026-11-03", "--status", "expired", "--format", "csv")
				if r.code != 0 || !strings.Contains(r.stdout, "10000001") || strings.Contains(r.stdout, "10000004") {
					t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
				}
			})
			t.Run("quality lists the unmatched completion and the bad row", func(t *testing.T) {
				r := prevent(t, dir, db, "quality")
				if r.code != 0 || !strings.Contains(r.stdout, "nobody@elsewhere.nhs.uk") || !strings.Contains(r.stdout, "row 8") {
					t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
				}
			})
			t.Run("strict rejects the whole file and changes nothing", func(t *testing.T) {
				bad := write(t, dir, "bad.csv", "Employee Number,Course Name,Completion Date\n10000003,Prevent WRAP Face to Face,01/06/2026\n10000003,Prevent WRAP,not a date\n")
				r := prevent(t, dir, db, "import", "completions", "--strict", bad)
				if r.code != 1 || !strings.Contains(r.stderr, "bad.csv") {
					t.Errorf("exit %d: %s", r.code, r.stderr)
				}
				if n := strings.Count(r.stderr, "bad.csv row 3"); n != 1 {
					t.Errorf("the bad row is named %d times, want once:\n%s", n, r.stderr)
				}
				r = prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv", "--status", "never")
				if !strings.Contains(r.stdout, "10000003") {
					t.Errorf("the rejected file's good row was imported:\n%s", r.stdout)
				}
			})
			t.Run("the return csv has the contract's columns and canonical quarter", func(t *testing.T) {
				r := prevent(t, dir, db, "return", "--quarter", "2026/27 Q2", "--format", "csv")
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				want := "quarter,provider_code,provider,organisation,headcount,basic_required,basic_compliant,basic_pct,level3_required,level3_compliant,level3_pct,face_to_face_required,face_to_face_compliant,face_to_face_pct,all_compliant,all_pct,meets_threshold\n" +
					"2026-27Q2,RT1,Test NHS Trust,RT1 Acute,2,0,0,,2,2,100.0,0,0,,2,100.0,yes\n" +
					"2026-27Q2,RT1,Test NHS Trust,RT1 Corporate,1,0,0,,0,0,,1,0,0.0,0,0.0,no\n" +
					"2026-27Q2,RT1,Test NHS Trust,RT1 Estates,1,1,0,0.0,0,0,,0,0,,0,0.0,no\n" +
					"2026-27Q2,RT1,Test NHS Trust,TOTAL,4,1,0,0.0,2,2,100.0,1,0,0.0,2,50.0,no\n"
				if got := strings.ReplaceAll(r.stdout, "\r\n", "\n"); got != want {
					t.Errorf("return csv\n got:\n%s\nwant:\n%s", got, want)
				}
			})
			t.Run("sending the return twice delivers once per recipient", func(t *testing.T) {
				outbox := filepath.Join(dir, "outbox")
				os.RemoveAll(outbox)
				for i := 0; i < 2; i++ {
					r := prevent(t, dir, db, "return", "--quarter", "2026-27Q2", "--send")
					if r.code != 0 {
						t.Fatalf("run %d: exit %d: %s", i, r.code, r.stderr)
					}
					if i == 1 && strings.Count(r.stdout, "already sent") != 2 {
						t.Errorf("second run should say already sent twice:\n%s", r.stdout)
					}
				}
				files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
				if len(files) != 2 {
					t.Fatalf("%d emails in the outbox, want 2 (one per recipient)", len(files))
				}
				for _, f := range files {
					b, _ := os.ReadFile(f)
					for _, secret := range []string{"Alice", "Porter", "10000001", "alice@trust"} {
						if strings.Contains(string(b), secret) {
							t.Errorf("%s contains personal data %q", filepath.Base(f), secret)
						}
					}
				}
				r := prevent(t, dir, db, "return", "--quarter", "2026-27Q2", "--resend", "--reason", "corrected extract")
				if r.code != 0 {
					t.Fatalf("resend: exit %d: %s", r.code, r.stderr)
				}
				files, _ = filepath.Glob(filepath.Join(outbox, "*.eml"))
				if len(files) != 4 {
					t.Errorf("%d emails after a resend, want 4", len(files))
				}
				r = prevent(t, dir, db, "deliveries")
				if r.code != 0 || strings.Count(r.stdout, "sent") < 4 || !strings.Contains(r.stdout, "corrected extract") {
					t.Errorf("deliveries:\n%s%s", r.stdout, r.stderr)
				}
			})
			t.Run("a missing column rejects the file with exit 1", func(t *testing.T) {
				bad := write(t, dir, "nodate.csv", "Employee Number,Course Name\n10000003,Prevent WRAP\n")
				r := prevent(t, dir, db, "import", "completions", bad)
				if r.code != 1 || !strings.Contains(r.stderr, "nodate.csv") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
					t.Errorf("exit %d: %q", r.code, r.stderr)
				}
			})
		})
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "p.db")
	tests := []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"bad as-of date", []string{"summary", "--as-of", "30/09/2026"}, 2, "YYYY-MM-DD"},
		{"bad format", []string{"status", "--format", "pdf"}, 2, "format"},
		{"unknown flag", []string{"status", "--nope"}, 2, "nope"},
		{"import without a kind", []string{"import"}, 2, "staff, completions, exemptions or dir"},
		{"a file that does not exist", []string{"import", "staff", "missing.csv"}, 1, "missing.csv"},
		{"help teaches", []string{"help", "import"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := prevent(t, dir, db, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.say) {
				t.Errorf("exit %d (want %d), stderr %q", r.code, tt.code, r.stderr)
			}
		})
	}
	t.Run("a bad config is exit 2 naming file and line", func(t *testing.T) {
		write(t, dir, "bad.yaml", "organisation: X\nthreshold: 1.5\n")
		r := prevent(t, dir, db, "--config", "bad.yaml", "summary")
		if r.code != 2 || !strings.Contains(r.stderr, "bad.yaml") || !strings.Contains(r.stderr, "line 2") {
			t.Errorf("exit %d: %q", r.code, r.stderr)
		}
	})
}

func TestImportDir(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	drop := filepath.Join(dir, "drop")
	if err := os.Mkdir(drop, 0o700); err != nil {
		t.Fatal(err)
	}
	// Completions first by name: the staff extract must still go first so
	// that email-keyed rows find their people.
	write(t, drop, "a_lms.csv", e2eCompletions)
	write(t, drop, "z_staff_2026-09-30.csv", e2eStaff)
	write(t, drop, "notes.txt", "Please find attached this month's extracts.\n")

	r := prevent(t, dir, db, "import", "dir", "drop")
	if r.code != 1 {
		t.Errorf("a failed file should make the run exit 1, got %d", r.code)
	}
	for _, p := range []string{"processed/a_lms.csv", "processed/z_staff_2026-09-30.csv", "failed/notes.txt", "failed/notes.txt.error.txt"} {
		if _, err := os.Stat(filepath.Join(drop, p)); err != nil {
			t.Errorf("%s: %v\n%s%s", p, err, r.stdout, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(drop); len(entries) != 2 {
		t.Errorf("the drop folder should hold only processed/ and failed/, has %d entries", len(entries))
	}
	st := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv", "--status", "due_soon")
	if !strings.Contains(st.stdout, "10000001") {
		t.Errorf("the email-keyed completion was not matched:\n%s%s", st.stdout, st.stderr)
	}
}

func TestAuditAndPurge(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	write(t, dir, "staff_2026-08-31.csv", e2eStaff)
	write(t, dir, "staff_2026-09-30.csv", strings.Replace(e2eStaff, "Alice Bank", "Alice B", 1))
	write(t, dir, "lms.csv", e2eCompletions+",10000002,Preventing Radicalisation - Basic Prevent Awareness,01/06/2019\n")
	for _, args := range [][]string{
		{"import", "staff", "staff_2026-08-31.csv", "staff_2026-09-30.csv"},
		{"import", "completions", "lms.csv"},
	} {
		if r := prevent(t, dir, db, args...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
	}
	before := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv")

	r := prevent(t, dir, db, "purge", "--before", "2024-01-01")
	if r.code != 0 || !strings.Contains(r.stdout, "0 staff snapshots") || !strings.Contains(r.stdout, "1 completions") {
		t.Fatalf("purge: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Run("the snapshot in force on the cut-off date is kept", func(t *testing.T) {
		r := prevent(t, dir, db, "purge", "--before", "2026-09-15")
		if r.code != 0 || !strings.Contains(r.stdout, "0 staff snapshots") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := prevent(t, dir, db, "summary", "--as-of", "2026-09-15"); r.code != 0 {
			t.Errorf("no workforce on the cut-off date after the purge: %s", r.stderr)
		}
	})
	t.Run("an older snapshot goes", func(t *testing.T) {
		r := prevent(t, dir, db, "purge", "--before", "2026-09-30")
		if r.code != 0 || !strings.Contains(r.stdout, "1 staff snapshots") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := prevent(t, dir, db, "summary", "--as-of", "2026-09-15"); r.code != 1 {
			t.Errorf("the purged snapshot still answers for 2026-09-15")
		}
	})
	t.Run("figures from the cut-off on are unchanged", func(t *testing.T) {
		after := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv")
		if after.stdout != before.stdout {
			t.Errorf("status changed beyond the purged completion:\nbefore\n%s\nafter\n%s", before.stdout, after.stdout)
		}
	})
	t.Run("the audit trail has the imports, the config and the purges", func(t *testing.T) {
		r := prevent(t, dir, db, "audit", "--limit", "0")
		for _, want := range []string{"import", "staff extract staff_2026-08-31.csv", "completions lms.csv", "config", "prevent.yaml", "purge", "before 2024-01-01"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("audit lacks %q:\n%s", want, r.stdout)
			}
		}
		if strings.Count(r.stdout, " config ") != 1 {
			t.Errorf("an unchanged config should be recorded once:\n%s", r.stdout)
		}
		for _, secret := range []string{"Alice", "alice@trust"} {
			if strings.Contains(r.stdout, secret) {
				t.Errorf("the audit trail holds personal data %q", secret)
			}
		}
	})
}

func TestFileSizeLimitFromConfig(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig+"import:\n  max_file_mb: 1\n")
	big := write(t, dir, "big.csv", "Employee Number,Course Name,Completion Date\n"+strings.Repeat("10000001,Prevent Awareness,01/01/2025\n", 40000))
	r := prevent(t, dir, db, "import", "completions", big)
	if r.code != 1 || !strings.Contains(r.stderr, "big.csv is") || !strings.Contains(r.stderr, "over the 1 MB limit") {
		t.Errorf("exit %d: %q", r.code, r.stderr)
	}
	write(t, dir, "bad.yaml", "import:\n  max_file_mb: -1\n")
	if r := prevent(t, dir, db, "--config", "bad.yaml", "quality"); r.code != 2 || !strings.Contains(r.stderr, "line 2") {
		t.Errorf("negative max_file_mb: exit %d: %q", r.code, r.stderr)
	}
}
