package compliance

import (
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/nhs-prevent/prevent/internal/glob"
)

// DueDate is the day a refresher falls due: the completion's anniversary
// after the given number of years. A 29 February completion falls due on
// 28 February when the due year is not a leap year.
func DueDate(completed time.Time, years int) time.Time {
	y, m, d := completed.Date()
	ty := y + years
	if m == time.February && d == 29 && !isLeap(ty) {
		d = 28
	}
	return Date(ty, m, d)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// StatusOn classifies a due date on the as-of date.
func StatusOn(due, asOf time.Time, dueSoonDays int) Status {
	return statusOn(due, asOf, asOf.AddDate(0, 0, dueSoonDays))
}

// statusOn is StatusOn with the last day that counts as due soon worked
// out already.
func statusOn(due, asOf, soon time.Time) Status {
	switch {
	case due.Before(asOf):
		return Expired
	case !due.After(soon):
		return DueSoon
	}
	return Compliant
}

// Person is one member of the workforce on the as-of date with their
// requirement and training position.
type Person struct {
	EmployeeNumber string
	Name           string
	Organisation   string
	StaffGroup     string
	JobRole        string
	Email          string
	ManagerEmail   string
	// LineManager is the manager email of the assignment the organisation
	// comes from (ManagerEmail falls back to another assignment's), the
	// key a summary by manager groups on.
	LineManager string
	// OrgLevels are Org L2 to Org L7 of that same assignment; nil when
	// all are blank. Equal ones are shared: a workforce has a few
	// hundred wards, and millions of people.
	OrgLevels *[6]string
	// StartDate is the earliest start date over the counted assignments;
	// zero when none gives one.
	StartDate   time.Time
	Requirement Level
	// RequirementRule is the index in Policy.Requirements of the rule that
	// set the requirement, or -1 when it fell to the default (basic).
	RequirementRule int
	// RequirementRow is the extract row of the assignment that set it.
	RequirementRow int
	Status         Status
	CompletedOn    time.Time // zero when Never
	Course         string    // the course that counted, "" when Never
	DueDate        time.Time // zero when Never
	Assignments    int       // counted assignments
	// ExemptReason is the reason of the exemption that makes the status
	// Exempt, "" otherwise.
	ExemptReason string
	// UpdateDue is the annual-update measure: true when it applies to the
	// person, they count in the figures and their latest update or
	// qualifying completion is more than the months old (or there is none).
	UpdateDue bool
}

// Compliant reports whether the person counts as compliant for the
// threshold figures.
func (p *Person) Compliant() bool { return p.Status.Counts() }

// Counted reports whether the person counts in the figures at all: new
// starters and exempt people do not.
func (p *Person) Counted() bool { return p.Status.Counted() }

// Requirement returns the level an assignment requires and the index of the
// rule that set it (-1 for the default, basic).
func (p *Policy) Requirement(a *Assignment) (Level, int) {
	for i, r := range p.Requirements {
		if r.Matches(a) {
			return r.Level, i
		}
	}
	return Basic, -1
}

// CourseLevel returns the level a course counts for, LevelNone when no
// course rule matches it.
func (p *Policy) CourseLevel(course string) Level {
	v := glob.Normalize(course)
	for _, r := range p.Courses {
		if r.Match.MatchNormalized(v) {
			return r.Level
		}
	}
	return LevelNone
}

// Counted reports whether an assignment counts towards the workforce.
func (p *Policy) Counted(a *Assignment) bool {
	return len(p.Exclude) == 0 || !p.Exclude.Match(a.AssignmentStatus)
}

// Training is a person's Prevent completions, each mapped to its level.
// Level carries, besides the level, a flag when the course is also an
// annual-update course (see CourseGroup); a course that is only an update
// has no level of its own and counts for the update measure alone.
type Training struct {
	Level       Level
	Course      string
	CompletedOn time.Time
}

// TrainingIndex holds people's Prevent completions by EmployeeKey, each
// mapped to its level, built as completions arrive. Courses that map to no
// level and completions with no employee number (unresolved emails) are
// left out.
type TrainingIndex struct {
	p        *Policy
	byPerson map[string][]Training
	levels   map[string]Level // course name as written -> level, matched once per name
}

// NewTrainingIndex makes an empty index for about people people.
func (p *Policy) NewTrainingIndex(people int) *TrainingIndex {
	return &TrainingIndex{p: p, byPerson: make(map[string][]Training, people), levels: make(map[string]Level)}
}

// Add indexes one completion.
func (x *TrainingIndex) Add(c Completion) {
	if c.EmployeeNumber == "" {
		return
	}
	lvl, ok := x.levels[c.Course]
	if !ok {
		lvl = Level(x.p.CourseGroup(c.Course))
		x.levels[c.Course] = lvl
	}
	if lvl == LevelNone {
		return
	}
	key := EmployeeKey(c.EmployeeNumber)
	x.byPerson[key] = append(x.byPerson[key], Training{Level: lvl, Course: c.Course, CompletedOn: Day(c.CompletedOn)})
}

// Of returns an employee's indexed training.
func (x *TrainingIndex) Of(employeeNumber string) []Training {
	return x.byPerson[EmployeeKey(employeeNumber)]
}

// Training is Of for TrainingSource.
func (x *TrainingIndex) Training(employeeNumber string, buf []Training) []Training {
	return append(buf, x.Of(employeeNumber)...)
}

// TrainingSource gives people's Prevent training, each completion mapped
// to its level, by employee number (matched as EmployeeKey matches them).
type TrainingSource interface {
	// Training appends to buf the training of the person with this
	// employee number, in the order it was imported, and returns it. It
	// may be called from several goroutines at once.
	Training(employeeNumber string, buf []Training) []Training
}

// AssessAll sets every person's position on the as-of date from their
// training in src and the exemptions in ex (nil: none): the training
// status, then whether they count (see Assess). A large workforce is
// shared out between the cores, so src is read from several goroutines at
// once.
func (p *Policy) AssessAll(people []Person, src TrainingSource, ex *Exemptions, asOf time.Time) {
	asOf = Day(asOf)
	soon := asOf.AddDate(0, 0, p.DueSoonDays)
	assess := func(people []Person) {
		var buf []Training
		for i := range people {
			buf = src.Training(people[i].EmployeeNumber, buf[:0])
			p.assess(&people[i], buf, asOf, soon)
			p.count(&people[i], buf, asOf, ex)
		}
	}
	const least = 50_000 // below this, starting goroutines costs more than it saves
	parts := min(runtime.GOMAXPROCS(0), len(people)/least)
	if parts <= 1 {
		assess(people)
		return
	}
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() { assess(people[i*len(people)/parts : (i+1)*len(people)/parts]) })
	}
	wg.Wait()
}

