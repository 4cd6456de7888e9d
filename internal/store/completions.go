package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
)

// emailOwners picks, for every email that keys a completion, the employee
// number of the person with that email in the newest snapshot holding it
// (the first such row in file order, should a snapshot repeat it).
const emailOwners = `email_owners AS (
	SELECT email, employee_number FROM (
		SELECT a.email, a.employee_number, ROW_NUMBER() OVER (
			PARTITION BY a.email ORDER BY s.effective_date DESC, a.row_no, a.id) AS pick
		FROM assignments a JOIN snapshots s ON s.id = a.snapshot_id
		WHERE a.email IN (SELECT email_key FROM completions WHERE employee_number = '' AND email_key <> '')
	) ranked WHERE pick = 1
)`

type completionRow struct {
	EmployeeNumber string `db:"employee_number"`
	Email          string `db:"email"`
	Course         string `db:"course"`
	CompletedOn    day    `db:"completed_on"`
}

// CompletionsAsOf returns every completion dated on or before asOf, in the
// order they were first imported. A completion keyed by email carries the
// employee number of the person with that email (case-insensitive) in any
// staff snapshot, the newest snapshot winning when an email has changed
// hands; one that matches nobody has EmployeeNumber "".
func (s *Store) CompletionsAsOf(ctx context.Context, asOf time.Time) ([]compliance.Completion, error) {
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(`WITH `+emailOwners+`
		SELECT CASE WHEN c.employee_number = '' THEN COALESCE(o.employee_number, '') ELSE c.employee_number END AS employee_number,
			c.email, c.course, c.completed_on
		FROM completions c LEFT JOIN email_owners o ON c.employee_number = '' AND o.email = c.email_key
		WHERE c.completed_on <= ?
		ORDER BY c.id`), dayArg(asOf))
	if err != nil {
		return nil, s.wrap("read completions", err)
	}
	defer rows.Close()
	var out []compliance.Completion
	for rows.Next() {
		var c compliance.Completion
		var on day
		// Scanned by position: this is the hot path of every report.
		if err := rows.Scan(&c.EmployeeNumber, &c.Email, &c.Course, &on); err != nil {
			return nil, s.wrap("read completions", err)
		}
		c.CompletedOn = on.Time
		out = append(out, c)
	}
	return out, s.wrap("read completions", rows.Err())
}

// UnmatchedCompletion is a completion that names nobody in any staff
// snapshot.
type UnmatchedCompletion struct {
	EmployeeNumber string
	Email          string
	Course         string
	CompletedOn    time.Time
	FileName       string // the file that first brought it
	Row            int
}

type sourcedRow struct {
	completionRow
	FileName   string  `db:"file_name"`
	Row        int     `db:"source_row"`
	ImportedAt instant `db:"imported_at"`
	ImportedOn day     `db:"imported_on"`
}

// UnmatchedCompletions lists completions whose person is in no staff
// snapshot: by employee number when the completion has one, else by email.
// They are kept, as the person may appear in a later extract.
func (s *Store) UnmatchedCompletions(ctx context.Context) ([]UnmatchedCompletion, error) {
	var rows []sourcedRow
	err := s.db.SelectContext(ctx, &rows, `SELECT c.employee_number, c.email, c.course, c.completed_on,
			i.file_name, c.source_row, i.imported_at, i.imported_on
		FROM completions c JOIN imports i ON i.id = c.import_id
		WHERE (c.employee_number <> '' AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_number = c.employee_number))
		   OR (c.employee_number = '' AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.email = c.email_key))
		ORDER BY c.import_id, c.source_row, c.id`)
	if err != nil {
		return nil, s.wrap("find unmatched completions", err)
	}
	// Employee numbers match without leading zeros too (compliance.EmployeeKey):
	// drop candidates whose number matches a person in that form.
	var staff []string
	if len(rows) > 0 {
		if err := s.db.SelectContext(ctx, &staff, `SELECT DISTINCT employee_number FROM assignments`); err != nil {
			return nil, s.wrap("find unmatched completions", err)
		}
	}
	known := make(map[string]bool, len(staff))
	for _, n := range staff {
		known[compliance.EmployeeKey(n)] = true
	}
	out := make([]UnmatchedCompletion, 0, len(rows))
	for _, r := range rows {
		if r.EmployeeNumber != "" && known[compliance.EmployeeKey(r.EmployeeNumber)] {
			continue
		}
		out = append(out, UnmatchedCompletion{EmployeeNumber: r.EmployeeNumber, Email: r.Email, Course: r.Course,
			CompletedOn: r.CompletedOn.Time, FileName: r.FileName, Row: r.Row})
	}
	return out, nil
}

