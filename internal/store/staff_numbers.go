package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// staff_numbers holds every employee number, as written, that any staff
// snapshot held names (migration 0016): who is "in a staff extract" for
// the quality report's completions naming nobody, for a completions
// import keeping such rows, and for exemptions naming nobody. Reading it
// replaces a distinct pass over every assignment of every snapshot.

// keepStaffNumbers adds the snapshot's employee numbers.
func (s *Store) keepStaffNumbers(ctx context.Context, tx *sqlx.Tx, snapshotID int64) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO staff_numbers (employee_number)
		SELECT DISTINCT employee_number FROM assignments WHERE snapshot_id = ?
		ON CONFLICT (employee_number) DO NOTHING`), snapshotID)
	return s.wrap("keep the snapshot's employee numbers", err)
}

// pruneStaffNumbers drops the numbers no snapshot holds any longer, after
// a snapshot was replaced or purged.
func (s *Store) pruneStaffNumbers(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM staff_numbers
		WHERE NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_number = staff_numbers.employee_number)`)
	return s.wrap("drop the employee numbers of a deleted snapshot", err)
}
