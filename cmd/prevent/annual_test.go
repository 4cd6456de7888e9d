package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// annualStaff is a staff extract of the people numbered from..to: three
// organisations, a level 3 group, a Prevent lead every 17th person.
func annualStaff(from, to int) string {
	var b strings.Builder
	b.WriteString("Employee Number,Full Name,Organisation,Staff Group,Job Role\n")
	orgs := []string{"RT1 Acute", "RT1 Community", "RT1 Corporate"}
	for i := from; i <= to; i++ {
		group, role := "Administrative and Clerical", "Clerk"
		if i%3 == 0 {
			group, role = "Nursing and Midwifery Registered", "Staff Nurse"
		}
		if i%17 == 0 {
			role = "Prevent Lead"
		}
		fmt.Fprintf(&b, "%d,Person Number%d,%s,%s,%s\n", 30000000+i, i, orgs[i%3], group, role)
	}
	return b.String()
}

// annualCompletions gives most people a completion at their level on a
// date spread over 2021 to 2025, so that training lapses quarter by
// quarter through 2025-26; every seventh person never trained.
func annualCompletions(n int) string {
	var b strings.Builder
	b.WriteString("Employee Number,Course Name,Completion Date\n")
	for i := 1; i <= n; i++ {
		if i%7 == 0 {
			continue
		}
		course := "Preventing Radicalisation - Basic Prevent Awareness"
		switch {
		case i%17 == 0:
			course = "Prevent WRAP Face to Face"
		case i%3 == 0:
			course = "Preventing Radicalisation - Prevent Level 3"
		}
		d := time.Date(2022, time.January, 10, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*23%1500)
		fmt.Fprintf(&b, "%d,%s,%s\n", 30000000+i, course, d.Format("02/01/2006"))
	}
	return b.String()
}

type summaryTotalJSON struct {
	Total struct {
		Basic, Level3 summaryTally
		FaceToFace    summaryTally `json:"face_to_face"`
		All           summaryTally
		Meets         bool `json:"meets_threshold"`
	} `json:"total"`
}

type summaryTally struct {
	Required  int      `json:"required"`
	Compliant int      `json:"compliant"`
	Pct       *float64 `json:"pct"`
}

// TestAnnualReportFiguresMatchTheCommands builds the report for a whole
// year through the binary and checks every figure in it against what
// summary --as-of, the return and the forecast give for the same dates.
func TestAnnualReportFiguresMatchTheCommands(t *testing.T) {
	t.Parallel()
	dbs := map[string]func(t *testing.T, dir string) string{
		"sqlite":   func(t *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "prevent.db") },
		"postgres": func(t *testing.T, dir string) string { return storetest.PostgresDSN(t) },
	}
	for name, dsn := range dbs {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := dsn(t, dir)
			write(t, dir, "prevent.yaml", e2eConfig+"training_plan: {session_size: 2, trainers: 1, sessions_per_trainer_month: 1}\n")
			mustRun := func(args ...string) run {
				t.Helper()
				r := prevent(t, dir, db, args...)
				if r.code != 0 {
					t.Fatalf("prevent %v: exit %d\n%s", args, r.code, r.stderr)
				}
				return r
			}
			mustRun("import", "staff", write(t, dir, "esr_staff_2025-04-30.csv", annualStaff(1, 50)))
			mustRun("import", "staff", write(t, dir, "esr_staff_2025-10-31.csv", annualStaff(6, 64)))
			mustRun("import", "completions", write(t, dir, "lms.csv", annualCompletions(64)))
			mustRun("report", "annual", "--year", "2025-26", "--format", "xlsx", "--out", "annual.xlsx")
			book, err := excelize.OpenFile(filepath.Join(dir, "annual.xlsx"))
			if err != nil {
				t.Fatal(err)
			}
			defer book.Close()
			sheet := func(name string) [][]string {
				rows, err := book.GetRows(name)
				if err != nil || len(rows) < 2 {
					t.Fatalf("sheet %s: %d rows, %v", name, len(rows), err)
				}
				return rows
			}
			summaries := map[string]summaryTotalJSON{}
			summary := func(day string) summaryTotalJSON {
				if s, ok := summaries[day]; ok {
					return s
				}
				var s summaryTotalJSON
				if err := json.Unmarshal([]byte(mustRun("summary", "--as-of", day, "--format", "json").stdout), &s); err != nil {
					t.Fatal(err)
				}
				summaries[day] = s
				return s
			}
			checkQuarterEnds(t, sheet("Quarter ends"), summary)
			checkTrend(t, sheet("Trend"), summary)
			checkOrganisations(t, sheet("Organisations"), mustRun("return", "--quarter", "2025-26Q4", "--format", "csv").stdout)
			checkPlan(t, sheet("Plan"), sheet("Face-to-face sessions"), mustRun("status", "--as-of", "2026-03-31", "--format", "json").stdout)
		})
	}
}

