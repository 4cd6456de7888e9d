package compliance

import (
	"runtime"
	"sync"
	"time"
)

// TotalBuilder is Workforce, AssessAll and Aggregate's total for a caller
// that needs only the total, such as a point of the return's trend: of
// each person it keeps what the total is worked out from (employee number,
// requirement, start date), not a Person, and it does not sort them. Add
// takes the assignments in any order.
type TotalBuilder struct {
	p           *Policy
	requirement func(a *Assignment) (Level, int)
	counted     map[string]bool // by assignment status
	index       *EmployeeIndex  // employee number as written -> people
	people      []totalPerson
	kinds       []kindAnswer // by kind, for AddKind
}

// kindAnswer is whether a kind of assignment counts and the level it
// requires.
type kindAnswer struct {
	seen, counted bool
	level         Level
}

// totalPerson is what Total needs of a person: what Assess and Summary.add
// read of a Person before the training position is set.
type totalPerson struct {
	employeeNumber string
	startDate      time.Time
	requirement    Level
}

// NewTotal starts a total, its tables sized for about n people.
func (p *Policy) NewTotal(n int) *TotalBuilder {
	n = max(n, 0)
	return &TotalBuilder{
		p:           p,
		requirement: p.requirementMemo(),
		counted:     make(map[string]bool),
		index:       NewEmployeeIndex(n),
		people:      make([]totalPerson, 0, n),
	}
}

// Add adds one assignment, as WorkforceBuilder.Add does: a person is
// someone with a counted assignment, requiring the highest level of their
// counted assignments, starting on the earliest start date they give.
func (b *TotalBuilder) Add(a *Assignment) {
	ok, seen := b.counted[a.AssignmentStatus]
	if !seen {
		ok = b.p.Counted(a)
		b.counted[a.AssignmentStatus] = ok
	}
	if !ok {
		return
	}
	lvl, _ := b.requirement(a)
	b.add(a.EmployeeNumber, a.StartDate, lvl)
}

// AddKind is Add for an assignment given as its employee number, start
// date and kind: a number standing for its values of the fields the policy
// looks at (AssignmentFields), held in values, the same for every
// assignment of the kind (see store.EachAssignmentKind). Each kind is
// weighed once.
func (b *TotalBuilder) AddKind(employeeNumber string, start time.Time, kind int, values *Assignment) {
	if kind >= len(b.kinds) {
		b.kinds = append(b.kinds, make([]kindAnswer, kind+1-len(b.kinds))...)
	}
	k := &b.kinds[kind]
	if !k.seen {
		k.seen, k.counted = true, b.p.Counted(values)
		k.level, _ = b.p.Requirement(values)
	}
	if k.counted {
		b.add(employeeNumber, start, k.level)
	}
}

// add adds a counted assignment.
func (b *TotalBuilder) add(employeeNumber string, start time.Time, lvl Level) {
	at, found := b.index.Get(employeeNumber)
	if !found {
		b.index.Put(employeeNumber, int32(len(b.people)))
		b.people = append(b.people, totalPerson{employeeNumber: employeeNumber, startDate: start, requirement: lvl})
		return
	}
	per := &b.people[at]
	if !start.IsZero() && (per.startDate.IsZero() || start.Before(per.startDate)) {
		per.startDate = start
	}
	per.requirement = max(per.requirement, lvl)
}

// Done drops what only Add needs, once the last assignment is added.
func (b *TotalBuilder) Done() {
	b.requirement, b.counted, b.index, b.kinds = nil, nil, nil, nil
}

// Total is the total position on the as-of date of the people added, their
// training from src and the exemptions in ex (nil: none): what Aggregate
// gives as its total for the same people assessed by AssessAll. It may be
// called again, for another date; like AssessAll it shares the people out
// between the cores.
func (b *TotalBuilder) Total(src TrainingSource, ex *Exemptions, asOf time.Time) *Summary {
	asOf = Day(asOf)
	soon := asOf.AddDate(0, 0, b.p.DueSoonDays)
	sum := func(people []totalPerson) *Summary {
		total := newSummary(TotalName)
		var buf []Training
		for i := range people {
			tp := &people[i]
			per := Person{EmployeeNumber: tp.employeeNumber, StartDate: tp.startDate, Requirement: tp.requirement}
			buf = src.Training(per.EmployeeNumber, buf[:0])
			b.p.assess(&per, buf, asOf, soon)
			b.p.count(&per, buf, asOf, ex)
			total.add(&per)
		}
		return total
	}
	const least = 50_000 // as AssessAll
	parts := min(runtime.GOMAXPROCS(0), len(b.people)/least)
	if parts <= 1 {
		return sum(b.people)
	}
	sums := make([]*Summary, parts)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() { sums[i] = sum(b.people[i*len(b.people)/parts : (i+1)*len(b.people)/parts]) })
	}
	wg.Wait()
	total := newSummary(TotalName)
	for _, s := range sums {
		total.merge(s)
	}
	return total
}

// merge adds another summary's counts to s.
func (s *Summary) merge(o *Summary) {
	s.Headcount += o.Headcount
	for l, t := range o.ByLevel {
		if mine := s.ByLevel[l]; mine != nil {
			mine.Required += t.Required
			mine.Compliant += t.Compliant
		} else {
			s.ByLevel[l] = &Tally{Required: t.Required, Compliant: t.Compliant}
		}
	}
	s.All.Required += o.All.Required
	s.All.Compliant += o.All.Compliant
	for st, n := range o.ByStatus {
		s.ByStatus[st] += n
	}
	for l, n := range o.UpdateDue {
		s.UpdateDue[l] += n
	}
	s.AllUpdateDue += o.AllUpdateDue
}
