package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
)

// Import kinds.
const (
	KindStaff       = "staff"
	KindCompletions = "completions"
	KindExemptions  = "exemptions"
)

// ErrAlreadyImported is returned when an import begins for file content
// (SHA-256) already imported, as when another process imported the same
// file between ImportByHash and the Begin.
var ErrAlreadyImported = errors.New("the same file content is already imported")

// Import is one file imported: the imports log.
type Import struct {
	ID            int64
	Kind          string // KindStaff, KindCompletions, KindExemptions, KindReferrals or KindMeetings
	FileName      string
	SHA256        string
	EffectiveDate time.Time // staff: the snapshot's date; zero for completions
	RowsRead      int       // data rows read (blank rows not counted)
	RowsImported  int       // rows stored: assignments, or completions new to the store
	RowsDuplicate int       // completions already held (from this or an earlier file)
	RowsRejected  int       // rows skipped with a row error
	// RowsNotCompleted counts completion rows that are not completions
	// yet (blank date, In progress, ...): skipped, and not errors.
	RowsNotCompleted int
	// ImportedAt is when the import ran (time.Now when left zero); its
	// calendar day, in ImportedAt's own location, is the import date that
	// FutureCompletions compares with.
	ImportedAt time.Time
	ImportedBy string
	// ReReadOf is, for a completions file imported again because the
	// course rules now map courses its first import only counted, the ID
	// of that first import; 0 for every other import. Such a re-read
	// stores the rows of those courses only, and they were read (and
	// counted in RowsRead) by the first import already.
	ReReadOf int64
	// Gone says, for a staff extract whose snapshot is no longer held,
	// why (as Imports reads it): SnapshotReplaced or SnapshotPurged; ""
	// while it is held, and for other kinds.
	Gone string
}

// Why a staff extract's snapshot is no longer held (Import.Gone).
const (
	SnapshotReplaced = "replaced" // by a later import of an extract for the same date
	SnapshotPurged   = "purged"   // by a purge of old snapshots
)

// IsReRead reports whether the import read again, for newly mapped
// courses, a file imported before (see ReReadOf).
func (imp Import) IsReRead() bool { return imp.ReReadOf != 0 }

// RowError is one row an import skipped, and why.
type RowError struct {
	Row    int
	Column string
	Value  string
	Reason string
}

// importRow is an imports row as scanned.
type importRow struct {
	ID            int64         `db:"id"`
	Kind          string        `db:"kind"`
	FileName      string        `db:"file_name"`
	SHA256        string        `db:"sha256"`
	EffectiveDate day           `db:"effective_date"`
	RowsRead      int           `db:"rows_read"`
	RowsImported  int           `db:"rows_imported"`
	RowsDuplicate int           `db:"rows_duplicate"`
	RowsRejected  int           `db:"rows_rejected"`
	RowsNotCompl  int           `db:"rows_not_completed"`
	ImportedAt    instant       `db:"imported_at"`
	ImportedBy    string        `db:"imported_by"`
	ReReadOf      sql.NullInt64 `db:"reread_of"`
}

const importColumns = `id, kind, file_name, sha256, effective_date, rows_read, rows_imported,
	rows_duplicate, rows_rejected, rows_not_completed, imported_at, imported_by, reread_of`

func (r importRow) Import() Import {
	return Import{ID: r.ID, Kind: r.Kind, FileName: r.FileName, SHA256: r.SHA256,
		EffectiveDate: r.EffectiveDate.Time, RowsRead: r.RowsRead, RowsImported: r.RowsImported,
		RowsDuplicate: r.RowsDuplicate, RowsRejected: r.RowsRejected, RowsNotCompleted: r.RowsNotCompl,
		ImportedAt: r.ImportedAt.Time, ImportedBy: r.ImportedBy, ReReadOf: r.ReReadOf.Int64}
}

// ImportByHash returns the import of the file content with this SHA-256, or
// nil when there is none.
func (s *Store) ImportByHash(ctx context.Context, sha string) (*Import, error) {
	var r importRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+importColumns+` FROM imports WHERE sha256 = ?`), strings.ToLower(sha))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.wrap("find import by hash", err)
	}
	imp := r.Import()
	return &imp, nil
}

