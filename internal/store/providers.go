package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// ProviderReturn is one quarterly return accepted from a provider
// (commissioner mode). Every version is kept: a corrected resubmission is
// a new ProviderReturn, and the one it replaces records when and by which.
type ProviderReturn struct {
	ID           int64
	ProviderCode string // upper case
	ProviderName string // as the file gives it
	Quarter      string // canonical, "2026-27Q2"
	FileName     string
	SHA256       string
	Format       string // "csv", "xlsx" or "template"
	ReceivedAt   time.Time
	CollatedAt   time.Time

	// The TOTAL row's figures.
	Organisations int // organisation rows above TOTAL
	Headcount     int
	Basic         compliance.Tally
	Level3        compliance.Tally
	FaceToFace    compliance.Tally
	AllCompliant  int
	// Table is the whole table as accepted, as the return's CSV.
	Table string

	ReplacedAt time.Time // zero while this is the current return
	ReplacedBy int64
}

// Current reports whether r is the return in use for its provider and
// quarter.
func (r ProviderReturn) Current() bool { return r.ReplacedAt.IsZero() }

// Level is the TOTAL row's tally for a level.
func (r ProviderReturn) Level(l compliance.Level) compliance.Tally {
	switch l {
	case compliance.Basic:
		return r.Basic
	case compliance.Level3:
		return r.Level3
	case compliance.FaceToFace:
		return r.FaceToFace
	}
	return compliance.Tally{}
}

// What SaveProviderReturn did.
const (
	ReturnNew       = "new"       // the first return held for its provider and quarter
	ReturnReplaced  = "replaced"  // it replaced the return held, which is kept as history
	ReturnUnchanged = "unchanged" // the same content was already held: nothing changed
	ReturnOlder     = "older"     // received before the return held: kept as history, not used
)

// SavedReturn is the outcome of SaveProviderReturn.
type SavedReturn struct {
	Outcome  string         // ReturnNew, ReturnReplaced, ReturnUnchanged or ReturnOlder
	Return   ProviderReturn // as stored (for ReturnUnchanged, the row already held)
	Previous ProviderReturn // the return it replaced, or that replaces it (ID 0 if none)
}

type providerReturnRow struct {
	ID                  int64         `db:"id"`
	ProviderCode        string        `db:"provider_code"`
	ProviderName        string        `db:"provider_name"`
	Quarter             string        `db:"quarter"`
	FileName            string        `db:"file_name"`
	SHA256              string        `db:"file_sha256"`
	Format              string        `db:"format"`
	ReceivedAt          instant       `db:"received_at"`
	CollatedAt          instant       `db:"collated_at"`
	Organisations       int           `db:"organisations"`
	Headcount           int           `db:"headcount"`
	BasicRequired       int           `db:"basic_required"`
	BasicCompliant      int           `db:"basic_compliant"`
	Level3Required      int           `db:"level3_required"`
	Level3Compliant     int           `db:"level3_compliant"`
	FaceToFaceRequired  int           `db:"face_to_face_required"`
	FaceToFaceCompliant int           `db:"face_to_face_compliant"`
	AllCompliant        int           `db:"all_compliant"`
	Table               string        `db:"table_csv"`
	ReplacedAt          instant       `db:"replaced_at"`
	ReplacedBy          sql.NullInt64 `db:"replaced_by"`
}

const providerReturnColumns = `id, provider_code, provider_name, quarter, file_name, file_sha256, format,
	received_at, collated_at, organisations, headcount, basic_required, basic_compliant,
	level3_required, level3_compliant, face_to_face_required, face_to_face_compliant,
	all_compliant, table_csv, replaced_at, replaced_by`

func (r providerReturnRow) ProviderReturn() ProviderReturn {
	return ProviderReturn{ID: r.ID, ProviderCode: r.ProviderCode, ProviderName: r.ProviderName, Quarter: r.Quarter,
		FileName: r.FileName, SHA256: r.SHA256, Format: r.Format, ReceivedAt: r.ReceivedAt.Time, CollatedAt: r.CollatedAt.Time,
		Organisations: r.Organisations, Headcount: r.Headcount,
		Basic:        compliance.Tally{Required: r.BasicRequired, Compliant: r.BasicCompliant},
		Level3:       compliance.Tally{Required: r.Level3Required, Compliant: r.Level3Compliant},
		FaceToFace:   compliance.Tally{Required: r.FaceToFaceRequired, Compliant: r.FaceToFaceCompliant},
		AllCompliant: r.AllCompliant, Table: r.Table, ReplacedAt: r.ReplacedAt.Time, ReplacedBy: r.ReplacedBy.Int64}
}

