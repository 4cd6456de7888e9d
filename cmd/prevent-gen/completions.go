package main

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// LMS export mess: one messy row every messEvery rows, in turn a duplicate,
// a bad date, a completion for someone in no extract, a near-duplicate
// (same course spelled differently), and once a future date.
const (
	messEvery      = 600
	variantRate    = 0.04 // Prevent rows with a case/spacing variant of the name
	timeOfDayRate  = 0.3  // e-learning rows with a time of day
	lmsEmpNoRate   = 0.4  // LMS profiles that carry the employee number
	capitalsRate   = 0.03 // LMS emails typed with capitals
	esrTextDate    = 0.15 // ESR competence dates written as dd-Mon-yyyy text
	personalDomain = "gmail.com"
)

type messKind int

const (
	messDup messKind = iota
	messBadDate
	messUnknown
	messNearDup
	messFuture
)

// kindOf is the k-th mess row's kind: the third is the future date, the
// rest cycle through the others.
func kindOf(k int) messKind {
	if k == 2 {
		return messFuture
	}
	if k > 2 {
		k--
	}
	return []messKind{messDup, messBadDate, messUnknown, messNearDup}[k%4]
}

// lmsRow is one row of the LMS export.
type lmsRow struct {
	Email, EmpNo, Course, Date string
	When                       time.Time
	Filler                     bool // a non-Prevent course, free to replace
	Level                      level
}

var lmsHeader = []string{"Email Address", "Employee No", "Course Name", "Completion Date"}

// writeLMS writes the LMS completions export: ';'-separated, dd/mm/yyyy
// text dates, people keyed by email and often without an employee number,
// every mandatory course, and the mess described at messEvery.
func (g *gen) writeLMS(path string) (rows int, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<16)
	w := csv.NewWriter(bw)
	w.Comma = ';'
	if err := w.Write(lmsHeader); err != nil {
		return 0, err
	}
	var (
		p        person
		ev       []event
		buf      []lmsRow
		messNo   int
		nextMess = messEvery / 2
		target   = uint64(g.cfg.completions)
		fillers  = newPicker(courseWeights())
		out      = newReorder(g.cfg.order, g.hash(tagOrder, 0, 0), w.Write)
	)
	for i := 0; i < g.total; i++ {
		g.person(i, len(g.snaps)-1, &p)
		ev = g.plan(&p, ev[:0])
		email, empNo := g.lmsIdentity(&p)
		keys := rowKeys{name: p.Name.Last + " " + p.Name.First, emp: p.EmpNo}
		r := g.rng(tagLMS, i)
		buf = buf[:0]
		for _, e := range ev {
			if e.LMS {
				buf = append(buf, lmsRow{Email: email, EmpNo: empNo, Course: lmsCourse(r, e.Level),
					Date: lmsDate(r, e.Date, e.Level != faceToFace), When: e.Date, Level: e.Level})
			}
		}
		quota := int(uint64(i+1)*target/uint64(g.total)) - rows
		extra := g.extraPrevent(quota, len(buf))
		for n := quota - len(buf); n > 0; n-- {
			if extra > 0 {
				extra--
				lvl, d := g.olderPrevent(r, &p)
				buf = append(buf, lmsRow{Email: email, EmpNo: empNo, Course: lmsCourse(r, lvl),
					Date: lmsDate(r, d, lvl != faceToFace), When: d, Level: lvl})
				continue
			}
			c := &mandatory[fillers.pick(r.Float64())]
			d := between(r, g.historyStart(&p), g.asOf)
			buf = append(buf, lmsRow{Email: email, EmpNo: empNo, Course: c.LMS,
				Date: lmsDate(r, d, true), When: d, Filler: true})
		}
		slices.SortStableFunc(buf, func(a, b lmsRow) int { return a.When.Compare(b.When) })
		for rows+len(buf) >= nextMess {
			buf = g.lmsMess(r, buf, messNo)
			messNo++
			nextMess += messEvery
		}
		for k := range buf {
			keys.course, keys.on = buf[k].Course, buf[k].When
			if err := out.add(keys, []string{buf[k].Email, buf[k].EmpNo, buf[k].Course, buf[k].Date}); err != nil {
				return rows, err
			}
		}
		rows += len(buf)
	}
	if err := out.flush(); err != nil {
		return rows, err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return rows, err
	}
	if err := bw.Flush(); err != nil {
		return rows, err
	}
	return rows, f.Close()
}

// extraPrevent is how many of a person's filler rows become older Prevent
// completions, so that Prevent rows make up -prevent-share of the file:
// a benchmark's share of rows that count, rather than one trust's history.
func (g *gen) extraPrevent(quota, events int) int {
	if g.cfg.preventShare <= 0 {
		return 0
	}
	return max(0, int(g.cfg.preventShare*float64(quota)+0.5)-events)
}

// olderPrevent draws an extra Prevent completion: from before the person's
// current three-year window where their history goes back that far (a
// refresher long since renewed or lapsed, which moves nobody's status to
// compliant), else anywhere in their history.
func (g *gen) olderPrevent(r *rand.Rand, p *person) (level, time.Time) {
	lo, hi := g.historyStart(p), g.asOf.AddDate(-3, 0, -1)
	if hi.Before(lo) {
		hi = g.asOf
	}
	return basic + level(r.IntN(int(numLevels-basic))), between(r, lo, hi)
}

