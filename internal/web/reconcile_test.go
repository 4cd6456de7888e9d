package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// wardStaff is a small trust's staff extract effective 30 September 2026:
// twelve employee numbers, of whom four (1007-1010) hold only assignments
// the example config excludes (Terminate...) and so are not in the
// workforce; 1011 has a terminated second post beside a counted one; 1005
// started on 1 September 2026 and has never trained.
const wardStaff = `Employee Number,Full Name,Organisation,Org L3,Org L4,Staff Group,Job Role,Assignment Status,Primary,Date First Hired
1001,Ann Able,Ward Trust Medicine,Medicine,Ward 1,Administrative and Clerical,Clerk,Active Assignment,Y,2015-03-01
1002,Ben Best,Ward Trust Medicine,Medicine,Ward 1,Administrative and Clerical,Clerk,Active Assignment,Y,2012-04-01
1003,Cat Cole,Ward Trust Medicine,Medicine,Ward 1,Administrative and Clerical,Clerk,Active Assignment,Y,2019-05-01
1004,Dan Dove,Ward Trust Surgery,Surgery,Ward 2,Administrative and Clerical,Clerk,Active Assignment,Y,2018-06-01
1005,Eve East,Ward Trust Surgery,Surgery,Ward 2,Administrative and Clerical,Clerk,Active Assignment,Y,2026-09-01
1006,Fay Fox,Ward Trust Surgery,Surgery,Ward 2,Administrative and Clerical,Clerk,Active Assignment,Y,2017-07-01
1007,Gus Gray,Ward Trust Medicine,Medicine,Ward 1,Administrative and Clerical,Clerk,Terminate Assignment,Y,2010-01-01
1008,Hal Hill,Ward Trust Surgery,Surgery,Ward 2,Administrative and Clerical,Clerk,Terminate Assignment,Y,2011-01-01
1009,Ivy Irons,Ward Trust Surgery,Surgery,Ward 2,Administrative and Clerical,Clerk,Terminate Process Assignment,Y,2013-01-01
1010,Jon Jay,Ward Trust Leavers,Leavers,Ward 9,Administrative and Clerical,Clerk,Terminate Assignment,Y,2026-09-10
1011,Kim Kent,Ward Trust Medicine,Medicine,Ward 1,Administrative and Clerical,Clerk,Active Assignment,Y,2016-01-01
1011,Kim Kent,Ward Trust Surgery,Surgery,Ward 2,Administrative and Clerical,Clerk,Terminate Assignment,N,2009-01-01
1012,Lou Lamb,Ward Trust Surgery,Surgery,Ward 2,Administrative and Clerical,Clerk,Suspend Assignment,Y,2014-01-01
`

// wardCompletions trains 1001, 1011 (compliant), 1002 (due soon), 1004
// (expired) and the leaver 1007.
const wardCompletions = `Employee Number,Course Name,Completion Date
1001,Preventing Radicalisation - Basic Prevent Awareness,10/01/2025
1002,Preventing Radicalisation - Basic Prevent Awareness,20/11/2023
1004,Preventing Radicalisation - Basic Prevent Awareness,01/03/2023
1007,Preventing Radicalisation - Basic Prevent Awareness,01/02/2025
1011,Preventing Radicalisation - Basic Prevent Awareness,05/05/2024
`

// wardExemptions exempts 1006 (in the workforce) and the leaver 1009.
const wardExemptions = `Employee Number,Reason,From,Until
1006,Maternity leave,01/06/2026,
1009,Long-term sickness,01/01/2026,
`

// wardTrust is the small trust imported into a fresh store, with the
// example config (which excludes Terminate... and Inactive...
// assignments); withExemptions imports its exemptions too.
func wardTrust(t *testing.T, withExemptions bool) (*store.Store, *config.Config) {
	t.Helper()
	cfg, err := config.Load(demoConfig)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, storetest.SQLiteDSN(t))
	dir := t.TempDir()
	ctx := context.Background()
	opt := ingest.Options{Aliases: cfg.Aliases(), Today: compliance.Date(2026, 10, 1)}
	if _, err := ingest.Staff(ctx, st, writeFile(t, dir, "staff_2026-09-30.csv", wardStaff), opt); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Completions(ctx, st, writeFile(t, dir, "completions.csv", wardCompletions), opt); err != nil {
		t.Fatal(err)
	}
	if withExemptions {
		if _, err := ingest.Exemptions(ctx, st, writeFile(t, dir, "exemptions.csv", wardExemptions), opt); err != nil {
			t.Fatal(err)
		}
	}
	return st, cfg
}

// lead is the text of a page's lead paragraph.
func lead(t *testing.T, body string) string {
	t.Helper()
	for _, p := range find(parse(t, body), element("p")) {
		if attr(p, "class") == "lead" {
			return text(p)
		}
	}
	t.Fatal("no lead paragraph")
	return ""
}

