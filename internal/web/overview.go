package web

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// trendQuarters and forecastMonths are how far the overview looks back and
// ahead.
const (
	trendQuarters  = 8
	forecastMonths = 6
)

// levelColours tell the levels apart in every chart.
var levelColours = map[compliance.Level]string{
	compliance.Basic:      nhsBlue,
	compliance.Level3:     nhsOrange,
	compliance.FaceToFace: nhsPurple,
}

type overviewData struct {
	AsOf      time.Time
	AsOfValue string
	Today     bool
	Snapshot  store.Snapshot
	// Workforce is the people in the workforce on the date: the
	// snapshot's people with a counted assignment (never its leavers,
	// whose every assignment exclude: leaves out), as status lists them.
	Workforce int
	// Split is how the workforce divides between the figures and beside
	// them (new starters, exempt) when counting as the trust counts.
	Split         string
	Threshold     float64
	ThresholdText string
	NoData        string // why there is nothing to show

	Headline template.HTML
	Levels   []levelFigure
	All      compliance.Tally
	Statuses []statusCount
	Meets    bool

	Orgs    []orgRow
	Total   orgRow
	Columns []sortColumn
	// By is the key the table groups by, ByTitle its name for people and
	// ByOptions the keys to choose from.
	By        compliance.GroupKey
	ByTitle   string
	ByOptions []byOption
	// RAG is true when the config sets rag bands: rates are coloured red,
	// amber or green.
	RAG      bool
	RedBelow string
	AllRAG   string // the all-staff rate's band, with RAG
	// Update is the annual-update measure, nil when not configured.
	Update *updateFigures

	// Activity is the referrals and partnership panel; nil when not shown.
	Activity *activityPanel

	Trend     template.HTML
	TrendRows []trendRow

	Forecast     template.HTML
	ForecastDays []time.Time
	ForecastRows []forecastRow
}

type byOption struct {
	Key      compliance.GroupKey
	Title    string
	Selected bool
}

// updateFigures is the annual-update measure on the overview, beside the
// threshold figures and never in them.
type updateFigures struct {
	Months int
	Levels []levelCount
	All    int
}

type levelCount struct {
	Level compliance.Level
	Count int
}

// groupTitle names a group key for people: Organisation, Org L4, Staff
// group, Manager.
func groupTitle(k compliance.GroupKey) string {
	switch k {
	case compliance.ByOrganisation:
		return "Organisation"
	case compliance.ByStaffGroup:
		return "Staff group"
	case compliance.ByManager:
		return "Manager"
	}
	return "Org L" + string(k[len(k)-1])
}

// groupParam is the /people filter that selects a group of the key.
func groupParam(k compliance.GroupKey) string {
	if k == compliance.ByOrganisation {
		return "org"
	}
	return string(k)
}

type levelFigure struct {
	Level compliance.Level
	Tally compliance.Tally
	Meets bool
	RAG   string // red, amber or green with rag: bands, else ""
}

type statusCount struct {
	Status compliance.Status
	Count  int
	Href   string
}

type orgRow struct {
	Name      string
	Headcount int
	Levels    []compliance.Tally // Levels order
	All       compliance.Tally
	Meets     bool
	Href      string // the organisation's people
	// Cells are Levels then All with the class each is shown in: ok or
	// below against the threshold, or rag-red, rag-amber, rag-green with
	// RAG bands.
	Cells []bandCell
}

type bandCell struct {
	Tally compliance.Tally
	Class string
	RAG   string
}

type sortColumn struct {
	Label  string
	Href   string
	Sorted string // "ascending", "descending" or ""
}

type trendRow struct {
	Label  string
	AsOf   time.Time
	Levels []compliance.Tally
	All    compliance.Tally
}

type forecastRow struct {
	Level    compliance.Level
	Now      compliance.Tally
	Months   []compliance.ForecastMonth
	PerMonth int
}

