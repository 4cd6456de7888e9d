package compliance

import (
	"slices"
	"strings"
)

// Workforce groups a snapshot's assignments into people: those with at least
// one counted assignment, each with organisation and name from the primary
// counted assignment (else the first counted one in file order) and the
// highest requirement over their counted assignments. The result is sorted
// by employee number as text. Training status is not yet set.
func (p *Policy) Workforce(assignments []Assignment) []Person {
	b := p.NewWorkforce(len(assignments))
	for i := range assignments {
		b.Add(&assignments[i])
	}
	return b.People()
}

// WorkforceBuilder is Workforce for assignments that arrive one at a time,
// in any order: each person is built as their assignments arrive, so a
// national snapshot of millions of rows is never held whole. Of two
// assignments with the same row, the one added first counts as first in
// file order.
type WorkforceBuilder struct {
	p           *Policy
	requirement func(a *Assignment) (Level, int)
	counted     func(a *Assignment) bool
	index       *EmployeeIndex // employee number as written -> people
	orgLevels   map[[6]string]*[6]string
	people      []Person
	state       []building
}

// building is what a person's later assignments are weighed against.
type building struct {
	mainRow, emailRow, managerRow int32
	mainPrimary                   bool
	// The first email and manager email in file order, for a main
	// assignment without one.
	email, manager string
}

// NewWorkforce starts a workforce, its tables sized for about n people.
func (p *Policy) NewWorkforce(n int) *WorkforceBuilder {
	n = max(n, 0)
	return &WorkforceBuilder{
		p:           p,
		requirement: p.requirementMemo(),
		counted:     p.countedMemo(),
		index:       NewEmployeeIndex(n),
		orgLevels:   make(map[[6]string]*[6]string),
		people:      make([]Person, 0, n),
		state:       make([]building, 0, n),
	}
}

// Add adds one assignment. The builder keeps only its strings.
func (b *WorkforceBuilder) Add(a *Assignment) {
	if !b.counted(a) {
		return
	}
	row := int32(a.Row)
	lvl, rule := b.requirement(a)
	at, found := b.index.Get(a.EmployeeNumber)
	if !found {
		b.index.Put(a.EmployeeNumber, int32(len(b.people)))
		b.people = append(b.people, Person{
			EmployeeNumber: a.EmployeeNumber, Name: a.Name, Organisation: a.Organisation, StaffGroup: a.StaffGroup,
			JobRole: a.JobRole, Email: a.Email, ManagerEmail: a.ManagerEmail,
			LineManager: a.ManagerEmail, OrgLevels: b.shared(a.OrgLevels), StartDate: a.StartDate,
			Requirement: lvl, RequirementRule: rule, RequirementRow: a.Row, Assignments: 1,
		})
		b.state = append(b.state, building{mainRow: row, emailRow: row, managerRow: row, mainPrimary: a.Primary,
			email: a.Email, manager: a.ManagerEmail})
		return
	}
	per, st := &b.people[at], &b.state[at]
	per.Assignments++
	// The main assignment is the first primary one in file order, else
	// the first one.
	if a.Primary && !st.mainPrimary || a.Primary == st.mainPrimary && row < st.mainRow {
		per.Name, per.Organisation, per.StaffGroup, per.JobRole = a.Name, a.Organisation, a.StaffGroup, a.JobRole
		per.Email, per.ManagerEmail = a.Email, a.ManagerEmail
		per.LineManager, per.OrgLevels = a.ManagerEmail, b.shared(a.OrgLevels)
		st.mainRow, st.mainPrimary = row, a.Primary
	}
	// The earliest start date over the counted assignments; a blank one
	// says nothing.
	if !a.StartDate.IsZero() && (per.StartDate.IsZero() || a.StartDate.Before(per.StartDate)) {
		per.StartDate = a.StartDate
	}
	if a.Email != "" && (st.email == "" || row < st.emailRow) {
		st.email, st.emailRow = a.Email, row
	}
	if a.ManagerEmail != "" && (st.manager == "" || row < st.managerRow) {
		st.manager, st.managerRow = a.ManagerEmail, row
	}
	// The highest requirement, from the first assignment in file order
	// that sets it.
	if lvl > per.Requirement || lvl == per.Requirement && row < int32(per.RequirementRow) {
		per.Requirement, per.RequirementRule, per.RequirementRow = lvl, rule, a.Row
	}
}