// FutureCompletion is a completion dated after the day it was imported.
type FutureCompletion struct {
	EmployeeNumber string
	Email          string
	Course         string
	CompletedOn    time.Time
	ImportedAt     time.Time // the instant, in UTC
	ImportedOn     time.Time // the calendar day of the import, where it ran: what CompletedOn is after
	FileName       string
	Row            int
}

// FutureCompletions lists completions dated after the calendar day of the
// import that first brought them. They are kept and count from their own
// date on.
func (s *Store) FutureCompletions(ctx context.Context) ([]FutureCompletion, error) {
	var rows []sourcedRow
	err := s.db.SelectContext(ctx, &rows, `SELECT c.employee_number, c.email, c.course, c.completed_on,
			i.file_name, c.source_row, i.imported_at, i.imported_on
		FROM completions c JOIN imports i ON i.id = c.import_id
		WHERE c.completed_on > i.imported_on
		ORDER BY c.import_id, c.source_row, c.id`)
	if err != nil {
		return nil, s.wrap("find future-dated completions", err)
	}
	out := make([]FutureCompletion, len(rows))
	for i, r := range rows {
		out[i] = FutureCompletion{EmployeeNumber: r.EmployeeNumber, Email: r.Email, Course: r.Course,
			CompletedOn: r.CompletedOn.Time, ImportedAt: r.ImportedAt.Time, ImportedOn: r.ImportedOn.Time,
			FileName: r.FileName, Row: r.Row}
	}
	return out, nil
}

// CourseCount is a course name and how many completions carry it.
type CourseCount struct {
	Course string
	Count  int
}

// CourseNames lists the distinct course names, names that differ only in
// case or spacing counted as one and shown in their most common spelling,
// in order of that spelling. Each counts its completions held, plus the
// rows imports counted without storing them (courses that mapped to no
// Prevent level; see CompletionImport.CountSkipped).
func (s *Store) CourseNames(ctx context.Context) ([]CourseCount, error) {
	var rows []struct {
		Key    string `db:"course_key"`
		Course string `db:"course"`
		Count  int    `db:"n"`
	}
	// Completions held, and the rows of courses imports counted without
	// storing them (course_counts).
	err := s.db.SelectContext(ctx, &rows, `SELECT course_key, course, CAST(SUM(n) AS BIGINT) AS n FROM (
			SELECT course_key, course, COUNT(*) AS n FROM completions GROUP BY course_key, course
			UNION ALL
			SELECT course_key, course, SUM(rows_read) AS n FROM course_counts GROUP BY course_key, course
		) AS held GROUP BY course_key, course`)
	if err != nil {
		return nil, s.wrap("count course names", err)
	}
	// Grouped here rather than in SQL so that the spelling chosen does not
	// depend on the database's collation.
	type group struct {
		best  CourseCount // most common spelling
		total int
	}
	groups := map[string]*group{}
	for _, r := range rows {
		g := groups[r.Key]
		if g == nil {
			g = &group{best: CourseCount{Course: r.Course, Count: r.Count}}
			groups[r.Key] = g
		} else if r.Count > g.best.Count || (r.Count == g.best.Count && r.Course < g.best.Course) {
			g.best = CourseCount{Course: r.Course, Count: r.Count}
		}
		g.total += r.Count
	}
	out := make([]CourseCount, 0, len(groups))
	for _, g := range groups {
		out = append(out, CourseCount{Course: g.best.Course, Count: g.total})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Course < out[j].Course })
	return out, nil
}

// ImportRowError is a row an import skipped, with the file it came from.
type ImportRowError struct {
	ImportID int64
	FileName string
	Row      int
	Column   string
	Value    string
	Reason   string
}

