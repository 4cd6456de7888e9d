package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// FieldMain is an assignment's row and primary flag, which say which of a
// person's assignments is their main one, for EachAssignmentKind.
const FieldMain compliance.Field = "main"

// EachAssignmentKind is EachAssignment for a caller that weighs
// assignments by a few fields alike for millions of them, such as the
// requirement rules: fn gets each assignment with its employee number, row
// and primary flag (when FieldMain is listed) and start date (when
// FieldStartDate is) only, and its kind, the number of its values of the other fields listed among
// the distinct ones seen so far (0, 1, ...). values holds a kind's values
// (those fields only), the same Assignment for every assignment of the
// kind, kept for the whole call, so that the caller weighs each kind once
// rather than each of millions of assignments, and no value is kept per
// assignment. a is fn's only for the call. In no particular order. (The
// database sending the values as one key, a column instead of one per
// field, cost it more than it saved here.)
func (s *Store) EachAssignmentKind(ctx context.Context, snapshotID int64, fields []compliance.Field,
	fn func(a *compliance.Assignment, kind int, values *compliance.Assignment) error) error {
	cols := "employee_number, 0, false, "
	if slices.Contains(fields, FieldMain) {
		cols = "employee_number, row_no, is_primary, "
	}
	if slices.Contains(fields, FieldStartDate) {
		cols += "start_date"
	} else {
		cols += "''"
	}
	var sets []func(a *compliance.Assignment, in interner, v string)
	for _, c := range assignmentReads {
		if c.field == "" || c.field == FieldStartDate || !slices.Contains(fields, c.field) {
			continue
		}
		cols += ", " + c.name
		sets = append(sets, c.set)
	}
	rows, end, err := s.querySnapshot(ctx, `SELECT `+cols+`
		FROM assignments WHERE snapshot_id = ?`, snapshotID)
	if err != nil {
		return s.wrap("read staff snapshot", err)
	}
	defer end()
	defer rows.Close()
	in := make(interner)
	byKey := make(map[string]int)
	var kinds []*compliance.Assignment
	var (
		a   compliance.Assignment
		on  string
		key []byte
	)
	raw := make([]sql.RawBytes, len(sets))
	dest := append(make([]any, 0, 4+len(sets)), &a.EmployeeNumber, &a.Row, &a.Primary, &on)
	for i := range raw {
		dest = append(dest, &raw[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return s.wrap("read staff snapshot", err)
		}
		// Each value as its length, a colon and the value: a key that
		// two different sets of values cannot share.
		key = key[:0]
		for _, v := range raw {
			key = append(strconv.AppendInt(key, int64(len(v)), 10), ':')
			key = append(key, v...)
		}
		kind, ok := byKey[string(key)]
		if !ok {
			values := &compliance.Assignment{}
			for i, set := range sets {
				set(values, in, string(raw[i]))
			}
			kind = len(kinds)
			kinds = append(kinds, values)
			byKey[string(key)] = kind
		}
		a.StartDate = startDate(on)
		if err := fn(&a, kind, kinds[kind]); err != nil {
			return err
		}
	}
	return s.wrap("read staff snapshot", rows.Err())
}