// Assess sets a person's position on the as-of date: the latest
// completion dated on or before it at or above the required level, its due
// date and the training status; then exempt when an exemption in ex (nil:
// none) covers the day, else new starter when IsNewStarter says so; and
// the annual-update measure for people who count.
func (p *Policy) Assess(per *Person, training []Training, ex *Exemptions, asOf time.Time) {
	asOf = Day(asOf)
	p.assess(per, training, asOf, asOf.AddDate(0, 0, p.DueSoonDays))
	p.count(per, training, asOf, ex)
}

// assess is Assess for an as-of day and the last day that counts as due
// soon, worked out once for a whole workforce.
func (p *Policy) assess(per *Person, training []Training, asOf, soon time.Time) {
	var best *Training
	for i := range training {
		t := &training[i]
		if t.level() < per.Requirement || t.level() == LevelNone || t.CompletedOn.After(asOf) {
			continue
		}
		if best == nil || t.CompletedOn.After(best.CompletedOn) {
			best = t
		}
	}
	if best == nil {
		per.Status, per.CompletedOn, per.DueDate, per.Course = Never, time.Time{}, time.Time{}, ""
		return
	}
	per.CompletedOn = best.CompletedOn
	per.Course = best.Course
	per.DueDate = DueDate(best.CompletedOn, p.years())
	per.Status = statusOn(per.DueDate, asOf, soon)
}

func (p *Policy) years() int {
	if p.RefresherYears <= 0 {
		return 3
	}
	return p.RefresherYears
}

// Evaluate computes every person's status on the as-of date from the
// snapshot in force, the completions (already resolved to employee
// numbers) and the exemptions (nil: none). People are sorted by employee
// number as text.
func (p *Policy) Evaluate(assignments []Assignment, completions []Completion, ex *Exemptions, asOf time.Time) []Person {
	people := p.Workforce(assignments)
	idx := p.NewTrainingIndex(len(people))
	for _, c := range completions {
		idx.Add(c)
	}
	p.AssessAll(people, idx, ex, asOf)
	return people
}

// ruleFields lists the distinct fields the requirement rules match on.
func (p *Policy) ruleFields() []Field {
	fields := []Field{}
	for _, r := range p.Requirements {
		for f := range r.Match {
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
	}
	return fields
}

// AssignmentFields lists the rule fields the policy looks at: those its
// requirement rules match on, and the assignment status when it excludes
// some. Workforce needs of an assignment only these, besides the employee
// number, name, organisation, staff group, job role, emails, row and
// primary flag.
func (p *Policy) AssignmentFields() []Field {
	fields := p.ruleFields()
	if len(p.Exclude) > 0 && !slices.Contains(fields, FieldAssignmentStatus) {
		fields = append(fields, FieldAssignmentStatus)
	}
	return fields
}
