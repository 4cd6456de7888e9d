package annual

import (
	"fmt"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func (r *Report) planSection() section {
	c := r.forecastChart()
	s := section{ID: "plan", Heading: "The plan: reaching and keeping the " + r.ThresholdText() + " minimum", Chart: &c,
		ChartTitle: "Compliance by level if nobody trains",
		Paras: []string{
			fmt.Sprintf("If the workforce of %s stays as it is and nobody trains, each level's rate falls as training lapses. The table gives it at each of the next six month-ends, and the completions a month that would keep every month-end at or above the minimum (renewals given to whoever lapses soonest).", longDate(r.Plan.From)),
			r.PlanSentence(),
		}}
	t := table{Sheet: "Plan", Caption: "Rate at each month-end if nobody trains, and the completions a month that keep every level at the minimum", Header: []string{"Level", r.Plan.From.Format("2 Jan 2006")}}
	for _, d := range compliance.MonthEnds(r.Plan.From, ForecastMonths) {
		t.Header = append(t.Header, d.Format("Jan 2006"))
	}
	t.Header = append(t.Header, "Completions a month needed")
	for _, f := range r.Plan.Forecasts {
		cells := []cell{label(f.Level.Title()), r.rate(f.Now, false)}
		for _, m := range f.Months {
			cells = append(cells, r.rate(m.Tally, false))
		}
		t.Rows = append(t.Rows, row{Cells: append(cells, count(f.PerMonth))})
	}
	s.Tables = []table{t}
	if ss := r.Plan.Sessions; ss != nil {
		s.Paras = append(s.Paras, ss.Sentence())
		verdict := cell{Text: "yes", Mark: "good"}
		if !ss.Enough() {
			verdict = cell{Text: "no", Mark: "bad"}
		}
		s.Tables = append(s.Tables, table{Sheet: "Face-to-face sessions", Caption: "Face-to-face sessions a month",
			Header: []string{"Completions a month needed", "Places a session", "Sessions a month needed", "Trainers", "Sessions a trainer a month", "Sessions a month possible", "Enough"},
			Rows: []row{{Cells: []cell{count(ss.PerMonth), count(ss.Plan.SessionSize), count(ss.Needed), count(ss.Plan.Trainers),
				count(ss.Plan.SessionsPerTrainerMonth), count(ss.Capacity), verdict}}}})
	}
	return s
}

func (r *Report) referralSection() section {
	s := section{ID: "activity", Heading: "Referrals and partnership work",
		Paras: []string{"Concerns raised and referrals to Prevent, and the partnership meetings held and attended, in each quarter."}}
	// Zeros from a log never imported are not "no concerns": said above
	// the tables, and on each sheet, which may be read alone.
	const noReferrals = "No referral log has been imported into prevent, so the concerns and referrals are 0: nothing was recorded here, which does not mean that no concern was raised (prevent import referrals fills them)."
	const noMeetings = "No partnership meetings log has been imported into prevent, so the meetings are 0: nothing was recorded here (prevent import meetings fills them)."
	var referralsNote, meetingsNote string
	// Two tables, so that every heading fits an A4 column unbroken.
	t := table{Sheet: "Referrals", Header: []string{"Quarter", "Concerns raised", "Referred to Prevent", "Discussed at Channel",
		"Adopted by Channel", "About patients", "About staff", "Mental health services"}}
	m := table{Sheet: "Partnership", Header: []string{"Quarter", "Partnership meetings held", "Meetings attended"}}
	for _, a := range r.Referrals {
		c := a.Counts
		t.Rows = append(t.Rows, row{Cells: []cell{label(quarterName(a.Quarter)), count(c.ConcernsRaised), count(c.ReferredToPrevent),
			count(c.DiscussedAtChannel), count(c.AdoptedByChannel), count(c.AboutPatients), count(c.AboutStaff),
			count(c.MentalHealthServices)}})
		m.Rows = append(m.Rows, row{Cells: []cell{label(quarterName(a.Quarter)), count(c.PartnershipMeetings), count(c.PartnershipAttended)}})
	}
	if r.Quality.ReferralImports == 0 {
		referralsNote = noReferrals
		s.Paras = append(s.Paras, noReferrals)
	}
	if r.Quality.MeetingImports == 0 {
		meetingsNote = noMeetings
		s.Paras = append(s.Paras, noMeetings)
	}
	t.SheetNote, m.SheetNote = referralsNote, meetingsNote
	s.Tables = []table{t, m}
	return s
}

func (r *Report) returnsSection() section {
	s := section{ID: "returns", Heading: "Quarterly returns sent to the commissioners"}
	if len(r.Returns) == 0 {
		s.Paras = []string{fmt.Sprintf("No quarterly data return for %s has been emailed to the commissioners by prevent.", r.Year)}
		return s
	}
	s.Paras = []string{"Each quarter's data return: to how many of the commissioners' addresses it went, and when."}
	t := table{Sheet: "Returns sent", Header: []string{"Quarter", "Recipients", "Sent to", "First sent", "Last sent", "Corrected and resent"}}
	for _, rs := range r.Returns {
		sent := count(rs.Sent)
		if rs.Sent < rs.Recipients {
			sent.Mark = "bad"
		}
		t.Rows = append(t.Rows, row{Cells: []cell{label(quarterName(rs.Quarter)), count(rs.Recipients), sent,
			text(dateOrDash(rs.FirstSent)), text(dateOrDash(rs.LastSent)), count(rs.Resent)}})
	}
	s.Tables = []table{t}
	return s
}

func (r *Report) qualitySection() section {
	q := r.Quality
	s := section{ID: "quality", Heading: "Data quality",
		Paras: []string{fmt.Sprintf("The extracts imported and what in them could not be used, as held on %s (counts only; the workforce team has the detail).", longDate(r.GeneratedAt))}}
	t := table{Sheet: "Data quality", Header: []string{"Finding", "Count"}}
	for _, f := range []struct {
		what     string
		n        int
		bad      bool
		whenSome bool // a row shown only when its count is not 0
	}{
		{what: "Files imported (all kinds)", n: q.Imports},
		{what: "Staff extracts imported", n: q.StaffImports},
		{what: "Completion extracts imported", n: q.CompletionImports},
		{what: "Exemption lists imported", n: q.ExemptionImports, whenSome: true},
		{what: "Referral logs imported", n: q.ReferralImports, whenSome: true},
		{what: "Partnership meeting logs imported", n: q.MeetingImports, whenSome: true},
		{what: "Completion extracts read again for newly mapped courses (each file counted once above)", n: q.ReReads, whenSome: true},
		{what: "Rows read", n: q.RowsRead},
		{what: "Rows imported", n: q.RowsImported},
		{what: "Rows rejected", n: q.RowsRejected, bad: true},
		{what: "Completions naming nobody in any staff extract", n: q.Unmatched, bad: true},
		{what: "Completions dated after the day they were imported", n: q.Future, bad: true},
		{what: "Course names that look like Prevent training but match no course rule", n: q.SuspectCourses, bad: true},
		{what: "Other course names that map to no Prevent level (ignored)", n: q.UnmappedCourses},
	} {
		if f.whenSome && f.n == 0 {
			continue
		}
		c := count(f.n)
		if f.bad && f.n > 0 {
			c.Mark = "amber"
		}
		t.Rows = append(t.Rows, row{Cells: []cell{label(f.what), c}})
	}
	s.Tables = []table{t}
	return s
}
