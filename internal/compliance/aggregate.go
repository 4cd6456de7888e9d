package compliance

import (
	"math"
	"sort"
)

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
	ByStatus     map[Status]int
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
	s := &Summary{Organisation: org, ByLevel: map[Level]*Tally{}, ByStatus: map[Status]int{}}
	for _, l := range Levels {
		s.ByLevel[l] = &Tally{}
	}
	return s
}

func (s *Summary) add(p *Person) {
	s.Headcount++
	ok := p.Compliant()
	if t := s.ByLevel[p.Requirement]; t != nil {
		t.Add(ok)
	}
	s.All.Add(ok)
	s.ByStatus[p.Status]++
}

// TotalName is the organisation name of the all-organisations row.
const TotalName = "TOTAL"

// Aggregate sums people per organisation (sorted by name) and in total.
// People with a blank organisation are grouped under "(none)".
func Aggregate(people []Person) (orgs []*Summary, total *Summary) {
	byOrg := map[string]*Summary{}
	total = newSummary(TotalName)
	for i := range people {
		p := &people[i]
		org := p.Organisation
		if org == "" {
			org = "(none)"
		}
		s := byOrg[org]
		if s == nil {
			s = newSummary(org)
			byOrg[org] = s
			orgs = append(orgs, s)
		}
		s.add(p)
		total.add(p)
	}
	sort.Slice(orgs, func(i, j int) bool { return orgs[i].Organisation < orgs[j].Organisation })
	return orgs, total
}