// totalHeadcount is the People cell of the overview table's total row.
func totalHeadcount(t *testing.T, body string) int {
	t.Helper()
	for _, tf := range find(parse(t, body), element("tfoot")) {
		for _, td := range find(tf, element("td")) {
			n, err := strconv.Atoi(text(td))
			if err != nil {
				t.Fatalf("total people %q", text(td))
			}
			return n
		}
	}
	t.Fatal("no total row")
	return 0
}

// The overview's people count is the workforce, as status lists it and
// the summary counts it: people whose every assignment is excluded
// (leavers) are in the staff extract but not in the workforce, and in no
// count on any page.
func TestOverviewCountsTheWorkforceNotTheExtract(t *testing.T) {
	st, cfg := wardTrust(t, false)
	srv, _ := testServer(t, st, cfg, false)
	c := client(t)
	page := get(t, c, srv.URL+"/?as_of=2026-09-30")
	if page.status != http.StatusOK {
		t.Fatalf("status %d", page.status)
	}
	if got := lead(t, page.body); !strings.HasSuffix(got, "from the staff extract effective 30 September 2026 (8 people).") {
		t.Errorf("overview lead %q, want the 8 people of the workforce (the extract's 12 less 4 leavers)", got)
	}
	if n := totalHeadcount(t, page.body); n != 8 {
		t.Errorf("overview total %d people, want 8", n)
	}
	if people := get(t, c, srv.URL+"/people?as_of=2026-09-30"); !strings.Contains(people.body, "<strong>8</strong> of 8 people match") {
		t.Errorf("the people page does not list the 8 of the workforce")
	}
	if tna := get(t, c, srv.URL+"/tna?as_of=2026-09-30"); !strings.Contains(lead(t, tna.body), "(8 in the workforce)") {
		t.Errorf("TNA lead %q, want 8 in the workforce", lead(t, tna.body))
	}
}

// Counting as the trust counts, the dashboard's counts reconcile on the
// page: the overview's table counts the 6 in the figures, its status
// counts and the people list the 8 in the workforce, and the lead, the
// TNA and a group's table say how the two add up. The leaver's exemption
// (1009) counts nowhere.
func TestDashboardCountsReconcileWhenCounting(t *testing.T) {
	st, base := wardTrust(t, true)
	cfg := *base
	cfg.NewStarterDays = 60
	srv, _ := testServer(t, st, &cfg, false)
	c := client(t)
	const split = "6 counted in the figures, plus 1 new starter and 1 exempt who count in none"

	page := get(t, c, srv.URL+"/?as_of=2026-09-30")
	if got := lead(t, page.body); !strings.HasSuffix(got, "(8 people in the workforce: "+split+").") {
		t.Errorf("overview lead %q", got)
	}
	if n := totalHeadcount(t, page.body); n != 6 {
		t.Errorf("overview total %d people, want the 6 in the figures", n)
	}
	badges, sum := map[string]int{}, 0
	for _, a := range find(parse(t, page.body), element("a")) {
		if strings.HasPrefix(attr(a, "class"), "badge ") {
			n, label, _ := strings.Cut(text(a), " ")
			v, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("status count %q", text(a))
			}
			badges[label] = v
			sum += v
		}
	}
	if sum != 8 || badges["new starter"] != 1 || badges["exempt"] != 1 {
		t.Errorf("status counts %v add to %d, want 8 with 1 new starter and 1 exempt", badges, sum)
	}

	r := get(t, c, srv.URL+"/people.csv?as_of=2026-09-30")
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 9 {
		t.Fatalf("people.csv: %d rows, want the header and 8 people: %v", len(rows), err)
	}
	for _, row := range rows[1:] {
		if row[0] == "1009" {
			t.Errorf("the leaver 1009 is listed: %v", row)
		}
	}
	if people := get(t, c, srv.URL+"/people?as_of=2026-09-30"); !strings.Contains(lead(t, people.body), "new starters and exempt people too, who count in no figure") {
		t.Errorf("people lead %q does not say the list holds those outside the figures", lead(t, people.body))
	}
	if tna := get(t, c, srv.URL+"/tna?as_of=2026-09-30"); !strings.Contains(lead(t, tna.body), "(8 in the workforce: "+split) {
		t.Errorf("TNA lead %q", lead(t, tna.body))
	}
	// Surgery by ward: 1004 and 1012 in the figures, 1005 a new starter,
	// 1006 exempt.
	drill := get(t, c, srv.URL+"/people?as_of=2026-09-30&org_l3=Surgery")
	want := "People are those counted in the figures: of the 4 here in the workforce, 2 counted in the figures, plus 1 new starter and 1 exempt who count in none."
	if !strings.Contains(drill.body, want) || !strings.Contains(drill.body, "<strong>4</strong> of 8 people match") {
		t.Errorf("Surgery's page does not reconcile its table with its 4 people listed:\n%s", drill.body)
	}
}
