package importers

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// Real LMS and ESR exports list the courses people have not finished
// beside those they have: a blank date, a progress of "In progress", a
// Yes/No "Completed" of No. Such a row is not a bad row: it is counted as
// not completed (Summary.NotCompleted), never reported as a row error, and
// never makes --strict refuse the file.

// notCompletedStatuses are the progress or status values that say a row is
// not complete, normalised as headers are (case, spaces and punctuation
// ignored). Any other value (Failed, Expired, Certified, ...) leaves the
// row to be judged by its date.
var notCompletedStatuses = []string{"inprogress", "notyetstarted", "notstarted"}

// isNotCompletedStatus reports whether a progress cell holds one of
// notCompletedStatuses. It compares as normHeader would without building
// the normalised string: it runs for every row of an export with a
// progress column.
func isNotCompletedStatus(s string) bool {
	for _, want := range notCompletedStatuses {
		if sameLetters(s, want) {
			return true
		}
	}
	return false
}

// sameLetters compares s, ignoring ASCII case and every character that is
// not an ASCII letter or digit, with want (lower-case letters and digits).
func sameLetters(s, want string) bool {
	j := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !('a' <= c && c <= 'z') && !('0' <= c && c <= '9') {
			continue
		}
		if j >= len(want) || want[j] != c {
			return false
		}
		j++
	}
	return j == len(want)
}

// yesNo reads a Yes/No flag cell: yes, ok (true when it is one of Yes, Y,
// No, N in any case, or True and False as a spreadsheet writes a tick box).
func yesNo(s string) (yes, ok bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, "yes") || strings.EqualFold(s, "y") || strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "no") || strings.EqualFold(s, "n") || strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// notCompleted reports whether a data row is not (yet) a completion: its
// progress says so, its Yes/No completion flag says No, or its date is
// blank.
func notCompleted(cells []string, h *header) bool {
	if h.has(fProgress) && isNotCompletedStatus(cell(cells, h.col[fProgress])) {
		return true
	}
	if h.flag >= 0 {
		if yes, ok := yesNo(cell(cells, h.flag)); ok && !yes {
			return true
		}
	}
	return cell(cells, h.col[fCompleted]) == ""
}

// whyNotCompleted says which cell made a row not completed, for inspect.
func whyNotCompleted(cells []string, h *header) string {
	if h.has(fProgress) && isNotCompletedStatus(cell(cells, h.col[fProgress])) {
		return fmt.Sprintf("%s is %q", h.text[fProgress], cell(cells, h.col[fProgress]))
	}
	if h.flag >= 0 {
		if yes, ok := yesNo(cell(cells, h.flag)); ok && !yes {
			return fmt.Sprintf("%s is %q", h.cells[h.flag], cell(cells, h.flag))
		}
	}
	return fmt.Sprintf("%s is blank", h.text[fCompleted])
}

// resolveFlag decides what a column headed just "Completed" holds. When
// all its non-blank cells are Yes/Y/No/N it is a completion flag: the date
// is then read from the header row's other completed column, and a file
// with no other completed column has no date at all and is refused. Else
// it is a date column like any other. Deciding needs the whole column, so
// the rows are scanned once more (through the same handle, a workbook's
// directory and shared strings as already read), up to the first cell that
// is not Yes/No.
func resolveFlag(in *input, opt Options, t *table, accept func(*header) bool) error {
	h := t.hdr
	if h.bare < 0 {
		return nil
	}
	flag, err := columnIsFlag(in, opt, h, accept)
	if err != nil || !flag {
		return err
	}
	if h.alt < 0 {
		return fileError(t.in.name, fmt.Sprintf("has no completion date column: its %q column (%s) holds Yes/No, a completion flag, not dates; "+
			"export the report with its completion date column too, or name that column in the config (columns: {completed: [\"...\"]})",
			h.text[fCompleted], where(h)), nil)
	}
	h.flag = h.bare
	h.col[fCompleted], h.text[fCompleted], h.norm[fCompleted] = h.alt, h.altText, h.altNorm
	return nil
}

// columnIsFlag reads the bare "Completed" column to its end, or to the
// first cell that is neither blank nor Yes/No.
func columnIsFlag(in *input, opt Options, h *header, accept func(*header) bool) (bool, error) {
	t, _, err := openTable(in, newMatcher(opt.Aliases), accept)
	if err != nil {
		return false, err
	}
	if t == nil {
		return false, nil
	}
	defer t.close()
	for {
		cells, _, err := t.src.next()
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, fileError(t.in.name, "cannot be read: "+err.Error(), err)
		}
		c := cell(cells, h.bare)
		if c == "" {
			continue
		}
		if _, ok := yesNo(c); !ok && normHeader(c) != bareCompleted {
			return false, nil
		}
	}
}

// where names a header row for a message: "row 3 of sheet "Detail"".
func where(h *header) string {
	w := fmt.Sprintf("header row %d", h.row)
	if h.sheet != "" {
		w += fmt.Sprintf(" of sheet %q", h.sheet)
	}
	return w
}

// stripTags reads the text of a cell written as HTML, as a report's
// "Course full name with link" may be: `<a href="...">Prevent</a>` is
// "Prevent".
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}
