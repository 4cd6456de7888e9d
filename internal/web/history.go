package web

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// A person's history across snapshots and imports. The store has no query
// for one person yet, so the two read-only queries the person page needs
// live here, written for both dialects (placeholders rebound, dates read
// as SQLite text or PostgreSQL DATE alike). They belong in package store
// when it next changes.

// heldAssignment is one of a person's assignments in one snapshot.
type heldAssignment struct {
	compliance.Assignment
	SnapshotID    int64
	EffectiveDate time.Time
	FileName      string
}

// assignmentsOf lists every assignment of an employee number in every
// snapshot, newest snapshot first, in file order within one.
func (s *server) assignmentsOf(ctx context.Context, emp string) ([]heldAssignment, error) {
	db := s.store.DB()
	rows, err := db.QueryContext(ctx, db.Rebind(`SELECT s.id, s.effective_date, i.file_name, a.row_no,
			a.assignment_number, a.name, a.organisation, a.staff_group, a.occupation_code, a.job_role,
			a.position_title, a.assignment_category, a.assignment_status, a.is_primary, a.email
		FROM assignments a JOIN snapshots s ON s.id = a.snapshot_id JOIN imports i ON i.id = s.import_id
		WHERE a.employee_number = ?
		ORDER BY s.effective_date DESC, a.row_no, a.id`), emp)
	if err != nil {
		return nil, fmt.Errorf("read the assignments of one person: %w", err)
	}
	defer rows.Close()
	var out []heldAssignment
	for rows.Next() {
		var h heldAssignment
		var eff dbDay
		var primary any
		a := &h.Assignment
		if err := rows.Scan(&h.SnapshotID, &eff, &h.FileName, &a.Row, &a.AssignmentNumber, &a.Name,
			&a.Organisation, &a.StaffGroup, &a.OccupationCode, &a.JobRole, &a.PositionTitle,
			&a.AssignmentCategory, &a.AssignmentStatus, &primary, &a.Email); err != nil {
			return nil, fmt.Errorf("read the assignments of one person: %w", err)
		}
		a.EmployeeNumber, a.Primary, h.EffectiveDate = emp, truthy(primary), eff.Time
		out = append(out, h)
	}
	return out, rows.Err()
}

// heldCompletion is one of a person's completions with where it came from.
type heldCompletion struct {
	compliance.Completion
	FileName string
	Row      int
	ByEmail  bool // keyed by email in its file, matched to the person
}

// completionsOf lists every completion of an employee number, newest
// first: those keyed by the number, and those keyed by an email that
// belongs to them (the person holding it in the newest snapshot that has
// it, as store.CompletionsAsOf resolves it).
func (s *server) completionsOf(ctx context.Context, emp string) ([]heldCompletion, error) {
	db := s.store.DB()
	rows, err := db.QueryContext(ctx, db.Rebind(`WITH owners AS (
			SELECT email FROM (
				SELECT a.email, a.employee_number, ROW_NUMBER() OVER (
					PARTITION BY a.email ORDER BY s.effective_date DESC, a.row_no, a.id) AS pick
				FROM assignments a JOIN snapshots s ON s.id = a.snapshot_id
				WHERE a.email IN (SELECT email FROM assignments WHERE employee_number = ? AND email <> '')
			) ranked WHERE pick = 1 AND employee_number = ?
		)
		SELECT c.email, c.course, c.completed_on, i.file_name, c.source_row, c.employee_number = '' AS by_email
		FROM completions c JOIN imports i ON i.id = c.import_id
		WHERE c.employee_number = ? OR (c.employee_number = '' AND c.email_key IN (SELECT email FROM owners))
		ORDER BY c.completed_on DESC, c.id`), emp, emp, emp)
	if err != nil {
		return nil, fmt.Errorf("read the completions of one person: %w", err)
	}
	defer rows.Close()
	var out []heldCompletion
	for rows.Next() {
		var h heldCompletion
		var on dbDay
		var byEmail any
		if err := rows.Scan(&h.Email, &h.Course, &on, &h.FileName, &h.Row, &byEmail); err != nil {
			return nil, fmt.Errorf("read the completions of one person: %w", err)
		}
		h.EmployeeNumber, h.CompletedOn, h.ByEmail = emp, on.Time, truthy(byEmail)
		out = append(out, h)
	}
	return out, rows.Err()
}

// employeeNumbers lists every employee number in any snapshot.
func (s *server) employeeNumbers(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.store.DB().SelectContext(ctx, &out, `SELECT DISTINCT employee_number FROM assignments`); err != nil {
		return nil, fmt.Errorf("list employee numbers: %w", err)
	}
	return out, nil
}

// dbDay scans a calendar day stored as SQLite text or a PostgreSQL DATE.
type dbDay struct{ time.Time }

func (d *dbDay) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		d.Time = time.Time{}
		return nil
	case time.Time:
		d.Time = compliance.Date(x.Date())
		return nil
	case []byte:
		return d.parse(string(x))
	case string:
		return d.parse(x)
	}
	return fmt.Errorf("cannot read %T as a date", v)
}

func (d *dbDay) parse(s string) error {
	if len(s) >= 10 {
		s = s[:10]
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("cannot read %q as a date", s)
	}
	d.Time = t
	return nil
}

// truthy reads a boolean column: INTEGER 0/1 on SQLite, BOOLEAN on
// PostgreSQL.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case []byte:
		s := string(x)
		return s == "1" || s == "t" || s == "true"
	case string:
		return x == "1" || x == "t" || x == "true"
	}
	return false
}
