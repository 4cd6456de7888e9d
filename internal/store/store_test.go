package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var ctx = context.Background()

var date = compliance.Date

// importedAt is when the test imports run: 1 October 2026, mid-morning.
var importedAt = time.Date(2026, 10, 1, 9, 30, 0, 0, time.UTC)

// hashOf stands in for the SHA-256 of a file's content.
func hashOf(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func person(emp, name, email string) compliance.Assignment {
	return compliance.Assignment{EmployeeNumber: emp, AssignmentNumber: emp + "-1", Name: name,
		Organisation: "Community Services", StaffGroup: "Nursing and Midwifery Registered", Email: email}
}

// importStaff imports a staff extract; rows are numbered in order from 2
// (row 1 being the header).
func importStaff(t *testing.T, s *store.Store, file string, eff time.Time, rows ...compliance.Assignment) store.Import {
	t.Helper()
	tx, err := s.BeginStaffImport(ctx, store.Import{FileName: file, SHA256: hashOf(file), EffectiveDate: eff,
		ImportedAt: importedAt, ImportedBy: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range rows {
		a.Row = i + 2
		if err := tx.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	imp, err := tx.Commit(len(rows), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

// importCompletions imports a completions extract; rows are numbered in
// order from 2.
func importCompletions(t *testing.T, s *store.Store, file string, rows ...compliance.Completion) store.Import {
	t.Helper()
	tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: file, SHA256: hashOf(file),
		ImportedAt: importedAt, ImportedBy: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range rows {
		if _, err := tx.Add(c, i+2); err != nil {
			t.Fatal(err)
		}
	}
	imp, err := tx.Commit(len(rows), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

func byEmp(emp, course string, on time.Time) compliance.Completion {
	return compliance.Completion{EmployeeNumber: emp, Course: course, CompletedOn: on}
}

func byEmail(email, course string, on time.Time) compliance.Completion {
	return compliance.Completion{Email: email, Course: course, CompletedOn: on}
}

func TestMigrate(t *testing.T) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, dsn string)
	}{
		{"opening twice applies the migrations once", func(t *testing.T, dsn string) {
			first := storetest.Open(t, dsn)
			version, err := first.SchemaVersion(ctx)
			if err != nil || version < 1 {
				t.Fatalf("schema version after first open = %d, %v", version, err)
			}
			second := storetest.Open(t, dsn)
			applied, err := second.Migrate(ctx)
			if err != nil || len(applied) != 0 {
				t.Fatalf("Migrate on a migrated database applied %v, %v; want nothing", applied, err)
			}
			if again, _ := second.SchemaVersion(ctx); again != version {
				t.Errorf("schema version moved from %d to %d", version, again)
			}
		}},
		{"processes starting at once migrate once between them", func(t *testing.T, dsn string) {
			const n = 4
			var wg sync.WaitGroup
			stores := make([]*store.Store, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stores[i], errs[i] = store.Open(ctx, dsn)
				}()
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("open %d: %v", i, errs[i])
				}
				defer stores[i].Close()
			}
			var count int
			if err := stores[0].DB().GetContext(ctx, &count, `SELECT count(*) FROM schema_migrations WHERE version = 1`); err != nil {
				t.Fatal(err)
			}
			if count != 1 {
				t.Errorf("migration 1 recorded %d times", count)
			}
		}},
		{"a database from before 0008, 0009 and 0010 is brought up to date with its data", func(t *testing.T, dsn string) {
			s := storetest.Open(t, dsn)
			importStaff(t, s, "staff.csv", date(2026, 3, 31), person("100", "Ann", ""), person("200", "Bo", ""))
			importCompletions(t, s, "lms.csv", byEmp("100", "Prevent  Awareness", date(2025, 1, 1)), byEmp("200", "WRAP", date(2025, 1, 1)))
			// Back to version 7, as the earlier prevent left it.
			for _, q := range []string{`ALTER TABLE imports DROP COLUMN reread_of`, `ALTER TABLE imports DROP COLUMN rows_not_completed`, `ALTER TABLE snapshots DROP COLUMN people`, `DROP TABLE course_keys`,
				`CREATE INDEX completions_course ON completions (course_key)`, `DELETE FROM schema_migrations WHERE version IN (8, 9, 10, 13, 14)`} {
				if _, err := s.DB().ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			applied, err := s.Migrate(ctx)
			if err != nil || !reflect.DeepEqual(applied, []int{8, 9, 10, 13, 14}) {
				t.Fatalf("Migrate applied %v, %v; want [8 9 10 13 14]", applied, err)
			}
			// 0010 rebuilt imports on SQLite: the rows that snapshots and
			// completions name are all still there, and the new kinds fit.
			var orphans int
			if err := s.DB().GetContext(ctx, &orphans, `SELECT count(*) FROM completions c LEFT JOIN imports i ON i.id = c.import_id WHERE i.id IS NULL`); err != nil || orphans != 0 {
				t.Errorf("completions naming no import after 0010: %d, %v", orphans, err)
			}
			if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`INSERT INTO imports (kind, file_name, sha256, imported_at, imported_on) VALUES ('referrals', 'r.csv', 'x', ?, ?)`), "2026-12-01T00:00:00.000000Z", "2026-12-01"); err != nil {
				t.Errorf("an import of kind referrals after 0010: %v", err)
			}
			if keys, err := s.CourseKeys(ctx); err != nil || !reflect.DeepEqual(keys, []string{"prevent awareness", "wrap"}) {
				t.Errorf("course keys after the upgrade %q, %v", keys, err)
			}
			if snap, err := s.SnapshotAsOf(ctx, date(2026, 9, 30)); err != nil || snap.People != 2 {
				t.Errorf("snapshot after the upgrade %+v, %v; want 2 people", snap, err)
			}
		}},
		{"a schema newer than the program is refused", func(t *testing.T, dsn string) {
			s := storetest.Open(t, dsn)
			if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
				t.Fatal(err)
			}
			_, err := store.Open(ctx, dsn)
			if err == nil || !strings.Contains(err.Error(), "newer than this prevent knows") {
				t.Errorf("Open = %v, want the schema refused as newer", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { storetest.ForEachDSN(t, tc.test) })
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	t.Run("sqlite DSN forms open a file and create its folder", func(t *testing.T) {
		for _, tc := range []struct{ dsn, file string }{
			{"sqlite:" + filepath.Join(dir, "a", "prevent.db"), filepath.Join(dir, "a", "prevent.db")},
			{"sqlite://" + filepath.Join(dir, "b", "prevent.db"), filepath.Join(dir, "b", "prevent.db")},
			{filepath.Join(dir, "c", "prevent.db"), filepath.Join(dir, "c", "prevent.db")},
			{"sqlite:" + filepath.Join(dir, "e #1 100%", "prevent.db"), filepath.Join(dir, "e #1 100%", "prevent.db")},
			{"sqlite:" + filepath.Join(dir, "d", "prevent.sqlite") + "?_pragma=cache_size(-4000)", filepath.Join(dir, "d", "prevent.sqlite")},
		} {
			s := storetest.Open(t, tc.dsn)
			if s.Dialect() != store.SQLite {
				t.Errorf("%s: dialect %q", tc.dsn, s.Dialect())
			}
			if _, err := os.Stat(tc.file); err != nil {
				t.Errorf("%s: %v", tc.dsn, err)
			}
			var mode string
			if err := s.DB().GetContext(ctx, &mode, `PRAGMA journal_mode`); err != nil || mode != "wal" {
				t.Errorf("%s: journal_mode %q, %v; want wal", tc.dsn, mode, err)
			}
			var fk int
			if err := s.DB().GetContext(ctx, &fk, `PRAGMA foreign_keys`); err != nil || fk != 1 {
				t.Errorf("%s: foreign_keys %d, %v; want 1", tc.dsn, fk, err)
			}
			var mmap int64
			if err := s.DB().GetContext(ctx, &mmap, `PRAGMA mmap_size`); err != nil || mmap != 256<<20 {
				t.Errorf("%s: mmap_size %d, %v; want 256 MiB", tc.dsn, mmap, err)
			}
		}
	})
	t.Run("errors are one sentence naming the database without its password", func(t *testing.T) {
		blocker := filepath.Join(dir, "file")
		if err := os.WriteFile(blocker, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ dsn, want string }{
			{"postgres://alice:s3cret@127.0.0.1:1/prevent?sslmode=disable", "cannot open database postgres://alice@127.0.0.1:1/prevent?sslmode=disable: connection refused"},
			{"postgresql://alice:s3cret@127.0.0.1:1/prevent?sslmode=disable&password=s3cret", "cannot open database postgresql://alice@127.0.0.1:1/prevent?sslmode=disable: connection refused"},
			{"mysql://alice:s3cret@localhost/prevent", "cannot open database \"mysql://alice@localhost/prevent\": want sqlite:FILE or postgres://USER@HOST/DB"},
			{"sqlite:" + filepath.Join(blocker, "prevent.db"), "cannot open database sqlite:" + filepath.Join(blocker, "prevent.db") + ": cannot create folder " + blocker + ": not a directory"},
			// A mistyped scheme is not a relative file name: it must not
			// create a folder "sqlit:" in the working directory.
			{"sqlit:" + filepath.Join(dir, "typo", "prevent.db"), "cannot open database \"sqlit:" + filepath.Join(dir, "typo", "prevent.db") + "\": want sqlite:FILE or postgres://USER@HOST/DB"},
		} {
			s, err := store.Open(ctx, tc.dsn)
			if err == nil {
				s.Close()
				t.Errorf("Open(%s) succeeded", tc.dsn)
				continue
			}
			if err.Error() != tc.want {
				t.Errorf("Open(%s) error\n got: %s\nwant: %s", tc.dsn, err, tc.want)
			}
		}
		if _, err := os.Stat("sqlit:"); err == nil {
			os.RemoveAll("sqlit:")
			t.Errorf("Open(sqlit:...) created a folder \"sqlit:\" in the working directory")
		}
	})
}

func TestSnapshots(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		march := importStaff(t, s, "staff_2026-03-31.csv", date(2026, 3, 31),
			person("100", "Ann Abbott", "ann@nhs.net"), person("200", "Bob Brown", ""))
		importStaff(t, s, "staff_2026-06-30.csv", date(2026, 6, 30),
			person("100", "Ann Abbott", "ann@nhs.net"), person("200", "Bob Brown", ""), person("300", "Cat Cole", ""))

		for _, tc := range []struct {
			name string
			asOf time.Time
			want time.Time // zero: ErrNoSnapshot
		}{
			{"before the first snapshot there is none", date(2026, 3, 30), time.Time{}},
			{"a snapshot is in force on its effective date", date(2026, 3, 31), date(2026, 3, 31)},
			{"between snapshots the earlier is in force", date(2026, 5, 15), date(2026, 3, 31)},
			{"the later snapshot takes over on its date", date(2026, 6, 30), date(2026, 6, 30)},
			{"after the last snapshot it stays in force", date(2027, 1, 1), date(2026, 6, 30)},
			{"the time of day of the as-of date is ignored", time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC), date(2026, 3, 31)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				snap, err := s.SnapshotAsOf(ctx, tc.asOf)
				if tc.want.IsZero() {
					if !errors.Is(err, store.ErrNoSnapshot) {
						t.Fatalf("SnapshotAsOf = %+v, %v; want ErrNoSnapshot", snap, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !snap.EffectiveDate.Equal(tc.want) || snap.EffectiveDate.Location() != time.UTC {
					t.Errorf("snapshot effective %v, want %v", snap.EffectiveDate, tc.want)
				}
			})
		}

		t.Run("a snapshot counts people, not assignments", func(t *testing.T) {
			tx, err := s.BeginStaffImport(ctx, store.Import{FileName: "two-posts.csv", SHA256: hashOf("two-posts"), EffectiveDate: date(2026, 9, 30)})
			if err != nil {
				t.Fatal(err)
			}
			secondPost := person("100", "Ann", "")
			secondPost.AssignmentNumber = "100-2"
			for i, a := range []compliance.Assignment{person("100", "Ann", ""), secondPost, person("200", "Bob", "")} {
				a.Row = i + 2
				if err := tx.Add(a); err != nil {
					t.Fatal(err)
				}
			}
			imp, err := tx.Commit(3, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if imp.RowsImported != 3 {
				t.Errorf("rows imported %d, want 3", imp.RowsImported)
			}
			snap, err := s.SnapshotAsOf(ctx, date(2026, 9, 30))
			if err != nil || snap.People != 2 || snap.FileName != "two-posts.csv" || snap.ImportID != imp.ID {
				t.Errorf("snapshot = %+v, %v; want 2 people from two-posts.csv", snap, err)
			}
			var stored int
			if err := s.DB().GetContext(ctx, &stored, `SELECT people FROM snapshots WHERE id = `+strconv.FormatInt(snap.ID, 10)); err != nil || stored != 2 {
				t.Errorf("the snapshot's stored head count is %d, %v; want 2, set at commit", stored, err)
			}
			// A snapshot from before the count was kept is counted when read.
			if _, err := s.DB().ExecContext(ctx, `UPDATE snapshots SET people = NULL`); err != nil {
				t.Fatal(err)
			}
			if snap, err := s.SnapshotAsOf(ctx, date(2026, 9, 30)); err != nil || snap.People != 2 {
				t.Errorf("with no stored head count, snapshot = %+v, %v; want 2 people", snap, err)
			}
		})

		t.Run("a second extract for the same date replaces the snapshot", func(t *testing.T) {
			corrected := importStaff(t, s, "staff_2026-03-31_corrected.csv", date(2026, 3, 31), person("900", "Zed Zane", ""))
			snap, err := s.SnapshotAsOf(ctx, date(2026, 4, 1))
			if err != nil {
				t.Fatal(err)
			}
			if snap.ImportID != corrected.ID || snap.People != 1 {
				t.Errorf("snapshot = %+v, want the corrected import %d with 1 person", snap, corrected.ID)
			}
			staff, err := s.Assignments(ctx, snap.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(staff) != 1 || staff[0].EmployeeNumber != "900" {
				t.Errorf("assignments = %+v, want only employee 900", staff)
			}
			all, err := s.Snapshots(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var dates []string
			for _, sn := range all {
				dates = append(dates, sn.EffectiveDate.Format(time.DateOnly))
			}
			if want := []string{"2026-09-30", "2026-06-30", "2026-03-31"}; !reflect.DeepEqual(dates, want) {
				t.Errorf("snapshots %v, want %v", dates, want)
			}
			var orphans int
			if err := s.DB().GetContext(ctx, &orphans, `SELECT count(*) FROM assignments WHERE snapshot_id NOT IN (SELECT id FROM snapshots)`); err != nil || orphans != 0 {
				t.Errorf("%d assignments of replaced snapshots remain (%v)", orphans, err)
			}
			if imp, _ := s.ImportByHash(ctx, march.SHA256); imp == nil {
				t.Errorf("the replaced extract's import is gone from the log")
			}
		})

		t.Run("a staff import says which snapshot it replaces", func(t *testing.T) {
			for _, tc := range []struct {
				eff  time.Time
				want store.ReplacedSnapshot
				ok   bool
			}{
				{date(2026, 3, 31), store.ReplacedSnapshot{FileName: "staff_2026-03-31_corrected.csv", Assignments: 1}, true},
				{date(2026, 4, 30), store.ReplacedSnapshot{}, false},
			} {
				tx, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff-again.csv", SHA256: hashOf("staff-again"), EffectiveDate: tc.eff})
				if err != nil {
					t.Fatal(err)
				}
				got, ok := tx.Replaced()
				if err := tx.Rollback(); err != nil {
					t.Fatal(err)
				}
				if got != tc.want || ok != tc.ok {
					t.Errorf("effective %s: Replaced() = %+v, %v; want %+v, %v", tc.eff.Format(time.DateOnly), got, ok, tc.want, tc.ok)
				}
			}
		})
	})
}

func TestAssignments(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		rows := []compliance.Assignment{
			{EmployeeNumber: "00012345", AssignmentNumber: "00012345-2", Name: "Zoë O'Brien", Organisation: "Mental Health\tServices",
				StaffGroup: "Allied Health Professionals", OccupationCode: "S1A", JobRole: "Occupational Therapist",
				PositionTitle: "Band 6 OT\nNights", AssignmentCategory: "Permanent", AssignmentStatus: "Active Assignment",
				Primary: true, Email: " Zoe.OBrien@NHS.net ", ManagerEmail: "Boss@NHS.net", Row: 7},
			{EmployeeNumber: "00012345", AssignmentNumber: "00012345-1", Name: `Back\slash`, Row: 3},
			{EmployeeNumber: "42", Row: 5},
		}
		tx, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff.xlsx", SHA256: hashOf("staff"), EffectiveDate: date(2026, 9, 30)})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range rows {
			if err := tx.Add(a); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tx.Commit(3, 0, nil); err != nil {
			t.Fatal(err)
		}
		snap, err := s.SnapshotAsOf(ctx, date(2026, 9, 30))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Assignments(ctx, snap.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("assignments come back in file order with every field, emails in lower case", func(t *testing.T) {
			want := []compliance.Assignment{rows[1], rows[2], rows[0]}
			want[2].Email, want[2].ManagerEmail = "zoe.obrien@nhs.net", "boss@nhs.net"
			if !reflect.DeepEqual(got, want) {
				t.Errorf("assignments\n got: %+v\nwant: %+v", got, want)
			}
		})
		t.Run("AssignmentsFor reads only the rule fields asked for", func(t *testing.T) {
			some, err := s.AssignmentsFor(ctx, snap.ID, []compliance.Field{compliance.FieldPositionTitle, compliance.FieldOrganisation,
				compliance.FieldStaffGroup, compliance.FieldJobRole, store.FieldName, store.FieldEmail, store.FieldManagerEmail})
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(some, func(i, j int) bool { return some[i].Row < some[j].Row })
			want := append([]compliance.Assignment(nil), got...)
			for i := range want {
				want[i].AssignmentNumber, want[i].OccupationCode, want[i].AssignmentCategory, want[i].AssignmentStatus = "", "", "", ""
			}
			if !reflect.DeepEqual(some, want) {
				t.Errorf("assignments\n got: %+v\nwant: %+v", some, want)
			}
			fewest, err := s.AssignmentsFor(ctx, snap.ID, []compliance.Field{})
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(fewest, func(i, j int) bool { return fewest[i].Row < fewest[j].Row })
			for i := range want {
				want[i] = compliance.Assignment{EmployeeNumber: got[i].EmployeeNumber, Primary: got[i].Primary, Row: got[i].Row}
			}
			if !reflect.DeepEqual(fewest, want) {
				t.Errorf("with no fields asked for, assignments\n got: %+v\nwant: %+v", fewest, want)
			}
		})
	})
}

func TestCompletionDedupe(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		first := importCompletions(t, s, "lms-1.csv",
			byEmp("100", "Prevent Awareness", date(2025, 1, 10)),
			byEmp("100", "Prevent Awareness", date(2025, 1, 10)), // repeated in the same file
			byEmp("200", "Prevent Level 3", date(2025, 2, 1)),
			compliance.Completion{EmployeeNumber: "300", Email: "cat@nhs.net", Course: "WRAP", CompletedOn: date(2025, 3, 1)},
			byEmail("dan@nhs.net", "Prevent Awareness", date(2025, 4, 1)),
		)
		t.Run("a row repeated within a file counts once", func(t *testing.T) {
			if first.RowsImported != 4 || first.RowsDuplicate != 1 || first.RowsRead != 5 {
				t.Errorf("import counts read %d imported %d duplicate %d, want 5, 4, 1", first.RowsRead, first.RowsImported, first.RowsDuplicate)
			}
		})

		for _, tc := range []struct {
			name string
			row  compliance.Completion
			new  bool
		}{
			{"the same completion in a later file counts once", byEmp("100", "Prevent Awareness", date(2025, 1, 10)), false},
			{"course names differing in case and spacing are the same course", byEmp("100", "  prevent   AWARENESS ", date(2025, 1, 10)), false},
			{"the time of day is dropped", byEmp("200", "Prevent Level 3", time.Date(2025, 2, 1, 14, 45, 0, 0, time.UTC)), false},
			{"a completion with an employee number is the same with or without an email", byEmp("300", "wrap", date(2025, 3, 1)), false},
			{"email keys are case-insensitive", byEmail(" DAN@nhs.NET", "Prevent Awareness", date(2025, 4, 1)), false},
			{"another day is another completion", byEmp("100", "Prevent Awareness", date(2025, 1, 11)), true},
			{"another course is another completion", byEmp("100", "Prevent Level 3", date(2025, 1, 10)), true},
			{"another person is another completion", byEmp("101", "Prevent Awareness", date(2025, 1, 10)), true},
			{"the same course by email is not the same as by number", byEmail("ann@nhs.net", "Prevent Awareness", date(2025, 1, 10)), true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				imp := importCompletions(t, s, "lms-"+tc.name+".csv", tc.row)
				want := map[bool][2]int{true: {1, 0}, false: {0, 1}}[tc.new]
				if got := [2]int{imp.RowsImported, imp.RowsDuplicate}; got != want {
					t.Errorf("imported, duplicate = %v, want %v", got, want)
				}
			})
		}

		t.Run("every completion is held once", func(t *testing.T) {
			all, err := s.CompletionsAsOf(ctx, date(2030, 1, 1))
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 8 {
				t.Errorf("%d completions held, want 8: %+v", len(all), all)
			}
			for _, c := range all {
				if c.CompletedOn.Location() != time.UTC || c.CompletedOn.Hour() != 0 {
					t.Errorf("completed_on %v is not midnight UTC", c.CompletedOn)
				}
			}
		})
	})
}

func TestCompletionImportAddReportsNewRows(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf("lms")})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		inserted, err := tx.Add(byEmp("100", "Prevent Awareness", date(2025, 1, 10)), 2)
		if err != nil || !inserted {
			t.Errorf("first Add = %v, %v; want inserted", inserted, err)
		}
		inserted, err = tx.Add(byEmp("100", "PREVENT AWARENESS", date(2025, 1, 10)), 3)
		if err != nil {
			t.Fatal(err)
		}
		if s.Dialect() == store.SQLite && inserted {
			t.Errorf("a duplicate reported as inserted")
		}
		t.Run("a completion naming nobody is refused", func(t *testing.T) {
			if _, err := tx.Add(compliance.Completion{Course: "Prevent Awareness", CompletedOn: date(2025, 1, 10)}, 4); err == nil {
				t.Errorf("Add accepted a completion with no employee number or email")
			}
		})
		t.Run("a completion without a date is refused", func(t *testing.T) {
			if _, err := tx.Add(byEmp("100", "Prevent Awareness", time.Time{}), 5); err == nil {
				t.Errorf("Add accepted a completion with no date")
			}
		})
	})
}

