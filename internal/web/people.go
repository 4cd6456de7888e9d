package web

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/report"
)

// peopleFilter selects people for the list and its exports; the same
// query string drives both, so an export holds exactly the rows shown.
type peopleFilter struct {
	Org         string              // exact organisation, "" for all
	StaffGroup  string              // exact staff group, "" for all
	Requirement compliance.Level    // LevelNone for all
	Statuses    []compliance.Status // empty for all
	// DueWithin keeps people whose due date falls between the as-of date
	// and that many days after it (not yet expired); -1 for all.
	DueWithin int
	Sort      string // "" (employee number) or "due"
	// OrgLevels (Org L2..L7) and Manager select a group as a summary by
	// that key names it ("(blank)" for a blank value), "" for all.
	OrgLevels [6]string
	Manager   string
}

// groupKeys are the filters that name a group of a summary --by key, in
// the order they nest.
var groupKeys = []compliance.GroupKey{"org_l2", "org_l3", "org_l4", "org_l5", "org_l6", "org_l7"}

// groupName is a person's group for a key, as a summary names it.
func groupName(k compliance.GroupKey, p *compliance.Person) string {
	if v := k.Of(p); v != "" {
		return v
	}
	return k.BlankGroup()
}

const maxDueWithin = 3650

func parsePeopleFilter(q url.Values) (peopleFilter, error) {
	f := peopleFilter{Org: q.Get("org"), StaffGroup: q.Get("staff_group"), DueWithin: -1, Manager: q.Get("manager")}
	for i, k := range groupKeys {
		f.OrgLevels[i] = q.Get(string(k))
	}
	if v := q.Get("requirement"); v != "" {
		l, err := compliance.ParseLevel(v)
		if err != nil {
			return f, fmt.Errorf("requirement: %w", err)
		}
		f.Requirement = l
	}
	for _, v := range q["status"] {
		for _, part := range strings.Split(v, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			st, err := compliance.ParseStatus(part)
			if err != nil {
				return f, fmt.Errorf("status: %w", err)
			}
			if !slices.Contains(f.Statuses, st) {
				f.Statuses = append(f.Statuses, st)
			}
		}
	}
	if v := strings.TrimSpace(q.Get("due_within")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxDueWithin {
			return f, fmt.Errorf("due within %q is not a number of days from 0 to %d", v, maxDueWithin)
		}
		f.DueWithin = n
	}
	switch v := q.Get("sort"); v {
	case "", "employee_number":
	case "due":
		f.Sort = "due"
	default:
		return f, fmt.Errorf("cannot sort people by %q (want due or employee_number)", v)
	}
	return f, nil
}

// query is the filter as a query string, with the as-of date when given.
func (f peopleFilter) query(asOf string) url.Values {
	q := url.Values{}
	if asOf != "" {
		q.Set("as_of", asOf)
	}
	if f.Org != "" {
		q.Set("org", f.Org)
	}
	if f.StaffGroup != "" {
		q.Set("staff_group", f.StaffGroup)
	}
	for i, k := range groupKeys {
		if f.OrgLevels[i] != "" {
			q.Set(string(k), f.OrgLevels[i])
		}
	}
	if f.Manager != "" {
		q.Set("manager", f.Manager)
	}
	if f.Requirement != compliance.LevelNone {
		q.Set("requirement", f.Requirement.String())
	}
	for _, st := range f.Statuses {
		q.Add("status", string(st))
	}
	if f.DueWithin >= 0 {
		q.Set("due_within", strconv.Itoa(f.DueWithin))
	}
	if f.Sort != "" {
		q.Set("sort", f.Sort)
	}
	return q
}

// match reports whether the filter selects a person, on the as-of date
// with last the last day of the due-within window.
func (f peopleFilter) match(p *compliance.Person, asOf, last time.Time) bool {
	if !f.inGroups(p) {
		return false
	}
	switch {
	case f.Org != "" && orgName(p.Organisation) != f.Org,
		f.StaffGroup != "" && p.StaffGroup != f.StaffGroup,
		f.Requirement != compliance.LevelNone && p.Requirement != f.Requirement,
		len(f.Statuses) > 0 && !slices.Contains(f.Statuses, p.Status),
		f.DueWithin >= 0 && (p.DueDate.IsZero() || p.DueDate.Before(asOf) || p.DueDate.After(last)):
		return false
	}
	return true
}

