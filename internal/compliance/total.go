package compliance

import (
	"runtime"
	"sort"
	"sync"
	"time"
)

// TotalBuilder is Workforce, AssessAll and AggregateBy for a caller that
// needs only the figures, such as the quarterly return and the points of
// its trend: of each person it keeps what the figures are worked out from
// (employee number, requirement, start date and, with a group key, the
// group of their main assignment), not a Person. Add takes the
// assignments in any order.
//
// The assignments of people with all-digit employee numbers, nearly
// everyone, are gathered in a list that is then sorted by number and
// folded, each person's assignments being side by side: looking each one
// up in a table of millions of people as it came would be a cache miss an
// assignment. The list holds no pointers, for the garbage collector to
// skip, and the number only as its value.
type TotalBuilder struct {
	p           *Policy
	by          GroupKey // "": the total only
	requirement func(a *Assignment) (Level, int)
	counted     func(a *Assignment) bool
	kinds       []kindAnswer // by kind, for AddKind
	groups      map[string]int32
	names       []string // the groups' names, by number
	numbered    []numberedPerson
	folded      bool           // numbered is one per person
	index       *EmployeeIndex // other employee numbers, as written -> others
	others      []otherPerson
}

// kindAnswer is whether a kind of assignment counts, the level it
// requires and its group.
type kindAnswer struct {
	seen, counted bool
	level         Level
	group         int32
}

// counting is what the figures need of a person, or of one of their
// assignments before they are folded together.
type counting struct {
	startSecond int64 // the start date as Unix seconds and nanoseconds, when there is one
	startNano   int32
	mainRow     int32 // the main assignment's row, and group (see WorkforceBuilder.Add)
	group       int32
	requirement int8
	hasStart    bool
	mainPrimary bool
}

func countingOf(start time.Time, lvl Level, row int32, primary bool, group int32) counting {
	c := counting{requirement: int8(lvl), mainRow: row, mainPrimary: primary, group: group}
	if !start.IsZero() {
		c.startSecond, c.startNano, c.hasStart = start.Unix(), int32(start.Nanosecond()), true
	}
	return c
}

func (c *counting) startDate() time.Time {
	if !c.hasStart {
		return time.Time{}
	}
	return time.Unix(c.startSecond, int64(c.startNano)).UTC()
}

// fold adds a later-added assignment of the person, as WorkforceBuilder
// weighs it: the earliest start date, the highest requirement, and the
// main assignment the first primary one in file order, else the first.
func (c *counting) fold(a *counting) {
	if a.hasStart && (!c.hasStart || a.startSecond < c.startSecond ||
		a.startSecond == c.startSecond && a.startNano < c.startNano) {
		c.startSecond, c.startNano, c.hasStart = a.startSecond, a.startNano, true
	}
	c.requirement = max(c.requirement, a.requirement)
	if a.mainPrimary && !c.mainPrimary || a.mainPrimary == c.mainPrimary && a.mainRow < c.mainRow {
		c.mainRow, c.mainPrimary, c.group = a.mainRow, a.mainPrimary, a.group
	}
}

// numberedPerson is an assignment, or once folded a person, of an
// all-digit employee number.
type numberedPerson struct {
	key uint64 // the employee number: its value, then its leading zeros (numberKey's bits turned round)
	counting
}

func numbered(k uint64, c counting) numberedPerson {
	return numberedPerson{key: k<<(64-zeroShift) | k>>zeroShift, counting: c}
}

// numberKey is the key numberKey gave.
func (per *numberedPerson) numberKey() uint64 {
	return per.key>>(64-zeroShift) | per.key<<zeroShift
}

// value is the employee number's value: its key as EmployeeKey matches it.
func (per *numberedPerson) value() uint64 { return per.key >> (64 - zeroShift) }

// otherPerson is a person whose employee number is not all digits.
type otherPerson struct {
	employeeNumber string
	counting
}

// NewTotal starts a total, its tables sized for about n people.
func (p *Policy) NewTotal(n int) *TotalBuilder { return p.NewTotalBy(n, "") }

