package store

import (
	"context"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// The owner of an email is the person holding it in the newest snapshot
// that has it, the first such row in file order should a snapshot repeat
// it: a completion keyed by email counts for them. The table email_owners
// keeps each email's owner as staff extracts are imported (migration
// 0015), so that reports look owners up rather than rank every holding of
// every email over every snapshot, which with monthly snapshots of a
// national workforce cost the database more than the rest of a report.
//
// Two things change owners: a new snapshot (its holders win where it is
// the newest holding) and a snapshot replaced by a corrected extract (the
// emails it owned are ranked again over the snapshots left, within the same
// transaction). A purge of old snapshots changes none: the snapshots it
// keeps are all newer than those it deletes, so an email they hold was
// never owned from a purged one, and an email only purged snapshots held
// keeps the owner it had, so that the completions keyed by it count as
// they did (Purge's promise: no figure from the cut-off on changes).

// staffLockClass is the first key of the PostgreSQL advisory lock that
// staff imports and purges take for their transaction ("stf" + 1), the
// second being the schema's: what is kept of the snapshots (the tables
// here and staff_numbers) is worked out from them all, so two such
// transactions at once could each miss the other's rows. (SQLite writes
// one transaction at a time.)
const staffLockClass = 0x73746631

// lockSnapshots makes the transaction the only one changing staff
// snapshots until it ends.
func (s *Store) lockSnapshots(ctx context.Context, tx *sqlx.Tx) error {
	if s.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, staffLockClass)
	return s.wrap("wait for another staff import", err)
}

// ownerColumns are email_owners' columns, in the order the queries below
// select them.
const ownerColumns = `email, employee_number, snapshot_id, effective_date, row_no, assignment_id`

// rankedHoldings selects, for the emails of the assignments meeting cond
// (a condition on a, the assignment, and s, its snapshot), the holding
// that makes its owner, ranked as email_owners keeps them.
func rankedHoldings(cond string) string {
	return `SELECT ` + ownerColumns + ` FROM (
		SELECT a.email, a.employee_number, a.snapshot_id, s.effective_date, a.row_no, a.id AS assignment_id,
			ROW_NUMBER() OVER (PARTITION BY a.email ORDER BY s.effective_date DESC, a.row_no, a.id) AS pick
		FROM assignments a JOIN snapshots s ON s.id = a.snapshot_id
		WHERE a.email <> '' AND ` + cond + `
	) ranked WHERE pick = 1`
}

// keepEmailOwners makes the holders of the snapshot's emails their owners
// where the snapshot is the newest that holds them. (Two snapshots never
// share an effective date; the order of rows settles a tie all the same.)
func (s *Store) keepEmailOwners(ctx context.Context, tx *sqlx.Tx, snapshotID int64) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO email_owners (`+ownerColumns+`) `+
		rankedHoldings(`a.snapshot_id = ?`)+`
		ON CONFLICT (email) DO UPDATE SET employee_number = excluded.employee_number,
			snapshot_id = excluded.snapshot_id, effective_date = excluded.effective_date,
			row_no = excluded.row_no, assignment_id = excluded.assignment_id
		WHERE excluded.effective_date > email_owners.effective_date
			OR excluded.effective_date = email_owners.effective_date AND (excluded.row_no < email_owners.row_no
				OR excluded.row_no = email_owners.row_no AND excluded.assignment_id < email_owners.assignment_id)`),
		snapshotID)
	return s.wrap("keep the owners of the snapshot's emails", err)
}

// dropEmailOwners forgets the owners found in the snapshots selected by
// snapshots (a query of snapshot ids, with its arguments), which a
// corrected extract is about to replace, and reports whether there were
// any: if so, rankOrphanEmails must follow the deletion.
func (s *Store) dropEmailOwners(ctx context.Context, tx *sqlx.Tx, snapshots string, args ...any) (bool, error) {
	r, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM email_owners WHERE snapshot_id IN (`+snapshots+`)`), args...)
	if err != nil {
		return false, s.wrap("drop the owners of a deleted snapshot's emails", err)
	}
	n, err := r.RowsAffected()
	return n > 0, s.wrap("drop the owners of a deleted snapshot's emails", err)
}

