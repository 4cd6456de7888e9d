package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
)

// Formats lists the output formats by command.
var (
	StatusFormats  = []string{"table", "csv", "json", "xlsx"}
	SummaryFormats = []string{"table", "csv", "json"}
)

func isoDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	y, m, d := t.Date()
	if y < 1000 || y > 9999 {
		return t.Format(time.DateOnly)
	}
	b := [10]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10)}
	return string(b[:])
}

// writeInParts writes n records to w in order, formatted part by part on
// every core: format writes records lo to hi-1. A national status listing
// has millions of records; writing one part while the next are formatted
// keeps both cores busy, and only a few parts are held at once.
func writeInParts(w io.Writer, n int, format func(w io.Writer, lo, hi int) error) error {
	const part = 16_384
	workers := runtime.GOMAXPROCS(0)
	if n <= part || workers < 2 {
		return format(w, 0, n)
	}
	type result struct {
		buf bytes.Buffer
		err error
	}
	parts := (n + part - 1) / part
	results := make([]chan *result, parts)
	for i := range results {
		results[i] = make(chan *result, 1)
	}
	ahead := make(chan struct{}, 2*workers) // parts handed out and not yet written
	stop := make(chan struct{})
	defer close(stop)
	next := make(chan int)
	go func() { // hands the parts out in order
		defer close(next)
		for i := range parts {
			select {
			case ahead <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	for range workers {
		go func() {
			for i := range next {
				r := &result{}
				r.err = format(&r.buf, i*part, min((i+1)*part, n))
				results[i] <- r
			}
		}()
	}
	for i := range parts {
		r := <-results[i]
		<-ahead
		if r.err != nil {
			return r.err
		}
		if _, err := w.Write(r.buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// StatusColumns are the fields of the status listing, in order.
var StatusColumns = []string{"employee_number", "name", "organisation", "requirement", "status", "completed_on", "due_date"}

// statusColumns are the fields with the extras shown.
func (x Extras) statusColumns() []string {
	return append(StatusColumns[:len(StatusColumns):len(StatusColumns)], x.Columns()...)
}

// Columns are the extras' fields, in the order they follow the contract's
// columns: start_date and exempt_reason when counting, update_due with
// the annual update.
func (x Extras) Columns() []string {
	var cols []string
	if x.Counting {
		cols = append(cols, "start_date", "exempt_reason")
	}
	if x.Update {
		cols = append(cols, "update_due")
	}
	return cols
}

// Cells are a person's cells of the extras' fields, as Columns names them.
func (x Extras) Cells(p *compliance.Person) []string {
	var cells []string
	if x.Counting {
		cells = append(cells, isoDate(p.StartDate), p.ExemptReason)
	}
	if x.Update {
		cells = append(cells, x.updateDue(p))
	}
	return cells
}

func statusRecord(p *compliance.Person) []string {
	return []string{p.EmployeeNumber, p.Name, p.Organisation, p.Requirement.String(), string(p.Status), isoDate(p.CompletedOn), isoDate(p.DueDate)}
}

// record is statusRecord with the extras shown.
func (x Extras) record(p *compliance.Person) []string {
	return append(statusRecord(p), x.Cells(p)...)
}

// updateDue is the update_due cell: true or false.
func (x Extras) updateDue(p *compliance.Person) string {
	if p.UpdateDue {
		return "true"
	}
	return "false"
}

// WriteStatus writes each person's status in the format asked for, with
// the contract's first columns only.
func WriteStatus(w io.Writer, format string, asOf time.Time, people []compliance.Person) error {
	return WriteStatusWith(w, format, asOf, people, Extras{})
}

// WriteStatusWith is WriteStatus with the extras shown (see
// Position.Extras).
func WriteStatusWith(w io.Writer, format string, asOf time.Time, people []compliance.Person, x Extras) error {
	switch format {
	case "json":
		return writeStatusJSON(w, asOf, people, x)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(x.statusColumns())
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return writeInParts(w, len(people), func(w io.Writer, lo, hi int) error {
			cw := csv.NewWriter(w)
			for i := lo; i < hi; i++ {
				rec := x.record(&people[i])
				for j := range rec {
					rec[j] = figures.SafeCell(rec[j])
				}
				_ = cw.Write(rec)
			}
			cw.Flush()
			return cw.Error()
		})
	case "xlsx":
		return writeXLSX(w, "Status "+asOf.Format(time.DateOnly), x.statusColumns(), len(people),
			func(i int) []string { return x.record(&people[i]) })
	case "table", "":
		if err := writeStatusTable(w, people, x); err != nil {
			return err
		}
		split := ""
		if x.Counting {
			split = ": " + figures.PeopleSplit(people)
		}
		_, err := fmt.Fprintf(w, "%d %s as of %s%s\n", len(people), pluralWord(len(people), "person", "people"), asOf.Format(time.DateOnly), split)
		return err
	}
	return fmt.Errorf("unknown format %q", format)
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

type jsonPerson struct {
	EmployeeNumber string  `json:"employee_number"`
	Name           string  `json:"name"`
	Organisation   string  `json:"organisation"`
	Requirement    string  `json:"requirement"`
	Status         string  `json:"status"`
	CompletedOn    *string `json:"completed_on"`
	DueDate        *string `json:"due_date"`
}

// jsonPersonWith is a person with the extras shown: start_date (null when
// none) and exempt_reason (when exempt) once who counts is in use,
// update_due once the annual-update measure is.
type jsonPersonWith struct {
	jsonPerson
	StartDate    **string `json:"start_date,omitempty"`
	ExemptReason *string  `json:"exempt_reason,omitempty"`
	UpdateDue    *bool    `json:"update_due,omitempty"`
}

// jsonRecord is a person as status JSON writes them.
func (x Extras) jsonRecord(p *compliance.Person) any {
	base := jsonPerson{p.EmployeeNumber, p.Name, p.Organisation, p.Requirement.String(), string(p.Status),
		optDate(p.CompletedOn), optDate(p.DueDate)}
	if !x.Counting && !x.Update {
		return base
	}
	out := jsonPersonWith{jsonPerson: base}
	if x.Counting {
		start := optDate(p.StartDate)
		out.StartDate = &start
		if p.Status == compliance.Exempt {
			reason := p.ExemptReason
			out.ExemptReason = &reason
		}
	}
	if x.Update {
		due := p.UpdateDue
		out.UpdateDue = &due
	}
	return out
}

func optDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

// writeStatusJSON writes {"as_of": ..., "people": [...]} indented by two
// spaces, as json.Encoder with SetIndent("", "  ") would, part by part
// rather than the whole document in memory first.
func writeStatusJSON(w io.Writer, asOf time.Time, people []compliance.Person, x Extras) error {
	day, _ := json.Marshal(asOf.Format(time.DateOnly))
	if len(people) == 0 {
		_, err := fmt.Fprintf(w, "{\n  \"as_of\": %s,\n  \"people\": []\n}\n", day)
		return err
	}
	if _, err := fmt.Fprintf(w, "{\n  \"as_of\": %s,\n  \"people\": [\n", day); err != nil {
		return err
	}
	err := writeInParts(w, len(people), func(w io.Writer, lo, hi int) error {
		var buf bytes.Buffer
		for i := lo; i < hi; i++ {
			p := &people[i]
			b, err := json.MarshalIndent(x.jsonRecord(p), "    ", "  ")
			if err != nil {
				return err
			}
			buf.WriteString("    ")
			buf.Write(b)
			if i < len(people)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		_, err := w.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "  ]\n}\n")
	return err
}

// statusTableHeader heads the status table.
var statusTableHeader = []string{"EMPLOYEE NO", "NAME", "ORGANISATION", "REQUIREMENT", "STATUS", "COMPLETED", "DUE"}

func statusTableRow(p *compliance.Person) []string { return statusTableRowWith(p, Extras{}) }

func statusTableRowWith(p *compliance.Person, x Extras) []string {
	row := []string{figures.Printable(p.EmployeeNumber), figures.Clip(p.Name, 28), figures.Clip(p.Organisation, 36), p.Requirement.String(),
		string(p.Status), figures.Dash(isoDate(p.CompletedOn)), figures.Dash(isoDate(p.DueDate))}
	if x.Counting {
		row = append(row, figures.Dash(isoDate(p.StartDate)), figures.Dash(figures.Clip(p.ExemptReason, 30)))
	}
	if x.Update {
		row = append(row, figures.YesNo(p.UpdateDue))
	}
	return row
}

// tableHeader is the status table's header with the extras shown.
func (x Extras) tableHeader() []string {
	h := statusTableHeader
	if x.Counting {
		h = append(h[:len(h):len(h)], "STARTED", "EXEMPT REASON")
	}
	if x.Update {
		h = append(h[:len(h):len(h)], "UPDATE DUE")
	}
	return h
}

// writeStatusTable writes the status table aligned as text/tabwriter
// would (each column as wide as its widest cell, in characters, and two
// spaces; the last column as it is). The widths are found first, so that
// a listing of millions of people is written part by part instead of held
// in a tabwriter.
func writeStatusTable(w io.Writer, people []compliance.Person, x Extras) error {
	header := x.tableHeader()
	width := make([]int, len(header)-1)
	measure := func(cells []string) {
		for j := range width {
			width[j] = max(width[j], utf8.RuneCountInString(cells[j]))
		}
	}
	measure(header)
	for i := range people {
		measure(statusTableRowWith(&people[i], x))
	}
	line := func(b *bytes.Buffer, cells []string) {
		for j, c := range cells {
			b.WriteString(c)
			if j < len(width) {
				for range width[j] + 2 - utf8.RuneCountInString(c) {
					b.WriteByte(' ')
				}
			}
		}
		b.WriteByte('\n')
	}
	var head bytes.Buffer
	line(&head, header)
	if _, err := w.Write(head.Bytes()); err != nil {
		return err
	}
	return writeInParts(w, len(people), func(w io.Writer, lo, hi int) error {
		var b bytes.Buffer
		for i := lo; i < hi; i++ {
			line(&b, statusTableRowWith(&people[i], x))
		}
		_, err := w.Write(b.Bytes())
		return err
	})
}

// WriteXLSX writes one sheet with a bold, frozen header row and every cell
// as text (so nothing in it can run as a formula). Rows beyond what an
// Excel sheet holds continue on further sheets, each with the header,
// named "SHEET (2)", "SHEET (3)" and so on.
func WriteXLSX(w io.Writer, sheet string, header []string, rows [][]string) error {
	return writeXLSX(w, sheet, header, len(rows), func(i int) []string { return rows[i] })
}

// WriteXLSXRows is WriteXLSX with the n rows made one at a time by row, as
// they are written, for a table too large to hold as text.
func WriteXLSXRows(w io.Writer, sheet string, header []string, n int, row func(i int) []string) error {
	return writeXLSX(w, sheet, header, n, row)
}

// sheetRows is how many rows below the header a sheet takes: an Excel
// sheet holds 1,048,576 rows in all.
var sheetRows = 1_048_575

// writeXLSX is WriteXLSX with the rows made one at a time by row.
func writeXLSX(w io.Writer, sheet string, header []string, n int, row func(i int) []string) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	sheets := max(1, (n+sheetRows-1)/sheetRows)
	for k := range sheets {
		name := sheetName(sheet)
		if k == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else {
			suffix := fmt.Sprintf(" (%d)", k+1)
			name = string([]rune(name)[:min(len([]rune(name)), 31-len(suffix))]) + suffix
			if _, err := f.NewSheet(name); err != nil {
				return err
			}
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		for i := range header {
			_ = sw.SetColWidth(i+1, i+1, 18)
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		cells := make([]interface{}, len(header))
		for i, h := range header {
			cells[i] = excelize.Cell{Value: h, StyleID: bold}
		}
		if err := sw.SetRow("A1", cells); err != nil {
			return err
		}
		for r, end := 0, min(sheetRows, n-k*sheetRows); r < end; r++ {
			values := row(k*sheetRows + r)
			cells := make([]interface{}, len(values))
			for i, v := range values {
				cells[i] = figures.SafeCell(v) // text cells, never formulas; neutralised for when they are copied out
			}
			ref, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := sw.SetRow(ref, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.Write(w)
}

// sheetName makes a valid sheet name (at most 31 characters, none of []:*?/\).
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	return s
}
