package main

import (
	"encoding/csv"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A ward-sized trust on 30 September 2026 whose extract holds twelve
// employee numbers: four leavers (every assignment Terminate..., which the
// config excludes), one new starter (1005, never trained), one exempt
// (1006); the leaver 1009 has an exemption too.
const reconcileConfig = `organisation: Test NHS Trust
ods_code: RT1
courses:
  - {level: basic, match: ["*Prevent Awareness*"]}
exclude:
  assignment_status: ["Terminate*"]
new_starter_days: 60
outbox_dir: outbox
`

const reconcileStaff = "Employee Number,Full Name,Organisation,Staff Group,Assignment Status,Primary,Date First Hired\n" +
	"1001,Ann Able,Medicine,Administrative and Clerical,Active Assignment,Y,2015-03-01\n" +
	"1002,Ben Best,Medicine,Administrative and Clerical,Active Assignment,Y,2012-04-01\n" +
	"1003,Cat Cole,Medicine,Administrative and Clerical,Active Assignment,Y,2019-05-01\n" +
	"1004,Dan Dove,Surgery,Administrative and Clerical,Active Assignment,Y,2018-06-01\n" +
	"1005,Eve East,Surgery,Administrative and Clerical,Active Assignment,Y,2026-09-01\n" +
	"1006,Fay Fox,Surgery,Administrative and Clerical,Active Assignment,Y,2017-07-01\n" +
	"1007,Gus Gray,Medicine,Administrative and Clerical,Terminate Assignment,Y,2010-01-01\n" +
	"1008,Hal Hill,Surgery,Administrative and Clerical,Terminate Assignment,Y,2011-01-01\n" +
	"1009,Ivy Irons,Surgery,Administrative and Clerical,Terminate Process Assignment,Y,2013-01-01\n" +
	"1010,Jon Jay,Leavers,Administrative and Clerical,Terminate Assignment,Y,2026-09-10\n" +
	"1011,Kim Kent,Medicine,Administrative and Clerical,Active Assignment,Y,2016-01-01\n" +
	"1011,Kim Kent,Surgery,Administrative and Clerical,Terminate Assignment,N,2009-01-01\n" +
	"1012,Lou Lamb,Surgery,Administrative and Clerical,Suspend Assignment,Y,2014-01-01\n"

const reconcileCompletions = "Employee Number,Course Name,Completion Date\n" +
	"1001,Prevent Awareness,10/01/2025\n" +
	"1002,Prevent Awareness,20/11/2023\n" +
	"1004,Prevent Awareness,01/03/2023\n" +
	"1007,Prevent Awareness,01/02/2025\n" +
	"1011,Prevent Awareness,05/05/2024\n"

const reconcileExemptions = "Employee Number,Reason,From,Until\n" +
	"1006,Maternity leave,01/06/2026,\n" +
	"1009,Long-term sickness,01/01/2026,\n"

// summary, status and exemptions each say how their counts add up to the
// others': the summary's 6 in the figures, its new starter and exempt,
// status's 8 rows and the exemptions register's 2 rows, one for a leaver.
func TestSummaryStatusAndExemptionsReconcile(t *testing.T) {
	dir, db := reconcileTrust(t, reconcileConfig)
	asOf := []string{"--as-of", "2026-09-30"}
	const split = "6 counted in the figures, plus 1 new starter and 1 exempt who count in none"

	r := prevent(t, dir, db, append([]string{"status", "--format", "csv"}, asOf...)...)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || r.code != 0 || len(rows) != 9 {
		t.Fatalf("status csv: exit %d, %v, %d rows, want the header and 8 people:\n%s", r.code, err, len(rows), r.stdout)
	}

	r = prevent(t, dir, db, append([]string{"summary", "--format", "csv"}, asOf...)...)
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || r.code != 0 {
		t.Fatalf("summary csv: exit %d, %v", r.code, err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	total, sum := recs[len(recs)-1], 0
	for _, h := range []string{"headcount", "new_starter", "exempt"} {
		n, _ := strconv.Atoi(total[col[h]])
		sum += n
	}
	if total[col["headcount"]] != "6" || sum != len(rows)-1 {
		t.Errorf("summary total: headcount %s, with new starters and exempt %d; status lists %d", total[col["headcount"]], sum, len(rows)-1)
	}

	r = prevent(t, dir, db, append([]string{"summary"}, asOf...)...)
	for _, want := range []string{
		"(staff snapshot effective 2026-09-30, 6 people in the figures; minimum 85%)\n",
		"\nNot counted in any figure: 1 new starter (within 60 days of starting, not yet trained), 1 exempt.\n",
		"\nIn the workforce: 8 people, each listed by prevent status: " + split + ".\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary table lacks %q:\n%s", want, r.stdout)
		}
	}

	r = prevent(t, dir, db, append([]string{"status"}, asOf...)...)
	if want := "\n8 people as of 2026-09-30: " + split + "\n"; !strings.HasSuffix(r.stdout, want) {
		t.Errorf("status table does not end %q:\n%s", want, r.stdout)
	}
	r = prevent(t, dir, db, append([]string{"status", "--status", "expired,never"}, asOf...)...)
	if want := "\n3 people as of 2026-09-30: 3 counted in the figures, and no new starter or exempt person beside them\n"; !strings.HasSuffix(r.stdout, want) {
		t.Errorf("filtered status table does not end %q:\n%s", want, r.stdout)
	}

	r = prevent(t, dir, db, append([]string{"exemptions"}, asOf...)...)
	want := "2 exemptions covering 2026-09-30\n" +
		"1 person exempt in the workforce on 2026-09-30, as summary and status count them; " +
		"1 exemption for someone not in the workforce then (a leaver, or in no staff extract), counted nowhere\n"
	if r.code != 0 || !strings.HasSuffix(r.stdout, want) {
		t.Errorf("exemptions --as-of: exit %d, does not end %q:\n%s%s", r.code, want, r.stdout, r.stderr)
	}
	// Before the first staff extract there is no workforce to count in.
	r = prevent(t, dir, db, "exemptions", "--as-of", "2026-01-05")
	if r.code != 0 || !strings.HasSuffix(r.stdout, "1 exemption covering 2026-01-05\n") {
		t.Errorf("exemptions before any extract: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Exemptions held but new_starter_days not set: new starters count in the
// figures as everyone does, and the summary and status say nothing of
// them ("0 new starters within 0 days of starting" said it before).
func TestExemptionsWithoutNewStarterDays(t *testing.T) {
	dir, db := reconcileTrust(t, strings.Replace(reconcileConfig, "new_starter_days: 60\n", "", 1))
	r := prevent(t, dir, db, "summary", "--as-of", "2026-09-30")
	for _, want := range []string{
		"\nNot counted in any figure: 1 exempt.\n",
		"\nIn the workforce: 8 people, each listed by prevent status: 7 counted in the figures, plus 1 exempt who counts in none.\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "new starter") {
		t.Errorf("summary speaks of new starters with new_starter_days unset:\n%s", r.stdout)
	}
}

// reconcileTrust imports the ward-sized trust's extracts and exemptions
// under the config given, into a database of its own.
func reconcileTrust(t *testing.T, config string) (dir, db string) {
	t.Helper()
	dir = t.TempDir()
	db = "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", config)
	for _, imp := range [][]string{
		{"import", "staff", write(t, dir, "staff_2026-09-30.csv", reconcileStaff)},
		{"import", "completions", write(t, dir, "lms.csv", reconcileCompletions)},
		{"import", "exemptions", write(t, dir, "leave.csv", reconcileExemptions)},
	} {
		if r := prevent(t, dir, db, imp...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", imp, r.code, r.stderr)
		}
	}
	return dir, db
}
