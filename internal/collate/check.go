package collate

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// DefaultThreshold is the share of staff at each level that meets the
// Prevent duty's minimum, when Rules leave it out.
const DefaultThreshold = 0.85

// Rules are what a return is checked against.
type Rules struct {
	// Quarter is the quarter being collated; the zero Quarter accepts any,
	// as long as every row of the file names the same one.
	Quarter returns.Quarter
	// Threshold is what meets_threshold is checked against
	// (DefaultThreshold when 0).
	Threshold float64
}

// Problem is one reason a return is refused.
type Problem struct {
	File   string
	Row    int    // the row in the file; 0 for the whole file
	Column string // the column, "" for the whole row or file
	Reason string
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Row > 0 {
		fmt.Fprintf(&b, " row %d", p.Row)
	}
	if p.Column != "" {
		if p.Row > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " column %s", p.Column)
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

// Return is a provider's quarterly return as read from its file and
// checked.
type Return struct {
	Table         *Table
	Quarter       returns.Quarter // zero when the file gives none that can be read
	Provider      returns.Provider
	Organisations int                 // organisation rows above TOTAL
	Total         *compliance.Summary // the TOTAL row; nil when the file has none
	// Records is the table as accepted, in the return's CSV form: the
	// quarter canonical, blank provider cells filled from the other rows,
	// and (in a template) blank percentages and meets_threshold worked out.
	Records [][]string
}

// CSV is the return's table as the CSV `prevent return` writes.
func (r *Return) CSV() string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(returns.Columns)
	_ = w.WriteAll(r.Records)
	return b.String()
}

// Column positions in returns.Columns.
var col = func() map[string]int {
	m := map[string]int{}
	for i, c := range returns.Columns {
		m[c] = i
	}
	return m
}()

// tallyCols names the columns of one tally: a level's own, or everyone's
// (headcount, all_compliant, all_pct).
type tallyCols struct {
	name                     string // "basic", ..., "all"
	required, compliant, pct string
}

var tallies = func() []tallyCols {
	var out []tallyCols
	for _, l := range compliance.Levels {
		n := l.String()
		out = append(out, tallyCols{n, n + "_required", n + "_compliant", n + "_pct"})
	}
	return append(out, tallyCols{"all", "headcount", "all_compliant", "all_pct"})
}()

// countColumns are the columns holding counts, in file order.
var countColumns = func() []string {
	var out []string
	for _, c := range returns.Columns {
		if c == "headcount" || strings.HasSuffix(c, "_required") || strings.HasSuffix(c, "_compliant") {
			out = append(out, c)
		}
	}
	return out
}()

// count is a count cell as read.
type count struct {
	n          int
	ok         bool // a number was read
	suppressed bool // "*": withheld by small-number suppression
}

// row is a data row being checked.
type row struct {
	line   int
	cells  []string
	total  bool
	counts map[string]count
}

type checker struct {
	t        *Table
	rules    Rules
	problems []Problem
}

func (c *checker) fail(line int, column, format string, args ...any) {
	c.problems = append(c.problems, Problem{File: c.t.File, Row: line, Column: column, Reason: fmt.Sprintf(format, args...)})
}

