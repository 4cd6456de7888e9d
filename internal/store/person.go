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
// belongs to them (see email_owners.go: the person holding it in the
// newest snapshot that has it, as every report resolves it).
func (s *Store) PersonCompletions(ctx context.Context, emp string) ([]HeldCompletion, error) {
	// The person's emails, then those of them that are theirs, as values:
	// looked up by index, where a subquery had the database read every
	// completion keyed by email.
	held, err := s.emailsOf(ctx, []string{emp})
	if err != nil {
		return nil, err
	}
	owners, err := s.ownersOf(ctx, held)
	if err != nil {
		return nil, err
	}
	q := `SELECT c.email, c.course, c.completed_on, i.file_name, c.source_row, c.employee_number = '' AS by_email, c.id
		FROM completions c JOIN imports i ON i.id = c.import_id WHERE c.employee_number = ?`
	args := []any{emp}
	var mine []any
	for _, e := range held {
		if owners[e] == emp {
			mine = append(mine, e)
		}
	}
	if len(mine) > 0 {
		q += ` UNION ALL SELECT c.email, c.course, c.completed_on, i.file_name, c.source_row, c.employee_number = '' AS by_email, c.id
		FROM completions c JOIN imports i ON i.id = c.import_id WHERE c.employee_number = '' AND c.email_key IN (` + marks(len(mine)) + `)`
		args = append(args, mine...)
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT email, course, completed_on, file_name, source_row, by_email FROM (`+q+`) c
		ORDER BY completed_on DESC, id`), args...)
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
	err := s.db.SelectContext(ctx, &out, `SELECT employee_number FROM staff_numbers`)
	return out, s.wrap("list employee numbers", err)
}