var quarterEnds = map[string]string{"Q1 2025-26": "2025-06-30", "Q2 2025-26": "2025-09-30", "Q3 2025-26": "2025-12-31", "Q4 2025-26": "2026-03-31"}

// tallyCells checks required, compliant and rate cells against a tally.
func tallyCells(t *testing.T, where string, cells []string, want summaryTally) {
	t.Helper()
	pct := ""
	if want.Pct != nil {
		pct = strconv.FormatFloat(*want.Pct, 'f', -1, 64)
	}
	got := strings.Join(cells, "|")
	if exp := fmt.Sprintf("%d|%d|%s", want.Required, want.Compliant, pct); got != exp {
		t.Errorf("%s: the report has %s, summary --as-of %s", where, got, exp)
	}
}

func checkQuarterEnds(t *testing.T, rows [][]string, summary func(string) summaryTotalJSON) {
	seen := 0
	for _, r := range rows[1:] {
		day, ok := quarterEnds[r[0]]
		if !ok || len(r) < 6 {
			t.Fatalf("quarter-end row %q", r)
		}
		s := summary(day)
		want := map[string]summaryTally{"Basic Prevent awareness": s.Total.Basic, "Level 3 Prevent": s.Total.Level3,
			"Face-to-face (WRAP)": s.Total.FaceToFace, "All staff": s.Total.All}[r[1]]
		tallyCells(t, r[0]+" "+r[1], r[2:5], want)
		if r[1] == "All staff" {
			seen++
			if r[5] != figures.YesNo(s.Total.All.Required > 0 && s.Total.Meets) && r[5] != figures.YesNo(s.Total.Meets) {
				t.Errorf("%s meets: %q", r[0], r[5])
			}
		}
	}
	if seen != 4 {
		t.Errorf("%d quarter ends in the report, want the four of 2025-26", seen)
	}
}

func checkTrend(t *testing.T, rows [][]string, summary func(string) summaryTotalJSON) {
	if len(rows) != 5 {
		t.Errorf("trend has %d quarters, want the 4 since the first staff extract", len(rows)-1)
	}
	for _, r := range rows[1:] {
		s := summary(quarterEnds[r[0]])
		for i, want := range []summaryTally{s.Total.Basic, s.Total.Level3, s.Total.FaceToFace, s.Total.All} {
			exp := ""
			if want.Pct != nil {
				exp = strconv.FormatFloat(*want.Pct, 'f', -1, 64)
			}
			if r[1+i] != exp {
				t.Errorf("trend %s column %s: %q, summary %q", r[0], rows[0][1+i], r[1+i], exp)
			}
		}
	}
}

