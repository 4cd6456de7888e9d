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

// The integers' table agrees with a map through growth from empty and
// from a size hint, overwrites, misses, the smallest key and the largest
// numberKey can make, and keys that share their low bits.
func TestNumberTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	largest, _ := numberKey("000000000000000999999999999999999")
	for _, hint := range []int{0, 5, 1000} {
		var tb numberTable
		tb.init(hint)
		want := map[uint64]int32{}
		for i := range 5000 {
			var k uint64
			switch rng.IntN(4) {
			case 0:
				k = uint64(rng.IntN(50)) // small: many overwrites, key 0 among them
			case 1:
				k = uint64(rng.IntN(64)) << 40 // alike in their low bits
			case 2:
				k = largest - uint64(rng.IntN(3))
			default:
				k = rng.Uint64N(largest)
			}
			tb.put(k, int32(i))
			want[k] = int32(i)
			for _, probe := range []uint64{uint64(rng.IntN(60)), uint64(rng.IntN(64)) << 40, rng.Uint64N(largest)} {
				wantPos, wantOK := want[probe]
				if got, ok := tb.get(probe); ok != wantOK || got != wantPos {
					t.Fatalf("hint %d: get(%d) = %d, %v; want %d, %v", hint, probe, got, ok, wantPos, wantOK)
				}
			}
		}
		if tb.n != len(want) {
			t.Fatalf("hint %d: %d keys held, want %d", hint, tb.n, len(want))
		}
		seen := 0
		tb.each(func(k uint64, pos int32) {
			seen++
			if v, ok := want[k]; !ok || v != pos {
				t.Errorf("hint %d: each gave %d -> %d, want %d, %v", hint, k, pos, v, ok)
			}
		})
		if seen != len(want) {
			t.Errorf("hint %d: each gave %d keys, want %d", hint, seen, len(want))
		}
	}
}

// Employee numbers issued in sequence (ESR's are, in blocks), or in any
// stride, stay a few slots from where their search starts, the table
// three quarters full or half: linear probing suffers clusters when keys
// are not spread.
func TestNumberTableProbes(t *testing.T) {
	for _, n := range []int{1_500_000, 2_000_000} {
		for _, stride := range []uint64{1, 3, 64, 1000} {
			var tb numberTable
			tb.init(n)
			for i := range n {
				tb.put(20000000+uint64(i)*stride, int32(i))
			}
			mask := len(tb.slots) - 1
			total := 0
			for i := range n {
				k := 20000000 + uint64(i)*stride
				for at := tb.home(k); tb.slots[at].key != k+1; at = (at + 1) & mask {
					total++
				}
				total++
			}
			if avg := float64(total) / float64(n); avg > 4 {
				t.Errorf("%d numbers %d apart, %.0f%% full: %.1f slots looked at a lookup", n, stride, 100*float64(n)/float64(len(tb.slots)), avg)
			}
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