func (s *server) overview(w http.ResponseWriter, r *http.Request) {
	if s.servedKept(w, r, "overview") {
		return
	}
	asOf, given, err := s.asOf(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	th := s.policy.Threshold
	d := overviewData{AsOf: asOf, AsOfValue: isoDate(asOf), Today: !given || asOf.Equal(s.today()),
		Threshold: th, ThresholdText: figures.ThresholdPct(th)}
	if d.Activity, err = s.activityPanel(r, returns.QuarterOf(asOf)); err != nil {
		s.internal(w, r, err)
		return
	}
	// The quarters first: waiting for them while holding this date's
	// position would hold a whole workforce per request queued.
	quarters, err := s.quarterPoints(r.Context(), asOf)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	pos, err := s.load(r.Context(), asOf)
	if noSnapshot(err) {
		d.NoData = err.Error()
		s.render(w, r, http.StatusOK, "overview", "Overview", d)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d.Snapshot, d.Workforce = pos.Snapshot, len(pos.People)
	by, err := compliance.ParseGroupKey(r.URL.Query().Get("by"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	d.By, d.ByTitle = by, groupTitle(by)
	for _, k := range compliance.GroupKeys {
		d.ByOptions = append(d.ByOptions, byOption{Key: k, Title: groupTitle(k), Selected: k == by})
	}
	if s.policy.RedBelow > 0 {
		d.RAG, d.RedBelow = true, figures.ThresholdPct(s.policy.RedBelow)
	}
	agg := pos.aggregateBy(by)
	// The position's summaries are shared: this request sorts its own
	// list of them.
	orgs, total := slices.Clone(agg.groups), agg.total
	if u := s.policy.AnnualUpdate; u != nil {
		d.Update = &updateFigures{Months: u.Months, All: total.AllUpdateDue}
		for _, l := range compliance.Levels {
			if u.Applies(l) {
				d.Update.Levels = append(d.Update.Levels, levelCount{Level: l, Count: total.UpdateDue[l]})
			}
		}
	}
	d.All, d.Meets = total.All, total.MeetsThreshold(th)
	if d.RAG {
		d.AllRAG = total.All.RAG(th, s.policy.RedBelow)
	}

	var bars []Bar
	for _, l := range compliance.Levels {
		t := total.Level(l)
		f := levelFigure{Level: l, Tally: t, Meets: t.Meets(th)}
		if d.RAG {
			f.RAG = t.RAG(th, s.policy.RedBelow)
		}
		d.Levels = append(d.Levels, f)
		bars = append(bars, rateBar(l.Title(), t, th))
	}
	bars = append(bars, rateBar("All staff", total.All, th))
	d.Headline = BarChart{Title: fmt.Sprintf("Compliance by level on %s against the %s minimum", longDate(asOf), d.ThresholdText),
		Bars: bars, Threshold: th}.SVG()
	statuses := compliance.Statuses
	if pos.Extras().Counting {
		statuses = compliance.AllStatuses
		d.Split = figures.SplitOf(total)
	}
	for _, st := range statuses {
		q := url.Values{"status": {string(st)}}
		if given {
			q.Set("as_of", d.AsOfValue)
		}
		d.Statuses = append(d.Statuses, statusCount{Status: st, Count: total.ByStatus[st], Href: "/people?" + q.Encode()})
	}

	key, desc := sortParams(r.URL.Query())
	sortOrgs(orgs, key, desc)
	for _, o := range orgs {
		d.Orgs = append(d.Orgs, s.groupRow(o, by, th, given, d.AsOfValue))
	}
	d.Total = s.orgRow(total, th, false, "")
	d.Total.Href = ""
	d.Columns = sortColumns(r.URL.Query(), key, desc)
	if by != compliance.ByOrganisation {
		d.Columns[0].Label = d.ByTitle
	}

	s.trend(&d, quarters, pos)
	s.forecast(&d, pos)
	s.render(w, r, http.StatusOK, "overview", "Overview", d)
}

// bandCell is a rate with the class it is shown in.
func (s *server) bandCell(t compliance.Tally, th float64) bandCell {
	c := bandCell{Tally: t}
	switch {
	case t.Required == 0:
	case s.policy.RedBelow > 0:
		c.RAG = t.RAG(th, s.policy.RedBelow)
		c.Class = "rag-" + c.RAG
	case t.Meets(th):
		c.Class = "ok"
	default:
		c.Class = "below"
	}
	return c
}

// rateBar is a level's bar: green at or above the threshold, red below.
func rateBar(label string, t compliance.Tally, th float64) Bar {
	colour := nhsGreen
	if !t.Meets(th) {
		colour = nhsRed
	}
	return Bar{Label: label, Value: t.Rate(), Note: fmt.Sprintf("(%d of %d)", t.Compliant, t.Required),
		Colour: colour, Absent: t.Required == 0}
}

func (s *server) orgRow(o *compliance.Summary, th float64, given bool, asOf string) orgRow {
	return s.groupRow(o, compliance.ByOrganisation, th, given, asOf)
}

// groupRow is a row of a table by the key, linking to the group's people.
func (s *server) groupRow(o *compliance.Summary, key compliance.GroupKey, th float64, given bool, asOf string) orgRow {
	row := orgRow{Name: o.Organisation, Headcount: o.Headcount, All: o.All, Meets: o.MeetsThreshold(th)}
	for _, l := range compliance.Levels {
		row.Levels = append(row.Levels, o.Level(l))
	}
	for _, t := range append(append([]compliance.Tally(nil), row.Levels...), o.All) {
		row.Cells = append(row.Cells, s.bandCell(t, th))
	}
	q := url.Values{groupParam(key): {o.Organisation}}
	if given {
		q.Set("as_of", asOf)
	}
	row.Href = "/people?" + q.Encode()
	return row
}

// Sort keys of the organisation table. Rates sort lowest first by default:
// the organisations furthest from the threshold come to the top.
var sortKeys = []struct{ key, label string }{
	{"name", "Organisation"},
	{"people", "People"},
	{"basic", "Basic"},
	{"level3", "Level 3"},
	{"face_to_face", "Face to face"},
	{"all", "All staff"},
}

func sortParams(q url.Values) (key string, desc bool) {
	key = q.Get("sort")
	valid := false
	for _, k := range sortKeys {
		valid = valid || k.key == key
	}
	if !valid {
		key = "name"
	}
	return key, q.Get("dir") == "desc"
}

func sortColumns(q url.Values, key string, desc bool) []sortColumn {
	var out []sortColumn
	for _, k := range sortKeys {
		nq := url.Values{"sort": {k.key}}
		if as := q.Get("as_of"); as != "" {
			nq.Set("as_of", as)
		}
		if by := q.Get("by"); by != "" {
			nq.Set("by", by)
		}
		col := sortColumn{Label: k.label}
		if k.key == key {
			col.Sorted = "ascending"
			if desc {
				col.Sorted = "descending"
			} else {
				nq.Set("dir", "desc")
			}
		}
		col.Href = "/?" + nq.Encode() + "#organisations"
		out = append(out, col)
	}
	return out
}

// sortOrgs orders the organisation rows by a key. Rows where nobody
// requires the level sort last either way; ties go by name.
func sortOrgs(orgs []*compliance.Summary, key string, desc bool) {
	rate := func(o *compliance.Summary) (float64, bool) {
		var t compliance.Tally
		switch key {
		case "all":
			t = o.All
		default:
			l, err := compliance.ParseLevel(key)
			if err != nil {
				return 0, false
			}
			t = o.Level(l)
		}
		return t.Rate(), t.Required > 0
	}
	sort.SliceStable(orgs, func(i, j int) bool {
		a, b := orgs[i], orgs[j]
		switch key {
		case "name":
			if desc {
				return a.Organisation > b.Organisation
			}
			return a.Organisation < b.Organisation
		case "people":
			if a.Headcount != b.Headcount {
				return (a.Headcount < b.Headcount) != desc
			}
		default:
			ra, oka := rate(a)
			rb, okb := rate(b)
			if oka != okb {
				return oka
			}
			if ra != rb {
				return (ra < rb) != desc
			}
		}
		return a.Organisation < b.Organisation
	})
}

// quarterPoints are the last quarters' figures, oldest first: every
// quarter ending on or before the as-of date, back to trendQuarters of
// them (quarters with no staff snapshot are left out).
func (s *server) quarterPoints(ctx context.Context, asOf time.Time) ([]trendRow, error) {
	var rows []trendRow
	q := returns.QuarterOf(asOf)
	if !q.End().Equal(asOf) {
		q = q.Prev()
	}
	figs, err := s.quarterList(ctx, lastQuarters(q, trendQuarters))
	if err != nil {
		return nil, err
	}
	for _, f := range figs {
		if f.None != nil {
			break // earlier quarters have none either
		}
		rows = append(rows, f.Point)
	}
	slices.Reverse(rows)
	return rows, nil
}

// trend charts the quarters' figures, then the as-of date's itself when
// it is not a quarter's end.
func (s *server) trend(d *overviewData, rows []trendRow, now *position) {
	if len(rows) == 0 || !rows[len(rows)-1].AsOf.Equal(d.AsOf) {
		rows = append(rows, now.trendPoint())
	}
	d.TrendRows = rows
	chart := LineChart{Title: "Compliance by level over the last quarters", Threshold: d.Threshold}
	for _, row := range rows {
		chart.Labels = append(chart.Labels, row.Label)
	}
	for i, l := range compliance.Levels {
		sr := Series{Name: l.Title(), Colour: levelColours[l]}
		for _, row := range rows {
			sr.Values = append(sr.Values, rateOrGap(row.Levels[i]))
		}
		chart.Series = append(chart.Series, sr)
	}
	d.Trend = chart.SVG()
}

// quarterLabel is a short quarter name for an axis: "Q2 26/27".
func quarterLabel(q returns.Quarter) string {
	return fmt.Sprintf("Q%d %02d/%02d", q.Q, q.StartYear%100, (q.StartYear+1)%100)
}

func rateOrGap(t compliance.Tally) float64 {
	if t.Required == 0 {
		return math.NaN()
	}
	return t.Rate()
}

func (s *server) forecast(d *overviewData, pos *position) {
	fs := pos.forecastsFor(d.Threshold)
	chart := LineChart{Title: "Compliance by level if nobody trains", Threshold: d.Threshold}
	chart.Labels = append(chart.Labels, "Now")
	for _, m := range compliance.MonthEnds(d.AsOf, forecastMonths) {
		d.ForecastDays = append(d.ForecastDays, m)
		chart.Labels = append(chart.Labels, m.Format("Jan 06"))
	}
	for _, f := range fs {
		if f.Now.Required == 0 {
			continue
		}
		d.ForecastRows = append(d.ForecastRows, forecastRow{Level: f.Level, Now: f.Now, Months: f.Months, PerMonth: f.PerMonth})
		sr := Series{Name: f.Level.Title(), Colour: levelColours[f.Level], Values: []float64{f.Now.Rate()}}
		for _, m := range f.Months {
			sr.Values = append(sr.Values, m.Tally.Rate())
		}
		chart.Series = append(chart.Series, sr)
	}
	d.Forecast = chart.SVG()
}

// ForecastSentence sums up what keeping every level at the threshold
// takes.
func (d overviewData) ForecastSentence() string {
	needs := make([]figures.LevelNeed, 0, len(d.ForecastRows))
	for _, row := range d.ForecastRows {
		needs = append(needs, figures.LevelNeed{Level: row.Level, PerMonth: row.PerMonth})
	}
	list := figures.CompletionsAMonth(needs, strconv.Itoa)
	if list == "" {
		return fmt.Sprintf("Every level stays at or above %s at each of the next %d month-ends even if nobody trains.", d.ThresholdText, forecastMonths)
	}
	return fmt.Sprintf("To stay at or above %s at every month-end, the organisation needs %s a month.", d.ThresholdText, list)
}
