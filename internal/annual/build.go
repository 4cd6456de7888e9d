package annual

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// TrendQuarters and ForecastMonths are how far the report looks back and
// ahead, as the dashboard does.
const (
	TrendQuarters  = 8
	ForecastMonths = 6
)

// Source is where a report's figures come from.
type Source struct {
	Store    *store.Store
	Policy   compliance.Policy
	Provider returns.Provider
	Leads    Leads
	Plan     *compliance.TrainingPlan // nil: no training_plan
	// RAG colours a rate "red", "amber" or "green"; nil without rag:.
	RAG func(compliance.Tally) string
	// Lead is prevent_lead as configured: with it, or with a referral or
	// meetings log imported, the report has the referrals section.
	Lead activity.Lead
	// By is the key the year-end table groups by, as the return does
	// (return.by; organisation when empty).
	By  compliance.GroupKey
	Now time.Time
}

// NotReportableError says a year cannot be reported yet, or has no staff
// extract to report from.
type NotReportableError struct{ Msg string }

func (e *NotReportableError) Error() string { return e.Msg }

// Build gathers the report for a year: a year not over is reported up to
// its last completed quarter.
func Build(ctx context.Context, src Source, y returns.Year) (*Report, error) {
	today := compliance.Day(src.Now)
	quarters := y.Completed(today)
	if len(quarters) == 0 {
		return nil, &NotReportableError{fmt.Sprintf("%s has no completed quarter yet (its first ends on %s): report the year before with --year %s",
			y, y.Quarters()[0].End().Format("2 January 2006"), returns.Year{StartYear: y.StartYear - 1})}
	}
	last := quarters[len(quarters)-1]
	r := &Report{Year: y, Provider: src.Provider, Threshold: src.Policy.Threshold, Complete: len(quarters) == 4,
		LastDay: last.End(), GeneratedAt: src.Now, Leads: src.Leads, RAG: src.RAG}
	g := gatherer{ctx: ctx, src: src, positions: map[time.Time]*report.Position{}}
	if err := g.counting(); err != nil {
		return nil, err
	}
	pos, err := g.position(last.End())
	if err != nil {
		return nil, err
	}
	if pos == nil {
		return nil, &NotReportableError{fmt.Sprintf("no staff extract is held for %s: %s cannot be reported (import a staff extract effective on or before that day, or choose another --year)",
			last.End().Format("2 January 2006"), y)}
	}
	for _, q := range quarters {
		qp, err := g.quarter(q)
		if err != nil {
			return nil, err
		}
		r.Quarters = append(r.Quarters, qp)
	}
	if r.Trend, err = g.trend(last); err != nil {
		return nil, err
	}
	by := src.By
	if by == "" {
		by = compliance.ByOrganisation
	}
	r.YearEnd = returns.BuildBy(last, src.Provider, pos.People, src.Policy.Threshold, by)
	r.YearEnd.SnapshotDate, r.YearEnd.SnapshotFile = pos.Snapshot.EffectiveDate, pos.Snapshot.FileName
	r.Plan = plan(pos.People, r.LastDay, src)
	if r.Returns, err = returnsSent(ctx, src.Store, quarters); err != nil {
		return nil, err
	}
	q, err := report.LoadQualityCounts(ctx, src.Store, src.Policy)
	if err != nil {
		return nil, err
	}
	r.Quality = qualityOf(q)
	if r.Referrals, err = referrals(ctx, src, quarters); err != nil {
		return nil, err
	}
	return r, nil
}

// referrals are the year's activity counts per quarter, as the return's
// referrals section gives them (zeros before any log is imported).
func referrals(ctx context.Context, src Source, quarters []returns.Quarter) ([]QuarterActivity, error) {
	counts, err := report.ActivityCounts(ctx, src.Store, quarters)
	if err != nil {
		return nil, err
	}
	out := make([]QuarterActivity, len(quarters))
	for i, q := range quarters {
		out[i] = QuarterActivity{Quarter: q, Counts: counts[i]}
	}
	return out, nil
}

// gatherer loads each date's position once: the year's quarters are
// among the trend's.
type gatherer struct {
	ctx       context.Context
	src       Source
	positions map[time.Time]*report.Position
	// starters says new starters and exemptions are counted (a grace
	// period configured, or an exemption imported), as status and
	// summary show them.
	starters bool
}

// counting finds which of the counts beside the figures are kept.
func (g *gatherer) counting() error {
	g.starters = g.src.Policy.NewStarterDays > 0
	if !g.starters {
		held, err := g.src.Store.HasExemptions(g.ctx)
		if err != nil {
			return err
		}
		g.starters = held
	}
	return nil
}

