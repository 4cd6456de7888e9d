package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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

const lmsCSV = "Employee Number,Course Name,Completion Date\n" +
	"100,Prevent Awareness,02/11/2023\n" +
	"100,Fire Safety,01/09/2026\n" +
	"200,Fire Safety,31/02/2026\n" + // a bad date on another course is still a bad row
	"200,Prevent Awareness,15/01/2024\n" +
	"300,FIRE  SAFETY,01/01/2025\n" +
	"300,Manual Handling,01/01/2025\n"

func TestCompletionsWithCourseRules(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		path := filepath.Join(dir, "lms.csv")
		if err := os.WriteFile(path, []byte(lmsCSV), 0o600); err != nil {
			t.Fatal(err)
		}
		opt := Options{Policy: policy(t, "*Prevent Awareness*"), Today: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
		res, err := Completions(ctx, s, path, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("only completions of Prevent courses are stored", func(t *testing.T) {
			imp := res.Import
			if imp.RowsRead != 6 || imp.RowsImported != 2 || imp.RowsRejected != 1 {
				t.Errorf("read %d, imported %d, rejected %d; want 6, 2, 1", imp.RowsRead, imp.RowsImported, imp.RowsRejected)
			}
			all, err := s.CompletionsAsOf(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			if err != nil || len(all) != 2 {
				t.Errorf("held %+v, %v", all, err)
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
			if got["fire safety"] != 2 || got["manual handling"] != 1 || got["prevent awareness"] != 2 {
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
			if again.Import.RowsImported != 2 || again.Import.RowsRead != 2 || len(again.Errors) != 0 {
				t.Errorf("second import %+v, errors %v", again.Import, again.Errors)
			}
			names, _ := s.CourseNames(ctx)
			for _, n := range names {
				if glob.Normalize(n.Course) == "fire safety" && n.Count != 2 {
					t.Errorf("fire safety counted %d times, want 2 (stored now, no longer counted)", n.Count)
				}
			}
			third, err := Completions(ctx, s, path, opt)
			if err != nil || !third.Skipped {
				t.Errorf("a third import: skipped %v, %v", third.Skipped, err)
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
