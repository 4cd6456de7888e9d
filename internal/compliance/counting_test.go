package compliance

import (
	"testing"
	"time"
)

// one evaluates a single person: a clerk (basic) or, with a nurse's staff
// group, level 3.
func one(p Policy, a Assignment, done []Completion, ex *Exemptions, asOf string) Person {
	if a.EmployeeNumber == "" {
		a.EmployeeNumber = "100"
	}
	if a.StaffGroup == "" {
		a.StaffGroup = "Administrative and Clerical"
	}
	for i := range done {
		if done[i].EmployeeNumber == "" {
			done[i].EmployeeNumber = a.EmployeeNumber
		}
	}
	people := p.Evaluate([]Assignment{a}, done, ex, d(asOf))
	if len(people) != 1 {
		panic("not one person")
	}
	return people[0]
}

func awareness(on string) Completion {
	return Completion{Course: "Prevent Awareness", CompletedOn: d(on)}
}

func TestNewStarters(t *testing.T) {
	p := contractPolicy()
	p.NewStarterDays = 30
	start := Assignment{StartDate: d("2026-09-01")}
	tests := []struct {
		name   string
		a      Assignment
		done   []Completion
		days   int
		asOf   string
		status Status
	}{
		{"the last day of grace is start + N - 1", start, nil, 30, "2026-09-30", NewStarter},
		{"grace ends on start + N: never trained counts", start, nil, 30, "2026-10-01", Never},
		{"the start day itself", start, nil, 30, "2026-09-01", NewStarter},
		{"a start date after the as-of date is within grace", start, nil, 30, "2026-08-15", NewStarter},
		{"a trained new starter counts as usual", start, []Completion{awareness("2026-09-10")}, 30, "2026-09-20", Compliant},
		{"training after the as-of date does not count yet", start, []Completion{awareness("2026-09-25")}, 30, "2026-09-20", NewStarter},
		{"an expired new starter (training from an earlier trust) is a new starter", start, []Completion{awareness("2023-01-01")}, 30, "2026-09-20", NewStarter},
		{"due soon is not left out", start, []Completion{awareness("2023-10-01")}, 30, "2026-09-20", DueSoon},
		{"a blank start date is never a new starter", Assignment{}, nil, 30, "2026-09-20", Never},
		{"new_starter_days 0 is off", start, nil, 0, "2026-09-02", Never},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := p
			p.NewStarterDays = tt.days
			got := one(p, tt.a, tt.done, nil, tt.asOf)
			if got.Status != tt.status {
				t.Errorf("status %s, want %s", got.Status, tt.status)
			}
			if got.Counted() == (tt.status == NewStarter) {
				t.Errorf("counted %v for status %s", got.Counted(), got.Status)
			}
		})
	}
	t.Run("an expired new starter keeps completed_on and due_date", func(t *testing.T) {
		got := one(p, start, []Completion{awareness("2023-01-01")}, nil, "2026-09-20")
		if !got.CompletedOn.Equal(d("2023-01-01")) || !got.DueDate.Equal(d("2026-01-01")) {
			t.Errorf("completed %s due %s", got.CompletedOn, got.DueDate)
		}
		if g := p.GraceEnds(&got); !g.Equal(d("2026-10-01")) {
			t.Errorf("grace ends %s, want 2026-10-01", g)
		}
	})
	t.Run("the start date is the earliest over counted assignments, blank ones ignored", func(t *testing.T) {
		p := p
		p.Exclude = set("Terminate*")
		people := p.Workforce([]Assignment{
			{EmployeeNumber: "7", Row: 2, StartDate: d("2026-09-01"), Primary: true},
			{EmployeeNumber: "7", Row: 3},
			{EmployeeNumber: "7", Row: 4, StartDate: d("2026-05-01")},
			{EmployeeNumber: "7", Row: 5, StartDate: d("2020-01-01"), AssignmentStatus: "Terminate Assignment"},
		})
		if len(people) != 1 || !people[0].StartDate.Equal(d("2026-05-01")) {
			t.Fatalf("got %+v", people)
		}
	})
}

