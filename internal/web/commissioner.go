package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// The commissioner page: every provider's quarterly return for a quarter,
// as `prevent assurance` computes it (package collate does; nothing is
// recomputed here), the providers against the threshold and each
// provider's trend. Figures are the providers' TOTAL rows: aggregates,
// never people.

// commissionerQuarters is how many quarters the trend looks back over, and
// how many completed quarters the quarter picker offers at least.
const commissionerQuarters = 8

type commissionerData struct {
	Quarter       returns.Quarter
	Previous      returns.Quarter
	Options       []quarterOption
	Headline      string
	Window        collate.Window
	WindowClosed  bool
	Threshold     float64
	ThresholdText string
	LevelTitles   []string
	Rows          []assuranceRow
	Refused       []refusedRow
	Bars          template.HTML
	Trend         providerTrend
	CSV, XLSX     string
	// Empty: no provider is configured and no return was collated for the
	// quarter.
	Empty bool
	// Referrals: some provider's referrals section was collated for the
	// quarter, so each row shows its referred_to_prevent.
	Referrals bool
}

type quarterOption struct {
	Value, Label string
	Selected     bool
}

type assuranceRow struct {
	Name, Code string
	Status     collate.Status
	StatusText string
	Badge      string // the badge's class
	Received   string // when the first accepted return arrived, UK time
	Corrected  string // when the return in use arrived, when it replaced one
	HasReturn  bool
	Headcount  int
	Rates      []rateCell // each level, then all staff
	Meets      bool
	Flags      []flagBadge
	Referred   string // referred_to_prevent as the provider gave it ("*" when withheld)
}

type rateCell struct {
	Tally  compliance.Tally
	Shown  bool   // there is a return and someone is required
	Class  string // "ok" at or above the threshold, "below" under it
	Change string // since the previous quarter: "+1.5 pp"; "" when not known
}

type flagBadge struct{ Text, Badge string }

type refusedRow struct {
	File, Provider, Received, Where, Reason string
}

type providerTrend struct {
	Quarters []string // axis labels, oldest first
	Charts   []trendChart
	Rows     []trendTableRow
}

type trendChart struct {
	Name, Code string
	Chart      template.HTML
	Returns    int // quarters with a return
}

type trendTableRow struct {
	Name, Code string
	Cells      []rateCell
}

// commissionerQuarter reads ?quarter=, the last completed quarter when
// absent (as `prevent assurance` defaults).
func (s *server) commissionerQuarter(r *http.Request) (returns.Quarter, error) {
	v := strings.TrimSpace(r.URL.Query().Get("quarter"))
	if v == "" {
		return returns.LastCompleted(s.now()), nil
	}
	q, err := returns.ParseQuarter(v)
	if err != nil {
		return q, fmt.Errorf("The %v.", err)
	}
	return q, nil
}

// commissionerShown reports whether the navigation offers the commissioner
// page: when the config lists providers or the store holds their returns.
// Once returns are held they stay, so a yes is remembered.
func (s *server) commissionerShown(ctx context.Context) bool {
	if len(s.cfg.Providers) > 0 || s.providerReturns.Load() {
		return true
	}
	qs, err := s.store.ProviderQuarters(ctx)
	if err != nil {
		s.log.Warn("dashboard: cannot tell whether providers' returns are held", slog.Any("error", err))
		return false
	}
	if len(qs) > 0 {
		s.providerReturns.Store(true)
	}
	return len(qs) > 0
}

