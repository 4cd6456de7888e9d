package report

import (
	"context"
	"errors"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// trendQuarters is how many earlier quarters the return's trend shows.
const trendQuarters = 4

// QuarterReturn computes a quarter's return from the snapshot in force on
// its last day, with its provenance, and the trend over the previous
// quarters for which a snapshot exists when withTrend (the XLSX shows it;
// the CSV does not need it). Its rows group by the key by (config
// return.by; "" is by organisation).
func QuarterReturn(ctx context.Context, s *store.Store, pol compliance.Policy, p returns.Provider, q returns.Quarter, suppressBelow int, by compliance.GroupKey, now time.Time, withTrend bool) (*returns.Return, []returns.TrendPoint, error) {
	if by == "" {
		by = compliance.ByOrganisation
	}
	var need Need
	if by != compliance.ByOrganisation {
		need = NeedGroups
	}
	pos, err := LoadFor(ctx, s, pol, q.End(), need)
	if err != nil {
		return nil, nil, err
	}
	r := returns.BuildBy(q, p, pos.People, pol.Threshold, by)
	r.SuppressBelow = suppressBelow
	r.SnapshotDate, r.SnapshotFile = pos.Snapshot.EffectiveDate, pos.Snapshot.FileName
	r.GeneratedAt = now
	imports, err := s.Imports(ctx)
	if err != nil {
		return nil, nil, err
	}
	r.Sources = append(r.Sources, pos.Snapshot.FileName)
	for i := len(imports) - 1; i >= 0; i-- { // oldest first
		imp := imports[i]
		if imp.Kind == store.KindCompletions {
			r.Sources = append(r.Sources, imp.FileName)
		}
	}
	if !withTrend {
		return r, nil, nil
	}
	var trend []returns.TrendPoint
	for i, pq := 0, q.Prev(); i < trendQuarters; i, pq = i+1, pq.Prev() {
		prev, err := LoadFor(ctx, s, pol, pq.End(), 0)
		var none *NoSnapshotError
		if errors.As(err, &none) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		_, total := compliance.Aggregate(prev.People)
		trend = append([]returns.TrendPoint{{Quarter: pq, Total: total}}, trend...)
	}
	return r, trend, nil
}
