// Package importers reads NHS ESR staff extracts and LMS course-completion
// extracts into typed records.
//
// An extract is a CSV file or an XLSX workbook, told apart by its content
// rather than its name. A CSV may carry a UTF-8 byte-order mark (or be
// Excel's UTF-16 "Unicode text"), use commas, semicolons or tabs, quote
// fields holding new lines and end lines Windows-style; cells that are not
// valid UTF-8 are read as Windows-1252, the code page Excel saves CSV in. A
// workbook is read from the first sheet that has a header row; numeric
// cells are read raw, so a date cell is its Excel serial number and an
// employee number its digits. In both, the header row is searched for
// within the first 20 non-blank rows (title and blank rows above it are
// skipped) and its columns are recognised case-, space- and
// punctuation-insensitively by their usual ESR and LMS headers, or by the
// extra aliases of the config `columns:` block, which win.
//
// Rows stream to a callback one at a time, so an extract of millions of rows
// is read in constant memory. A row with a bad value is skipped and reported
// as a RowError in the Summary; a file that cannot be read at all, or lacks
// a required column, is rejected whole with a *FileError.
package importers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// Kind is the kind of an extract.
type Kind string

const (
	Staff       Kind = "staff"       // an ESR staff (assignment) extract
	Completions Kind = "completions" // a course-completion extract
	Exemptions  Kind = "exemptions"  // periods in which people count in no figure
)

// Options configure a read.
type Options struct {
	// Aliases are extra header names per field from the config `columns:`
	// block, e.g. {"employee_number": {"Person Number"}}; they win over the
	// built-in headers. Keys are the names FieldNames lists (a few synonyms
	// such as "completion_date" are accepted too; see CanonicalField);
	// unknown keys are ignored.
	Aliases map[string][]string
	// StartDatesUnused says the config counts no new starters
	// (new_starter_days 0): a staff row's unreadable start date is then
	// left blank, as a blank one is, rather than a row error that would
	// drop the assignment from every figure for a column nothing reads.
	StartDatesUnused bool
	// Progress, when set, is called every few thousand rows and at the end
	// with rows read so far and bytes read / total bytes. For xlsx, done is
	// estimated from the sheet's row count (its dimension, which Excel
	// always writes), or 0 until the end when the workbook does not say.
	Progress func(rows int, done, total int64)
	// KeepCourse, when set, picks the completions worth keeping by course
	// name (trimmed, as written): ReadCompletions checks every row as usual
	// but emits only those whose course it keeps, and counts the others by
	// course in Summary.Skipped. It is called with every row's course, so
	// it should be cheap (a map lookup).
	KeepCourse func(course string) bool
	// KeepAnyway, when set, is asked of each good row whose course
	// KeepCourse refused, with its employee number (or, when that is
	// blank, its email) and completion day: true emits the row all the
	// same. Ingest keeps that way the completions the quality report lists
	// whatever their course: those naming nobody it knows, and those dated
	// after the import. The strings are its only for the call.
	KeepAnyway func(employee, email string, day time.Time) bool
	// Limits bound the cost of reading a file; zero fields take
	// DefaultLimits.
	Limits Limits
	// RegularOnly refuses a file that is not a regular file (a symbolic
	// link, a device, a pipe), as OpenRegular does: set for a drop folder.
	RegularOnly bool

	// Course, when set, is the course of every row of a completions
	// extract that has no course column (a one-course report). A file
	// that has a course column is refused rather than silently relabelled.
	Course string

	// NotCompletedCourse, when set, is given the course of each row
	// counted as not completed: init proposes course rules from every
	// course an LMS lists, taken or not.
	NotCompletedCourse func(course string)

	// Inspect's view of a read: each non-blank completion date cell, and
	// each row counted as not completed with why.
	dateCell        func(raw string)
	notCompletedRow func(row int, why string)
}

// rowCourse is a completion row's course: its course cell (a "Course full
// name with link" saved as HTML loses its tags), or the course given for
// a one-course report.
func rowCourse(cells []string, h *header, opt Options) string {
	if opt.Course != "" {
		return opt.Course
	}
	course := cell(cells, h.col[fCourse])
	if len(course) > 0 && course[0] == '<' {
		course = stripTags(course)
	}
	return course
}

// RowError is a row skipped for a bad value.
type RowError struct {
	File   string // base name of the file
	Row    int    // row number as the user sees it: spreadsheet row, or CSV line
	Column string // the header text of the offending column
	Value  string // the cell value, "" when blank
	Reason string // what is wrong, a predicate: `is not a date (want ...)`
}