// position is the position on a day, nil when no staff extract was in
// force. It reads no names or contact details: the report has none.
func (g *gatherer) position(day time.Time) (*report.Position, error) {
	if p, ok := g.positions[day]; ok {
		return p, nil
	}
	var need report.Need
	if g.src.By != "" && g.src.By != compliance.ByOrganisation {
		need = report.NeedGroups // the year-end table groups by another key
	}
	p, err := report.LoadFor(g.ctx, g.src.Store, g.src.Policy, day, need)
	var none *report.NoSnapshotError
	if errors.As(err, &none) {
		p, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	g.positions[day] = p
	return p, nil
}

func (g *gatherer) quarter(q returns.Quarter) (QuarterPosition, error) {
	qp := QuarterPosition{Quarter: q, AsOf: q.End()}
	pos, err := g.position(q.End())
	if err != nil || pos == nil {
		return qp, err
	}
	_, qp.Total = compliance.Aggregate(pos.People)
	qp.SnapshotDate = pos.Snapshot.EffectiveDate
	// Read from the same aggregate as the figures, never counted here.
	if g.starters {
		starters, exempt := qp.Total.ByStatus[compliance.NewStarter], qp.Total.ByStatus[compliance.Exempt]
		qp.NewStarters, qp.Exempt = &starters, &exempt
	}
	if u := g.src.Policy.AnnualUpdate; u != nil {
		qp.UpdateDue = map[compliance.Level]int{}
		for _, l := range compliance.Levels {
			if u.Applies(l) {
				qp.UpdateDue[l] = qp.Total.UpdateDue[l]
			}
		}
	}
	return qp, nil
}

// trend is the quarters up to last, back to TrendQuarters of them, from
// the first with a staff extract held.
func (g *gatherer) trend(last returns.Quarter) ([]QuarterPosition, error) {
	var out []QuarterPosition
	q := last
	for i := 0; i < TrendQuarters; i, q = i+1, q.Prev() {
		qp, err := g.quarter(q)
		if err != nil {
			return nil, err
		}
		if !qp.Held() {
			break // earlier quarters have none either
		}
		out = append([]QuarterPosition{qp}, out...)
	}
	return out, nil
}

// plan is the dashboard's forecast from the report's last day, for the
// levels anyone requires, and the face-to-face sessions it needs.
func plan(people []compliance.Person, from time.Time, src Source) Plan {
	p := Plan{From: from}
	all := compliance.Forecasts(people, from, src.Policy.Threshold, ForecastMonths)
	for _, f := range all {
		if f.Now.Required > 0 {
			p.Forecasts = append(p.Forecasts, f)
		}
	}
	if tp := src.Plan; tp != nil {
		s := Sessions{Plan: *tp}
		for _, f := range all {
			if f.Level == compliance.FaceToFace {
				s.PerMonth = f.PerMonth
			}
		}
		s.Needed, s.Capacity = tp.FaceToFaceSessions(all)
		p.Sessions = &s
	}
	return p
}

// returnsSent sums up the deliveries of each quarter's return.
func returnsSent(ctx context.Context, s *store.Store, quarters []returns.Quarter) ([]ReturnSent, error) {
	var out []ReturnSent
	for _, q := range quarters {
		list, err := s.Deliveries(ctx, store.ReturnKind, q.String())
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			continue
		}
		rs := ReturnSent{Quarter: q}
		owed, sent := map[string]bool{}, map[string]bool{}
		corrections := map[int]bool{} // resends (generation 1 on) that went to anyone
		for _, d := range list {
			owed[d.Recipient] = true
			if d.Status != store.DeliverySent {
				continue
			}
			sent[d.Recipient] = true
			if d.Generation > 0 {
				corrections[d.Generation] = true
			}
			if rs.FirstSent.IsZero() || d.SentAt.Before(rs.FirstSent) {
				rs.FirstSent = d.SentAt
			}
			if d.SentAt.After(rs.LastSent) {
				rs.LastSent = d.SentAt
			}
		}
		rs.Recipients, rs.Sent, rs.Resent = len(owed), len(sent), len(corrections)
		out = append(out, rs)
	}
	return out, nil
}

func qualityOf(q *report.Quality) Quality {
	t := q.Totals()
	return Quality{Imports: t.Files, StaffImports: t.ByKind[store.KindStaff], CompletionImports: t.ByKind[store.KindCompletions],
		ExemptionImports: t.ByKind[store.KindExemptions], ReferralImports: t.ByKind[store.KindReferrals],
		MeetingImports: t.ByKind[store.KindMeetings], ReReads: t.ReReads, RowsRead: t.RowsRead, RowsImported: t.RowsImported,
		RowsRejected: len(q.RowErrors), Unmatched: len(q.Unmatched), Future: len(q.Future),
		SuspectCourses: len(q.Suspect), UnmappedCourses: len(q.Unmapped) - len(q.Suspect)}
}
