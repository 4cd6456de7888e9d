package web

import (
	"context"
	"strings"
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

// quarterList is the figures of each of the quarters on the request's
// data, worked out once per version: those kept as they are, the others
// together, from the position on a quarter's last day when that is
// cached, else summed from the store as the return's command sums them
// (report.LoadQuarterFigures: the completions read once for all of them,
// their snapshots at the same time, no position built). Visitors asking
// for the same list meanwhile wait for the same work.
func (s *server) quarterList(ctx context.Context, qs []returns.Quarter) ([]*quarterFigures, error) {
	version, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	key := func(q returns.Quarter) string { return "quarter " + q.String() + " " + version }
	out := make([]*quarterFigures, len(qs))
	kept := func() bool {
		all := true
		for i, q := range qs {
			if out[i] == nil {
				out[i], _ = s.quarters.get(key(q))
				all = all && out[i] != nil
			}
		}
		return all
	}
	if kept() {
		return out, nil
	}
	names := make([]string, len(qs))
	for i, q := range qs {
		names[i] = q.String()
	}
	v, err := s.work.do(ctx, "quarters "+strings.Join(names, ",")+" "+version, func(ctx context.Context) (any, error) {
		got := make(map[returns.Quarter]*quarterFigures, len(qs))
		var load []returns.Quarter
		for _, q := range qs {
			if f, ok := s.quarters.get(key(q)); ok {
				got[q] = f
			} else if pos := s.position.get(q.End(), version); pos != nil {
				got[q] = s.quarterFrom(q, pos.Snapshot, nil, nil, pos.People)
			} else {
				load = append(load, q)
			}
		}
		if len(load) > 0 {
			s.computed.Add(1)
			figs, err := report.LoadQuarterFigures(ctx, s.store, s.policy, load, s.cfg.ReturnBy())
			if err != nil {
				return nil, err
			}
			for i, qf := range figs {
				if qf.None != nil {
					got[load[i]] = &quarterFigures{None: qf.None}
				} else {
					got[load[i]] = s.quarterFrom(load[i], qf.Snapshot, qf.Groups, qf.Total, nil)
				}
			}
		}
		for q, f := range got {
			s.quarters.put(key(q), f)
		}
		return got, nil
	})
	if err != nil {
		return nil, err
	}
	got := v.(map[returns.Quarter]*quarterFigures)
	for i, q := range qs {
		if out[i] == nil {
			out[i] = got[q]
		}
	}
	return out, nil
}

// quarterFrom is a quarter's figures from its snapshot and either the
// groups and total already summed or the people of its position.
func (s *server) quarterFrom(q returns.Quarter, snap store.Snapshot, groups []*compliance.Summary, total *compliance.Summary, people []compliance.Person) *quarterFigures {
	if people != nil || total == nil {
		groups, total = compliance.AggregateBy(people, s.cfg.ReturnBy())
	}
	f := &quarterFigures{Snapshot: snap}
	f.Return = returns.BuildFrom(q, s.provider(), groups, total, s.policy.Threshold)
	f.Return.SuppressBelow = s.cfg.Return.SuppressBelow
	f.Point = pointOf(quarterLabel(q), q.End(), total)
	return f
}

// lastQuarters is n quarters, the given one first, then each before it.
func lastQuarters(q returns.Quarter, n int) []returns.Quarter {
	qs := make([]returns.Quarter, n)
	for i := range qs {
		qs[i], q = q, q.Prev()
	}
	return qs
}

// pointOf is a trend point: each level's tally and all staff's.
func pointOf(label string, asOf time.Time, total *compliance.Summary) trendRow {
	row := trendRow{Label: label, AsOf: asOf, All: total.All}
	for _, l := range compliance.Levels {
		row.Levels = append(row.Levels, total.Level(l))
	}
	return row
}
