package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// LatestOn reads the completions once for several dates and gives, for
// each, what LatestFor gives for it alone.
func TestLatestOnAgreesWithLatestFor(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		importCompletions(t, s, "lms.csv",
			byEmp("100", "Prevent Awareness", date(2021, 1, 1)),
			byEmp("100", "Prevent Awareness", date(2026, 2, 1)), // between two dates
			byEmp("100", "Basic Prevent", date(2026, 2, 1)),     // the same day: the first imported is kept
			byEmp("100", "Prevent Level 3", date(2025, 12, 31)), // on a date
			byEmp("100", "Prevent Level 3", date(2026, 12, 1)),  // after every date
			byEmp("0200", "WRAP", date(2026, 5, 1)),
			byEmp("200", "WRAP", date(2025, 5, 1)),
			byEmail("Ann@NHS.net", "Prevent Level 3", date(2026, 1, 15)), // by email, later than by number on one date only
			byEmail("ann@nhs.net", "Prevent Awareness", date(2025, 6, 1)),
			byEmail("cy@nhs.net", "Basic Prevent", date(2026, 8, 1)), // only by email
			byEmail("nobody@nhs.net", "Prevent Awareness", date(2025, 1, 1)),
			byEmp("300", "Fire Safety", date(2026, 1, 1))) // in no group
		importStaff(t, s, "staff.csv", date(2026, 3, 31), person("100", "Ann", "ann@nhs.net"), person("200", "Bo", ""),
			person("300", "Cy", "cy@nhs.net"))
		groups := map[string]int{"prevent awareness": 1, "basic prevent": 1, "prevent level 3": 2, "wrap": 3}
		dates := []time.Time{date(2026, 9, 30), date(2026, 6, 30), date(2026, 3, 31), date(2025, 12, 31), date(2025, 9, 30), date(2019, 1, 1)}
		all, err := s.LatestOn(ctx, dates, groups, 3)
		if err != nil {
			t.Fatal(err)
		}
		days, err := s.LatestDaysOn(ctx, dates, groups, 3)
		if err != nil {
			t.Fatal(err)
		}
		emps := []string{"100", "0100", "200", "0200", "300", "400", "nobody@nhs.net"}
		changes := 0
		var before []compliance.Training
		for k, d := range dates {
			one, err := s.LatestFor(ctx, d, groups, 3)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []compliance.Training
			for _, emp := range emps {
				got = append(all[k].Training(emp, got), compliance.Training{Course: "next"})
				want = append(one.Training(emp, want), compliance.Training{Course: "next"})
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %+v\nwant %+v", d.Format(time.DateOnly), got, want)
			}
			// LatestDaysOn: the same but for the course names.
			var gotDays []compliance.Training
			for _, emp := range emps {
				gotDays = append(days[k].Training(emp, gotDays), compliance.Training{Course: "next"})
			}
			for i := range want {
				if want[i].Course != "next" {
					want[i].Course = ""
				}
			}
			if !reflect.DeepEqual(gotDays, want) {
				t.Errorf("%s, days only: got %+v\nwant %+v", d.Format(time.DateOnly), gotDays, want)
			}
			if k > 0 && !reflect.DeepEqual(got, before) {
				changes++
			}
			before = got
		}
		// NumberCursor walks the all-digit numbers in order of value, the
		// same again allowed, from a value on.
		for k := range dates {
			for _, from := range []uint64{0, 150, 200, 201} {
				training := all[k].NumberCursor(from)
				for _, v := range []uint64{0, 100, 100, 150, 200, 200, 300, 400} {
					if v < from {
						continue
					}
					got := training(v, nil)
					want := all[k].Training(fmt.Sprint(v), nil)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s from %d: %d's training %+v, want %+v", dates[k].Format(time.DateOnly), from, v, got, want)
					}
				}
			}
		}
		if changes < 3 {
			t.Errorf("the position changed between %d dates only: the test should tell the dates apart", changes)
		}
		if none, err := s.LatestOn(ctx, dates, nil, 0); err != nil || len(none) != len(dates) || len(none[0].Training("100", nil)) != 0 {
			t.Errorf("no groups: %v, %v", none, err)
		}
	})
}