// apply returns the people the filter selects, in its order, as a new
// slice (the position's own is shared and never reordered). each does the
// same without copying anyone.
func (f peopleFilter) apply(people []compliance.Person, asOf time.Time) []compliance.Person {
	var out []compliance.Person
	last := asOf.AddDate(0, 0, f.DueWithin)
	for i := range people {
		if f.match(&people[i], asOf, last) {
			out = append(out, people[i])
		}
	}
	if f.Sort == "due" {
		// Never trained first, then by due date; ties by employee number.
		sort.SliceStable(out, func(i, j int) bool {
			a, b := out[i].DueDate, out[j].DueDate
			if a.IsZero() != b.IsZero() {
				return a.IsZero()
			}
			return a.Before(b)
		})
	}
	return out
}

// selection is the people of the position the filter selects, as
// indexes into its People in the filter's order; nil when it selects
// everyone in the people's own order. Worked out once per filter (the page
// and page size aside) and kept with the position while it is among the
// last few asked for: each page of a list, and its downloads, then take
// only the rows they show.
func (p *position) selection(f peopleFilter) []int32 {
	if f.everyone() {
		return nil
	}
	if unsorted := f; unsorted.Sort == "due" {
		if unsorted.Sort = ""; unsorted.everyone() {
			return p.dueOrder() // everyone, by due date
		}
	}
	key := f.query("").Encode()
	p.mu.Lock()
	for i, c := range p.selections {
		if c.key == key {
			// Most recently used last.
			p.selections = append(append(p.selections[:i:i], p.selections[i+1:]...), c)
			p.mu.Unlock()
			return c.people
		}
	}
	p.mu.Unlock()
	var order []int32
	if f.Sort == "due" {
		order = p.dueOrder()
	}
	asOf := p.AsOf
	last := asOf.AddDate(0, 0, f.DueWithin)
	people := p.People
	sel := []int32{}
	if order != nil {
		for _, i := range order {
			if f.match(&people[i], asOf, last) {
				sel = append(sel, i)
			}
		}
	} else {
		for i := range people {
			if f.match(&people[i], asOf, last) {
				sel = append(sel, int32(i))
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.selections = append(p.selections, selected{key: key, people: sel})
	held := 0
	for _, c := range p.selections {
		held += len(c.people)
	}
	// A few lists, and about four workforces' worth of indexes at most.
	for len(p.selections) > 1 && (len(p.selections) > maxSelections || held > 4*len(people)) {
		held -= len(p.selections[0].people)
		p.selections = p.selections[1:]
	}
	return sel
}

// maxSelections is how many filters' selections a position keeps.
const maxSelections = 8

// selected is a filter's selection (see selection).
type selected struct {
	key    string
	people []int32
}

// everyone reports whether the filter selects everyone, in order.
func (f peopleFilter) everyone() bool {
	return f.Org == "" && f.StaffGroup == "" && f.Requirement == compliance.LevelNone && len(f.Statuses) == 0 &&
		f.DueWithin < 0 && f.Sort == "" && f.OrgLevels == [6]string{} && f.Manager == ""
}

// each calls fn with each person of the position the filter selects, in
// the filter's order.
func (f peopleFilter) each(pos *position, fn func(p *compliance.Person)) {
	sel := pos.selection(f)
	if sel == nil {
		for i := range pos.People {
			fn(&pos.People[i])
		}
		return
	}
	for _, i := range sel {
		fn(&pos.People[i])
	}
}

// count is how many people of the position the filter selects, and at
// returns the i-th of them.
func (f peopleFilter) count(pos *position) (n int, at func(i int) *compliance.Person) {
	sel := pos.selection(f)
	if sel == nil {
		return len(pos.People), func(i int) *compliance.Person { return &pos.People[i] }
	}
	return len(sel), func(i int) *compliance.Person { return &pos.People[sel[i]] }
}

// byDue orders people by due date: never trained first, then by due
// date, ties in the people's order (by employee number).
func byDue(people []compliance.Person) []int32 {
	type key struct {
		due int64
		at  int32
	}
	keys := make([]key, len(people))
	for i := range people {
		k := key{due: math.MinInt64, at: int32(i)}
		if d := people[i].DueDate; !d.IsZero() {
			k.due = d.Unix()
		}
		keys[i] = k
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.due, b.due), cmp.Compare(a.at, b.at)) })
	order := make([]int32, len(keys))
	for i, k := range keys {
		order[i] = k.at
	}
	return order
}

// inGroups reports whether a person is in the organisation levels and
// team the filter names.
func (f peopleFilter) inGroups(p *compliance.Person) bool {
	for i, k := range groupKeys {
		if f.OrgLevels[i] != "" && groupName(k, p) != f.OrgLevels[i] {
			return false
		}
	}
	return f.Manager == "" || groupName(compliance.ByManager, p) == f.Manager
}

