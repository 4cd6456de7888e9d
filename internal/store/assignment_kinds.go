package store

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// EachAssignmentKind is EachAssignment for a caller that weighs
// assignments by a few fields alike for millions of them, such as the
// requirement rules: fn gets each assignment's employee number, its start
// date (zero unless FieldStartDate is listed) and its kind, the number of
// its values of the other fields listed among the distinct ones seen so far
// (0, 1, ...). a holds a kind's values (those fields only), the same
// Assignment for every assignment of the kind, kept for the whole call, so
// that the caller weighs each kind once. The database sends the values of
// an assignment as one key: a national snapshot's millions of rows cost a
// text column each, not one per field. In no particular order.
func (s *Store) EachAssignmentKind(ctx context.Context, snapshotID int64, fields []compliance.Field,
	fn func(employeeNumber string, start time.Time, kind int, a *compliance.Assignment) error) error {
	// Each value is written as its length in bytes, a colon and the
	// value, so that the key reads back whatever the values hold.
	length := "octet_length(%s)"
	if s.dialect == SQLite {
		length = "length(CAST(%s AS BLOB))"
	}
	var parts []string
	var sets []func(a *compliance.Assignment, in interner, v string)
	for _, c := range assignmentReads {
		if c.field == "" || c.field == FieldStartDate || !slices.Contains(fields, c.field) {
			continue
		}
		parts = append(parts, strings.ReplaceAll(length, "%s", c.name)+` || ':' || `+c.name)
		sets = append(sets, c.set)
	}
	key := "''"
	if len(parts) > 0 {
		key = strings.Join(parts, " || ")
	}
	start := "''"
	if slices.Contains(fields, FieldStartDate) {
		start = "start_date"
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT employee_number, `+start+`, `+key+`
		FROM assignments WHERE snapshot_id = ?`), snapshotID)
	if err != nil {
		return s.wrap("read staff snapshot", err)
	}
	defer rows.Close()
	in := make(interner)
	byKey := make(map[string]int)
	var kinds []*compliance.Assignment
	var emp, on, k string
	for rows.Next() {
		if err := rows.Scan(&emp, &on, &k); err != nil {
			return s.wrap("read staff snapshot", err)
		}
		kind, ok := byKey[k]
		if !ok {
			a := &compliance.Assignment{}
			rest := k
			for _, set := range sets {
				var v string
				if v, rest, ok = cutValue(rest); !ok {
					return s.wrap("read staff snapshot", errors.New("malformed assignment key "+strconv.Quote(k)))
				}
				set(a, in, v)
			}
			kind = len(kinds)
			kinds = append(kinds, a)
			byKey[k] = kind
		}
		if err := fn(emp, startDate(on), kind, kinds[kind]); err != nil {
			return err
		}
	}
	return s.wrap("read staff snapshot", rows.Err())
}

// cutValue reads one "length:value" off the front of a key.
func cutValue(key string) (value, rest string, ok bool) {
	n, rest, ok := strings.Cut(key, ":")
	if !ok {
		return "", "", false
	}
	size, err := strconv.Atoi(n)
	if err != nil || size < 0 || size > len(rest) {
		return "", "", false
	}
	return rest[:size], rest[size:], true
}
