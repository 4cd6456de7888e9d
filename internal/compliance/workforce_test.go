package compliance

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// workforceBySort is Workforce as it was first written: every counted
// assignment sorted by employee number and file order, then each run of
// one person's assignments folded into a Person. The builder must agree
// with it whatever order the assignments arrive in.
func workforceBySort(p *Policy, assignments []Assignment) []Person {
	var rows []*Assignment
	for i := range assignments {
		if p.Counted(&assignments[i]) {
			rows = append(rows, &assignments[i])
		}
	}
	slices.SortStableFunc(rows, func(a, b *Assignment) int {
		if c := strings.Compare(a.EmployeeNumber, b.EmployeeNumber); c != 0 {
			return c
		}
		return cmp.Compare(a.Row, b.Row)
	})
	var people []Person
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].EmployeeNumber == rows[i].EmployeeNumber {
			j++
		}
		group := rows[i:j]
		main := group[0]
		for _, a := range group {
			if a.Primary {
				main = a
				break
			}
		}
		per := Person{EmployeeNumber: main.EmployeeNumber, Name: main.Name, Organisation: main.Organisation,
			StaffGroup: main.StaffGroup, JobRole: main.JobRole, Email: main.Email, ManagerEmail: main.ManagerEmail,
			LineManager: main.ManagerEmail,
			Requirement: LevelNone, RequirementRule: -1, Assignments: len(group)}
		if main.OrgLevels != ([6]string{}) {
			levels := main.OrgLevels
			per.OrgLevels = &levels
		}
		for _, a := range group {
			if !a.StartDate.IsZero() && (per.StartDate.IsZero() || a.StartDate.Before(per.StartDate)) {
				per.StartDate = a.StartDate
			}
			if per.Email == "" && a.Email != "" {
				per.Email = a.Email
			}
			if per.ManagerEmail == "" && a.ManagerEmail != "" {
				per.ManagerEmail = a.ManagerEmail
			}
			if lvl, rule := p.Requirement(a); lvl > per.Requirement {
				per.Requirement, per.RequirementRule, per.RequirementRow = lvl, rule, a.Row
			}
		}
		people = append(people, per)
		i = j
	}
	return people
}

func TestWorkforceBuilderAgreesWithSorting(t *testing.T) {
	p := contractPolicy()
	p.Exclude = set("Terminate*")
	emps := []string{"1", "01", "001", "10", "9", "99", "100", "123456789012345678", "1234567890123456789",
		"0000000000000000000001", "E123", "", "00", "0", "20000001", "20000002"}
	groups := []string{"Medical and Dental", "Estates and Ancillary", "Allied Health Professionals", "Nursing and Midwifery Registered"}
	roles := []string{"Staff", "Safeguarding Lead", "Porter"}
	orgs := []string{"RXX Acute", "RXX Mental Health", ""}
	emails := []string{"", "", "a@nhs.net", "b@nhs.net"}
	statuses := []string{"Active Assignment", "Active Assignment", "Terminate Assignment"}
	rng := rand.New(rand.NewPCG(9, 9))
	for round := range 500 {
		n := 1 + rng.IntN(40)
		staff := make([]Assignment, n)
		for i := range staff {
			staff[i] = Assignment{
				EmployeeNumber: emps[rng.IntN(len(emps))], Name: fmt.Sprintf("Person %d", i),
				Organisation: orgs[rng.IntN(len(orgs))], StaffGroup: groups[rng.IntN(len(groups))],
				JobRole: roles[rng.IntN(len(roles))], AssignmentStatus: statuses[rng.IntN(len(statuses))],
				Email: emails[rng.IntN(len(emails))], ManagerEmail: emails[rng.IntN(len(emails))],
				Primary: rng.IntN(3) == 0, Row: 2 + rng.IntN(3*n), // rows may repeat: the first added wins
			}
			if k := rng.IntN(4); k > 0 { // a blank start date one time in four
				staff[i].StartDate = Date(2026, 1, k*7)
			}
			staff[i].OrgLevels[2] = orgs[rng.IntN(len(orgs))]
		}
		want := workforceBySort(&p, staff)
		if got := p.Workforce(staff); !samePeople(got, want) {
			t.Fatalf("round %d: in file order\n got %+v\nwant %+v", round, got, want)
		}
		// Any arrival order gives the same people, once rows are distinct.
		for i := range staff {
			staff[i].Row = 2 + i
		}
		want = workforceBySort(&p, staff)
		shuffled := slices.Clone(staff)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		b := p.NewWorkforce(0)
		for i := range shuffled {
			b.Add(&shuffled[i])
		}
		if got := b.People(); !samePeople(got, want) {
			t.Fatalf("round %d: shuffled\n got %+v\nwant %+v", round, got, want)
		}
	}
}

