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
// else summed from the store as the return's command sums them, with no
// position built.
func (s *server) quarter(ctx context.Context, q returns.Quarter) (*quarterFigures, error) {
	version, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	return cachedWork(ctx, s, &s.quarters, "quarter "+q.String()+" "+version, func(ctx context.Context) (*quarterFigures, error) {
		if pos := s.position.get(q.End(), version); pos != nil {
			f := &quarterFigures{Snapshot: pos.Snapshot}
			f.Return = returns.BuildBy(q, s.provider(), pos.People, s.policy.Threshold, s.cfg.ReturnBy())
			f.Return.SuppressBelow = s.cfg.Return.SuppressBelow
			_, total := compliance.Aggregate(pos.People)
			f.Point = pointOf(quarterLabel(q), q.End(), total)
			return f, nil
		}
		// Summed as the return is, without building anyone's Person: a
		// national workforce's quarters for the trend and the returns
		// page in seconds each, not a full position each.
		s.computed.Add(1)
		qf, err := report.LoadQuarterFigures(ctx, s.store, s.policy, q, s.cfg.ReturnBy())
		var none *report.NoSnapshotError
		if errors.As(err, &none) {
			return &quarterFigures{None: none}, nil
		}
		if err != nil {
			return nil, err
		}
		f := &quarterFigures{Snapshot: qf.Snapshot}
		f.Return = returns.BuildFrom(q, s.provider(), qf.Groups, qf.Total, s.policy.Threshold)
		f.Return.SuppressBelow = s.cfg.Return.SuppressBelow
		f.Point = pointOf(quarterLabel(q), q.End(), qf.Total)
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
