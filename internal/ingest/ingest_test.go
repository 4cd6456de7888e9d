package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var ctx = context.Background()

func policy(t *testing.T, courses ...string) *compliance.Policy {
	t.Helper()
	pol := compliance.DefaultPolicy()
	set, err := glob.CompileSet(courses)
	if err != nil {
		t.Fatal(err)
	}
	pol.Courses = []compliance.CourseRule{{Level: compliance.Basic, Match: set}}
	return &pol
}

const staffCSV = "Employee Number,Full Name,Organisation,Staff Group,Job Role\n" +
	"100,Ann Smith,RXX Acute,Medical and Dental,Consultant\n" +
	"200,Bo Jones,RXX Acute,Estates and Ancillary,Porter\n" +
	"0300,Cy Patel,RXX Acute,Administrative and Clerical,Clerk\n"

const lmsCSV = "Employee Number,Course Name,Completion Date\n" +
	"100,Prevent Awareness,02/11/2023\n" +
	"100,Fire Safety,01/09/2026\n" +
	"200,Fire Safety,31/02/2026\n" + // a bad date on another course is still a bad row
	"200,Prevent Awareness,15/01/2024\n" +
	"300,FIRE  SAFETY,01/01/2025\n" + // 300 is 0300 of the staff extract
	"300,Manual Handling,01/01/2025\n" +
	"999,Fire Safety,01/01/2025\n" + // names nobody: kept for the quality report
	"100,Fire Safety,15/12/2026\n" // after the import: kept for the quality report