// SaveProviderReturn stores a return accepted from a provider, in one
// transaction. The newest received return for a provider and quarter is
// the one used: a return received later replaces the one held, which is
// kept with when and by which it was replaced; one received earlier than
// the one held is kept as history, already replaced. The same content
// (SHA-256) for the same provider and quarter is stored once.
func (s *Store) SaveProviderReturn(ctx context.Context, r ProviderReturn) (SavedReturn, error) {
	r.ProviderCode = strings.ToUpper(strings.TrimSpace(r.ProviderCode))
	what := fmt.Sprintf("record the %s return of %s from %s", r.Quarter, r.ProviderCode, r.FileName)
	switch {
	case r.ProviderCode == "":
		return SavedReturn{}, fmt.Errorf("%s: no provider code", what)
	case r.Quarter == "":
		return SavedReturn{}, fmt.Errorf("%s: no quarter", what)
	case r.SHA256 == "":
		return SavedReturn{}, fmt.Errorf("%s: no content hash", what)
	}
	if r.CollatedAt.IsZero() {
		r.CollatedAt = time.Now()
	}
	var out SavedReturn
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Two collations of the same provider's quarter at once must not
		// both take it as current. SQLite runs one write transaction at a
		// time (BEGIN IMMEDIATE); PostgreSQL locks this provider's quarter.
		if s.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, providerReturnLock(r.ProviderCode, r.Quarter)); err != nil {
				return s.wrap(what, err)
			}
		}
		held, err := s.providerReturnsWhere(ctx, tx, `provider_code = ? AND quarter = ? AND file_sha256 = ?`, byProvider, r.ProviderCode, r.Quarter, r.SHA256)
		if err != nil {
			return s.wrap(what, err)
		}
		if len(held) > 0 {
			out = SavedReturn{Outcome: ReturnUnchanged, Return: held[0]}
			return nil
		}
		current, err := s.providerReturnsWhere(ctx, tx, `provider_code = ? AND quarter = ? AND replaced_at IS NULL`, byProvider, r.ProviderCode, r.Quarter)
		if err != nil {
			return s.wrap(what, err)
		}
		now := s.instantArg(r.CollatedAt)
		switch {
		case len(current) == 0:
			out.Outcome = ReturnNew
		case r.ReceivedAt.Before(current[0].ReceivedAt):
			out.Outcome, out.Previous = ReturnOlder, current[0]
			r.ReplacedAt, r.ReplacedBy = r.CollatedAt, current[0].ID
		default:
			out.Outcome, out.Previous = ReturnReplaced, current[0]
			// Retire the one held first: only one may be current.
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE provider_returns SET replaced_at = ? WHERE id = ?`), now, current[0].ID); err != nil {
				return s.wrap(what, err)
			}
		}
		if r.ID, err = s.insertProviderReturn(ctx, tx, r); err != nil {
			return s.wrap(what, err)
		}
		if out.Outcome == ReturnReplaced {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE provider_returns SET replaced_by = ? WHERE id = ?`), r.ID, current[0].ID); err != nil {
				return s.wrap(what, err)
			}
			out.Previous.ReplacedAt, out.Previous.ReplacedBy = r.CollatedAt, r.ID
		}
		stored, err := s.providerReturnsWhere(ctx, tx, `id = ?`, byProvider, r.ID)
		if err != nil {
			return s.wrap(what, err)
		}
		out.Return = stored[0]
		return nil
	})
	if err != nil {
		return SavedReturn{}, err
	}
	return out, nil
}

func (s *Store) insertProviderReturn(ctx context.Context, tx *sqlx.Tx, r ProviderReturn) (int64, error) {
	var replacedAt, replacedBy any
	if !r.ReplacedAt.IsZero() {
		replacedAt, replacedBy = s.instantArg(r.ReplacedAt), r.ReplacedBy
	}
	var id int64
	err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO provider_returns
		(provider_code, provider_name, quarter, file_name, file_sha256, format, received_at, collated_at,
		 organisations, headcount, basic_required, basic_compliant, level3_required, level3_compliant,
		 face_to_face_required, face_to_face_compliant, all_compliant, table_csv, replaced_at, replaced_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.ProviderCode, r.ProviderName, r.Quarter, r.FileName, r.SHA256, r.Format,
		s.instantArg(r.ReceivedAt), s.instantArg(r.CollatedAt), r.Organisations, r.Headcount,
		r.Basic.Required, r.Basic.Compliant, r.Level3.Required, r.Level3.Compliant,
		r.FaceToFace.Required, r.FaceToFace.Compliant, r.AllCompliant, r.Table, replacedAt, replacedBy).Scan(&id)
	return id, err
}

// byProvider orders returns by provider code, then as received.
const byProvider = `provider_code, received_at, id`

func (s *Store) providerReturnsWhere(ctx context.Context, q sqlx.QueryerContext, where, order string, args ...any) ([]ProviderReturn, error) {
	var rows []providerReturnRow
	err := sqlx.SelectContext(ctx, q, &rows, s.db.Rebind(`SELECT `+providerReturnColumns+` FROM provider_returns
		WHERE `+where+` ORDER BY `+order), args...)
	if err != nil {
		return nil, err
	}
	out := make([]ProviderReturn, len(rows))
	for i, r := range rows {
		out[i] = r.ProviderReturn()
	}
	return out, nil
}