func TestExemptions(t *testing.T) {
	p := contractPolicy()
	p.NewStarterDays = 30
	ex := NewExemptions([]Exemption{
		{EmployeeNumber: "100", Reason: "Maternity leave", From: d("2026-07-01"), Until: d("2026-08-31")},
		{EmployeeNumber: "0200", Reason: "Career break", From: d("2026-07-01")},
		{EmployeeNumber: "200", Reason: "Secondment", From: d("2026-08-01"), Until: d("2026-08-10")},
	})
	trained := []Completion{awareness("2025-01-01")}
	tests := []struct {
		name, emp, asOf string
		a               Assignment
		status          Status
		reason          string
	}{
		{"the day before From", "100", "2026-06-30", Assignment{}, Compliant, ""},
		{"the From day", "100", "2026-07-01", Assignment{}, Exempt, "Maternity leave"},
		{"the Until day", "100", "2026-08-31", Assignment{}, Exempt, "Maternity leave"},
		{"the day after Until", "100", "2026-09-01", Assignment{}, Compliant, ""},
		{"open-ended, years on; employee numbers match without leading zeros", "200", "2030-01-01", Assignment{}, Exempt, "Career break"},
		{"two cover the day: the latest From gives the reason", "200", "2026-08-05", Assignment{}, Exempt, "Secondment"},
		{"exempt beats compliant", "100", "2026-07-15", Assignment{}, Exempt, "Maternity leave"},
		{"exempt beats new starter", "100", "2026-07-15", Assignment{StartDate: d("2026-07-10")}, Exempt, "Maternity leave"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.a
			a.EmployeeNumber = tt.emp
			got := one(p, a, append([]Completion(nil), trained...), ex, tt.asOf)
			if got.Status != tt.status || got.ExemptReason != tt.reason {
				t.Errorf("status %s reason %q, want %s %q", got.Status, got.ExemptReason, tt.status, tt.reason)
			}
			if got.Status == Exempt && (!got.CompletedOn.Equal(d("2025-01-01")) || got.DueDate.IsZero()) {
				t.Errorf("an exempt person keeps their completion: %+v", got)
			}
		})
	}
}

// An exemption ending mid-quarter leaves the person counted on the
// quarter's last day, the day the return is worked out on.
func TestExemptionEndingMidQuarter(t *testing.T) {
	p := contractPolicy()
	staff := []Assignment{
		{EmployeeNumber: "1", Organisation: "Acute", StaffGroup: "Admin", Row: 2},
		{EmployeeNumber: "2", Organisation: "Acute", StaffGroup: "Admin", Row: 3},
	}
	ex := NewExemptions([]Exemption{
		{EmployeeNumber: "1", Reason: "Sickness", From: d("2026-04-01"), Until: d("2026-08-15")},
		{EmployeeNumber: "2", Reason: "Maternity", From: d("2026-08-01")},
	})
	midQuarter := p.Evaluate(staff, nil, ex, d("2026-08-10"))
	end := p.Evaluate(staff, nil, ex, d("2026-09-30"))
	_, totalMid := Aggregate(midQuarter)
	_, totalEnd := Aggregate(end)
	if totalMid.Headcount != 0 || totalMid.ByStatus[Exempt] != 2 {
		t.Errorf("10 August: headcount %d, exempt %d; want 0 and 2", totalMid.Headcount, totalMid.ByStatus[Exempt])
	}
	if totalEnd.Headcount != 1 || totalEnd.Level(Basic).Required != 1 || end[0].Status != Never || end[1].Status != Exempt {
		t.Errorf("30 September: headcount %d, statuses %s %s; want 1, never, exempt", totalEnd.Headcount, end[0].Status, end[1].Status)
	}
}