func TestCompletionsWithCourseRules(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		path, staff := filepath.Join(dir, "lms.csv"), filepath.Join(dir, "staff.csv")
		if err := os.WriteFile(path, []byte(lmsCSV), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(staff, []byte(staffCSV), 0o600); err != nil {
			t.Fatal(err)
		}
		opt := Options{Policy: policy(t, "*Prevent Awareness*"), Today: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
		if _, err := Staff(ctx, s, staff, Options{Effective: time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC), Today: opt.Today}); err != nil {
			t.Fatal(err)
		}
		res, err := Completions(ctx, s, path, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("of other courses, only what the quality report lists is stored", func(t *testing.T) {
			imp := res.Import
			if imp.RowsRead != 8 || imp.RowsImported != 4 || imp.RowsRejected != 1 {
				t.Errorf("read %d, imported %d, rejected %d; want 8, 4, 1", imp.RowsRead, imp.RowsImported, imp.RowsRejected)
			}
			all, err := s.CompletionsAsOf(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			if err != nil || len(all) != 4 {
				t.Errorf("held %+v, %v", all, err)
			}
		})
		t.Run("a completion of another course naming nobody is listed by quality", func(t *testing.T) {
			unmatched, err := s.UnmatchedCompletions(ctx)
			if err != nil || len(unmatched) != 1 || unmatched[0].EmployeeNumber != "999" || unmatched[0].Course != "Fire Safety" {
				t.Errorf("unmatched %+v, %v; want 999's Fire Safety", unmatched, err)
			}
		})
		t.Run("one dated after the import is listed too", func(t *testing.T) {
			future, err := s.FutureCompletions(ctx)
			if err != nil || len(future) != 1 || future[0].EmployeeNumber != "100" || future[0].Course != "Fire Safety" {
				t.Errorf("future %+v, %v; want 100's Fire Safety of 15/12/2026", future, err)
			}
		})
		t.Run("a bad value is a row error whatever the course", func(t *testing.T) {
			if len(res.Errors) != 1 || res.Errors[0].Row != 4 {
				t.Errorf("row errors %+v", res.Errors)
			}
		})
		t.Run("the other courses are counted for the quality report", func(t *testing.T) {
			names, err := s.CourseNames(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, n := range names {
				got[glob.Normalize(n.Course)] = n.Count
			}
			if got["fire safety"] != 4 || got["manual handling"] != 1 || got["prevent awareness"] != 2 {
				t.Errorf("course names %+v", names)
			}
		})
		t.Run("the same file under the same rules is a no-op", func(t *testing.T) {
			again, err := Completions(ctx, s, path, opt)
			if err != nil || !again.Skipped {
				t.Errorf("skipped %v, %v", again.Skipped, err)
			}
		})
		t.Run("a course the rules map later is stored by importing the file again", func(t *testing.T) {
			opt.Policy = policy(t, "*Prevent Awareness*", "Fire Safety")
			again, err := Completions(ctx, s, path, opt)
			if err != nil || again.Skipped {
				t.Fatalf("skipped %v, %v", again.Skipped, err)
			}
			// The two Fire Safety rows stored already are held: duplicates.
			if imp := again.Import; imp.RowsImported != 2 || imp.RowsDuplicate != 2 || imp.RowsRead != 4 || len(again.Errors) != 0 {
				t.Errorf("second import %+v, errors %v", again.Import, again.Errors)
			}
			// It is recorded as the same file read again, for the
			// courses (both spellings) the rules map now.
			if again.Import.ReReadOf != res.Import.ID || again.Previous == nil || again.Previous.ID != res.Import.ID ||
				!reflect.DeepEqual(again.ReRead, []string{"FIRE  SAFETY", "Fire Safety"}) {
				t.Errorf("second import read again of %d (previous %+v) for %q; want of %d for both Fire Safety spellings",
					again.Import.ReReadOf, again.Previous, again.ReRead, res.Import.ID)
			}
			names, _ := s.CourseNames(ctx)
			for _, n := range names {
				if glob.Normalize(n.Course) == "fire safety" && n.Count != 4 {
					t.Errorf("fire safety counted %d times, want 4 (stored now, no longer counted)", n.Count)
				}
			}
			third, err := Completions(ctx, s, path, opt)
			if err != nil || !third.Skipped {
				t.Errorf("a third import: skipped %v, %v", third.Skipped, err)
			}
		})
		t.Run("a re-read made before migration 0014 is marked by it", func(t *testing.T) {
			for _, q := range []string{`ALTER TABLE imports DROP COLUMN reread_of`, `DELETE FROM schema_migrations WHERE version = 14`} {
				if _, err := s.DB().ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if applied, err := s.Migrate(ctx); err != nil || !reflect.DeepEqual(applied, []int{14}) {
				t.Fatalf("Migrate applied %v, %v; want [14]", applied, err)
			}
			imps, err := s.Imports(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var reReads []int64
			for _, imp := range imps {
				if imp.IsReRead() {
					reReads = append(reReads, imp.ReReadOf)
				}
			}
			if !reflect.DeepEqual(reReads, []int64{res.Import.ID}) {
				t.Errorf("imports read again of %v, want [%d] (of %+v)", reReads, res.Import.ID, imps)
			}
		})
	})
}

func TestImportOfAFileBeingWritten(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		var b strings.Builder
		b.WriteString("Employee Number,Course Name,Completion Date\n")
		for i := range 5000 { // Progress is called every 4,096 rows
			fmt.Fprintf(&b, "%d,Prevent Awareness,02/11/2023\n", 1000+i)
		}
		content := b.String()
		path := filepath.Join(dir, "lms.csv")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Run("a file written to while it is imported is refused whole", func(t *testing.T) {
			appended := false
			_, err := Completions(ctx, s, path, Options{Progress: func(string, int, int64, int64) {
				if appended {
					return
				}
				appended = true
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = f.WriteString("9999,Prevent Awareness,03/11/2023\n")
				_ = f.Close()
			}})
			var fe *importers.FileError
			if !appended || !errors.As(err, &fe) || !strings.Contains(err.Error(), "changed while it was being read") {
				t.Fatalf("err = %v, want the file refused as changed", err)
			}
			imps, err := s.Imports(ctx)
			if err != nil || len(imps) != 0 {
				t.Errorf("imports %+v, %v; want none", imps, err)
			}
			held, err := s.CompletionsAsOf(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			if err != nil || len(held) != 0 {
				t.Errorf("%d completions held, %v; want none", len(held), err)
			}
		})
		t.Run("once complete it imports, hashed as it was read", func(t *testing.T) {
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			res, err := Completions(ctx, s, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Import.SHA256 != importers.HashOf(content) || res.Import.RowsImported != 5000 {
				t.Errorf("import %+v; want the hash of the content and 5,000 rows", res.Import)
			}
		})
	})
}

func TestPipe(t *testing.T) {
	t.Run("rows arrive in order", func(t *testing.T) {
		var got []int
		sum, err := pipe(func(emit func(int) error) (importers.Summary, error) {
			for i := range 5000 {
				if err := emit(i); err != nil {
					return importers.Summary{}, err
				}
			}
			return importers.Summary{RowsRead: 5000}, nil
		}, func(i int) error { got = append(got, i); return nil })
		if err != nil || sum.RowsRead != 5000 || len(got) != 5000 {
			t.Fatalf("%d rows, %+v, %v", len(got), sum, err)
		}
		for i, v := range got {
			if v != i {
				t.Fatalf("row %d is %d", i, v)
			}
		}
	})
	t.Run("a storing error stops the reader and is returned", func(t *testing.T) {
		boom := errors.New("disk full")
		emitted := 0
		_, err := pipe(func(emit func(int) error) (importers.Summary, error) {
			for i := range 1_000_000 {
				if err := emit(i); err != nil {
					return importers.Summary{}, err
				}
				emitted++
			}
			return importers.Summary{}, nil
		}, func(i int) error {
			if i == 100 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) || emitted > 20*batchRows {
			t.Errorf("err %v after %d rows emitted", err, emitted)
		}
	})
	t.Run("a reading error is returned", func(t *testing.T) {
		bad := errors.New("damaged")
		_, err := pipe(func(emit func(int) error) (importers.Summary, error) {
			_ = emit(1)
			return importers.Summary{}, bad
		}, func(int) error { return nil })
		if !errors.Is(err, bad) {
			t.Errorf("err %v", err)
		}
	})
}

func TestDroppedName(t *testing.T) {
	for _, tc := range []struct{ failed, want string }{
		{"notes.csv", "notes.csv"},
		{"notes.20261001T060000.123456789.csv", "notes.csv"},
		{"ESR staff 2026-09-30.20261001T060000.123456789.xlsx", "ESR staff 2026-09-30.xlsx"},
		{"README.20261001T060000.123456789", "README"},
	} {
		t.Run(tc.failed, func(t *testing.T) {
			if got := DroppedName(tc.failed); got != tc.want {
				t.Errorf("DroppedName(%q) = %q, want %q", tc.failed, got, tc.want)
			}
		})
	}
}
