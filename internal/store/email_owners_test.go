package store_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
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

// The owners and employee numbers kept as extracts are imported,
// corrected and purged follow their definition after every step of a
// random history. An email's owner is its first holder in the newest
// extract holding it; a corrected extract for a date held stands for that
// date, and the emails its predecessor owned are ranked again over the
// extracts held (an email none holds has no owner); a purge changes no
// owner, so that completions keyed by an email only a purged extract held
// count as before. The numbers are every number an extract named. The
// history has emails changing hands, an email on two rows of one extract,
// extracts imported out of date order, corrected extracts that drop an
// email or give it to someone else, and purges (after which extracts come
// for later dates only, as in service). While nothing has been purged the
// owners are also what the ranking over the snapshots held gives, as
// reports worked them out before 0015.
func TestOwnersAndNumbersKeptAsHeld(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		rng := rand.New(rand.NewPCG(18, 14))
		type holding struct{ emp, email string }
		type owner struct {
			emp   string
			month int
		}
		held := map[int][]holding{} // the extracts held, by month of 2026
		owners := map[string]owner{}
		numbers := map[string]bool{}
		purged, owned, corrected := 0, 0, 0 // the last month purged; owners seen; extracts corrected
		// first holds each email's first holder in an extract.
		first := func(rows []holding, fn func(h holding)) {
			seen := map[string]bool{}
			for _, h := range rows {
				if h.email != "" && !seen[h.email] {
					seen[h.email] = true
					fn(h)
				}
			}
		}
		for step := range 60 {
			if step > 0 && rng.IntN(8) == 0 {
				cut := 1 + rng.IntN(7) // purge before the 15th of this month
				if _, err := s.Purge(ctx, date(2026, time.Month(cut), 15), "tester", importedAt); err != nil {
					t.Fatal(err)
				}
				kept := 0 // the extract in force on the cut-off date stays
				for m := range held {
					if m < cut {
						kept = max(kept, m)
					}
				}
				for m := range held {
					if m < cut && m != kept {
						delete(held, m)
					}
				}
				purged = max(purged, cut-1) // no extract comes for these months again
			} else {
				m := purged + 1 + rng.IntN(7-purged)
				if m > 6 {
					continue
				}
				var rows []compliance.Assignment
				var extract []holding
				for range 1 + rng.IntN(12) {
					emp := fmt.Sprint(100 + rng.IntN(15))
					email := ""
					if rng.IntN(5) > 0 {
						email = fmt.Sprintf("Person%d@NHS.net", rng.IntN(10)) // upper case: stored lower
					}
					rows = append(rows, person(emp, "P"+emp, email))
					extract = append(extract, holding{emp, strings.ToLower(email)})
					numbers[emp] = true
				}
				importStaff(t, s, fmt.Sprintf("staff-%d.csv", step), date(2026, time.Month(m+1), 0), rows...)
				_, replaced := held[m]
				if replaced {
					corrected++
					for e, o := range owners {
						if o.month == m {
							delete(owners, e)
						}
					}
				}
				held[m] = extract
				first(extract, func(h holding) {
					if o, ok := owners[h.email]; !ok || o.month < m {
						owners[h.email] = owner{h.emp, m}
					}
				})
				if replaced { // the emails left with no owner, ranked over the extracts held
					for m := 6; m >= 1; m-- {
						first(held[m], func(h holding) {
							if _, ok := owners[h.email]; !ok {
								owners[h.email] = owner{h.emp, m}
							}
						})
					}
				}
			}
			want := map[string]string{}
			for e, o := range owners {
				want[e] = o.emp
			}
			got := keptOwners(t, s)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after step %d: kept owners %v, want %v", step, got, want)
			}
			if ranked := rankedOwners(t, s); purged == 0 && !reflect.DeepEqual(got, ranked) {
				t.Fatalf("after step %d: kept owners %v, ranked %v", step, got, ranked)
			}
			owned = max(owned, len(got))
			var wantNumbers []string
			for n := range numbers {
				wantNumbers = append(wantNumbers, n)
			}
			slices.Sort(wantNumbers)
			if got := column(t, s, `SELECT employee_number FROM staff_numbers`); !reflect.DeepEqual(got, wantNumbers) {
				t.Fatalf("after step %d: kept employee numbers %v, want %v", step, got, wantNumbers)
			}
		}
		if owned == 0 || purged == 0 || corrected == 0 {
			t.Fatalf("owners %d, last month purged %d, %d corrected: the history tested too little", owned, purged, corrected)
		}
	})
}

