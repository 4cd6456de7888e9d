package store_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// rankedOwners is each email's owner by its definition, ranked over every
// holding in every snapshot held: what email_owners must agree with.
func rankedOwners(t *testing.T, s *store.Store) map[string]string {
	t.Helper()
	rows, err := s.DB().QueryContext(ctx, `SELECT email, employee_number FROM (
		SELECT a.email, a.employee_number, ROW_NUMBER() OVER (
			PARTITION BY a.email ORDER BY s.effective_date DESC, a.row_no, a.id) AS pick
		FROM assignments a JOIN snapshots s ON s.id = a.snapshot_id WHERE a.email <> ''
	) ranked WHERE pick = 1`)
	if err != nil {
		t.Fatal(err)
	}
	return ownerMap(t, rows.Scan, rows.Next, rows.Err, rows.Close)
}

// keptOwners is email_owners as held.
func keptOwners(t *testing.T, s *store.Store) map[string]string {
	t.Helper()
	rows, err := s.DB().QueryContext(ctx, `SELECT email, employee_number FROM email_owners`)
	if err != nil {
		t.Fatal(err)
	}
	return ownerMap(t, rows.Scan, rows.Next, rows.Err, rows.Close)
}

func ownerMap(t *testing.T, scan func(...any) error, next func() bool, end func() error, closeRows func() error) map[string]string {
	t.Helper()
	defer closeRows()
	m := map[string]string{}
	for next() {
		var email, emp string
		if err := scan(&email, &emp); err != nil {
			t.Fatal(err)
		}
		m[email] = emp
	}
	if err := end(); err != nil {
		t.Fatal(err)
	}
	return m
}

// The owners kept as extracts are imported, corrected and purged are
// those the ranking over every snapshot gives, and the employee numbers
// kept those the snapshots hold, after every step of a
// random history: emails changing hands, an email on two rows of one
// extract, extracts imported out of date order, corrected extracts for a
// date already held (which may drop an email or give it to someone else)
// and purges of old snapshots.
func TestOwnersAndNumbersKeptAsHeld(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		rng := rand.New(rand.NewPCG(18, 14))
		dates := []int{1, 2, 3, 4, 5, 6} // month ends of 2026
		steps := 0
		for step := range 40 {
			if step > 0 && rng.IntN(8) == 0 {
				cut := date(2026, time.Month(1+rng.IntN(6)), 15)
				if _, err := s.Purge(ctx, cut, "tester", importedAt); err != nil {
					t.Fatal(err)
				}
			} else {
				m := dates[rng.IntN(len(dates))]
				var rows []compliance.Assignment
				for range 1 + rng.IntN(12) {
					emp := fmt.Sprint(100 + rng.IntN(15))
					email := ""
					if rng.IntN(5) > 0 {
						email = fmt.Sprintf("Person%d@NHS.net", rng.IntN(10)) // upper case: stored lower
					}
					rows = append(rows, person(emp, "P"+emp, email))
				}
				importStaff(t, s, fmt.Sprintf("staff-%d.csv", step), date(2026, time.Month(m+1), 0), rows...)
			}
			steps++
			if got, want := keptOwners(t, s), rankedOwners(t, s); !reflect.DeepEqual(got, want) {
				t.Fatalf("after step %d: kept owners %v, ranked %v", step, got, want)
			}
			if got, want := column(t, s, `SELECT employee_number FROM staff_numbers`),
				column(t, s, `SELECT DISTINCT employee_number FROM assignments`); !reflect.DeepEqual(got, want) {
				t.Fatalf("after step %d: kept employee numbers %v, held %v", step, got, want)
			}
		}
		if len(keptOwners(t, s)) == 0 {
			t.Fatal("no owners kept: the history tested nothing")
		}
	})
}

// A database from before 0015 gets its owners ranked over the snapshots
// it holds, and reports read completions keyed by email as before.
func TestMigrate0015RanksOwners(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		importStaff(t, s, "march.csv", date(2026, 3, 31), person("100", "Ann", "ann@nhs.net"), person("200", "Bo", "shared@nhs.net"))
		importStaff(t, s, "june.csv", date(2026, 6, 30), person("300", "Cy", "shared@nhs.net"), person("300", "Cy", "cy@nhs.net"))
		importCompletions(t, s, "lms.csv", byEmail("shared@nhs.net", "Prevent Awareness", date(2026, 5, 1)),
			byEmail("ann@nhs.net", "Prevent Awareness", date(2026, 4, 1)))
		want := map[string]string{"ann@nhs.net": "100", "shared@nhs.net": "300", "cy@nhs.net": "300"}
		if got := keptOwners(t, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("kept owners %v, want %v", got, want)
		}
		redoMigration(t, s, 15, `DROP TABLE email_owners`)
		if got := keptOwners(t, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("owners after 0015: %v, want %v", got, want)
		}
		held, err := s.CompletionsAsOf(ctx, date(2026, 9, 30))
		if err != nil {
			t.Fatal(err)
		}
		owners := map[string]string{}
		for _, c := range held {
			owners[c.Email] = c.EmployeeNumber
		}
		if want := map[string]string{"shared@nhs.net": "300", "ann@nhs.net": "100"}; !reflect.DeepEqual(owners, want) {
			t.Errorf("completions by email counted for %v, want %v", owners, want)
		}
	})
}

// column is a one-column query's values, sorted.
func column(t *testing.T, s *store.Store, q string) []string {
	t.Helper()
	var out []string
	if err := s.DB().SelectContext(ctx, &out, q); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// A database from before 0016 gets the employee numbers its snapshots
// hold, and completions naming nobody are found as before.
func TestMigrate0016KeepsNumbers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		importStaff(t, s, "march.csv", date(2026, 3, 31), person("100", "Ann", ""), person("0200", "Bo", ""))
		importStaff(t, s, "june.csv", date(2026, 6, 30), person("300", "Cy", ""))
		importCompletions(t, s, "lms.csv", byEmp("100", "Prevent Awareness", date(2026, 4, 1)),
			byEmp("200", "Prevent Awareness", date(2026, 4, 1)), byEmp("999", "Prevent Awareness", date(2026, 4, 1)))
		redoMigration(t, s, 16, `DROP TABLE staff_numbers`)
		if got := column(t, s, `SELECT employee_number FROM staff_numbers`); !reflect.DeepEqual(got, []string{"0200", "100", "300"}) {
			t.Fatalf("numbers after 0016: %v", got)
		}
		unmatched, err := s.UnmatchedCompletions(ctx)
		if err != nil || len(unmatched) != 1 || unmatched[0].EmployeeNumber != "999" {
			t.Errorf("unmatched %+v, %v; want the one for 999", unmatched, err)
		}
	})
}

// redoMigration undoes a migration (the statements given, and its record)
// and migrates again, which must apply that migration alone.
func redoMigration(t *testing.T, s *store.Store, version int, undo ...string) {
	t.Helper()
	for _, q := range append(undo, fmt.Sprintf(`DELETE FROM schema_migrations WHERE version = %d`, version)) {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	applied, err := s.Migrate(ctx)
	if err != nil || !reflect.DeepEqual(applied, []int{version}) {
		t.Fatalf("Migrate applied %v, %v; want [%d]", applied, err, version)
	}
}