// groupsOnly is the filter keeping only its organisation, organisation
// levels, staff group and team: the people a drill-down table sums.
func (f peopleFilter) groupsOnly() peopleFilter {
	return peopleFilter{Org: f.Org, StaffGroup: f.StaffGroup, OrgLevels: f.OrgLevels, Manager: f.Manager, DueWithin: -1}
}

// peopleColumns are the columns of the people list, on the page and in its
// exports alike: the status listing's columns with the staff group.
var peopleColumns = []struct{ key, title string }{
	{"employee_number", "Employee number"},
	{"name", "Name"},
	{"organisation", "Organisation"},
	{"staff_group", "Staff group"},
	{"requirement", "Requirement"},
	{"status", "Status"},
	{"completed_on", "Completed"},
	{"due_date", "Due"},
}

// extraTitles head the columns the status listing adds when counting as
// the trust counts or with the annual update (report.Extras).
var extraTitles = map[string]string{
	"start_date":    "Started",
	"exempt_reason": "Exempt reason",
	"update_due":    "Update due",
}

// peopleKeys and peopleTitles are the people list's columns with the
// extras x shows: the fields, for downloads, and the headings.
func peopleKeys(x report.Extras) []string {
	keys := make([]string, 0, len(peopleColumns)+3)
	for _, c := range peopleColumns {
		keys = append(keys, c.key)
	}
	return append(keys, x.Columns()...)
}

func peopleTitles(x report.Extras) []string {
	titles := make([]string, 0, len(peopleColumns)+3)
	for _, c := range peopleColumns {
		titles = append(titles, c.title)
	}
	for _, k := range x.Columns() {
		titles = append(titles, extraTitles[k])
	}
	return titles
}

// peopleRecord is one person's cells, as shown and as exported, with the
// extras x shows.
func peopleRecord(p *compliance.Person, x report.Extras) []string {
	return append([]string{p.EmployeeNumber, p.Name, p.Organisation, p.StaffGroup, p.Requirement.String(),
		string(p.Status), isoDate(p.CompletedOn), isoDate(p.DueDate)}, x.Cells(p)...)
}

type peopleData struct {
	AsOf        time.Time
	AsOfValue   string
	NoData      string
	Filter      peopleFilter
	Orgs        []string
	StaffGroups []string
	Levels      []compliance.Level
	Statuses    []statusOption
	DueWithin   string
	Columns     []string
	Rows        []personRow
	Total       int
	// Pager is the page shown of the matching people (Pager.Count of
	// them); PerValue a page size other than the default, kept by the form.
	Pager      pager
	PerValue   string
	CSV, XLSX  string
	SortDue    string // the address sorted by due date
	SortNumber string // the address sorted by employee number
	Clear      string
	// Team is the figures of the manager's team (manager= given); Drill
	// the groups one organisation level down from the deepest level the
	// filter names, each linking a level further.
	Team      *groupTable
	Drill     *groupTable
	Threshold float64
	// Counting is true when counting as the trust counts: the list holds
	// new starters and exempt people, whom no figure counts.
	Counting bool
	// Hidden keeps the organisation-level and team filters, which the
	// form does not show, when the form is applied.
	Hidden []hiddenField
}

type hiddenField struct{ Name, Value string }

// groupTable is a small summary table on the people page.
type groupTable struct {
	Title string
	Rows  []orgRow
	Total orgRow
	// Note reconciles the table's people with the list's when counting
	// as the trust counts: new starters and exempt people are listed but
	// count in no figure.
	Note string
}

type statusOption struct {
	Status  compliance.Status
	Label   string
	Checked bool
}

type personRow struct {
	Href   string
	Status compliance.Status
	Cells  []string
}

// peopleFor loads the position and reads the request's filter. pos is
// nil when there is no staff snapshot for the date (d.NoData says so).
func (s *server) peopleFor(w http.ResponseWriter, r *http.Request) (d peopleData, pos *position, ok bool) {
	asOf, given, err := s.asOf(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return d, nil, false
	}
	f, err := parsePeopleFilter(r.URL.Query())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "The filter is not right: "+err.Error()+".")
		return d, nil, false
	}
	d = peopleData{AsOf: asOf, Filter: f, Levels: compliance.Levels}
	if given {
		d.AsOfValue = isoDate(asOf)
	}
	pos, err = s.load(r.Context(), asOf)
	if noSnapshot(err) {
		d.NoData = err.Error()
		return d, nil, true
	}
	if err != nil {
		s.internal(w, r, err)
		return d, nil, false
	}
	d.Total = len(pos.People)
	return d, pos, true
}