// shared is the one copy of a set of organisation levels, nil when all
// are blank.
func (b *WorkforceBuilder) shared(levels [6]string) *[6]string {
	if levels == ([6]string{}) {
		return nil
	}
	if p, ok := b.orgLevels[levels]; ok {
		return p
	}
	p := &levels
	b.orgLevels[levels] = p
	return p
}

// People returns the workforce sorted by employee number as text. The
// builder is spent.
func (b *WorkforceBuilder) People() []Person {
	people := b.people
	for i := range people {
		if st := &b.state[i]; people[i].Assignments > 1 {
			if people[i].Email == "" {
				people[i].Email = st.email
			}
			if people[i].ManagerEmail == "" {
				people[i].ManagerEmail = st.manager
			}
		}
	}
	b.people, b.state, b.index, b.orgLevels = nil, nil, nil, nil
	sortByEmployee(people)
	return people
}

// sortByEmployee sorts people by employee number as text. Otherwise it sorts a
// compact list of (first 8 bytes, position), which settles almost every
// comparison without reaching the strings, then moves each person once.
func sortByEmployee(people []Person) {
	// Extracts are often in employee number order already.
	if slices.IsSortedFunc(people, func(a, b Person) int { return strings.Compare(a.EmployeeNumber, b.EmployeeNumber) }) {
		return
	}
	type entry struct {
		prefix uint64
		at     int32
	}
	order := make([]entry, len(people))
	for i := range people {
		order[i] = entry{prefix8(people[i].EmployeeNumber), int32(i)}
	}
	slices.SortFunc(order, func(a, b entry) int {
		switch {
		case a.prefix < b.prefix:
			return -1
		case a.prefix > b.prefix:
			return 1
		}
		return strings.Compare(people[a.at].EmployeeNumber, people[b.at].EmployeeNumber)
	})
	// Apply the permutation in place, cycle by cycle: people[i] is to be
	// what was at order[i].at.
	for i := range order {
		if order[i].at < 0 || int(order[i].at) == i {
			continue
		}
		held := people[i]
		j := i
		for {
			from := int(order[j].at)
			order[j].at = -1
			if from == i {
				people[j] = held
				break
			}
			people[j] = people[from]
			j = from
		}
	}
}

// prefix8 is the first 8 bytes of s as a big-endian number, padded with
// zero bytes: comparing two of them orders the strings as text, except
// that equal prefixes leave the rest to compare.
func prefix8(s string) uint64 {
	var v uint64
	for i := range 8 {
		v <<= 8
		if i < len(s) {
			v |= uint64(s[i])
		}
	}
	return v
}

// countedMemo is Counted remembered by assignment status, of which an
// extract has a handful.
func (p *Policy) countedMemo() func(a *Assignment) bool {
	const most = 1 << 10 // bounds the memory of pathological inputs
	memo := make(map[string]bool)
	return func(a *Assignment) bool {
		ok, seen := memo[a.AssignmentStatus]
		if !seen {
			ok = p.Counted(a)
			if len(memo) < most {
				memo[a.AssignmentStatus] = ok
			}
		}
		return ok
	}
}

// requirementMemo returns Requirement, remembering the answer for each
// combination of the values the rules look at: a workforce of millions
// has a few thousand combinations of staff group, job role and
// organisation, and glob matching each assignment afresh is most of the
// cost of grouping it.
func (p *Policy) requirementMemo() func(a *Assignment) (Level, int) {
	fields := p.ruleFields()
	if slices.Contains(fields, FieldEmployeeNumber) {
		return p.Requirement // one value per person: nothing to share
	}
	type answer struct {
		level Level
		rule  int
	}
	const most = 1 << 16 // bounds the memory of pathological inputs
	memo := make(map[string]answer)
	var key []byte
	return func(a *Assignment) (Level, int) {
		key = key[:0]
		for _, f := range fields {
			key = append(append(key, a.Value(f)...), 0)
		}
		if ans, ok := memo[string(key)]; ok {
			return ans.level, ans.rule
		}
		l, rule := p.Requirement(a)
		if len(memo) < most {
			memo[string(key)] = answer{l, rule}
		}
		return l, rule
	}
}