func TestCompletionsAsOf(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		// Completions first: the staff extracts naming their people come later.
		importCompletions(t, s, "lms.csv",
			byEmp("100", "by number", date(2025, 1, 1)),
			byEmail("Ann.Abbott@NHS.net", "by email, mixed case", date(2025, 1, 2)),
			byEmail("leaver@nhs.net", "by email of a leaver", date(2025, 1, 3)),
			byEmail("shared@nhs.net", "by an email that changed hands", date(2025, 1, 4)),
			byEmail("nobody@nhs.net", "by an unknown email", date(2025, 1, 5)),
			byEmp("100", "after the as-of date", date(2026, 10, 1)),
			byEmail("later@nhs.net", "by the email of someone in a later extract", date(2025, 1, 6)),
		)
		importStaff(t, s, "staff_2026-03-31.csv", date(2026, 3, 31),
			person("100", "Ann Abbott", "ann.abbott@nhs.net"),
			person("200", "Les Leaver", "LEAVER@nhs.net"),
			person("300", "Sam Shared", "shared@nhs.net"))
		importStaff(t, s, "staff_2026-06-30.csv", date(2026, 6, 30),
			person("100", "Ann Abbott", "ann.abbott@nhs.net"),
			person("400", "Sue Shared", "Shared@NHS.net"))
		importStaff(t, s, "staff_2026-12-31.csv", date(2026, 12, 31),
			person("500", "Lee Later", "later@nhs.net"))

		got, err := s.CompletionsAsOf(ctx, date(2026, 9, 30))
		if err != nil {
			t.Fatal(err)
		}
		owner := map[string]string{}
		for _, c := range got {
			owner[c.Course] = c.EmployeeNumber
		}
		for _, tc := range []struct {
			name, course, want string
		}{
			{"a completion keyed by number keeps it", "by number", "100"},
			{"an email matches case-insensitively, in a snapshot imported after the completion", "by email, mixed case", "100"},
			{"an email matches a person in an older snapshot who has since left", "by email of a leaver", "200"},
			{"an email in several snapshots belongs to its holder in the newest", "by an email that changed hands", "400"},
			{"an email in no snapshot matches nobody", "by an unknown email", ""},
			{"an email matches in a snapshot effective after the as-of date", "by the email of someone in a later extract", "500"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				emp, ok := owner[tc.course]
				if !ok {
					t.Fatalf("completion %q missing", tc.course)
				}
				if emp != tc.want {
					t.Errorf("employee number %q, want %q", emp, tc.want)
				}
			})
		}
		t.Run("completions dated after the as-of date are left out", func(t *testing.T) {
			if _, ok := owner["after the as-of date"]; ok || len(got) != 6 {
				t.Errorf("got %d completions: %+v", len(got), got)
			}
		})
		t.Run("a completion dated on the as-of date is included", func(t *testing.T) {
			got, err := s.CompletionsAsOf(ctx, date(2026, 10, 1))
			if err != nil || len(got) != 7 {
				t.Errorf("got %d completions, %v; want 7", len(got), err)
			}
		})
	})
}

