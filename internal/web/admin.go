package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/submission"
)

// returnsShown is how many completed quarters the returns page lists.
const returnsShown = 8

type returnsData struct {
	Threshold     float64
	ThresholdText string
	Recipients    []string
	LevelTitles   []string
	Quarters      []quarterReturn
	Earlier       []deliveryGroup // deliveries of quarters not listed
}

type quarterReturn struct {
	Quarter  returns.Quarter
	Start    time.Time
	End      time.Time
	Return   *returns.Return
	Snapshot store.Snapshot
	Levels   []compliance.Tally
	Orgs     []orgRow
	Meets    bool
	XLSX     string
	CSV      string
	Sent     []store.Delivery
	// Changed is the delivery last recorded sent when its figures are
	// not these (data imported since changed the quarter); Resend is then
	// the command that sends the corrected return.
	Changed *store.Delivery
	Resend  string
}

type deliveryGroup struct {
	Key        string
	Deliveries []store.Delivery
}

func (s *server) provider() returns.Provider {
	return returns.Provider{Name: s.cfg.Organisation, ODSCode: s.cfg.ODSCode}
}

func (s *server) returnsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	th := s.policy.Threshold
	d := returnsData{Threshold: th, ThresholdText: figures.ThresholdPct(th), Recipients: s.cfg.Return.Recipients}
	for _, l := range compliance.Levels {
		d.LevelTitles = append(d.LevelTitles, l.Title())
	}
	sent, err := s.store.Deliveries(ctx, store.ReturnKind, "")
	if err != nil {
		s.internal(w, r, err)
		return
	}
	// The deliveries change without an import (a send, a retry): the page
	// kept is for this state of them.
	r = withContentState(r, deliveriesState(sent))
	if s.servedKept(w, r, "returns") {
		return
	}
	byKey := map[string][]store.Delivery{}
	var keys []string
	for _, dl := range sent {
		if _, ok := byKey[dl.Key]; !ok {
			keys = append(keys, dl.Key)
		}
		byKey[dl.Key] = append(byKey[dl.Key], dl)
	}
	listed := map[string]bool{}
	qs := lastQuarters(returns.LastCompleted(s.today()), returnsShown)
	figs, err := s.quarterList(ctx, qs)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for i, f := range figs {
		q := qs[i]
		if f.None != nil {
			break
		}
		ret := f.Return
		qr := quarterReturn{Quarter: q, Start: q.Start(), End: q.End(), Return: ret, Snapshot: f.Snapshot,
			Meets: ret.Total.MeetsThreshold(th), XLSX: "/returns/" + q.String() + ".xlsx",
			CSV: "/returns/" + q.String() + ".csv", Sent: byKey[q.String()]}
		if last, ok := submission.ChangedSinceSent(ret, qr.Sent, s.cfg.Return.Recipients); ok {
			qr.Changed, qr.Resend = &last, submission.ResendAdvice(q)
		}
		for _, l := range compliance.Levels {
			qr.Levels = append(qr.Levels, ret.Total.Level(l))
		}
		for _, o := range ret.Rows {
			qr.Orgs = append(qr.Orgs, s.orgRow(o, th, false, ""))
		}
		listed[q.String()] = true
		d.Quarters = append(d.Quarters, qr)
	}
	for _, k := range keys {
		if !listed[k] {
			d.Earlier = append(d.Earlier, deliveryGroup{Key: k, Deliveries: byKey[k]})
		}
	}
	s.render(w, r, http.StatusOK, "returns", "Quarterly returns", d)
}

