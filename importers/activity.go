package importers

import (
	"fmt"
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
func openLog(in *input, k Kind) (*table, logHeader, error) {
	t, _, err := openTable(in, newMatcher(nil), func(h *header) bool {
		return readLogHeader(k, h.raw).complete(k)
	})
	if err != nil {
		return nil, logHeader{}, err
	}
	name := in.name
	if t == nil {
		return nil, logHeader{}, fileError(name, fmt.Sprintf("has no %s header row in its first %d rows (%s)", logNoun(k), headerScanRows, logNeeds(k)), nil)
	}
	for _, c := range t.hdr.raw {
		if activity.IsPersonalHeader(c) {
			t.close()
			return nil, logHeader{}, fileError(name, fmt.Sprintf("has a column headed %q, which is personal data: a %s holds %s, never a name, NHS number, date of birth or address; remove the column and import it again (nothing was imported)",
				strings.TrimSpace(c), logNoun(k), logHolds(k)), nil)
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

// logHolds is what a log is for, as the personal-data refusal says.
func logHolds(k Kind) string {
	if k == Referrals {
		return "case references and counts"
	}
	return "meeting dates, forums and attendance"
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
	return readPath(path, opt, func(in *input) (Summary, error) { return in.readReferrals(opt, emit) })
}

func (in *input) readReferrals(opt Options, emit func(ReferralRow) error) (Summary, error) {
	return readLog(in, opt, Referrals, func(r *logRow) error {
		ref := r.cell("reference")
		if ref == "" {
			r.bad("reference", "", "is blank (every concern needs its case reference)")
			return nil
		}
		raised, ok := r.date("date")
		if !ok {
			return nil
		}
		subj, err := activity.ParseSubject(r.cell("subject"))
		if err != nil {
			r.bad("subject", text(r.cell("subject")), err.Error())
			return nil
		}
		out, err := activity.ParseOutcome(r.cell("outcome"))
		if err != nil {
			r.bad("outcome", text(r.cell("outcome")), err.Error())
			return nil
		}
		return r.emit(emit(ReferralRow{Reference: text(ref), Row: r.row, Referral: activity.Referral{
			Raised: raised, Subject: subj, Service: text(r.cell("service")), Outcome: out}}))
	})
}

// ReadMeetings streams the rows of a partnership meetings log: headers
// Date, Forum and Attended (Yes or No). The personal-data guard is as for
// ReadReferrals.
func ReadMeetings(path string, opt Options, emit func(MeetingRow) error) (Summary, error) {
	return readPath(path, opt, func(in *input) (Summary, error) { return in.readMeetings(opt, emit) })
}

func (in *input) readMeetings(opt Options, emit func(MeetingRow) error) (Summary, error) {
	return readLog(in, opt, Meetings, func(r *logRow) error {
		day, ok := r.date("date")
		if !ok {
			return nil
		}
		forum := r.cell("forum")
		if forum == "" {
			r.bad("forum", "", "is blank (every meeting needs its forum)")
			return nil
		}
		att, err := activity.ParseAttended(r.cell("attended"))
		if err != nil {
			r.bad("attended", text(r.cell("attended")), err.Error())
			return nil
		}
		return r.emit(emit(MeetingRow{Row: r.row, Meeting: activity.Meeting{Date: day, Forum: text(forum), Attended: att}}))
	})
}

// logRow is one data row of an activity log as readLog hands it over.
type logRow struct {
	cells    []string
	row      int
	h        logHeader
	date1904 bool
	file     string
	sum      *Summary
}

// cell is the row's value in a column ("" when the log has no such column).
func (r *logRow) cell(column string) string { return r.h.cell(r.cells, column) }

// bad records the row as an error in a column.
func (r *logRow) bad(column, value, reason string) {
	r.sum.Errors = append(r.sum.Errors, RowError{File: r.file, Row: r.row, Column: r.h.text[column], Value: value, Reason: reason})
}

// date reads a date column, recording a blank or bad one.
func (r *logRow) date(column string) (time.Time, bool) {
	raw := r.cell(column)
	if raw == "" {
		r.bad(column, "", "is blank (a date is needed)")
		return time.Time{}, false
	}
	day, reason := parseDate(raw, r.date1904)
	if reason != "" {
		r.bad(column, text(raw), reason)
		return time.Time{}, false
	}
	return day, true
}

// emit counts the row read when the caller took it.
func (r *logRow) emit(err error) error {
	if err == nil {
		r.sum.RowsOK++
	}
	return err
}

// readLog opens a log of kind k (refusing a personal-data column) and
// calls read for each data row.
func readLog(in *input, opt Options, k Kind, read func(*logRow) error) (Summary, error) {
	t, h, err := openLog(in, k)
	if err != nil {
		return Summary{}, err
	}
	defer t.close()
	sum := Summary{Sheet: t.hdr.sheet, HeaderRow: t.hdr.row, Columns: h.text}
	r := logRow{h: h, date1904: t.in.date1904, file: t.in.name, sum: &sum}
	err = t.each(opt, &sum, func(cells []string, row int) error {
		r.cells, r.row = cells, row
		return read(&r)
	})
	return sum, err
}

// classifyLog tells a referral or meetings log by its header row, for a
// drop folder; ok is false when the file is neither.
func classifyLog(in *input) (Kind, bool) {
	for _, k := range []Kind{Referrals, Meetings} {
		t, _, err := openTable(in, newMatcher(nil), func(h *header) bool {
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