func courseWeights() []int {
	w := make([]int, len(mandatory))
	for k, c := range mandatory {
		w[k] = c.Weight
	}
	return w
}

// lmsIdentity is how the LMS knows person p: their work email (a few typed
// with capitals), or a personal email when ESR has none; and the employee
// number for the profiles that carry one.
func (g *gen) lmsIdentity(p *person) (email, empNo string) {
	i := uint64(p.Index)
	email = p.Email
	switch {
	case email == "":
		email = p.Name.Local + strconv.Itoa(60+int(g.hash(tagLMS, i, 3)%40)) + "@" + personalDomain
	case unit(g.hash(tagLMS, i, 1)) < capitalsRate:
		email = capitalise(email)
	}
	if p.Email == "" || unit(g.hash(tagLMS, i, 2)) < lmsEmpNoRate {
		empNo = strconv.Itoa(p.EmpNo)
	}
	return email, empNo
}

// capitalise writes "mary.obrien@x" as "Mary.Obrien@x".
func capitalise(email string) string {
	local, domain, _ := strings.Cut(email, "@")
	parts := strings.Split(local, ".")
	for k, s := range parts {
		if s != "" {
			parts[k] = strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return strings.Join(parts, ".") + "@" + domain
}

// lmsCourse is the LMS name of a Prevent course, now and then misspelt.
func lmsCourse(r *rand.Rand, l level) string {
	if r.Float64() < variantRate {
		v := preventVariants[l]
		return v[r.IntN(len(v))]
	}
	return preventCourses[l].LMS
}

// lmsDate writes a completion date as the LMS does: dd/mm/yyyy, with the
// time of day for some e-learning.
func lmsDate(r *rand.Rand, d time.Time, elearning bool) string {
	if elearning && r.Float64() < timeOfDayRate {
		return d.Add(time.Duration(7*60+r.IntN(14*60)) * time.Minute).Format("02/01/2006 15:04")
	}
	return d.Format("02/01/2006")
}

// lmsMess makes one messy row in a person's rows, in place of a filler row
// where there is one.
func (g *gen) lmsMess(r *rand.Rand, buf []lmsRow, k int) []lmsRow {
	kind := kindOf(k)
	if len(buf) == 0 && (kind == messDup || kind == messNearDup || kind == messBadDate) {
		kind = messUnknown
	}
	switch kind {
	case messDup, messNearDup:
		if len(buf) > 1 {
			buf = dropFiller(buf)
		}
		j := r.IntN(len(buf))
		if kind == messNearDup {
			for q := range buf {
				if !buf[q].Filler {
					j = q
					break
				}
			}
		}
		cp := buf[j]
		if kind == messNearDup {
			if cp.Filler {
				cp.Course = strings.ToUpper(cp.Course)
			} else {
				v := preventVariants[cp.Level]
				cp.Course = v[r.IntN(len(v))]
			}
		}
		cp.Filler = false
		buf[j].Filler = false
		return slices.Insert(buf, j+1, cp)
	case messBadDate:
		j := lastFiller(buf)
		if j < 0 {
			j = len(buf) - 1
		}
		buf[j].Date = badDates[(k/4)%len(badDates)]
		buf[j].Filler = false
		return buf
	case messFuture:
		row := lmsRow{Course: preventCourses[basic].LMS, When: g.asOf.AddDate(0, 3, 0)}
		if len(buf) > 0 {
			row.Email, row.EmpNo = buf[0].Email, buf[0].EmpNo
		}
		row.Date = row.When.Format("02/01/2006")
		return append(dropFiller(buf), row)
	}
	// messUnknown: someone in no staff extract (an agency worker, staff
	// from another trust) on the national NHSmail domain.
	other := g.names.at(g.total + k%outsiders) // a name no staff member has
	d := g.asOf.AddDate(0, 0, -r.IntN(900))
	c := preventCourses[basic].LMS
	if r.IntN(2) == 0 {
		c = mandatory[r.IntN(len(mandatory))].LMS
	}
	row := lmsRow{Email: other.Local + "@nhs.net", Course: c, When: d, Date: d.Format("02/01/2006")}
	return append(dropFiller(buf), row)
}

func lastFiller(buf []lmsRow) int {
	for j := len(buf) - 1; j >= 0; j-- {
		if buf[j].Filler {
			return j
		}
	}
	return -1
}

// dropFiller removes one filler row, keeping the row count on target.
func dropFiller(buf []lmsRow) []lmsRow {
	if j := lastFiller(buf); j >= 0 {
		return slices.Delete(buf, j, j+1)
	}
	return buf
}

// esrRow is one row of the ESR competence report.
type esrRow struct {
	Name   string
	When   time.Time
	Years  int
	AsText bool
}

var esrHeader = []any{"Employee Number", "Full Name", "Competence Name", "Date Achieved", "Expiry Date"}

// writeESR writes the ESR competence report: an XLSX with a title row,
// numeric employee numbers and real Excel dates (some dd-Mon-yyyy text), or
// a CSV when it is too big for one sheet.
func (g *gen) writeESR(path string, asCSV bool) (rows int, err error) {
	var out tableSink
	if asCSV {
		out, err = newCSVSink(path)
	} else {
		out, err = newXLSXSink("Competences", "ESR BI - Competence Compliance Report (run "+
			g.asOf.AddDate(0, 0, 1).Format("02-Jan-2006")+")", []float64{16, 28, 72, 14, 14})
	}
	if err != nil {
		return 0, err
	}
	defer out.close()
	if err := out.header(esrHeader); err != nil {
		return 0, err
	}
	var (
		p       person
		ev      []event
		buf     []esrRow
		vals    = make([]any, len(esrHeader))
		target  = uint64(g.cfg.esrCompletions)
		fillers = newPicker(courseWeights())
		sorted  = newReorder(g.cfg.order, g.hash(tagOrder, 0, 1), out.row)
	)
	for i := 0; i < g.total; i++ {
		g.person(i, len(g.snaps)-1, &p)
		ev = g.plan(&p, ev[:0])
		r := g.rng(tagESR, i)
		keys := rowKeys{name: p.Name.Last + " " + p.Name.First, emp: p.EmpNo}
		buf = buf[:0]
		for _, e := range ev {
			if e.ESR {
				buf = append(buf, esrRow{Name: preventCourses[e.Level].ESR, When: e.Date, Years: 3})
			}
		}
		quota := int(uint64(i+1)*target/uint64(g.total)) - rows
		extra := g.extraPrevent(quota, len(buf))
		for n := quota - len(buf); n > 0; n-- {
			if extra > 0 {
				// ESR records no face-to-face sessions.
				if lvl, d := g.olderPrevent(r, &p); lvl != faceToFace {
					extra--
					buf = append(buf, esrRow{Name: preventCourses[lvl].ESR, When: d, Years: 3})
					continue
				}
			}
			c := &mandatory[fillers.pick(r.Float64())]
			buf = append(buf, esrRow{Name: c.ESR, When: between(r, g.historyStart(&p), g.asOf), Years: c.Years})
		}
		slices.SortStableFunc(buf, func(a, b esrRow) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), a.When.Compare(b.When))
		})
		for k := range buf {
			e := &buf[k]
			var achieved, expiry any = e.When, e.When.AddDate(e.Years, 0, 0)
			if r.Float64() < esrTextDate {
				achieved = e.When.Format("02-Jan-2006")
				expiry = e.When.AddDate(e.Years, 0, 0).Format("02-Jan-2006")
			}
			vals = append(vals[:0], p.EmpNo, p.Name.First+" "+p.Name.Last, e.Name, achieved, expiry)
			keys.course, keys.on = e.Name, e.When
			row := vals
			if sorted.order != orderPerson {
				row = slices.Clone(vals) // held until flush
			}
			if err := sorted.add(keys, row); err != nil {
				return rows, err
			}
			rows++
		}
	}
	if err := sorted.flush(); err != nil {
		return rows, err
	}
	return rows, out.save(path)
}

