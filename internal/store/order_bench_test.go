package store_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// BenchmarkCompletionImportOrder imports 250,000 distinct completions (a
// scale-1 LMS export's Prevent rows) into a fresh database, in key order
// and shuffled, then 75,000 more (an ESR report's) on top of them, as the
// SQLite B-tree work of `make bench` does: row by row (Add) and as ingest
// does (AddBatch, which sorts on SQLite).
func BenchmarkCompletionImportOrder(b *testing.B) {
	const first, second = 250_000, 75_000
	courses := []string{"Prevent Awareness", "Prevent Level 3", "WRAP Face to Face", "Basic Prevent Awareness"}
	row := func(n int) compliance.Completion {
		c := compliance.Completion{EmployeeNumber: fmt.Sprintf("%08d", 20000000+n/8*7919%1000000), Course: courses[n%4],
			CompletedOn: date(2016+n/4%10, time.Month(1+n%12), 1+n%28)}
		if n%10 == 3 {
			c.Email, c.EmployeeNumber = fmt.Sprintf("p%d@nhs.net", n/8), ""
		}
		return c
	}
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		for _, run := range []string{"sorted/Add", "shuffled/Add", "sorted/AddBatch", "shuffled/AddBatch"} {
			order, method, _ := strings.Cut(run, "/")
			b.Run(dialect+"/"+run, func(b *testing.B) {
				idx := make([]int, first+second)
				for i := range idx {
					idx[i] = i
				}
				if order == "shuffled" {
					rand.New(rand.NewPCG(1, 2)).Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
				}
				var cpu [2]time.Duration
				for i := 0; b.Loop(); i++ {
					b.StopTimer()
					dsn := storetest.SQLiteDSN(b)
					if dialect == store.Postgres {
						dsn = storetest.PostgresDSN(b)
					}
					s := storetest.Open(b, dsn)
					b.StartTimer()
					for f, rows := range [][]int{idx[:first], idx[first:]} {
						start := cpuTime()
						tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf(fmt.Sprint(i, f))})
						if err != nil {
							b.Fatal(err)
						}
						var batch []store.CompletionRow
						for r, n := range rows {
							if method == "Add" {
								if _, err := tx.Add(row(n), r+2); err != nil {
									b.Fatal(err)
								}
								continue
							}
							// As ingest hands them over: 1,024 at a time.
							if batch = append(batch, store.CompletionRow{Completion: row(n), Row: r + 2}); len(batch) == 1024 || r == len(rows)-1 {
								if err := tx.AddBatch(batch); err != nil {
									b.Fatal(err)
								}
								batch = batch[:0]
							}
						}
						if _, err := tx.Commit(len(rows), 0, nil); err != nil {
							b.Fatal(err)
						}
						cpu[f] += cpuTime() - start
					}
				}
				// CPU time as well as wall time: on a shared machine it is
				// the steadier of the two.
				b.ReportMetric(cpu[0].Seconds()/float64(b.N), "first-cpu-s/op")
				b.ReportMetric(cpu[1].Seconds()/float64(b.N), "second-cpu-s/op")
				b.ReportMetric(float64((first+second)*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