// Imports lists every import, newest first.
func (s *Store) Imports(ctx context.Context) ([]Import, error) {
	var rows []importRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+importColumns+` FROM imports ORDER BY imported_at DESC, id DESC`); err != nil {
		return nil, s.wrap("list imports", err)
	}
	// Each staff extract's snapshot held or gone: replaced when another
	// import's snapshot stands for its date, else purged.
	var held []struct {
		ImportID int64 `db:"import_id"`
		Date     day   `db:"effective_date"`
	}
	if err := s.db.SelectContext(ctx, &held, `SELECT import_id, effective_date FROM snapshots`); err != nil {
		return nil, s.wrap("list imports", err)
	}
	byImport, byDate := make(map[int64]bool, len(held)), make(map[string]bool, len(held))
	for _, h := range held {
		byImport[h.ImportID], byDate[h.Date.Format(time.DateOnly)] = true, true
	}
	out := make([]Import, len(rows))
	for i, r := range rows {
		out[i] = r.Import()
		switch imp := &out[i]; {
		case imp.Kind != KindStaff || byImport[imp.ID]:
		case byDate[imp.EffectiveDate.Format(time.DateOnly)]:
			imp.Gone = SnapshotReplaced
		default:
			imp.Gone = SnapshotPurged
		}
	}
	return out, nil
}

// importTx is what staff and completion imports share: the transaction,
// the import row, and the row errors written at commit.
type importTx struct {
	s    *Store
	ctx  context.Context
	tx   *sqlx.Tx
	imp  Import
	done bool
}

// begin opens the transaction and writes the import row.
func (s *Store) begin(ctx context.Context, imp Import) (*importTx, error) {
	if imp.SHA256 == "" {
		return nil, fmt.Errorf("import of %s: no SHA-256 of its content", imp.FileName)
	}
	if imp.ReReadOf != 0 && imp.Kind != KindCompletions {
		return nil, fmt.Errorf("import of %s: only a completions file is read again for newly mapped courses", imp.FileName)
	}
	imp.SHA256 = strings.ToLower(imp.SHA256)
	if imp.ImportedAt.IsZero() {
		imp.ImportedAt = time.Now()
	}
	importedOn := compliance.Day(imp.ImportedAt)
	imp.ImportedAt = imp.ImportedAt.UTC().Truncate(time.Microsecond)
	var eff, rereadOf any
	if !imp.EffectiveDate.IsZero() {
		imp.EffectiveDate = compliance.Day(imp.EffectiveDate)
		eff = dayArg(imp.EffectiveDate)
	}
	if imp.ReReadOf != 0 {
		rereadOf = imp.ReReadOf
	}
	// On PostgreSQL the transaction is not tied to ctx: database/sql would
	// roll it back from another goroutine the moment ctx ends, and lib/pq
	// then waits forever for a COPY still open on the connection. The
	// statements still take ctx, so the import stops at the next row, and
	// the caller's Rollback ends the COPY before the transaction.
	txCtx := ctx
	if s.dialect == Postgres {
		txCtx = context.WithoutCancel(ctx)
	}
	tx, err := s.db.BeginTxx(txCtx, nil)
	if err != nil {
		return nil, s.wrap("begin import of "+imp.FileName, err)
	}
	err = tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO imports
		(kind, file_name, sha256, effective_date, imported_at, imported_on, imported_by, reread_of)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		imp.Kind, imp.FileName, imp.SHA256, eff, s.instantArg(imp.ImportedAt), dayArg(importedOn), imp.ImportedBy, rereadOf,
	).Scan(&imp.ID)
	if err != nil {
		_ = tx.Rollback()
		if isUniqueViolation(err) {
			return nil, fmt.Errorf("import of %s: %w", imp.FileName, ErrAlreadyImported)
		}
		return nil, s.wrap("record import of "+imp.FileName, err)
	}
	return &importTx{s: s, ctx: ctx, tx: tx, imp: imp}, nil
}

func (t *importTx) check() error {
	if t.done {
		return fmt.Errorf("import of %s is already committed or rolled back", t.imp.FileName)
	}
	return nil
}

