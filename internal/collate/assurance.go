package collate

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Provider is a provider the commissioner expects a return from (config
// providers:).
type Provider struct {
	Name    string
	ODSCode string // upper case
	Email   string // the return contact
}

// Status is where a provider's return for the quarter stands.
type Status string

const (
	Received Status = "received" // accepted, received before the window closed
	Late     Status = "late"     // accepted, first received after the window closed
	Missing  Status = "missing"  // none accepted, and the window has closed
	Awaited  Status = "awaited"  // none accepted yet, and the window is open
)

// Flags of an assurance line.
const (
	FlagMissing         = "missing"
	FlagLate            = "late"
	FlagBelowThreshold  = "below_threshold"
	FlagResubmitted     = "resubmitted"
	FlagRejectedFile    = "rejected_file"    // the latest file received from it was refused
	FlagUnknownProvider = "unknown_provider" // a return from a provider not in the config
)

// Line is one provider's position in the assurance table.
type Line struct {
	Provider Provider
	Known    bool                  // in the config
	Return   *store.ProviderReturn // the return in use; nil when none was accepted
	// FirstReceived is when the first accepted return arrived: a
	// correction sent after the window closed does not make it late.
	FirstReceived time.Time
	Versions      int                       // returns accepted, the one in use included
	Previous      *store.ProviderReturn     // the previous quarter's return in use, if any
	Rejected      []store.ProviderRejection // files from it refused for this quarter
	Status        Status
	Flags         []string
}

// Assurance is every provider's return for a quarter, against the
// threshold and the previous quarter.
type Assurance struct {
	Quarter   returns.Quarter
	Window    Window
	Threshold float64
	Now       time.Time
	Lines     []Line // configured providers by name, then unknown ones by code
	// Rejections are every file refused for the quarter, whoever sent it.
	Rejections []store.ProviderRejection
	// Referrals are the providers' referrals sections collated for the
	// quarter, by upper-case provider code.
	Referrals map[string]store.ProviderReferrals
}

// Input is what Assess works from.
type Input struct {
	Quarter    returns.Quarter
	Window     Window
	Threshold  float64 // DefaultThreshold when 0
	Now        time.Time
	Providers  []Provider                // from the config
	Returns    []store.ProviderReturn    // every version accepted for the quarter
	Previous   []store.ProviderReturn    // every version accepted for the quarter before
	Rejections []store.ProviderRejection // files refused for the quarter
}

// Assess builds the assurance table: one line per configured provider, and
// one per provider not in the config whose return was accepted anyway.
func Assess(in Input) *Assurance {
	if in.Threshold == 0 {
		in.Threshold = DefaultThreshold
	}
	a := &Assurance{Quarter: in.Quarter, Window: in.Window, Threshold: in.Threshold, Now: in.Now, Rejections: in.Rejections}
	lines := map[string]*Line{}
	var order []string
	add := func(p Provider, known bool) *Line {
		if l := lines[p.ODSCode]; l != nil {
			return l
		}
		lines[p.ODSCode] = &Line{Provider: p, Known: known}
		order = append(order, p.ODSCode)
		return lines[p.ODSCode]
	}
	for _, p := range in.Providers {
		add(p, true)
	}
	for i := range in.Returns {
		r := &in.Returns[i]
		l := add(Provider{Name: r.ProviderName, ODSCode: r.ProviderCode}, false)
		l.Versions++
		if l.FirstReceived.IsZero() || r.ReceivedAt.Before(l.FirstReceived) {
			l.FirstReceived = r.ReceivedAt
		}
		if r.Current() {
			l.Return = r
		}
	}
	for i := range in.Previous {
		if r := &in.Previous[i]; r.Current() && lines[r.ProviderCode] != nil {
			lines[r.ProviderCode].Previous = r
		}
	}
	for _, rj := range in.Rejections {
		if l := lines[rj.ProviderCode]; l != nil {
			l.Rejected = append(l.Rejected, rj)
		}
	}
	for _, code := range order {
		l := lines[code]
		l.assess(a)
		a.Lines = append(a.Lines, *l)
	}
	sort.SliceStable(a.Lines, func(i, j int) bool {
		x, y := a.Lines[i], a.Lines[j]
		return listedBefore(x.Provider, x.Known, y.Provider, y.Known)
	})
	return a
}

// listedBefore orders providers as the assurance table lists them:
// configured ones by name, then the others by code.
func listedBefore(x Provider, xKnown bool, y Provider, yKnown bool) bool {
	if xKnown != yKnown {
		return xKnown
	}
	if xKnown {
		return x.Name < y.Name
	}
	return x.ODSCode < y.ODSCode
}

func (l *Line) assess(a *Assurance) {
	switch {
	case l.Return == nil && a.Window.Closed(a.Now):
		l.Status = Missing
		l.Flags = append(l.Flags, FlagMissing)
	case l.Return == nil:
		l.Status = Awaited
	case a.Window.OnTime(l.FirstReceived):
		l.Status = Received
	default:
		l.Status = Late
		l.Flags = append(l.Flags, FlagLate)
	}
	if l.Return != nil && !l.Total().MeetsThreshold(a.Threshold) {
		l.Flags = append(l.Flags, FlagBelowThreshold)
	}
	if l.Versions > 1 {
		l.Flags = append(l.Flags, FlagResubmitted)
	}
	for _, rj := range l.Rejected {
		if l.Return == nil || rj.ReceivedAt.After(l.Return.ReceivedAt) {
			l.Flags = append(l.Flags, FlagRejectedFile)
			break
		}
	}
	if !l.Known {
		l.Flags = append(l.Flags, FlagUnknownProvider)
	}
}

// Total is the return's TOTAL row as a summary; nil when there is none.
func (l *Line) Total() *compliance.Summary { return total(l.Return) }

func total(r *store.ProviderReturn) *compliance.Summary {
	if r == nil {
		return nil
	}
	s := &compliance.Summary{Organisation: compliance.TotalName, Headcount: r.Headcount, ByLevel: map[compliance.Level]*compliance.Tally{},
		All: compliance.Tally{Required: r.Headcount, Compliant: r.AllCompliant}}
	for _, lv := range compliance.Levels {
		t := r.Level(lv)
		s.ByLevel[lv] = &t
	}
	return s
}

// Tally is a level's TOTAL tally, or everyone's for compliance.LevelNone.
func tallyOf(r *store.ProviderReturn, lv compliance.Level) (compliance.Tally, bool) {
	if r == nil {
		return compliance.Tally{}, false
	}
	if lv == compliance.LevelNone {
		return compliance.Tally{Required: r.Headcount, Compliant: r.AllCompliant}, true
	}
	return r.Level(lv), true
}

// Rate is the return's TOTAL tally for a level (everyone for
// compliance.LevelNone); ok is false when there is no return.
func (l *Line) Rate(lv compliance.Level) (compliance.Tally, bool) { return tallyOf(l.Return, lv) }

// Change is the change of a level's TOTAL rate since the previous quarter
// in percentage points, as the rounded percentages show it ("+1.5",
// "-0.3", "0.0"); "" when either quarter has nobody required at the level.
func (l *Line) Change(lv compliance.Level) string {
	cur, ok1 := tallyOf(l.Return, lv)
	prev, ok2 := tallyOf(l.Previous, lv)
	if !ok1 || !ok2 {
		return ""
	}
	a, ok1 := cur.Pct10()
	b, ok2 := prev.Pct10()
	if !ok1 || !ok2 {
		return ""
	}
	d := a - b
	sign := "+"
	switch {
	case d < 0:
		sign, d = "-", -d
	case d == 0:
		sign = ""
	}
	return sign + strconv.Itoa(d/10) + "." + strconv.Itoa(d%10)
}

// Counts are the assurance table in numbers.
type Counts struct {
	Providers int // configured
	Received  int // on time
	Late      int
	Missing   int
	Awaited   int
	Below     int // returns below the threshold
	Unknown   int // returns from providers not configured
	Rejected  int // files refused for the quarter
}

// Counts sums the table.
func (a *Assurance) Counts() Counts {
	c := Counts{Rejected: len(a.Rejections)}
	for _, l := range a.Lines {
		if l.Known {
			c.Providers++
		} else {
			c.Unknown++
		}
		switch l.Status {
		case Received:
			c.Received++
		case Late:
			c.Late++
		case Missing:
			c.Missing++
		case Awaited:
			c.Awaited++
		}
		if slices.Contains(l.Flags, FlagBelowThreshold) {
			c.Below++
		}
	}
	return c
}

// Load reads the quarter's returns, the previous quarter's and the
// rejected files from the store and assesses them.
func Load(ctx context.Context, s *store.Store, providers []Provider, q returns.Quarter, threshold float64, workingDays int, now time.Time) (*Assurance, error) {
	cur, err := s.ProviderReturns(ctx, q.String())
	if err != nil {
		return nil, err
	}
	prev, err := s.ProviderReturns(ctx, q.Prev().String())
	if err != nil {
		return nil, err
	}
	rej, err := s.ProviderRejections(ctx, q.String())
	if err != nil {
		return nil, err
	}
	refs, err := s.ProviderReferralsFor(ctx, q.String())
	if err != nil {
		return nil, err
	}
	a := Assess(Input{Quarter: q, Window: SubmissionWindow(q, workingDays), Threshold: threshold, Now: now,
		Providers: providers, Returns: cur, Previous: prev, Rejections: rej})
	a.Referrals = refs
	return a, nil
}