// deliveriesState is a digest of the deliveries as read, every field.
func deliveriesState(ds []store.Delivery) string {
	h := sha256.New()
	for _, d := range ds {
		fmt.Fprintf(h, "%#v\n", d)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// returnDownload serves /returns/2026-27Q2.xlsx (or .csv): the return
// exactly as `prevent return` writes it.
func (s *server) returnDownload(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	stem, ext, _ := strings.Cut(file, ".")
	if ext != "xlsx" && ext != "csv" {
		s.fail(w, r, http.StatusNotFound, "Returns download as .xlsx or .csv.")
		return
	}
	q, err := returns.ParseQuarter(stem)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "There is no such quarter: "+err.Error()+".")
		return
	}
	f, err := s.returnFile(r.Context(), q, ext)
	if noSnapshot(err) {
		s.fail(w, r, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !s.auditExport(w, r, f.rows) {
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Content-Disposition", attachment(f.name))
	_, _ = w.Write(f.body)
}

// returnFile is a quarter's return as a file, built once per quarter,
// format and version of the data (a new import makes it anew).
func (s *server) returnFile(ctx context.Context, q returns.Quarter, ext string) (*file, error) {
	version, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	key := "return " + q.String() + "." + ext + " " + version
	if f := s.returns.get(key); f != nil {
		return f, nil
	}
	v, err := s.work.do(ctx, key, func(ctx context.Context) (any, error) {
		if f := s.returns.get(key); f != nil {
			return f, nil
		}
		s.computed.Add(1)
		ret, trend, err := report.BuildReturn(ctx, s.store, q, submission.ReturnOptions(s.cfg, s.now(), true))
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		f := &file{name: ret.FileName() + "." + ext, contentType: "text/csv; charset=utf-8", rows: len(ret.Rows) + 1}
		if ext == "csv" {
			err = ret.WriteCSV(&buf)
		} else {
			err = ret.WriteXLSX(&buf, trend)
			f.contentType = xlsxType
		}
		if err != nil {
			return nil, err
		}
		f.body = buf.Bytes()
		s.returns.put(key, f)
		return f, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*file), nil
}

// listCap caps each list on the imports page; the counts stay whole and
// `prevent quality` prints everything.
const listCap = 200

type importsData struct {
	Quality   *report.Quality
	Imports   []importRow
	Unmatched []store.UnmatchedCompletion
	Future    []store.FutureCompletion
	Other     []store.CourseCount // unmapped, not suspect
	Cap       int
}

type importRow struct {
	store.Import
	Errors   []store.ImportRowError // capped at listCap
	More     int                    // rejected rows not listed
	First    *store.Import          // for a re-read (Import.ReReadOf), the file's first import
	GoneNote string                 // for a staff extract no longer held, why (report.Gone)
}

func (s *server) importsPage(w http.ResponseWriter, r *http.Request) {
	q, err := s.loadQuality(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d := importsData{Quality: q, Cap: listCap, Unmatched: capped(q.Unmatched), Future: capped(q.Future)}
	byImport := map[int64][]store.ImportRowError{}
	for _, e := range q.RowErrors {
		byImport[e.ImportID] = append(byImport[e.ImportID], e)
	}
	for _, imp := range q.Imports {
		errs := byImport[imp.ID]
		row := importRow{Import: imp, Errors: capped(errs), More: max(0, len(errs)-listCap),
			GoneNote: report.Gone(imp.Gone)}
		if first, ok := q.FirstImport(imp); imp.IsReRead() && ok {
			row.First = &first
		}
		d.Imports = append(d.Imports, row)
	}
	suspect := map[string]bool{}
	for _, c := range q.Suspect {
		suspect[c.Course] = true
	}
	for _, c := range q.Unmapped {
		if !suspect[c.Course] {
			d.Other = append(d.Other, c)
		}
	}
	d.Other = capped(d.Other)
	s.render(w, r, http.StatusOK, "imports", "Imports and data quality", d)
}

// loadQuality is report.LoadQuality once per version of the data: it
// reads every completion and staff extract held, seconds at national
// scale.
func (s *server) loadQuality(ctx context.Context) (*report.Quality, error) {
	version, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	return cachedWork(ctx, s, &s.quality, "quality "+version, func(ctx context.Context) (*report.Quality, error) {
		s.computed.Add(1)
		return report.LoadQuality(ctx, s.store, s.policy)
	})
}

func capped[T any](list []T) []T {
	if len(list) > listCap {
		return list[:listCap]
	}
	return list
}

// The training needs analysis: the requirement rules as a table.

type tnaData struct {
	AsOf      time.Time
	AsOfValue string
	NoData    string
	Rules     []tnaRule
	Total     int
	// Split is how the workforce divides between the figures and beside
	// them when counting as the trust counts: the TNA sets everyone's
	// level, new starters and exempt people too.
	Split     string
	Groups    []tnaGroup
	Courses   []tnaCourse
	CSV, XLSX string

	LevelTitles    []string
	RefresherYears int
}

type tnaRule struct {
	Number     string // "1", or "" for the default
	Level      compliance.Level
	Conditions string
	Fields     map[string]string // rule field -> patterns joined with " or "
	People     int
}

type tnaGroup struct {
	StaffGroup string
	ByLevel    []int // Levels order
	Total      int
}

type tnaCourse struct {
	Level    compliance.Level
	Patterns string
	Link     string
}

// tnaCounts are the workforce's people per requirement rule (-1: the
// default) and per staff group and level.
type tnaCounts struct {
	rules  map[int]int
	groups []tnaGroup // by staff group
	total  int
	split  string // figures.WorkforceSplit of the workforce, when counting as the trust counts
}

func countTNA(people []compliance.Person) *tnaCounts {
	c := &tnaCounts{rules: map[int]int{}, total: len(people)}
	groups := map[string]*tnaGroup{}
	var names []string
	for i := range people {
		p := &people[i]
		c.rules[p.RequirementRule]++
		g := groups[p.StaffGroup]
		if g == nil {
			g = &tnaGroup{StaffGroup: p.StaffGroup, ByLevel: make([]int, len(compliance.Levels))}
			groups[p.StaffGroup] = g
			names = append(names, p.StaffGroup)
		}
		g.ByLevel[int(p.Requirement)-int(compliance.Basic)]++
		g.Total++
	}
	sort.Strings(names)
	for _, n := range names {
		c.groups = append(c.groups, *groups[n])
	}
	return c
}

// tnaCounts is countTNA of the workforce, worked out once.
func (p *position) tnaCounts() *tnaCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tna == nil {
		p.tna = countTNA(p.People)
		if p.Extras().Counting {
			p.tna.split = figures.PeopleSplit(p.People)
		}
	}
	return p.tna
}

// tnaFor is the TNA counts on the request's as-of date, none when there
// is no staff snapshot for it (noData says why).
func (s *server) tnaFor(ctx context.Context, asOf time.Time) (c *tnaCounts, noData string, err error) {
	pos, err := s.load(ctx, asOf)
	switch {
	case noSnapshot(err):
		return countTNA(nil), err.Error(), nil
	case err != nil:
		return nil, "", err
	}
	return pos.tnaCounts(), "", nil
}

// tnaRules is the rule table with each rule's people on the as-of date.
func (s *server) tnaRules(counts map[int]int) []tnaRule {
	var rules []tnaRule
	for i, rr := range s.cfg.Requirements {
		level, _ := compliance.ParseLevel(rr.Level)
		t := tnaRule{Number: strconv.Itoa(i + 1), Level: level, Conditions: ruleConditions(rr), Fields: map[string]string{}, People: counts[i]}
		for f, pats := range rr.Match {
			t.Fields[f] = strings.Join(pats, " or ")
		}
		rules = append(rules, t)
	}
	return append(rules, tnaRule{Level: compliance.Basic, Conditions: "anyone no rule above matches", People: counts[-1]})
}

func (s *server) tnaPage(w http.ResponseWriter, r *http.Request) {
	if s.servedKept(w, r, "tna") {
		return
	}
	asOf, given, err := s.asOf(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	d := tnaData{AsOf: asOf, RefresherYears: s.cfg.RefresherYears}
	for _, l := range compliance.Levels {
		d.LevelTitles = append(d.LevelTitles, l.Title())
	}
	q := ""
	if given {
		d.AsOfValue = isoDate(asOf)
		q = "?as_of=" + d.AsOfValue
	}
	d.CSV, d.XLSX = "/tna.csv"+q, "/tna.xlsx"+q
	counts, noData, err := s.tnaFor(r.Context(), asOf)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d.NoData = noData
	d.Rules = s.tnaRules(counts.rules)
	d.Total, d.Split = counts.total, counts.split
	d.Groups = counts.groups
	for _, c := range s.cfg.Courses {
		level, _ := compliance.ParseLevel(c.Level)
		d.Courses = append(d.Courses, tnaCourse{Level: level, Patterns: strings.Join(c.Match, " or "), Link: c.Link})
	}
	s.render(w, r, http.StatusOK, "tna", "Training needs analysis", d)
}

// tnaColumns are the TNA export's columns: the rule, its level, each rule
// field's patterns, and the people it sets the requirement of.
func tnaColumns() []string {
	cols := []string{"rule", "level", "level_name", "conditions"}
	for _, f := range compliance.RuleFields {
		cols = append(cols, string(f))
	}
	return append(cols, "people")
}

func (s *server) tnaExport(w http.ResponseWriter, r *http.Request) {
	asOf, _, err := s.asOf(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	counts, _, err := s.tnaFor(r.Context(), asOf)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var rows [][]string
	for _, t := range s.tnaRules(counts.rules) {
		number := t.Number
		if number == "" {
			number = "default"
		}
		row := []string{number, t.Level.String(), t.Level.Title(), t.Conditions}
		for _, f := range compliance.RuleFields {
			row = append(row, t.Fields[string(f)])
		}
		rows = append(rows, append(row, strconv.Itoa(t.People)))
	}
	name := fmt.Sprintf("%s Prevent TNA %s", orDefault(s.cfg.ODSCode, "prevent"), isoDate(asOf))
	if !s.auditExport(w, r, len(rows)) {
		return
	}
	if strings.HasSuffix(r.URL.Path, ".xlsx") {
		s.sendXLSX(w, r, name, "TNA "+isoDate(asOf), tnaColumns(), rows)
		return
	}
	s.sendCSV(w, name, tnaColumns(), rows)
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