// checkOrganisations compares the year-end sheet with the return's CSV,
// numbers as numbers.
func checkOrganisations(t *testing.T, rows [][]string, returnCSV string) {
	recs, err := csv.NewReader(strings.NewReader(returnCSV)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(rows) {
		t.Fatalf("organisations: %d rows, the return %d", len(rows), len(recs))
	}
	for i := range recs {
		for j := range recs[i] {
			got := ""
			if j < len(rows[i]) {
				got = rows[i][j]
			}
			if !sameNumber(got, recs[i][j]) {
				t.Errorf("organisations row %d column %s: %q, the return %q", i+1, recs[0][j], got, recs[i][j])
			}
		}
	}
}

// checkPlan runs the dashboard's forecast over status --as-of the year's
// last day and compares the report's plan with it.
func checkPlan(t *testing.T, rows, sessions [][]string, statusJSON string) {
	var st struct {
		People []struct {
			Requirement string  `json:"requirement"`
			Status      string  `json:"status"`
			DueDate     *string `json:"due_date"`
		} `json:"people"`
	}
	if err := json.Unmarshal([]byte(statusJSON), &st); err != nil {
		t.Fatal(err)
	}
	var people []compliance.Person
	for _, p := range st.People {
		l, _ := compliance.ParseLevel(p.Requirement)
		person := compliance.Person{Requirement: l, Status: compliance.Status(p.Status)}
		if p.DueDate != nil {
			person.DueDate, _ = time.Parse(time.DateOnly, *p.DueDate)
		}
		people = append(people, person)
	}
	asOf := compliance.Date(2026, time.March, 31)
	fs := compliance.Forecasts(people, asOf, 0.85, 6)
	byTitle := map[string]compliance.Forecast{}
	for _, f := range fs {
		byTitle[f.Level.Title()] = f
	}
	if len(rows) != 4 {
		t.Fatalf("plan: %d levels, want 3", len(rows)-1)
	}
	for _, r := range rows[1:] {
		f, ok := byTitle[r[0]]
		if !ok || len(r) != 9 {
			t.Fatalf("plan row %q", r)
		}
		for i, m := range f.Months {
			if want := figures.Pct(m.Tally); !sameNumber(r[2+i], want) {
				t.Errorf("plan %s %s: %q, forecast %q", r[0], rows[0][2+i], r[2+i], want)
			}
		}
		if r[8] != strconv.Itoa(f.PerMonth) {
			t.Errorf("plan %s completions a month: %q, forecast %d", r[0], r[8], f.PerMonth)
		}
		if r[0] == compliance.FaceToFace.Title() {
			plan := compliance.TrainingPlan{SessionSize: 2, Trainers: 1, SessionsPerTrainerMonth: 1}
			want := []string{strconv.Itoa(f.PerMonth), "2", strconv.Itoa(plan.SessionsNeeded(f.PerMonth)), "1", "1", "1"}
			if got := strings.Join(sessions[1][:6], "|"); got != strings.Join(want, "|") {
				t.Errorf("face-to-face sessions %s, want %s", got, strings.Join(want, "|"))
			}
		}
	}
}

// sameNumber compares cells as numbers: the workbook holds 50.0 as 50.
func sameNumber(a, b string) bool {
	x, errX := strconv.ParseFloat(a, 64)
	y, errY := strconv.ParseFloat(b, 64)
	return a == b || errX == nil && errY == nil && x == y
}

func TestReportAnnualUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report"}, 2, "prevent report annual"},
		{[]string{"report", "annual", "--format", "docx"}, 2, `--format "docx" is not one of html, pdf, xlsx`},
		{[]string{"report", "annual", "--year", "2026"}, 2, "write it as 2026-27"},
		{[]string{"report", "annual", "extra.html"}, 2, "use --out FILE"},
		{[]string{"report", "annual", "--year", "2025-26"}, 1, "no staff extract is held for 31 March 2026"},
		{[]string{"report", "annual", "--year", "2040-41"}, 1, "2040-41 has no completed quarter yet"},
	} {
		r := prevent(t, dir, db, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("prevent %v: exit %d, %q; want exit %d saying %q", c.args, r.code, r.stderr, c.code, c.msg)
		}
	}
	if r := prevent(t, dir, db, "help", "report"); r.code != 0 || !strings.Contains(r.stdout+r.stderr, "Examples:") {
		t.Errorf("help report: exit %d", r.code)
	}
}

