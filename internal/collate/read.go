// Package collate owns commissioner mode: reading the quarterly returns
// that providers send (the CSV and XLSX `prevent return` writes, and the
// template `prevent template` writes for providers without prevent),
// checking that each adds up, storing the accepted ones per provider and
// quarter, the assurance table built from them, the submission window's
// deadline, and the chasers sent when a return is missing.
//
// Reading and checking (Read, Check), the window (WindowCloses), the
// assurance table (Assess) and the template are pure; Files, Load and Chase
// work against the store.
package collate

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// File formats a return arrives in.
const (
	FormatCSV      = "csv"      // the CSV `prevent return --format csv` writes
	FormatXLSX     = "xlsx"     // the workbook `prevent return` writes (it has a Cover sheet)
	FormatTemplate = "template" // any other workbook with the return's columns: the template, filled in
)

// maxFileSize bounds what is read: a return is a few kilobytes.
const maxFileSize = 20 << 20

// zipLimits bound what a return workbook may unpack to, checked from its
// zip directory before it is opened. Anyone can email the returns mailbox,
// and a workbook of a few hundred KB can unpack to gigabytes. A return
// written by `prevent return` for 300 organisations unpacks to well under
// 1 MB; the template to less.
var zipLimits = importers.Limits{
	MaxUnzippedBytes: 8 << 20,
	MaxZipRatio:      100,
	ZipRatioFloor:    1 << 20,
	Noun:             "quarterly return",
}

// headerScanRows is how many rows are searched for the header row.
const headerScanRows = 20

// NotReturnError says why a file is not a provider's return at all.
type NotReturnError struct {
	File   string
	Reason string
}

func (e *NotReturnError) Error() string { return e.File + " " + e.Reason }

// Table is a file's return table as read: the header's row number and the
// data rows below it, cells trimmed, in the return's column order.
type Table struct {
	File   string // base name
	Format string // FormatCSV, FormatXLSX or FormatTemplate
	SHA256 string // of the file's bytes
	Sheet  string // the worksheet read, for workbooks
	Header int    // row number of the header row
	Rows   []TableRow
}

// TableRow is one data row: its row number in the file and its cells, one
// per column of returns.Columns ("" where the file has none).
type TableRow struct {
	Line  int
	Cells []string
}

// ReadFile reads a provider's return file, deciding from its content
// whether it is CSV or XLSX and finding the return's header row.
func ReadFile(path string) (*Table, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, unwrapPath(err))
	}
	if len(data) > maxFileSize {
		return nil, &NotReturnError{name, fmt.Sprintf("is larger than %d MB: too large to be a quarterly return", maxFileSize>>20)}
	}
	return Read(name, data)
}

// Read reads a return from a file's content; name is used in messages.
func Read(name string, data []byte) (*Table, error) {
	sum := sha256.Sum256(data)
	t := &Table{File: name, SHA256: hex.EncodeToString(sum[:])}
	var err error
	switch {
	case len(bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))) == 0:
		return nil, &NotReturnError{name, "is empty"}
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		err = t.readXLSX(data)
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return nil, &NotReturnError{name, "is an old-style .xls workbook (or encrypted): save it as .xlsx or .csv"}
	case bytes.IndexByte(data, 0) >= 0:
		return nil, &NotReturnError{name, "is neither a CSV file nor an XLSX workbook"}
	default:
		err = t.readCSV(data)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Table) readCSV(data []byte) error {
	t.Format = FormatCSV
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delimiter(data)
	r.FieldsPerRecord = -1
	var rows []TableRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &NotReturnError{t.File, fmt.Sprintf("is not readable CSV: line %d: %v", pe.Line, pe.Err)}
			}
			return &NotReturnError{t.File, "is not readable CSV: " + err.Error()}
		}
		line, _ := r.FieldPos(0)
		rows = append(rows, TableRow{Line: line, Cells: append([]string(nil), rec...)})
	}
	return t.take(rows)
}

// delimiter picks the CSV delimiter from the first line: a comma, or the
// semicolon or tab a spreadsheet saved in another locale uses.
func delimiter(data []byte) rune {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	best, n := ',', bytes.Count(first, []byte(","))
	for _, d := range []rune{';', '\t'} {
		if c := bytes.Count(first, []byte(string(d))); c > n {
			best, n = d, c
		}
	}
	return best
}

func (t *Table) readXLSX(data []byte) error {
	if err := importers.CheckZip(t.File, bytes.NewReader(data), int64(len(data)), zipLimits); err != nil {
		var fe *importers.FileError
		if errors.As(err, &fe) {
			return &NotReturnError{t.File, fe.Reason}
		}
		return err
	}
	// excelize holds the total to the same bound, should the directory lie.
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: zipLimits.MaxUnzippedBytes, UnzipXMLSizeLimit: zipLimits.MaxUnzippedBytes})
	if err != nil {
		return &NotReturnError{t.File, "cannot be read as an XLSX workbook: " + err.Error()}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	t.Format = FormatTemplate
	for _, s := range sheets {
		if s == returns.SheetCover {
			t.Format = FormatXLSX
		}
	}
	// The Return sheet first, then the others in workbook order.
	order := []string{}
	for _, s := range sheets {
		if strings.EqualFold(s, returns.SheetReturn) {
			order = append([]string{s}, order...)
		} else {
			order = append(order, s)
		}
	}
	for _, s := range order {
		cells, err := f.GetRows(s, excelize.Options{RawCellValue: true})
		if err != nil {
			return &NotReturnError{t.File, fmt.Sprintf("cannot read sheet %q: %v", s, err)}
		}
		rows := make([]TableRow, len(cells))
		for i, c := range cells {
			rows[i] = TableRow{Line: i + 1, Cells: c}
		}
		if err := t.take(rows); err == nil {
			t.Sheet = s
			return nil
		}
	}
	return &NotReturnError{t.File, "has no sheet with the return's header row (" + headerHint() + ")"}
}

// take finds the header row among the first rows and keeps the rows below
// it, cells trimmed, skipping rows with nothing in them.
func (t *Table) take(rows []TableRow) error {
	seen := 0
	for i, r := range rows {
		if blank(r.Cells) {
			continue
		}
		if isHeader(r.Cells) {
			t.Header = r.Line
			for _, d := range rows[i+1:] {
				if blank(d.Cells) {
					continue
				}
				cells := make([]string, len(returns.Columns))
				for c := range cells {
					if c < len(d.Cells) {
						cells[c] = strings.TrimSpace(d.Cells[c])
					}
				}
				t.Rows = append(t.Rows, TableRow{Line: d.Line, Cells: cells})
			}
			return nil
		}
		if seen++; seen >= headerScanRows {
			break
		}
	}
	return &NotReturnError{t.File, "is not a Prevent quarterly return: no header row " + headerHint() + " in its first rows"}
}

func headerHint() string {
	return strings.Join(returns.Columns[:4], ",") + ",...," + returns.Columns[len(returns.Columns)-1]
}

// isHeader reports whether a row is the return's header: its columns in
// order, in any case, with nothing but blanks after them.
func isHeader(cells []string) bool {
	if len(cells) < len(returns.Columns) {
		return false
	}
	for i, c := range cells {
		c = strings.ToLower(strings.TrimSpace(c))
		if i < len(returns.Columns) {
			if c != returns.Columns[i] {
				return false
			}
		} else if c != "" {
			return false
		}
	}
	return true
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