// Error is one sentence naming the file, row and column, e.g.
// `staff.csv row 14, column "Completion Date": "31/02/2026" is not a date
// (want dd/mm/yyyy, yyyy-mm-dd, dd-Mon-yyyy, d Mon yyyy, a Moodle date or an Excel date)`.
func (e RowError) Error() string {
	switch {
	case e.Column == "":
		return fmt.Sprintf("%s row %d: %s", e.File, e.Row, e.Reason)
	case e.Value == "":
		return fmt.Sprintf("%s row %d, column %q %s", e.File, e.Row, e.Column, e.Reason)
	}
	return fmt.Sprintf("%s row %d, column %q: %s %s", e.File, e.Row, e.Column, quote(e.Value), e.Reason)
}

// FileError is a structural problem: the whole file is rejected (it cannot
// be read, is not CSV or XLSX, has no recognisable header row within its
// first 20 rows, or lacks a required column). The read functions return it
// as a *FileError.
type FileError struct {
	File   string // base name of the file
	Reason string // e.g. `no column for the employee number (looked for ...)`
	Err    error  // the underlying error, if any
}

// Error is one sentence: `staff.xlsx: no column for the employee number
// (looked for Employee Number, Emp No, ...)` or `staff.xls is an old-style
// .xls workbook ...`.
func (e *FileError) Error() string {
	for _, verb := range []string{"is ", "does ", "cannot ", "has ", "looks "} {
		if strings.HasPrefix(e.Reason, verb) {
			return e.File + " " + e.Reason
		}
	}
	return e.File + ": " + e.Reason
}

func (e *FileError) Unwrap() error { return e.Err }

// Summary reports a read.
type Summary struct {
	Sheet     string            // xlsx sheet used ("" for csv)
	HeaderRow int               // row number of the header row
	Columns   map[string]string // field -> header text used
	Titles    []string          // non-blank cells above the header row (a report's title lines), at most 40
	RowsRead  int               // data rows read (blank rows not counted)
	RowsOK    int               // rows emitted
	Errors    []RowError        // rows skipped, in file order
	// Skipped counts, by course name, the good completion rows not emitted
	// because Options.KeepCourse refused their course. RowsRead is RowsOK
	// plus these plus NotCompleted plus len(Errors).
	Skipped map[string]int
	// NotCompleted counts the completion rows that are not completions
	// yet: a blank date, a progress of In progress, Not yet started or Not
	// started, or a Yes/No completion flag of No. They are not errors.
	NotCompleted int
}

// CompletionRow is a completion with its row in the extract.
type CompletionRow struct {
	compliance.Completion
	Row int
}

// ReadStaff streams the rows of a staff extract, calling emit for each good
// row in file order (Assignment.Row is the row number). Bad rows go to
// Summary.Errors and are not emitted. If emit returns an error, reading
// stops and that error is returned as is. A file that cannot be read, has no
// header row, lacks a required column or is a completions extract is a
// *FileError.
//
// The employee number falls back to the assignment number up to its "-"
// suffix; a name given as first name and last name is joined with one
// space; emails are lower-cased; the primary flag is true for Yes, Y, True
// or 1 in any case.
func ReadStaff(path string, opt Options, emit func(compliance.Assignment) error) (Summary, error) {
	return readPath(path, opt, func(in *input) (Summary, error) { return in.readStaff(opt, emit) })
}