// commit records the counts and row errors and commits.
func (t *importTx) commit(errs []RowError) (Import, error) {
	s, ctx, imp := t.s, t.ctx, t.imp
	t.done = true
	_, err := t.tx.ExecContext(ctx, t.tx.Rebind(`UPDATE imports SET rows_read = ?, rows_imported = ?,
		rows_duplicate = ?, rows_rejected = ?, rows_not_completed = ? WHERE id = ?`),
		imp.RowsRead, imp.RowsImported, imp.RowsDuplicate, imp.RowsRejected, imp.RowsNotCompleted, imp.ID)
	if err != nil {
		_ = t.tx.Rollback()
		return Import{}, s.wrap("record import of "+imp.FileName, err)
	}
	if err := t.writeRowErrors(errs); err != nil {
		_ = t.tx.Rollback()
		return Import{}, err
	}
	if err := t.tx.Commit(); err != nil {
		return Import{}, s.wrap("commit import of "+imp.FileName, err)
	}
	return imp, nil
}

// maxValue caps a rejected value kept for the report.
const maxValue = 500

func (t *importTx) writeRowErrors(errs []RowError) error {
	if len(errs) == 0 {
		return nil
	}
	w, err := t.s.newWriter(t.ctx, t.tx, "row_errors", []string{"import_id", "row_no", "column_name", "value", "reason"}, "")
	if err != nil {
		return err
	}
	for _, e := range errs {
		if _, err := w.write(t.imp.ID, e.Row, e.Column, truncate(e.Value, maxValue), e.Reason); err != nil {
			_ = w.close()
			return err
		}
	}
	return w.close()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func (t *importTx) rollback(w rowWriter) error {
	if t.done {
		return nil
	}
	t.done = true
	if w != nil {
		_ = w.close() // a COPY must end before the transaction can
	}
	err := t.tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) || errors.Is(err, driver.ErrBadConn) {
		// Rolled back already (a cancelled context), or the connection
		// is gone and the server has aborted the transaction with it.
		return nil
	}
	return t.s.wrap("roll back import of "+t.imp.FileName, err)
}

// StaffImport is a staff extract being imported, in one transaction. It is
// not safe for concurrent use.
type StaffImport struct {
	importTx
	snapshotID int64
	w          rowWriter
	seen       rowSet // the rows added, to keep a row repeated word for word once
	replaced   ReplacedSnapshot
	orphans    bool // the replaced snapshot owned emails (rankOrphanEmails)
}

// ReplacedSnapshot is the snapshot held for the same effective date that a
// staff import replaces: the file it came from and its assignments.
type ReplacedSnapshot struct {
	FileName    string `db:"file_name"`
	Assignments int    `db:"assignments"`
}

// Replaced reports the snapshot this import replaces, if one was held for
// its effective date.
func (t *StaffImport) Replaced() (ReplacedSnapshot, bool) {
	return t.replaced, t.replaced.FileName != ""
}

// rowSet remembers rows by two independent 64-bit hashes of their cells,
// 16 bytes a row whatever its width: two different rows are taken for the
// same only if both hashes agree, about once in 2^128.
type rowSet struct {
	seeds [2]maphash.Seed
	held  map[[2]uint64]struct{}
}

// add adds a row given as its cells and reports whether it was new.
func (r *rowSet) add(cells ...string) bool {
	if r.held == nil {
		r.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		r.held = make(map[[2]uint64]struct{})
	}
	var key [2]uint64
	for i, seed := range r.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		for _, c := range cells {
			// Each cell's length first, so that no two lists of cells
			// run together into the same bytes.
			var n [binary.MaxVarintLen64]byte
			h.Write(n[:binary.PutUvarint(n[:], uint64(len(c)))])
			h.WriteString(c)
		}
		key[i] = h.Sum64()
	}
	if _, ok := r.held[key]; ok {
		return false
	}
	r.held[key] = struct{}{}
	return true
}

var assignmentColumns = []string{"snapshot_id", "row_no", "employee_number", "assignment_number", "name",
	"organisation", "staff_group", "occupation_code", "job_role", "position_title",
	"assignment_category", "assignment_status", "is_primary", "email", "manager_email",
	"start_date", "org_l2", "org_l3", "org_l4", "org_l5", "org_l6", "org_l7"}

