package compliance

import (
	"runtime"
	"sync"
	"time"
)

// TotalBuilder is Workforce, AssessAll and Aggregate's total for a caller
// that needs only the total, such as a point of the return's trend: of
// each person it keeps what the total is worked out from (employee number,
// requirement, start date), not a Person. Add takes the assignments in any
// order.
//
// The assignments of people with all-digit employee numbers, nearly
// everyone, are gathered in a list that is then sorted by number and
// folded, each person's assignments being side by side: looking each one
// up in a table of millions of people as it came would be a cache miss an
// assignment. The list holds no pointers, for the garbage collector to
// skip, and the number only as its value.
type TotalBuilder struct {
	p           *Policy
	requirement func(a *Assignment) (Level, int)
	counted     map[string]bool // by assignment status
	kinds       []kindAnswer    // by kind, for AddKind
	numbered    []numberedPerson
	folded      bool           // numbered is one per person
	index       *EmployeeIndex // other employee numbers, as written -> others
	others      []totalPerson
}

// numberedPerson is an assignment, or once folded a person, of an
// all-digit employee number.
type numberedPerson struct {
	key         uint64 // the employee number: its value, then its leading zeros (numberKey's bits turned round)
	startSecond int64  // the start date as Unix seconds and nanoseconds, when there is one
	startNano   int32
	hasStart    bool
	requirement Level
}

func numbered(k uint64, start time.Time, lvl Level) numberedPerson {
	per := numberedPerson{key: k<<(64-zeroShift) | k>>zeroShift, requirement: lvl}
	if !start.IsZero() {
		per.startSecond, per.startNano, per.hasStart = start.Unix(), int32(start.Nanosecond()), true
	}
	return per
}

// numberKey is the key numberKey gave.
func (per *numberedPerson) numberKey() uint64 {
	return per.key>>(64-zeroShift) | per.key<<zeroShift
}

// value is the employee number's value: its key as EmployeeKey matches it.
func (per *numberedPerson) value() uint64 { return per.key >> (64 - zeroShift) }

func (per *numberedPerson) startDate() time.Time {
	if !per.hasStart {
		return time.Time{}
	}
	return time.Unix(per.startSecond, int64(per.startNano)).UTC()
}

// fold adds another assignment of the person.
func (per *numberedPerson) fold(a *numberedPerson) {
	if a.hasStart && (!per.hasStart || a.startSecond < per.startSecond ||
		a.startSecond == per.startSecond && a.startNano < per.startNano) {
		per.startSecond, per.startNano, per.hasStart = a.startSecond, a.startNano, true
	}
	per.requirement = max(per.requirement, a.requirement)
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
		index:       NewEmployeeIndex(0),
		numbered:    make([]numberedPerson, 0, n+n/4),
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
	if k, ok := numberKey(employeeNumber); ok {
		b.numbered = append(b.numbered, numbered(k, start, lvl))
		return
	}
	per := totalPerson{employeeNumber: employeeNumber, startDate: start, requirement: lvl}
	at, found := b.index.Get(employeeNumber)
	if !found {
		b.index.Put(employeeNumber, int32(len(b.others)))
		b.others = append(b.others, per)
		return
	}
	b.others[at].fold(&per)
}

// fold adds another assignment of the person.
func (per *totalPerson) fold(a *totalPerson) {
	if !a.startDate.IsZero() && (per.startDate.IsZero() || a.startDate.Before(per.startDate)) {
		per.startDate = a.startDate
	}
	per.requirement = max(per.requirement, a.requirement)
}

// Done drops what only Add needs, once the last assignment is added, and
// gathers each person's assignments.
func (b *TotalBuilder) Done() {
	b.requirement, b.counted, b.index, b.kinds = nil, nil, nil, nil
	if b.folded {
		return
	}
	b.numbered = sortNumbered(b.numbered)
	people := b.numbered[:0]
	for i := range b.numbered {
		if n := len(people); n > 0 && people[n-1].key == b.numbered[i].key {
			people[n-1].fold(&b.numbered[i])
			continue
		}
		people = append(people, b.numbered[i])
	}
	b.numbered, b.folded = people, true
}

// sortNumbered sorts by key, a byte at a time from the last (a radix
// sort), skipping the bytes all keys share; it returns the sorted list,
// which may be the one given.
func sortNumbered(list []numberedPerson) []numberedPerson {
	if len(list) < 2 {
		return list
	}
	var counts [8][256]int
	for i := range list {
		k := list[i].key
		for d := range counts {
			counts[d][byte(k>>(8*d))]++
		}
	}
	var spare []numberedPerson
	for d := range counts {
		c := &counts[d]
		if c[byte(list[0].key>>(8*d))] == len(list) {
			continue
		}
		if spare == nil {
			spare = make([]numberedPerson, len(list))
		}
		at := 0
		for v := range c {
			at, c[v] = at+c[v], at
		}
		for i := range list {
			v := byte(list[i].key >> (8 * d))
			spare[c[v]] = list[i]
			c[v]++
		}
		list, spare = spare, list
	}
	return list
}

// NumberedTrainingSource is a TrainingSource that also gives the training
// of an all-digit employee number by its value (leading zeros aside, as
// EmployeeKey matches them), which spares writing the number out.
type NumberedTrainingSource interface {
	TrainingSource
	TrainingOfNumber(value uint64, buf []Training) []Training
}

// Total is the total position on the as-of date of the people added, their
// training from src and the exemptions in ex (nil: none): what Aggregate
// gives as its total for the same people assessed by AssessAll. It may be
// called again, for another date; like AssessAll it shares the people out
// between the cores.
func (b *TotalBuilder) Total(src TrainingSource, ex *Exemptions, asOf time.Time) *Summary {
	b.Done()
	asOf = Day(asOf)
	soon := asOf.AddDate(0, 0, b.p.DueSoonDays)
	// count adds a person to a total, buf being the caller's to reuse.
	count := func(total *Summary, tp *totalPerson, buf []Training) []Training {
		per := Person{EmployeeNumber: tp.employeeNumber, StartDate: tp.startDate, Requirement: tp.requirement}
		buf = src.Training(per.EmployeeNumber, buf[:0])
		b.p.assess(&per, buf, asOf, soon)
		b.p.count(&per, buf, asOf, ex)
		total.add(&per)
		return buf
	}
	total := newSummary(TotalName)
	var buf []Training
	for i := range b.others {
		buf = count(total, &b.others[i], buf)
	}
	// The numbered people's training by the number's value where src
	// can, else by the number written out (as the exemptions want it).
	bySource := func(per *numberedPerson, buf []Training) []Training {
		return src.Training(numberText(per.numberKey()), buf)
	}
	if n, ok := src.(NumberedTrainingSource); ok {
		bySource = func(per *numberedPerson, buf []Training) []Training { return n.TrainingOfNumber(per.value(), buf) }
	}
	exempt := ex.Len() > 0
	people := b.numbered
	const least = 50_000 // as AssessAll
	parts := max(1, min(runtime.GOMAXPROCS(0), len(people)/least))
	sums := make([]*Summary, parts)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			sum := newSummary(TotalName)
			var buf []Training
			for j := i * len(people) / parts; j < (i+1)*len(people)/parts; j++ {
				np := &people[j]
				per := Person{StartDate: np.startDate(), Requirement: np.requirement}
				if exempt {
					per.EmployeeNumber = numberText(np.numberKey())
				}
				buf = bySource(np, buf[:0])
				b.p.assess(&per, buf, asOf, soon)
				b.p.count(&per, buf, asOf, ex)
				sum.add(&per)
			}
			sums[i] = sum
		})
	}
	wg.Wait()
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
