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