// BeginStaffImport starts importing a staff extract as the snapshot for
// imp.EffectiveDate, replacing any snapshot already held for that date (a
// corrected extract) when it commits.
func (s *Store) BeginStaffImport(ctx context.Context, imp Import) (*StaffImport, error) {
	if imp.EffectiveDate.IsZero() {
		return nil, fmt.Errorf("staff import of %s: no effective date", imp.FileName)
	}
	imp.Kind = KindStaff
	t, err := s.begin(ctx, imp)
	if err != nil {
		return nil, err
	}
	si := &StaffImport{importTx: *t}
	if err := s.lockSnapshots(ctx, t.tx); err != nil {
		_ = t.tx.Rollback()
		return nil, err
	}
	if err := si.replaceSnapshot(); err != nil {
		_ = t.tx.Rollback()
		return nil, err
	}
	if si.w, err = s.newWriter(ctx, t.tx, "assignments", assignmentColumns, ""); err != nil {
		_ = t.tx.Rollback()
		return nil, err
	}
	return si, nil
}

func (t *StaffImport) replaceSnapshot() error {
	ctx, tx, eff := t.ctx, t.tx, dayArg(t.imp.EffectiveDate)
	err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT i.file_name,
		(SELECT COUNT(*) FROM assignments a WHERE a.snapshot_id = s.id) AS assignments
		FROM snapshots s JOIN imports i ON i.id = s.import_id WHERE s.effective_date = ?`), eff).StructScan(&t.replaced)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return t.s.wrap("replace snapshot "+eff, err)
	}
	if t.orphans, err = t.s.dropEmailOwners(ctx, tx, `SELECT id FROM snapshots WHERE effective_date = ?`, eff); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM assignments WHERE snapshot_id IN
		(SELECT id FROM snapshots WHERE effective_date = ?)`), eff); err != nil {
		return t.s.wrap("replace snapshot "+eff, err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM snapshots WHERE effective_date = ?`), eff); err != nil {
		return t.s.wrap("replace snapshot "+eff, err)
	}
	err = tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO snapshots (import_id, effective_date) VALUES (?, ?) RETURNING id`),
		t.imp.ID, eff).Scan(&t.snapshotID)
	return t.s.wrap("create snapshot "+eff, err)
}

// Add stores one assignment. Emails are stored in lower case. A row
// that repeats an earlier one of the extract word for word is counted as
// a duplicate (RowsDuplicate) and not stored again.
func (t *StaffImport) Add(a compliance.Assignment) error {
	if err := t.check(); err != nil {
		return err
	}
	l := a.OrgLevels
	if !t.seen.add(a.EmployeeNumber, a.AssignmentNumber, a.Name, a.Organisation, a.StaffGroup, a.OccupationCode,
		a.JobRole, a.PositionTitle, a.AssignmentCategory, a.AssignmentStatus, strconv.FormatBool(a.Primary),
		a.Email, a.ManagerEmail, a.StartDate.Format(time.DateOnly), l[0], l[1], l[2], l[3], l[4], l[5]) {
		// The same assignment word for word on another row of the
		// extract (a report that joined a table twice): kept once.
		t.imp.RowsDuplicate++
		return nil
	}
	_, err := t.w.write(t.snapshotID, a.Row, a.EmployeeNumber, a.AssignmentNumber, a.Name,
		a.Organisation, a.StaffGroup, a.OccupationCode, a.JobRole, a.PositionTitle,
		a.AssignmentCategory, a.AssignmentStatus, a.Primary, normEmail(a.Email), normEmail(a.ManagerEmail),
		startDateArg(a.StartDate), a.OrgLevels[0], a.OrgLevels[1], a.OrgLevels[2], a.OrgLevels[3], a.OrgLevels[4], a.OrgLevels[5])
	if err != nil {
		return fmt.Errorf("staff extract %s row %d: %w", t.imp.FileName, a.Row, err)
	}
	t.imp.RowsImported++
	return nil
}