func TestRollback(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("a rolled-back staff import leaves nothing", func(t *testing.T) {
			tx, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff.csv", SHA256: hashOf("staff"), EffectiveDate: date(2026, 3, 31)})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				if err := tx.Add(person(fmt.Sprint(1000+i), "Someone", "")); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Commit(100, 0, nil); err == nil {
				t.Errorf("Commit after Rollback succeeded")
			}
			if imp, err := s.ImportByHash(ctx, hashOf("staff")); imp != nil || err != nil {
				t.Errorf("import kept: %+v, %v", imp, err)
			}
			if _, err := s.SnapshotAsOf(ctx, date(2030, 1, 1)); !errors.Is(err, store.ErrNoSnapshot) {
				t.Errorf("snapshot kept: %v", err)
			}
			assertEmpty(t, s, "imports", "snapshots", "assignments")
		})
		t.Run("a rolled-back corrected extract leaves the snapshot it would replace", func(t *testing.T) {
			orig := importStaff(t, s, "staff-orig.csv", date(2026, 3, 31), person("100", "Ann", ""))
			tx, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff-fix.csv", SHA256: hashOf("staff-fix"), EffectiveDate: date(2026, 3, 31)})
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Add(person("900", "Zed", "")); err != nil {
				t.Fatal(err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			snap, err := s.SnapshotAsOf(ctx, date(2026, 3, 31))
			if err != nil || snap.ImportID != orig.ID || snap.People != 1 {
				t.Errorf("snapshot = %+v, %v; want the original", snap, err)
			}
		})
		t.Run("a rolled-back completions import leaves nothing", func(t *testing.T) {
			tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf("lms")})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				if _, err := tx.Add(byEmp(fmt.Sprint(1000+i), "Prevent Awareness", date(2025, 1, 1)), i+2); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if imp, err := s.ImportByHash(ctx, hashOf("lms")); imp != nil || err != nil {
				t.Errorf("import kept: %+v, %v", imp, err)
			}
			assertEmpty(t, s, "completions", "row_errors")
		})
		t.Run("an import whose context is cancelled leaves nothing", func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			tx, err := s.BeginCompletionImport(cctx, store.Import{FileName: "cancelled.csv", SHA256: hashOf("cancelled")})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				if _, err := tx.Add(byEmp(fmt.Sprint(1000+i), "Prevent Awareness", date(2025, 1, 1)), i+2); err != nil {
					t.Fatal(err)
				}
			}
			cancel()
			if err := tx.Rollback(); err != nil {
				t.Errorf("Rollback after cancel: %v", err)
			}
			if imp, err := s.ImportByHash(ctx, hashOf("cancelled")); imp != nil || err != nil {
				t.Errorf("import kept: %+v, %v", imp, err)
			}
			assertEmpty(t, s, "completions")
			// The store is still usable.
			importCompletions(t, s, "after.csv", byEmp("100", "Prevent Awareness", date(2025, 1, 1)))
		})
	})
}