// A completion keyed by an email that only a purged snapshot held (the
// person's name, and email, changed since) counts for its owner as before
// the purge, and one naming someone only a purged snapshot held does not
// come to name nobody.
func TestPurgeKeepsOwnersAndNumbers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		importStaff(t, s, "september.csv", date(2026, 9, 30), person("101", "Alice Smith", "alice.smith@nhs.net"),
			person("102", "Ben Cole", "ben.cole@nhs.net"), person("103", "Cy Leaver", ""))
		importStaff(t, s, "october.csv", date(2026, 10, 31), person("101", "Alice Jones", "alice.jones@nhs.net"),
			person("102", "Ben Cole", "ben.cole@nhs.net"))
		importCompletions(t, s, "lms.csv", byEmail("Alice.Smith@nhs.net", "Prevent Awareness", date(2025, 1, 1)),
			byEmp("103", "Prevent Awareness", date(2025, 2, 1)))
		owners := func() map[string]string {
			held, err := s.CompletionsAsOf(ctx, date(2026, 11, 15))
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for _, c := range held {
				m[c.Email+c.EmployeeNumber] = c.EmployeeNumber
			}
			return m
		}
		before := owners()
		if before["alice.smith@nhs.net101"] != "101" {
			t.Fatalf("before the purge: %v", before)
		}
		if _, err := s.Purge(ctx, date(2026, 10, 31), "tester", importedAt); err != nil {
			t.Fatal(err)
		}
		if n := column(t, s, `SELECT file_name FROM snapshots s JOIN imports i ON i.id = s.import_id`); !reflect.DeepEqual(n, []string{"october.csv"}) {
			t.Fatalf("snapshots after the purge %v, want october.csv's", n)
		}
		if after := owners(); !reflect.DeepEqual(after, before) {
			t.Errorf("completions' owners after the purge %v, before %v", after, before)
		}
		if unmatched, err := s.UnmatchedCompletions(ctx); err != nil || len(unmatched) != 0 {
			t.Errorf("after the purge, completions naming nobody: %+v, %v", unmatched, err)
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

// On PostgreSQL a staff import waits for another under way to end, so
// that what is kept of the snapshots is worked out from both: begun at
// the same time, a corrected extract dropping an email and a new extract
// holding it leave it owned by the new extract's holder.
func TestStaffImportsOneAtATime(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		if s.Dialect() != store.Postgres {
			return // SQLite writes one transaction at a time, whatever the store does
		}
		importStaff(t, s, "march.csv", date(2026, 3, 31), person("100", "Ann", "shared@nhs.net"))
		a, err := s.BeginStaffImport(ctx, store.Import{FileName: "march corrected.csv", SHA256: hashOf("march corrected.csv"),
			EffectiveDate: date(2026, 3, 31), ImportedAt: importedAt, ImportedBy: "tester"})
		if err != nil {
			t.Fatal(err)
		}
		row := person("100", "Ann", "")
		row.Row = 2
		if err := a.Add(row); err != nil {
			t.Fatal(err)
		}
		begun := make(chan error, 1)
		var b *store.StaffImport
		go func() {
			var err error
			b, err = s.BeginStaffImport(ctx, store.Import{FileName: "june.csv", SHA256: hashOf("june.csv"),
				EffectiveDate: date(2026, 6, 30), ImportedAt: importedAt, ImportedBy: "tester"})
			begun <- err
		}()
		select {
		case err := <-begun:
			t.Fatalf("a second staff import began while the first was under way (%v)", err)
		case <-time.After(300 * time.Millisecond):
		}
		if _, err := a.Commit(1, 0, nil); err != nil {
			t.Fatal(err)
		}
		if err := <-begun; err != nil {
			t.Fatal(err)
		}
		row = person("300", "Cy", "shared@nhs.net")
		row.Row = 2
		if err := b.Add(row); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Commit(1, 0, nil); err != nil {
			t.Fatal(err)
		}
		if got := keptOwners(t, s); !reflect.DeepEqual(got, map[string]string{"shared@nhs.net": "300"}) {
			t.Errorf("owners %v, want shared@nhs.net owned by 300", got)
		}
	})
}

// An email that keys completions and that several people hold in its
// owner's extract is listed with the owner (its first holder in file
// order) and the others; one held by a person on two assignments, one
// whose other holder is the owner written with leading zeros, one held by
// two people in an older extract only, and one keying no completion are
// not.
func TestSharedEmails(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		second := person("101", "Alice Smith", "solo@nhs.net")
		second.AssignmentNumber = "101-2"
		importStaff(t, s, "september.csv", date(2026, 9, 30),
			person("201", "Old Ward", "moved@nhs.net"), person("202", "Old Ward Too", "moved@nhs.net"))
		importStaff(t, s, "october.csv", date(2026, 10, 31),
			person("103", "Cy Ward", "ward7@nhs.net"),
			person("101", "Alice Smith", "solo@nhs.net"), second,
			person("102", "Ben Ward", "Ward7@nhs.net"),
			person("104", "Di Ward", "ward7@nhs.net"),
			person("0105", "Ed Zero", "zero@nhs.net"), person("105", "Ed Zero", "zero@nhs.net"),
			person("106", "Flo Team", "team@nhs.net"), person("107", "Gus Team", "team@nhs.net"),
			person("201", "Moved On", "moved@nhs.net"))
		importCompletions(t, s, "lms.csv",
			byEmail("WARD7@nhs.net", "Prevent Awareness", date(2025, 1, 1)),
			byEmail("ward7@nhs.net", "Prevent Level 3", date(2025, 2, 1)),
			byEmp("102", "Prevent Level 3", date(2025, 2, 1)), // by number: not keyed by the email
			byEmail("solo@nhs.net", "Prevent Awareness", date(2025, 1, 1)),
			byEmail("zero@nhs.net", "Prevent Awareness", date(2025, 1, 1)),
			byEmail("moved@nhs.net", "Prevent Awareness", date(2025, 1, 1)))
		got, err := s.SharedEmails(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.SharedEmail{{Email: "ward7@nhs.net", Owner: "103", Others: []string{"102", "104"},
			Effective: date(2026, 10, 31), Completions: 2}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("shared emails\n got %+v\nwant %+v", got, want)
		}
	})
}