// NewTotalBy starts the figures grouped by the key (AggregateBy's), or the
// total only when the key is "".
func (p *Policy) NewTotalBy(n int, by GroupKey) *TotalBuilder {
	n = max(n, 0)
	return &TotalBuilder{
		p:           p,
		by:          by,
		requirement: p.requirementMemo(),
		counted:     p.countedMemo(),
		groups:      make(map[string]int32),
		index:       NewEmployeeIndex(0),
		numbered:    make([]numberedPerson, 0, n+n/4),
	}
}

// Add adds one assignment, as WorkforceBuilder.Add does: a person is
// someone with a counted assignment, requiring the highest level of their
// counted assignments, starting on the earliest start date they give, in
// the group of their main assignment.
func (b *TotalBuilder) Add(a *Assignment) {
	if !b.counted(a) {
		return
	}
	lvl, _ := b.requirement(a)
	addCounted(b, a.EmployeeNumber, countingOf(a.StartDate, lvl, int32(a.Row), a.Primary, b.groupOf(a)))
}

// groupOf is the number of the group of the key an assignment is in.
func (b *TotalBuilder) groupOf(a *Assignment) int32 {
	if b.by == "" {
		return 0
	}
	name := b.by.ofAssignment(a)
	if name == "" {
		name = b.by.BlankGroup()
	}
	group, seen := b.groups[name]
	if !seen {
		group = int32(len(b.names))
		b.names = append(b.names, name)
		b.groups[name] = group
	}
	return group
}

// AddKind is Add for an assignment given as its employee number, its row,
// primary flag and start date (in a) and its kind: a number standing for
// its values of the fields the policy and the group key look at, held in
// values, the same for every assignment of the kind (see
// store.EachAssignmentKind). Each kind is weighed once; the employee
// number is kept as a string only when it is not all digits.
func (b *TotalBuilder) AddKind(employeeNumber []byte, a *Assignment, kind int, values *Assignment) {
	if kind >= len(b.kinds) {
		b.kinds = append(b.kinds, make([]kindAnswer, kind+1-len(b.kinds))...)
	}
	k := &b.kinds[kind]
	if !k.seen {
		k.seen, k.counted = true, b.p.Counted(values)
		k.level, _ = b.p.Requirement(values)
		k.group = b.groupOf(values)
	}
	if !k.counted {
		return
	}
	addCounted(b, employeeNumber, countingOf(a.StartDate, k.level, int32(a.Row), a.Primary, k.group))
}

// addCounted adds a counted assignment: to the list by number when the
// employee number is all digits, else by the number as written (made a
// string only then).
func addCounted[S string | []byte](b *TotalBuilder, employeeNumber S, c counting) {
	if k, ok := numberKey(employeeNumber); ok {
		b.numbered = append(b.numbered, numbered(k, c))
		return
	}
	b.addOther(string(employeeNumber), c)
}

// addOther adds a counted assignment of an employee number not all digits.
func (b *TotalBuilder) addOther(employeeNumber string, c counting) {
	at, found := b.index.Get(employeeNumber)
	if !found {
		b.index.Put(employeeNumber, int32(len(b.others)))
		b.others = append(b.others, otherPerson{employeeNumber, c})
		return
	}
	b.others[at].fold(&c)
}

// Done drops what only Add needs, once the last assignment is added, and
// gathers each person's assignments.
func (b *TotalBuilder) Done() {
	b.requirement, b.counted, b.index, b.kinds, b.groups = nil, nil, nil, nil, nil
	if b.folded {
		return
	}
	// A stable sort: a person's assignments stay in the order added, for
	// fold to weigh them as WorkforceBuilder does.
	b.numbered = sortNumbered(b.numbered)
	people := b.numbered[:0]
	for i := range b.numbered {
		if n := len(people); n > 0 && people[n-1].key == b.numbered[i].key {
			people[n-1].fold(&b.numbered[i].counting)
			continue
		}
		people = append(people, b.numbered[i])
	}
	b.numbered, b.folded = people, true
}

// sortNumbered sorts by key, a byte at a time from the last (a radix
// sort, stable), skipping the bytes all keys share; it returns the sorted
// list, which may be the one given.
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
// of all-digit employee numbers by their value (leading zeros aside, as
// EmployeeKey matches them), asked for in order of value: NumberCursor
// gives a function that takes values in increasing order, none less than
// from, for one goroutine. A total asks for millions of people in that
// order.
type NumberedTrainingSource interface {
	TrainingSource
	NumberCursor(from uint64) func(value uint64, buf []Training) []Training
}

