package store_test

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestCourseKeys(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		keys, err := s.CourseKeys(ctx)
		if err != nil || len(keys) != 0 {
			t.Fatalf("an empty store has course keys %q, %v", keys, err)
		}
		importCompletions(t, s, "lms.csv",
			byEmp("1", "Prevent  Awareness", date(2025, 1, 1)),
			byEmp("2", "prevent awareness", date(2025, 1, 1)),
			byEmp("1", "Fire Safety", date(2025, 1, 1)),
			byEmp("1", "WRAP", date(2025, 1, 1)))
		keys, err = s.CourseKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"fire safety", "prevent awareness", "wrap"}; !reflect.DeepEqual(keys, want) {
			t.Errorf("course keys %q, want %q", keys, want)
		}
	})
}

func TestLatestCompletions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		importCompletions(t, s, "lms.csv",
			byEmp("100", "Prevent Awareness", date(2021, 1, 1)),
			byEmp("100", "Prevent Awareness", date(2024, 5, 1)),
			byEmp("100", "Basic Prevent", date(2024, 4, 30)),
			byEmp("100", "Prevent Level 3", date(2022, 3, 1)),
			byEmp("100", "Prevent Level 3", date(2026, 12, 1)), // after the as-of date
			byEmp("100", "Fire Safety", date(2026, 1, 1)),      // in no group
			byEmail("Ann@NHS.net", "Prevent Level 3", date(2023, 6, 1)),
			byEmail("nobody@nhs.net", "Prevent Awareness", date(2025, 1, 1)),
			byEmail("ann@nhs.net", "Prevent Awareness", date(2022, 1, 1)), // older than the one by number
			byEmail("cy@nhs.net", "Basic Prevent", date(2025, 1, 1)),      // only by email
			byEmp("0200", "WRAP", date(2020, 2, 29)))
		importStaff(t, s, "staff.csv", date(2026, 3, 31), person("100", "Ann", "ann@nhs.net"), person("200", "Bo", ""),
			person("300", "Cy", "cy@nhs.net"))
		groups := map[string]int{"prevent awareness": 1, "basic prevent": 1, "prevent level 3": 2, "wrap": 3}
		got, err := s.LatestCompletions(ctx, date(2026, 9, 30), groups)
		if err != nil {
			t.Fatal(err)
		}
		want := []compliance.Completion{
			byEmp("100", "Prevent Awareness", date(2024, 5, 1)),
			byEmp("100", "Prevent Level 3", date(2023, 6, 1)), // by email, later than the one by number
			byEmp("200", "WRAP", date(2020, 2, 29)),           // by employee key: 0200 is 200
			byEmp("300", "Basic Prevent", date(2025, 1, 1)),
		}
		got = append([]compliance.Completion(nil), got...)
		// In import order; PostgreSQL numbers a file's rows in key order.
		byKey := func(cs []compliance.Completion) {
			sort.Slice(cs, func(i, j int) bool { return cs[i].EmployeeNumber+cs[i].Course < cs[j].EmployeeNumber+cs[j].Course })
		}
		byKey(got)
		byKey(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("latest completions\n got %+v\nwant %+v", got, want)
		}
		t.Run("the engine finds the same position as from every completion", func(t *testing.T) {
			importCompletions(t, s, "ties.csv", byEmp("100", "Basic Prevent", date(2024, 5, 1)), byEmp("200", "Prevent Awareness", date(2025, 2, 1)),
				byEmp("200", "Basic Prevent", date(2025, 2, 1)), byEmp("200", "WRAP", date(2025, 2, 1)))
			got, err := s.LatestCompletions(ctx, date(2026, 9, 30), groups)
			if err != nil {
				t.Fatal(err)
			}
			pol := compliance.DefaultPolicy()
			all, err := s.CompletionsAsOf(ctx, date(2026, 9, 30))
			if err != nil {
				t.Fatal(err)
			}
			staff, _ := s.Assignments(ctx, 1)
			pol.Requirements = append(pol.Requirements, compliance.Rule{Level: compliance.Level3})
			pol.Courses = courseRules(t)
			asOf := date(2026, 9, 30)
			if a, b := pol.Evaluate(staff, all, nil, asOf), pol.Evaluate(staff, got, nil, asOf); !reflect.DeepEqual(a, b) {
				t.Errorf("from every completion %+v\nfrom the latest %+v", a, b)
			}
		})
		t.Run("no groups, no completions", func(t *testing.T) {
			if got, err := s.LatestCompletions(ctx, date(2026, 9, 30), nil); err != nil || len(got) != 0 {
				t.Errorf("got %+v, %v", got, err)
			}
		})
	})
}