func (in *input) readStaff(opt Options, emit func(compliance.Assignment) error) (Summary, error) {
	t, err := openKind(in, opt, Staff, (*header).isStaff)
	if err != nil {
		return Summary{}, err
	}
	defer t.close()
	sum := t.summary()
	h := t.hdr
	if h.looksLikeCompletions() {
		return sum, fileError(t.in.name, fmt.Sprintf("looks like a completions extract (it has %q and %q columns), not a staff extract",
			h.text[fCourse], h.text[fCompleted]), nil)
	}
	name := t.in.name
	err = t.each(opt, &sum, func(cells []string, row int) error {
		emp := normID(cell(cells, h.col[fEmployee]))
		asg := normID(cell(cells, h.col[fAssignment]))
		if emp == "" {
			emp = employeeFromAssignment(asg)
		}
		if emp == "" {
			sum.Errors = append(sum.Errors, blankPersonError(name, row, h, false))
			return nil
		}
		a := compliance.Assignment{
			EmployeeNumber:     text(emp),
			AssignmentNumber:   text(asg),
			Name:               text(personName(cells, h)),
			Organisation:       text(cell(cells, h.col[fOrganisation])),
			StaffGroup:         text(cell(cells, h.col[fStaffGroup])),
			OccupationCode:     text(normID(cell(cells, h.col[fOccupation]))),
			JobRole:            text(cell(cells, h.col[fJobRole])),
			PositionTitle:      text(cell(cells, h.col[fPosition])),
			AssignmentCategory: text(cell(cells, h.col[fCategory])),
			AssignmentStatus:   text(cell(cells, h.col[fStatus])),
			Primary:            truthy(cell(cells, h.col[fPrimary])),
			Email:              lowerASCII(text(cell(cells, h.col[fEmail]))),
			ManagerEmail:       lowerASCII(text(cell(cells, h.col[fManagerEmail]))),
			Row:                row,
		}
		for i, f := range orgLevelFields {
			a.OrgLevels[i] = text(cell(cells, h.col[f]))
		}
		if raw := cell(cells, h.col[fStartDate]); raw != "" {
			day, reason := parseDate(raw, t.in.date1904)
			switch {
			case reason == "":
				a.StartDate = day
			case !opt.StartDatesUnused:
				sum.Errors = append(sum.Errors, RowError{File: name, Row: row, Column: h.text[fStartDate], Value: text(raw), Reason: reason})
				return nil
			}
		}
		if err := emit(a); err != nil {
			return err
		}
		sum.RowsOK++
		return nil
	})
	return sum, err
}

// openKind opens the table of an extract of kind k: the first whose header
// row accept takes. A file without one is a *FileError saying what its
// best header lacked.
func openKind(in *input, opt Options, k Kind, accept func(*header) bool) (*table, error) {
	m := newMatcher(opt.Aliases)
	t, best, err := openTable(in, m, accept)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, noHeaderError(in.name, m, best, k)
	}
	return t, nil
}

// ReadCompletions streams the rows of a completions extract, calling emit
// for each good row in file order. A row names its person by employee
// number (or assignment number up to its "-" suffix); when that is blank it
// carries the email instead, lower-cased. Course names are kept trimmed as
// written. Rows with nobody named, no course or a missing or unreadable
// completion date go to Summary.Errors. Errors are as for ReadStaff.
func ReadCompletions(path string, opt Options, emit func(CompletionRow) error) (Summary, error) {
	return readPath(path, opt, func(in *input) (Summary, error) { return in.readCompletions(opt, emit) })
}

func (in *input) readCompletions(opt Options, emit func(CompletionRow) error) (Summary, error) {
	t, err := openCompletions(in, opt)
	if err != nil {
		return Summary{}, err
	}
	defer t.close()
	sum := t.summary()
	h := t.hdr
	name := t.in.name
	date1904 := t.in.date1904
	err = t.each(opt, &sum, func(cells []string, row int) error {
		if opt.dateCell != nil {
			if raw := cell(cells, h.col[fCompleted]); raw != "" {
				opt.dateCell(raw)
			}
		}
		if notCompleted(cells, h) {
			sum.NotCompleted++
			if opt.notCompletedRow != nil {
				opt.notCompletedRow(row, whyNotCompleted(cells, h))
			}
			if opt.NotCompletedCourse != nil {
				if course := rowCourse(cells, h, opt); course != "" {
					opt.NotCompletedCourse(strings.Clone(course))
				}
			}
			return nil
		}
		emp := normID(cell(cells, h.col[fEmployee]))
		if emp == "" {
			emp = employeeFromAssignment(normID(cell(cells, h.col[fAssignment])))
		}
		var email string
		if emp == "" {
			if email = lowerASCII(text(cell(cells, h.col[fEmail]))); email == "" {
				sum.Errors = append(sum.Errors, blankPersonError(name, row, h, true))
				return nil
			}
		}
		course := rowCourse(cells, h, opt)
		if course == "" {
			sum.Errors = append(sum.Errors, RowError{File: name, Row: row, Column: h.text[fCourse],
				Reason: "is blank (a completion needs a course name)"})
			return nil
		}
		raw := cell(cells, h.col[fCompleted])
		day, reason := parseDate(raw, date1904)
		if reason != "" {
			sum.Errors = append(sum.Errors, RowError{File: name, Row: row, Column: h.text[fCompleted],
				Value: text(raw), Reason: reason})
			return nil
		}
		if opt.KeepCourse != nil && !opt.KeepCourse(course) && (opt.KeepAnyway == nil || !opt.KeepAnyway(emp, email, day)) {
			// Counted before anything is allocated: most rows of an LMS
			// export are other courses.
			if n, ok := sum.Skipped[course]; ok {
				sum.Skipped[course] = n + 1
			} else {
				if sum.Skipped == nil {
					sum.Skipped = map[string]int{}
				}
				sum.Skipped[text(strings.Clone(course))]++
			}
			return nil
		}
		c := CompletionRow{Row: row, Completion: compliance.Completion{
			EmployeeNumber: text(emp), Email: email, Course: text(course), CompletedOn: day}}
		if err := emit(c); err != nil {
			return err
		}
		sum.RowsOK++
		return nil
	})
	return sum, err
}