// Total is the total position on the as-of date of the people added, their
// training from src and the exemptions in ex (nil: none): what Aggregate
// gives as its total for the same people assessed by AssessAll. It may be
// called again, for another date.
func (b *TotalBuilder) Total(src TrainingSource, ex *Exemptions, asOf time.Time) *Summary {
	_, total := b.figures(src, ex, asOf, false)
	return total
}

// Figures is Total with the groups of the key the builder was started
// with: what AggregateBy gives for the same people assessed by AssessAll.
func (b *TotalBuilder) Figures(src TrainingSource, ex *Exemptions, asOf time.Time) (groups []*Summary, total *Summary) {
	return b.figures(src, ex, asOf, b.by != "")
}

// figures shares the people out between the cores, as AssessAll does.
func (b *TotalBuilder) figures(src TrainingSource, ex *Exemptions, asOf time.Time, grouped bool) ([]*Summary, *Summary) {
	b.Done()
	asOf = Day(asOf)
	soon := asOf.AddDate(0, 0, b.p.DueSoonDays)
	// The numbered people's training in order of the number's value where
	// src can, else by the number written out (as the exemptions want it).
	cursor := func(from uint64) func(value uint64, buf []Training) []Training { return nil }
	if n, ok := src.(NumberedTrainingSource); ok {
		cursor = n.NumberCursor
	}
	exempt := ex.Len() > 0
	type sums struct {
		total  *Summary
		groups []*Summary // by group number, nil for none placed yet
	}
	place := func(s *sums, per *Person, c *counting) {
		s.total.add(per)
		if grouped {
			g := s.groups[c.group]
			if g == nil {
				g = newSummary(b.names[c.group])
				s.groups[c.group] = g
			}
			g.add(per)
		}
	}
	newSums := func() *sums { return &sums{total: newSummary(TotalName), groups: make([]*Summary, len(b.names))} }
	all := newSums()
	var buf []Training
	for i := range b.others {
		o := &b.others[i]
		per := Person{EmployeeNumber: o.employeeNumber, StartDate: o.startDate(), Requirement: Level(o.requirement)}
		buf = src.Training(per.EmployeeNumber, buf[:0])
		b.p.assess(&per, buf, asOf, soon)
		b.p.count(&per, buf, asOf, ex)
		place(all, &per, &o.counting)
	}
	people := b.numbered
	const least = 50_000 // as AssessAll
	parts := make([]*sums, max(1, min(runtime.GOMAXPROCS(0), len(people)/least)))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			s := newSums()
			var buf []Training
			from, to := i*len(people)/len(parts), (i+1)*len(people)/len(parts)
			if from == to {
				parts[i] = s
				return
			}
			training := cursor(people[from].value())
			for j := from; j < to; j++ {
				np := &people[j]
				per := Person{StartDate: np.startDate(), Requirement: Level(np.requirement)}
				if exempt || training == nil {
					per.EmployeeNumber = numberText(np.numberKey())
				}
				if training != nil {
					buf = training(np.value(), buf[:0])
				} else {
					buf = src.Training(per.EmployeeNumber, buf[:0])
				}
				b.p.assess(&per, buf, asOf, soon)
				b.p.count(&per, buf, asOf, ex)
				place(s, &per, &np.counting)
			}
			parts[i] = s
		})
	}
	wg.Wait()
	for _, s := range parts {
		all.total.merge(s.total)
		for g, sum := range s.groups {
			if sum == nil {
				continue
			}
			if all.groups[g] == nil {
				all.groups[g] = newSummary(b.names[g])
			}
			all.groups[g].merge(sum)
		}
	}
	var groups []*Summary
	for _, g := range all.groups {
		if g != nil {
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Organisation < groups[j].Organisation })
	return groups, all.total
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

// ofAssignment is Of for the person whose main assignment a is.
func (k GroupKey) ofAssignment(a *Assignment) string {
	switch k {
	case ByOrganisation:
		return a.Organisation
	case ByStaffGroup:
		return a.StaffGroup
	case ByManager:
		return a.ManagerEmail
	}
	if i := k.orgLevel(); i >= 0 {
		return a.OrgLevels[i]
	}
	return ""
}
