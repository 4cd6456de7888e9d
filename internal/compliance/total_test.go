package compliance

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// wholeTotal is the total the long way: every person built, assessed and
// aggregated.
func wholeTotal(p *Policy, staff []Assignment, src TrainingSource, ex *Exemptions, asOf time.Time) *Summary {
	_, total := wholeFigures(p, staff, src, ex, asOf, ByOrganisation)
	return total
}

// wholeFigures is wholeTotal with the groups by the key.
func wholeFigures(p *Policy, staff []Assignment, src TrainingSource, ex *Exemptions, asOf time.Time, by GroupKey) ([]*Summary, *Summary) {
	people := p.Workforce(staff)
	p.AssessAll(people, src, ex, asOf)
	return AggregateBy(people, by)
}

func TestTotalAgreesWithAggregate(t *testing.T) {
	p := contractPolicy()
	p.Exclude = set("Terminate*")
	p.NewStarterDays = 60
	p.AnnualUpdate = &AnnualUpdate{Months: 12, Levels: []Level{Level3, FaceToFace}, Courses: set("*Update*")}
	p.Courses = append(p.Courses, CourseRule{Level: Level3, Match: set("*Level 3 Update*")})
	emps := []string{"1", "01", "10", "9", "99", "100", "E123", "", "00", "0", "20000001", "20000002", "0020000001",
		"123456789012345678", "0123456789012345678", "1234567890123456789", "256", "65536", "4294967296"}
	groups := []string{"Medical and Dental", "Estates and Ancillary", "Allied Health Professionals", "Nursing and Midwifery Registered"}
	roles := []string{"Staff", "Safeguarding Lead", "Porter"}
	orgs := []string{"RXX Acute", "RXX Mental Health", ""}
	statuses := []string{"Active Assignment", "Active Assignment", "Terminate Assignment"}
	courses := []string{"Prevent Awareness", "Prevent Level 3", "WRAP", "Prevent Level 3 Update", "Fire Safety"}
	rng := rand.New(rand.NewPCG(18, 4))
	day := func() time.Time { return Date(2022, 1, 1).AddDate(0, 0, rng.IntN(5*365)) }
	for round := range 500 {
		staff := make([]Assignment, 1+rng.IntN(40))
		for i := range staff {
			staff[i] = Assignment{
				EmployeeNumber: emps[rng.IntN(len(emps))], Organisation: orgs[rng.IntN(len(orgs))],
				StaffGroup: groups[rng.IntN(len(groups))], JobRole: roles[rng.IntN(len(roles))],
				AssignmentStatus: statuses[rng.IntN(len(statuses))], Primary: rng.IntN(3) == 0, Row: 2 + rng.IntN(len(staff)+1),
				ManagerEmail: []string{"", "boss@nhs.net", "chief@nhs.net"}[rng.IntN(3)], // rows may repeat: the first added wins
			}
			staff[i].OrgLevels[1] = []string{"", "Medicine", "Surgery", "(blank)"}[rng.IntN(4)]
			if rng.IntN(4) > 0 { // a blank start date one time in four
				staff[i].StartDate = day()
			}
		}
		idx := p.NewTrainingIndex(0)
		for range rng.IntN(60) {
			idx.Add(Completion{EmployeeNumber: emps[rng.IntN(len(emps))], Course: courses[rng.IntN(len(courses))], CompletedOn: day()})
		}
		var list []Exemption
		for range rng.IntN(4) {
			e := Exemption{EmployeeNumber: emps[rng.IntN(len(emps))], Reason: "Leave", From: day()}
			if rng.IntN(2) == 0 {
				e.Until = e.From.AddDate(0, 0, rng.IntN(200))
			}
			list = append(list, e)
		}
		ex := NewExemptions(list)
		shuffled := slices.Clone(staff)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		b := p.NewTotal(0)
		for i := range shuffled {
			b.Add(&shuffled[i])
		}
		// By kind: the rule and group fields' values numbered as they
		// first come.
		keys := []GroupKey{ByOrganisation, ByStaffGroup, ByManager, OrgLevelKey(3), "unknown"}
		byKind := p.NewTotal(0)
		byKeyAndKind := make([]*TotalBuilder, len(keys))
		for k, key := range keys {
			byKeyAndKind[k] = p.NewTotalBy(0, key)
		}
		kinds := map[Assignment]int{}
		for i := range shuffled {
			a := &shuffled[i]
			values := Assignment{Organisation: a.Organisation, StaffGroup: a.StaffGroup, JobRole: a.JobRole,
				AssignmentStatus: a.AssignmentStatus, ManagerEmail: a.ManagerEmail, OrgLevels: a.OrgLevels}
			k, ok := kinds[values]
			if !ok {
				k = len(kinds)
				kinds[values] = k
			}
			row := &Assignment{StartDate: a.StartDate, Row: a.Row, Primary: a.Primary}
			byKind.AddKind([]byte(a.EmployeeNumber), row, k, &values)
			for _, b := range byKeyAndKind {
				b.AddKind([]byte(a.EmployeeNumber), row, k, &values)
			}
		}
		b.Done()
		byKey := make([]*TotalBuilder, len(keys))
		for k, key := range keys {
			byKey[k] = p.NewTotalBy(0, key)
			for i := range shuffled {
				byKey[k].Add(&shuffled[i])
			}
		}
		// One builder, several dates.
		for _, asOf := range []time.Time{Date(2026, 9, 30), Date(2025, 12, 31), day()} {
			for k, key := range keys {
				// As the builder met them: of two assignments with the same row, the first added is first.
				wantGroups, wantTotal := wholeFigures(&p, shuffled, idx, ex, asOf, key)
				if groups, total := byKey[k].Figures(idx, ex, asOf); !reflect.DeepEqual(groups, wantGroups) || !reflect.DeepEqual(total, wantTotal) {
					t.Fatalf("round %d on %s by %s:\n got %s\nwant %s", round, asOf.Format(time.DateOnly), key, figuresString(groups, total), figuresString(wantGroups, wantTotal))
				}
				if groups, total := byKeyAndKind[k].Figures(idx, ex, asOf); !reflect.DeepEqual(groups, wantGroups) || !reflect.DeepEqual(total, wantTotal) {
					t.Fatalf("round %d on %s by %s, by kind:\n got %s\nwant %s", round, asOf.Format(time.DateOnly), key, figuresString(groups, total), figuresString(wantGroups, wantTotal))
				}
			}
			want := wholeTotal(&p, staff, idx, ex, asOf)
			if got := b.Total(idx, ex, asOf); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d on %s:\n got %+v\nwant %+v", round, asOf.Format(time.DateOnly), got, want)
			}
			if got := byKind.Total(idx, ex, asOf); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d on %s, by kind:\n got %+v\nwant %+v", round, asOf.Format(time.DateOnly), got, want)
			}
		}
	}
}