// tableSink is a sheet of rows: an XLSX data sheet or a CSV file.
type tableSink interface {
	header(names []any) error
	row(vals []any) error // time.Time values are dates
	save(path string) error
	close()
}

type xlsxSink struct{ *workbook }

func newXLSXSink(sheet, title string, widths []float64) (*xlsxSink, error) {
	x, err := newWorkbook(sheet, nil)
	if err != nil {
		return nil, err
	}
	for c, wd := range widths {
		if err := x.sw.SetColWidth(c+1, c+1, wd); err != nil {
			x.f.Close()
			return nil, err
		}
	}
	if err := x.row(excelize.Cell{StyleID: x.bold, Value: title}); err != nil {
		x.f.Close()
		return nil, err
	}
	return &xlsxSink{x}, nil
}

func (s *xlsxSink) row(vals []any) error {
	for k, v := range vals {
		if t, ok := v.(time.Time); ok {
			vals[k] = s.dateCell(t)
		}
	}
	return s.workbook.row(vals...)
}

func (s *xlsxSink) close() { s.f.Close() }

type csvSink struct {
	f   *os.File
	bw  *bufio.Writer
	w   *csv.Writer
	rec []string
}

func newCSVSink(path string) (*csvSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	return &csvSink{f: f, bw: bw, w: csv.NewWriter(bw)}, nil
}

func (s *csvSink) header(names []any) error { return s.row(names) }

func (s *csvSink) row(vals []any) error {
	s.rec = s.rec[:0]
	for _, v := range vals {
		switch v := v.(type) {
		case time.Time:
			s.rec = append(s.rec, v.Format("02/01/2006"))
		case string:
			s.rec = append(s.rec, v)
		case int:
			s.rec = append(s.rec, strconv.Itoa(v))
		}
	}
	return s.w.Write(s.rec)
}

func (s *csvSink) save(string) error {
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return err
	}
	if err := s.bw.Flush(); err != nil {
		return err
	}
	return s.f.Close()
}

func (s *csvSink) close() { s.f.Close() }