// RowErrors lists the rows imports skipped, by import then row; importID 0
// lists every import's.
func (s *Store) RowErrors(ctx context.Context, importID int64) ([]ImportRowError, error) {
	q := `SELECT r.import_id, i.file_name, r.row_no, r.column_name, r.value, r.reason
		FROM row_errors r JOIN imports i ON i.id = r.import_id`
	var args []any
	if importID != 0 {
		q += ` WHERE r.import_id = ?`
		args = append(args, importID)
	}
	q += ` ORDER BY r.import_id, r.row_no, r.id`
	var rows []struct {
		ImportID int64  `db:"import_id"`
		FileName string `db:"file_name"`
		Row      int    `db:"row_no"`
		Column   string `db:"column_name"`
		Value    string `db:"value"`
		Reason   string `db:"reason"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, s.wrap("read rejected rows", err)
	}
	out := make([]ImportRowError, len(rows))
	for i, r := range rows {
		out[i] = ImportRowError(r)
	}
	return out, nil
}

// CourseKeys lists the distinct course keys (trimmed, spaces collapsed,
// lower case) of the completions held. It skips through the course index,
// one probe per distinct course, instead of reading every completion.
func (s *Store) CourseKeys(ctx context.Context) ([]string, error) {
	var keys []string
	err := s.db.SelectContext(ctx, &keys, `WITH RECURSIVE course_keys (k) AS (
			SELECT MIN(course_key) FROM completions
			UNION ALL
			SELECT (SELECT MIN(c.course_key) FROM completions c WHERE c.course_key > course_keys.k)
			FROM course_keys WHERE course_keys.k IS NOT NULL
		) SELECT k FROM course_keys WHERE k IS NOT NULL`)
	return keys, s.wrap("list course names", err)
}

// LatestCompletions returns, for each person and each group of courses,
// the latest completion dated on or before asOf: what the compliance
// engine needs of a history of millions of completions. groups maps course
// keys (as CourseKeys gives them) to a group number, such as the Prevent
// level the course counts for; courses in no group are left out. People
// are by employee number, a completion keyed by email taking the number of
// that email's holder (as CompletionsAsOf); completions that name nobody
// are left out. Of two completions on the same latest day, the one
// imported first is returned; the result is in import order, so that the
// engine breaks ties as it does over every completion.
//
// The database selects the completions of the grouped courses in one scan
// and they stream through a reduction here that keeps one completion per
// person and group: memory grows with the people, not the history. (A
// GROUP BY or window in SQL sorts every selected row, which on SQLite costs
// several times the scan.)
func (s *Store) LatestCompletions(ctx context.Context, asOf time.Time, groups map[string]int) ([]compliance.Completion, error) {
	var out []compliance.Completion
	err := s.EachLatestCompletion(ctx, asOf, groups, func(c compliance.Completion) error {
		out = append(out, c)
		return nil
	})
	return out, err
}

// EachLatestCompletion is LatestCompletions calling fn with each
// completion in turn, for a caller that keeps less of them.
func (s *Store) EachLatestCompletion(ctx context.Context, asOf time.Time, groups map[string]int, fn func(compliance.Completion) error) error {
	return s.EachLatestCompletionFor(ctx, asOf, groups, 0, fn)
}

// EachLatestCompletionFor is EachLatestCompletion for about the given
// number of people (a hint, such as the snapshot's head count), which
// sizes its tables up front rather than growing them row by row.
func (s *Store) EachLatestCompletionFor(ctx context.Context, asOf time.Time, groups map[string]int, people int, fn func(compliance.Completion) error) error {
	if len(groups) == 0 {
		return nil
	}
	// Completions keyed by email are gathered under the email and given
	// to its owner at the end, so that PostgreSQL can work out the owners
	// while the completions stream in. (SQLite, on one connection, works
	// them out afterwards.)
	type ownersResult struct {
		owners map[string][]byte
		err    error
	}
	var ownersDone chan ownersResult
	if s.dialect == Postgres {
		ownersDone = make(chan ownersResult, 1)
		go func() {
			o, err := s.emailOwners(ctx)
			ownersDone <- ownersResult{o, err}
		}()
	}
	keys := make([]string, 0, len(groups))
	maxGroup := 0
	for k, g := range groups {
		keys = append(keys, k)
		maxGroup = max(maxGroup, g)
	}
	sort.Strings(keys)
	var grp strings.Builder
	args := make([]any, 0, 3*len(keys)+1)
	grp.WriteString("CASE c.course_key")
	for _, k := range keys {
		grp.WriteString(" WHEN ? THEN CAST(? AS INTEGER)")
		args = append(args, k, groups[k])
	}
	grp.WriteString(" END")
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")
	for _, k := range keys {
		args = append(args, k)
	}
	args = append(args, dayArg(asOf))
	// SQLite would walk the course index and fetch each row from the
	// table; when most completions held are Prevent ones (imports store
	// only those), reading the table straight through is faster.
	notIndexed := ""
	if s.dialect == SQLite {
		notIndexed = "NOT INDEXED"
	}
	// PostgreSQL sends the day as a number of days: lib/pq would decode a
	// date into a time.Time, which database/sql then formats as text.
	onExpr := "c.completed_on"
	if s.dialect == Postgres {
		onExpr = "c.completed_on - DATE '1900-01-01'"
	}
	q := `SELECT c.employee_number, c.email_key, ` + grp.String() + `, c.id, c.course, ` + onExpr + `
		FROM completions c ` + notIndexed + `
		WHERE c.course_key IN (` + marks + `) AND c.completed_on <= ?`
	if err := s.eachLatestCompletion(ctx, q, args, maxGroup, people, func() (map[string][]byte, error) {
		if ownersDone == nil {
			return s.emailOwners(ctx)
		}
		r := <-ownersDone
		return r.owners, r.err
	}, fn); err != nil {
		if ownersDone != nil {
			go func() { <-ownersDone }() // let it finish on its own
		}
		return err
	}
	return nil
}

// eachLatestCompletion runs EachLatestCompletionFor's query q, asking
// owners for the owners of emails once the rows have been read.
func (s *Store) eachLatestCompletion(ctx context.Context, q string, args []any, maxGroup, people int,
	owners func() (map[string][]byte, error), fn func(compliance.Completion) error) error {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return s.wrap("read latest completions", err)
	}
	defer rows.Close()
	// One slot per person and group, kept compact: a national workforce
	// has millions of people.
	type slot struct {
		id     int64
		course string // shared between slots: a history has few course names
		on     int32  // days since 1 January 1900
	}
	width := maxGroup + 1
	people = max(people, 0)
	person := make(map[string]int32, people) // employee number -> first slot
	slots := make([]slot, 0, people*width)
	filled := 0
	names := make(interner)
	var (
		emp, email, course, on sql.RawBytes
		byEmail                []byte
		group                  int
		id                     int64
	)
	for rows.Next() {
		if err := rows.Scan(&emp, &email, &group, &id, &course, &on); err != nil {
			return s.wrap("read latest completions", err)
		}
		who := emp
		if len(who) == 0 {
			if len(email) == 0 {
				continue
			}
			// No employee number starts with a NUL.
			byEmail = append(append(byEmail[:0], 0), email...)
			who = byEmail
		}
		if group < 0 || group > maxGroup {
			continue
		}
		days, err := dayNumber(on)
		if err != nil {
			return s.wrap("read latest completions", err)
		}
		first, ok := person[string(who)]
		if !ok {
			first = int32(len(slots))
			person[string(who)] = first
			slots = append(slots, make([]slot, width)...)
		}
		cur := &slots[int(first)+group]
		if cur.course == "" {
			filled++
		}
		if cur.course == "" || days > cur.on || (days == cur.on && id < cur.id) {
			cur.id, cur.course, cur.on = id, names.get(course), days
		}
	}
	if err := rows.Err(); err != nil {
		return s.wrap("read latest completions", err)
	}
	rows.Close()
	own, err := owners()
	if err != nil {
		return err
	}
	for key, from := range person {
		if key == "" || key[0] != 0 {
			continue
		}
		delete(person, key)
		who := own[key[1:]]
		if len(who) == 0 {
			continue
		}
		to, ok := person[string(who)]
		if !ok {
			person[string(who)] = from // the email's slots become the owner's
			continue
		}
		for g := range width {
			src, cur := slots[int(from)+g], &slots[int(to)+g]
			if src.course == "" {
				continue
			}
			if cur.course == "" || src.on > cur.on || (src.on == cur.on && src.id < cur.id) {
				*cur = src
			}
		}
	}
	type pick struct {
		id   int64
		emp  string
		slot int32
	}
	picks := make([]pick, 0, filled)
	for emp, first := range person {
		for g := range width {
			if sl := slots[int(first)+g]; sl.course != "" {
				picks = append(picks, pick{sl.id, emp, first + int32(g)})
			}
		}
	}
	slices.SortFunc(picks, func(a, b pick) int { return cmp.Compare(a.id, b.id) })
	for _, p := range picks {
		sl := slots[p.slot]
		if err := fn(compliance.Completion{EmployeeNumber: p.emp, Course: sl.course, CompletedOn: dayEpoch.AddDate(0, 0, int(sl.on))}); err != nil {
			return err
		}
	}
	return nil
}

var dayEpoch = compliance.Date(1900, 1, 1)

// dayNumber reads a calendar day as the drivers return it ('YYYY-MM-DD'
// text, a timestamp, or a number of days from PostgreSQL) as days since
// 1 January 1900.
func dayNumber(b []byte) (int32, error) {
	if len(b) > 0 && len(b) <= 7 { // already days since 1 January 1900
		if n := atoi(b); n >= 0 {
			return int32(n), nil
		}
		if n := atoi(b[1:]); b[0] == '-' && n >= 0 {
			return int32(-n), nil
		}
	}
	if len(b) >= 10 && b[4] == '-' && b[7] == '-' {
		y, m, d := atoi(b[0:4]), atoi(b[5:7]), atoi(b[8:10])
		if y > 0 && m > 0 && d > 0 {
			return int32(compliance.Date(y, time.Month(m), d).Sub(dayEpoch) / (24 * time.Hour)), nil
		}
	}
	var dd day
	if err := dd.Scan(string(b)); err != nil {
		return 0, err
	}
	return int32(dd.Time.Sub(dayEpoch) / (24 * time.Hour)), nil
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// emailOwners maps each email that keys a completion to the employee
// number of its holder (see the emailOwners query).
func (s *Store) emailOwners(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `WITH `+emailOwners+` SELECT email, employee_number FROM email_owners`)
	if err != nil {
		return nil, s.wrap("match completions by email", err)
	}
	defer rows.Close()
	owners := make(map[string][]byte)
	for rows.Next() {
		var email string
		var emp []byte
		if err := rows.Scan(&email, &emp); err != nil {
			return nil, s.wrap("match completions by email", err)
		}
		owners[email] = emp
	}
	return owners, s.wrap("match completions by email", rows.Err())
}

// CountSkipped records, for the data-quality report, the rows of each
// course that the import read but did not store (courses that map to no
// Prevent level). It ends the rows: call it after the last Add.
func (t *CompletionImport) CountSkipped(counts map[string]int) error {
	if err := t.check(); err != nil {
		return err
	}
	if err := t.w.close(); err != nil { // a COPY must end before the next statement
		return err
	}
	if len(counts) == 0 {
		return nil
	}
	// Names that differ only in surrounding spaces count as one row.
	byCourse := make(map[string]int, len(counts))
	for c, n := range counts {
		byCourse[strings.TrimSpace(c)] += n
	}
	courses := make([]string, 0, len(byCourse))
	for c := range byCourse {
		courses = append(courses, c)
	}
	sort.Strings(courses)
	w, err := t.s.newWriter(t.ctx, t.tx, "course_counts", []string{"import_id", "course", "course_key", "rows_read"}, "")
	if err != nil {
		return err
	}
	for _, c := range courses {
		if _, err := w.write(t.imp.ID, c, glob.Normalize(c), byCourse[c]); err != nil {
			_ = w.close()
			return fmt.Errorf("completions extract %s: %w", t.imp.FileName, err)
		}
	}
	return w.close()
}

// SkippedCourses returns the course names an import counted without
// storing them, with their rows.
func (s *Store) SkippedCourses(ctx context.Context, importID int64) (map[string]int, error) {
	var rows []struct {
		Course string `db:"course"`
		Rows   int    `db:"rows_read"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT course, rows_read FROM course_counts WHERE import_id = ?`), importID)
	if err != nil {
		return nil, s.wrap("read skipped courses", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Course] = r.Rows
	}
	return out, nil
}

// StoredSkipped records that the rows of these courses, which an earlier
// import of the same file counted without storing, are stored now (by
// this import): they leave that import's counts. Like CountSkipped it
// ends the rows.
func (t *CompletionImport) StoredSkipped(importID int64, courses []string) error {
	if err := t.check(); err != nil {
		return err
	}
	if err := t.w.close(); err != nil {
		return err
	}
	for _, c := range courses {
		if _, err := t.tx.ExecContext(t.ctx, t.tx.Rebind(`DELETE FROM course_counts WHERE import_id = ? AND course = ?`), importID, c); err != nil {
			return t.s.wrap("import of "+t.imp.FileName, err)
		}
	}
	return nil
}
