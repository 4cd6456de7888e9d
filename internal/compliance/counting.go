package compliance

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/glob"
)

// Counting as the trust counts: who is left out of every figure on a date
// (new starters still in their grace period, people exempt for a period),
// the annual-update measure kept beside the three-yearly one, and the red,
// amber and green bands of a rate. Every report gets these from Assess and
// Aggregate, so status, summary, the return, reminders, the forecast and
// the dashboard agree on who counts.

// Statuses that leave a person out of every figure.
const (
	NewStarter Status = "new_starter" // started within new_starter_days and not yet trained in date
	Exempt     Status = "exempt"      // an exemption covers the as-of date
)

// AllStatuses lists every status a person can have, the training ones
// first (as Statuses) then those that count in no figure.
var AllStatuses = []Status{Expired, Never, DueSoon, Compliant, NewStarter, Exempt}

// Counted reports whether a person with the status counts in the figures
// (headcount, required, compliant).
func (s Status) Counted() bool { return s != NewStarter && s != Exempt }

// Exemption is a period in which a person counts in no figure (maternity
// leave, long-term sickness, career break, secondment).
type Exemption struct {
	EmployeeNumber string
	Reason         string
	From           time.Time // first day exempt
	Until          time.Time // last day exempt; zero: open-ended
}

// Covers reports whether the exemption covers the day: From <= day <= Until.
func (e Exemption) Covers(day time.Time) bool {
	return !day.Before(e.From) && (e.Until.IsZero() || !day.After(e.Until))
}

// Exemptions holds exemptions by person (EmployeeKey), for lookups on an
// as-of date. A nil *Exemptions holds none.
type Exemptions struct {
	byPerson map[string][]Exemption
}

// NewExemptions indexes a list of exemptions.
func NewExemptions(list []Exemption) *Exemptions {
	x := &Exemptions{byPerson: make(map[string][]Exemption, len(list))}
	for _, e := range list {
		k := EmployeeKey(strings.TrimSpace(e.EmployeeNumber))
		x.byPerson[k] = append(x.byPerson[k], e)
	}
	return x
}

// Len is the number of exemptions held.
func (x *Exemptions) Len() int {
	if x == nil {
		return 0
	}
	n := 0
	for _, l := range x.byPerson {
		n += len(l)
	}
	return n
}

// On returns the exemption that gives a person's reason on the day: of
// those covering it, the one with the latest From.
func (x *Exemptions) On(employeeNumber string, day time.Time) (Exemption, bool) {
	if x == nil {
		return Exemption{}, false
	}
	var best Exemption
	found := false
	for _, e := range x.byPerson[EmployeeKey(employeeNumber)] {
		if e.Covers(day) && (!found || e.From.After(best.From)) {
			best, found = e, true
		}
	}
	return best, found
}

// AnnualUpdate is the second, separate measure: people at Levels whose
// latest update (a course matching Courses) or qualifying completion is
// more than Months old are due an update. It never enters the threshold
// figures.
type AnnualUpdate struct {
	Months  int
	Levels  []Level
	Courses glob.Set
}

// Applies reports whether the measure applies to people requiring a level.
func (u *AnnualUpdate) Applies(l Level) bool { return u != nil && slices.Contains(u.Levels, l) }

// updateFlag marks a training group as an annual-update course: a group
// is a Level, plus updateFlag when the course is also an update.
const updateFlag = 4

// CourseGroup is the group a course's completions are kept in: its level
// (LevelNone when it counts for none), plus a flag when the annual-update
// courses match it. 0 means the course matters to neither measure.
func (p *Policy) CourseGroup(course string) int {
	g := int(p.CourseLevel(course))
	if p.AnnualUpdate != nil && p.AnnualUpdate.Courses.Match(course) {
		g |= updateFlag
	}
	return g
}

// level and update split a training entry's group.
func (t *Training) level() Level { return t.Level &^ updateFlag }
func (t *Training) update() bool { return t.Level&updateFlag != 0 }

// AddMonths is the day n months after t; a day the target month lacks
// falls on its last day (29 February plus 12 months is 28 February).
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := Date(y, m+time.Month(n), 1)
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return Date(first.Year(), first.Month(), d)
}

// count applies, after the training position, the rules that take a
// person out of the figures and the annual-update measure. Exempt beats
// new starter, which beats the training statuses.
func (p *Policy) count(per *Person, training []Training, asOf time.Time, ex *Exemptions) {
	per.ExemptReason, per.UpdateDue = "", false
	if e, ok := ex.On(per.EmployeeNumber, asOf); ok {
		per.Status, per.ExemptReason = Exempt, e.Reason
		return
	}
	if p.IsNewStarter(per, asOf) {
		per.Status = NewStarter
		return
	}
	if !p.AnnualUpdate.Applies(per.Requirement) {
		return
	}
	last := per.CompletedOn
	for i := range training {
		t := &training[i]
		if t.update() && !t.CompletedOn.After(asOf) && t.CompletedOn.After(last) {
			last = t.CompletedOn
		}
	}
	per.UpdateDue = last.IsZero() || AddMonths(last, p.AnnualUpdate.Months).Before(asOf)
}

