package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

const exampleFile = "../../prevent.example.yaml"

// write puts a config in a temporary prevent.yaml and returns its path.
func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "prevent.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"threshold is 85%", c.Threshold, 0.85},
		{"refresher is 3 years", c.RefresherYears, 3},
		{"due soon is 90 days", c.DueSoonDays, 90},
		{"no requirement rules: everyone basic", len(c.Requirements), 0},
		{"three course rules", len(c.Courses), 3},
		{"nothing excluded", len(c.Exclude.AssignmentStatus), 0},
		{"no smtp: outbox", c.SMTP == nil, true},
		{"outbox dir", c.OutboxDir, "outbox"},
		{"import dir", c.Schedule.ImportDir, "drop"},
		{"import at 06:00", c.Schedule.Import, "0 6 * * *"},
		{"reminders monthly", c.Schedule.Reminders, "0 7 1 * *"},
		{"return checked daily", c.Schedule.Return, "0 8 * * *"},
		{"keep history forever", c.Retention.Years, 0},
		{"no path", c.Path, ""},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	t.Run("default policy requires basic of everyone", func(t *testing.T) {
		p := c.Policy()
		if lvl, _ := p.Requirement(&compliance.Assignment{StaffGroup: "Nursing and Midwifery Registered"}); lvl != compliance.Basic {
			t.Errorf("got %v", lvl)
		}
		if p.Threshold != 0.85 || p.RefresherYears != 3 || p.DueSoonDays != 90 {
			t.Errorf("policy numbers %+v", p)
		}
	})
	t.Run("each call returns a fresh copy", func(t *testing.T) {
		a := Default()
		a.Courses[0].Match[0] = "changed"
		if Default().Courses[0].Match[0] == "changed" {
			t.Error("Default shares its course list")
		}
	})
}