func (s *server) peopleList(w http.ResponseWriter, r *http.Request) {
	if s.servedKept(w, r, "people") {
		return
	}
	pg, err := parsePager(r.URL.Query())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "The page is not right: "+err.Error()+".")
		return
	}
	d, pos, ok := s.peopleFor(w, r)
	if !ok {
		return
	}
	if pos != nil {
		d.Orgs, d.StaffGroups = pos.distinct()
	}
	statuses := compliance.Statuses
	if pos != nil && pos.Extras().Counting {
		statuses = compliance.AllStatuses
	}
	for _, st := range statuses {
		d.Statuses = append(d.Statuses, statusOption{Status: st, Label: statusText(st), Checked: slices.Contains(d.Filter.Statuses, st)})
	}
	if d.Filter.DueWithin >= 0 {
		d.DueWithin = strconv.Itoa(d.Filter.DueWithin)
	}
	var extras report.Extras
	if pos != nil {
		extras = pos.Extras()
	}
	d.Counting = extras.Counting
	d.Columns = peopleTitles(extras)
	asOfQ := ""
	if d.AsOfValue != "" {
		asOfQ = "?" + url.Values{"as_of": {d.AsOfValue}}.Encode()
	}
	q := d.Filter.query(d.AsOfValue)
	// Only the page's rows are rendered.
	count, at := 0, func(int) *compliance.Person { return nil }
	if pos != nil {
		count, at = d.Filter.count(pos)
	}
	lo, hi := pg.paginate(count, q)
	for i := lo; i < hi; i++ {
		p := at(i)
		d.Rows = append(d.Rows, personRow{Href: "/people/" + s.personToken(p.EmployeeNumber) + asOfQ,
			Status: p.Status, Cells: peopleRecord(p, extras)})
	}
	d.Pager = pg
	if pg.Per != defaultPer {
		d.PerValue = strconv.Itoa(pg.Per)
	}
	d.CSV = "/people.csv?" + q.Encode()
	d.XLSX = "/people.xlsx?" + q.Encode()
	// A new order starts again at its first page.
	byDue, byNumber := d.Filter, d.Filter
	byDue.Sort, byNumber.Sort = "due", ""
	d.SortDue = pg.address(byDue.query(d.AsOfValue), 1)
	d.SortNumber = pg.address(byNumber.query(d.AsOfValue), 1)
	d.Clear = "/people" + asOfQ
	for i, k := range groupKeys {
		if v := d.Filter.OrgLevels[i]; v != "" {
			d.Hidden = append(d.Hidden, hiddenField{string(k), v})
		}
	}
	if d.Filter.Manager != "" {
		d.Hidden = append(d.Hidden, hiddenField{"manager", d.Filter.Manager})
	}
	if pos != nil {
		s.groupTables(&d, pos)
	}
	s.render(w, r, http.StatusOK, "people", "People", d)
}

// groupTables adds the manager's team figures and the drill-down from the
// deepest organisation level the filter names to the level below it.
func (s *server) groupTables(d *peopleData, pos *position) {
	d.Threshold = s.policy.Threshold
	if d.Filter.Manager == "" && d.Filter.OrgLevels == ([6]string{}) {
		return // neither table is shown
	}
	inGroups := d.Filter.groupsOnly().apply(pos.People, d.AsOf)
	if d.Filter.Manager != "" {
		_, total := compliance.AggregateBy(inGroups, compliance.ByManager)
		t := s.orgRow(total, d.Threshold, false, "")
		t.Name, t.Href = d.Filter.Manager, ""
		d.Team = &groupTable{Title: "Team of " + d.Filter.Manager, Total: t, Note: groupNote(pos, total)}
	}
	deepest := -1
	for i := range groupKeys {
		if d.Filter.OrgLevels[i] != "" {
			deepest = i
		}
	}
	if deepest < 0 || deepest == len(groupKeys)-1 {
		return
	}
	next := groupKeys[deepest+1]
	groups, total := compliance.AggregateBy(inGroups, next)
	if len(groups) == 1 && groups[0].Organisation == next.BlankGroup() {
		return // nothing recorded at the level below
	}
	table := &groupTable{Title: d.Filter.OrgLevels[deepest] + " by " + groupTitle(next)}
	for _, g := range groups {
		row := s.orgRow(g, d.Threshold, false, "")
		f := d.Filter.groupsOnly()
		f.OrgLevels[deepest+1] = g.Organisation
		row.Href = "/people?" + f.query(d.AsOfValue).Encode()
		table.Rows = append(table.Rows, row)
	}
	table.Total = s.orgRow(total, d.Threshold, false, "")
	table.Total.Name, table.Total.Href = "Total", ""
	table.Note = groupNote(pos, total)
	d.Drill = table
}

