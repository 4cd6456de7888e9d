package importers

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// Inspection is how a file would be read, without importing it: what an
// analyst looks at first on a new system's export.
type Inspection struct {
	File      string
	Kind      Kind   // "" when the file is neither kind
	Sheet     string // xlsx sheet ("" for csv)
	HeaderRow int    // 0 when no header row was found
	Course    string // the course given for a one-course report
	Fields    []FieldMatch
	Unused    []string // header cells no field recognised, as `"Header" (column C)`
	// Missing says what required column the file lacks ("" when none);
	// Suggest is the config lines that would name it, given the file's
	// unrecognised headers.
	Missing string
	Suggest []string
	Read    *Summary // the read as an import would do it (nil when the file cannot be read)
	// Dates counts the completion date cells by the form they are written
	// in; DateColumn is their header.
	DateColumn string
	Dates      map[string]int
	First      []string // the first rows as read, one line each
	Err        error    // why the file would be refused, if it would
	// Courses counts the completions read per course name.
	Courses map[string]int
	// CourseLevel, when set, names the level the config's course rules
	// give a course ("" for none); Write then lists the courses with them.
	CourseLevel func(course string) string
}

// FieldMatch is a field found in the header row.
type FieldMatch struct {
	Key    string // the config `columns:` key
	Column string // spreadsheet column letter
	Header string // the header text in the file
	Alias  bool   // matched by a config alias, not a built-in header
	Note   string // e.g. "a Yes/No completion flag"
}

// firstRows is how many rows Inspect shows as read.
const firstRows = 8

// Inspect reads a file as an import would, keeping what it saw. Only an
// unreadable file is an error; a file an import would refuse comes back
// with Err set and as much as could be read.
func Inspect(path string, opt Options) (*Inspection, error) {
	in := &Inspection{File: filepath.Base(path), Course: opt.Course}
	m := newMatcher(opt.Aliases)
	accept := func(h *header) bool { return h.isCompletions() || (h.isStaff() && !h.has(fCourse)) }
	if opt.Course != "" {
		accept = (*header).isOneCourse
	}
	file, err := openPath(path, opt.Limits, opt.RegularOnly)
	if err != nil {
		return nil, err
	}
	defer file.close()
	t, best, err := openTable(file, m, accept)
	if err != nil {
		return nil, err
	}
	if t == nil {
		in.noHeader(m, best, opt)
		return in, nil
	}
	h := t.hdr
	t.close()
	in.Kind = Staff
	if h.isCompletions() || opt.Course != "" {
		in.Kind = Completions
		if err := resolveFlag(file, opt, t, accept); err != nil {
			in.Err = err
		}
	}
	in.describe(m, h)
	if in.Err == nil {
		in.read(file, opt)
	}
	return in, nil
}

// noHeader fills in what the best candidate header row had and lacked.
func (in *Inspection) noHeader(m *matcher, best *header, opt Options) {
	if best == nil || best.found == 0 {
		in.Missing = fmt.Sprintf("no header row in the first %d rows that names an employee number, email, course or date", headerScanRows)
		in.Err = noHeaderError(in.File, m, best, Completions)
		return
	}
	k := Staff
	if best.has(fCourse) || best.has(fCompleted) || (best.has(fEmail) && !best.hasPerson()) {
		k = Completions
	}
	in.Kind = k
	in.describe(m, best)
	in.Missing = m.missing(best, k)
	if opt.Course != "" {
		in.Missing = strings.Replace(in.Missing, "the course name (looked for "+m.lookedFor(fCourse)+"), nor for ", "", 1)
	}
	in.Err = noHeaderError(in.File, m, best, k)
	in.Suggest = suggest(best, k)
}