func courseRules(t *testing.T) []compliance.CourseRule {
	t.Helper()
	var rules []compliance.CourseRule
	for _, r := range []struct {
		level compliance.Level
		pats  []string
	}{
		{compliance.FaceToFace, []string{"*WRAP*"}},
		{compliance.Level3, []string{"*Prevent*Level 3*"}},
		{compliance.Basic, []string{"*Prevent Awareness*", "*Basic Prevent*"}},
	} {
		rules = append(rules, compliance.CourseRule{Level: r.level, Match: globSet(t, r.pats...)})
	}
	return rules
}

func TestCountSkipped(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf("lms"), ImportedAt: importedAt})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Add(byEmp("1", "Prevent Awareness", date(2025, 1, 1)), 2); err != nil {
			t.Fatal(err)
		}
		if err := tx.CountSkipped(map[string]int{"Fire Safety": 3, "FIRE  SAFETY": 1, "Infection Prevention": 2}); err != nil {
			t.Fatal(err)
		}
		imp, err := tx.Commit(7, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("quality's course names include the courses counted", func(t *testing.T) {
			got, err := s.CourseNames(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []store.CourseCount{{"Fire Safety", 4}, {"Infection Prevention", 2}, {"Prevent Awareness", 1}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("course names %+v, want %+v", got, want)
			}
		})
		t.Run("the import's skipped courses are kept by name", func(t *testing.T) {
			got, err := s.SkippedCourses(ctx, imp.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"Fire Safety": 3, "FIRE  SAFETY": 1, "Infection Prevention": 2}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("skipped %v, want %v", got, want)
			}
		})
		t.Run("only completions are course keys", func(t *testing.T) {
			keys, _ := s.CourseKeys(ctx)
			sort.Strings(keys)
			if !reflect.DeepEqual(keys, []string{"prevent awareness"}) {
				t.Errorf("course keys %q", keys)
			}
		})
	})
}

func globSet(t *testing.T, pats ...string) glob.Set {
	t.Helper()
	var set glob.Set
	for _, p := range pats {
		set = append(set, glob.MustCompile(p))
	}
	return set
}

// Employee numbers that are not all digits are held as written, and a
// completion by email goes to such a holder too.
func TestLatestCompletionsOtherEmployeeNumbers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		importStaff(t, s, "staff.csv", date(2026, 3, 31), person("E7", "Ann", "ann@nhs.net"), person("e7", "Bo", ""),
			person("1234567890123456789012", "Cy", "cy@nhs.net"))
		importCompletions(t, s, "lms.csv",
			byEmp("E7", "Prevent Awareness", date(2024, 1, 1)),
			byEmail("ann@nhs.net", "Prevent Awareness", date(2025, 1, 1)), // later, by email
			byEmp("e7", "Prevent Awareness", date(2023, 1, 1)),            // another person: case counts
			byEmp("1234567890123456789012", "Prevent Awareness", date(2022, 1, 1)),
			byEmail("cy@nhs.net", "Prevent Awareness", date(2021, 1, 1))) // earlier: the one by number stays
		got, err := s.LatestCompletions(ctx, date(2026, 9, 30), map[string]int{"prevent awareness": 1})
		if err != nil {
			t.Fatal(err)
		}
		byPerson := map[string]time.Time{}
		for _, c := range got {
			byPerson[c.EmployeeNumber] = c.CompletedOn
		}
		want := map[string]time.Time{"E7": date(2025, 1, 1), "e7": date(2023, 1, 1), "1234567890123456789012": date(2022, 1, 1)}
		if !reflect.DeepEqual(byPerson, want) {
			t.Errorf("latest by person %v, want %v", byPerson, want)
		}
	})
}