// samePeople is reflect.DeepEqual with no people, nil or not, alike.
func samePeople(a, b []Person) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

func TestEmployeeIndex(t *testing.T) {
	x := NewEmployeeIndex(0)
	keys := []string{"0", "00", "000", "1", "01", "001", "10", "0000000000000001", "00000000000000001",
		"123456789012345678", "0123456789012345678", "1234567890123456789", "99999999999999999999",
		"E123", "12a", " 12", "-1", "é"}
	for i, k := range keys {
		x.Put(k, int32(i))
	}
	if x.Len() != len(keys) {
		t.Fatalf("%d keys held, want %d: two numbers collided", x.Len(), len(keys))
	}
	for i, k := range keys {
		if v, ok := x.Get(k); !ok || v != int32(i) {
			t.Errorf("Get(%q) = %d, %v; want %d", k, v, ok, i)
		}
		if v, ok := x.GetBytes([]byte(k)); !ok || v != int32(i) {
			t.Errorf("GetBytes(%q) = %d, %v; want %d", k, v, ok, i)
		}
	}
	for _, k := range []string{"", "0000", "2", "010", "E12"} {
		if v, ok := x.Get(k); ok {
			t.Errorf("Get(%q) = %d, never put", k, v)
		}
	}
	seen := map[string]int32{}
	x.All(func(emp string, pos int32) { seen[emp] = pos })
	for i, k := range keys {
		if seen[k] != int32(i) {
			t.Errorf("All gave %q -> %d, want %d", k, seen[k], i)
		}
	}
}

func TestSortByEmployee(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	digits := "0123456789AZaz\x00é"
	for range 200 {
		people := make([]Person, rng.IntN(60))
		used := map[string]bool{}
		for i := range people {
			for {
				b := make([]byte, rng.IntN(14))
				for j := range b {
					b[j] = digits[rng.IntN(len(digits))]
				}
				if !used[string(b)] {
					used[string(b)] = true
					people[i].EmployeeNumber = string(b)
					break
				}
			}
			people[i].RequirementRow = i
		}
		want := slices.Clone(people)
		slices.SortFunc(want, func(a, b Person) int { return strings.Compare(a.EmployeeNumber, b.EmployeeNumber) })
		sortByEmployee(people)
		if !reflect.DeepEqual(people, want) {
			t.Fatalf("sorted\n%+v\nwant\n%+v", people, want)
		}
	}
}

// A workforce large enough to be assessed on several cores at once is
// assessed as one person after another would be.
func TestAssessAllInParts(t *testing.T) {
	staff, done := benchWorkforce(120_000)
	p := contractPolicy()
	asOf := Date(2026, 9, 30)
	idx := p.NewTrainingIndex(0)
	for _, c := range done {
		idx.Add(c)
	}
	want := p.Workforce(staff)
	for i := range want {
		p.Assess(&want[i], idx.Of(want[i].EmployeeNumber), nil, asOf)
	}
	got := p.Workforce(staff)
	p.AssessAll(got, idx, nil, asOf)
	if !reflect.DeepEqual(got, want) {
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("person %d: got %+v, want %+v", i, got[i], want[i])
			}
		}
	}
	statuses := map[Status]int{}
	for _, per := range got {
		statuses[per.Status]++
	}
	if len(statuses) < 3 {
		t.Errorf("statuses %v: the workforce should mix them", statuses)
	}
}
