package importers

import (
	"fmt"
	"path/filepath"
	"sort"
	"time"
)

// logNouns name the kinds read by their own imports, for inspect.
var logNouns = map[Kind]string{
	Exemptions: "an exemptions list",
	Referrals:  "a referral log",
	Meetings:   "a partnership meetings log",
}

// IsLog reports whether a kind is an exemptions list, a referral log or a
// meetings log: files read by their own imports, not staff or completions.
func IsLog(k Kind) bool { _, ok := logNouns[k]; return ok }

// InspectLog reads an exemptions list, a referral log or a meetings log
// as its import would, keeping the counts and the row errors. A referral
// log's rows are never shown: its case references stay in the file.
func InspectLog(path string, kind Kind, opt Options) (*Inspection, error) {
	in := &Inspection{File: filepath.Base(path), Kind: kind}
	var (
		sum Summary
		err error
	)
	switch kind {
	case Exemptions:
		sum, err = ReadExemptions(path, opt, func(r ExemptionRow) error {
			if len(in.First) < firstRows {
				until := "open"
				if !r.Until.IsZero() {
					until = r.Until.Format(time.DateOnly)
				}
				in.First = append(in.First, fmt.Sprintf("row %d: %s  %s  from %s until %s", r.Row, r.EmployeeNumber, r.Reason,
					r.From.Format(time.DateOnly), until))
			}
			return nil
		})
	case Referrals:
		sum, err = ReadReferrals(path, opt, func(ReferralRow) error { return nil })
	case Meetings:
		sum, err = ReadMeetings(path, opt, func(r MeetingRow) error {
			if len(in.First) < firstRows {
				in.First = append(in.First, fmt.Sprintf("row %d: %s  %s  attended: %t", r.Row, r.Date.Format(time.DateOnly), r.Forum, r.Attended))
			}
			return nil
		})
	default:
		return nil, fmt.Errorf("%s: %s is not a log", in.File, kind)
	}
	if err != nil {
		// Refused whole (a personal-data column, no header row): the
		// reason is the answer.
		in.Err = err
		return in, nil
	}
	in.Read, in.Sheet, in.HeaderRow = &sum, sum.Sheet, sum.HeaderRow
	keys := make([]string, 0, len(sum.Columns))
	for k := range sum.Columns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in.Fields = append(in.Fields, FieldMatch{Key: k, Header: sum.Columns[k]})
	}
	return in, nil
}
