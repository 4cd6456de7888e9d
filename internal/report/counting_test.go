package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var date = compliance.Date

// countingTrust stores a snapshot with start dates and organisation levels,
// completions and two imports of exemptions.
func countingTrust(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	staff := []compliance.Assignment{
		{EmployeeNumber: "1", Name: "Ann", Organisation: "Acute", OrgLevels: [6]string{1: "Medicine", 2: "Ward 1"}, StaffGroup: "Admin", StartDate: date(2015, 1, 1), Primary: true, ManagerEmail: "boss@x"},
		{EmployeeNumber: "2", Name: "Bob", Organisation: "Acute", OrgLevels: [6]string{1: "Medicine", 2: "Ward 2"}, StaffGroup: "Admin", StartDate: date(2026, 9, 1)},
		{EmployeeNumber: "3", Name: "Cat", Organisation: "Acute", OrgLevels: [6]string{1: "Medicine", 2: "Ward 2"}, StaffGroup: "Admin", StartDate: date(2010, 1, 1)},
		{EmployeeNumber: "4", Name: "Dan", Organisation: "Community", OrgLevels: [6]string{1: "Community"}, StaffGroup: "Admin"},
	}
	tx, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff.csv", SHA256: "aa", EffectiveDate: date(2026, 1, 31)})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range staff {
		a.Row = i + 2
		if err := tx.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(len(staff), 0, nil); err != nil {
		t.Fatal(err)
	}
	ci, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: "bb"})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []compliance.Completion{
		{EmployeeNumber: "1", Course: "Prevent Awareness", CompletedOn: date(2025, 1, 1)},
		{EmployeeNumber: "3", Course: "Prevent Awareness", CompletedOn: date(2025, 1, 1)},
	} {
		if _, err := ci.Add(c, i+2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ci.Commit(2, 0, nil); err != nil {
		t.Fatal(err)
	}
	imports := [][]compliance.Exemption{
		{{EmployeeNumber: "3", Reason: "Sickness", From: date(2026, 7, 1), Until: date(2026, 8, 15)}},
		// The same employee and From again: replaces the first (reason and Until).
		{{EmployeeNumber: "003", Reason: "Long-term sickness", From: date(2026, 7, 1), Until: date(2026, 8, 20)},
			{EmployeeNumber: "9", Reason: "Secondment", From: date(2026, 1, 1)}},
	}
	for i, rows := range imports {
		ex, err := s.BeginExemptionImport(ctx, store.Import{FileName: "exemptions.csv", SHA256: strings.Repeat("c", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		for j, e := range rows {
			if err := ex.Add(e, j+2); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ex.Commit(len(rows), 0, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func countingPolicy() compliance.Policy {
	p := compliance.DefaultPolicy()
	p.Courses = []compliance.CourseRule{{Level: compliance.Basic, Match: mustSet("*Prevent Awareness*")}}
	p.NewStarterDays = 30
	p.RedBelow = 0.75
	return p
}

func statuses(pos *Position) string {
	var b strings.Builder
	for _, p := range pos.People {
		b.WriteString(p.EmployeeNumber + ":" + string(p.Status))
		if p.ExemptReason != "" {
			b.WriteString("(" + p.ExemptReason + ")")
		}
		b.WriteString(" ")
	}
	return strings.TrimSpace(b.String())
}

func TestCountingOnPastDatesOnBothDatabases(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		countingTrust(t, s)
		pol := countingPolicy()
		for _, tt := range []struct {
			asOf time.Time
			want string
		}{
			{date(2026, 6, 30), "1:compliant 2:new_starter 3:compliant 4:never"},
			{date(2026, 7, 1), "1:compliant 2:new_starter 3:exempt(Long-term sickness) 4:never"},
			{date(2026, 8, 20), "1:compliant 2:new_starter 3:exempt(Long-term sickness) 4:never"},
			{date(2026, 8, 21), "1:compliant 2:new_starter 3:compliant 4:never"},
			{date(2026, 9, 30), "1:compliant 2:new_starter 3:compliant 4:never"},
			{date(2026, 10, 1), "1:compliant 2:never 3:compliant 4:never"},
		} {
			pos, err := LoadFor(ctx, s, pol, tt.asOf, NeedAll)
			if err != nil {
				t.Fatal(err)
			}
			if got := statuses(pos); got != tt.want {
				t.Errorf("%s: %s, want %s", tt.asOf.Format(time.DateOnly), got, tt.want)
			}
			if !pos.Extras().Counting {
				t.Errorf("exemptions imported, but no extras")
			}
		}
		// An exemption ending mid-quarter: on the quarter's last day the
		// person counts again.
		pos, err := LoadFor(ctx, s, pol, date(2026, 9, 30), NeedAll)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := WriteSummaryBy(&out, "csv", pos, compliance.OrgLevelKey(4)); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		if _, ok := col["org_l4"]; !ok {
			t.Fatalf("no org_l4 column: %v", recs[0])
		}
		got := map[string][]string{}
		for _, r := range recs[1:] {
			got[r[col["org_l4"]]] = []string{r[col["headcount"]], r[col["basic_required"]], r[col["basic_compliant"]], r[col["all_rag"]], r[col["new_starter"]]}
		}
		want := map[string][]string{
			"(blank)": {"1", "1", "0", "red", "0"},
			"Ward 1":  {"1", "1", "1", "green", "0"},
			"Ward 2":  {"1", "1", "1", "green", "1"},
			"TOTAL":   {"3", "3", "2", "red", "1"},
		}
		for k, w := range want {
			if strings.Join(got[k], ",") != strings.Join(w, ",") {
				t.Errorf("%s: %v, want %v", k, got[k], w)
			}
		}
		var js bytes.Buffer
		if err := WriteStatusWith(&js, "json", pos.AsOf, pos.People, pos.Extras()); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			People []map[string]any `json:"people"`
		}
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.People[1]["start_date"] != "2026-09-01" || doc.People[3]["start_date"] != nil {
			t.Errorf("start dates %v %v", doc.People[1]["start_date"], doc.People[3]["start_date"])
		}
		if _, ok := doc.People[3]["start_date"]; !ok {
			t.Errorf("a blank start date is null, not left out")
		}
		held, err := s.Exemptions(ctx, time.Time{})
		if err != nil || len(held) != 2 || held[0].Until != date(2026, 8, 20) {
			t.Errorf("held %+v, %v", held, err)
		}
		unknown, err := s.UnknownExemptions(ctx)
		if err != nil || len(unknown) != 1 || unknown[0].EmployeeNumber != "9" {
			t.Errorf("unknown %+v, %v", unknown, err)
		}
	})
}

func mustSet(patterns ...string) glob.Set {
	s, err := glob.CompileSet(patterns)
	if err != nil {
		panic(err)
	}
	return s
}