// Check checks a return table against the rules of the quarterly return:
// every row names the same quarter (the one being collated, when given)
// and provider; the last row is TOTAL and every count in it is the sum of
// the organisation rows; in every row no level has more compliant than
// required, headcount is the sum of the levels' required (each person
// requires one level), all_compliant the sum of their compliant, each
// percentage is 100·compliant/required rounded half up to one decimal
// (empty when required is 0), and meets_threshold is yes exactly when
// every level with anyone required reaches the threshold.
//
// A blank quarter, provider_code or provider cell takes the value the
// other rows give. A template may also leave percentages and
// meets_threshold blank: they are worked out. Counts withheld as "*" by
// small-number suppression are allowed in organisation rows: each stands
// for at least one.
//
// The Return is filled in as far as the file allows even when there are
// problems; the return is accepted only when there are none.
func Check(t *Table, rules Rules) (*Return, []Problem) {
	if rules.Threshold == 0 {
		rules.Threshold = DefaultThreshold
	}
	c := &checker{t: t, rules: rules}
	r := &Return{Table: t}
	r.Quarter = c.quarter()
	r.Provider = c.provider()

	var rows []*row
	for _, tr := range t.Rows {
		if unused(tr.Cells) {
			continue
		}
		org := tr.Cells[col["organisation"]]
		rows = append(rows, &row{line: tr.Line, cells: append([]string(nil), tr.Cells...), total: strings.EqualFold(org, compliance.TotalName)})
	}
	total := c.organisations(rows)
	for _, rw := range rows {
		c.counts(rw)
		c.consistent(rw)
	}
	if total != nil {
		c.sums(rows, total)
		r.Total = summary(total)
		r.Organisations = len(rows) - 1
		// Consistent figures fill the template's blank cells.
		for _, rw := range rows {
			c.fill(rw)
		}
	}
	for _, rw := range rows {
		rec := rw.cells
		if r.Quarter != (returns.Quarter{}) {
			rec[col["quarter"]] = r.Quarter.String()
		}
		if rec[col["provider_code"]] == "" {
			rec[col["provider_code"]] = r.Provider.ODSCode
		}
		rec[col["provider_code"]] = strings.ToUpper(rec[col["provider_code"]])
		if rec[col["provider"]] == "" {
			rec[col["provider"]] = r.Provider.Name
		}
		r.Records = append(r.Records, rec)
	}
	sort.SliceStable(c.problems, func(i, j int) bool {
		a, b := c.problems[i], c.problems[j]
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return columnOrder(a.Column) < columnOrder(b.Column)
	})
	return r, c.problems
}

func columnOrder(name string) int {
	if i, ok := col[name]; ok {
		return i
	}
	return -1
}

// unused reports a row of a template left empty: nothing in it but the
// quarter and provider, which the template fills in ahead.
func unused(cells []string) bool {
	for i, v := range cells {
		if i > col["provider"] && v != "" {
			return false
		}
	}
	return true
}

// quarter reads the quarter every row names.
func (c *checker) quarter() returns.Quarter {
	var q returns.Quarter
	first := 0
	for _, tr := range c.t.Rows {
		v := tr.Cells[col["quarter"]]
		if v == "" {
			continue
		}
		rq, err := returns.ParseQuarter(v)
		if err != nil {
			c.fail(tr.Line, "quarter", "%s", err)
			continue
		}
		if first == 0 {
			q, first = rq, tr.Line
			continue
		}
		if rq != q {
			c.fail(tr.Line, "quarter", "%s here but %s on row %d: a return is for one quarter", rq, q, first)
		}
	}
	switch {
	case first == 0 && len(c.t.Rows) > 0:
		c.fail(0, "quarter", "no row names the quarter (e.g. 2026-27Q2)")
	case first > 0 && c.rules.Quarter != (returns.Quarter{}) && q != c.rules.Quarter:
		c.fail(first, "quarter", "the return is for %s, but %s is being collated", q, c.rules.Quarter)
	}
	return q
}

// provider reads the provider every row names: the code must agree; the
// name is taken from the TOTAL row, else the first row giving one.
func (c *checker) provider() returns.Provider {
	var p returns.Provider
	first := 0
	for _, tr := range c.t.Rows {
		code := strings.ToUpper(tr.Cells[col["provider_code"]])
		if name := tr.Cells[col["provider"]]; name != "" && (p.Name == "" || strings.EqualFold(tr.Cells[col["organisation"]], compliance.TotalName)) {
			p.Name = name
		}
		if code == "" {
			continue
		}
		if !isODSCode(code) {
			c.fail(tr.Line, "provider_code", "%q is not an ODS code (letters and digits, e.g. RXX)", tr.Cells[col["provider_code"]])
			continue
		}
		if first == 0 {
			p.ODSCode, first = code, tr.Line
			continue
		}
		if code != p.ODSCode {
			c.fail(tr.Line, "provider_code", "%s here but %s on row %d: a return is from one provider", code, p.ODSCode, first)
		}
	}
	if first == 0 && len(c.t.Rows) > 0 {
		c.fail(0, "provider_code", "no row gives the provider's ODS code")
	}
	return p
}

