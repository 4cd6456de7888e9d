package store

import (
	"context"
)

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
