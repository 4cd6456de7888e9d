package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// FieldMain is an assignment's row and primary flag, which say which of a
// person's assignments is their main one, for EachAssignmentKind.
const FieldMain compliance.Field = "main"

// EachAssignmentKind is EachAssignment for a caller that weighs
// assignments by a few fields alike for millions of them, such as the
// requirement rules: fn gets each assignment's employee number, the
// assignment with its row and primary flag (when FieldMain is listed) and
// start date (when FieldStartDate is) only, and its kind, the number of
// its values of the other fields listed among the distinct ones seen so
// far (0, 1, ...). values holds a kind's values (those fields only), the
// same Assignment for every assignment of the kind, kept for the whole
// call, so that the caller weighs each kind once rather than each of
// millions of assignments, and no value is kept per assignment. The
// employee number and a are fn's only for the call. In no particular
// order.
//
// PostgreSQL sends a row per kind, with the kind's employee numbers (rows,
// primary flags, start dates) as arrays: a national snapshot's millions
// of rows cost more to send and decode, a row at a time, than the
// database takes to group them. (Sending each row's values as one key, a
// column instead of one per field, cost it more than it saved.)
func (s *Store) EachAssignmentKind(ctx context.Context, snapshotID int64, fields []compliance.Field,
	fn func(employeeNumber []byte, a *compliance.Assignment, kind int, values *compliance.Assignment) error) error {
	var cols []string
	var sets []func(a *compliance.Assignment, in interner, v string)
	for _, c := range assignmentReads {
		if c.field == "" || c.field == FieldStartDate || !slices.Contains(fields, c.field) {
			continue
		}
		cols = append(cols, c.name)
		sets = append(sets, c.set)
	}
	main, starts := slices.Contains(fields, FieldMain), slices.Contains(fields, FieldStartDate)
	k := kinds{sets: sets, byKey: make(map[string]int), in: make(interner)}
	if s.dialect == Postgres {
		return s.eachKindGrouped(ctx, snapshotID, cols, main, starts, &k, fn)
	}
	sel := "employee_number, 0, false, ''"
	if main {
		sel = "employee_number, row_no, is_primary, ''"
	}
	if starts {
		sel = strings.TrimSuffix(sel, "''") + "start_date"
	}
	for _, c := range cols {
		sel += ", " + c
	}
	rows, end, err := s.querySnapshot(ctx, `SELECT `+sel+`
		FROM assignments WHERE snapshot_id = ?`, snapshotID)
	if err != nil {
		return s.wrap("read staff snapshot", err)
	}
	defer end()
	defer rows.Close()
	var (
		a       compliance.Assignment
		emp, on sql.RawBytes
		row     int
		primary bool
		raw     = make([]sql.RawBytes, len(sets))
		dest    = append(make([]any, 0, 4+len(sets)), &emp, &row, &primary, &on)
	)
	for i := range raw {
		dest = append(dest, &raw[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return s.wrap("read staff snapshot", err)
		}
		kind, values := k.of(raw)
		a = compliance.Assignment{Row: row, Primary: primary}
		a.StartDate = startDate(string(on))
		if err := fn(emp, &a, kind, values); err != nil {
			return err
		}
	}
	return s.wrap("read staff snapshot", rows.Err())
}

// kinds numbers the distinct values of the fields read.
type kinds struct {
	sets  []func(a *compliance.Assignment, in interner, v string)
	byKey map[string]int
	list  []*compliance.Assignment
	in    interner
	key   []byte
}

// of is the kind of these values of the fields, and the kind's values.
func (k *kinds) of(raw []sql.RawBytes) (int, *compliance.Assignment) {
	// Each value as its length, a colon and the value: a key that two
	// different sets of values cannot share.
	k.key = k.key[:0]
	for _, v := range raw {
		k.key = append(strconv.AppendInt(k.key, int64(len(v)), 10), ':')
		k.key = append(k.key, v...)
	}
	if kind, ok := k.byKey[string(k.key)]; ok {
		return kind, k.list[kind]
	}
	values := &compliance.Assignment{}
	for i, set := range k.sets {
		set(values, k.in, string(raw[i]))
	}
	kind := len(k.list)
	k.list = append(k.list, values)
	k.byKey[string(k.key)] = kind
	return kind, values
}

// eachKindGrouped is EachAssignmentKind on PostgreSQL: a row per kind.
func (s *Store) eachKindGrouped(ctx context.Context, snapshotID int64, cols []string, main, starts bool, k *kinds,
	fn func(employeeNumber []byte, a *compliance.Assignment, kind int, values *compliance.Assignment) error) error {
	sel := append(slices.Clone(cols), "array_agg(employee_number)", "NULL", "NULL", "NULL")
	if main {
		sel[len(cols)+1], sel[len(cols)+2] = "array_agg(row_no)", "array_agg(is_primary)"
	}
	if starts {
		sel[len(cols)+3] = "array_agg(start_date)"
	}
	q := `SELECT ` + strings.Join(sel, ", ") + ` FROM assignments WHERE snapshot_id = ?`
	if len(cols) > 0 {
		q += ` GROUP BY ` + strings.Join(cols, ", ")
	}
	// Grouped in a hash table of a few thousand kinds, in the one
	// process: left to itself, on a national snapshot the planner sorted
	// millions of rows in parallel workers and compiled the query, which
	// took the database several times as long.
	rows, end, err := s.querySnapshotWith(ctx, []string{"enable_sort = off", "max_parallel_workers_per_gather = 0", "jit = off"}, q, snapshotID)
	if err != nil {
		return s.wrap("read staff snapshot", err)
	}
	defer end()
	defer rows.Close()
	raw := make([]sql.RawBytes, len(cols)+4)
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	var (
		emps, rowNos, primaries, ons pgArray
		a                            compliance.Assignment
	)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return s.wrap("read staff snapshot", err)
		}
		if raw[len(cols)] == nil {
			continue // no assignments at all
		}
		kind, values := k.of(raw[:len(cols)])
		emps.reset(raw[len(cols)])
		rowNos.reset(raw[len(cols)+1])
		primaries.reset(raw[len(cols)+2])
		ons.reset(raw[len(cols)+3])
		for {
			emp, ok := emps.next()
			if !ok {
				break
			}
			a = compliance.Assignment{}
			if main {
				r, _ := rowNos.next()
				p, _ := primaries.next()
				a.Row, a.Primary = atoi(r), len(p) == 1 && p[0] == 't'
			}
			if starts {
				on, _ := ons.next()
				a.StartDate = startDate(string(on))
			}
			if err := fn(emp, &a, kind, values); err != nil {
				return err
			}
		}
		for _, arr := range []*pgArray{&emps, &rowNos, &primaries, &ons} {
			if arr.err != nil {
				return s.wrap("read staff snapshot", arr.err)
			}
		}
	}
	return s.wrap("read staff snapshot", rows.Err())
}

