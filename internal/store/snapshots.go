package store

import (
	"context"
	"database/sql"
	"errors"
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
	(SELECT COUNT(DISTINCT a.employee_number) FROM assignments a WHERE a.snapshot_id = s.id) AS people
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

type assignmentRow struct {
	Row                int    `db:"row_no"`
	EmployeeNumber     string `db:"employee_number"`
	AssignmentNumber   string `db:"assignment_number"`
	Name               string `db:"name"`
	Organisation       string `db:"organisation"`
	StaffGroup         string `db:"staff_group"`
	OccupationCode     string `db:"occupation_code"`
	JobRole            string `db:"job_role"`
	PositionTitle      string `db:"position_title"`
	AssignmentCategory string `db:"assignment_category"`
	AssignmentStatus   string `db:"assignment_status"`
	Primary            bool   `db:"is_primary"`
	Email              string `db:"email"`
	ManagerEmail       string `db:"manager_email"`
}

// Assignments returns a snapshot's assignments in file order.
func (s *Store) Assignments(ctx context.Context, snapshotID int64) ([]compliance.Assignment, error) {
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(`SELECT row_no, employee_number, assignment_number, name,
		organisation, staff_group, occupation_code, job_role, position_title, assignment_category,
		assignment_status, is_primary, email, manager_email
		FROM assignments WHERE snapshot_id = ? ORDER BY row_no, id`), snapshotID)
	if err != nil {
		return nil, s.wrap("read staff snapshot", err)
	}
	defer rows.Close()
	var out []compliance.Assignment
	// The values a snapshot repeats (organisations, staff groups, job
	// roles, ...) are shared rather than held once per assignment, which
	// for a national snapshot of millions of rows is most of its memory.
	in := make(interner)
	var raw [12]sql.RawBytes
	for rows.Next() {
		var a compliance.Assignment
		if err := rows.Scan(&a.Row, &raw[0], &raw[1], &raw[2], &raw[3], &raw[4], &raw[5], &raw[6], &raw[7],
			&raw[8], &raw[9], &a.Primary, &raw[10], &raw[11]); err != nil {
			return nil, s.wrap("read staff snapshot", err)
		}
		a.EmployeeNumber, a.AssignmentNumber, a.Name = string(raw[0]), string(raw[1]), string(raw[2])
		a.Organisation, a.StaffGroup, a.OccupationCode = in.get(raw[3]), in.get(raw[4]), in.get(raw[5])
		a.JobRole, a.PositionTitle, a.AssignmentCategory = in.get(raw[6]), in.get(raw[7]), in.get(raw[8])
		a.AssignmentStatus, a.Email, a.ManagerEmail = in.get(raw[9]), string(raw[10]), in.get(raw[11])
		out = append(out, a)
	}
	return out, s.wrap("read staff snapshot", rows.Err())
}

// interner shares equal strings.
type interner map[string]string

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}
