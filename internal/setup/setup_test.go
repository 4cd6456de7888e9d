package setup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
)

func TestCourseLevel(t *testing.T) {
	for name, want := range map[string]compliance.Level{
		"Preventing Radicalisation - Basic Prevent Awareness":                     compliance.Basic,
		"NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|": compliance.Basic,
		"Prevent Awareness":                                   compliance.Basic,
		"Prevent Level 1 and 2":                               compliance.Basic,
		"NHS|MAND|Prevent Level 3 - 3 Years|":                 compliance.Level3,
		"Preventing Radicalisation - Level 3":                 compliance.Level3,
		"Prevent WRAP Face to Face Session":                   compliance.FaceToFace,
		"Workshop to Raise Awareness of Prevent":              compliance.FaceToFace,
		"Infection Prevention and Control Level 2":            compliance.LevelNone,
		"NHS|CSTF|Infection Prevention and Control - Level 1": compliance.LevelNone,
		"Falls Prevention":                                    compliance.LevelNone,
		"Pressure Ulcer Prevention":                           compliance.LevelNone,
		"Gift Wrapping for Volunteers":                        compliance.LevelNone,
		"Fire Safety":                                         compliance.LevelNone,
	} {
		if got := courseLevel(name); got != want {
			t.Errorf("courseLevel(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestLooksODS(t *testing.T) {
	for s, want := range map[string]bool{"RXX": true, "RJ1": true, "R1F": true, "123": false, "Rxx": false, "NHS1234": false, "AB": false} {
		if looksODS(s) != want {
			t.Errorf("looksODS(%q) = %v", s, !want)
		}
	}
}

func TestTrustNameFromTitles(t *testing.T) {
	for title, want := range map[string]string{
		"Organisation: Example Health NHS Foundation Trust":                         "Example Health NHS Foundation Trust",
		"Northshire Community NHS Trust - Staff List":                               "Northshire Community NHS Trust",
		"Electronic Staff Record - Business Intelligence":                           "",
		"Report for Tees, Esk and Wear Valleys NHS Foundation Trust":                "Tees, Esk and Wear Valleys NHS Foundation Trust",
		"Royal Example NHS Foundation Trust - Staff in Post (run 01/12/2026 07:02)": "Royal Example NHS Foundation Trust",
	} {
		p := &Proposal{}
		p.noteTitles([]string{title}, "f.csv")
		if p.Organisation != want {
			t.Errorf("%q: organisation %q, want %q", title, p.Organisation, want)
		}
	}
}

func TestTrustNameFromOrganisations(t *testing.T) {
	w := &workforce{orgs: map[string]int{"RXY Example Valley NHS Foundation Trust": 40, "RXY Community Division": 10}}
	if got := w.trustName(); got != "Example Valley NHS Foundation Trust" {
		t.Errorf("trustName() = %q", got)
	}
	w = &workforce{orgs: map[string]int{"RXX Surgery Division": 40}}
	if got := w.trustName(); got != "" {
		t.Errorf("trustName() = %q, want none", got)
	}
	// The top org level names the trust where the organisation does not.
	w = &workforce{orgs: map[string]int{"Ward 7": 30, "Ward 9": 20},
		top: map[string]int{"RNF Northfield NHS Foundation Trust": 50}}
	if got, code := w.trustName(), w.odsCode(); got != "Northfield NHS Foundation Trust" || code != "RNF" {
		t.Errorf("from Org L2: trustName() = %q, odsCode() = %q", got, code)
	}
	// Of names as common as each other, the same one every run.
	w = &workforce{orgs: map[string]int{"Beta NHS Trust": 10, "Alpha NHS Trust": 10}}
	for range 20 {
		if got := w.trustName(); got != "Alpha NHS Trust" {
			t.Fatalf("a tie gave %q", got)
		}
	}
}

// A course an LMS lists that nobody has completed yet (every row of it in
// progress or not started) is still proposed, marked as such.
func TestProposeCoursesNobodyCompleted(t *testing.T) {
	p := proposeFrom(t, t.TempDir(), "lms.csv", "Email,Course Name,Completion Status,Date Completed\r\n"+
		"a@nhs.net,Prevent Level 3,Complete,05/03/2024\r\n"+
		"b@nhs.net,Prevent Face to Face (WRAP),Not yet started,\r\n")
	var b strings.Builder
	p.writeCourses(&b)
	for _, want := range []string{
		"  - level: face_to_face\n    match:\n      - \"Prevent Face to Face (WRAP)\"   # listed, nobody has completed it yet\n",
		"  - level: level3\n    match:\n      - \"Prevent Level 3\"   # 1 completion row\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("courses proposed:\n%s\nwant a part:\n%s", b.String(), want)
		}
	}
}

// init proposes leaving out leavers (Terminate..., Inactive...) by the
// statuses the staff extract holds, and lists the statuses that count.
func TestProposeExcludeLeavers(t *testing.T) {
	dir := t.TempDir()
	p := proposeFrom(t, dir, "esr_2026-09-30.csv", "Employee Number,Assignment Number,Full Name,Organisation,Staff Group,Assignment Status\r\n"+
		"1,1-1,\"A, B\",RXX Ward,Admin and Clerical,Active Assignment\r\n"+
		"2,2-1,\"C, D\",RXX Ward,Admin and Clerical,Terminate Assignment\r\n"+
		"3,3-1,\"E, F\",RXX Ward,Admin and Clerical,Suspend Assignment\r\n"+
		"3,3-2,\"E, F\",RXX Ward,Admin and Clerical,Terminate Process Assignment\r\n")
	var b strings.Builder
	p.writeExclude(&b)
	for _, want := range []string{
		"exclude:\n  assignment_status:\n    - \"Terminate Assignment\"   # 1 person\n    - \"Terminate Process Assignment\"   # 1 person\n",
		"#   \"Active Assignment\"",
		"#   \"Suspend Assignment\"",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("exclude proposed:\n%s\nwant a part:\n%s", b.String(), want)
		}
	}
	conf := filepath.Join(dir, "prevent.yaml")
	if err := os.WriteFile(conf, []byte(p.YAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(conf)
	if err != nil {
		t.Fatalf("the proposal does not load: %v\n%s", err, p.YAML())
	}
	pol := cfg.Policy()
	if pol.Counted(&compliance.Assignment{AssignmentStatus: "Terminate Assignment"}) ||
		!pol.Counted(&compliance.Assignment{AssignmentStatus: "Suspend Assignment"}) {
		t.Error("the proposed config counts leavers, or leaves out the suspended")
	}
}

// proposeFrom writes one file into dir and proposes a config from it.
func proposeFrom(t *testing.T, dir, name, content string) *Proposal {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Propose([]string{path}, importers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
