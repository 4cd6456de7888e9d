package report

import (
	"context"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
)

// LoadPerson is LoadFor for the one person with this employee number (as
// written in the staff extract): the position on asOf of that person
// alone, read by index (their assignments in the snapshot in force, their
// latest completions by number and by their emails, their exemptions) and
// assessed by the same engine, so that it is what LoadFor gives them in
// the whole workforce. People is that person, or empty when they are not
// in the workforce on the date (no counted assignment in the snapshot).
// The cost does not grow with the workforce.
func LoadPerson(ctx context.Context, s *store.Store, pol compliance.Policy, asOf time.Time, emp string, need Need) (*Position, error) {
	asOf = compliance.Day(asOf)
	snap, err := snapshotAsOf(ctx, s, asOf)
	if err != nil {
		return nil, err
	}
	// Whether any exemption is held: what LoadFor works out from the
	// exemptions on the date, else from the table.
	anyEx, err := s.HasExemptions(ctx)
	if err != nil {
		return nil, err
	}
	b := pol.NewWorkforce(1)
	if err := s.EachAssignmentOf(ctx, snap.ID, emp, need.fields(&pol, anyEx), func(a *compliance.Assignment) error {
		b.Add(a)
		return nil
	}); err != nil {
		return nil, err
	}
	pos := &Position{AsOf: asOf, Snapshot: snap, People: b.People(), Policy: pol, Exemptions: anyEx}
	if len(pos.People) == 0 {
		return pos, nil
	}
	levels, err := courseLevels(ctx, s, &pol)
	if err != nil {
		return nil, err
	}
	training, err := s.LatestOf(ctx, asOf, levels, emp)
	if err != nil {
		return nil, err
	}
	ex, err := s.ExemptionsOf(ctx, asOf, emp)
	if err != nil {
		return nil, err
	}
	pol.AssessAll(pos.People, training, ex, asOf)
	return pos, nil
}
