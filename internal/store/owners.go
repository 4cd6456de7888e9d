package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// The owner of an email (see emailOwnersQuery) is found in two steps, each
// giving what the ranking over every snapshot would: first in the newest
// snapshot, read once, then, for the emails it does not hold, by email
// over the others. With monthly snapshots a national workforce's emails
// are each held a dozen times or more, and ranking every holding of
// hundreds of thousands of emails cost more than all the rest of a report.

// newestEmailOwners gives the owner in the newest snapshot of each email
// that keys a completion meeting cond ("AND ...", with its arguments): of
// its assignments there, the first in file order.
func (s *Store) newestEmailOwners(ctx context.Context, cond string, args ...any) (map[string][]byte, error) {
	owners := make(map[string][]byte)
	var newest int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM snapshots ORDER BY effective_date DESC LIMIT 1`).Scan(&newest)
	if errors.Is(err, sql.ErrNoRows) {
		return owners, nil
	}
	if err != nil {
		return nil, s.wrap("match completions by email", err)
	}
	// The snapshot's rows joined with the emails wanted in one pass: the
	// emails' index would be probed once per email (the planner expects
	// a few thousand of them) and fetch every holding in every snapshot.
	// Comparing a.email || '' keeps that index out of it. (Compiling the
	// query, as PostgreSQL would for its cost, took it a second.)
	rows, end, err := s.querySnapshotWith(ctx, []string{"jit = off"}, `SELECT a.email, a.employee_number, a.row_no, a.id
		FROM assignments a
		WHERE a.snapshot_id = ? AND a.email || '' IN (
			SELECT email_key FROM completions WHERE employee_number = '' AND email_key <> '' `+cond+`)`,
		append([]any{newest}, args...)...)
	if err != nil {
		return nil, s.wrap("match completions by email", err)
	}
	defer end()
	defer rows.Close()
	type first struct{ row, id int64 }
	firsts := make(map[string]first)
	var (
		email string
		emp   []byte
		at    first
	)
	for rows.Next() {
		if err := rows.Scan(&email, &emp, &at.row, &at.id); err != nil {
			return nil, s.wrap("match completions by email", err)
		}
		if f, ok := firsts[email]; ok && (f.row < at.row || f.row == at.row && f.id < at.id) {
			continue
		}
		firsts[email] = at
		owners[email] = emp
	}
	return owners, s.wrap("match completions by email", rows.Err())
}

// moreEmailOwners adds to owners the owners of the emails it lacks, by
// the ranking over every snapshot (emailOwnersQuery), a batch of emails at
// a time.
func (s *Store) moreEmailOwners(ctx context.Context, owners map[string][]byte, emails []string) error {
	var missing []string
	for _, e := range emails {
		if _, ok := owners[e]; !ok {
			missing = append(missing, e)
		}
	}
	const batch = 500
	for len(missing) > 0 {
		n := min(batch, len(missing))
		args := make([]any, n)
		for i, e := range missing[:n] {
			args[i] = e
		}
		missing = missing[n:]
		rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT email, employee_number FROM (
			SELECT a.email, a.employee_number, ROW_NUMBER() OVER (
				PARTITION BY a.email ORDER BY s.effective_date DESC, a.row_no, a.id) AS pick
			FROM assignments a JOIN snapshots s ON s.id = a.snapshot_id
			WHERE a.email IN (`+strings.TrimSuffix(strings.Repeat("?, ", n), ", ")+`)
		) ranked WHERE pick = 1`), args...)
		if err != nil {
			return s.wrap("match completions by email", err)
		}
		for rows.Next() {
			var email string
			var emp []byte
			if err := rows.Scan(&email, &emp); err != nil {
				rows.Close()
				return s.wrap("match completions by email", err)
			}
			owners[email] = emp
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.wrap("match completions by email", err)
		}
	}
	return nil
}
