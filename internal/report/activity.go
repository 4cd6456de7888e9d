package report

import (
	"context"
	"time"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// ReturnOptions are what a quarterly return is built from besides the
// store: the config's rules, provider and leads.
type ReturnOptions struct {
	Policy        compliance.Policy
	Provider      returns.Provider
	SuppressBelow int                 // return.suppress_below
	By            compliance.GroupKey // return.by (organisation when empty)
	Lead          activity.Lead       // prevent_lead (zero when not configured)
	Accountable   activity.Lead       // accountable_lead
	Now           time.Time           // when it is generated
	WithTrend     bool                // the XLSX's trend over earlier quarters
}

// BuildReturn is the quarterly return as every output gives it (the CLI,
// the email, the dashboard's download): the training return, with the
// referrals section when a Prevent lead is configured or a referral or
// meetings log has been imported.
func BuildReturn(ctx context.Context, s *store.Store, q returns.Quarter, o ReturnOptions) (*returns.Return, []returns.TrendPoint, error) {
	r, trend, err := QuarterReturn(ctx, s, o.Policy, o.Provider, q, o.SuppressBelow, o.By, o.Now, o.WithTrend)
	if err != nil {
		return nil, nil, err
	}
	on, err := ActivityReported(ctx, s, o.Lead)
	if err != nil || !on {
		return r, trend, err
	}
	if r.Activity, err = QuarterActivity(ctx, s, q, o); err != nil {
		return nil, nil, err
	}
	return r, trend, nil
}

// ActivityReported reports whether the return carries its referrals
// section: a Prevent lead is configured, or a referral or meetings log has
// been imported.
func ActivityReported(ctx context.Context, s *store.Store, lead activity.Lead) (bool, error) {
	if !lead.IsZero() {
		return true, nil
	}
	return s.HasActivityLogs(ctx)
}

// QuarterActivity is the referrals section of a quarter's return: the
// counts of the concerns raised and meetings held in it, and the leads.
func QuarterActivity(ctx context.Context, s *store.Store, q returns.Quarter, o ReturnOptions) (*returns.Activity, error) {
	counts, err := ActivityCounts(ctx, s, []returns.Quarter{q})
	if err != nil {
		return nil, err
	}
	a := &returns.Activity{Counts: counts[0], Lead: o.Lead, Accountable: o.Accountable, SuppressBelow: o.SuppressBelow}
	if !o.Lead.IsZero() {
		hist, err := s.LeadHistory(ctx)
		if err != nil {
			return nil, err
		}
		if n := len(hist); n > 0 && hist[n-1].Lead.Same(o.Lead) {
			a.LeadSince = hist[n-1].SeenOn.Format(time.DateOnly)
		}
	}
	return a, nil
}

// ActivityCounts are the referral and partnership counts of each quarter,
// in the order given.
func ActivityCounts(ctx context.Context, s *store.Store, qs []returns.Quarter) ([]activity.QuarterCounts, error) {
	refs, err := s.Referrals(ctx)
	if err != nil {
		return nil, err
	}
	meets, err := s.Meetings(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]activity.QuarterCounts, len(qs))
	for i, q := range qs {
		out[i] = activity.Count(refs, meets, q.Start(), q.End())
	}
	return out, nil
}