func TestAggregateByLeavesOutWhoDoesNotCount(t *testing.T) {
	people := []Person{
		{EmployeeNumber: "1", Organisation: "Acute", OrgLevels: &[6]string{2: "Ward 1"}, Requirement: Basic, Status: Compliant},
		{EmployeeNumber: "2", Organisation: "Acute", OrgLevels: &[6]string{2: "Ward 1"}, Requirement: Level3, Status: Expired},
		{EmployeeNumber: "3", Organisation: "Acute", OrgLevels: &[6]string{2: "Ward 2"}, Requirement: Basic, Status: Exempt},
		{EmployeeNumber: "4", Organisation: "Acute", OrgLevels: &[6]string{2: "Ward 2"}, Requirement: Basic, Status: NewStarter},
		{EmployeeNumber: "5", Organisation: "Community", Requirement: Basic, Status: DueSoon, LineManager: "m@x"},
	}
	groups, total := AggregateBy(people, OrgLevelKey(4))
	names := []string{}
	for _, g := range groups {
		names = append(names, g.Organisation)
	}
	if len(groups) != 3 || names[0] != "(blank)" || names[1] != "Ward 1" || names[2] != "Ward 2" {
		t.Fatalf("groups %v", names)
	}
	ward2 := groups[2]
	if ward2.Headcount != 0 || ward2.All.Required != 0 || ward2.ByStatus[Exempt] != 1 || ward2.ByStatus[NewStarter] != 1 {
		t.Errorf("a ward of exempt people and new starters: %+v", ward2)
	}
	if _, ok := ward2.All.Pct10(); ok {
		t.Errorf("a group with nobody required has no rate")
	}
	orgs, orgTotal := Aggregate(people)
	if total.Headcount != 3 || orgTotal.Headcount != 3 || total.All != orgTotal.All {
		t.Errorf("totals by org_l4 %+v and by organisation %+v differ", total.All, orgTotal.All)
	}
	sum := Tally{}
	for _, g := range groups {
		sum.Required += g.All.Required
		sum.Compliant += g.All.Compliant
	}
	if sum != total.All || len(orgs) != 2 {
		t.Errorf("org_l4 groups add up to %+v, total %+v", sum, total.All)
	}
	byManager, _ := AggregateBy(people, ByManager)
	if byManager[0].Organisation != "(blank)" || byManager[1].Organisation != "m@x" || byManager[1].Headcount != 1 {
		t.Errorf("by manager: %s %s", byManager[0].Organisation, byManager[1].Organisation)
	}
	if _, err := ParseGroupKey("org_l8"); err == nil {
		t.Error("org_l8 accepted")
	}
}

