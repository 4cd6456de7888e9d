package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyDemo copies the demo trust's extracts into a drop folder.
func copyDemo(t *testing.T, drop string) {
	t.Helper()
	if err := os.MkdirAll(drop, 0o700); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join("..", "..", "testdata", "demo")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		write(t, drop, e.Name(), string(b))
	}
}

func TestInitOnTheDemoTrust(t *testing.T) {
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	copyDemo(t, drop)
	db := "sqlite:" + filepath.Join(dir, "prevent.db")

	r := prevent(t, dir, db, "init", "drop")
	if r.code != 0 {
		t.Fatalf("init: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "prevent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	if _, err := os.Stat(filepath.Join(dir, "prevent.db")); !os.IsNotExist(err) {
		t.Errorf("init touched the database: %v", err)
	}
	t.Run("the ODS code the organisation names begin with", func(t *testing.T) {
		if !strings.Contains(cfg, "\nods_code: RXX ") {
			t.Errorf("no ods_code: RXX in\n%s", cfg)
		}
	})
	t.Run("every staff group found is named, with its people", func(t *testing.T) {
		for _, g := range []string{"Nursing and Midwifery Registered", "Medical and Dental", "Allied Health Professionals",
			"Additional Professional Scientific and Technical", "Healthcare Scientists", "Additional Clinical Services",
			"Administrative and Clerical", "Estates and Ancillary", "Students", "Supplementary Roles"} {
			if !strings.Contains(cfg, `"`+g+`"`) {
				t.Errorf("staff group %q not named", g)
			}
		}
		if !strings.Contains(cfg, "  # Registered professional staff groups: level 3. Catches 778 people.\n  - level: level3\n    match:\n      staff_group:\n") {
			t.Errorf("no level 3 rule by staff group with its people:\n%s", cfg)
		}
	})
	t.Run("safeguarding and Prevent roles are face to face, not their admin posts", func(t *testing.T) {
		if strings.Contains(cfg, `"Safeguarding Administrator"`) {
			t.Errorf("an administrator is face to face:\n%s", cfg)
		}
		for _, want := range []string{"  - level: face_to_face\n    match:\n      job_role:\n", `"Prevent Lead"   # 2 people`, `"Named Nurse Safeguarding Children"   # 6 people`} {
			if !strings.Contains(cfg, want) {
				t.Errorf("lacks %q:\n%s", want, cfg)
			}
		}
	})
	t.Run("Prevent courses are proposed and Infection Prevention left out", func(t *testing.T) {
		courses := cfg[strings.Index(cfg, "\ncourses:\n"):strings.Index(cfg, "# Left out")]
		for _, want := range []string{`"NHS|MAND|Prevent Level 3 - 3 Years|"`, `"Prevent WRAP Face to Face Session"`, `"Preventing Radicalisation - Basic Prevent Awareness"`} {
			if !strings.Contains(courses, want) {
				t.Errorf("course rules lack %s:\n%s", want, courses)
			}
		}
		if strings.Contains(courses, "Infection") {
			t.Errorf("Infection Prevention and Control in a course rule:\n%s", courses)
		}
		if !strings.Contains(cfg, `#   "Infection Prevention and Control Level 1"`) {
			t.Errorf("near miss not listed:\n%s", cfg)
		}
	})
	t.Run("the logs in the folder are named as what they are", func(t *testing.T) {
		for _, want := range []string{"exemptions 2026-12-01.csv: not used: an exemptions list, not read by init",
			"Prevent referral log 2026-11-20.csv: not used: a referral log, not read by init",
			"Partnership meetings 2026-11-20.xlsx: not used: a partnership meetings log, not read by init"} {
			if !strings.Contains(cfg, want) {
				t.Errorf("lacks %q:\n%s", want, cfg)
			}
		}
	})
	t.Run("no columns: block when every column was recognised", func(t *testing.T) {
		if strings.Contains(cfg, "\ncolumns:") {
			t.Errorf("columns: written:\n%s", cfg)
		}
	})
	t.Run("an existing config is never overwritten", func(t *testing.T) {
		r := prevent(t, dir, db, "init", "drop")
		if r.code != 1 || !strings.Contains(r.stderr, "prevent.yaml exists already") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if after, _ := os.ReadFile(filepath.Join(dir, "prevent.yaml")); string(after) != cfg {
			t.Error("prevent.yaml changed")
		}
	})
	t.Run("the config validates and summary runs at once", func(t *testing.T) {
		if r := prevent(t, dir, db, "import", "dir", "drop"); r.code != 0 {
			t.Fatalf("import dir: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		// 1,505 people on the 31 October extract, 23 of them exempt on the day
		// (the demo's exemptions list is in the folder too).
		r := prevent(t, dir, db, "summary", "--as-of", "2026-11-01")
		if r.code != 0 || !strings.Contains(r.stdout, "1482 people") || !strings.Contains(r.stdout, "23 exempt") {
			t.Fatalf("summary: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

func TestInitNamesWhatTheFilesShow(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "staff_2026-10-31.csv", "Staff List\nNorthshire Community Health NHS Trust\n\n"+
		"Employee Number,Organisation,Staff Group,Job Role\n"+
		"1,RNS Community,Nursing and Midwifery Registered,District Nurse\n"+
		"2,RNS Community,Administrative and Clerical,Safeguarding Lead\n"+
		"4,RNS Community,Administrative and Clerical,Safeguarding Administrator\n"+
		"3,RNS Corporate,Administrative and Clerical,Receptionist\n")
	write(t, dir, "lms.csv", "Learner Email,Course,Finished On\na@x,Prevent Awareness,01/02/2024\n")
	r := prevent(t, dir, "sqlite:"+filepath.Join(dir, "p.db"), "init", "staff_2026-10-31.csv", "lms.csv", "--out", "new.yaml")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "new.yaml"))
	cfg := string(b)
	for _, want := range []string{
		`organisation: "Northshire Community Health NHS Trust"`,
		"\nods_code: RNS ",
		"Catches 1 person.",
		"\ncolumns:\n  completed: [\"Finished On\"]",
		"#   lms.csv: not used: no column for the completion date",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("lacks %q:\n%s", want, cfg)
		}
	}
	t.Run("with the alias it proposed, the file imports", func(t *testing.T) {
		r := prevent(t, dir, "sqlite:"+filepath.Join(dir, "p.db"), "--config", "new.yaml", "inspect", "lms.csv")
		if r.code != 0 || !strings.Contains(r.stdout, "your columns: alias") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}
