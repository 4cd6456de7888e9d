package importers

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/activity"
)

// The kinds of the Prevent activity logs a trust keeps by hand.
const (
	Referrals Kind = "referrals" // the referral log: one row per concern raised
	Meetings  Kind = "meetings"  // the partnership meetings log
)

// ReferralRow is a referral log's row: its case reference (used only to
// recognise the case imported again) and the concern.
type ReferralRow struct {
	Reference string
	activity.Referral
	Row int
}

// MeetingRow is a meetings log's row.
type MeetingRow struct {
	activity.Meeting
	Row int
}

// logColumns are the headers of an activity log, normalised (normHeader),
// each with the column it stands for; earlier headers of a column win.
var logColumns = map[Kind][]struct{ column, norm string }{
	Referrals: {{"reference", "reference"}, {"date", "dateraised"}, {"date", "date"},
		{"subject", "subject"}, {"service", "service"}, {"outcome", "outcome"}},
	Meetings: {{"date", "date"}, {"forum", "forum"}, {"attended", "attended"}},
}

// logRequired are the columns a log cannot do without: they also tell its
// header row.
var logRequired = map[Kind][]string{
	Referrals: {"reference", "date"},
	Meetings:  {"date", "forum", "attended"},
}

// logHeader is an activity log's header row: the index of each column
// found and its header as written.
type logHeader struct {
	col  map[string]int
	text map[string]string
}

func readLogHeader(k Kind, cells []string) logHeader {
	h := logHeader{col: map[string]int{}, text: map[string]string{}}
	for _, want := range logColumns[k] {
		if _, ok := h.col[want.column]; ok {
			continue
		}
		for j, c := range cells {
			if normHeader(c) == want.norm {
				h.col[want.column], h.text[want.column] = j, strings.TrimSpace(c)
				break
			}
		}
	}
	return h
}

func (h logHeader) complete(k Kind) bool {
	for _, c := range logRequired[k] {
		if _, ok := h.col[c]; !ok {
			return false
		}
	}
	return true
}

func (h logHeader) cell(cells []string, column string) string {
	i, ok := h.col[column]
	if !ok {
		return ""
	}
	return cell(cells, i)
}

// openLog opens an activity log of kind k at its header row and applies
// the personal-data guard: a column headed like personal data refuses the
// whole file, naming the column, before any row is read.
func openLog(path string, opt Options, k Kind) (*table, logHeader, error) {
	t, _, err := openTable(path, opt, newMatcher(nil), func(h *header) bool {
		return readLogHeader(k, h.raw).complete(k)
	})
	if err != nil {
		return nil, logHeader{}, err
	}
	name := filepath.Base(path)
	if t == nil {
		return nil, logHeader{}, fileError(name, fmt.Sprintf("has no %s header row in its first %d rows (%s)", logNoun(k), headerScanRows, logNeeds(k)), nil)
	}
	for _, c := range t.hdr.raw {
		if activity.IsPersonalHeader(c) {
			t.close()
			return nil, logHeader{}, fileError(name, fmt.Sprintf("has a column headed %q, which is personal data: a %s holds case references and counts, never a name, NHS number, date of birth or address; remove the column and import it again (nothing was imported)",
				strings.TrimSpace(c), logNoun(k)), nil)
		}
	}
	return t, readLogHeader(k, t.hdr.raw), nil
}

func logNoun(k Kind) string {
	if k == Referrals {
		return "referral log"
	}
	return "meetings log"
}

func logNeeds(k Kind) string {
	if k == Referrals {
		return "a referral log needs the columns Reference and Date (or Date Raised); Subject, Service and Outcome are read when present"
	}
	return "a meetings log needs the columns Date, Forum and Attended"
}