// openCompletions opens a completions extract: its header row found
// (without a course column when opt.Course gives the course) and its
// "Completed" column resolved as a date or a Yes/No flag.
func openCompletions(in *input, opt Options) (*table, error) {
	accept := (*header).isCompletions
	if opt.Course != "" {
		accept = (*header).isOneCourse
	}
	t, err := openKind(in, opt, Completions, accept)
	if err != nil {
		return nil, err
	}
	if opt.Course != "" && t.hdr.has(fCourse) {
		t.close()
		return nil, fileError(t.in.name, fmt.Sprintf("has a course column (%q, %s): --course is for a one-course report with none",
			t.hdr.text[fCourse], where(t.hdr)), nil)
	}
	if err := resolveFlag(in, opt, t, accept); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// Classify opens a file and decides from its header row whether it is a
// staff or a completions extract: completions have a course column and a
// completion-date column (and an employee number or email); staff have an
// employee number and a staff group, job role or position title, and no
// course column. The first row (within the first 20) that is either
// decides. A file that is neither may be a referral log (Reference and
// Date) or a partnership meetings log (Date, Forum and Attended). A file
// that is none of these is a *FileError.
//
// It reads only what that takes: the first rows of each sheet up to the
// header row, and of a workbook's shared strings only those the rows read
// name.
func Classify(path string, opt Options) (Kind, error) {
	in, err := openPath(path, opt.Limits, opt.RegularOnly)
	if err != nil {
		return "", err
	}
	defer in.close()
	return classify(in, opt)
}

func classify(in *input, opt Options) (Kind, error) {
	m := newMatcher(opt.Aliases)
	t, _, err := openTable(in, m, func(h *header) bool {
		return h.isCompletions() || (h.isStaff() && !h.has(fCourse)) || h.isExemptions()
	})
	if err != nil {
		return "", err
	}
	if t == nil {
		if k, ok := classifyLog(in); ok {
			return k, nil
		}
		return "", fileError(in.name, fmt.Sprintf("is neither a staff nor a completions extract: "+
			"none of its first %d rows is a header row with an employee number and a staff group, job role or position title (staff), "+
			"or with an employee number or email, a course and a completion date (completions), "+
			"or with an employee number, From and Reason or Until (exemptions); "+
			"nor is it a referral log (Reference and Date) or a partnership meetings log (Date, Forum and Attended)", headerScanRows), nil)
	}
	defer t.close()
	switch {
	case t.hdr.isCompletions():
		return Completions, nil
	case t.hdr.isExemptions():
		return Exemptions, nil
	}
	return Staff, nil
}

// FileHash returns the hex SHA-256 of the file content: the size it had
// when opened, so a file that keeps growing cannot hold the hash for ever.
// With regularOnly (a drop folder) the file is opened by OpenRegular. An
// import hashes through its Extract instead, from the handle it reads.
func FileHash(path string, regularOnly bool) (string, error) {
	in, err := openPath(path, Limits{}, regularOnly)
	if err != nil {
		return "", err
	}
	defer in.close()
	return in.sha256()
}

// cell is a row's trimmed cell at a column index (-1: no such column).
func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[i])
}

