package store

import (
	"context"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// HeldAssignment is one of a person's assignments in one snapshot.
type HeldAssignment struct {
	compliance.Assignment
	SnapshotID    int64
	EffectiveDate time.Time
	FileName      string
}

// PersonAssignments lists every assignment of an employee number in every
// snapshot, newest snapshot first, in file order within one.
func (s *Store) PersonAssignments(ctx context.Context, emp string) ([]HeldAssignment, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT s.id, s.effective_date, i.file_name, a.row_no,
			a.assignment_number, a.name, a.organisation, a.staff_group, a.occupation_code, a.job_role,
			a.position_title, a.assignment_category, a.assignment_status, a.is_primary, a.email
		FROM assignments a JOIN snapshots s ON s.id = a.snapshot_id JOIN imports i ON i.id = s.import_id
		WHERE a.employee_number = ?
		ORDER BY s.effective_date DESC, a.row_no, a.id`), emp)
	if err != nil {
		return nil, s.wrap("read the assignments of one person", err)
	}
	defer rows.Close()
	var out []HeldAssignment
	for rows.Next() {
		var h HeldAssignment
		var eff day
		a := &h.Assignment
		if err := rows.Scan(&h.SnapshotID, &eff, &h.FileName, &a.Row, &a.AssignmentNumber, &a.Name,
			&a.Organisation, &a.StaffGroup, &a.OccupationCode, &a.JobRole, &a.PositionTitle,
			&a.AssignmentCategory, &a.AssignmentStatus, &a.Primary, &a.Email); err != nil {
			return nil, s.wrap("read the assignments of one person", err)
		}
		a.EmployeeNumber, h.EffectiveDate = emp, eff.Time
		out = append(out, h)
	}
	return out, s.wrap("read the assignments of one person", rows.Err())
}

// HeldCompletion is one of a person's completions with where it came from.
type HeldCompletion struct {
	compliance.Completion
	FileName string
	Row      int
	ByEmail  bool // keyed by email in its file, matched to the person
}

// PersonCompletions lists every completion of an employee number, newest
// first: those keyed by the number, and those keyed by an email that
// belongs to them (see emailOwnersQuery: the person holding it in the
// newest snapshot that has it, as every report resolves it).
func (s *Store) PersonCompletions(ctx context.Context, emp string) ([]HeldCompletion, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`WITH owners AS (`+
		emailOwnersQuery(`AND email_key IN (SELECT email FROM assignments WHERE employee_number = ?)`)+`)
		SELECT c.email, c.course, c.completed_on, i.file_name, c.source_row, c.employee_number = '' AS by_email
		FROM completions c JOIN imports i ON i.id = c.import_id
		WHERE c.employee_number = ? OR (c.employee_number = '' AND c.email_key IN (SELECT email FROM owners WHERE employee_number = ?))
		ORDER BY c.completed_on DESC, c.id`), emp, emp, emp)
	if err != nil {
		return nil, s.wrap("read the completions of one person", err)
	}
	defer rows.Close()
	var out []HeldCompletion
	for rows.Next() {
		var h HeldCompletion
		var on day
		if err := rows.Scan(&h.Email, &h.Course, &on, &h.FileName, &h.Row, &h.ByEmail); err != nil {
			return nil, s.wrap("read the completions of one person", err)
		}
		h.EmployeeNumber, h.CompletedOn = emp, on.Time
		out = append(out, h)
	}
	return out, s.wrap("read the completions of one person", rows.Err())
}

// EmployeeNumbers lists every employee number in any snapshot.
func (s *Store) EmployeeNumbers(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.SelectContext(ctx, &out, `SELECT DISTINCT employee_number FROM assignments`)
	return out, s.wrap("list employee numbers", err)
}