func isODSCode(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// organisations checks the organisation column: each named once, the last
// row TOTAL. It returns the TOTAL row, nil when there is none.
func (c *checker) organisations(rows []*row) *row {
	if len(rows) == 0 {
		c.fail(0, "", "the return has a header row but no figures")
		return nil
	}
	seen := map[string]int{}
	var total *row
	for i, rw := range rows {
		org := rw.cells[col["organisation"]]
		switch {
		case org == "":
			c.fail(rw.line, "organisation", "no organisation named (each row is one organisation, the last row TOTAL)")
		case rw.total && total != nil:
			c.fail(rw.line, "organisation", "a second TOTAL row (the first is row %d)", total.line)
		case rw.total && i != len(rows)-1:
			c.fail(rw.line, "organisation", "TOTAL must be the last row")
			total = rw
		case rw.total:
			total = rw
		default:
			key := strings.ToLower(org)
			if first, dup := seen[key]; dup {
				c.fail(rw.line, "organisation", "%q is also on row %d: each organisation has one row", org, first)
			}
			seen[key] = rw.line
		}
	}
	if total == nil {
		c.fail(0, "organisation", "no TOTAL row: the last row must be TOTAL, the sum of the organisation rows")
	}
	return total
}

// counts reads a row's count cells.
func (c *checker) counts(rw *row) {
	rw.counts = map[string]count{}
	for _, name := range countColumns {
		v := rw.cells[col[name]]
		var n count
		switch {
		case v == "":
			c.fail(rw.line, name, "no count given (write 0 when there is none)")
		case v == returns.Suppressed && rw.total:
			c.fail(rw.line, name, "the TOTAL row may not withhold a count (%s)", returns.Suppressed)
		case v == returns.Suppressed:
			n.suppressed = true
		default:
			i, ok := wholeNumber(v)
			switch {
			case !ok:
				c.fail(rw.line, name, "%q is not a whole number", v)
			case i < 0:
				c.fail(rw.line, name, "%d is negative", i)
			default:
				n.n, n.ok = i, true
			}
		}
		rw.counts[name] = n
	}
}

// wholeNumber reads a count, allowing the "12.0" a spreadsheet may store.
func wholeNumber(s string) (int, bool) {
	if i, err := strconv.Atoi(s); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
		return 0, false
	}
	return int(f), true
}

// tally is a row's counts for one tally, ok only when both were read.
func (rw *row) tally(tc tallyCols) (compliance.Tally, bool) {
	req, comp := rw.counts[tc.required], rw.counts[tc.compliant]
	return compliance.Tally{Required: req.n, Compliant: comp.n}, req.ok && comp.ok
}

func (rw *row) withheld(tc tallyCols) bool {
	return rw.counts[tc.required].suppressed || rw.counts[tc.compliant].suppressed
}

// consistent checks a row's figures against each other.
func (c *checker) consistent(rw *row) {
	sumReq, sumComp, reqOK, compOK := 0, 0, true, true
	for _, tc := range tallies {
		req, comp := rw.counts[tc.required], rw.counts[tc.compliant]
		if tc.name != "all" {
			sumReq += req.n
			sumComp += comp.n
			reqOK = reqOK && req.ok
			compOK = compOK && comp.ok
		}
		if req.ok && comp.ok && comp.n > req.n {
			what := tc.required
			if tc.name == "all" {
				what = "headcount"
			}
			c.fail(rw.line, tc.compliant, "%d compliant is more than the %d of %s", comp.n, req.n, what)
		}
	}
	levels := levelNames()
	if hc := rw.counts["headcount"]; hc.ok && reqOK && hc.n != sumReq {
		c.fail(rw.line, "headcount", "%d is not the sum of %s_required (%d): each person requires exactly one level", hc.n, levels, sumReq)
	}
	if ac := rw.counts["all_compliant"]; ac.ok && compOK && ac.n != sumComp {
		c.fail(rw.line, "all_compliant", "%d is not the sum of %s_compliant (%d)", ac.n, levels, sumComp)
	}
	for _, tc := range tallies {
		c.pct(rw, tc)
	}
	c.meets(rw)
}

func levelNames() string {
	names := make([]string, len(compliance.Levels))
	for i, l := range compliance.Levels {
		names[i] = l.String()
	}
	return strings.Join(names, "/")
}

// pct checks a percentage against its counts.
func (c *checker) pct(rw *row, tc tallyCols) {
	v := rw.cells[col[tc.pct]]
	t, ok := rw.tally(tc)
	switch {
	case rw.withheld(tc) || !ok:
		return // nothing to check it against
	case t.Required == 0:
		if v != "" {
			c.fail(rw.line, tc.pct, "%q, but %s is 0: leave it empty", v, tc.required)
		}
		return
	case v == "":
		if c.t.Format != FormatTemplate {
			c.fail(rw.line, tc.pct, "no percentage given (%d of %d is %s)", t.Compliant, t.Required, figures.Pct(t))
		}
		return
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "%")), 64)
	if err != nil {
		c.fail(rw.line, tc.pct, "%q is not a percentage (want e.g. 85.5)", v)
		return
	}
	tenths, _ := t.Pct10()
	if math.Abs(f*10-float64(tenths)) > 1e-6 {
		c.fail(rw.line, tc.pct, "%s does not match %d of %d, which is %s (100 × compliant / required, rounded half up to one decimal)",
			v, t.Compliant, t.Required, figures.Pct(t))
	}
}

