package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// Snapshot is a staff extract: the workforce on its effective date.
type Snapshot struct {
	ID            int64
	EffectiveDate time.Time
	ImportID      int64
	FileName      string
	People        int // distinct employee numbers
}

type snapshotRow struct {
	ID            int64  `db:"id"`
	EffectiveDate day    `db:"effective_date"`
	ImportID      int64  `db:"import_id"`
	FileName      string `db:"file_name"`
	People        int    `db:"people"`
}

func (r snapshotRow) Snapshot() Snapshot {
	return Snapshot{ID: r.ID, EffectiveDate: r.EffectiveDate.Time, ImportID: r.ImportID, FileName: r.FileName, People: r.People}
}

const snapshotSelect = `SELECT s.id, s.effective_date, s.import_id, i.file_name,
	COALESCE(s.people, (SELECT COUNT(DISTINCT a.employee_number) FROM assignments a WHERE a.snapshot_id = s.id)) AS people
	FROM snapshots s JOIN imports i ON i.id = s.import_id`

// SnapshotAsOf returns the latest snapshot effective on or before asOf, or
// ErrNoSnapshot.
func (s *Store) SnapshotAsOf(ctx context.Context, asOf time.Time) (Snapshot, error) {
	var r snapshotRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(snapshotSelect+`
		WHERE s.effective_date <= ? ORDER BY s.effective_date DESC LIMIT 1`), dayArg(asOf))
	if errors.Is(err, sql.ErrNoRows) {
		return Snapshot{}, ErrNoSnapshot
	}
	if err != nil {
		return Snapshot{}, s.wrap("find staff snapshot", err)
	}
	return r.Snapshot(), nil
}

// Snapshots lists every snapshot, latest effective date first.
func (s *Store) Snapshots(ctx context.Context) ([]Snapshot, error) {
	var rows []snapshotRow
	if err := s.db.SelectContext(ctx, &rows, snapshotSelect+` ORDER BY s.effective_date DESC`); err != nil {
		return nil, s.wrap("list staff snapshots", err)
	}
	out := make([]Snapshot, len(rows))
	for i, r := range rows {
		out[i] = r.Snapshot()
	}
	return out, nil
}

// Assignments returns a snapshot's assignments in file order.
func (s *Store) Assignments(ctx context.Context, snapshotID int64) ([]compliance.Assignment, error) {
	return s.AssignmentsFor(ctx, snapshotID, nil)
}

// The columns AssignmentsFor reads, in order, with where each goes. The
// first one is always read; the others only when asked for.
var assignmentReads = []struct {
	name  string
	field compliance.Field // "" for the columns always read
	set   func(a *compliance.Assignment, in interner, v string)
}{
	{"employee_number", "", func(a *compliance.Assignment, _ interner, v string) { a.EmployeeNumber = v }},
	{"name", FieldName, func(a *compliance.Assignment, _ interner, v string) { a.Name = v }},
	{"organisation", compliance.FieldOrganisation, func(a *compliance.Assignment, in interner, v string) { a.Organisation = in.getString(v) }},
	{"staff_group", compliance.FieldStaffGroup, func(a *compliance.Assignment, in interner, v string) { a.StaffGroup = in.getString(v) }},
	{"job_role", compliance.FieldJobRole, func(a *compliance.Assignment, in interner, v string) { a.JobRole = in.getString(v) }},
	{"email", FieldEmail, func(a *compliance.Assignment, _ interner, v string) { a.Email = v }},
	{"manager_email", FieldManagerEmail, func(a *compliance.Assignment, in interner, v string) { a.ManagerEmail = in.getString(v) }},
	{"assignment_number", fieldAssignmentNumber, func(a *compliance.Assignment, _ interner, v string) { a.AssignmentNumber = v }},
	{"occupation_code", compliance.FieldOccupationCode, func(a *compliance.Assignment, in interner, v string) { a.OccupationCode = in.getString(v) }},
	{"position_title", compliance.FieldPositionTitle, func(a *compliance.Assignment, in interner, v string) { a.PositionTitle = in.getString(v) }},
	{"assignment_category", compliance.FieldAssignmentCategory, func(a *compliance.Assignment, in interner, v string) { a.AssignmentCategory = in.getString(v) }},
	{"assignment_status", compliance.FieldAssignmentStatus, func(a *compliance.Assignment, in interner, v string) { a.AssignmentStatus = in.getString(v) }},
	{"start_date", FieldStartDate, func(a *compliance.Assignment, _ interner, v string) { a.StartDate = startDate(v) }},
	{"org_l2", FieldOrgLevels, func(a *compliance.Assignment, in interner, v string) { a.OrgLevels[0] = in.getString(v) }},
	{"org_l3", FieldOrgLevels, func(a *compliance.Assignment, in interner, v string) { a.OrgLevels[1] = in.getString(v) }},
	{"org_l4", FieldOrgLevels, func(a *compliance.Assignment, in interner, v string) { a.OrgLevels[2] = in.getString(v) }},
	{"org_l5", FieldOrgLevels, func(a *compliance.Assignment, in interner, v string) { a.OrgLevels[3] = in.getString(v) }},
	{"org_l6", FieldOrgLevels, func(a *compliance.Assignment, in interner, v string) { a.OrgLevels[4] = in.getString(v) }},
	{"org_l7", FieldOrgLevels, func(a *compliance.Assignment, in interner, v string) { a.OrgLevels[5] = in.getString(v) }},
}