func assertEmpty(t *testing.T, s *store.Store, tables ...string) {
	t.Helper()
	for _, table := range tables {
		var n int
		if err := s.DB().GetContext(ctx, &n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s holds %d rows, want none", table, n)
		}
	}
}

func TestImports(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("an unknown hash finds nothing", func(t *testing.T) {
			if imp, err := s.ImportByHash(ctx, hashOf("never")); imp != nil || err != nil {
				t.Errorf("ImportByHash = %+v, %v; want nil, nil", imp, err)
			}
		})
		staff := importStaff(t, s, "staff.csv", date(2026, 3, 31), person("100", "Ann", ""), person("200", "Bob", ""))
		tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: strings.ToUpper(hashOf("lms")),
			ImportedAt: importedAt.Add(time.Hour), ImportedBy: "analyst"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Add(byEmp("100", "Prevent Awareness", date(2025, 1, 1)), 2); err != nil {
			t.Fatal(err)
		}
		lms, err := tx.Commit(3, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("a known hash finds its import, whatever the hash's case", func(t *testing.T) {
			imp, err := s.ImportByHash(ctx, hashOf("lms"))
			if err != nil || imp == nil {
				t.Fatalf("ImportByHash = %v, %v", imp, err)
			}
			want := store.Import{ID: lms.ID, Kind: store.KindCompletions, FileName: "lms.csv", SHA256: hashOf("lms"),
				RowsRead: 3, RowsImported: 1, RowsRejected: 2, ImportedAt: importedAt.Add(time.Hour), ImportedBy: "analyst"}
			if !reflect.DeepEqual(*imp, want) {
				t.Errorf("import\n got: %+v\nwant: %+v", *imp, want)
			}
			if !reflect.DeepEqual(lms, want) {
				t.Errorf("Commit returned\n %+v\nwant: %+v", lms, want)
			}
		})
		t.Run("a staff import records its effective date", func(t *testing.T) {
			imp, err := s.ImportByHash(ctx, hashOf("staff.csv"))
			if err != nil || imp == nil {
				t.Fatalf("ImportByHash = %v, %v", imp, err)
			}
			if imp.Kind != store.KindStaff || !imp.EffectiveDate.Equal(date(2026, 3, 31)) || imp.RowsImported != 2 || imp.ID != staff.ID {
				t.Errorf("import = %+v", *imp)
			}
		})
		t.Run("the same content cannot be imported twice", func(t *testing.T) {
			_, err := s.BeginStaffImport(ctx, store.Import{FileName: "copy.csv", SHA256: hashOf("staff.csv"), EffectiveDate: date(2026, 4, 30)})
			if !errors.Is(err, store.ErrAlreadyImported) {
				t.Errorf("a second import of the same hash: %v, want ErrAlreadyImported", err)
			}
		})
		t.Run("imports are listed newest first", func(t *testing.T) {
			all, err := s.Imports(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 2 || all[0].ID != lms.ID || all[1].ID != staff.ID {
				t.Errorf("imports = %+v", all)
			}
		})
		t.Run("an import with no time is stamped now", func(t *testing.T) {
			before := time.Now().Add(-time.Second)
			tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "now.csv", SHA256: hashOf("now.csv")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Commit(0, 0, nil); err != nil {
				t.Fatal(err)
			}
			got, err := s.ImportByHash(ctx, hashOf("now.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if got.ImportedAt.Before(before) || got.ImportedAt.After(time.Now().Add(time.Second)) {
				t.Errorf("imported at %v, want about now", got.ImportedAt)
			}
		})
	})
}

func TestQualityLists(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		importStaff(t, s, "staff.csv", date(2026, 3, 31), person("100", "Ann", "ann@nhs.net"))
		importCompletions(t, s, "lms.csv",
			byEmp("100", "Prevent Awareness", date(2025, 1, 1)),
			byEmp("999", "Prevent Awareness", date(2025, 1, 2)),
			byEmail("ANN@nhs.net", "Prevent Awareness", date(2025, 1, 3)),
			byEmail("ghost@nhs.net", "prevent  awareness", date(2025, 1, 4)),
			byEmp("100", "Prevent Level 3", date(2026, 10, 1)), // the import day
			byEmp("100", "PREVENT LEVEL 3", date(2026, 10, 2)), // the day after
			byEmp("100", "Infection Prevention", date(2025, 1, 5)),
		)
		t.Run("completions naming nobody in any snapshot are listed with their file and row", func(t *testing.T) {
			got, err := s.UnmatchedCompletions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []store.UnmatchedCompletion{
				{EmployeeNumber: "999", Course: "Prevent Awareness", CompletedOn: date(2025, 1, 2), FileName: "lms.csv", Row: 3},
				{Email: "ghost@nhs.net", Course: "prevent  awareness", CompletedOn: date(2025, 1, 4), FileName: "lms.csv", Row: 5},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("unmatched\n got: %+v\nwant: %+v", got, want)
			}
		})
		t.Run("a completion matched by a later staff extract is no longer unmatched", func(t *testing.T) {
			importStaff(t, s, "staff-later.csv", date(2026, 6, 30), person("999", "Nia", ""))
			got, err := s.UnmatchedCompletions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Email != "ghost@nhs.net" {
				t.Errorf("unmatched = %+v, want only ghost@nhs.net", got)
			}
		})
		t.Run("completions dated after the day of their import are listed", func(t *testing.T) {
			got, err := s.FutureCompletions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []store.FutureCompletion{{EmployeeNumber: "100", Course: "PREVENT LEVEL 3", CompletedOn: date(2026, 10, 2),
				ImportedAt: importedAt, ImportedOn: date(2026, 10, 1), FileName: "lms.csv", Row: 7}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("future\n got: %+v\nwant: %+v", got, want)
			}
		})
		t.Run("course names are counted once per course, in their most common spelling", func(t *testing.T) {
			got, err := s.CourseNames(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []store.CourseCount{{"Infection Prevention", 1}, {"PREVENT LEVEL 3", 2}, {"Prevent Awareness", 4}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("course names\n got: %+v\nwant: %+v", got, want)
			}
		})
	})
}

