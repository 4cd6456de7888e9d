package compliance

import "math"

// Tally counts the people who require a level and those of them compliant.
type Tally struct {
	Required  int
	Compliant int
}

// Add counts one person.
func (t *Tally) Add(compliant bool) {
	t.Required++
	if compliant {
		t.Compliant++
	}
}

// Pct10 is 1000·compliant/required rounded half up: the percentage in tenths.
// ok is false when nobody is required.
func (t Tally) Pct10() (tenths int, ok bool) {
	if t.Required == 0 {
		return 0, false
	}
	return (2000*t.Compliant + t.Required) / (2 * t.Required), true
}

// Rate is compliant/required as a fraction, 0 when nobody is required.
func (t Tally) Rate() float64 {
	if t.Required == 0 {
		return 0
	}
	return float64(t.Compliant) / float64(t.Required)
}

// Meets reports whether the tally reaches the threshold (true when nobody
// is required). The comparison is exact for thresholds given to six decimal
// places.
func (t Tally) Meets(threshold float64) bool {
	if t.Required == 0 {
		return true
	}
	th := int64(math.Round(threshold * 1e6))
	return int64(t.Compliant)*1e6 >= th*int64(t.Required)
}

// Summary is one organisation's (or the total's) position.
type Summary struct {
	Organisation string
	Headcount    int
	ByLevel      map[Level]*Tally // Basic, Level3, FaceToFace: always present
	All          Tally
	// ByStatus counts everyone placed in the group, those who count in
	// no figure (new starters, exempt) too.
	ByStatus map[Status]int
	// UpdateDue counts, per required level, the people counted who are
	// due an annual update; AllUpdateDue over every level.
	UpdateDue    map[Level]int
	AllUpdateDue int
}

// Level returns the tally for a level.
func (s *Summary) Level(l Level) Tally { return *s.ByLevel[l] }

// MeetsThreshold is true when every level with anyone required reaches the
// threshold.
func (s *Summary) MeetsThreshold(threshold float64) bool {
	for _, l := range Levels {
		if !s.ByLevel[l].Meets(threshold) {
			return false
		}
	}
	return true
}

func newSummary(org string) *Summary {
	s := &Summary{Organisation: org, ByLevel: map[Level]*Tally{}, ByStatus: map[Status]int{}, UpdateDue: map[Level]int{}}
	for _, l := range Levels {
		s.ByLevel[l] = &Tally{}
	}
	return s
}

// add places a person in the summary: their status is counted, and only
// when they count (not a new starter, not exempt) do they add to the
// headcount and the figures.
func (s *Summary) add(p *Person) {
	s.ByStatus[p.Status]++
	if !p.Counted() {
		return
	}
	if p.UpdateDue {
		s.UpdateDue[p.Requirement]++
		s.AllUpdateDue++
	}
	s.Headcount++
	ok := p.Compliant()
	if t := s.ByLevel[p.Requirement]; t != nil {
		t.Add(ok)
	}
	s.All.Add(ok)
}

// TotalName is the organisation name of the all-organisations row.
const TotalName = "TOTAL"

// Aggregate sums people per organisation (sorted by name) and in total.
// People with a blank organisation are grouped under "(none)".
func Aggregate(people []Person) (orgs []*Summary, total *Summary) {
	return AggregateBy(people, ByOrganisation)
}
