package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// BenchmarkCompletionImport imports a completions extract of 100,000 rows
// (one in ten a duplicate) per iteration into a fresh database.
func BenchmarkCompletionImport(b *testing.B) {
	const rows = 100_000
	courses := []string{"Prevent Awareness", "Prevent Level 3", "WRAP Face to Face", "Fire Safety", "Infection Prevention"}
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				dsn := storetest.SQLiteDSN(b)
				if dialect == store.Postgres {
					dsn = storetest.PostgresDSN(b)
				}
				s := storetest.Open(b, dsn)
				b.StartTimer()
				tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf(fmt.Sprint(i))})
				if err != nil {
					b.Fatal(err)
				}
				for r := range rows {
					n := r - r/10 // every tenth row repeats the one before
					c := compliance.Completion{EmployeeNumber: fmt.Sprintf("%08d", n/5), Course: courses[n%5],
						CompletedOn: date(2020+n%6, time.Month(1+n%12), 1+n%28)}
					if _, err := tx.Add(c, r+2); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := tx.Commit(rows, 0, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkLatestCompletions picks each person's latest completion per
// level out of 200,000 completions of 20,000 people, a tenth keyed by
// email: the database's part of `prevent status` and the return.
func BenchmarkLatestCompletions(b *testing.B) {
	const rows, people = 200_000, 20_000
	courses := []string{"Prevent Awareness", "Prevent Level 3", "WRAP Face to Face", "Basic Prevent"}
	groups := map[string]int{"prevent awareness": 1, "prevent level 3": 2, "wrap face to face": 3, "basic prevent": 1}
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			dsn := storetest.SQLiteDSN(b)
			if dialect == store.Postgres {
				dsn = storetest.PostgresDSN(b)
			}
			s := storetest.Open(b, dsn)
			staff, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff.csv", SHA256: hashOf("staff"), EffectiveDate: date(2026, 9, 30)})
			if err != nil {
				b.Fatal(err)
			}
			for p := range people {
				emp := fmt.Sprintf("%08d", p)
				if err := staff.Add(compliance.Assignment{EmployeeNumber: emp, Email: emp + "@nhs.net", Row: p + 2}); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := staff.Commit(people, 0, nil); err != nil {
				b.Fatal(err)
			}
			tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf("lms")})
			if err != nil {
				b.Fatal(err)
			}
			for r := range rows {
				p := r % people
				c := compliance.Completion{EmployeeNumber: fmt.Sprintf("%08d", p), Course: courses[r/people%len(courses)],
					CompletedOn: date(2018+r/people%9, time.Month(1+p%12), 1+p%28)}
				if p%10 == 0 {
					c.Email, c.EmployeeNumber = c.EmployeeNumber+"@nhs.net", ""
				}
				if _, err := tx.Add(c, r+2); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := tx.Commit(rows, 0, nil); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				got, err := s.LatestCompletions(ctx, date(2026, 9, 30), groups)
				if err != nil || len(got) != 3*people {
					b.Fatalf("%d completions, %v", len(got), err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
