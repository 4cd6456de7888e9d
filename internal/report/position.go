// Package report owns the outputs an analyst reads on the command line and
// exports: each person's status (table, CSV, JSON, XLSX), the compliance
// summary per organisation and level, and the data-quality report. It loads
// the snapshot in force on the as-of date from the store and runs the
// compliance engine over it.
package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Position is the workforce's training position on an as-of date.
type Position struct {
	AsOf     time.Time
	Snapshot store.Snapshot
	People   []compliance.Person
	Policy   compliance.Policy
	// Exemptions is true when any exemption has been imported: with
	// new_starter_days on, it shows the columns and counts of who counts
	// (see Extras).
	Exemptions bool
}

// Extras says which outputs beyond the contract's first ones a position
// shows: who counts (start date, exempt reason, the statuses new_starter
// and exempt) only when new_starter_days is on or an exemption has been
// imported, so that a trust using neither sees its outputs unchanged; the
// annual-update measure only when configured.
func (p *Position) Extras() Extras {
	return Extras{Counting: p.Policy.NewStarterDays > 0 || p.Exemptions, Update: p.Policy.AnnualUpdate != nil}
}

// Extras are the optional parts of status and summary outputs.
type Extras struct {
	Counting bool // start_date, exempt_reason, new_starter and exempt
	Update   bool // update_due
}

// NoSnapshotError says there is no staff extract to answer for a date.
type NoSnapshotError struct{ AsOf time.Time }

func (e *NoSnapshotError) Error() string {
	return fmt.Sprintf("no staff snapshot on or before %s: import a staff extract effective on or before that date first (prevent import staff FILE --effective DATE)", e.AsOf.Format(time.DateOnly))
}

// Load computes the position on asOf from the latest staff snapshot
// effective on or before it and every completion dated on or before it.
// The engine needs, per person and Prevent level, only the latest
// completion, so that is all it reads: the database picks it out of the
// completions of the courses that map to a level (the config's course
// rules applied once to each distinct course name), and memory grows with
// the workforce, not with the training history.
func Load(ctx context.Context, s *store.Store, pol compliance.Policy, asOf time.Time) (*Position, error) {
	return LoadFor(ctx, s, pol, asOf, NeedAll)
}

// Need says what a report reads of each person beyond their employee
// number, organisation, requirement and training position, which every
// Position has. Millions of names and emails that a report does not show
// are much of the cost of reading a national snapshot.
type Need uint8

const (
	NeedName    Need = 1 << iota // Person.Name: listings of people
	NeedContact                  // Person.Email and ManagerEmail: reminders
	NeedRole                     // Person.StaffGroup and JobRole: the dashboard
	NeedGroups                   // Person.OrgLevels, StaffGroup and LineManager: grouping
	NeedAll     = NeedName | NeedContact | NeedRole | NeedGroups
)

// fields lists the assignment fields to read for what is needed, and for
// the policy's rules; the start date too when new starters are counted or,
// exemptions being held, the start_date column is shown.
func (n Need) fields(pol *compliance.Policy, exemptions bool) []compliance.Field {
	fields := append(pol.AssignmentFields(), compliance.FieldOrganisation)
	if n&NeedName != 0 {
		fields = append(fields, store.FieldName)
	}
	if n&NeedContact != 0 {
		fields = append(fields, store.FieldEmail, store.FieldManagerEmail)
	}
	if n&NeedRole != 0 {
		fields = append(fields, compliance.FieldStaffGroup, compliance.FieldJobRole)
	}
	if n&NeedGroups != 0 {
		fields = append(fields, store.FieldOrgLevels, compliance.FieldStaffGroup, store.FieldManagerEmail)
	}
	if pol.NewStarterDays > 0 || exemptions { // start dates decide, or are shown
		fields = append(fields, store.FieldStartDate)
	}
	return fields
}