func TestRowErrors(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf("lms")})
		if err != nil {
			t.Fatal(err)
		}
		errs := []store.RowError{
			{Row: 9, Column: "Completion Date", Value: "31/02/2025", Reason: "not a date"},
			{Row: 4, Column: "Course", Value: "", Reason: "blank course name"},
		}
		lms, err := tx.Commit(2, 2, errs)
		if err != nil {
			t.Fatal(err)
		}
		stx, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff.csv", SHA256: hashOf("staff"), EffectiveDate: date(2026, 3, 31)})
		if err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("é", 400)
		staff, err := stx.Commit(1, 1, []store.RowError{{Row: 2, Column: "Employee Number", Value: long, Reason: "not a number\twith a tab"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("row errors are kept with their file, by import then row", func(t *testing.T) {
			got, err := s.RowErrors(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("got %d row errors: %+v", len(got), got)
			}
			want := []store.ImportRowError{
				{ImportID: lms.ID, FileName: "lms.csv", Row: 4, Column: "Course", Reason: "blank course name"},
				{ImportID: lms.ID, FileName: "lms.csv", Row: 9, Column: "Completion Date", Value: "31/02/2025", Reason: "not a date"},
			}
			if !reflect.DeepEqual(got[:2], want) {
				t.Errorf("row errors\n got: %+v\nwant: %+v", got[:2], want)
			}
			if got[2].ImportID != staff.ID || got[2].Reason != "not a number\twith a tab" {
				t.Errorf("staff row error = %+v", got[2])
			}
		})
		t.Run("a long bad value is kept shortened", func(t *testing.T) {
			got, err := s.RowErrors(ctx, staff.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || len(got[0].Value) > 510 || !strings.HasPrefix(long, strings.TrimSuffix(got[0].Value, "…")) {
				t.Errorf("row errors of the staff import = %+v", got)
			}
		})
	})
}

// TestCompletionImportVolume checks the bulk path (COPY on PostgreSQL)
// keeps its counts over many rows, duplicates included.
func TestCompletionImportVolume(t *testing.T) {
	const n = 20000
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "big.csv", SHA256: hashOf("big")})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			c := byEmp(fmt.Sprintf("%08d", i%(n/2)), "Prevent Awareness", date(2025, 1, 1))
			if _, err := tx.Add(c, i+2); err != nil {
				t.Fatal(err)
			}
		}
		imp, err := tx.Commit(n, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if imp.RowsImported != n/2 || imp.RowsDuplicate != n/2 {
			t.Errorf("imported %d, duplicate %d; want %d each", imp.RowsImported, imp.RowsDuplicate, n/2)
		}
		got, err := s.CompletionsAsOf(ctx, date(2025, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		emps := make([]string, len(got))
		for i, c := range got {
			emps[i] = c.EmployeeNumber
		}
		if len(emps) != n/2 || !sort.StringsAreSorted(emps) {
			t.Errorf("got %d completions (sorted %v), want %d in import order", len(emps), sort.StringsAreSorted(emps), n/2)
		}
	})
}