func TestRAG(t *testing.T) {
	tests := []struct {
		name                string
		compliant, required int
		want                string
	}{
		{"nobody required has no colour", 0, 0, ""},
		{"below red_below is red", 74, 100, "red"},
		{"exactly red_below is amber", 75, 100, "amber"},
		{"just below the threshold is amber", 84, 100, "amber"},
		{"exactly the threshold is green", 85, 100, "green"},
		{"on the exact ratio, not the rounded percentage: 0.8499 is amber", 8499, 10000, "amber"},
		{"none compliant is red", 0, 3, "red"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Tally{Required: tt.required, Compliant: tt.compliant}).RAG(0.85, 0.75); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := (Tally{Required: 10, Compliant: 1}).RAG(0.85, 0); got != "" {
		t.Errorf("no bands configured coloured %q", got)
	}
}

func TestAnnualUpdate(t *testing.T) {
	p := contractPolicy()
	p.Courses = append([]CourseRule{}, p.Courses...)
	p.AnnualUpdate = &AnnualUpdate{Months: 12, Levels: []Level{Level3, FaceToFace}, Courses: set("*Prevent*Update*")}
	nurse := Assignment{StaffGroup: "Nursing and Midwifery Registered"}
	l3 := func(on string) Completion { return Completion{Course: "Prevent Level 3", CompletedOn: d(on)} }
	update := func(on string) Completion { return Completion{Course: "Prevent Annual Update", CompletedOn: d(on)} }
	tests := []struct {
		name   string
		a      Assignment
		done   []Completion
		asOf   string
		due    bool
		status Status
	}{
		{"29 February plus 12 months is 28 February: not yet due that day", nurse, []Completion{l3("2024-02-29")}, "2025-02-28", false, Compliant},
		{"due the day after", nurse, []Completion{l3("2024-02-29")}, "2025-03-01", true, Compliant},
		{"an update renews it", nurse, []Completion{l3("2024-02-29"), update("2025-06-01")}, "2026-01-01", false, Compliant},
		{"an update after the as-of date does not", nurse, []Completion{l3("2024-02-29"), update("2026-06-01")}, "2026-01-01", true, Compliant},
		{"nothing at all is due", nurse, nil, "2026-01-01", true, Never},
		{"an update alone does not count for the three-yearly measure", nurse, []Completion{update("2025-06-01")}, "2026-01-01", false, Never},
		{"a lower level's completion is not a qualifying completion", nurse, []Completion{awareness("2025-12-01"), l3("2023-01-01")}, "2026-01-02", true, Expired},
		{"levels not listed are never due", Assignment{}, []Completion{awareness("2020-01-01")}, "2026-01-01", false, Expired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := one(p, tt.a, tt.done, nil, tt.asOf)
			if got.UpdateDue != tt.due || got.Status != tt.status {
				t.Errorf("update_due %v status %s, want %v %s", got.UpdateDue, got.Status, tt.due, tt.status)
			}
		})
	}
	t.Run("only people counted are considered", func(t *testing.T) {
		ex := NewExemptions([]Exemption{{EmployeeNumber: "100", From: d("2025-01-01")}})
		got := one(p, nurse, nil, ex, "2026-01-01")
		if got.UpdateDue || got.Status != Exempt {
			t.Errorf("update_due %v status %s", got.UpdateDue, got.Status)
		}
		_, total := Aggregate([]Person{got})
		if total.AllUpdateDue != 0 {
			t.Errorf("counted %d", total.AllUpdateDue)
		}
	})
	t.Run("the summary counts update_due per level, outside the figures", func(t *testing.T) {
		a := one(p, nurse, []Completion{l3("2024-02-29")}, nil, "2025-06-01")
		_, total := Aggregate([]Person{a})
		if total.UpdateDue[Level3] != 1 || total.AllUpdateDue != 1 || total.Level(Level3).Compliant != 1 {
			t.Errorf("update_due %v, level 3 %+v", total.UpdateDue, total.Level(Level3))
		}
	})
}

func TestAddMonths(t *testing.T) {
	for _, tt := range []struct{ from, want string }{
		{"2024-02-29", "2025-02-28"}, {"2023-01-31", "2024-01-31"}, {"2024-03-15", "2025-03-15"},
	} {
		if got := AddMonths(d(tt.from), 12); !got.Equal(d(tt.want)) {
			t.Errorf("%s + 12 months = %s, want %s", tt.from, got.Format(time.DateOnly), tt.want)
		}
	}
	if got := AddMonths(d("2025-01-31"), 1); !got.Equal(d("2025-02-28")) {
		t.Errorf("31 January + 1 month = %s", got.Format(time.DateOnly))
	}
}

func TestForecastLeavesOutWhoDoesNotCount(t *testing.T) {
	people := []Person{
		{Requirement: Basic, Status: Compliant, DueDate: d("2027-06-01")},
		{Requirement: Basic, Status: Exempt, DueDate: d("2027-06-01")},
		{Requirement: Basic, Status: NewStarter},
	}
	fs := Forecasts(people, d("2026-09-30"), 0.85, 3)
	if fs[0].Now.Required != 1 || fs[0].Months[0].Tally.Required != 1 {
		t.Errorf("forecast counts %+v", fs[0].Now)
	}
}