// TestAnnualReportActivityAndCountingMatchTheCommands: with a Prevent lead,
// a referral log, a meetings log, new starters and exemptions, the
// report's Referrals and Partnership sheets hold each quarter's counts as
// `return --section referrals` gives them, and its Beside the figures
// sheet the new starters and exempt people `summary --as-of` counts.
func TestAnnualReportActivityAndCountingMatchTheCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig+"new_starter_days: 60\n"+
		"prevent_lead: {name: Ada Okafor, email: ada.okafor@example.nhs.net, phone: 0114 000 0000}\n")
	mustRun := func(args ...string) run {
		t.Helper()
		r := prevent(t, dir, db, args...)
		if r.code != 0 {
			t.Fatalf("prevent %v: exit %d\n%s", args, r.code, r.stderr)
		}
		return r
	}
	// People 51 to 64 start on 15 December 2025: new starters on 31 December.
	staff := strings.Replace(annualStaff(1, 64), "Employee Number,", "Employee Number,Start Date,", 1)
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSuffix(staff, "\n"), "\n") {
		if i == 0 {
			b.WriteString(line + "\n")
			continue
		}
		num, rest, _ := strings.Cut(line, ",")
		start := "01/04/2015"
		if n, _ := strconv.Atoi(num); n-30000000 > 50 {
			start = "15/12/2025"
		}
		fmt.Fprintf(&b, "%s,%s,%s\n", num, start, rest)
	}
	mustRun("import", "staff", write(t, dir, "esr_staff_2025-04-30.csv", annualStaff(1, 50)))
	mustRun("import", "staff", write(t, dir, "esr_staff_2025-10-31.csv", b.String()))
	mustRun("import", "completions", write(t, dir, "lms.csv", annualCompletions(40)))
	mustRun("import", "exemptions", write(t, dir, "exemptions.csv", "Employee Number,Reason,From,Until\n"+
		"30000003,Maternity leave,01/05/2025,31/01/2026\n30000010,Secondment,15/09/2025,\n30000020,Long-term sickness,01/12/2025,28/02/2026\n"))
	mustRun("import", "referrals", write(t, dir, "referrals.csv", "Reference,Date Raised,Subject,Service,Outcome\n"+
		"R-1,30/06/2025,patient,Adult Mental Health,referred\nR-2,01/07/2025,staff,Surgery,concern\n"+
		"R-3,30/09/2025,patient,Community Mental Health,discussed at channel\nR-4,01/10/2025,other,,channel case\n"+
		"R-5,31/12/2025,patient,ED,advice only\nR-6,01/01/2026,staff,Mental Health Liaison,referred to prevent\n"+
		"R-7,31/03/2026,patient,Maternity,adopted\nR-8,01/04/2026,patient,ED,referred\n"))
	mustRun("import", "meetings", write(t, dir, "meetings.csv", "Date,Forum,Attended\n"+
		"12/05/2025,Channel Panel,Yes\n10/07/2025,Prevent Partnership Board,No\n09/10/2025,Channel Panel,yes\n"+
		"15/01/2026,Channel Panel,Y\n31/03/2026,Safeguarding Board,N\n"))
	mustRun("report", "annual", "--year", "2025-26", "--format", "xlsx", "--out", "annual.xlsx")
	book, err := excelize.OpenFile(filepath.Join(dir, "annual.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows := func(name string) [][]string {
		r, err := book.GetRows(name)
		if err != nil || len(r) != 5 {
			t.Fatalf("sheet %s: %d rows, %v; want a header and four quarters", name, len(r), err)
		}
		return r[1:]
	}
	referrals, partnership, beside := rows("Referrals"), rows("Partnership"), rows("Beside the figures")
	for i, q := range []string{"2025-26Q1", "2025-26Q2", "2025-26Q3", "2025-26Q4"} {
		csv := strings.Split(strings.TrimSpace(mustRun("return", "--quarter", q, "--section", "referrals", "--format", "csv").stdout), "\n")
		if len(csv) != 2 {
			t.Fatalf("return --section referrals %s:\n%s", q, strings.Join(csv, "\n"))
		}
		f := strings.Split(csv[1], ",")
		if got, want := strings.Join(referrals[i][1:], ","), strings.Join(f[3:10], ","); got != want {
			t.Errorf("%s referrals: the report has %s, the return %s", q, got, want)
		}
		if got, want := strings.Join(partnership[i][1:], ","), strings.Join(f[10:12], ","); got != want {
			t.Errorf("%s partnership: the report has %s, the return %s", q, got, want)
		}
		var s struct {
			Total struct {
				ByStatus map[string]int `json:"statuses"`
			} `json:"total"`
		}
		summary := mustRun("summary", "--as-of", quarterEnds[referrals[i][0]], "--format", "json").stdout
		if err := json.Unmarshal([]byte(summary), &s); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%d,%d", s.Total.ByStatus["new_starter"], s.Total.ByStatus["exempt"])
		if got := strings.Join(beside[i][1:], ","); got != want {
			t.Errorf("%s new starters and exempt: the report has %s, summary %s\n%s", q, got, want, summary)
		}
	}
	// The counts are not all zero: the comparison above could fail.
	if strings.Join(referrals[1][1:], ",") == "0,0,0,0,0,0,0" || strings.HasPrefix(strings.Join(beside[2][1:], ","), "0,") {
		t.Errorf("nothing counted: referrals %q, beside %q", referrals, beside)
	}
}

// The annual report's returns table counts each correction sent once,
// however many recipients it went to, and the original not at all.
func TestAnnualReportCountsCorrections(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	for _, args := range [][]string{
		{"import", "staff", write(t, dir, "esr_staff_2025-04-30.csv", annualStaff(1, 20))},
		{"return", "--quarter", "2025-26Q2", "--send"},
		{"return", "--quarter", "2025-26Q2", "--resend", "--reason", "corrected extract"},
		{"return", "--quarter", "2025-26Q2", "--resend", "--reason", "corrected again"},
		{"return", "--quarter", "2025-26Q3", "--send"},
		{"report", "annual", "--year", "2025-26", "--format", "xlsx", "--out", "annual.xlsx"},
	} {
		if r := prevent(t, dir, db, args...); r.code != 0 {
			t.Fatalf("prevent %v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	book, err := excelize.OpenFile(filepath.Join(dir, "annual.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows, err := book.GetRows("Returns sent")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[0]] = r[1] + " recipients, sent to " + r[2] + ", " + r[5] + " corrections"
	}
	for q, want := range map[string]string{"Q2 2025-26": "2 recipients, sent to 2, 2 corrections", "Q3 2025-26": "2 recipients, sent to 2, 0 corrections"} {
		if got[q] != want {
			t.Errorf("%s: %q, want %q (rows %q)", q, got[q], want, rows)
		}
	}
}
