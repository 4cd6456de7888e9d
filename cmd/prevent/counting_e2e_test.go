package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const countingConfig = `organisation: Test NHS Trust
ods_code: RT1
requirements:
  - level: level3
    match: {staff_group: ["Nursing*"]}
courses:
  - {level: level3, match: ["*Prevent*Level 3*"]}
  - {level: basic, match: ["*Prevent Awareness*"]}
new_starter_days: 30
rag: {red_below: 0.75}
annual_update: {months: 12, levels: [level3], courses: ["*Prevent*Update*"]}
return: {by: org_l4}
reminders:
  leads: [{email: lead@trust.nhs.uk}]
outbox_dir: outbox
`

const countingStaff = "Employee Number,Full Name,Organisation,Org L3,Org L4,Staff Group,Job Role,Assignment Start Date,Primary,Manager Email\n" +
	"1,Ann Nurse,Acute,Medicine,Ward 1,Nursing and Midwifery Registered,Nurse,01/01/2015,Y,boss@trust.nhs.uk\n" +
	"2,Bob New,Acute,Medicine,Ward 2,Administrative and Clerical,Clerk,15/09/2026,Y,boss@trust.nhs.uk\n" +
	"3,Cat Leave,Acute,Medicine,Ward 2,Administrative and Clerical,Clerk,01/01/2010,Y,\n" +
	"4,Dan Never,Community,Community,,Administrative and Clerical,Clerk,,Y,other@trust.nhs.uk\n" +
	"5,Eve Done,Community,Community,District,Administrative and Clerical,Clerk,01/09/2026,Y,other@trust.nhs.uk\n"

const countingCompletions = "Employee Number,Course Name,Completion Date\n" +
	"1,Prevent Level 3,01/10/2024\n" +
	"3,Prevent Awareness,01/01/2025\n" +
	"5,Prevent Awareness,20/09/2026\n"

const countingExemptions = "Employee Number,Reason,From,Until\n" +
	"3,Maternity leave,01/08/2026,\n" +
	"77,Career break,01/01/2026,\n"