// rankOrphanEmails gives each email still held but owned by nobody (its
// owner's snapshot replaced) its owner over the snapshots left.
func (s *Store) rankOrphanEmails(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO email_owners (`+ownerColumns+`) `+
		rankedHoldings(`NOT EXISTS (SELECT 1 FROM email_owners o WHERE o.email = a.email)`))
	return s.wrap("find the new owners of a deleted snapshot's emails", err)
}

// emailOwnersWhere gives the owner (employee number as written) of each
// email that keys a completion meeting cond ("AND ...", with its
// arguments), as email_owners keeps them; an email nobody holds has none.
func (s *Store) emailOwnersWhere(ctx context.Context, cond string, args ...any) (map[string][]byte, error) {
	owners := make(map[string][]byte)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT o.email, o.employee_number FROM email_owners o
		WHERE o.email IN (SELECT email_key FROM completions WHERE employee_number = '' AND email_key <> '' `+cond+`)`), args...)
	if err != nil {
		return nil, s.wrap("match completions by email", err)
	}
	defer rows.Close()
	var (
		email string
		emp   []byte
	)
	for rows.Next() {
		if err := rows.Scan(&email, &emp); err != nil {
			return nil, s.wrap("match completions by email", err)
		}
		owners[email] = emp
	}
	return owners, s.wrap("match completions by email", rows.Err())
}

// SharedEmail is an email that keys completions and that more than one
// person holds in its owner's snapshot (a ward or team mailbox): the
// completions count for the owner alone, the first holder in file order.
type SharedEmail struct {
	Email string
	// Owner is the employee number the completions count for; Others are
	// the other people holding the email in the same snapshot, in file
	// order.
	Owner       string
	Others      []string
	Effective   time.Time // the owner's snapshot
	Completions int       // keyed by the email
}

// SharedEmails lists the emails that key completions and that more than one
// person (employee number, leading zeros aside) holds in the snapshot that
// makes the owner, by email.
func (s *Store) SharedEmails(ctx context.Context) ([]SharedEmail, error) {
	var rows []struct {
		Email       string `db:"email"`
		Owner       string `db:"owner"`
		Holder      string `db:"holder"`
		Effective   day    `db:"effective_date"`
		Completions int    `db:"completions"`
	}
	// The owners whose snapshot holds their email under another number
	// first, each a look at the index on (email, snapshot_id,
	// employee_number) (migration 0018); then the few of them joined to
	// their holders.
	err := s.db.SelectContext(ctx, &rows, `SELECT o.email, o.employee_number AS owner, a.employee_number AS holder,
			o.effective_date,
			(SELECT COUNT(*) FROM completions c WHERE c.employee_number = '' AND c.email_key = o.email) AS completions
		FROM (
			SELECT w.email, w.employee_number, w.snapshot_id, w.effective_date FROM email_owners w
			WHERE w.email IN (SELECT email_key FROM completions WHERE employee_number = '' AND email_key <> '')
				AND EXISTS (SELECT 1 FROM assignments x
					WHERE x.email = w.email AND x.snapshot_id = w.snapshot_id AND x.employee_number <> w.employee_number)
		) o JOIN assignments a ON a.email = o.email AND a.snapshot_id = o.snapshot_id
		WHERE a.employee_number <> o.employee_number
		ORDER BY o.email, a.row_no, a.id`)
	if err != nil {
		return nil, s.wrap("find emails held by more than one person", err)
	}
	var out []SharedEmail
	for _, r := range rows {
		key := compliance.EmployeeKey(r.Holder)
		if key == compliance.EmployeeKey(r.Owner) {
			continue // the owner, written with other leading zeros
		}
		if n := len(out); n == 0 || out[n-1].Email != r.Email {
			out = append(out, SharedEmail{Email: r.Email, Owner: r.Owner, Effective: r.Effective.Time, Completions: r.Completions})
		}
		e := &out[len(out)-1]
		if !slices.ContainsFunc(e.Others, func(o string) bool { return compliance.EmployeeKey(o) == key }) {
			e.Others = append(e.Others, r.Holder)
		}
	}
	return out, nil
}
