package web

import (
	"context"
	"errors"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// quarterFigures are what the overview's trend and the returns page show
// of a quarter, worked out from the position on its last day: a few
// tallies, kept per quarter and data version long after the position has
// gone (a national position is hundreds of megabytes; these are a few
// kilobytes).
type quarterFigures struct {
	// None says there is no staff snapshot on or before the quarter's
	// end: nothing else is set.
	None     *report.NoSnapshotError
	Point    trendRow        // the overview's trend point
	Return   *returns.Return // as returns.BuildBy builds it for return.by
	Snapshot store.Snapshot
}

// quarterCacheSize bounds the quarters' figures kept: the overview's eight
// and the returns page's eight for a few dates and versions.
const quarterCacheSize = 64

// quarter is a quarter's figures on the request's data, worked out once
// per version: from the position on its last day when that is cached,
// else from a position read for the purpose (only the particulars the
// return and trend need) and not kept.
func (s *server) quarter(ctx context.Context, q returns.Quarter) (*quarterFigures, error) {
	version, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	return cachedWork(ctx, s, &s.quarters, "quarter "+q.String()+" "+version, func(ctx context.Context) (*quarterFigures, error) {
		var people []compliance.Person
		var snap store.Snapshot
		if pos := s.position.get(q.End(), version); pos != nil {
			people, snap = pos.People, pos.Snapshot
		} else {
			var need report.Need // organisations are always read
			if s.cfg.ReturnBy() != compliance.ByOrganisation {
				need = report.NeedGroups
			}
			s.computed.Add(1)
			pos, err := report.LoadFor(ctx, s.store, s.policy, q.End(), need)
			var none *report.NoSnapshotError
			if errors.As(err, &none) {
				return &quarterFigures{None: none}, nil
			}
			if err != nil {
				return nil, err
			}
			people, snap = pos.People, pos.Snapshot
		}
		f := &quarterFigures{Snapshot: snap}
		f.Return = returns.BuildBy(q, s.provider(), people, s.policy.Threshold, s.cfg.ReturnBy())
		f.Return.SuppressBelow = s.cfg.Return.SuppressBelow
		_, total := compliance.Aggregate(people)
		f.Point = pointOf(quarterLabel(q), q.End(), total)
		return f, nil
	})
}

// pointOf is a trend point: each level's tally and all staff's.
func pointOf(label string, asOf time.Time, total *compliance.Summary) trendRow {
	row := trendRow{Label: label, AsOf: asOf, All: total.All}
	for _, l := range compliance.Levels {
		row.Levels = append(row.Levels, total.Level(l))
	}
	return row
}