// Commit records the counts and row errors and commits the snapshot.
func (t *StaffImport) Commit(rowsRead, rowsRejected int, errs []RowError) (Import, error) {
	if err := t.check(); err != nil {
		return Import{}, err
	}
	if err := t.w.close(); err != nil {
		_ = t.rollback(nil)
		return Import{}, err
	}
	if _, err := t.tx.ExecContext(t.ctx, t.tx.Rebind(`UPDATE snapshots SET people =
		(SELECT COUNT(DISTINCT employee_number) FROM assignments WHERE snapshot_id = ?) WHERE id = ?`),
		t.snapshotID, t.snapshotID); err != nil {
		_ = t.rollback(nil)
		return Import{}, t.s.wrap("count the snapshot's people", err)
	}
	// What is kept of every snapshot held: each email's owner (those a
	// replaced snapshot owned ranked again) and every employee number.
	keep := []func() error{
		func() error { return t.s.keepEmailOwners(t.ctx, t.tx, t.snapshotID) },
		func() error { return t.s.keepStaffNumbers(t.ctx, t.tx, t.snapshotID) },
	}
	if t.orphans {
		keep = append(keep, func() error { return t.s.rankOrphanEmails(t.ctx, t.tx) })
	}
	for _, k := range keep {
		if err := k(); err != nil {
			_ = t.rollback(nil)
			return Import{}, err
		}
	}
	t.imp.RowsRead, t.imp.RowsRejected = rowsRead, rowsRejected
	return t.commit(errs)
}

// Rollback abandons the import: nothing of it is kept, and a snapshot it
// would have replaced stays.
func (t *StaffImport) Rollback() error { return t.rollback(t.w) }

// CompletionImport is a completions extract being imported, in one
// transaction. It is not safe for concurrent use.
type CompletionImport struct {
	importTx
	w     rowWriter
	added int
	keys  map[string]bool // the course keys of the rows added
	batch []pendingRow    // rows from AddBatch not yet stored
	// staged is set on PostgreSQL, where rows are copied into a temporary
	// table and moved into completions at commit, skipping those held.
	staged bool
}

var completionColumns = []string{"import_id", "source_row", "employee_number", "email", "email_key",
	"course", "course_key", "completed_on"}

const completionConflict = `ON CONFLICT (employee_number, email_key, course_key, completed_on) DO NOTHING`

// BeginCompletionImport starts importing a completions extract.
func (s *Store) BeginCompletionImport(ctx context.Context, imp Import) (*CompletionImport, error) {
	imp.Kind = KindCompletions
	imp.EffectiveDate = time.Time{}
	t, err := s.begin(ctx, imp)
	if err != nil {
		return nil, err
	}
	ci := &CompletionImport{importTx: *t}
	table := "completions"
	if s.dialect == Postgres {
		// COPY is several times faster than row-by-row INSERT but cannot
		// skip duplicates, so rows land in a staging table first and move
		// at commit in index order (which keeps the first of duplicates
		// within the file).
		ci.staged, table = true, "completion_staging"
		_, err := t.tx.ExecContext(ctx, `CREATE TEMPORARY TABLE completion_staging (
			import_id BIGINT, source_row INTEGER, employee_number TEXT, email TEXT, email_key TEXT,
			course TEXT, course_key TEXT, completed_on DATE, seq BIGSERIAL) ON COMMIT DROP`)
		if err != nil {
			_ = t.tx.Rollback()
			return nil, s.wrap("start import of "+imp.FileName, err)
		}
	}
	if ci.w, err = s.newWriter(ctx, t.tx, table, completionColumns, completionConflict); err != nil {
		_ = t.tx.Rollback()
		return nil, err
	}
	return ci, nil
}

// Add stores a completion from the given row of the file, unless the same
// person, course (trimmed, spaces collapsed, any case) and day is already
// held. inserted reports whether it was new; on PostgreSQL, where rows are
// copied in bulk, duplicates are found only at Commit and inserted is always
// true. Commit's RowsImported and RowsDuplicate are exact on both. Rows
// given to AddBatch before are stored first.
func (t *CompletionImport) Add(c compliance.Completion, row int) (inserted bool, err error) {
	if err := t.check(); err != nil {
		return false, err
	}
	if err := t.flush(); err != nil {
		return false, err
	}
	r, err := t.pending(c, row)
	if err != nil {
		return false, err
	}
	return t.insert(&r)
}

