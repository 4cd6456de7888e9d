// Package annual owns the annual Prevent report to the board: what it
// holds (Report, plain values), gathering it from the positions and counts
// the other packages give (Build), and writing it as HTML, PDF and XLSX.
// It computes no figure of its own: every count and rate comes from the
// compliance engine as `summary --as-of` and the quarterly return give it,
// the forecast from compliance.Forecasts as the dashboard draws it, the
// returns sent from the deliveries and the data quality from report's
// quality findings. It holds aggregates only: never a name, an employee
// number or a staff email.
package annual

import (
	"time"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// Report is the annual report for one financial year. Optional sections
// are nil or empty when there is nothing for them, and are left out of
// every format.
type Report struct {
	Year      returns.Year
	Provider  returns.Provider
	Threshold float64
	// Complete says the year is over. A year not over is reported up to
	// its last completed quarter, LastDay; a complete year up to 31 March.
	Complete    bool
	LastDay     time.Time
	GeneratedAt time.Time

	Leads Leads

	// Quarters are the year's quarters reported, in order.
	Quarters []QuarterPosition
	// YearEnd is the position by organisation on LastDay, as the return of
	// the last quarter reported gives it.
	YearEnd *returns.Return
	// Trend is the all-staff and per-level position at the end of up to
	// eight quarters, ending with the last one reported; quarters before
	// the first staff extract held are left out.
	Trend []QuarterPosition
	Plan  Plan

	// Referrals are the Prevent activity counts per quarter, zeros when
	// nothing is recorded (the section says so, from the imports counted
	// in Quality).
	Referrals []QuarterActivity
	Returns   []ReturnSent
	Quality   Quality

	// RAG, when set, colours a rate red, amber or green ("" for none).
	// Nil until the config has rag: thresholds.
	RAG func(compliance.Tally) string
}

// Contact is a named lead.
type Contact struct {
	Name  string
	Email string
}

// Leads are the people who answer for Prevent; empty until configured
// (prevent_lead, accountable_lead).
type Leads struct {
	Prevent     Contact
	Accountable Contact
}

// Known reports whether any lead is given.
func (l Leads) Known() bool { return l.Prevent != (Contact{}) || l.Accountable != (Contact{}) }

// QuarterPosition is the position on one quarter's last day.
type QuarterPosition struct {
	Quarter returns.Quarter
	AsOf    time.Time
	// Total is the all-organisation summary, nil when no staff extract was
	// in force on AsOf.
	Total        *compliance.Summary
	SnapshotDate time.Time

	// Counted beside the 85% figures, never inside them; nil when not
	// tracked (new_starter_days, exemptions, annual_update).
	NewStarters *int
	Exempt      *int
	UpdateDue   map[compliance.Level]int
}

// Held reports whether there was a staff extract for the date.
func (q QuarterPosition) Held() bool { return q.Total != nil }

// Plan is how the threshold is to be reached or kept: the forecast from
// LastDay if nobody trains, and the completions a month that keep every
// month-end at or above the threshold.
type Plan struct {
	From      time.Time
	Forecasts []compliance.Forecast // levels anyone requires, Levels order
	// Sessions is the face-to-face plan; nil without training_plan.
	Sessions *Sessions
}

// Sessions is the face-to-face sessions a month needed against the
// trainers' capacity.
type Sessions struct {
	Plan     compliance.TrainingPlan
	PerMonth int // face-to-face completions needed a month
	Needed   int // sessions a month
	Capacity int // sessions a month the trainers can run
}

// Enough reports whether the trainers can run the sessions needed.
func (s Sessions) Enough() bool { return s.Needed <= s.Capacity }

// QuarterCounts are one quarter's Prevent activity counts, as the
// referrals section of the return gives them.
type QuarterCounts = activity.QuarterCounts

// QuarterActivity is a quarter's activity counts.
type QuarterActivity struct {
	Quarter returns.Quarter
	Counts  QuarterCounts
}

// ReturnSent is one quarter's return as delivered to the commissioners.
type ReturnSent struct {
	Quarter    returns.Quarter
	Recipients int       // addresses it was owed to
	Sent       int       // of those, sent at least once
	FirstSent  time.Time // zero when none was sent
	LastSent   time.Time
	Resent     int // corrections sent (resends with a reason), however many recipients each went to
}

// Quality is the data-quality summary: the counts `prevent quality` gives,
// without the rows themselves.
type Quality struct {
	// Imports counts the files imported, of every kind, each once; the
	// other Imports fields split it by kind. ReReads counts completions
	// files read again for newly mapped courses, not counted in Imports.
	Imports, StaffImports, CompletionImports int
	ExemptionImports, ReferralImports        int
	MeetingImports, ReReads                  int
	RowsRead, RowsImported, RowsRejected     int // RowsRead counts each file's rows once
	Unmatched, Future                        int
	SuspectCourses, UnmappedCourses          int
}