// Each assignment's kind stands for its values of the fields asked for:
// the same values, the same kind, whatever they hold.
func TestEachAssignmentKind(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		values := [][3]string{
			{"Acute", "Nursing and Midwifery Registered", "Active Assignment"},
			{"", "", ""},
			{"3:ab", "1:", "::"},       // what looks like a key
			{"Ménière Unit", "é", "0"}, // more bytes than characters
			{"3:a", "b1:", "::"},       // the same text run together as another's
		}
		// Employee numbers as an array of them writes them out, quoted
		// or not.
		emps := []string{"1000", "0001", "a,b", `"q"`, `back\slash`, "{x}", " sp ace ", "NULL", "null", "é1", "E 1,2", `\"`}
		var rows []compliance.Assignment
		for i := range 24 {
			v := values[i*7%len(values)]
			emp := fmt.Sprint(1000 + i)
			if i < len(emps) {
				emp = emps[i]
			}
			a := compliance.Assignment{EmployeeNumber: emp, Organisation: v[0], StaffGroup: v[1],
				AssignmentStatus: v[2], JobRole: "Staff", Name: "Someone", Primary: i%2 == 0}
			if i%3 > 0 {
				a.StartDate = date(2020, 1, 1+i)
			}
			rows = append(rows, a)
		}
		imp := importStaff(t, s, "staff.csv", date(2026, 3, 31), rows...)
		snap, err := s.SnapshotAsOf(ctx, date(2026, 3, 31))
		if err != nil || snap.ImportID != imp.ID {
			t.Fatalf("snapshot %+v, %v", snap, err)
		}
		for _, withStart := range []bool{false, true} {
			fields := []compliance.Field{compliance.FieldOrganisation, compliance.FieldStaffGroup, compliance.FieldAssignmentStatus, store.FieldMain}
			if withStart {
				fields = append(fields, store.FieldStartDate)
			}
			want := map[string]compliance.Assignment{}
			if err := s.EachAssignment(ctx, snap.ID, fields, func(a *compliance.Assignment) error {
				want[a.EmployeeNumber] = compliance.Assignment{Organisation: a.Organisation, StaffGroup: a.StaffGroup,
					AssignmentStatus: a.AssignmentStatus, StartDate: a.StartDate, Primary: a.Primary, Row: a.Row}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			kinds := map[int]*compliance.Assignment{}
			byValues := map[compliance.Assignment]int{}
			seen := 0
			err := s.EachAssignmentKind(ctx, snap.ID, fields, func(number []byte, row *compliance.Assignment, kind int, a *compliance.Assignment) error {
				emp, start := string(number), row.StartDate
				if row.Row != want[emp].Row || row.Primary != want[emp].Primary {
					t.Errorf("%q: row %d primary %v, want %d %v", emp, row.Row, row.Primary, want[emp].Row, want[emp].Primary)
				}
				seen++
				if k, ok := kinds[kind]; ok && k != a {
					t.Errorf("kind %d given as two assignments", kind)
				}
				if kind > len(kinds) {
					t.Errorf("kind %d after %d kinds", kind, len(kinds))
				}
				kinds[kind] = a
				got := *a
				if !got.StartDate.IsZero() {
					t.Errorf("a kind has a start date: %+v", got)
				}
				if k, ok := byValues[got]; ok && k != kind {
					t.Errorf("values %+v are kinds %d and %d", got, k, kind)
				}
				byValues[got] = kind
				got.StartDate, got.Primary, got.Row = start, row.Primary, row.Row
				if got != want[emp] {
					t.Errorf("%s: got %+v, want %+v", emp, got, want[emp])
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if seen != len(rows) || len(kinds) != len(values) {
				t.Errorf("%d assignments of %d kinds, want %d of %d", seen, len(kinds), len(rows), len(values))
			}
		}
	})
}

// An email's owner is found in the newest snapshot holding it, else in the
// newest of the others, as CompletionsAsOf ranks them: the same whether
// the newest snapshot holds it (first in file order) or not, in batches.
func TestLatestEmailOwners(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		var older []compliance.Assignment
		var done []compliance.Completion
		for i := range 620 { // more than a batch held only by the older snapshot
			emp := fmt.Sprint(5000 + i)
			older = append(older, person(emp, "Old "+emp, "old"+emp+"@nhs.net"))
			done = append(done, byEmail("old"+emp+"@nhs.net", "Prevent Awareness", date(2023, 1, 1).AddDate(0, 0, i)))
		}
		older = append(older, person("100", "Ann", "a@nhs.net"), person("300", "Cy", "c@nhs.net"), person("200", "Bo", "b@nhs.net"))
		importStaff(t, s, "older.csv", date(2026, 1, 31), older...)
		importStaff(t, s, "newest.csv", date(2026, 6, 30),
			person("500", "Al", "a@nhs.net"),  // a@ has changed hands
			person("201", "Bea", "b@nhs.net"), // b@ held twice: the first row's
			person("200", "Bo", "b@nhs.net"))
		importStaff(t, s, "oldest.csv", date(2025, 6, 30), person("900", "Cal", "c@nhs.net"))
		done = append(done, byEmail("a@nhs.net", "Prevent Awareness", date(2025, 2, 1)),
			byEmail("b@nhs.net", "Prevent Level 3", date(2025, 3, 1)),
			byEmail("c@nhs.net", "WRAP", date(2025, 4, 1)),
			byEmail("e@nhs.net", "Prevent Awareness", date(2025, 5, 1))) // nobody's
		importCompletions(t, s, "lms.csv", done...)
		groups := map[string]int{"prevent awareness": 1, "prevent level 3": 2, "wrap": 3}
		got, err := s.LatestCompletions(ctx, date(2026, 9, 30), groups)
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.CompletionsAsOf(ctx, date(2026, 9, 30))
		if err != nil {
			t.Fatal(err)
		}
		owner := map[string]string{} // course and day -> employee number, by the ranking over every snapshot
		for _, c := range all {
			if c.EmployeeNumber != "" {
				owner[c.Course+c.CompletedOn.String()] = c.EmployeeNumber
			}
		}
		if len(got) != len(owner) || len(got) != 623 {
			t.Errorf("%d latest completions, %d owned by the ranking; want 623", len(got), len(owner))
		}
		for _, c := range got {
			if want := owner[c.Course+c.CompletedOn.String()]; c.EmployeeNumber != want {
				t.Errorf("%s on %s given to %s, want %s", c.Course, c.CompletedOn.Format(time.DateOnly), c.EmployeeNumber, want)
			}
		}
		for _, w := range []struct {
			course string
			on     time.Time
			emp    string
		}{
			{"Prevent Awareness", date(2025, 2, 1), "500"}, // a@, the newest holder
			{"Prevent Level 3", date(2025, 3, 1), "201"},   // b@, first in file order
			{"WRAP", date(2025, 4, 1), "300"},              // c@, the newest snapshot holding it
		} {
			if got := owner[w.course+w.on.String()]; got != w.emp {
				t.Errorf("the ranking gives %s to %s, want %s", w.course, got, w.emp)
			}
		}
	})
}