// LoadFor is Load reading of each person only what is needed (the
// particulars not needed are left empty).
func LoadFor(ctx context.Context, s *store.Store, pol compliance.Policy, asOf time.Time, need Need) (*Position, error) {
	asOf = compliance.Day(asOf)
	snap, err := snapshotAsOf(ctx, s, asOf)
	if err != nil {
		return nil, err
	}
	levels, err := courseLevels(ctx, s, &pol)
	if err != nil {
		return nil, err
	}
	ex, err := s.ExemptionsAsOf(ctx, asOf)
	if err != nil {
		return nil, err
	}
	anyEx := ex.Len() > 0
	if !anyEx {
		if anyEx, err = s.HasExemptions(ctx); err != nil {
			return nil, err
		}
	}
	// What pol.Evaluate does, with people built as the assignments
	// stream in on one core while the latest completions are picked out
	// on the other.
	var people []compliance.Person
	staffDone := make(chan error, 1)
	go func() {
		b := pol.NewWorkforce(snap.People)
		err := s.EachAssignment(ctx, snap.ID, need.fields(&pol, anyEx), func(a *compliance.Assignment) error {
			b.Add(a)
			return nil
		})
		if err == nil {
			people = b.People()
		}
		staffDone <- err
	}()
	latest, err := s.LatestFor(ctx, asOf, levels, snap.People)
	if staffErr := <-staffDone; err == nil {
		err = staffErr
	}
	if err != nil {
		return nil, err
	}
	pol.AssessAll(people, latest, ex, asOf)
	return &Position{AsOf: asOf, Snapshot: snap, People: people, Policy: pol, Exemptions: anyEx}, nil
}

// snapshotAsOf is the staff snapshot in force on asOf, or a
// *NoSnapshotError.
func snapshotAsOf(ctx context.Context, s *store.Store, asOf time.Time) (store.Snapshot, error) {
	snap, err := s.SnapshotAsOf(ctx, asOf)
	if errors.Is(err, store.ErrNoSnapshot) {
		return snap, &NoSnapshotError{AsOf: asOf}
	}
	return snap, err
}

// courseLevels applies the policy's course rules once to each distinct
// course held: the Prevent group of each course key that has one.
func courseLevels(ctx context.Context, s *store.Store, pol *compliance.Policy) (map[string]int, error) {
	keys, err := s.CourseKeys(ctx)
	if err != nil {
		return nil, err
	}
	levels := make(map[string]int)
	for _, k := range keys {
		if g := pol.CourseGroup(k); g != 0 {
			levels[k] = g
		}
	}
	return levels, nil
}

// Filter selects people for the status listing.
type Filter struct {
	Org      glob.Set            // organisation patterns; empty = all
	Statuses []compliance.Status // empty = all
}

// Apply returns the people the filter selects, in order.
func (f Filter) Apply(people []compliance.Person) []compliance.Person {
	if len(f.Org) == 0 && len(f.Statuses) == 0 {
		return people
	}
	out := make([]compliance.Person, 0, len(people))
	for _, p := range people {
		if len(f.Org) > 0 && !f.Org.Match(p.Organisation) {
			continue
		}
		if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, p.Status) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Urgent returns up to n people most in need of a refresher: expired (longest
// lapsed first), never trained, then due soon (soonest first). New starters
// and exempt people are not listed.
func Urgent(people []compliance.Person, n int) []compliance.Person {
	var expired, never, soon []compliance.Person
	for _, p := range people {
		switch p.Status {
		case compliance.Expired:
			expired = append(expired, p)
		case compliance.Never:
			never = append(never, p)
		case compliance.DueSoon:
			soon = append(soon, p)
		}
	}
	byDue := func(list []compliance.Person) {
		sort.SliceStable(list, func(i, j int) bool { return list[i].DueDate.Before(list[j].DueDate) })
	}
	byDue(expired)
	byDue(soon)
	out := append(append(expired, never...), soon...)
	if len(out) > n {
		out = out[:n]
	}
	return out
}