// ProviderReturns lists every return accepted for a quarter, current and
// replaced, by provider code and then in the order received.
func (s *Store) ProviderReturns(ctx context.Context, quarter string) ([]ProviderReturn, error) {
	list, err := s.providerReturnsWhere(ctx, s.db, `quarter = ?`, byProvider, quarter)
	return list, s.wrap("list the providers' returns for "+quarter, err)
}

// ProviderQuarters lists the quarters for which any provider's return was
// accepted or refused, newest first.
func (s *Store) ProviderQuarters(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.SelectContext(ctx, &out, `SELECT quarter FROM provider_returns
		UNION SELECT quarter FROM provider_rejections WHERE quarter <> ''
		ORDER BY quarter DESC`)
	return out, s.wrap("list the quarters of the providers' returns", err)
}

// ProviderReturnHistory lists every return accepted from one provider, for
// every quarter, oldest quarter first and then in the order received.
func (s *Store) ProviderReturnHistory(ctx context.Context, providerCode string) ([]ProviderReturn, error) {
	code := strings.ToUpper(strings.TrimSpace(providerCode))
	list, err := s.providerReturnsWhere(ctx, s.db, `provider_code = ?`, `quarter, received_at, id`, code)
	return list, s.wrap("list the returns of "+code, err)
}

// providerReturnLock is the PostgreSQL advisory lock key for one
// provider's quarter.
func providerReturnLock(code, quarter string) int64 {
	return advisoryKey("provider_return", code, quarter)
}

// ProviderRejection is a provider's return file that was refused, and why.
// It is never used for figures.
type ProviderRejection struct {
	ID           int64
	FileName     string
	SHA256       string
	ProviderCode string // when the file names one
	Quarter      string // the file's, else the quarter being collated
	ReceivedAt   time.Time
	CollatedAt   time.Time
	Row          int    // of the first problem; 0 for the whole file
	Column       string // of the first problem
	Reason       string // the first problem
	Detail       string // every problem, one a line
}

type providerRejectionRow struct {
	ID           int64   `db:"id"`
	FileName     string  `db:"file_name"`
	SHA256       string  `db:"file_sha256"`
	ProviderCode string  `db:"provider_code"`
	Quarter      string  `db:"quarter"`
	ReceivedAt   instant `db:"received_at"`
	CollatedAt   instant `db:"collated_at"`
	Row          int     `db:"row_no"`
	Column       string  `db:"column_name"`
	Reason       string  `db:"reason"`
	Detail       string  `db:"detail"`
}

// RecordProviderRejection stores a refused file. The same content refused
// for the same quarter and reason is stored once; new reports whether this
// call stored it.
func (s *Store) RecordProviderRejection(ctx context.Context, r ProviderRejection) (new bool, err error) {
	what := "record the rejection of " + r.FileName
	if strings.TrimSpace(r.Reason) == "" || r.SHA256 == "" {
		return false, fmt.Errorf("%s: no reason or content hash given", what)
	}
	if r.CollatedAt.IsZero() {
		r.CollatedAt = time.Now()
	}
	n, err := s.update(ctx, `INSERT INTO provider_rejections
		(file_name, file_sha256, provider_code, quarter, received_at, collated_at, row_no, column_name, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (file_sha256, quarter, reason) DO NOTHING`,
		r.FileName, r.SHA256, strings.ToUpper(strings.TrimSpace(r.ProviderCode)), r.Quarter,
		s.instantArg(r.ReceivedAt), s.instantArg(r.CollatedAt), r.Row, r.Column,
		truncate(strings.TrimSpace(r.Reason), maxDeliveryError), r.Detail)
	if err != nil {
		return false, s.wrap(what, err)
	}
	return n == 1, nil
}

// ProviderRejections lists the files refused for a quarter (every quarter
// when quarter is ""), in the order received.
func (s *Store) ProviderRejections(ctx context.Context, quarter string) ([]ProviderRejection, error) {
	q := `SELECT id, file_name, file_sha256, provider_code, quarter, received_at, collated_at,
		row_no, column_name, reason, detail FROM provider_rejections`
	var args []any
	if quarter != "" {
		q += ` WHERE quarter = ?`
		args = append(args, quarter)
	}
	var rows []providerRejectionRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q+` ORDER BY received_at, id`), args...); err != nil {
		return nil, s.wrap("list the rejected returns", err)
	}
	out := make([]ProviderRejection, len(rows))
	for i, r := range rows {
		out[i] = ProviderRejection{ID: r.ID, FileName: r.FileName, SHA256: r.SHA256, ProviderCode: r.ProviderCode,
			Quarter: r.Quarter, ReceivedAt: r.ReceivedAt.Time, CollatedAt: r.CollatedAt.Time, Row: r.Row,
			Column: r.Column, Reason: r.Reason, Detail: r.Detail}
	}
	return out, nil
}
