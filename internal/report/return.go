package report

import (
	"context"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// trendQuarters is how many earlier quarters the return's trend shows.
const trendQuarters = 4

// QuarterFigures are a quarter's figures as its return sums them: the
// staff snapshot in force on its last day, each group's and the total; or
// None, when no snapshot is in force on that day.
type QuarterFigures struct {
	None     *NoSnapshotError
	Snapshot store.Snapshot
	Groups   []*compliance.Summary
	Total    *compliance.Summary
}

// LoadQuarterFigures works out the figures of each quarter, grouped by the
// key ("" is by organisation), as LoadFor and then compliance.AggregateBy
// give them but without building anyone's Person, and all the quarters
// together: the completions read once, each snapshot once, the snapshots
// at the same time. On a national workforce that is a fraction of the
// time and memory of a position each.
func LoadQuarterFigures(ctx context.Context, s *store.Store, pol compliance.Policy, qs []returns.Quarter, by compliance.GroupKey) ([]*QuarterFigures, error) {
	if by == "" {
		by = compliance.ByOrganisation
	}
	ends := make([]time.Time, len(qs))
	for i, q := range qs {
		ends[i] = q.End()
	}
	return loadFiguresOn(ctx, s, pol, ends, by)
}

// QuarterReturn computes a quarter's return from the snapshot in force on
// its last day, with its provenance, and the trend over the previous
// quarters for which a snapshot exists when withTrend (the XLSX shows it;
// the CSV does not need it). Its rows group by the key by (config
// return.by; "" is by organisation).
func QuarterReturn(ctx context.Context, s *store.Store, pol compliance.Policy, p returns.Provider, q returns.Quarter, suppressBelow int, by compliance.GroupKey, now time.Time, withTrend bool) (*returns.Return, []returns.TrendPoint, error) {
	if by == "" {
		by = compliance.ByOrganisation
	}
	// The trend's quarters are worked out with the quarter's own figures:
	// their completions are read in the same pass.
	var earlier []returns.Quarter
	if withTrend {
		for i, pq := 0, q.Prev(); i < trendQuarters; i, pq = i+1, pq.Prev() {
			earlier = append(earlier, pq)
		}
	}
	ends := make([]time.Time, len(earlier))
	for i, pq := range earlier {
		ends[i] = pq.End()
	}
	f, err := loadReturnFigures(ctx, s, pol, q.End(), by, ends)
	if err != nil {
		return nil, nil, err
	}
	r := returns.BuildFrom(q, p, f.groups, f.total, pol.Threshold)
	r.SuppressBelow = suppressBelow
	r.SnapshotDate, r.SnapshotFile = f.snap.EffectiveDate, f.snap.FileName
	r.GeneratedAt = now
	imports, err := s.Imports(ctx)
	if err != nil {
		return nil, nil, err
	}
	r.Sources = append(r.Sources, f.snap.FileName)
	for i := len(imports) - 1; i >= 0; i-- { // oldest first
		imp := imports[i]
		if imp.Kind == store.KindCompletions && !imp.IsReRead() { // a re-read is the same file again
			r.Sources = append(r.Sources, imp.FileName)
		}
	}
	if !withTrend {
		return r, nil, nil
	}
	// Oldest first; up to the first quarter with no snapshot.
	var trend []returns.TrendPoint
	for i, total := range f.trend {
		trend = append([]returns.TrendPoint{{Quarter: earlier[i], Total: total}}, trend...)
	}
	return r, trend, nil
}
