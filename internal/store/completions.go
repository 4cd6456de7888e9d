package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
)

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
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(`SELECT CASE WHEN c.employee_number = '' THEN COALESCE(o.employee_number, '') ELSE c.employee_number END AS employee_number,
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
		// Scanned by position rather than by reflection: every completion held.
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
	// Two anti-joins rather than one NOT EXISTS per row under an OR: the
	// database can then hash the staff once instead of probing for each of
	// millions of completions (8.4 s down to 2.2 s on a national history).
	const cols = `c.employee_number, c.email, c.course, c.completed_on, i.file_name, c.source_row,
			i.imported_at, i.imported_on, c.import_id, c.id`
	err := s.db.SelectContext(ctx, &rows, `SELECT employee_number, email, course, completed_on, file_name, source_row,
			imported_at, imported_on
		FROM (
			SELECT `+cols+` FROM completions c JOIN imports i ON i.id = c.import_id
			WHERE c.employee_number <> '' AND NOT EXISTS (SELECT 1 FROM staff_numbers n WHERE n.employee_number = c.employee_number)
			UNION ALL
			SELECT `+cols+` FROM completions c JOIN imports i ON i.id = c.import_id
			WHERE c.employee_number = '' AND NOT EXISTS (SELECT 1 FROM email_owners o WHERE o.email = c.email_key)
		) unmatched
		ORDER BY import_id, source_row, id`)
	if err != nil {
		return nil, s.wrap("find unmatched completions", err)
	}
	// Employee numbers match without leading zeros too (compliance.EmployeeKey):
	// drop candidates whose number matches a person in that form.
	var staff []string
	if len(rows) > 0 {
		if err := s.db.SelectContext(ctx, &staff, `SELECT employee_number FROM staff_numbers`); err != nil {
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
// lower case) of the completions held, in order. Imports keep them in a
// table of their own, so that this reads a handful of rows rather than
// every completion.
func (s *Store) CourseKeys(ctx context.Context) ([]string, error) {
	var keys []string
	err := s.db.SelectContext(ctx, &keys, `SELECT course_key FROM course_keys ORDER BY course_key`)
	return keys, s.wrap("list course names", err)
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
			return int32((compliance.Date(y, time.Month(m), d).Unix() - dayEpoch.Unix()) / 86400), nil
		}
	}
	var dd day
	if err := dd.Scan(string(b)); err != nil {
		return 0, err
	}
	return daysSinceEpoch(dd.Time), nil
}

// daysSinceEpoch is the number of days from 1 January 1900 to t's day
// (time.Duration would overflow after 292 years).
func daysSinceEpoch(t time.Time) int32 {
	return int32((compliance.Day(t).Unix() - dayEpoch.Unix()) / 86400)
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

// CountSkipped records, for the data-quality report, the rows of each
// course that the import read but did not store (courses that map to no
// Prevent level). It ends the rows: call it after the last Add.
func (t *CompletionImport) CountSkipped(counts map[string]int) error {
	if err := t.check(); err != nil {
		return err
	}
	if err := t.flush(); err != nil {
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
	if err := t.flush(); err != nil {
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

// CountedCourse is a course whose rows an import counted without storing
// them (course_counts): the course rules mapped it to no level then.
type CountedCourse struct {
	Course     string
	CourseKey  string
	Rows       int
	ImportID   int64
	FileName   string
	ImportedAt time.Time
}

// CountedCourses lists every course an import counted without storing
// its rows, by import then course.
func (s *Store) CountedCourses(ctx context.Context) ([]CountedCourse, error) {
	var rows []struct {
		Course   string  `db:"course"`
		Key      string  `db:"course_key"`
		Rows     int     `db:"rows_read"`
		ImportID int64   `db:"import_id"`
		FileName string  `db:"file_name"`
		At       instant `db:"imported_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT c.course, c.course_key, c.rows_read, c.import_id, i.file_name, i.imported_at
		FROM course_counts c JOIN imports i ON i.id = c.import_id ORDER BY c.import_id, c.course`); err != nil {
		return nil, s.wrap("read the courses counted without storing", err)
	}
	out := make([]CountedCourse, len(rows))
	for i, r := range rows {
		out[i] = CountedCourse{Course: r.Course, CourseKey: r.Key, Rows: r.Rows, ImportID: r.ImportID, FileName: r.FileName, ImportedAt: r.At.Time}
	}
	return out, nil
}

// StoredAfter reports whether an import after the one given stored
// completions of the course (by course key): an LMS export is cumulative,
// so a later one holding the course brings the rows an earlier import
// only counted.
func (s *Store) StoredAfter(ctx context.Context, courseKey string, importID int64) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM (
		SELECT 1 FROM completions WHERE course_key = ? AND import_id > ? LIMIT 1) x`), courseKey, importID)
	return n > 0, s.wrap("look for completions stored later", err)
}
