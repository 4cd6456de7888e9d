package compliance

import (
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/glob"
)

func d(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func set(patterns ...string) glob.Set {
	s, err := glob.CompileSet(patterns)
	if err != nil {
		panic(err)
	}
	return s
}

// contractPolicy is the config example of the contract.
func contractPolicy() Policy {
	p := DefaultPolicy()
	p.Requirements = []Rule{
		{Level: FaceToFace, Match: map[Field]glob.Set{FieldJobRole: set("Safeguarding*", "Prevent Lead")}},
		{Level: Level3, Match: map[Field]glob.Set{FieldStaffGroup: set("Medical and Dental", "Nursing and Midwifery Registered")}},
		{Level: Level3, Match: map[Field]glob.Set{FieldStaffGroup: set("Allied Health Professionals"), FieldOrganisation: set("*Mental Health*")}},
	}
	p.Courses = []CourseRule{
		{Level: FaceToFace, Match: set("*WRAP*", "*Face to Face*")},
		{Level: Level3, Match: set("*Prevent*Level 3*")},
		{Level: Basic, Match: set("*Prevent Awareness*")},
	}
	return p
}

func TestDueDate(t *testing.T) {
	tests := []struct {
		name      string
		completed string
		years     int
		want      string
	}{
		{"three years to the day", "2023-11-02", 3, "2026-11-02"},
		{"29 February falls due on 28 February", "2024-02-29", 3, "2027-02-28"},
		{"29 February into a leap year stays 29 February", "2024-02-29", 4, "2028-02-29"},
		{"28 February stays 28 February", "2023-02-28", 3, "2026-02-28"},
		{"31 December", "2023-12-31", 3, "2026-12-31"},
		{"one-year refresher", "2025-03-01", 1, "2026-03-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DueDate(d(tt.completed), tt.years); !got.Equal(d(tt.want)) {
				t.Errorf("DueDate(%s, %d) = %s, want %s", tt.completed, tt.years, got.Format("2006-01-02"), tt.want)
			}
		})
	}
}

func TestStatusOn(t *testing.T) {
	asOf := d("2026-09-30")
	tests := []struct {
		name string
		due  string
		want Status
	}{
		{"due yesterday is expired", "2026-09-29", Expired},
		{"due date equal to as-of is due soon, not expired", "2026-09-30", DueSoon},
		{"due tomorrow is due soon", "2026-10-01", DueSoon},
		{"exactly 90 days ahead is due soon", "2026-12-29", DueSoon},
		{"91 days ahead is compliant", "2026-12-30", Compliant},
		{"years ahead is compliant", "2028-01-01", Compliant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatusOn(d(tt.due), asOf, 90); got != tt.want {
				t.Errorf("StatusOn(%s) = %s, want %s", tt.due, got, tt.want)
			}
		})
	}
	t.Run("a zero-day window makes only the as-of day due soon", func(t *testing.T) {
		if got := StatusOn(asOf, asOf, 0); got != DueSoon {
			t.Errorf("got %s", got)
		}
		if got := StatusOn(asOf.AddDate(0, 0, 1), asOf, 0); got != Compliant {
			t.Errorf("got %s", got)
		}
	})
}

func TestRequirement(t *testing.T) {
	p := contractPolicy()
	tests := []struct {
		name     string
		a        Assignment
		want     Level
		wantRule int
	}{
		{"safeguarding lead is face to face", Assignment{JobRole: "Safeguarding Lead Adults", StaffGroup: "Nursing and Midwifery Registered"}, FaceToFace, 0},
		{"first matching rule wins over a later one", Assignment{JobRole: "Prevent Lead", StaffGroup: "Administrative and Clerical"}, FaceToFace, 0},
		{"registered nurse is level 3", Assignment{StaffGroup: "Nursing and Midwifery Registered", JobRole: "Staff Nurse"}, Level3, 1},
		{"matching ignores case and extra spaces", Assignment{StaffGroup: "  medical AND   dental "}, Level3, 1},
		{"AHP in mental health is level 3 (both fields must match)", Assignment{StaffGroup: "Allied Health Professionals", Organisation: "RXX Mental Health Division"}, Level3, 2},
		{"AHP elsewhere falls to basic", Assignment{StaffGroup: "Allied Health Professionals", Organisation: "RXX Surgery"}, Basic, -1},
		{"no rule matches: basic", Assignment{StaffGroup: "Estates and Ancillary", JobRole: "Porter"}, Basic, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rule := p.Requirement(&tt.a)
			if got != tt.want || rule != tt.wantRule {
				t.Errorf("Requirement = %s (rule %d), want %s (rule %d)", got, rule, tt.want, tt.wantRule)
			}
		})
	}
}