// startDate reads a stored start date ('YYYY-MM-DD', ” when blank).
func startDate(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(dayLayout, v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Fields of an assignment that AssignmentsFor reads only when asked to,
// besides the rule fields of compliance: none of them is a rule field.
const (
	FieldName         compliance.Field = "name"
	FieldEmail        compliance.Field = "email"
	FieldManagerEmail compliance.Field = "manager_email"
	// FieldStartDate is the assignment's start date.
	FieldStartDate compliance.Field = "start_date"
	// FieldOrgLevels is Org L2 to Org L7, read together.
	FieldOrgLevels compliance.Field = "org_levels"
	// fieldAssignmentNumber is unique to each row and never needed by
	// a report.
	fieldAssignmentNumber compliance.Field = "assignment_number"
)

// AssignmentsFor returns a snapshot's assignments with the employee
// number, row and primary flag, and of the other fields (the rule fields
// of compliance, FieldName, FieldEmail and FieldManagerEmail) only those
// listed (nil: all of them). The rest are left empty: a national snapshot
// has millions of rows, and decoding columns nobody looks at is much of
// reading it. With fields nil they come in file order; otherwise in no
// particular order.
func (s *Store) AssignmentsFor(ctx context.Context, snapshotID int64, fields []compliance.Field) ([]compliance.Assignment, error) {
	// Sized up front: growing a slice of many assignments copies it again
	// and again.
	var n int
	if err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT COUNT(*) FROM assignments WHERE snapshot_id = ?`),
		snapshotID).Scan(&n); err != nil {
		return nil, s.wrap("read staff snapshot", err)
	}
	out := make([]compliance.Assignment, 0, n)
	err := s.EachAssignment(ctx, snapshotID, fields, func(a *compliance.Assignment) error {
		out = append(out, *a)
		return nil
	})
	return out, err
}

// EachAssignment is AssignmentsFor calling fn with each assignment in
// turn, for a caller that keeps less of them (such as
// compliance.WorkforceBuilder). The assignment is fn's only for the call.
func (s *Store) EachAssignment(ctx context.Context, snapshotID int64, fields []compliance.Field, fn func(a *compliance.Assignment) error) error {
	return s.eachAssignment(ctx, snapshotID, "", fields, fn)
}

// EachAssignmentOf is EachAssignment for the assignments of one employee
// number (as written) only: one person's rows of a snapshot, found by
// index.
func (s *Store) EachAssignmentOf(ctx context.Context, snapshotID int64, emp string, fields []compliance.Field, fn func(a *compliance.Assignment) error) error {
	if emp == "" {
		return nil
	}
	return s.eachAssignment(ctx, snapshotID, emp, fields, fn)
}

// eachAssignment is EachAssignment, for one employee number when emp is
// not "".
func (s *Store) eachAssignment(ctx context.Context, snapshotID int64, emp string, fields []compliance.Field, fn func(a *compliance.Assignment) error) error {
	cols := "row_no, is_primary"
	var sets []func(a *compliance.Assignment, in interner, v string)
	for _, c := range assignmentReads {
		if c.field != "" && fields != nil && !slices.Contains(fields, c.field) {
			continue
		}
		cols += ", " + c.name
		sets = append(sets, c.set)
	}
	// File order, except for a caller that groups the assignments itself
	// (fields given): Workforce orders them by employee number and row, and
	// a row number is the assignment's line in its extract, one to a line.
	// The database then streams the first rows at once instead of sorting
	// millions of them first.
	order := " ORDER BY row_no, id"
	if fields != nil {
		order = ""
	}
	where, args := "", []any{snapshotID}
	if emp != "" {
		where, args = " AND employee_number = ?", append(args, emp)
	}
	rows, end, err := s.querySnapshot(ctx, `SELECT `+cols+`
		FROM assignments WHERE snapshot_id = ?`+where+order, args...)
	if err != nil {
		return s.wrap("read staff snapshot", err)
	}
	defer end()
	defer rows.Close()
	// The values a snapshot repeats (organisations, staff groups, job
	// roles, ...) are shared rather than held once per assignment, which
	// for a national snapshot of millions of rows is most of its memory.
	in := make(interner)
	// Scanned into strings: the driver hands text over as a new string
	// already, which RawBytes would only copy again.
	raw := make([]string, len(sets))
	dest := make([]any, 2+len(sets))
	var (
		row     int
		primary bool
		a       compliance.Assignment // one for every row: fn does not keep it
	)
	dest[0], dest[1] = &row, &primary
	for i := range raw {
		dest[2+i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return s.wrap("read staff snapshot", err)
		}
		a = compliance.Assignment{Row: row, Primary: primary}
		for i, set := range sets {
			set(&a, in, raw[i])
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	return s.wrap("read staff snapshot", rows.Err())
}

// interner shares equal strings.
type interner map[string]string

// getString returns the copy of v held, holding v itself when it is the
// first.
func (in interner) getString(v string) string {
	if s, ok := in[v]; ok {
		return s
	}
	in[v] = v
	return v
}

// KnownStaff is everyone any staff snapshot names: their employee numbers
// (matched as compliance.EmployeeKey matches them) and emails. Emails are
// held as 64-bit hashes, a few bytes each for a national workforce; two
// emails sharing one (odds of about one in 10^13 for millions of staff)
// would only keep a completion by the unknown one off the quality report.
type KnownStaff struct {
	employees *compliance.EmployeeIndex
	emails    map[uint64]struct{}
}

// KnownStaff reads who the staff snapshots held name.
func (s *Store) KnownStaff(ctx context.Context) (*KnownStaff, error) {
	k := &KnownStaff{employees: compliance.NewEmployeeIndex(0), emails: map[uint64]struct{}{}}
	each := func(q string, fn func(v string)) error {
		rows, err := s.db.QueryContext(ctx, q)
		if err != nil {
			return s.wrap("read staff snapshots", err)
		}
		defer rows.Close()
		var v string
		for rows.Next() {
			if err := rows.Scan(&v); err != nil {
				return s.wrap("read staff snapshots", err)
			}
			fn(v)
		}
		return s.wrap("read staff snapshots", rows.Err())
	}
	if err := each(`SELECT employee_number FROM staff_numbers`, func(e string) {
		k.employees.Put(compliance.EmployeeKey(strings.TrimSpace(e)), 0)
	}); err != nil {
		return nil, err
	}
	if err := each(`SELECT email FROM email_owners`, func(e string) {
		k.emails[emailHash(e)] = struct{}{}
	}); err != nil {
		return nil, err
	}
	return k, nil
}

// emailHash is the 64-bit FNV-1a hash of an email.
func emailHash(email string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(email); i++ {
		h ^= uint64(email[i])
		h *= 1099511628211
	}
	return h
}

// Names reports whether a completion keyed by this employee number (or,
// when that is blank, this email) names someone in a staff snapshot, as
// UnmatchedCompletions matches them.
func (k *KnownStaff) Names(employee, email string) bool {
	if employee = strings.TrimSpace(employee); employee != "" {
		_, ok := k.employees.Get(compliance.EmployeeKey(employee))
		return ok
	}
	_, ok := k.emails[emailHash(normEmail(email))]
	return ok
}
