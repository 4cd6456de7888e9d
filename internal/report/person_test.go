package report

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// samePeople checks that LoadPerson gives every employee number held what
// Load gives them in the whole workforce on each date, and returns how
// many people had each status (to show what was compared).
func samePeople(t *testing.T, s *store.Store, pol compliance.Policy, dates []time.Time, need Need) map[compliance.Status]int {
	t.Helper()
	ctx := context.Background()
	all, err := s.EmployeeNumbers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[compliance.Status]int{}
	for _, asOf := range dates {
		whole, err := LoadFor(ctx, s, pol, asOf, need)
		var none *NoSnapshotError
		if errors.As(err, &none) {
			if _, err := LoadPerson(ctx, s, pol, asOf, all[0], need); !errors.As(err, &none) {
				t.Errorf("%s: Load has no snapshot, LoadPerson says %v", isoDay(asOf), err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		byNumber := map[string]compliance.Person{}
		for _, p := range whole.People {
			byNumber[p.EmployeeNumber] = p
		}
		// Several at a time: the demo trust is some 1,900 numbers.
		numbers := make(chan string)
		var mu sync.Mutex
		var wg sync.WaitGroup
		found := 0
		for range 8 {
			wg.Go(func() {
				for emp := range numbers {
					one, err := LoadPerson(ctx, s, pol, asOf, emp, need)
					if err != nil {
						t.Errorf("%s %s: %v", isoDay(asOf), emp, err)
						continue
					}
					want, in := byNumber[emp]
					mu.Lock()
					switch {
					case one.Snapshot != whole.Snapshot || one.Exemptions != whole.Exemptions || !one.AsOf.Equal(whole.AsOf):
						t.Errorf("%s %s: position %+v, want %+v", isoDay(asOf), emp, one.Snapshot, whole.Snapshot)
					case !in && len(one.People) != 0:
						t.Errorf("%s %s: not in the workforce, LoadPerson gives %+v", isoDay(asOf), emp, one.People)
					case in && len(one.People) != 1:
						t.Errorf("%s %s: in the workforce, LoadPerson gives %d people", isoDay(asOf), emp, len(one.People))
					case in && !reflect.DeepEqual(one.People[0], want):
						t.Errorf("%s %s:\n got %+v\nwant %+v", isoDay(asOf), emp, one.People[0], want)
					case in:
						found++
						seen[want.Status]++
					}
					mu.Unlock()
				}
			})
		}
		for _, emp := range all {
			numbers <- emp
		}
		close(numbers)
		wg.Wait()
		if found != len(whole.People) {
			t.Errorf("%s: %d people matched of %d", isoDay(asOf), found, len(whole.People))
		}
	}
	return seen
}

func isoDay(t time.Time) string { return t.Format(time.DateOnly) }

// Each person's position read alone is the one the whole workforce gives
// them: the demo trust, then the counting demo (a third extract,
// exemptions, new starters), on both databases and several dates.
func TestLoadPersonMatchesLoad(t *testing.T) {
	cfg, err := config.Load("../../prevent.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	counting := *cfg
	counting.NewStarterDays = 60
	pol, countingPol := cfg.Policy(), counting.Policy()
	dir := "../../testdata/demo"
	opt := ingest.Options{Aliases: cfg.Aliases(), Today: compliance.Date(2026, 12, 1)}
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, f := range []string{"esr_staff_2026-09-30.csv", "ESR Staff Extract 2026-10-31.xlsx"} {
			if _, err := ingest.Staff(ctx, s, filepath.Join(dir, f), opt); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []string{"LMS completions export 2026-11-01.csv", "ESR competences 2026-11-01.xlsx"} {
			if _, err := ingest.Completions(ctx, s, filepath.Join(dir, f), opt); err != nil {
				t.Fatal(err)
			}
		}
		seen := samePeople(t, s, pol, []time.Time{date(2026, 8, 1), date(2026, 10, 15), date(2026, 11, 25)}, NeedAll)
		for _, st := range []compliance.Status{compliance.Compliant, compliance.Expired, compliance.Never, compliance.DueSoon} {
			if seen[st] == 0 {
				t.Errorf("the demo trust compared nobody %s: %v", st, seen)
			}
		}
		if _, err := ingest.Staff(ctx, s, filepath.Join(dir, "ESR Staff Extract 2026-11-30.xlsx"), opt); err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.Exemptions(ctx, s, filepath.Join(dir, "exemptions 2026-12-01.csv"), opt); err != nil {
			t.Fatal(err)
		}
		seen = samePeople(t, s, countingPol, []time.Time{date(2026, 11, 30), date(2027, 1, 20)}, NeedAll)
		for _, st := range []compliance.Status{compliance.NewStarter, compliance.Exempt, compliance.Compliant} {
			if seen[st] == 0 {
				t.Errorf("the counting demo compared nobody %s: %v", st, seen)
			}
		}
	})
}

// The cases the demo does not have: numbers written with leading zeros in
// the completions or the exemptions, a completion by email whose email has
// passed to someone else in a newer extract, two completions on the same
// latest day, and a person with two assignments.
func TestLoadPersonOddCases(t *testing.T) {
	cfg, err := config.Load("../../prevent.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.NewStarterDays = 30
	pol := cfg.Policy()
	basic, level3 := "Preventing Radicalisation - Basic Prevent Awareness", "Prevent Level 3"
	if pol.CourseLevel(basic) != compliance.Basic || pol.CourseLevel(level3) != compliance.Level3 {
		t.Fatalf("the example config maps %q to %v and %q to %v", basic, pol.CourseLevel(basic), level3, pol.CourseLevel(level3))
	}
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		staff := func(sha string, eff time.Time, rows []compliance.Assignment) {
			tx, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff " + sha, SHA256: sha, EffectiveDate: eff})
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range rows {
				a.Row = i + 2
				if err := tx.Add(a); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := tx.Commit(len(rows), 0, nil); err != nil {
				t.Fatal(err)
			}
		}
		staff("a1", date(2026, 1, 31), []compliance.Assignment{
			{EmployeeNumber: "12345", Name: "Ann", Organisation: "Acute", StaffGroup: "Admin", Email: "ann@x", Primary: true},
			{EmployeeNumber: "777", Name: "Ed", Organisation: "Acute", StaffGroup: "Admin", Email: "shared@x"},
			{EmployeeNumber: "0", Name: "Zero", Organisation: "Acute", StaffGroup: "Admin"},
			{EmployeeNumber: "X9", Name: "Xan", Organisation: "Acute", StaffGroup: "Admin"},
		})
		staff("a2", date(2026, 6, 30), []compliance.Assignment{
			{EmployeeNumber: "12345", Name: "Ann", Organisation: "Acute", StaffGroup: "Medical and Dental", Email: "ann@x", Primary: false},
			{EmployeeNumber: "12345", Name: "Ann", Organisation: "Community", StaffGroup: "Admin", Email: "ann2@x", Primary: true},
			// Ed's old email is now Fay's: completions by it are Fay's.
			{EmployeeNumber: "777", Name: "Ed", Organisation: "Acute", StaffGroup: "Admin", Email: "ed@x"},
			{EmployeeNumber: "888", Name: "Fay", Organisation: "Acute", StaffGroup: "Admin", Email: "shared@x", StartDate: date(2026, 6, 20)},
			{EmployeeNumber: "999", Name: "Gus", Organisation: "Acute", StaffGroup: "Admin", StartDate: date(2026, 6, 25)},
			{EmployeeNumber: "0", Name: "Zero", Organisation: "Acute", StaffGroup: "Admin"},
			{EmployeeNumber: "X9", Name: "Xan", Organisation: "Acute", StaffGroup: "Admin"},
		})
		ci, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: "c1"})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range []compliance.Completion{
			{EmployeeNumber: "0012345", Course: basic, CompletedOn: date(2024, 3, 1)},
			{EmployeeNumber: "12345", Course: level3, CompletedOn: date(2023, 5, 1)},
			{EmployeeNumber: "", Email: "ann2@x", Course: level3, CompletedOn: date(2025, 5, 1)},
			{EmployeeNumber: "", Email: "ANN@x", Course: level3 + " ", CompletedOn: date(2025, 5, 1)},
			{EmployeeNumber: "", Email: "shared@x", Course: basic, CompletedOn: date(2025, 2, 2)},
			{EmployeeNumber: "777", Course: basic, CompletedOn: date(2022, 2, 2)},
			{EmployeeNumber: "000", Course: basic, CompletedOn: date(2025, 9, 9)},
			{EmployeeNumber: "X9", Course: basic, CompletedOn: date(2026, 9, 9)},
			{EmployeeNumber: "0X9", Course: basic, CompletedOn: date(2025, 9, 9)},
		} {
			if _, err := ci.Add(c, i+2); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ci.Commit(9, 0, nil); err != nil {
			t.Fatal(err)
		}
		ex, err := s.BeginExemptionImport(ctx, store.Import{FileName: "ex.csv", SHA256: "e1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := ex.Add(compliance.Exemption{EmployeeNumber: "00777", Reason: "Secondment", From: date(2026, 7, 1), Until: date(2026, 12, 31)}, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := ex.Commit(1, 0, nil); err != nil {
			t.Fatal(err)
		}
		seen := samePeople(t, s, pol, []time.Time{date(2025, 12, 1), date(2026, 3, 1), date(2026, 7, 5), date(2026, 10, 1), date(2027, 1, 1)}, NeedAll)
		for _, st := range []compliance.Status{compliance.Compliant, compliance.Exempt, compliance.NewStarter} {
			if seen[st] == 0 {
				t.Errorf("nobody compared was %s: %v", st, seen)
			}
		}
		// And the figures themselves, so that the comparison is not of two
		// equally wrong answers.
		one := func(emp string, asOf time.Time) compliance.Person {
			t.Helper()
			pos, err := LoadPerson(ctx, s, pol, asOf, emp, NeedAll)
			if err != nil || len(pos.People) != 1 {
				t.Fatalf("%s on %s: %v, %+v", emp, isoDay(asOf), err, pos)
			}
			return pos.People[0]
		}
		if p := one("12345", date(2026, 7, 5)); p.Requirement != compliance.Level3 || !p.CompletedOn.Equal(date(2025, 5, 1)) || p.Organisation != "Community" {
			t.Errorf("Ann: %+v", p)
		}
		if p := one("12345", date(2026, 3, 1)); p.Requirement != compliance.Basic || !p.CompletedOn.Equal(date(2025, 5, 1)) {
			t.Errorf("Ann before level 3: %+v (the level 3 course counts for basic too)", p)
		}
		if p := one("888", date(2026, 10, 1)); p.Status != compliance.Compliant || !p.CompletedOn.Equal(date(2025, 2, 2)) {
			t.Errorf("Fay has the completion by her email: %+v", p)
		}
		if p := one("777", date(2026, 3, 1)); !p.CompletedOn.Equal(date(2022, 2, 2)) {
			t.Errorf("Ed keeps only his own completion: %+v", p)
		}
		if p := one("777", date(2026, 7, 5)); p.Status != compliance.Exempt {
			t.Errorf("Ed is exempt by 00777: %+v", p)
		}
		if p := one("0", date(2026, 10, 1)); !p.CompletedOn.Equal(date(2025, 9, 9)) {
			t.Errorf("Zero has the completion of 000: %+v", p)
		}
		if p := one("X9", date(2026, 10, 1)); !p.CompletedOn.Equal(date(2026, 9, 9)) {
			t.Errorf("X9: %+v", p)
		}
		if pos, err := LoadPerson(ctx, s, pol, date(2026, 10, 1), "99999", NeedAll); err != nil || len(pos.People) != 0 {
			t.Errorf("someone in no extract: %v, %+v", err, pos)
		}
	})
}