// KnownStaff names whoever any snapshot names, matched as
// UnmatchedCompletions matches completions to people.
func TestKnownStaff(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		k, err := s.KnownStaff(ctx)
		if err != nil || k.Names("100", "") || k.Names("", "ann@nhs.net") {
			t.Fatalf("with no staff held, KnownStaff names someone (%v)", err)
		}
		importStaff(t, s, "old.csv", date(2026, 3, 31), person("0100", "Ann", "Ann@NHS.net"))
		importStaff(t, s, "new.csv", date(2026, 9, 30), person("200", "Bo", ""), person("E7", "Cy", "cy@nhs.net"))
		if k, err = s.KnownStaff(ctx); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			emp, email string
			want       bool
		}{
			{"100", "", true}, {"0100", "", true}, {" 00100 ", "", true}, {"200", "", true}, {"E7", "", true},
			{"", "ann@nhs.net", true}, {"", " ANN@nhs.NET ", true}, {"", "cy@nhs.net", true},
			{"999", "", false}, {"e7", "", false}, {"", "bo@nhs.net", false}, {"999", "ann@nhs.net", false},
		} {
			if got := k.Names(tc.emp, tc.email); got != tc.want {
				t.Errorf("Names(%q, %q) = %v, want %v", tc.emp, tc.email, got, tc.want)
			}
		}
	})
}