// IsNewStarter reports whether a person, their training status worked
// out, is a new starter on the day: new_starter_days is on, their start
// date is after the day less that many days, and they are never trained
// or expired.
func (p *Policy) IsNewStarter(per *Person, asOf time.Time) bool {
	if p.NewStarterDays <= 0 || per.StartDate.IsZero() || (per.Status != Never && per.Status != Expired) {
		return false
	}
	return per.StartDate.After(asOf.AddDate(0, 0, -p.NewStarterDays))
}

// GraceEnds is the day a new starter is due by: start date plus
// new_starter_days (from that day on they count as anyone does).
func (p *Policy) GraceEnds(per *Person) time.Time {
	return per.StartDate.AddDate(0, 0, p.NewStarterDays)
}

// RAG colours a rate: red below RedBelow, amber from there to below the
// threshold, green at or above it, compared exactly (as Meets); "" when
// nobody is required or no bands are set.
func (t Tally) RAG(threshold, redBelow float64) string {
	if t.Required == 0 || redBelow <= 0 {
		return ""
	}
	at := func(f float64) bool {
		th := int64(math.Round(f * 1e6))
		return int64(t.Compliant)*1e6 >= th*int64(t.Required)
	}
	switch {
	case !at(redBelow):
		return "red"
	case !at(threshold):
		return "amber"
	}
	return "green"
}

// GroupKey is what summaries may group people by.
type GroupKey string

// Group keys: the organisation, an ESR organisation level, the staff group
// or the line manager's email, each from the same assignment as the
// organisation.
const (
	ByOrganisation GroupKey = "organisation"
	ByStaffGroup   GroupKey = "staff_group"
	ByManager      GroupKey = "manager"
)

// OrgLevelKey is the group key of ESR organisation level n (2..7).
func OrgLevelKey(n int) GroupKey { return GroupKey(fmt.Sprintf("org_l%d", n)) }

// GroupKeys lists every group key, in the order help texts give them.
var GroupKeys = []GroupKey{ByOrganisation, "org_l2", "org_l3", "org_l4", "org_l5", "org_l6", "org_l7", ByStaffGroup, ByManager}

// ParseGroupKey reads a group key as typed (any case).
func ParseGroupKey(s string) (GroupKey, error) {
	k := GroupKey(strings.ToLower(strings.TrimSpace(s)))
	if k == "" {
		return ByOrganisation, nil
	}
	if slices.Contains(GroupKeys, k) {
		return k, nil
	}
	names := make([]string, len(GroupKeys))
	for i, g := range GroupKeys {
		names[i] = string(g)
	}
	return "", fmt.Errorf("unknown grouping %q (want %s)", s, strings.Join(names, ", "))
}

// orgLevel is the index in Person.OrgLevels of an org_lN key, or -1.
func (k GroupKey) orgLevel() int {
	if len(k) == 6 && strings.HasPrefix(string(k), "org_l") && k[5] >= '2' && k[5] <= '7' {
		return int(k[5] - '2')
	}
	return -1
}

// BlankGroup names the group of people with a blank value for the key;
// people with a blank organisation keep the name they always had.
func (k GroupKey) BlankGroup() string {
	if k == ByOrganisation {
		return "(none)"
	}
	return "(blank)"
}

// Of returns a person's value for the key ("" when blank).
func (k GroupKey) Of(p *Person) string {
	switch k {
	case ByOrganisation:
		return p.Organisation
	case ByStaffGroup:
		return p.StaffGroup
	case ByManager:
		return p.LineManager
	}
	if i := k.orgLevel(); i >= 0 && p.OrgLevels != nil {
		return p.OrgLevels[i]
	}
	return ""
}

// AggregateBy sums people per group of the key (sorted by name) and in
// total. Everyone places their group, so a group whose people are all
// exempt or new starters still appears, with nobody required; only people
// counted add to its figures (see Summary.add).
func AggregateBy(people []Person, key GroupKey) (groups []*Summary, total *Summary) {
	byName := map[string]*Summary{}
	total = newSummary(TotalName)
	for i := range people {
		p := &people[i]
		name := key.Of(p)
		if name == "" {
			name = key.BlankGroup()
		}
		s := byName[name]
		if s == nil {
			s = newSummary(name)
			byName[name] = s
			groups = append(groups, s)
		}
		s.add(p)
		total.add(p)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Organisation < groups[j].Organisation })
	return groups, total
}
