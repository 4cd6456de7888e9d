package annual

import (
	"fmt"
	"strconv"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// The report's body is laid out once, as sections of text, charts and
// tables, and each format draws those: the HTML and the PDF all of it,
// the XLSX the tables, one sheet each.

type section struct {
	ID, Heading string
	Paras       []string
	Chart       *lineChart
	ChartTitle  string
	Tables      []table
}

type table struct {
	Sheet   string // the XLSX sheet's name (31 characters at most)
	Caption string
	Header  []string
	Rows    []row
	// Raw, when set, is what the XLSX sheet holds instead of Header and
	// Rows: the year-end table exactly as the return's CSV writes it.
	RawHeader []string
	Raw       [][]string
	// SheetNote, when set, is written below the table on its XLSX sheet:
	// what the section's text says of it that a sheet read alone needs
	// (the HTML and PDF have the section's paragraphs above it).
	SheetNote string
}

// LeftColumn reports whether column i holds labels, aligned left: those
// whose cells in the first row are labels.
func (t table) LeftColumn(i int) bool {
	for _, r := range t.Rows {
		if i < len(r.Cells) {
			return r.Cells[i].Left
		}
	}
	return i == 0
}

type row struct {
	Cells []cell
	Total bool // a total row, drawn bold
	First bool // the first row of a group, drawn with a rule above
}

// cell is one value: Text as people read it, Value as a spreadsheet
// holds it (an int, a float64 or nil for Text), Sub a second line in
// small print, Mark how it is coloured.
type cell struct {
	Text  string
	Value any
	Sub   string
	Mark  string // "good", "bad", "red", "amber", "green" or ""
	Left  bool   // a label, aligned left
}

func text(s string) cell  { return cell{Text: s} }
func label(s string) cell { return cell{Text: s, Left: true} }
func count(n int) cell    { return cell{Text: thousands(n), Value: n} }

// rate is a rate cell, coloured by RAG when configured, else green when
// it meets the threshold and red when not.
func (r *Report) rate(t compliance.Tally, withCounts bool) cell {
	c := cell{Text: rateText(t)}
	if t.Required == 0 {
		return c
	}
	if v, err := strconv.ParseFloat(figures.Pct(t), 64); err == nil {
		c.Value = v
	}
	if withCounts {
		c.Sub = fmt.Sprintf("%s/%s", thousands(t.Compliant), thousands(t.Required))
	}
	c.Mark = r.rag(t)
	if c.Mark == "" {
		c.Mark = "bad"
		if t.Meets(r.Threshold) {
			c.Mark = "good"
		}
	}
	return c
}

func (r *Report) meets(ok bool, any bool) cell {
	if !any {
		return text("–")
	}
	if ok {
		return cell{Text: "yes", Mark: "good"}
	}
	return cell{Text: "no", Mark: "bad"}
}

// sections is the report's body in order. The referrals section is
// always there, as the contract lists it; it says when nothing is
// recorded.
func (r *Report) sections() []section {
	return []section{r.quarterSection(), r.orgSection(), r.trendSection(), r.planSection(),
		r.referralSection(), r.returnsSection(), r.qualitySection()}
}

func (r *Report) quarterSection() section {
	s := section{ID: "quarters", Heading: "Training position at each quarter end",
		Paras: []string{fmt.Sprintf("Each level's people required, compliant (in date, including due soon) and rate on the last day of each quarter, against the %s minimum: the totals of that quarter's data return to the commissioners.", r.ThresholdText())}}
	t := table{Sheet: "Quarter ends", Header: []string{"Quarter", "Level", "Required", "Compliant", "Rate", "Meets " + r.ThresholdText()}}
	for _, q := range r.Quarters {
		qcell := cell{Text: quarterName(q.Quarter), Sub: "to " + q.AsOf.Format("2 Jan 2006"), Left: true}
		if !q.Held() {
			t.Rows = append(t.Rows, row{First: true, Cells: []cell{qcell, label("No staff extract held for this date"), text(""), text(""), text(""), text("")}})
			continue
		}
		for i, l := range levelRows(q.Total) {
			first := qcell
			if i > 0 {
				first = label("")
			}
			t.Rows = append(t.Rows, row{First: i == 0, Total: l.All, Cells: []cell{first, label(l.Name),
				count(l.Tally.Required), count(l.Tally.Compliant), r.rate(l.Tally, false), r.meets(l.Tally.Meets(r.Threshold), l.Tally.Required > 0)}})
		}
	}
	s.Tables = append(s.Tables, t)
	if beside := r.besideTable(); beside != nil {
		s.Tables = append(s.Tables, *beside)
	}
	return s
}

// besideTable counts what is reported beside the 85% figures, when any of
// it is tracked: new starters, exemptions, annual updates due.
func (r *Report) besideTable() *table {
	var starters, exempt, updates bool
	for _, q := range r.Quarters {
		starters = starters || q.NewStarters != nil
		exempt = exempt || q.Exempt != nil
		updates = updates || q.UpdateDue != nil
	}
	if !starters && !exempt && !updates {
		return nil
	}
	t := table{Sheet: "Beside the figures", Caption: "Counted beside the figures above, never inside them.", Header: []string{"Quarter"}}
	add := func(on bool, head string) {
		if on {
			t.Header = append(t.Header, head)
		}
	}
	add(starters, "New starters")
	add(exempt, "Exempt")
	for _, l := range compliance.Levels {
		add(updates, "Annual update due: "+l.Title())
	}
	for _, q := range r.Quarters {
		cells := []cell{label(quarterName(q.Quarter))}
		opt := func(on bool, n *int) {
			switch {
			case !on:
			case n == nil:
				cells = append(cells, text("–"))
			default:
				cells = append(cells, count(*n))
			}
		}
		opt(starters, q.NewStarters)
		opt(exempt, q.Exempt)
		for _, l := range compliance.Levels {
			if n, ok := q.UpdateDue[l]; ok {
				cells = append(cells, count(n))
			} else if updates {
				cells = append(cells, text("–"))
			}
		}
		t.Rows = append(t.Rows, row{Cells: cells})
	}
	return &t
}

func (r *Report) orgSection() section {
	ye := r.YearEnd
	s := section{ID: "organisations", Heading: "Position by organisation on " + longDate(r.LastDay),
		Paras: []string{fmt.Sprintf("Each organisation's rate per level (compliant/required beneath), as the %s data return reports it. An organisation meets the minimum when every level anyone in it requires does.", quarterName(ye.Quarter))}}
	t := table{Sheet: "Organisations", Header: []string{"Organisation", "People", "Basic", "Level 3", "Face to face", "All staff", "Meets " + r.ThresholdText()},
		RawHeader: returns.Columns, Raw: ye.Records()}
	for _, o := range append(append([]*compliance.Summary{}, ye.Rows...), ye.Total) {
		name := o.Organisation
		if o == ye.Total {
			name = "All organisations"
		}
		cells := []cell{label(name), count(o.Headcount)}
		for _, l := range compliance.Levels {
			cells = append(cells, r.rate(o.Level(l), true))
		}
		cells = append(cells, r.rate(o.All, true), r.meets(o.MeetsThreshold(r.Threshold), o.Headcount > 0))
		t.Rows = append(t.Rows, row{Cells: cells, Total: o == ye.Total, First: o == ye.Total})
	}
	s.Tables = []table{t}
	return s
}

func (r *Report) trendSection() section {
	c := r.trendChart()
	s := section{ID: "trend", Heading: "Trend over the last eight quarters", Chart: &c,
		ChartTitle: "Compliance by level at each quarter end",
		Paras:      []string{"The rate of each level and of all staff on the last day of each quarter, up to the last one reported."}}
	if len(r.Trend) < TrendQuarters {
		s.Paras = append(s.Paras, fmt.Sprintf("Staff extracts are held from %s, so the trend starts there.", quarterName(r.Trend[0].Quarter)))
	}
	t := table{Sheet: "Trend", Header: []string{"Quarter", "Basic", "Level 3", "Face to face", "All staff", "Meets " + r.ThresholdText()}}
	for _, q := range r.Trend {
		cells := []cell{label(quarterName(q.Quarter))}
		for _, l := range compliance.Levels {
			cells = append(cells, r.rate(q.Total.Level(l), true))
		}
		cells = append(cells, r.rate(q.Total.All, true), r.meets(q.Total.MeetsThreshold(r.Threshold), q.Total.Headcount > 0))
		t.Rows = append(t.Rows, row{Cells: cells})
	}
	s.Tables = []table{t}
	return s
}
