// Package returns owns NHS financial-year quarters and the quarterly Prevent
// data return: its table, CSV and XLSX. It computes nothing from a database:
// callers pass the workforce as evaluated on the quarter's last day, the
// trend figures of earlier quarters and the provenance (snapshot, extract
// files) to print.
package returns

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"slices"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
)

// Provider is the organisation making the return (config organisation and
// ods_code).
type Provider struct {
	Name    string
	ODSCode string
}

// Return is one provider's quarterly Prevent data return.
type Return struct {
	Quarter   Quarter
	AsOf      time.Time // the quarter's last day
	Provider  Provider
	Threshold float64 // e.g. 0.85
	// SuppressBelow, when above 1, writes organisation-row counts from 1 to
	// SuppressBelow-1 as "*" for publication; see Records.
	SuppressBelow int
	Rows          []*compliance.Summary // one per organisation, sorted by name
	Total         *compliance.Summary

	// Provenance, printed on the XLSX cover; set by the caller.
	SnapshotDate time.Time // effective date of the staff snapshot used
	SnapshotFile string
	Sources      []string  // extract files the figures come from
	GeneratedAt  time.Time // zero leaves it off the cover

	// Activity is the referrals section; nil leaves it out of the
	// workbook and the email, which are then the training return alone.
	Activity *Activity
}

// Build computes the return for a quarter from the workforce evaluated as
// of q.End().
func Build(q Quarter, p Provider, people []compliance.Person, threshold float64) *Return {
	return BuildBy(q, p, people, threshold, compliance.ByOrganisation)
}

// BuildBy is Build with one row per group of the key (config return.by):
// the header stays, the group's name goes under organisation.
func BuildBy(q Quarter, p Provider, people []compliance.Person, threshold float64, by compliance.GroupKey) *Return {
	rows, total := compliance.AggregateBy(people, by)
	return BuildFrom(q, p, rows, total, threshold)
}

// BuildFrom is BuildBy from the groups and total already summed, as
// compliance.AggregateBy gives them.
func BuildFrom(q Quarter, p Provider, rows []*compliance.Summary, total *compliance.Summary, threshold float64) *Return {
	return &Return{Quarter: q, AsOf: q.End(), Provider: p, Threshold: threshold, Rows: rows, Total: total}
}

// Columns is the return's header, exactly as the contract writes it.
var Columns = append([]string{"quarter", "provider_code", "provider", "organisation"},
	figures.Columns...)

// Suppressed is written in place of a count withheld by small-number
// suppression.
const Suppressed = "*"

// Records is the return's table without its header: one record per
// organisation in name order, then TOTAL. It holds aggregates only. Text
// cells are neutralised against spreadsheet formulas (figures.SafeCell).
//
// With SuppressBelow above 1, each organisation row writes every count
// from 1 to SuppressBelow-1 (headcount, a level's required or compliant,
// all_compliant) as "*" and blanks the percentage those counts make, since
// it would give them away. Zero is kept: it identifies nobody. The TOTAL row
// and meets_threshold are written as computed. This is primary suppression
// only: where a single organisation's count is withheld, TOTAL less the
// other rows recovers it, so a publisher with one small organisation should
// merge it before publishing.
func (r *Return) Records() [][]string {
	recs := make([][]string, 0, len(r.Rows)+1)
	for _, s := range r.Rows {
		recs = append(recs, r.record(s, r.SuppressBelow))
	}
	return append(recs, r.record(r.Total, 0))
}

func (r *Return) record(s *compliance.Summary, suppressBelow int) []string {
	rec := append([]string{r.Quarter.String(), figures.SafeCell(r.Provider.ODSCode),
		figures.SafeCell(r.Provider.Name), figures.SafeCell(s.Organisation)},
		figures.Record(s, r.Threshold)...)
	if suppressBelow > 1 {
		suppress(rec, s, suppressBelow)
	}
	return rec
}

// tallyColumns names the columns of one tally in the return: the levels'
// own, and headcount/all_* for everyone.
type tallyColumns struct {
	required, compliant, pct int
	tally                    func(*compliance.Summary) compliance.Tally
}

var returnTallies = func() []tallyColumns {
	col := map[string]int{}
	for i, c := range Columns {
		col[c] = i
	}
	var tc []tallyColumns
	for _, l := range compliance.Levels {
		tc = append(tc, tallyColumns{col[l.String()+"_required"], col[l.String()+"_compliant"], col[l.String()+"_pct"],
			func(s *compliance.Summary) compliance.Tally { return s.Level(l) }})
	}
	return append(tc, tallyColumns{col["headcount"], col["all_compliant"], col["all_pct"],
		func(s *compliance.Summary) compliance.Tally { return s.All }})
}()

func suppress(rec []string, s *compliance.Summary, below int) {
	small := func(n int) bool { return n > 0 && n < below }
	for _, tc := range returnTallies {
		t := tc.tally(s)
		if small(t.Required) {
			rec[tc.required] = Suppressed
		}
		if small(t.Compliant) {
			rec[tc.compliant] = Suppressed
		}
		if small(t.Required) || small(t.Compliant) {
			rec[tc.pct] = ""
		}
	}
}

// WriteCSV writes the return as CSV with the contract's header.
func (r *Return) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	if err := cw.WriteAll(r.Records()); err != nil {
		return err
	}
	return cw.Error()
}

// TrendPoint is the total position of an earlier quarter, for the trend
// sheet.
type TrendPoint struct {
	Quarter Quarter
	Total   *compliance.Summary
}

// FiguresDigest is a digest of the return's training figures: the quarter
// and each row's name and counts (each organisation or group, then TOTAL)
// as the CSV writes them before any suppression. The provider's name, the
// provenance and the referrals section are not in it. Two builds of a
// quarter's return from the same data have the same digest; a change to
// any figure (a corrected extract, exemptions or completions for past
// dates) gives another.
func (r *Return) FiguresDigest() string {
	h := sha256.New()
	cw := csv.NewWriter(h)
	_ = cw.Write([]string{r.Quarter.String()})
	for _, s := range append(slices.Clip(r.Rows), r.Total) {
		_ = cw.Write(append([]string{s.Organisation}, figures.Record(s, r.Threshold)...))
	}
	cw.Flush()
	return hex.EncodeToString(h.Sum(nil))
}
