package collate

import (
	"context"
	"sort"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Trend is each provider's return in use over consecutive quarters.
type Trend struct {
	Quarters []returns.Quarter // oldest first
	Lines    []TrendLine       // in the assurance table's order
}

// TrendLine is one provider's returns in use, one per quarter of the
// trend.
type TrendLine struct {
	Provider Provider
	Known    bool                    // in the config
	Returns  []*store.ProviderReturn // by quarter; nil where none was accepted
}

// Rate is the TOTAL tally of the return in use for the trend's i-th
// quarter at a level (everyone for compliance.LevelNone); ok is false when
// there is none.
func (l *TrendLine) Rate(i int, lv compliance.Level) (compliance.Tally, bool) {
	return tallyOf(l.Returns[i], lv)
}

// LoadTrend reads the returns in use for the n quarters ending with last:
// a line for every configured provider and for any other whose return was
// accepted. Quarters before the first for which any return was accepted
// are left out; last is always kept.
func LoadTrend(ctx context.Context, s *store.Store, providers []Provider, last returns.Quarter, n int) (*Trend, error) {
	n = max(n, 1)
	qs := make([]returns.Quarter, n)
	for i, q := n-1, last; i >= 0; i, q = i-1, q.Prev() {
		qs[i] = q
	}
	current := make([][]store.ProviderReturn, n)
	first := n - 1
	for i, q := range qs {
		list, err := s.ProviderReturns(ctx, q.String())
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			if r.Current() {
				current[i] = append(current[i], r)
			}
		}
		if len(current[i]) > 0 {
			first = min(first, i)
		}
	}
	qs, current = qs[first:], current[first:]

	t := &Trend{Quarters: qs}
	lines := map[string]*TrendLine{}
	var order []string
	add := func(p Provider, known bool) *TrendLine {
		if l := lines[p.ODSCode]; l != nil {
			return l
		}
		lines[p.ODSCode] = &TrendLine{Provider: p, Known: known, Returns: make([]*store.ProviderReturn, len(qs))}
		order = append(order, p.ODSCode)
		return lines[p.ODSCode]
	}
	for _, p := range providers {
		add(p, true)
	}
	for i := range current {
		for j := range current[i] {
			r := &current[i][j]
			l := add(Provider{Name: r.ProviderName, ODSCode: r.ProviderCode}, false)
			if !l.Known {
				l.Provider.Name = r.ProviderName // the latest name it gave
			}
			l.Returns[i] = r
		}
	}
	for _, code := range order {
		t.Lines = append(t.Lines, *lines[code])
	}
	sort.SliceStable(t.Lines, func(i, j int) bool {
		x, y := t.Lines[i], t.Lines[j]
		return listedBefore(x.Provider, x.Known, y.Provider, y.Known)
	})
	return t, nil
}
