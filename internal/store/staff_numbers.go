package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// staff_numbers holds every employee number, as written, that a staff
// extract imported has named (migration 0016): who is "in a staff extract"
// for the quality report's completions naming nobody, for a completions
// import keeping such rows, and for exemptions naming nobody. Reading it
// replaces a distinct pass over every assignment of every snapshot. It only
// grows: a number in a snapshot since replaced by a corrected extract, or
// purged, was named by an extract all the same, and a completion naming
// that person does not come to name nobody.

// keepStaffNumbers adds the snapshot's employee numbers.
func (s *Store) keepStaffNumbers(ctx context.Context, tx *sqlx.Tx, snapshotID int64) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO staff_numbers (employee_number)
		SELECT DISTINCT employee_number FROM assignments WHERE snapshot_id = ?
		ON CONFLICT (employee_number) DO NOTHING`), snapshotID)
	return s.wrap("keep the snapshot's employee numbers", err)
}
