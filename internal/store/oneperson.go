package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// PersonTraining is Latest for one person: for each group of courses, the
// latest completion dated on or before an as-of date of the person with an
// employee number, read from the store by index rather than from every
// completion held. It is a compliance.TrainingSource that knows that
// person only.
type PersonTraining struct {
	key      string // compliance.EmployeeKey of the person's number
	training []compliance.Training
}

// Training appends the person's training to buf when employeeNumber is
// theirs (as compliance.EmployeeKey matches numbers).
func (p *PersonTraining) Training(employeeNumber string, buf []compliance.Training) []compliance.Training {
	if p == nil || compliance.EmployeeKey(employeeNumber) != p.key {
		return buf
	}
	return append(buf, p.training...)
}

// paddedUpTo is how long an employee number padded with leading zeros is
// looked for: a completion keyed by "00012345" counts for 12345, and the
// one-person reads find such numbers by index, each length a lookup.
const paddedUpTo = 32

// employeeSpellings lists the employee numbers as written that
// compliance.EmployeeKey matches with emp: the number itself, and for an
// all-digit one the same digits with leading zeros, up to paddedUpTo
// characters.
func employeeSpellings(emp string) (key string, spellings []string) {
	key = compliance.EmployeeKey(emp)
	if key == "" {
		return "", nil
	}
	spellings = []string{key}
	if strings.Trim(key, "0123456789") != "" {
		return key, spellings // not all digits: matched as written
	}
	for n := len(key) + 1; n <= paddedUpTo; n++ {
		spellings = append(spellings, strings.Repeat("0", n-len(key))+key)
	}
	return key, spellings
}

// LatestOf is LatestFor for the one person with this employee number:
// their latest completion per group on or before asOf, by number (leading
// zeros aside) and by the emails that are theirs (each email's owner as
// email_owners keeps it, as every report resolves it), of the two
// on the same latest day the one imported first. It reads only the
// person's rows, by index.
func (s *Store) LatestOf(ctx context.Context, asOf time.Time, groups map[string]int, emp string) (*PersonTraining, error) {
	key, spellings := employeeSpellings(emp)
	p := &PersonTraining{key: key}
	if key == "" || len(groups) == 0 {
		return p, nil
	}
	numbers := make([]any, len(spellings))
	for i, sp := range spellings {
		numbers[i] = sp
	}
	// The emails the person holds in any snapshot that are theirs: held
	// by nobody else in a newer snapshot.
	held, err := s.emailsOf(ctx, spellings)
	if err != nil {
		return nil, err
	}
	owners, err := s.ownersOf(ctx, held)
	if err != nil {
		return nil, err
	}
	var emails []any
	for _, e := range held {
		if owner, ok := owners[e]; ok && string(employeeKey([]byte(owner))) == key {
			emails = append(emails, e)
		}
	}
	onExpr := "completed_on"
	if s.dialect == Postgres {
		onExpr = "completed_on - DATE '1900-01-01'"
	}
	sel := `SELECT id, course, course_key, ` + onExpr + ` FROM completions WHERE completed_on <= ? AND `
	q := sel + `employee_number IN (` + marks(len(spellings)) + `)`
	args := append([]any{dayArg(asOf)}, numbers...)
	if len(emails) > 0 {
		q += ` UNION ALL ` + sel + `employee_number = '' AND email_key IN (` + marks(len(emails)) + `)`
		args = append(append(args, dayArg(asOf)), emails...)
	}
	type pick struct {
		id     int64
		on     int32
		course string
	}
	latest := map[int]*pick{}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, s.wrap("read one person's latest completions", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id                int64
			course, courseKey string
			on                []byte
		)
		if err := rows.Scan(&id, &course, &courseKey, &on); err != nil {
			return nil, s.wrap("read one person's latest completions", err)
		}
		g, ok := groups[courseKey]
		if !ok || g < 0 {
			continue
		}
		days, err := dayNumber(on)
		if err != nil {
			return nil, s.wrap("read one person's latest completions", err)
		}
		// As LatestFor keeps a slot: the latest day, of two on the same
		// day the one imported first.
		if cur := latest[g]; cur == nil || days > cur.on || days == cur.on && id < cur.id {
			latest[g] = &pick{id: id, on: days, course: course}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("read one person's latest completions", err)
	}
	// In import order, as the engine meets them in a whole workforce.
	order := make([]int, 0, len(latest))
	for g := range latest {
		order = append(order, g)
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(latest[a].id, latest[b].id) })
	for _, g := range order {
		pk := latest[g]
		p.training = append(p.training, compliance.Training{Level: compliance.Level(g), Course: pk.course, CompletedOn: dayTime(pk.on)})
	}
	return p, nil
}

// marks is n placeholders for an IN list.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// emailsOf lists the emails held by the employee numbers in any snapshot.
func (s *Store) emailsOf(ctx context.Context, numbers []string) ([]string, error) {
	if len(numbers) == 0 {
		return nil, nil
	}
	args := make([]any, len(numbers))
	for i, n := range numbers {
		args[i] = n
	}
	var out []string
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT DISTINCT email FROM assignments
		WHERE email <> '' AND employee_number IN (`+marks(len(numbers))+`) ORDER BY email`), args...)
	return out, s.wrap("read one person's emails", err)
}

// ownersOf is the owner (employee number as written) of each of the
// emails held, as email_owners keeps them.
func (s *Store) ownersOf(ctx context.Context, emails []string) (map[string]string, error) {
	owners := map[string]string{}
	if len(emails) == 0 {
		return owners, nil
	}
	args := make([]any, len(emails))
	for i, e := range emails {
		args[i] = e
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT email, employee_number FROM email_owners WHERE email IN (`+marks(len(emails))+`)`), args...)
	if err != nil {
		return nil, s.wrap("match one person's completions by email", err)
	}
	defer rows.Close()
	for rows.Next() {
		var email, owner string
		if err := rows.Scan(&email, &owner); err != nil {
			return nil, s.wrap("match one person's completions by email", err)
		}
		owners[email] = owner
	}
	return owners, s.wrap("match one person's completions by email", rows.Err())
}