func (s *server) commissioner(w http.ResponseWriter, r *http.Request) {
	q, err := s.commissionerQuarter(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	now := s.now()
	a, err := collate.LoadForConfig(ctx, s.store, s.cfg, q, now)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	trend, err := collate.LoadTrend(ctx, s.store, collate.ProvidersOf(s.cfg), q, commissionerQuarters)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	held, err := s.store.ProviderQuarters(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	th := a.Threshold
	d := commissionerData{Quarter: q, Previous: q.Prev(), Headline: a.Headline(), Window: a.Window,
		WindowClosed: a.Window.Closed(now), Threshold: th, ThresholdText: figures.ThresholdPct(th),
		Empty: len(a.Lines) == 0}
	for _, l := range compliance.Levels {
		d.LevelTitles = append(d.LevelTitles, columnTitle(l))
	}
	d.Options = quarterOptions(q, returns.LastCompleted(now), held)
	query := "?" + url.Values{"quarter": {q.String()}}.Encode()
	d.CSV, d.XLSX = "/commissioner.csv"+query, "/commissioner.xlsx"+query

	var bars []Bar
	for i := range a.Lines {
		l := &a.Lines[i]
		d.Rows = append(d.Rows, assuranceRowOf(a, l))
		label := clipLabel(l.Provider.Name, 30)
		if all, ok := l.Rate(compliance.LevelNone); ok {
			bars = append(bars, rateBar(label, all, th))
		} else {
			bars = append(bars, Bar{Label: label, Absent: true, Why: "no return (" + string(l.Status) + ")"})
		}
	}
	if len(bars) > 0 {
		d.Bars = BarChart{Title: fmt.Sprintf("Each provider's all-staff rate for %s against the %s minimum", q, d.ThresholdText),
			Bars: bars, Threshold: th}.SVG()
	}
	for _, rj := range a.Rejections {
		d.Refused = append(d.Refused, refusedRow{File: rj.FileName, Provider: rj.ProviderCode,
			Received: collate.UKTime(rj.ReceivedAt), Where: collate.Where(rj.Row, rj.Column), Reason: rj.Reason})
	}
	d.Trend = trendOf(trend, th)
	d.Referrals = a.HasReferrals()
	s.render(w, r, http.StatusOK, "commissioner", "Commissioner assurance "+q.String(), d)
}

// commissionerExport serves the assurance table as CSV or XLSX, exactly as
// `prevent assurance --format csv|xlsx` writes it.
func (s *server) commissionerExport(w http.ResponseWriter, r *http.Request) {
	q, err := s.commissionerQuarter(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	a, err := collate.LoadForConfig(r.Context(), s.store, s.cfg, q, s.now())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var buf bytes.Buffer
	ext := "csv"
	if strings.HasSuffix(r.URL.Path, ".xlsx") {
		ext = "xlsx"
		err = a.WriteXLSX(&buf)
		w.Header().Set("Content-Type", xlsxType)
	} else {
		err = a.WriteCSV(&buf)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	if err != nil {
		w.Header().Del("Content-Type")
		s.internal(w, r, err)
		return
	}
	if !s.auditExport(w, r, len(a.Lines)) {
		w.Header().Del("Content-Type")
		return
	}
	w.Header().Set("Content-Disposition", attachment("Prevent assurance "+q.String()+"."+ext))
	_, _ = buf.WriteTo(w)
}

// levelsAndAll are the rate columns: each level, then all staff.
var levelsAndAll = append(append([]compliance.Level(nil), compliance.Levels...), compliance.LevelNone)

func assuranceRowOf(a *collate.Assurance, l *collate.Line) assuranceRow {
	row := assuranceRow{Name: l.Provider.Name, Code: l.Provider.ODSCode, Status: l.Status,
		Received: collate.UKTime(l.FirstReceived), HasReturn: l.Return != nil}
	row.StatusText, row.Badge = statusBadge(l.Status)
	row.Referred = a.Referred(l)
	if l.Return != nil {
		row.Headcount = l.Return.Headcount
		row.Meets = l.Total().MeetsThreshold(a.Threshold)
		if l.Versions > 1 {
			row.Corrected = collate.UKTime(l.Return.ReceivedAt)
		}
	}
	for _, lv := range levelsAndAll {
		t, ok := l.Rate(lv)
		c := rateCellOf(t, ok, a.Threshold)
		if ch := l.Change(lv); ch != "" {
			c.Change = ch + " pp"
		}
		row.Rates = append(row.Rates, c)
	}
	for _, f := range l.Flags {
		row.Flags = append(row.Flags, flagBadgeOf(f, a.Threshold))
	}
	return row
}

// columnTitle is a level's short name, for a column heading.
func columnTitle(l compliance.Level) string {
	switch l {
	case compliance.Basic:
		return "Basic"
	case compliance.Level3:
		return "Level 3"
	case compliance.FaceToFace:
		return "Face to face"
	}
	return l.Title()
}

func statusBadge(st collate.Status) (text, badge string) {
	switch st {
	case collate.Received:
		return "Received", "badge-compliant"
	case collate.Late:
		return "Late", "badge-due_soon"
	case collate.Missing:
		return "Missing", "badge-expired"
	case collate.Awaited:
		return "Awaited", "badge-never"
	}
	return string(st), "badge-never"
}

func flagBadgeOf(flag string, th float64) flagBadge {
	switch flag {
	case collate.FlagMissing:
		return flagBadge{"missing", "badge-expired"}
	case collate.FlagLate:
		return flagBadge{"late", "badge-due_soon"}
	case collate.FlagBelowThreshold:
		return flagBadge{"below " + figures.ThresholdPct(th), "badge-expired"}
	case collate.FlagResubmitted:
		return flagBadge{"resubmitted", "badge-never"}
	case collate.FlagRejectedFile:
		return flagBadge{"file refused", "badge-due_soon"}
	case collate.FlagUnknownProvider:
		return flagBadge{"not in the config", "badge-due_soon"}
	}
	return flagBadge{strings.ReplaceAll(flag, "_", " "), "badge-never"}
}

// trendOf draws each provider's all-staff rate over the trend's quarters,
// one small chart each on a shared axis, and tabulates them.
func trendOf(t *collate.Trend, th float64) providerTrend {
	var out providerTrend
	for _, q := range t.Quarters {
		out.Quarters = append(out.Quarters, quarterLabel(q))
	}
	lowest := th
	for i := range t.Lines {
		for j := range t.Quarters {
			if all, ok := t.Lines[i].Rate(j, compliance.LevelNone); ok && all.Required > 0 {
				lowest = math.Min(lowest, all.Rate())
			}
		}
	}
	for i := range t.Lines {
		l := &t.Lines[i]
		row := trendTableRow{Name: l.Provider.Name, Code: l.Provider.ODSCode}
		series := Series{Name: clipLabel(l.Provider.Name, 44), Colour: nhsBlue}
		returned := 0
		for j := range t.Quarters {
			all, ok := l.Rate(j, compliance.LevelNone)
			c := rateCellOf(all, ok, th)
			if ok {
				returned++
			}
			row.Cells = append(row.Cells, c)
			series.Values = append(series.Values, gapUnless(all, c.Shown))
		}
		out.Rows = append(out.Rows, row)
		ch := trendChart{Name: l.Provider.Name, Code: l.Provider.ODSCode, Returns: returned}
		if returned > 0 {
			ch.Chart = LineChart{Title: "All-staff rate of " + l.Provider.Name + " by quarter", Labels: out.Quarters,
				Series: []Series{series}, Threshold: th, Width: 600, Height: 250, Lowest: math.Max(lowest, 0.001)}.SVG()
		}
		out.Charts = append(out.Charts, ch)
	}
	return out
}

func gapUnless(t compliance.Tally, shown bool) float64 {
	if !shown {
		return math.NaN()
	}
	return t.Rate()
}

// quarterOptions are the quarters the picker offers, newest first: the
// completed quarters back commissionerQuarters from the last, every
// quarter a return is held for, and the one shown.
func quarterOptions(shown, last returns.Quarter, held []string) []quarterOption {
	set := map[returns.Quarter]bool{shown: true}
	for i, q := 0, last; i < commissionerQuarters; i, q = i+1, q.Prev() {
		set[q] = true
	}
	for _, h := range held {
		if q, err := returns.ParseQuarter(h); err == nil {
			set[q] = true
		}
	}
	qs := make([]returns.Quarter, 0, len(set))
	for q := range set {
		qs = append(qs, q)
	}
	sort.Slice(qs, func(i, j int) bool { return qs[j].Before(qs[i]) })
	out := make([]quarterOption, len(qs))
	for i, q := range qs {
		out[i] = quarterOption{Value: q.String(), Selected: q == shown,
			Label: fmt.Sprintf("%s (%s to %s)", q, q.Start().Format("Jan"), q.End().Format("Jan 2006"))}
	}
	return out
}

// rateCellOf is a rate's cell: shown when the provider returned it and
// someone was required, "ok" or "below" against the threshold.
func rateCellOf(t compliance.Tally, ok bool, threshold float64) rateCell {
	c := rateCell{Tally: t, Shown: ok && t.Required > 0}
	if c.Shown {
		c.Class = "ok"
		if !t.Meets(threshold) {
			c.Class = "below"
		}
	}
	return c
}

// clipLabel shortens a chart label to n characters.
func clipLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