// ReadReferrals streams the rows of a referral log: headers Reference and
// Date (or Date Raised) required, Subject, Service and Outcome read when
// present, other columns ignored. A row with no reference, a missing or bad
// date, or a Subject or Outcome it does not know goes to Summary.Errors. A
// log with a column headed like personal data (Name, Patient Name, NHS
// Number, Date of Birth, ...) is refused whole with a *FileError.
func ReadReferrals(path string, opt Options, emit func(ReferralRow) error) (Summary, error) {
	t, h, err := openLog(path, opt, Referrals)
	if err != nil {
		return Summary{}, err
	}
	defer t.close()
	sum := Summary{Sheet: t.hdr.sheet, HeaderRow: t.hdr.row, Columns: h.text}
	name, date1904 := t.in.name, t.in.date1904
	bad := func(row int, column, value, reason string) {
		sum.Errors = append(sum.Errors, RowError{File: name, Row: row, Column: h.text[column], Value: value, Reason: reason})
	}
	err = t.each(opt, &sum, func(cells []string, row int) error {
		ref := h.cell(cells, "reference")
		if ref == "" {
			bad(row, "reference", "", "is blank (every concern needs its case reference)")
			return nil
		}
		raised, ok := logDate(cells, row, h, "date", date1904, bad)
		if !ok {
			return nil
		}
		subj, err := activity.ParseSubject(h.cell(cells, "subject"))
		if err != nil {
			bad(row, "subject", text(h.cell(cells, "subject")), err.Error())
			return nil
		}
		out, err := activity.ParseOutcome(h.cell(cells, "outcome"))
		if err != nil {
			bad(row, "outcome", text(h.cell(cells, "outcome")), err.Error())
			return nil
		}
		r := ReferralRow{Reference: text(ref), Row: row, Referral: activity.Referral{
			Raised: raised, Subject: subj, Service: text(h.cell(cells, "service")), Outcome: out}}
		if err := emit(r); err != nil {
			return err
		}
		sum.RowsOK++
		return nil
	})
	return sum, err
}

// ReadMeetings streams the rows of a partnership meetings log: headers
// Date, Forum and Attended (Yes or No). The personal-data guard is as for
// ReadReferrals.
func ReadMeetings(path string, opt Options, emit func(MeetingRow) error) (Summary, error) {
	t, h, err := openLog(path, opt, Meetings)
	if err != nil {
		return Summary{}, err
	}
	defer t.close()
	sum := Summary{Sheet: t.hdr.sheet, HeaderRow: t.hdr.row, Columns: h.text}
	name, date1904 := t.in.name, t.in.date1904
	bad := func(row int, column, value, reason string) {
		sum.Errors = append(sum.Errors, RowError{File: name, Row: row, Column: h.text[column], Value: value, Reason: reason})
	}
	err = t.each(opt, &sum, func(cells []string, row int) error {
		day, ok := logDate(cells, row, h, "date", date1904, bad)
		if !ok {
			return nil
		}
		forum := h.cell(cells, "forum")
		if forum == "" {
			bad(row, "forum", "", "is blank (every meeting needs its forum)")
			return nil
		}
		att, err := activity.ParseAttended(h.cell(cells, "attended"))
		if err != nil {
			bad(row, "attended", text(h.cell(cells, "attended")), err.Error())
			return nil
		}
		m := MeetingRow{Row: row, Meeting: activity.Meeting{Date: day, Forum: text(forum), Attended: att}}
		if err := emit(m); err != nil {
			return err
		}
		sum.RowsOK++
		return nil
	})
	return sum, err
}

// logDate reads a log's date cell, reporting a blank or bad one.
func logDate(cells []string, row int, h logHeader, column string, date1904 bool, bad func(int, string, string, string)) (time.Time, bool) {
	raw := h.cell(cells, column)
	if raw == "" {
		bad(row, column, "", "is blank (a date is needed)")
		return time.Time{}, false
	}
	day, reason := parseDate(raw, date1904)
	if reason != "" {
		bad(row, column, text(raw), reason)
		return time.Time{}, false
	}
	return day, true
}

// classifyLog tells a referral or meetings log by its header row, for a
// drop folder; ok is false when the file is neither.
func classifyLog(path string, opt Options) (Kind, bool) {
	for _, k := range []Kind{Referrals, Meetings} {
		t, _, err := openTable(path, opt, newMatcher(nil), func(h *header) bool {
			return readLogHeader(k, h.raw).complete(k)
		})
		if err != nil {
			return "", false
		}
		if t != nil {
			t.close()
			return k, true
		}
	}
	return "", false
}