func figuresString(groups []*Summary, total *Summary) string {
	s := ""
	for _, g := range append(groups, total) {
		s += fmt.Sprintf("\n  %s: %d %+v %v", g.Organisation, g.Headcount, g.All, g.ByStatus)
	}
	return s
}

// A workforce large enough to be totalled on several cores at once gives
// the total of one person after another.
func TestTotalInParts(t *testing.T) {
	staff, done := benchWorkforce(120_000)
	p := contractPolicy()
	idx := p.NewTrainingIndex(0)
	for _, c := range done {
		idx.Add(c)
	}
	b := p.NewTotal(0)
	for i := range staff {
		b.Add(&staff[i])
	}
	asOf := Date(2026, 9, 30)
	want := wholeTotal(&p, staff, idx, nil, asOf)
	if got := b.Total(idx, nil, asOf); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if len(want.ByStatus) < 3 {
		t.Errorf("statuses %v: the workforce should mix them", want.ByStatus)
	}
	byOrg := p.NewTotalBy(0, ByStaffGroup)
	for i := range staff {
		byOrg.Add(&staff[i])
	}
	wantGroups, wantTotal := wholeFigures(&p, staff, idx, nil, asOf, ByStaffGroup)
	if groups, total := byOrg.Figures(idx, nil, asOf); !reflect.DeepEqual(groups, wantGroups) || !reflect.DeepEqual(total, wantTotal) {
		t.Fatalf("by staff group: got %s\nwant %s", figuresString(groups, total), figuresString(wantGroups, wantTotal))
	}
	if len(wantGroups) < 2 {
		t.Errorf("%d staff groups: the workforce should have several", len(wantGroups))
	}
}