// describe records the header row's fields and unused cells.
func (in *Inspection) describe(m *matcher, h *header) {
	in.Sheet, in.HeaderRow = h.sheet, h.row
	used := map[int]bool{}
	for f := range numFields {
		if !h.has(f) || (f == fProgress && in.Kind == Staff) { // a staff extract has no progress
			continue
		}
		used[h.col[f]] = true
		fm := FieldMatch{Key: fieldInfo[f].key, Column: columnName(h.col[f]), Header: h.text[f], Alias: m.byAlias(f, h.norm[f])}
		switch {
		case f == fCompleted && h.flag >= 0:
			fm.Note = fmt.Sprintf("the date; %q (column %s) is a Yes/No completion flag, No = not completed", strings.TrimSpace(h.cells[h.flag]), columnName(h.flag))
			used[h.flag] = true
		case f == fProgress:
			fm.Note = "In progress, Not yet started, Not started = not completed"
		case f == fAssignment && !h.has(fEmployee):
			fm.Note = "the employee number is read from it, up to its \"-\""
		}
		in.Fields = append(in.Fields, fm)
	}
	for j, c := range h.cells {
		if c = strings.TrimSpace(c); c != "" && !used[j] {
			in.Unused = append(in.Unused, fmt.Sprintf("%q (column %s)", c, columnName(j)))
		}
	}
}

// suggest proposes config lines for the missing required fields: each
// names the file's unrecognised headers as candidates to choose from,
// those with a word suggesting the field (requirement.hints) alone when
// there are any.
func suggest(h *header, k Kind) []string {
	var free []string
	for j, c := range h.cells {
		c = strings.TrimSpace(c)
		taken := false
		for f := range numFields {
			taken = taken || h.col[f] == j
		}
		if c != "" && !taken {
			free = append(free, c)
		}
	}
	var out []string
	for _, r := range requirementsOf(k) {
		have := false
		for _, f := range r.fields {
			have = have || h.has(f)
		}
		if !have {
			out = append(out, fmt.Sprintf("%s: [%s]   # %s: keep the one that holds it", fieldInfo[r.fields[0]].key, candidates(free, r.hints), r.what))
		}
	}
	return out
}

// candidates lists the headers to choose from, quoted: those with one of
// the hints in them, else all of them.
func candidates(free []string, hints []string) string {
	var likely []string
	for _, c := range free {
		lc := strings.ToLower(c)
		for _, w := range hints {
			if strings.Contains(lc, w) {
				likely = append(likely, c)
				break
			}
		}
	}
	if len(likely) == 0 {
		likely = free
	}
	if len(likely) == 0 {
		return "\"<the header in your file>\""
	}
	quoted := make([]string, len(likely))
	for i, c := range likely {
		quoted[i] = fmt.Sprintf("%q", c)
	}
	return strings.Join(quoted, " or ")
}

