package report

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
)

// totalPoint is an earlier date of which loadWithTotals works out only the
// total position, such as a quarter of the return's trend.
type totalPoint struct {
	asOf  time.Time
	snap  store.Snapshot
	staff *compliance.TotalBuilder // shared by the points on one snapshot
}

type totalPoints []*totalPoint

// findTotalPoints finds the snapshot in force on each date, up to the first
// date with none.
func findTotalPoints(ctx context.Context, s *store.Store, dates []time.Time) (totalPoints, error) {
	var ps totalPoints
	for _, d := range dates {
		d = compliance.Day(d)
		snap, err := s.SnapshotAsOf(ctx, d)
		if errors.Is(err, store.ErrNoSnapshot) {
			break
		}
		if err != nil {
			return nil, err
		}
		ps = append(ps, &totalPoint{asOf: d, snap: snap})
	}
	return ps, nil
}

func (ps totalPoints) dates() []time.Time {
	out := make([]time.Time, len(ps))
	for i, p := range ps {
		out[i] = p.asOf
	}
	return out
}

// totalFields are the assignment fields a total is worked out from: the
// policy's rule fields, and the start date when new starters are counted.
func totalFields(pol *compliance.Policy) []compliance.Field {
	fields := append([]compliance.Field{}, pol.AssignmentFields()...)
	if pol.NewStarterDays > 0 {
		fields = append(fields, store.FieldStartDate)
	}
	return fields
}

// read reads the points' snapshots, each once, one after the other.
func (ps totalPoints) read(ctx context.Context, s *store.Store, pol *compliance.Policy) error {
	fields := totalFields(pol)
	read := map[int64]*compliance.TotalBuilder{}
	for _, p := range ps {
		if b, ok := read[p.snap.ID]; ok {
			p.staff = b
			continue
		}
		b := pol.NewTotal(p.snap.People)
		var err error
		if slices.Contains(fields, compliance.FieldEmployeeNumber) {
			// As many kinds as people: nothing to share.
			err = s.EachAssignment(ctx, p.snap.ID, fields, func(a *compliance.Assignment) error {
				b.Add(a)
				return nil
			})
		} else {
			err = s.EachAssignmentKind(ctx, p.snap.ID, fields, func(emp string, start time.Time, kind int, a *compliance.Assignment) error {
				b.AddKind(emp, start, kind, a)
				return nil
			})
		}
		if err != nil {
			return err
		}
		b.Done()
		p.staff, read[p.snap.ID] = b, b
	}
	return nil
}

// totals works out each point's total from its snapshot (read), the
// latest completions on its date and the exemptions covering it.
func (ps totalPoints) totals(ctx context.Context, s *store.Store, latest []*store.Latest) ([]*compliance.Summary, error) {
	out := make([]*compliance.Summary, len(ps))
	for i, p := range ps {
		ex, err := s.ExemptionsAsOf(ctx, p.asOf)
		if err != nil {
			return nil, err
		}
		out[i] = p.staff.Total(latest[i], ex, p.asOf)
	}
	return out, nil
}
