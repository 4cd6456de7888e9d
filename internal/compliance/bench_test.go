package compliance

import (
	"fmt"
	"testing"
	"time"
)

var benchCourses = []string{
	"Preventing Radicalisation - Basic Prevent Awareness", "NHS|MAND|Prevent Level 3 - 3 Years|",
	"Prevent WRAP Face to Face Session", "Fire Safety", "Infection Prevention and Control Level 2",
	"Information Governance and Data Security", "Safeguarding Adults Level 2", "Basic Life Support",
}

// BenchmarkCourseLevel maps course names to levels through the glob rules:
// what each distinct course name costs (imports cache the answer by name).
func BenchmarkCourseLevel(b *testing.B) {
	p := contractPolicy()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.CourseLevel(benchCourses[i%len(benchCourses)])
	}
}

// benchWorkforce is n people with 1.2 assignments each and, per person,
// the latest completion at each level, as the store hands them over.
func benchWorkforce(n int) ([]Assignment, []Completion) {
	groups := []string{"Nursing and Midwifery Registered", "Administrative and Clerical", "Medical and Dental", "Allied Health Professionals"}
	var staff []Assignment
	var done []Completion
	for i := range n {
		emp := fmt.Sprintf("%08d", 20000000+i*7)
		staff = append(staff, Assignment{EmployeeNumber: emp, Name: "Jane Smith", Organisation: "RXX Mental Health Division",
			StaffGroup: groups[i%len(groups)], JobRole: "Staff Nurse", Primary: true, Row: len(staff) + 2})
		if i%5 == 0 {
			staff = append(staff, Assignment{EmployeeNumber: emp, Name: "Jane Smith", Organisation: "RXX Bank",
				StaffGroup: "Additional Clinical Services", JobRole: "Healthcare Assistant", Row: len(staff) + 2})
		}
		for l := range 3 {
			if (i+l)%3 != 0 {
				done = append(done, Completion{EmployeeNumber: emp, Course: benchCourses[l],
					CompletedOn: Date(2022+l, time.Month(1+i%12), 1+i%28)})
			}
		}
	}
	return staff, done
}

// BenchmarkEvaluate computes the position of 30,000 people from their
// latest completions: the engine's part of `prevent status`.
func BenchmarkEvaluate(b *testing.B) {
	const people = 30_000
	staff, done := benchWorkforce(people)
	p := contractPolicy()
	asOf := Date(2026, 9, 30)
	b.ReportAllocs()
	for b.Loop() {
		if got := p.Evaluate(staff, done, nil, asOf); len(got) != people {
			b.Fatalf("%d people", len(got))
		}
	}
	b.ReportMetric(float64(people)*float64(b.N)/b.Elapsed().Seconds(), "people/s")
}