// rowMeets works out meets_threshold from the row's levels; ok is false when
// a count is missing or withheld.
func (c *checker) rowMeets(rw *row) (meets, ok bool) {
	meets = true
	for _, tc := range tallies[:len(compliance.Levels)] {
		t, read := rw.tally(tc)
		if !read || rw.withheld(tc) {
			return false, false
		}
		meets = meets && t.Meets(c.rules.Threshold)
	}
	return meets, true
}

func (c *checker) meets(rw *row) {
	v := strings.ToLower(rw.cells[col["meets_threshold"]])
	want, ok := c.rowMeets(rw)
	switch {
	case v == "" && c.t.Format == FormatTemplate:
		return
	case v != "yes" && v != "no":
		c.fail(rw.line, "meets_threshold", "%q is not yes or no", rw.cells[col["meets_threshold"]])
	case !ok:
		return
	case (v == "yes") != want:
		c.fail(rw.line, "meets_threshold", "%s, but %s", v, c.why(rw, want))
	}
}

// why says which levels reach the threshold and which do not.
func (c *checker) why(rw *row, meets bool) string {
	th := figures.ThresholdPct(c.rules.Threshold)
	if meets {
		return "every level with staff required reaches " + th
	}
	var below []string
	for _, tc := range tallies[:len(compliance.Levels)] {
		t, _ := rw.tally(tc)
		if !t.Meets(c.rules.Threshold) {
			below = append(below, fmt.Sprintf("%s is %s%% (%d of %d)", tc.name, figures.Pct(t), t.Compliant, t.Required))
		}
	}
	return strings.Join(below, " and ") + ", below " + th
}

// sums checks that every count in the TOTAL row is the sum of the
// organisation rows.
func (c *checker) sums(rows []*row, total *row) {
	for _, name := range countColumns {
		tc := total.counts[name]
		if !tc.ok {
			continue
		}
		sum, withheld, readable := 0, 0, true
		for _, rw := range rows {
			if rw == total || rw.total {
				continue
			}
			n := rw.counts[name]
			switch {
			case n.suppressed:
				withheld++
			case n.ok:
				sum += n.n
			default:
				readable = false
			}
		}
		switch {
		case !readable:
		case withheld == 0 && sum != tc.n:
			c.fail(total.line, name, "TOTAL is %d but the organisation rows add up to %d", tc.n, sum)
		case withheld > 0 && sum+withheld > tc.n:
			c.fail(total.line, name, "TOTAL is %d but the organisation rows shown add up to %d, with %d more withheld (at least 1 each)", tc.n, sum, withheld)
		}
	}
}

// fill writes a template's blank percentages and meets_threshold from its
// counts.
func (c *checker) fill(rw *row) {
	if c.t.Format != FormatTemplate {
		return
	}
	for _, tc := range tallies {
		if t, ok := rw.tally(tc); ok && !rw.withheld(tc) && rw.cells[col[tc.pct]] == "" {
			rw.cells[col[tc.pct]] = figures.Pct(t)
		}
	}
	if m, ok := c.rowMeets(rw); ok && rw.cells[col["meets_threshold"]] == "" {
		rw.cells[col["meets_threshold"]] = figures.YesNo(m)
	}
	rw.cells[col["meets_threshold"]] = strings.ToLower(rw.cells[col["meets_threshold"]])
}

// summary is the TOTAL row's figures.
func summary(rw *row) *compliance.Summary {
	s := &compliance.Summary{Organisation: compliance.TotalName, ByLevel: map[compliance.Level]*compliance.Tally{}}
	for i, l := range compliance.Levels {
		t, _ := rw.tally(tallies[i])
		s.ByLevel[l] = &t
	}
	s.Headcount = rw.counts["headcount"].n
	s.All = compliance.Tally{Required: s.Headcount, Compliant: rw.counts["all_compliant"].n}
	return s
}