func TestCountingAsTheTrustCounts(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", countingConfig)
	drop := filepath.Join(dir, "drop")
	if err := os.MkdirAll(drop, 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, drop, "esr_2026-09-30.csv", countingStaff)
	write(t, drop, "lms.csv", countingCompletions)
	write(t, drop, "leave register.csv", countingExemptions)
	r := prevent(t, dir, db, "import", "dir", drop)
	if r.code != 0 || !strings.Contains(r.stdout, "leave register.csv: exemptions: 2 rows read, 2 new") {
		t.Fatalf("import dir: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Employee 77 is in no staff extract: the import says so at once.
	if !strings.Contains(r.stdout, "\n1 exemption held names an employee number in no staff extract: kept") {
		t.Errorf("import dir does not name the exemption for nobody:\n%s", r.stdout)
	}

	t.Run("status json gives start_date, exempt_reason and update_due", func(t *testing.T) {
		r := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "json")
		var doc struct {
			People []map[string]any `json:"people"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		want := []string{
			"1 compliant 2015-01-01 <nil> true",
			"2 new_starter 2026-09-15 <nil> false",
			"3 exempt 2010-01-01 Maternity leave false",
			"4 never <nil> <nil> false",
			"5 compliant 2026-09-01 <nil> false",
		}
		for i, p := range doc.People {
			got := strings.Join([]string{str2(p["employee_number"]), str2(p["status"]), str2(p["start_date"]), str2(p["exempt_reason"]), str2(p["update_due"])}, " ")
			if i >= len(want) || got != want[i] {
				t.Errorf("person %d: %s", i, got)
			}
		}
		if doc.People[2]["completed_on"] != "2025-01-01" {
			t.Errorf("an exempt person's completion is still given: %v", doc.People[2]["completed_on"])
		}
	})

	t.Run("summary by org_l4 adds up to the organisation totals", func(t *testing.T) {
		total := func(by string) []string {
			r := prevent(t, dir, db, "summary", "--as-of", "2026-09-30", "--format", "csv", "--by", by)
			recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
			if err != nil || r.code != 0 {
				t.Fatalf("exit %d %v\n%s", r.code, err, r.stderr)
			}
			if recs[0][1] != by {
				t.Errorf("key column %q, want %q", recs[0][1], by)
			}
			sum := make([]int, len(recs[0]))
			last := recs[len(recs)-1]
			for _, rec := range recs[1 : len(recs)-1] {
				for j, v := range rec {
					if n, err := strconv.Atoi(v); err == nil {
						sum[j] += n
					}
				}
			}
			for j, h := range recs[0] {
				if strings.HasSuffix(h, "_required") || strings.HasSuffix(h, "_compliant") || h == "headcount" || h == "new_starter" || h == "exempt" {
					if got := last[j]; got != strconv.Itoa(sum[j]) {
						t.Errorf("by %s: %s total %s, groups add to %d", by, h, got, sum[j])
					}
				}
			}
			return last[2:]
		}
		byOrg, byL4 := total("organisation"), total("org_l4")
		if strings.Join(byOrg, ",") != strings.Join(byL4, ",") {
			t.Errorf("totals differ:\n%v\n%v", byOrg, byL4)
		}
		if !strings.HasPrefix(strings.Join(byOrg, ","), "3,2,1,50.0,1,1,100.0,0,0,,2,66.7,no,red,green,,red,0,1,0,1,1,1") {
			t.Errorf("total %v", byOrg)
		}
	})

	t.Run("the return groups by return.by under its usual header", func(t *testing.T) {
		r := prevent(t, dir, db, "return", "--quarter", "2026-27Q2", "--format", "csv")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if r.code != 0 || !strings.HasPrefix(lines[0], "quarter,provider_code,provider,organisation,headcount") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		var orgs []string
		for _, l := range lines[1:] {
			orgs = append(orgs, strings.Split(l, ",")[3])
		}
		if strings.Join(orgs, "|") != "(blank)|District|Ward 1|Ward 2|TOTAL" {
			t.Errorf("rows %v", orgs)
		}
	})

	t.Run("reminders list new starters and never the exempt", func(t *testing.T) {
		r := prevent(t, dir, db, "remind", "--as-of", "2026-09-30")
		if !strings.Contains(r.stdout, "new_starter due 2026-10-15") || strings.Contains(r.stdout, "  3 ") {
			t.Errorf("%s", r.stdout)
		}
	})

	t.Run("exemptions lists them, and quality names the unknown employee", func(t *testing.T) {
		r := prevent(t, dir, db, "exemptions", "--as-of", "2026-07-31")
		if r.code != 0 || strings.Contains(r.stdout, "Maternity") || !strings.Contains(r.stdout, "Career break") {
			t.Errorf("exit %d\n%s", r.code, r.stdout)
		}
		r = prevent(t, dir, db, "quality")
		if !strings.Contains(r.stdout, "Exemptions for employee numbers in no staff extract (kept, in case they appear later): 1") {
			t.Errorf("%s", r.stdout)
		}
	})

	t.Run("the same exemption again replaces it", func(t *testing.T) {
		f := write(t, dir, "fix.csv", "Employee Number,Reason,From,Until\n3,Maternity leave,01/08/2026,29/09/2026\n")
		r := prevent(t, dir, db, "import", "exemptions", f)
		if r.code != 0 || !strings.Contains(r.stdout, "0 new, 1 replacing one held") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "1 exemption held names an employee number in no staff extract") {
			t.Errorf("the exemption for 77 is still for nobody:\n%s", r.stdout)
		}
		r = prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--status", "exempt", "--format", "csv")
		if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 {
			t.Errorf("nobody should be exempt on 30 September now:\n%s", r.stdout)
		}
	})

	t.Run("red_below above the threshold is refused", func(t *testing.T) {
		cfg := write(t, dir, "bad.yaml", "threshold: 0.85\nrag: {red_below: 0.9}\n")
		r := prevent(t, dir, db, "--config", cfg, "summary")
		if r.code != 2 || !strings.Contains(r.stderr, "red_below") {
			t.Errorf("exit %d: %s", r.code, r.stderr)
		}
	})
}

func str2(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return "?"
}

// A start date that is not a date drops the assignment (a row error) only
// when new starters are counted; with new_starter_days off the column is
// read by nothing, so the person is counted as before the start-date
// field existed, with no start date.
func TestUnreadableStartDateOnlyMattersWhenCounted(t *testing.T) {
	staff := "Employee Number,Full Name,Organisation,Staff Group,Assignment Start Date\n" +
		"4,Y,Ward 1,Administrative and Clerical,01/01/2020\n5,Z,Ward 1,Administrative and Clerical,31/02/2020\n"
	for _, tc := range []struct {
		config   string
		code     int
		rejected string
		people   int
	}{
		{"organisation: Test NHS Trust\n", 0, "0 rejected", 2},
		{"organisation: Test NHS Trust\nnew_starter_days: 30\n", 0, "1 rejected", 1},
	} {
		dir := t.TempDir()
		db := "sqlite:" + filepath.Join(dir, "prevent.db")
		write(t, dir, "prevent.yaml", tc.config)
		r := prevent(t, dir, db, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", staff))
		if r.code != tc.code || !strings.Contains(r.stdout, tc.rejected) {
			t.Errorf("%q: exit %d, want %d and %q:\n%s%s", tc.config, r.code, tc.code, tc.rejected, r.stdout, r.stderr)
		}
		s := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv")
		if got := strings.Count(s.stdout, "\n") - 1; got != tc.people {
			t.Errorf("%q: %d people, want %d:\n%s", tc.config, got, tc.people, s.stdout)
		}
	}
}
