package web

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strings"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// activityQuarters is how many quarters the referrals panel shows, the one
// holding the as-of date last.
const activityQuarters = 4

// activityPanel is the overview's referrals and partnership panel: counts
// per quarter and the referral funnel, never a case.
type activityPanel struct {
	Quarters []activityQuarter
	Funnel   []funnelStep  // over the quarters shown
	Chart    template.HTML // the funnel as inline SVG (the pages' CSP allows no inline style)
	Lead     string
}

type activityQuarter struct {
	Quarter string
	ToDate  bool // the quarter is not over on the as-of date
	Counts  activity.QuarterCounts
}

type funnelStep struct {
	Label string
	Count int
	Width int // percent of the first step, for the bar
}

// activityPanel builds the panel, or nil when it is not shown: only when
// the return carries a referrals section (a Prevent lead is configured or
// a referral or meetings log has been imported), and, when signing in is
// configured, only to a signed-in user (the dashboard refuses everyone
// else already; the check here keeps it so should a page ever be opened
// up).
func (s *server) activityPanel(r *http.Request, asOf returns.Quarter) (*activityPanel, error) {
	if s.auth.enabled() && userOf(r) == "" {
		return nil, nil
	}
	on, err := report.ActivityReported(r.Context(), s.store, s.cfg.Lead())
	if err != nil || !on {
		return nil, err
	}
	qs := make([]returns.Quarter, activityQuarters)
	for i, q := activityQuarters-1, asOf; i >= 0; i, q = i-1, q.Prev() {
		qs[i] = q
	}
	counts, err := report.ActivityCounts(r.Context(), s.store, qs)
	if err != nil {
		return nil, err
	}
	p := &activityPanel{}
	if l := s.cfg.Lead(); !l.IsZero() {
		p.Lead = l.String()
	}
	var sum activity.QuarterCounts
	for i, q := range qs {
		p.Quarters = append(p.Quarters, activityQuarter{Quarter: q.String(), ToDate: i == len(qs)-1 && s.today().Before(q.End()), Counts: counts[i]})
		sum = sum.Add(counts[i])
	}
	for _, st := range sum.Funnel() {
		w := 0
		if sum.ConcernsRaised > 0 {
			w = st.Count * 100 / sum.ConcernsRaised
		}
		p.Funnel = append(p.Funnel, funnelStep{Label: st.Label, Count: st.Count, Width: w})
	}
	p.Chart = funnelSVG(p.Funnel)
	return p, nil
}

// funnelSVG draws the funnel: one bar a step, as wide as its share of the
// concerns raised.
func funnelSVG(steps []funnelStep) template.HTML {
	const width, label, row = 640, 190, 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="The referral funnel" class="chart">`, width, row*len(steps)+10)
	for i, st := range steps {
		y := 5 + i*row
		w := (width - label - 60) * st.Width / 100
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="13" fill="#212b32">%s</text>`, y+18, html.EscapeString(st.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="22" fill="%s"></rect>`, label, y+2, max(w, 1), nhsBlue)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#212b32">%d</text>`, label+max(w, 1)+6, y+18, st.Count)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