// read runs the import's read, keeping the date forms and first rows.
func (in *Inspection) read(file *input, opt Options) {
	type line struct {
		row  int
		text string
	}
	var lines []line
	keep := func(row int, text string) {
		if len(lines) < firstRows {
			lines = append(lines, line{row, text})
		}
	}
	var sum Summary
	var err error
	if in.Kind == Staff {
		sum, err = file.readStaff(opt, func(a compliance.Assignment) error {
			keep(a.Row, fmt.Sprintf("%s  %s | %s | %s | %s", a.EmployeeNumber, orDash(a.Name), orDash(a.Organisation),
				orDash(a.StaffGroup), orDash(firstOf(a.JobRole, a.PositionTitle))))
			return nil
		})
	} else {
		in.Dates, in.Courses = map[string]int{}, map[string]int{}
		opt.dateCell = func(raw string) { in.Dates[DateForm(raw)]++ }
		opt.notCompletedRow = func(row int, why string) { keep(row, "not completed: "+why) }
		sum, err = file.readCompletions(opt, func(c CompletionRow) error {
			who := c.EmployeeNumber
			if who == "" {
				who = c.Email
			}
			keep(c.Row, fmt.Sprintf("%s  %q  %s", who, c.Course, c.CompletedOn.Format(time.DateOnly)))
			in.Courses[c.Course]++
			return nil
		})
		in.DateColumn = sum.Columns["completed"]
	}
	if err != nil {
		in.Err = err
		var fe *FileError
		if !errors.As(err, &fe) {
			return
		}
	}
	for i, e := range sum.Errors {
		if i == firstRows {
			break
		}
		keep(e.Row, "row error: "+strings.TrimPrefix(e.Error(), in.File+" "))
	}
	sort.SliceStable(lines, func(a, b int) bool { return lines[a].row < lines[b].row })
	if len(lines) > firstRows {
		lines = lines[:firstRows]
	}
	for _, l := range lines {
		in.First = append(in.First, fmt.Sprintf("row %d: %s", l.row, l.text))
	}
	in.Read = &sum
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func columnName(j int) string {
	n, err := excelize.ColumnNumberToName(j + 1)
	if err != nil {
		return fmt.Sprint(j + 1)
	}
	return n
}

// DateForm names the form a date cell is written in, for inspect:
// "dd/mm/yyyy", "d Mon yyyy", "Excel date", ...; "not a date" when it
// is none the importer reads.
func DateForm(raw string) string {
	s := strings.TrimSpace(raw)
	if _, reason := parseDate(s, false); reason != "" && !strings.HasPrefix(reason, "says ") {
		return "not a date"
	}
	if isSerial(s) {
		return "Excel date"
	}
	prefix, suffix := "", ""
	if s != "" && isLetter(s[0]) {
		// A weekday first: "Thursday, 14 March 2024" (Moodle) or
		// "Thu 14 Mar 2024".
		word := strings.IndexAny(s, ", ")
		if word < 0 {
			return "not a date"
		}
		if s[word] == ',' {
			prefix, suffix = "Weekday, ", " (Moodle)"
		} else {
			prefix = "Weekday "
		}
		s = strings.TrimLeft(s[word+1:], " ")
	}
	_, i := digits(s, 0)
	if i == 0 || i >= len(s) {
		return "not a date"
	}
	var form, rest string
	if s[i] == ' ' { // d Mon yyyy: three words
		f := strings.SplitN(s, " ", 4)
		form = "d Month yyyy"
		// Mon is three letters, or Sept; June and July are whole names.
		if m := strings.TrimSuffix(f[1], ","); len(m) == 3 || strings.EqualFold(m, "Sept") {
			form = "d Mon yyyy"
		}
		if len(f) == 4 {
			rest = " " + f[3]
		}
		if strings.HasSuffix(f[2], ",") {
			rest = "," + rest
		}
	} else {
		end := strings.IndexAny(s, " ,T")
		if end < 0 {
			end = len(s)
		}
		date := s[:end]
		rest = s[end:]
		switch {
		case i == 4:
			form = "yyyy-mm-dd"
		case strings.Contains(date, "/") && len(date)-strings.LastIndex(date, "/") == 3:
			form = "d/m/yy"
		case strings.Contains(date, "/"):
			form = "dd/mm/yyyy"
		default:
			form = "dd-Mon-yyyy"
		}
	}
	switch rest = strings.TrimLeft(rest, " "); {
	case rest == "":
	case rest[0] == ',':
		form += ", time"
	default:
		form += " time"
	}
	return prefix + form + suffix
}

// Write prints the inspection for an analyst.
func (in *Inspection) Write(w io.Writer) {
	kind := map[Kind]string{Staff: "a staff extract", Completions: "a completions file", "": "neither a staff extract nor a completions file"}[in.Kind]
	if noun, ok := logNouns[in.Kind]; ok {
		kind = noun
	}
	if in.Err != nil && in.HeaderRow == 0 {
		kind = "not importable"
	}
	fmt.Fprintf(w, "%s: %s\n", in.File, kind)
	if in.HeaderRow > 0 {
		where := fmt.Sprintf("row %d", in.HeaderRow)
		if in.Sheet != "" {
			where += fmt.Sprintf(" of sheet %q", in.Sheet)
		}
		fmt.Fprintf(w, "Header row: %s\n", where)
	}
	if in.Course != "" {
		fmt.Fprintf(w, "Course (from --course): %q\n", in.Course)
	}
	if len(in.Fields) > 0 {
		fmt.Fprintf(w, "\nColumns read:\n")
		for _, f := range in.Fields {
			by := "built-in header"
			if f.Alias {
				by = "your columns: alias"
			}
			note := ""
			if f.Note != "" {
				note = " (" + f.Note + ")"
			}
			if f.Column == "" { // a log: read by its own headers
				fmt.Fprintf(w, "  %-19s %q\n", f.Key, f.Header)
				continue
			}
			fmt.Fprintf(w, "  %-19s column %-3s %-30q %s%s\n", f.Key, f.Column, f.Header, by, note)
		}
	}
	if len(in.Unused) > 0 {
		fmt.Fprintf(w, "Columns not used: %s\n", strings.Join(in.Unused, ", "))
	}
	if in.Missing != "" {
		fmt.Fprintf(w, "\nMissing: %s.\n", in.Missing)
		if len(in.Suggest) > 0 {
			fmt.Fprintf(w, "If the file has it under another name, add to prevent.yaml:\n  columns:\n")
			for _, s := range in.Suggest {
				fmt.Fprintf(w, "    %s\n", s)
			}
		}
	}
	in.writeRead(w)
	if in.Err != nil {
		fmt.Fprintf(w, "\nAn import would refuse this file: %s\n", in.Err)
		return
	}
	course := ""
	if in.Course != "" && in.Kind == Completions {
		course = fmt.Sprintf(" --course %q", in.Course)
	}
	fmt.Fprintf(w, "\nNothing was imported. To import it: prevent import %s%s %q\n", in.Kind, course, in.File)
}

// writeRead prints the date forms, the row counts and the first rows.
func (in *Inspection) writeRead(w io.Writer) {
	if in.Read == nil {
		return
	}
	if in.Dates != nil {
		fmt.Fprintf(w, "\nDates in %q:\n", in.DateColumn)
		forms := make([]string, 0, len(in.Dates))
		for f := range in.Dates {
			forms = append(forms, f)
		}
		sort.Slice(forms, func(a, b int) bool {
			return in.Dates[forms[a]] > in.Dates[forms[b]] || (in.Dates[forms[a]] == in.Dates[forms[b]] && forms[a] < forms[b])
		})
		for _, f := range forms {
			fmt.Fprintf(w, "  %-38s %d\n", f, in.Dates[f])
		}
		if len(forms) == 0 {
			fmt.Fprintf(w, "  (none: every date cell is blank)\n")
		}
	}
	s := in.Read
	noun := map[Kind]string{Staff: "assignments", Exemptions: "exemptions", Referrals: "concerns", Meetings: "meetings"}[in.Kind]
	notDone := ""
	if noun == "" {
		noun, notDone = "completions", fmt.Sprintf(", %d not completed", s.NotCompleted)
	}
	noun = plural(s.RowsOK, strings.TrimSuffix(noun, "s"), noun)
	fmt.Fprintf(w, "\nRows: %d read, %d %s%s, %d row %s\n", s.RowsRead, s.RowsOK, noun, notDone, len(s.Errors), plural(len(s.Errors), "error", "errors"))
	if in.Kind == Referrals {
		fmt.Fprintf(w, "(A referral log's rows are not shown: its case references stay in the file.)\n")
	}
	if len(in.First) > 0 {
		fmt.Fprintf(w, "\nFirst rows as read:\n")
		for _, l := range in.First {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	in.writeCourses(w)
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "\nRow errors an import would report (rows skipped; --strict would refuse the file):\n")
		for i, e := range s.Errors {
			if i == 20 {
				fmt.Fprintf(w, "  ... and %d more\n", len(s.Errors)-20)
				break
			}
			fmt.Fprintf(w, "  %s\n", e.Error())
		}
	}
}

// maxCourses caps the courses Write lists.
const maxCourses = 15

// writeCourses lists the courses read with the level the course rules
// give each, Prevent ones first: whether the training counts is the
// question an analyst brings to a new export.
func (in *Inspection) writeCourses(w io.Writer) {
	if in.CourseLevel == nil || len(in.Courses) == 0 {
		return
	}
	type course struct {
		name, level string
		rows        int
	}
	list := make([]course, 0, len(in.Courses))
	for name, n := range in.Courses {
		list = append(list, course{name, in.CourseLevel(name), n})
	}
	sort.Slice(list, func(a, b int) bool {
		if (list[a].level == "") != (list[b].level == "") {
			return list[a].level != ""
		}
		if list[a].rows != list[b].rows {
			return list[a].rows > list[b].rows
		}
		return list[a].name < list[b].name
	})
	fmt.Fprintf(w, "\nCourses, by the course rules of the config (%d):\n", len(list))
	for i, c := range list {
		if i == maxCourses {
			fmt.Fprintf(w, "  ... and %d more\n", len(list)-maxCourses)
			break
		}
		level := c.level
		if level == "" {
			level = "no rule"
		}
		fmt.Fprintf(w, "  %-13s %q  %d\n", level, c.name, c.rows)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