func TestEmptyFileIsDefaults(t *testing.T) {
	c, err := Load(write(t, "# nothing set yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Threshold != 0.85 || len(c.Courses) != 3 || c.OutboxDir != "outbox" {
		t.Errorf("got %+v", c)
	}
}

func TestExampleFile(t *testing.T) {
	c, err := Load(exampleFile)
	if err != nil {
		t.Fatalf("example does not load: %v", err)
	}
	if c.Organisation != "Example NHS Foundation Trust" || c.ODSCode != "RXX" {
		t.Errorf("provider %q %q", c.Organisation, c.ODSCode)
	}
	if c.SMTP != nil {
		t.Error("the example should write to the outbox, not need a server")
	}
	p := c.Policy()
	tests := []struct {
		name string
		a    compliance.Assignment
		want compliance.Level
	}{
		{"registered nurse needs level 3",
			compliance.Assignment{StaffGroup: "Nursing and Midwifery Registered", JobRole: "Staff Nurse", Organisation: "RXX Surgery Division"}, compliance.Level3},
		{"doctor needs level 3",
			compliance.Assignment{StaffGroup: "Medical and Dental", JobRole: "Consultant", Organisation: "RXX Medicine"}, compliance.Level3},
		{"safeguarding lead needs face to face",
			compliance.Assignment{StaffGroup: "Nursing and Midwifery Registered", JobRole: "Safeguarding Lead", Organisation: "RXX Corporate"}, compliance.FaceToFace},
		{"named nurse for safeguarding needs face to face",
			compliance.Assignment{StaffGroup: "Nursing and Midwifery Registered", JobRole: "Named Nurse - Safeguarding Children", Organisation: "RXX Corporate"}, compliance.FaceToFace},
		{"porter needs basic",
			compliance.Assignment{StaffGroup: "Estates and Ancillary", JobRole: "Porter", Organisation: "RXX Facilities"}, compliance.Basic},
		{"AHP in mental health needs level 3",
			compliance.Assignment{StaffGroup: "Allied Health Professionals", JobRole: "Occupational Therapist", Organisation: "RXX Adult Mental Health Services"}, compliance.Level3},
		{"AHP in urgent care needs level 3",
			compliance.Assignment{StaffGroup: "Allied Health Professionals", JobRole: "Physiotherapist", Organisation: "RXX Urgent Care Centre"}, compliance.Level3},
		{"AHP elsewhere needs basic",
			compliance.Assignment{StaffGroup: "Allied Health Professionals", JobRole: "Physiotherapist", Organisation: "RXX Musculoskeletal Services"}, compliance.Basic},
		{"paramedic in any staff group needs level 3",
			compliance.Assignment{StaffGroup: "Additional Clinical Services", JobRole: "Specialist Paramedic", Organisation: "RXX Emergency Department"}, compliance.Level3},
		{"case and spaces do not matter",
			compliance.Assignment{StaffGroup: "  nursing and   midwifery registered ", Organisation: "x"}, compliance.Level3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := p.Requirement(&tc.a); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("terminated assignments do not count, suspended ones do", func(t *testing.T) {
		if p.Counted(&compliance.Assignment{AssignmentStatus: "Terminate Process Assignment"}) {
			t.Error("terminated assignment counted")
		}
		if !p.Counted(&compliance.Assignment{AssignmentStatus: "Suspend Assignment"}) {
			t.Error("suspended assignment not counted")
		}
		if !p.Counted(&compliance.Assignment{AssignmentStatus: "Active Assignment"}) {
			t.Error("active assignment not counted")
		}
	})
	t.Run("leads are scoped by organisation", func(t *testing.T) {
		leads := c.Reminders.Leads
		if len(leads) != 2 || !leads[0].Covers("RXX Facilities") || leads[1].Covers("RXX Facilities") || !leads[1].Covers("RXX Adult Mental Health Services") {
			t.Errorf("leads %+v", leads)
		}
	})
}

func TestCourses(t *testing.T) {
	example, err := Load(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	policies := map[string]compliance.Policy{"default": Default().Policy(), "example": example.Policy()}
	tests := []struct {
		name   string
		course string
		want   compliance.Level
	}{
		{"Infection Prevention and Control maps to nothing", "Infection Prevention and Control", compliance.LevelNone},
		{"ESR infection prevention level 2 maps to nothing", "NHS|CSTF|Infection Prevention and Control - Level 2 - 1 Year|", compliance.LevelNone},
		{"infection prevention level 3 maps to nothing", "Infection Prevention and Control Level 3", compliance.LevelNone},
		{"safeguarding face to face maps to nothing", "Safeguarding Adults Level 3 - Face to Face", compliance.LevelNone},
		{"fire safety maps to nothing", "NHS|CSTF|Fire Safety - 2 Years|", compliance.LevelNone},
		{"ESR basic Prevent awareness is basic", "NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|", compliance.Basic},
		{"ESR Prevent level 3 is level 3", "NHS|MAND|Prevent Level 3 - 3 Years|", compliance.Level3},
		{"ESR radicalisation level 3 is level 3", "NHS|CSTF|Preventing Radicalisation - Level 3 - 3 Years|", compliance.Level3},
		{"ESR radicalisation levels 1 and 2 is basic", "NHS|CSTF|Preventing Radicalisation - Levels 1 & 2 - 3 Years|", compliance.Basic},
		{"WRAP is face to face", "Prevent WRAP Workshop", compliance.FaceToFace},
		{"Prevent face-to-face is face to face", "Prevent Level 3 Face-to-Face", compliance.FaceToFace},
		{"upper case still matches", "PREVENT AWARENESS E-LEARNING", compliance.Basic},
	}
	for pname, p := range policies {
		for _, tc := range tests {
			t.Run(pname+": "+tc.name, func(t *testing.T) {
				if got := p.CourseLevel(tc.course); got != tc.want {
					t.Errorf("%q: got %v, want %v", tc.course, got, tc.want)
				}
			})
		}
	}
	t.Run("course links reach the policy", func(t *testing.T) {
		if got := example.Policy().Courses[1].Link; got != "https://learning.example.nhs.net/prevent-level-3" {
			t.Errorf("link %q", got)
		}
	})
}

func TestLoadValues(t *testing.T) {
	t.Run("a single value stands for a one-item list", func(t *testing.T) {
		c, err := Load(write(t, "return:\n  recipients: a@example.nhs.net\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Return.Recipients) != 1 || c.Return.Recipients[0] != "a@example.nhs.net" {
			t.Errorf("got %q", c.Return.Recipients)
		}
	})
	t.Run("a key with no value keeps its default", func(t *testing.T) {
		c, err := Load(write(t, "threshold:\nschedule:\n  import:\n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Threshold != 0.85 || c.Schedule.Import != "0 6 * * *" {
			t.Errorf("got %v %q", c.Threshold, c.Schedule.Import)
		}
	})
	t.Run("an empty cron spec turns the job off", func(t *testing.T) {
		c, err := Load(write(t, "schedule:\n  return: \"\"\n  reminders: \"@monthly\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Schedule.Return != "" || c.Schedule.Reminders != "@monthly" || c.Schedule.Import != "0 6 * * *" {
			t.Errorf("got %+v", c.Schedule)
		}
	})
	t.Run("courses given replace the default list", func(t *testing.T) {
		c, err := Load(write(t, "courses:\n  - {level: basic, match: [\"Prevent*\"]}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Courses) != 1 {
			t.Errorf("got %d course rules", len(c.Courses))
		}
	})
	t.Run("smtp defaults to port 587 with starttls", func(t *testing.T) {
		c, err := Load(write(t, "smtp: {host: smtp.example.nhs.net, from: prevent@example.nhs.net, password_env: TEST_PREVENT_PW}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.SMTP.Port != 587 || c.SMTP.TLS != TLSStartTLS {
			t.Errorf("got %+v", c.SMTP)
		}
		t.Setenv("TEST_PREVENT_PW", "s3cret")
		if c.SMTPPassword() != "s3cret" {
			t.Errorf("password %q", c.SMTPPassword())
		}
	})
	t.Run("without from the sender is the mailbox signed in as, else prevent at the server's host", func(t *testing.T) {
		for cfg, want := range map[string]string{
			"smtp: {host: smtp.office365.com, username: prevent.team@nhs.net, password_env: PW}\n": "prevent.team@nhs.net",
			"smtp: {host: relay.trust.nhs.uk, auth: none}\n":                                       "prevent@relay.trust.nhs.uk",
			"smtp: {host: 127.0.0.1, port: 2525, tls: none}\n":                                     "prevent@localhost",
		} {
			c, err := Load(write(t, cfg))
			if err != nil {
				t.Errorf("%s: %v", cfg, err)
			} else if c.MailFrom() != want {
				t.Errorf("%s: from %q, want %q", cfg, c.MailFrom(), want)
			}
		}
	})
	t.Run("implicit tls defaults to port 465", func(t *testing.T) {
		c, err := Load(write(t, "smtp: {host: smtp.example.nhs.net, from: \"Prevent <prevent@example.nhs.net>\", tls: TLS}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.SMTP.Port != 465 || c.SMTP.TLS != TLSImplicit {
			t.Errorf("got %+v", c.SMTP)
		}
	})
	t.Run("a lead without organisation covers everyone", func(t *testing.T) {
		c, err := Load(write(t, "reminders:\n  leads:\n    - email: lead@example.nhs.net\n"))
		if err != nil {
			t.Fatal(err)
		}
		if l := c.Reminders.Leads[0]; l.Organisation != "*" || !l.Covers("Anything") {
			t.Errorf("got %+v", l)
		}
	})
	t.Run("aliases are returned as a copy", func(t *testing.T) {
		c, err := Load(write(t, "columns:\n  employee_number: [\"Person Number\"]\n"))
		if err != nil {
			t.Fatal(err)
		}
		a := c.Aliases()
		a["employee_number"][0] = "changed"
		if c.Columns["employee_number"][0] != "Person Number" {
			t.Error("Aliases shares the config's lists")
		}
	})
	t.Run("the file's path is kept", func(t *testing.T) {
		p := write(t, "ods_code: RXX\n")
		c, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if c.Path != p {
			t.Errorf("path %q", c.Path)
		}
	})
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		line int
		key  string
		msg  string // part of the message
	}{
		{"unknown top-level key",
			"organisation: X\nthresold: 0.9\n", 2, "thresold", "unknown key (did you mean threshold?)"},
		{"unknown nested key",
			"smtp:\n  host: smtp.example.nhs.net\n  hots: x\n", 3, "smtp.hots", "unknown key (did you mean host?)"},
		{"unknown key in a list item",
			"requirements:\n  - level: basic\n    matches: {job_role: [x]}\n", 3, "requirements[0].matches", "unknown key (did you mean match?)"},
		{"key given twice",
			"threshold: 0.8\nthreshold: 0.9\n", 2, "threshold", "given twice (first on line 1)"},
		{"threshold above 1",
			"ods_code: RXX\nthreshold: 1.5\n", 2, "threshold", "1.5 is outside 0-1"},
		{"threshold as a percentage suggests a fraction",
			"threshold: 85\n", 1, "threshold", "85 is outside 0-1 (write 0.85 for 85%)"},
		{"threshold with a percent sign suggests a fraction",
			"threshold: 85%\n", 1, "threshold", `"85%" is not a number (write 0.85 for 85%)`},
		{"threshold zero",
			"threshold: 0\n", 1, "threshold", "0 is outside 0-1"},
		{"refresher years out of range",
			"refresher_years: 0\n", 1, "refresher_years", "0 is outside 1-10"},
		{"an allowed domain written as an address",
			"reminders:\n  allowed_domains: [trust.nhs.uk, \"@nhs.net\"]\n", 2, "reminders.allowed_domains[1]", `"@nhs.net" is not a domain name (write it as trust.nhs.uk, without @)`},
		{"a lead outside the allowed domains",
			"reminders:\n  allowed_domains: [trust.nhs.uk]\n  leads:\n    - email: lead@gmail.example\n", 4, "reminders.leads[0].email", `"lead@gmail.example" is not in reminders.allowed_domains (trust.nhs.uk)`},
		{"due soon days not a number",
			"due_soon_days: ninety\n", 1, "due_soon_days", `"ninety" is not a whole number`},
		{"unknown requirement level",
			"requirements:\n  - level: level3\n    match: {job_role: [a]}\n  - level: level3\n    match: {job_role: [b]}\n  - level: level4\n    match: {job_role: [c]}\n",
			6, "requirements[2].level", `unknown level "level4" (want basic, level3 or face_to_face)`},
		{"missing requirement level",
			"requirements:\n  - match: {job_role: [a]}\n", 2, "requirements[0].level", "no level given"},
		{"unknown rule field",
			"requirements:\n  - level: level3\n    match:\n      grade: [\"Band 5\"]\n", 4, "requirements[0].match.grade", `unknown field "grade" (want staff_group,`},
		{"empty match",
			"requirements:\n  - level: level3\n    match: {}\n", 3, "requirements[0].match", "no fields given"},
		{"empty pattern list",
			"requirements:\n  - level: level3\n    match:\n      job_role: []\n", 4, "requirements[0].match.job_role", "no patterns given"},
		{"bad glob in a requirement",
			"requirements:\n  - level: level3\n    match:\n      job_role:\n        - \"Nurse*\"\n        - \"Nurse[\"\n", 6, "requirements[0].match.job_role[1]", `bad pattern: pattern "Nurse[" has a '[' with no closing ']'`},
		{"match given as a list",
			"requirements:\n  - level: level3\n    match: [\"Nurse*\"]\n", 3, "requirements[0].match", "want keys and lists"},
		{"unknown course level",
			"courses:\n  - {level: level2, match: [\"*Prevent*\"]}\n", 2, "courses[0].level", `unknown level "level2"`},
		{"bad glob in a course",
			"courses:\n  - level: basic\n    match: [\"[Prevent\"]\n", 3, "courses[0].match[0]", "bad pattern"},
		{"empty course pattern",
			"courses:\n  - level: basic\n    match: [\"\"]\n", 3, "courses[0].match[0]", "empty pattern"},
		{"bad course link",
			"courses:\n  - level: basic\n    match: [\"*Prevent Awareness*\"]\n    link: not a url\n", 4, "courses[0].link", "is not a web address"},
		{"bad glob in exclude",
			"exclude:\n  assignment_status: [\"Suspend[\"]\n", 2, "exclude.assignment_status[0]", "bad pattern"},
		{"unknown columns field",
			"columns:\n  employee_number: [\"Person Number\"]\n  employe_name: [\"Full Name\"]\n", 3, "columns.employe_name", `unknown field "employe_name"`},
		{"bad recipient address",
			"return:\n  recipients:\n    - commissioner@example.nhs.net\n    - commissioner\n", 4, "return.recipients[1]", `"commissioner" is not an email address`},
		{"bad lead address",
			"reminders:\n  leads:\n    - email: lead.example.nhs.net\n", 3, "reminders.leads[0].email", "is not an email address"},
		{"bad lead organisation glob",
			"reminders:\n  leads:\n    - email: lead@example.nhs.net\n      organisation: \"[Mental\"\n", 4, "reminders.leads[0].organisation", "bad pattern"},
		{"bad notify address",
			"import:\n  notify: [\"workforce at example.nhs.net\"]\n", 2, "import.notify[0]", "is not an email address"},
		{"bad tls mode",
			"smtp:\n  host: smtp.example.nhs.net\n  from: prevent@example.nhs.net\n  tls: ssl\n", 4, "smtp.tls", `unknown mode "ssl" (want starttls, tls or none)`},
		{"smtp without host",
			"smtp:\n  from: prevent@example.nhs.net\n", 1, "smtp.host", "no mail server given"},
		{"smtp port not a number",
			"smtp: {host: h, from: a@b.c, port: smtp}\n", 1, "smtp.port", `"smtp" is not a whole number`},
		{"bad cron spec",
			"schedule:\n  import_dir: drop\n  import: \"0 6 * *\"\n", 3, "schedule.import", `bad cron spec "0 6 * *"`},
		{"bad cron descriptor",
			"schedule:\n  reminders: \"@fortnightly\"\n", 2, "schedule.reminders", "bad cron spec"},
		{"bad chase cron spec",
			"schedule:\n  chase: \"10 am daily\"\n", 2, "schedule.chase", "bad cron spec"},
		{"collate without a folder",
			"schedule:\n  collate_dir: \"\"\n", 2, "schedule.collate_dir", "no directory given (default returns)"},
		{"negative staff reminder days",
			"reminders:\n  staff_days: [30, -1]\n", 2, "reminders.staff_days[1]", "-1 is outside 0-3650"},
		{"retention shorter than the refresher period",
			"refresher_years: 3\nretention:\n  years: 2\n", 3, "retention.years", "shorter than refresher_years (3)"},
		{"a list where a value belongs",
			"organisation: [a, b]\n", 1, "organisation", "want a single value, not a list"},
		{"a value where a block belongs",
			"return: commissioner@example.nhs.net\n", 1, "return", "want keys (recipients, suppress_below, by)"},
		{"a list at the top",
			"- threshold: 0.85\n", 1, "", "want keys (organisation, ods_code,"},
		{"bad ODS code",
			"ods_code: \"R X X\"\n", 1, "ods_code", "is not an ODS code"},
		{"YAML syntax error",
			"organisation: X\nthreshold: [0.85\nods_code: RXX\n", 2, "", "not valid YAML: did not find expected ',' or ']'"},
		{"YAML item where a key belongs",
			"organisation: X\nods_code: RXX\n- threshold: 0.85\n", 3, "", "not valid YAML: did not find expected key"},
		{"YAML tab indentation",
			"smtp:\n\thost: x\n", 2, "", "not valid YAML"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.yaml)
			_, err := Load(p)
			t.Log(err)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want a *config.Error", err, err)
			}
			if ce.File != p {
				t.Errorf("file %q, want %q", ce.File, p)
			}
			if ce.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", ce.Line, tc.line, err)
			}
			if ce.Key != tc.key {
				t.Errorf("key %q, want %q (%v)", ce.Key, tc.key, err)
			}
			if !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("message %q, want it to contain %q", ce.Msg, tc.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message is more than one line: %q", err)
			}
		})
	}
}

func TestErrorSentence(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"names file, line and key",
			"organisation: X\nrequirements:\n  - level: level4\n    match: {job_role: [x]}\n",
			`prevent.yaml line 3: requirements[0].level: unknown level "level4" (want basic, level3 or face_to_face)`},
		{"threshold outside 0-1",
			"# provider\n\n\n\n\n\n\n\nthreshold: 1.5\n",
			`prevent.yaml line 9: threshold: 1.5 is outside 0-1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "prevent.yaml"), []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			_, err := Load("prevent.yaml")
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
	t.Run("a config built in code names the key", func(t *testing.T) {
		c := Default()
		c.Threshold = 90
		if got, want := c.Validate().Error(), "config: threshold: 90 is outside 0-1 (write 0.9 for 90%)"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("a missing file names the file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "nope.yaml: cannot read the config file: no such file or directory") {
			t.Errorf("got %v", err)
		}
	})
}

func TestResolve(t *testing.T) {
	t.Run("flag path is loaded", func(t *testing.T) {
		t.Chdir(t.TempDir())
		p := write(t, "ods_code: RAA\n")
		c, err := Resolve(p)
		if err != nil || c.ODSCode != "RAA" || c.Path != p {
			t.Fatalf("got %+v, %v", c, err)
		}
	})
	t.Run("flag path wins over prevent.yaml in the working dir", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		if err := os.WriteFile("prevent.yaml", []byte("ods_code: RBB\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Resolve(write(t, "ods_code: RAA\n"))
		if err != nil || c.ODSCode != "RAA" {
			t.Fatalf("got %+v, %v", c, err)
		}
	})
	t.Run("prevent.yaml in the working dir is used when no flag", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if err := os.WriteFile("prevent.yaml", []byte("ods_code: RBB\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Resolve("")
		if err != nil || c.ODSCode != "RBB" || c.Path != "prevent.yaml" {
			t.Fatalf("got %+v, %v", c, err)
		}
	})
	t.Run("a bad prevent.yaml in the working dir is an error, not ignored", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if err := os.WriteFile("prevent.yaml", []byte("threshold: 2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Resolve(""); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("built-in defaults when there is no file", func(t *testing.T) {
		t.Chdir(t.TempDir())
		c, err := Resolve("")
		if err != nil || c.Path != "" || c.Threshold != 0.85 {
			t.Fatalf("got %+v, %v", c, err)
		}
	})
	t.Run("a missing flag file is an error", func(t *testing.T) {
		t.Chdir(t.TempDir())
		var ce *Error
		if _, err := Resolve("missing.yaml"); !errors.As(err, &ce) {
			t.Fatalf("got %v", err)
		}
	})
}

// FuzzParse checks that no file, however broken, panics or fails with
// anything but a *config.Error.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(exampleFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("threshold: [0.85\n"))
	f.Add([]byte("requirements:\n  - level: level3\n    match: {job_role: [\"Nurse[\"]}\n"))
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse("prevent.yaml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %T: %v", err, err)
			}
			return
		}
		_ = c.Policy()
	})
}

func TestWeb(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("no web block: no authentication", func(t *testing.T) {
		c, err := Load(write(t, "organisation: X\n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Web.AuthConfigured() {
			t.Error("AuthConfigured with no users or proxy header")
		}
	})
	t.Run("users with bcrypt hashes", func(t *testing.T) {
		c, err := Load(write(t, "web:\n  users:\n    - name: prevent.lead\n      password_hash: \""+string(hash)+"\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Web.Users) != 1 || c.Web.Users[0].Name != "prevent.lead" || !c.Web.AuthConfigured() {
			t.Errorf("got %+v", c.Web)
		}
	})
	t.Run("htpasswd's $2y$ hashes are read", func(t *testing.T) {
		y := "$2y$" + strings.TrimPrefix(string(hash), "$2a$")
		c, err := Load(write(t, "web:\n  users:\n    - {name: a, password_hash: \""+y+"\"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if bcrypt.CompareHashAndPassword([]byte(c.Web.Users[0].PasswordHash), []byte("correct horse")) != nil {
			t.Error("the $2y$ hash does not verify")
		}
	})
	t.Run("trusted proxies: loopback unless given", func(t *testing.T) {
		c, err := Load(write(t, "web:\n  proxy_header: X-Forwarded-User\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(c.Web.Proxies()); got != "[127.0.0.0/8 ::1/128]" {
			t.Errorf("default proxies %s, want loopback", got)
		}
		c, err = Load(write(t, "web:\n  proxy_header: X-Forwarded-User\n  trusted_proxies: [\"10.20.0.5\", \"10.30.0.0/16\", \"::ffff:10.9.9.9\"]\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(c.Web.Proxies()); got != "[10.20.0.5/32 10.30.0.0/16 10.9.9.9/32]" {
			t.Errorf("proxies %s", got)
		}
	})
	t.Run("a proxy header", func(t *testing.T) {
		c, err := Load(write(t, "web:\n  proxy_header: X-Forwarded-User\n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Web.ProxyHeader != "X-Forwarded-User" || !c.Web.AuthConfigured() {
			t.Errorf("got %+v", c.Web)
		}
	})

	tests := []struct {
		name string
		yaml string
		line int
		key  string
		msg  string
	}{
		{"a password where its hash belongs",
			"web:\n  users:\n    - name: a\n      password_hash: hunter2\n", 4, "web.users[0].password_hash", "not a bcrypt hash"},
		{"a cut-off hash",
			"web:\n  users:\n    - name: a\n      password_hash: \"" + string(hash[:40]) + "\"\n", 4, "web.users[0].password_hash", "not a whole bcrypt hash"},
		{"a missing hash",
			"web:\n  users:\n    - name: a\n", 3, "web.users[0].password_hash", "no password hash given"},
		{"a cheap hash",
			"web:\n  users:\n    - name: a\n      password_hash: \"$2a$04$" + string(hash[7:]) + "\"\n", 4, "web.users[0].password_hash", "bcrypt cost 4 is too low"},
		{"a user without a name",
			"web:\n  users:\n    - password_hash: \"" + string(hash) + "\"\n", 3, "web.users[0].name", "no name given"},
		{"a user given twice",
			"web:\n  users:\n    - {name: Lead, password_hash: \"" + string(hash) + "\"}\n    - {name: lead, password_hash: \"" + string(hash) + "\"}\n",
			4, "web.users[1].name", `"lead" is given twice (first as web.users[0])`},
		{"a bad header name",
			"web:\n  proxy_header: \"X Forwarded User\"\n", 2, "web.proxy_header", "is not a header name"},
		{"users and a proxy header",
			"web:\n  users:\n    - {name: a, password_hash: \"" + string(hash) + "\"}\n  proxy_header: X-Forwarded-User\n", 4, "web.proxy_header", "not both"},
		{"an unknown key",
			"web:\n  user: []\n", 2, "web.user", "unknown key (did you mean users?)"},
		{"a trusted proxy that is no address",
			"web:\n  proxy_header: X-Forwarded-User\n  trusted_proxies: [10.0.0.5, sso.trust.nhs.uk]\n", 3, "web.trusted_proxies[1]", `"sso.trust.nhs.uk" is not an IP address or CIDR range`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.yaml)
			_, err := Load(p)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want a *config.Error", err, err)
			}
			if ce.Line != tc.line || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("got %v; want line %d, key %s, message containing %q", err, tc.line, tc.key, tc.msg)
			}
			if strings.Contains(err.Error(), string(hash[7:])) {
				t.Errorf("the message repeats the hash: %v", err)
			}
		})
	}
}