// groupNote says, when counting as the trust counts, how a group table's
// people (those counted in the figures) and the group's people listed
// below reconcile.
func groupNote(pos *position, total *compliance.Summary) string {
	if !pos.Extras().Counting {
		return ""
	}
	return fmt.Sprintf("People are those counted in the figures: of the %d here in the workforce, %s.",
		figures.InWorkforce(total), figures.SplitOf(total))
}

// orgName is an organisation as the summaries name it: a blank one is
// "(none)", so that the overview's rows and the filter agree.
func orgName(org string) string {
	if org == "" {
		return "(none)"
	}
	return org
}

// distinct lists the organisations and staff groups of the workforce.
func distinct(people []compliance.Person) (orgs, groups []string) {
	seenOrg, seenGroup := map[string]bool{}, map[string]bool{}
	for _, p := range people {
		if org := orgName(p.Organisation); !seenOrg[org] {
			seenOrg[org] = true
			orgs = append(orgs, org)
		}
		if !seenGroup[p.StaffGroup] {
			seenGroup[p.StaffGroup] = true
			groups = append(groups, p.StaffGroup)
		}
	}
	sort.Strings(orgs)
	sort.Strings(groups)
	return orgs, groups
}

// peopleExport writes the filtered list as CSV or XLSX: the same columns
// and rows as the page.
func (s *server) peopleExport(w http.ResponseWriter, r *http.Request) {
	d, pos, ok := s.peopleFor(w, r)
	if !ok {
		return
	}
	if d.NoData != "" {
		s.fail(w, r, http.StatusNotFound, d.NoData)
		return
	}
	extras := pos.Extras()
	header := peopleKeys(extras)
	// Every matching row, made as it is written: a national list is
	// millions of rows, too many to hold as text.
	n, at := d.Filter.count(pos)
	row := func(i int) []string { return peopleRecord(at(i), extras) }
	name := "prevent-people-" + isoDate(d.AsOf)
	if !s.auditExport(w, r, n) {
		return
	}
	if strings.HasSuffix(r.URL.Path, ".xlsx") {
		s.sendXLSXRows(w, r, name, "People "+isoDate(d.AsOf), header, n, row)
		return
	}
	s.sendCSVRows(w, name, header, n, row)
}

// sendCSV writes a table as a CSV download, each cell made safe from
// spreadsheet formulas.
func (s *server) sendCSV(w http.ResponseWriter, name string, header []string, rows [][]string) {
	s.sendCSVRows(w, name, header, len(rows), func(i int) []string { return rows[i] })
}

// sendCSVRows is sendCSV with the n rows made one at a time by row, as
// they are written.
func (s *server) sendCSVRows(w http.ResponseWriter, name string, header []string, n int, row func(i int) []string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", attachment(name+".csv"))
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	safe := make([]string, len(header))
	for i := range n {
		safe = safe[:0]
		for _, v := range row(i) {
			safe = append(safe, figures.SafeCell(v))
		}
		if err := cw.Write(safe); err != nil {
			return // the client has gone
		}
	}
	cw.Flush()
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// sendXLSX writes a table as an XLSX download (every cell text, never a
// formula).
func (s *server) sendXLSX(w http.ResponseWriter, r *http.Request, name, sheet string, header []string, rows [][]string) {
	s.sendXLSXRows(w, r, name, sheet, header, len(rows), func(i int) []string { return rows[i] })
}

// sendXLSXRows is sendXLSX with the n rows made one at a time by row.
func (s *server) sendXLSXRows(w http.ResponseWriter, r *http.Request, name, sheet string, header []string, n int, row func(i int) []string) {
	var buf bytes.Buffer
	if err := report.WriteXLSXRows(&buf, sheet, header, n, row); err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", attachment(name+".xlsx"))
	_, _ = buf.WriteTo(w)
}

// attachment is a Content-Disposition header for a download.
func attachment(name string) string {
	return fmt.Sprintf("attachment; filename=%q", strings.Map(func(r rune) rune {
		if r < ' ' || r == '"' || r == '\\' || r > '~' {
			return '_'
		}
		return r
	}, name))
}
