package annual

import (
	"fmt"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// The words every format shares, so that the HTML, the PDF and the XLSX
// say the same thing the same way.

// Title is the report's title.
func (r *Report) Title() string { return "Prevent annual report to the board " + r.Year.String() }

// FileName is the base name of the report's files:
// "RXX Prevent annual report 2026-27".
func (r *Report) FileName() string {
	code := r.Provider.ODSCode
	if code == "" {
		code = "prevent"
	}
	return fmt.Sprintf("%s Prevent annual report %s", code, r.Year)
}

// Period says what the report covers, and, for a year not over, that it
// stops at the last completed quarter.
func (r *Report) Period() string {
	if r.Complete {
		return fmt.Sprintf("The financial year %s, 1 April %d to 31 March %d.", r.Year, r.Year.StartYear, r.Year.StartYear+1)
	}
	last := r.Quarters[len(r.Quarters)-1].Quarter
	return fmt.Sprintf("%s is not over: this report covers 1 April %d to %s, up to its last completed quarter (%s). The rest of the year is not included.",
		r.Year, r.Year.StartYear, longDate(r.LastDay), quarterName(last))
}

// ThresholdText is the threshold as people write it: "85%".
func (r *Report) ThresholdText() string { return figures.ThresholdPct(r.Threshold) }

// Verdict is the headline sentence about the last day reported.
func (r *Report) Verdict() string {
	verb := "met"
	if !r.YearEnd.Total.MeetsThreshold(r.Threshold) {
		verb = "did not meet"
	}
	return fmt.Sprintf("On %s the organisation %s the %s minimum at every level required: %s of %s staff (%s) were in date.",
		longDate(r.LastDay), verb, r.ThresholdText(), thousands(r.YearEnd.Total.All.Compliant),
		thousands(r.YearEnd.Total.All.Required), rateText(r.YearEnd.Total.All))
}

// PlanSentence sums up the completions a month the plan needs.
func (r *Report) PlanSentence() string {
	needs := make([]figures.LevelNeed, 0, len(r.Plan.Forecasts))
	for _, f := range r.Plan.Forecasts {
		needs = append(needs, figures.LevelNeed{Level: f.Level, PerMonth: f.PerMonth})
	}
	months := compliance.MonthEnds(r.Plan.From, ForecastMonths)
	until := longDate(months[len(months)-1])
	list := figures.CompletionsAMonth(needs, thousands)
	if list == "" {
		return fmt.Sprintf("Every level stays at or above %s at each month-end to %s even if nobody trains.", r.ThresholdText(), until)
	}
	return fmt.Sprintf("To be at or above %s at every month-end to %s, the organisation needs %s a month.", r.ThresholdText(), until, list)
}

// SessionsSentence says whether the trainers can run the face-to-face
// sessions the plan needs.
func (s Sessions) Sentence() string {
	need := fmt.Sprintf("%s face-to-face completions a month need %s of %d places a month", thousands(s.PerMonth), plural(s.Needed, "session"), s.Plan.SessionSize)
	if s.PerMonth == 0 {
		need = "No face-to-face sessions are needed to keep that level at the threshold"
	}
	can := fmt.Sprintf("%s, each running up to %s a month, can run %s.", plural(s.Plan.Trainers, "trainer"), plural(s.Plan.SessionsPerTrainerMonth, "session"), plural(s.Capacity, "session"))
	if s.Enough() {
		return need + "; " + can
	}
	return fmt.Sprintf("%s; %s That is %s short a month.", need, strings.TrimSuffix(can, ".")+".", plural(s.Needed-s.Capacity, "session"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return thousands(n) + " " + what + "s"
}

// quarterName is "Q2 2026-27"; quarterSpan "July to September 2026".
func quarterName(q returns.Quarter) string {
	return fmt.Sprintf("Q%d %s", q.Q, returns.Year{StartYear: q.StartYear})
}

func quarterSpan(q returns.Quarter) string {
	return fmt.Sprintf("%s to %s", q.Start().Format("January"), q.End().Format("January 2006"))
}

// shortLabel is an axis label: "Q2 26/27".
func shortLabel(q returns.Quarter) string {
	return fmt.Sprintf("Q%d %02d/%02d", q.Q, q.StartYear%100, (q.StartYear+1)%100)
}

func longDate(t time.Time) string { return t.Format("2 January 2006") }

func dateOrDash(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Format("2 Jan 2006")
}

// rateText is "84.3%", or "–" when nobody is required.
func rateText(t compliance.Tally) string {
	if t.Required == 0 {
		return "–"
	}
	return figures.Pct(t) + "%"
}

// meetsText is "yes" or "no", "–" when nobody is required.
func meetsText(t compliance.Tally, th float64) string {
	if t.Required == 0 {
		return "–"
	}
	return figures.YesNo(t.Meets(th))
}

// thousands writes 12345 as "12,345".
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// rag is the rate's colour name, "" without rag: or for nobody required.
func (r *Report) rag(t compliance.Tally) string {
	if r.RAG == nil || t.Required == 0 {
		return ""
	}
	return r.RAG(t)
}

// levelRows is each level anyone requires at the date, then all staff:
// the rows of a position table.
func levelRows(s *compliance.Summary) []levelRow {
	var out []levelRow
	for _, l := range compliance.Levels {
		out = append(out, levelRow{Name: l.Title(), Tally: s.Level(l), Level: l})
	}
	return append(out, levelRow{Name: "All staff", Tally: s.All, Level: compliance.LevelNone, All: true})
}

type levelRow struct {
	Name  string
	Level compliance.Level
	Tally compliance.Tally
	All   bool
}