// A staff extract row that repeats an earlier one word for word is kept
// once and counted as a duplicate; rows that differ in any cell are all
// kept.
func TestStaffRowRepeatedWordForWord(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ann := person("100", "Ann", "ann@nhs.net")
		second := ann
		second.AssignmentNumber = "100-2"
		moved := ann
		moved.OrgLevels[2] = "Ward 9"
		started := ann
		started.StartDate = date(2024, 4, 1)
		imp := importStaff(t, s, "esr.csv", date(2026, 9, 30), ann, ann, second, moved, started, ann, started)
		if imp.RowsImported != 4 || imp.RowsDuplicate != 3 {
			t.Errorf("imported %d, duplicate %d; want 4 and 3", imp.RowsImported, imp.RowsDuplicate)
		}
		snap, err := s.SnapshotAsOf(ctx, date(2026, 9, 30))
		if err != nil {
			t.Fatal(err)
		}
		held, err := s.Assignments(ctx, snap.ID)
		if err != nil {
			t.Fatal(err)
		}
		var rows []int
		for _, a := range held {
			rows = append(rows, a.Row)
		}
		slices.Sort(rows)
		if !slices.Equal(rows, []int{2, 4, 5, 6}) {
			t.Errorf("rows held %v, want the first of each: [2 4 5 6]", rows)
		}
		// Another extract is another set of rows: the same row there is new.
		if imp := importStaff(t, s, "esr-oct.csv", date(2026, 10, 31), ann); imp.RowsImported != 1 || imp.RowsDuplicate != 0 {
			t.Errorf("next extract: imported %d, duplicate %d", imp.RowsImported, imp.RowsDuplicate)
		}
	})
}
