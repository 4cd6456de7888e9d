package main

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// trailingSpaceRate is the share of CSV cells written with a trailing space,
// as hand-edited ESR exports have.
const trailingSpaceRate = 0.003

// eachAssignment calls fn for every assignment row of snapshot m in file
// order: people in index order, primary first (bank first for a few).
func (g *gen) eachAssignment(m int, fn func(p *person, a *assignment) error) error {
	var p person
	for i := 0; i < g.total; i++ {
		if !g.present(i, m) {
			continue
		}
		g.person(i, m, &p)
		n := len(p.Asg)
		for k := range n {
			j := k
			if p.BankFirst {
				j = (k + 1) % n
			}
			if err := fn(&p, &p.Asg[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// countAssignments is the number of rows snapshot m has.
func (g *gen) countAssignments(m int) int {
	n := 0
	_ = g.eachAssignment(m, func(*person, *assignment) error { n++; return nil })
	return n
}

var staffCSVHeader = []string{
	"Employee Number", "Assignment Number", "First Name", "Last Name", "Organisation", "Org L3",
	"Staff Group", "Occupation Code", "Job Role", "Position Title", "Assignment Category",
	"Assignment Status", "Primary Assignment", "FTE", "Work Email", "Manager Email",
}

// writeStaffCSV writes snapshot m as an ESR CSV export: UTF-8 BOM, CRLF,
// First Name + Last Name, Y/N primary flags, quoted fields with commas, a
// few cells with trailing spaces and one blank line half way down.
func (g *gen) writeStaffCSV(path string, m int) (rows int, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<16)
	bw.WriteString("\ufeff")
	w := csv.NewWriter(bw)
	w.UseCRLF = true
	if err := w.Write(g.staffHeader(staffCSVHeader)); err != nil {
		return 0, err
	}
	rec := make([]string, len(staffCSVHeader))
	blankDone, last := false, -1
	err = g.eachAssignment(m, func(p *person, a *assignment) error {
		first := p.Index != last // the person's first row
		last = p.Index
		if !blankDone && first && p.Index >= g.base/2 {
			w.Flush()
			bw.WriteString("\r\n")
			blankDone = true
		}
		rec = append(rec[:0],
			strconv.Itoa(p.EmpNo), assignmentNumber(p.EmpNo, a.Suffix), p.Name.First, p.Name.Last,
			a.Org.Name, a.Org.L3, groupNames[a.Role.Group], a.Role.Code, a.Role.Name,
			positionTitle(a), a.Category, a.Status, primaryFlag(a, "Y", "N"),
			strconv.FormatFloat(a.FTE, 'f', 2, 64), p.Email, p.Manager)
		if g.cfg.counting {
			rec = append(rec, p.Hire.Format("02/01/2006"), g.teamName(p, a))
		}
		for c := range rec {
			if rec[c] != "" && unit(g.hash(tagCell, uint64(p.Index)<<8|uint64(a.Suffix)<<5|uint64(c), uint64(m))) < trailingSpaceRate {
				rec[c] += " "
			}
		}
		rows++
		return w.Write(rec)
	})
	if err != nil {
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

var staffXLSXHeader = []any{
	"Employee Number", "Assignment Number", "Full Name", "Org L3", "Organisation", "Staff Group",
	"Occupation Code", "Job Role", "Position Title", "Assignment Category", "Assignment Status",
	"Primary", "FTE", "Email", "Manager Email",
}

// staffHeader is a CSV header with the counting columns when asked for.
func (g *gen) staffHeader(h []string) []string {
	if g.cfg.counting {
		return append(h[:len(h):len(h)], "Date First Hired", "Org L4")
	}
	return h
}

// teamName is the assignment's Org L4: its organisation's team (ward) the
// person works in.
func (g *gen) teamName(p *person, a *assignment) string {
	return fmt.Sprintf("%s Team %d", strings.TrimPrefix(a.Org.Name, "RXX "), g.team(p.Index)%6+1)
}

// exemptReasons are the periods mandatory-training policies exempt.
var exemptReasons = []string{"Maternity leave", "Long-term sickness", "Career break", "Secondment", "Adoption leave"}

// writeExemptions writes an exemptions register (Employee Number, Reason,
// From, Until) for about 2% of the last snapshot's people: most still
// running on the last effective date (a third open-ended), some ended
// before it, dates as dd/mm/yyyy.
func (g *gen) writeExemptions(path string) (rows int, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	_ = w.Write([]string{"Employee Number", "Reason", "From", "Until"})
	last := len(g.snaps) - 1
	var p person
	for i := 0; i < g.total; i++ {
		h := g.hash(tagExempt, uint64(i), 0)
		if !g.present(i, last) || unit(h) >= 0.02 {
			continue
		}
		g.person(i, last, &p)
		from := g.asOf.AddDate(0, 0, -20-int(h>>20%300))
		until := ""
		switch h >> 40 % 3 {
		case 0: // open-ended
		case 1:
			until = g.asOf.AddDate(0, 0, 10+int(h>>8%200)).Format("02/01/2006")
		default: // ended before the last effective date
			until = from.AddDate(0, 0, 7+int(h>>8%10)).Format("02/01/2006")
		}
		rows++
		if err := w.Write([]string{strconv.Itoa(p.EmpNo), exemptReasons[h>>50%uint64(len(exemptReasons))], from.Format("02/01/2006"), until}); err != nil {
			return rows, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return rows, err
	}
	return rows, f.Close()
}

// writeStaffXLSX writes snapshot m as an ESR report workbook: a Notes cover
// sheet first, then the data sheet with title rows above the header,
// employee numbers as numeric cells and Full Name in one column.
func (g *gen) writeStaffXLSX(path string, m int) (rows int, err error) {
	eff := g.snaps[m]
	run := eff.AddDate(0, 0, 1)
	cover := []string{
		"Electronic Staff Record - Business Intelligence",
		"Report: Staff List - All Assignments",
		"Effective date: " + eff.Format("02-Jan-2006"),
		"",
		"This workbook lists every assignment held on the effective date, one row per assignment.",
		"People with bank posts appear once per assignment; the primary assignment is flagged.",
		"Contains personal data: handle under the Trust's information governance policy.",
	}
	x, err := newWorkbook("Staff List", cover)
	if err != nil {
		return 0, err
	}
	defer x.f.Close()
	widths := []float64{16, 18, 28, 44, 32, 44, 14, 32, 40, 20, 22, 9, 7, 36, 36}
	for c, wd := range widths {
		if err := x.sw.SetColWidth(c+1, c+1, wd); err != nil {
			return 0, err
		}
	}
	titles := []string{
		"Electronic Staff Record",
		"Report: Staff List - All Assignments",
		"Run date: " + run.Format("02-Jan-2006"),
	}
	for _, t := range titles {
		if err := x.row(excelize.Cell{StyleID: x.bold, Value: t}); err != nil {
			return 0, err
		}
	}
	x.next++ // a blank row between the titles and the header
	header := staffXLSXHeader
	if g.cfg.counting {
		header = append(header[:len(header):len(header)], "Date First Hired", "Org L4")
	}
	if err := x.header(header); err != nil {
		return 0, err
	}
	vals := make([]any, len(staffXLSXHeader))
	err = g.eachAssignment(m, func(p *person, a *assignment) error {
		vals = append(vals[:0],
			p.EmpNo, assignmentNumber(p.EmpNo, a.Suffix), p.Name.First+" "+p.Name.Last,
			a.Org.L3, a.Org.Name, groupNames[a.Role.Group], a.Role.Code, a.Role.Name,
			positionTitle(a), a.Category, a.Status, primaryFlag(a, "Yes", "No"),
			a.FTE, p.Email, p.Manager)
		if g.cfg.counting {
			vals = append(vals, x.dateCell(p.Hire), g.teamName(p, a))
		}
		for k, v := range vals {
			if v == "" {
				vals[k] = nil // a blank cell, not an empty string
			}
		}
		rows++
		return x.row(vals...)
	})
	if err != nil {
		return rows, err
	}
	return rows, x.save(path)
}

// xlsxMaxRows is the most rows one Excel sheet holds.
const xlsxMaxRows = 1048576

// workbook is an excelize file with one streamed data sheet.
type workbook struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	next int // next row number to write
	bold int // style IDs
	date int
}

// newWorkbook starts a workbook whose first sheet is a cover of text lines
// (when given) and whose data sheet is streamed.
func newWorkbook(sheet string, cover []string) (*workbook, error) {
	f := excelize.NewFile()
	x := &workbook{f: f, next: 1}
	fail := func(err error) (*workbook, error) {
		f.Close()
		return nil, err
	}
	if len(cover) > 0 {
		if err := f.SetSheetName("Sheet1", "Notes"); err != nil {
			return fail(err)
		}
		for k, line := range cover {
			if err := f.SetCellStr("Notes", "A"+strconv.Itoa(k+1), line); err != nil {
				return fail(err)
			}
		}
		idx, err := f.NewSheet(sheet)
		if err != nil {
			return fail(err)
		}
		f.SetActiveSheet(idx)
	} else if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fail(err)
	}
	var err error
	if x.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return fail(err)
	}
	dateFmt := "dd/mm/yyyy"
	if x.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return fail(err)
	}
	if x.sw, err = f.NewStreamWriter(sheet); err != nil {
		return fail(err)
	}
	return x, nil
}

// row writes the next row.
func (x *workbook) row(vals ...any) error {
	if x.next > xlsxMaxRows {
		return fmt.Errorf("more than %d rows do not fit in one XLSX sheet; use -staff-format csv", xlsxMaxRows)
	}
	cell, err := excelize.CoordinatesToCellName(1, x.next)
	if err != nil {
		return err
	}
	x.next++
	return x.sw.SetRow(cell, vals)
}

// header writes a bold header row.
func (x *workbook) header(names []any) error {
	cells := make([]any, len(names))
	for k, n := range names {
		cells[k] = excelize.Cell{StyleID: x.bold, Value: n}
	}
	return x.row(cells...)
}

// dateCell is a real Excel date shown as dd/mm/yyyy.
func (x *workbook) dateCell(t time.Time) excelize.Cell {
	return excelize.Cell{StyleID: x.date, Value: t}
}

func (x *workbook) save(path string) error {
	if err := x.sw.Flush(); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	// excelize zips into an in-memory buffer before writing it out; handing
	// it a zip writer on the file instead keeps memory flat (the buffer it
	// passes stays empty, so nothing goes to io.Discard).
	bw := bufio.NewWriterSize(out, 1<<16)
	zw := zip.NewWriter(bw)
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	if err := x.f.Write(io.Discard); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return out.Close()
}