func TestCourseLevel(t *testing.T) {
	p := contractPolicy()
	tests := []struct {
		course string
		want   Level
	}{
		{"Preventing Radicalisation - Basic Prevent Awareness", Basic},
		{"NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|", Basic},
		{"Preventing Radicalisation - Prevent Level 3", Level3},
		{"PREVENT   level 3 e-learning", Level3},
		{"Prevent WRAP Face to Face Session", FaceToFace},
		{"Infection Prevention and Control", LevelNone},
		{"Fire Safety", LevelNone},
	}
	for _, tt := range tests {
		t.Run(tt.course, func(t *testing.T) {
			if got := p.CourseLevel(tt.course); got != tt.want {
				t.Errorf("CourseLevel(%q) = %s, want %s", tt.course, got, tt.want)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	p := contractPolicy()
	asOf := d("2026-09-30")
	nurse := Assignment{EmployeeNumber: "100", Name: "Nurse One", Organisation: "Acute", StaffGroup: "Nursing and Midwifery Registered", Row: 2}
	porter := Assignment{EmployeeNumber: "200", Name: "Porter Two", Organisation: "Estates", StaffGroup: "Estates and Ancillary", Row: 3}
	lead := Assignment{EmployeeNumber: "300", Name: "Lead Three", Organisation: "Corporate", JobRole: "Prevent Lead", Row: 4}
	basic := "Preventing Radicalisation - Basic Prevent Awareness"
	l3 := "Preventing Radicalisation - Prevent Level 3"
	wrap := "WRAP Face to Face"

	tests := []struct {
		name        string
		staff       []Assignment
		completions []Completion
		want        Person // the first person's expected fields
	}{
		{
			name:  "no completion is never",
			staff: []Assignment{porter},
			want:  Person{EmployeeNumber: "200", Requirement: Basic, Status: Never},
		},
		{
			name:        "a lower level does not satisfy a higher requirement",
			staff:       []Assignment{nurse},
			completions: []Completion{{EmployeeNumber: "100", Course: basic, CompletedOn: d("2025-01-01")}},
			want:        Person{EmployeeNumber: "100", Requirement: Level3, Status: Never},
		},
		{
			name:        "a higher level satisfies a lower requirement",
			staff:       []Assignment{porter},
			completions: []Completion{{EmployeeNumber: "200", Course: wrap, CompletedOn: d("2025-01-01")}},
			want:        Person{EmployeeNumber: "200", Requirement: Basic, Status: Compliant, CompletedOn: d("2025-01-01"), DueDate: d("2028-01-01")},
		},
		{
			name:  "the latest qualifying completion counts",
			staff: []Assignment{nurse},
			completions: []Completion{
				{EmployeeNumber: "100", Course: l3, CompletedOn: d("2020-01-01")},
				{EmployeeNumber: "100", Course: l3, CompletedOn: d("2024-06-01")},
				{EmployeeNumber: "100", Course: basic, CompletedOn: d("2026-01-01")},
			},
			want: Person{EmployeeNumber: "100", Requirement: Level3, Status: Compliant, CompletedOn: d("2024-06-01"), DueDate: d("2027-06-01")},
		},
		{
			name:  "a completion after the as-of date does not count yet",
			staff: []Assignment{porter},
			completions: []Completion{
				{EmployeeNumber: "200", Course: basic, CompletedOn: d("2022-01-01")},
				{EmployeeNumber: "200", Course: basic, CompletedOn: d("2026-10-01")},
			},
			want: Person{EmployeeNumber: "200", Requirement: Basic, Status: Expired, CompletedOn: d("2022-01-01"), DueDate: d("2025-01-01")},
		},
		{
			name:        "a completion on the as-of date counts",
			staff:       []Assignment{porter},
			completions: []Completion{{EmployeeNumber: "200", Course: basic, CompletedOn: d("2026-09-30")}},
			want:        Person{EmployeeNumber: "200", Requirement: Basic, Status: Compliant, CompletedOn: d("2026-09-30"), DueDate: d("2029-09-30")},
		},
		{
			name:        "due date equal to the as-of date is due soon",
			staff:       []Assignment{porter},
			completions: []Completion{{EmployeeNumber: "200", Course: basic, CompletedOn: d("2023-09-30")}},
			want:        Person{EmployeeNumber: "200", Requirement: Basic, Status: DueSoon, CompletedOn: d("2023-09-30"), DueDate: d("2026-09-30")},
		},
		{
			name:        "due the day before the as-of date is expired",
			staff:       []Assignment{porter},
			completions: []Completion{{EmployeeNumber: "200", Course: basic, CompletedOn: d("2023-09-29")}},
			want:        Person{EmployeeNumber: "200", Requirement: Basic, Status: Expired, CompletedOn: d("2023-09-29"), DueDate: d("2026-09-29")},
		},
		{
			name:        "unmapped courses are ignored",
			staff:       []Assignment{porter},
			completions: []Completion{{EmployeeNumber: "200", Course: "Infection Prevention and Control", CompletedOn: d("2026-01-01")}},
			want:        Person{EmployeeNumber: "200", Requirement: Basic, Status: Never},
		},
		{
			name:        "face to face lead with only level 3 is never",
			staff:       []Assignment{lead},
			completions: []Completion{{EmployeeNumber: "300", Course: l3, CompletedOn: d("2026-01-01")}},
			want:        Person{EmployeeNumber: "300", Requirement: FaceToFace, Status: Never},
		},
		{
			name: "several assignments: the highest requirement, organisation from the primary",
			staff: []Assignment{
				{EmployeeNumber: "400", Name: "Bank Name", Organisation: "Bank Office", StaffGroup: "Additional Clinical Services", Row: 2},
				{EmployeeNumber: "400", Name: "Main Name", Organisation: "Acute", StaffGroup: "Nursing and Midwifery Registered", Primary: true, Row: 3},
			},
			completions: []Completion{{EmployeeNumber: "400", Course: basic, CompletedOn: d("2026-01-01")}},
			want:        Person{EmployeeNumber: "400", Name: "Main Name", Organisation: "Acute", Requirement: Level3, Status: Never},
		},
		{
			name:        "employee numbers match without the leading zeros a spreadsheet dropped",
			staff:       []Assignment{{EmployeeNumber: "00123456", StaffGroup: "Estates and Ancillary", Row: 2}},
			completions: []Completion{{EmployeeNumber: "123456", Course: basic, CompletedOn: d("2026-01-01")}},
			want:        Person{EmployeeNumber: "00123456", Requirement: Basic, Status: Compliant, CompletedOn: d("2026-01-01"), DueDate: d("2029-01-01")},
		},
		{
			name: "no primary: organisation from the first row in file order",
			staff: []Assignment{
				{EmployeeNumber: "500", Name: "Second", Organisation: "Later", Row: 9},
				{EmployeeNumber: "500", Name: "First", Organisation: "Earlier", Row: 2},
			},
			want: Person{EmployeeNumber: "500", Name: "First", Organisation: "Earlier", Requirement: Basic, Status: Never},
		},
		{
			name: "several primaries: the first in file order",
			staff: []Assignment{
				{EmployeeNumber: "600", Name: "B", Organisation: "Org B", Primary: true, Row: 5},
				{EmployeeNumber: "600", Name: "A", Organisation: "Org A", Primary: true, Row: 3},
			},
			want: Person{EmployeeNumber: "600", Name: "A", Organisation: "Org A", Requirement: Basic, Status: Never},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			people := p.Evaluate(tt.staff, tt.completions, nil, asOf)
			if len(people) == 0 {
				t.Fatal("no people")
			}
			got := people[0]
			w := tt.want
			if got.EmployeeNumber != w.EmployeeNumber || got.Requirement != w.Requirement || got.Status != w.Status ||
				!got.CompletedOn.Equal(w.CompletedOn) || !got.DueDate.Equal(w.DueDate) {
				t.Errorf("got %s %s %s completed %s due %s; want %s %s %s completed %s due %s",
					got.EmployeeNumber, got.Requirement, got.Status, got.CompletedOn.Format("2006-01-02"), got.DueDate.Format("2006-01-02"),
					w.EmployeeNumber, w.Requirement, w.Status, w.CompletedOn.Format("2006-01-02"), w.DueDate.Format("2006-01-02"))
			}
			if w.Organisation != "" && (got.Organisation != w.Organisation || got.Name != w.Name) {
				t.Errorf("got organisation %q name %q, want %q %q", got.Organisation, got.Name, w.Organisation, w.Name)
			}
		})
	}
}

func TestWorkforce(t *testing.T) {
	p := contractPolicy()
	p.Exclude = set("Terminate*", "Suspend Assignment")
	staff := []Assignment{
		{EmployeeNumber: "9", StaffGroup: "Estates and Ancillary", AssignmentStatus: "Active Assignment", Row: 2},
		{EmployeeNumber: "10", StaffGroup: "Nursing and Midwifery Registered", AssignmentStatus: "Terminate Assignment", Row: 3},
		{EmployeeNumber: "10", StaffGroup: "Estates and Ancillary", AssignmentStatus: "Active Assignment", Row: 4},
		{EmployeeNumber: "11", StaffGroup: "Nursing and Midwifery Registered", AssignmentStatus: "suspend   assignment", Row: 5},
	}
	people := p.Workforce(staff)

	t.Run("a leaver with no counted assignment is not in the workforce", func(t *testing.T) {
		for _, per := range people {
			if per.EmployeeNumber == "11" {
				t.Errorf("person 11 has only an excluded assignment but was counted")
			}
		}
	})
	t.Run("an excluded assignment does not set the requirement", func(t *testing.T) {
		for _, per := range people {
			if per.EmployeeNumber == "10" && per.Requirement != Basic {
				t.Errorf("person 10 requirement %s, want basic (level3 came from a terminated assignment)", per.Requirement)
			}
		}
	})
	t.Run("people are sorted by employee number as text", func(t *testing.T) {
		if len(people) != 2 || people[0].EmployeeNumber != "10" || people[1].EmployeeNumber != "9" {
			t.Errorf("got %+v", people)
		}
	})
	t.Run("a new starter with no training is never", func(t *testing.T) {
		got := p.Evaluate(staff[:1], nil, nil, d("2026-09-30"))
		if got[0].Status != Never {
			t.Errorf("status %s", got[0].Status)
		}
	})
}

func TestAggregate(t *testing.T) {
	people := []Person{
		{EmployeeNumber: "1", Organisation: "B", Requirement: Basic, Status: Compliant},
		{EmployeeNumber: "2", Organisation: "B", Requirement: Basic, Status: DueSoon},
		{EmployeeNumber: "3", Organisation: "B", Requirement: Level3, Status: Expired},
		{EmployeeNumber: "4", Organisation: "A", Requirement: FaceToFace, Status: Never},
		{EmployeeNumber: "5", Organisation: "A", Requirement: Basic, Status: Compliant},
	}
	orgs, total := Aggregate(people)
	t.Run("organisations are sorted", func(t *testing.T) {
		if len(orgs) != 2 || orgs[0].Organisation != "A" || orgs[1].Organisation != "B" {
			t.Fatalf("got %v", orgs)
		}
	})
	t.Run("due soon counts as compliant", func(t *testing.T) {
		if b := orgs[1].Level(Basic); b.Required != 2 || b.Compliant != 2 {
			t.Errorf("B basic %+v", b)
		}
	})
	t.Run("total counts everyone once", func(t *testing.T) {
		if total.Headcount != 5 || total.All.Required != 5 || total.All.Compliant != 3 {
			t.Errorf("total %+v", total.All)
		}
		if total.ByStatus[Never] != 1 || total.ByStatus[Expired] != 1 {
			t.Errorf("by status %v", total.ByStatus)
		}
	})
	t.Run("threshold needs every level with anyone required", func(t *testing.T) {
		if orgs[1].MeetsThreshold(0.85) {
			t.Errorf("B has level3 0/1 but meets the threshold")
		}
		only := []Person{{Organisation: "C", Requirement: Basic, Status: Compliant}}
		o, _ := Aggregate(only)
		if !o[0].MeetsThreshold(0.85) {
			t.Errorf("C has basic 1/1 and no other level required but does not meet the threshold")
		}
	})
}

func TestTally(t *testing.T) {
	tests := []struct {
		name       string
		compliant  int
		required   int
		wantTenths int
		wantOK     bool
		meets      bool
	}{
		{"nobody required: empty percentage", 0, 0, 0, false, true},
		{"17 of 20 is exactly 85.0 and meets", 17, 20, 850, true, true},
		{"half up: 1 of 8 is 12.5", 1, 8, 125, true, false},
		{"half up: 1 of 16 is 6.25 -> 6.3", 1, 16, 63, true, false},
		{"2 of 3 is 66.7", 2, 3, 667, true, false},
		{"just below: 849 of 1000 is 84.9", 849, 1000, 849, true, false},
		{"rounding up to 85.0 does not meet: 84.96%", 8496, 10000, 850, true, false},
		{"all compliant is 100.0", 7, 7, 1000, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := Tally{Required: tt.required, Compliant: tt.compliant}
			got, ok := tl.Pct10()
			if got != tt.wantTenths || ok != tt.wantOK {
				t.Errorf("Pct10 = %d, %v; want %d, %v", got, ok, tt.wantTenths, tt.wantOK)
			}
			if m := tl.Meets(0.85); m != tt.meets {
				t.Errorf("Meets(0.85) = %v, want %v", m, tt.meets)
			}
		})
	}
}

func TestEmployeeKey(t *testing.T) {
	for in, want := range map[string]string{"00123456": "123456", "12345678": "12345678", "0000": "0", "": "", "A0123": "A0123", "0012-3": "0012-3"} {
		if got := EmployeeKey(in); got != want {
			t.Errorf("EmployeeKey(%q) = %q, want %q", in, got, want)
		}
	}
}
