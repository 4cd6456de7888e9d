package importers

import (
	"github.com/nhs-prevent/prevent/internal/compliance"
)

// ExemptionRow is an exemption with its row in the file.
type ExemptionRow struct {
	compliance.Exemption
	Row int
}

// ReadExemptions streams the rows of an exemptions file (headers Employee
// Number, Reason, From, Until), calling emit for each good row in file
// order. From and Until take the date forms of completion dates; a blank
// Until is open-ended. A row with no employee number, a blank or
// unreadable From, an unreadable Until, or an Until before its From goes
// to Summary.Errors. Errors are as for ReadStaff.
func ReadExemptions(path string, opt Options, emit func(ExemptionRow) error) (Summary, error) {
	return readPath(path, opt, func(in *input) (Summary, error) { return in.readExemptions(opt, emit) })
}

func (in *input) readExemptions(opt Options, emit func(ExemptionRow) error) (Summary, error) {
	t, err := openKind(in, opt, Exemptions, (*header).isExemptions)
	if err != nil {
		return Summary{}, err
	}
	defer t.close()
	sum := t.summary()
	h := t.hdr
	name := t.in.name
	bad := func(row int, f field, value, reason string) {
		sum.Errors = append(sum.Errors, RowError{File: name, Row: row, Column: h.text[f], Value: text(value), Reason: reason})
	}
	err = t.each(opt, &sum, func(cells []string, row int) error {
		emp := normID(cell(cells, h.col[fEmployee]))
		if emp == "" {
			emp = employeeFromAssignment(normID(cell(cells, h.col[fAssignment])))
		}
		if emp == "" {
			sum.Errors = append(sum.Errors, blankPersonError(name, row, h, false))
			return nil
		}
		raw := cell(cells, h.col[fFrom])
		if raw == "" {
			bad(row, fFrom, "", "is blank (an exemption needs its first day)")
			return nil
		}
		from, reason := parseDate(raw, t.in.date1904)
		if reason != "" {
			bad(row, fFrom, raw, reason)
			return nil
		}
		e := ExemptionRow{Row: row, Exemption: compliance.Exemption{EmployeeNumber: text(emp),
			Reason: text(cell(cells, h.col[fReason])), From: from}}
		if raw := cell(cells, h.col[fUntil]); raw != "" {
			until, reason := parseDate(raw, t.in.date1904)
			if reason != "" {
				bad(row, fUntil, raw, reason)
				return nil
			}
			if until.Before(from) {
				bad(row, fUntil, raw, "is before the From date "+from.Format("02/01/2006")+" (an exemption ends on or after the day it starts)")
				return nil
			}
			e.Until = until
		}
		if err := emit(e); err != nil {
			return err
		}
		sum.RowsOK++
		return nil
	})
	return sum, err
}
