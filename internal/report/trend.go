package report

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
)

// returnFigures are what a quarter's return and its trend are made of.
type returnFigures struct {
	snap   store.Snapshot // in force on the quarter's last day
	groups []*compliance.Summary
	total  *compliance.Summary
	trend  []*compliance.Summary // on each earlier date, up to the first with no snapshot in force
}

// loadReturnFigures gives what LoadFor, then compliance.AggregateBy by the
// key, give on asOf, and Aggregate's total on each of the earlier dates up
// to the first with no snapshot in force, worked out together and without
// building anyone's Person: the completions are read once for every date,
// the email owners worked out once, and of each earlier snapshot only what
// a total needs.
func loadReturnFigures(ctx context.Context, s *store.Store, pol compliance.Policy, asOf time.Time, by compliance.GroupKey, earlier []time.Time) (*returnFigures, error) {
	asOf = compliance.Day(asOf)
	snap, err := snapshotAsOf(ctx, s, asOf)
	if err != nil {
		return nil, err
	}
	points, err := findTotalPoints(ctx, s, earlier)
	if err != nil {
		return nil, err
	}
	levels, err := courseLevels(ctx, s, &pol)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The quarter's snapshot on one goroutine, the earlier ones each on
	// one of their own, while the completions stream in on this one.
	own := pol.NewTotalBy(snap.People, by)
	ownDone := make(chan error, 1)
	go func() {
		err := readTotal(ctx, s, snap.ID, groupedFields(&pol, by), own)
		if err == nil {
			own.Done()
		} else {
			cancel()
		}
		ownDone <- err
	}()
	pointsDone := make(chan error, 1)
	go func() {
		err := points.read(ctx, s, &pol, snap.ID, own)
		if err != nil {
			cancel()
		}
		pointsDone <- err
	}()
	latest, err := s.LatestDaysOn(ctx, append([]time.Time{asOf}, points.dates()...), levels, snap.People)
	if err != nil {
		cancel()
	}
	if err := firstError(err, <-ownDone, <-pointsDone); err != nil {
		return nil, err
	}
	ex, err := s.ExemptionsAsOf(ctx, asOf)
	if err != nil {
		return nil, err
	}
	f := &returnFigures{snap: snap}
	f.groups, f.total = own.Figures(latest[0], ex, asOf)
	if f.trend, err = points.totals(ctx, s, latest[1:]); err != nil {
		return nil, err
	}
	return f, nil
}

// groupedFields are the assignment fields figures grouped by the key are
// worked out from: a total's, and each person's main assignment's group.
func groupedFields(pol *compliance.Policy, by compliance.GroupKey) []compliance.Field {
	fields := append(totalFields(pol), compliance.FieldOrganisation, store.FieldMain)
	if by != compliance.ByOrganisation {
		fields = append(fields, store.FieldOrgLevels, compliance.FieldStaffGroup, store.FieldManagerEmail)
	}
	return fields
}

// loadFiguresOn is loadReturnFigures's figures (groups and total) on each
// of several dates, worked out together: the completions read once for
// all of them, and each snapshot in force on one of them read once, all
// at the same time. A date with no snapshot in force has its
// *NoSnapshotError as None.
func loadFiguresOn(ctx context.Context, s *store.Store, pol compliance.Policy, dates []time.Time, by compliance.GroupKey) ([]*QuarterFigures, error) {
	figs := make([]*QuarterFigures, len(dates))
	type point struct {
		at   int // in dates
		asOf time.Time
		snap store.Snapshot
	}
	var points []point
	builders := map[int64]*compliance.TotalBuilder{}
	var toRead []int64
	most := 0
	for i, d := range dates {
		d = compliance.Day(d)
		snap, err := snapshotAsOf(ctx, s, d)
		var none *NoSnapshotError
		if errors.As(err, &none) {
			figs[i] = &QuarterFigures{None: none}
			continue
		}
		if err != nil {
			return nil, err
		}
		points = append(points, point{i, d, snap})
		if builders[snap.ID] == nil {
			builders[snap.ID] = pol.NewTotalBy(snap.People, by)
			toRead = append(toRead, snap.ID)
		}
		most = max(most, snap.People)
	}
	if len(points) == 0 {
		return figs, nil
	}
	levels, err := courseLevels(ctx, s, &pol)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fields := groupedFields(&pol, by)
	errs := make([]error, len(toRead)+1)
	var wg sync.WaitGroup
	for i, id := range toRead {
		wg.Go(func() {
			b := builders[id]
			if errs[i+1] = readTotal(ctx, s, id, fields, b); errs[i+1] != nil {
				cancel()
				return
			}
			b.Done()
		})
	}
	on := make([]time.Time, len(points))
	for k, p := range points {
		on[k] = p.asOf
	}
	latest, err := s.LatestDaysOn(ctx, on, levels, most)
	if errs[0] = err; err != nil {
		cancel()
	}
	wg.Wait()
	if err := firstError(errs...); err != nil {
		return nil, err
	}
	for k, p := range points {
		ex, err := s.ExemptionsAsOf(ctx, p.asOf)
		if err != nil {
			return nil, err
		}
		f := &QuarterFigures{Snapshot: p.snap}
		f.Groups, f.Total = builders[p.snap.ID].Figures(latest[k], ex, p.asOf)
		figs[p.at] = f
	}
	return figs, nil
}

// firstError is the first of errs that is not nil, one that did not come
// of another's cancelling the rest first.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// totalPoint is an earlier date of which loadReturnFigures works out only
// the total, such as a quarter of the return's trend.
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

// read reads the points' snapshots, each once, all at once (the database
// does most of the work, grouping them, and a process of its own for each
// keeps the cores busy); the points on snapshot own (being read already)
// take its builder.
func (ps totalPoints) read(ctx context.Context, s *store.Store, pol *compliance.Policy, own int64, ownStaff *compliance.TotalBuilder) error {
	fields := totalFields(pol)
	builders := map[int64]*compliance.TotalBuilder{own: ownStaff}
	var toRead []*totalPoint
	for _, p := range ps {
		if b, ok := builders[p.snap.ID]; ok {
			p.staff = b
			continue
		}
		p.staff = pol.NewTotal(p.snap.People)
		builders[p.snap.ID] = p.staff
		toRead = append(toRead, p)
	}
	errs := make([]error, len(toRead))
	var wg sync.WaitGroup
	for i, p := range toRead {
		wg.Go(func() {
			if errs[i] = readTotal(ctx, s, p.snap.ID, fields, p.staff); errs[i] == nil {
				p.staff.Done()
			}
		})
	}
	wg.Wait()
	return firstError(errs...)
}

// readTotal adds a snapshot's assignments to a total, reading of each the
// fields listed, by kind (see store.EachAssignmentKind) unless the
// employee number is one of them, which makes as many kinds as people.
func readTotal(ctx context.Context, s *store.Store, snapshotID int64, fields []compliance.Field, b *compliance.TotalBuilder) error {
	if slices.Contains(fields, compliance.FieldEmployeeNumber) {
		return s.EachAssignment(ctx, snapshotID, fields, func(a *compliance.Assignment) error {
			b.Add(a)
			return nil
		})
	}
	return s.EachAssignmentKind(ctx, snapshotID, fields, func(emp []byte, a *compliance.Assignment, kind int, values *compliance.Assignment) error {
		b.AddKind(emp, a, kind, values)
		return nil
	})
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
