package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// ExemptionImport is an exemptions file being imported, in one
// transaction. Each row is kept by (employee, From): a row with the pair
// of an earlier one, in this file or an earlier import, replaces it.
type ExemptionImport struct {
	importTx
	replaced int
}

// BeginExemptionImport starts importing an exemptions file.
func (s *Store) BeginExemptionImport(ctx context.Context, imp Import) (*ExemptionImport, error) {
	imp.Kind = KindExemptions
	imp.EffectiveDate = time.Time{}
	t, err := s.begin(ctx, imp)
	if err != nil {
		return nil, err
	}
	return &ExemptionImport{importTx: *t}, nil
}

// Add stores one exemption from the given row of the file. A zero Until
// is open-ended.
func (t *ExemptionImport) Add(e compliance.Exemption, row int) error {
	if err := t.check(); err != nil {
		return err
	}
	emp := strings.TrimSpace(e.EmployeeNumber)
	if emp == "" || e.From.IsZero() {
		return fmt.Errorf("exemptions file %s row %d: no employee number or From date", t.imp.FileName, row)
	}
	key := compliance.EmployeeKey(emp)
	var until any
	if !e.Until.IsZero() {
		until = dayArg(e.Until)
	}
	var held int
	if err := t.tx.QueryRowContext(t.ctx, t.tx.Rebind(`SELECT COUNT(*) FROM exemptions WHERE employee_key = ? AND from_date = ?`),
		key, dayArg(e.From)).Scan(&held); err != nil {
		return t.s.wrap("import of "+t.imp.FileName, err)
	}
	_, err := t.tx.ExecContext(t.ctx, t.tx.Rebind(`INSERT INTO exemptions
		(import_id, source_row, employee_number, employee_key, reason, from_date, until_date)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (employee_key, from_date) DO UPDATE SET import_id = excluded.import_id,
		source_row = excluded.source_row, employee_number = excluded.employee_number,
		reason = excluded.reason, until_date = excluded.until_date`),
		t.imp.ID, row, emp, key, strings.TrimSpace(e.Reason), dayArg(e.From), until)
	if err != nil {
		return fmt.Errorf("exemptions file %s row %d: %w", t.imp.FileName, row, t.s.wrap("store exemption", err))
	}
	if held > 0 {
		t.replaced++
	} else {
		t.imp.RowsImported++
	}
	return nil
}

// Commit records the counts (RowsDuplicate counts the rows that replaced
// an exemption held for the same employee and From) and commits.
func (t *ExemptionImport) Commit(rowsRead, rowsRejected int, errs []RowError) (Import, error) {
	if err := t.check(); err != nil {
		return Import{}, err
	}
	t.imp.RowsDuplicate = t.replaced
	t.imp.RowsRead, t.imp.RowsRejected = rowsRead, rowsRejected
	return t.commit(errs)
}

// Rollback abandons the import: nothing of it is kept.
func (t *ExemptionImport) Rollback() error { return t.rollback(nil) }

// HeldExemption is an exemption as held, with where it came from.
type HeldExemption struct {
	compliance.Exemption
	FileName string
	Row      int
}

type exemptionRow struct {
	EmployeeNumber string `db:"employee_number"`
	Reason         string `db:"reason"`
	From           day    `db:"from_date"`
	Until          day    `db:"until_date"`
	FileName       string `db:"file_name"`
	Row            int    `db:"source_row"`
}

// Exemptions lists the exemptions held, by employee number then From.
// With asOf non-zero, only those covering that day.
func (s *Store) Exemptions(ctx context.Context, asOf time.Time) ([]HeldExemption, error) {
	return s.exemptions(ctx, asOf, "")
}

// exemptions is Exemptions, of the person with the employee key only when
// key is not "".
func (s *Store) exemptions(ctx context.Context, asOf time.Time, key string) ([]HeldExemption, error) {
	q := `SELECT e.employee_number, e.reason, e.from_date, e.until_date, i.file_name, e.source_row
		FROM exemptions e JOIN imports i ON i.id = e.import_id WHERE 1 = 1`
	var args []any
	if !asOf.IsZero() {
		q += ` AND e.from_date <= ? AND (e.until_date IS NULL OR e.until_date >= ?)`
		args = append(args, dayArg(asOf), dayArg(asOf))
	}
	if key != "" {
		q += ` AND e.employee_key = ?`
		args = append(args, key)
	}
	q += ` ORDER BY e.employee_number, e.from_date`
	var rows []exemptionRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, s.wrap("list exemptions", err)
	}
	out := make([]HeldExemption, len(rows))
	for i, r := range rows {
		out[i] = HeldExemption{Exemption: compliance.Exemption{EmployeeNumber: r.EmployeeNumber, Reason: r.Reason,
			From: r.From.Time, Until: r.Until.Time}, FileName: r.FileName, Row: r.Row}
	}
	return out, nil
}

// ExemptionsAsOf returns the exemptions that could cover asOf, indexed
// for the engine.
func (s *Store) ExemptionsAsOf(ctx context.Context, asOf time.Time) (*compliance.Exemptions, error) {
	return s.exemptionsAsOf(ctx, asOf, "")
}

// ExemptionsOf is ExemptionsAsOf for one person: the exemptions held for
// the employee number (matched as compliance.EmployeeKey matches numbers)
// that could cover asOf.
func (s *Store) ExemptionsOf(ctx context.Context, asOf time.Time, emp string) (*compliance.Exemptions, error) {
	key := compliance.EmployeeKey(emp)
	if key == "" {
		return compliance.NewExemptions(nil), nil
	}
	return s.exemptionsAsOf(ctx, asOf, key)
}

func (s *Store) exemptionsAsOf(ctx context.Context, asOf time.Time, key string) (*compliance.Exemptions, error) {
	held, err := s.exemptions(ctx, asOf, key)
	if err != nil {
		return nil, err
	}
	list := make([]compliance.Exemption, len(held))
	for i, h := range held {
		list[i] = h.Exemption
	}
	return compliance.NewExemptions(list), nil
}

// HasExemptions reports whether any exemption has been imported.
func (s *Store) HasExemptions(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM exemptions LIMIT 1) x`).Scan(&n)
	return n > 0, s.wrap("look for exemptions", err)
}

// UnknownExemptions lists the exemptions whose employee number is in no
// staff snapshot (kept: the person may appear in a later extract).
func (s *Store) UnknownExemptions(ctx context.Context) ([]HeldExemption, error) {
	held, err := s.Exemptions(ctx, time.Time{})
	if err != nil || len(held) == 0 {
		return nil, err
	}
	known, err := s.KnownStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out []HeldExemption
	for _, h := range held {
		if !known.Names(h.EmployeeNumber, "") {
			out = append(out, h)
		}
	}
	return out, nil
}