// pgArray reads the elements of a one-dimensional array as PostgreSQL
// writes it out: {a,b,"c d","e\"f"}. NULL elements read as "NULL" (the
// columns read this way are NOT NULL).
type pgArray struct {
	rest []byte
	elem []byte // an element unquoted, when it was quoted
	err  error
}

func (p *pgArray) reset(b []byte) {
	p.rest, p.err = nil, nil
	if b == nil {
		return
	}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		p.err = errors.New("malformed array " + strconv.Quote(string(b[:min(len(b), 40)])))
		return
	}
	p.rest = b[1 : len(b)-1]
	if len(p.rest) == 0 {
		p.rest = nil
	}
}

// next is the next element, valid until the next call; false after the
// last (or on a malformed array, with err set).
func (p *pgArray) next() ([]byte, bool) {
	if p.rest == nil || p.err != nil {
		return nil, false
	}
	b := p.rest
	if b[0] != '"' {
		i := 0
		for i < len(b) && b[i] != ',' {
			i++
		}
		p.advance(b[i:])
		return b[:i], true
	}
	p.elem = p.elem[:0]
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
			if i < len(b) {
				p.elem = append(p.elem, b[i])
			}
		case '"':
			p.advance(b[i+1:])
			return p.elem, true
		default:
			p.elem = append(p.elem, b[i])
		}
	}
	p.err = errors.New("malformed array: an element's quotes are not closed")
	return nil, false
}

// advance moves past the comma that ends an element, or to the end.
func (p *pgArray) advance(b []byte) {
	switch {
	case len(b) == 0:
		p.rest = nil
	case b[0] == ',':
		p.rest = b[1:]
		if len(p.rest) == 0 {
			p.err = errors.New("malformed array: it ends with a comma")
		}
	default:
		p.err = errors.New("malformed array: an element does not end at a comma")
	}
}