// pendingRow is a completion checked and normalised for the store.
type pendingRow struct {
	row                                     int
	emp, email, emailKey, course, courseKey string
	on                                      string // YYYY-MM-DD
}

// pending checks and normalises a completion from the given row.
func (t *CompletionImport) pending(c compliance.Completion, row int) (pendingRow, error) {
	emp := strings.TrimSpace(c.EmployeeNumber)
	email := normEmail(c.Email)
	courseKey := glob.Normalize(c.Course)
	switch {
	case emp == "" && email == "":
		return pendingRow{}, fmt.Errorf("completions extract %s row %d: no employee number or email", t.imp.FileName, row)
	case courseKey == "":
		return pendingRow{}, fmt.Errorf("completions extract %s row %d: no course name", t.imp.FileName, row)
	case c.CompletedOn.IsZero():
		return pendingRow{}, fmt.Errorf("completions extract %s row %d: no completion date", t.imp.FileName, row)
	}
	emailKey := ""
	if emp == "" {
		emailKey = email
	}
	if !t.keys[courseKey] {
		if t.keys == nil {
			t.keys = make(map[string]bool)
		}
		t.keys[courseKey] = true
	}
	return pendingRow{row: row, emp: emp, email: email, emailKey: emailKey, course: c.Course,
		courseKey: courseKey, on: dayArg(c.CompletedOn)}, nil
}

// insert writes one row to the table (or the staging table).
func (t *CompletionImport) insert(r *pendingRow) (bool, error) {
	inserted, err := t.w.write(t.imp.ID, r.row, r.emp, r.email, r.emailKey, r.course, r.courseKey, r.on)
	if err != nil {
		return false, fmt.Errorf("completions extract %s row %d: %w", t.imp.FileName, r.row, err)
	}
	t.added++
	if inserted {
		t.imp.RowsImported++
	}
	return inserted, nil
}

// Commit moves staged rows into the history, records the counts and row
// errors, and commits.
func (t *CompletionImport) Commit(rowsRead, rowsRejected int, errs []RowError) (Import, error) {
	if err := t.check(); err != nil {
		return Import{}, err
	}
	if err := t.flush(); err != nil {
		_ = t.rollback(t.w)
		return Import{}, err
	}
	if err := t.w.close(); err != nil {
		_ = t.rollback(nil)
		return Import{}, err
	}
	if t.staged {
		cols := strings.Join(completionColumns, ", ")
		res, err := t.tx.ExecContext(t.ctx, `INSERT INTO completions (`+cols+`)
			SELECT `+cols+` FROM completion_staging
			ORDER BY employee_number, email_key, course_key, completed_on, seq `+completionConflict)
		var n int64
		if err == nil {
			n, err = res.RowsAffected()
		}
		if err != nil {
			_ = t.rollback(nil)
			return Import{}, t.s.wrap("import of "+t.imp.FileName, err)
		}
		t.imp.RowsImported = int(n)
	}
	t.imp.RowsDuplicate = t.added - t.imp.RowsImported
	t.imp.RowsRead, t.imp.RowsRejected = rowsRead, rowsRejected
	if err := t.recordCourseKeys(); err != nil {
		_ = t.rollback(nil)
		return Import{}, err
	}
	return t.commit(errs)
}

// NotCompleted records, before Commit, how many of the file's rows were
// not completions yet.
func (t *CompletionImport) NotCompleted(n int) { t.imp.RowsNotCompleted = n }

// Rollback abandons the import: nothing of it is kept.
func (t *CompletionImport) Rollback() error { return t.rollback(t.w) }

// recordCourseKeys adds the import's course keys to those held (see
// CourseKeys).
func (t *CompletionImport) recordCourseKeys() error {
	keys := make([]string, 0, len(t.keys))
	for k := range t.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := t.tx.ExecContext(t.ctx, t.tx.Rebind(`INSERT INTO course_keys (course_key) VALUES (?) ON CONFLICT DO NOTHING`), k); err != nil {
			return t.s.wrap("import of "+t.imp.FileName, err)
		}
	}
	return nil
}

// startDateArg is a start date as stored: 'YYYY-MM-DD', ” when blank.
func startDateArg(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return dayArg(t)
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