// personName is the Full Name cell, else First Name + Last Name joined
// with one space.
func personName(cells []string, h *header) string {
	if n := cell(cells, h.col[fName]); n != "" || (!h.has(fFirstName) && !h.has(fLastName)) {
		return n
	}
	first, last := cell(cells, h.col[fFirstName]), cell(cells, h.col[fLastName])
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

// blankPersonError reports a row that names nobody.
func blankPersonError(file string, row int, h *header, completions bool) RowError {
	var cols []string
	for _, f := range []field{fEmployee, fAssignment, fEmail} {
		if h.has(f) && (f != fEmail || completions) {
			cols = append(cols, h.text[f])
		}
	}
	need := "(every row needs an employee number)"
	if completions {
		need = "(a completion needs an employee number or email to name its person)"
	}
	if len(cols) == 0 {
		return RowError{File: file, Row: row, Reason: "names nobody " + need}
	}
	e := RowError{File: file, Row: row, Column: cols[0], Reason: "is blank " + need}
	if len(cols) > 1 {
		var also []string
		for _, c := range cols[1:] {
			also = append(also, fmt.Sprintf("%q", c))
		}
		e.Reason = "is blank, and so is " + strings.Join(also, " and ") + " " + need
	}
	return e
}

// noHeaderError explains why no header row of a kind was found.
func noHeaderError(name string, m *matcher, best *header, k Kind) *FileError {
	if best == nil || best.found == 0 {
		return fileError(name, fmt.Sprintf("has no recognisable header row in its first %d rows (%s)",
			headerScanRows, m.needs(k)), nil)
	}
	where := fmt.Sprintf("row %d", best.row)
	if best.sheet != "" {
		where += fmt.Sprintf(" of sheet %q", best.sheet)
	}
	msg := m.missing(best, k) + " in its header row (" + where + ")"
	if k == Completions && !best.has(fCourse) && best.has(fCompleted) {
		// A report of one course has a person and a date but no course.
		msg += `; a report of one course is imported with the course named: prevent import completions --course "COURSE NAME" FILE`
	}
	return fileError(name, msg, nil)
}

// summary starts a Summary from the header row.
func (t *table) summary() Summary {
	return Summary{Sheet: t.hdr.sheet, HeaderRow: t.hdr.row, Columns: t.hdr.columns(), Titles: t.hdr.titles}
}

// each calls row for every data row after the header row, skipping blank
// rows and repeats of the header row, and reports progress.
func (t *table) each(opt Options, sum *Summary, row func(cells []string, n int) error) error {
	key := t.hdr.keyColumn()
	// A note below the rows ("Total rows: 5") stands in the first column;
	// it is told from data only where that column holds an identifier,
	// which never has a space.
	idFirst := t.hdr.col[fEmployee] == 0 || t.hdr.col[fAssignment] == 0 || t.hdr.col[fEmail] == 0
	last := t.hdr.row
	for {
		cells, n, err := t.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fileError(t.in.name, fmt.Sprintf("cannot be read after row %d: %v", last, err), err)
		}
		last = n
		if blankRow(cells) || t.hdr.repeated(cells, key) || (idFirst && noteRow(cells, len(t.hdr.raw))) {
			continue
		}
		sum.RowsRead++
		if err := row(cells, n); err != nil {
			return err
		}
		if opt.Progress != nil && sum.RowsRead%progressEvery == 0 {
			done, total := t.src.progress()
			opt.Progress(sum.RowsRead, done, total)
		}
	}
	if err := t.in.unchanged(); err != nil {
		return err
	}
	if opt.Progress != nil {
		_, total := t.src.progress()
		opt.Progress(sum.RowsRead, total, total)
	}
	return nil
}

// keyColumn is the column that tells a repeat of the header row (as some
// reports print on every page) from data.
func (h *header) keyColumn() field {
	for _, f := range []field{fEmployee, fAssignment, fEmail, fCourse} {
		if h.has(f) {
			return f
		}
	}
	return fEmployee
}

// repeated reports whether a row repeats the header row.
func (h *header) repeated(cells []string, key field) bool {
	c := strings.TrimSpace(cell(cells, h.col[key]))
	if c == "" || !isLetter(c[0]) || len(c) < len(h.norm[key]) {
		return false
	}
	// Normalised into a buffer on the stack: this runs for every row, and
	// in an LMS export keyed by email every row gets this far.
	var buf [64]byte
	return string(appendNormHeader(buf[:0], c)) == h.norm[key] &&
		string(appendNormHeader(buf[:0], cell(cells, h.col[fCourse]))) == h.norm[fCourse]
}

// HashOf returns the hex SHA-256 of a string, in the form FileHash gives.
func HashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
