package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// messyRows is a shuffled extract of n rows, most of them the same few
// completions again: by number or by email, with the course in another
// case or spacing, so that which duplicate is kept shows in what is held.
func messyRows(n int, seed uint64) []store.CompletionRow {
	r := rand.New(rand.NewPCG(seed, 7))
	spell := []string{"Prevent Awareness", "PREVENT awareness", "  prevent   Awareness ", "WRAP Face to Face", "wrap face to FACE"}
	rows := make([]store.CompletionRow, n)
	for i := range rows {
		p := r.IntN(n / 3)
		c := compliance.Completion{Course: spell[r.IntN(len(spell))], CompletedOn: date(2020+r.IntN(3), time.Month(1+r.IntN(2)), 1)}
		if p%5 == 0 {
			c.Email = fmt.Sprintf("Person%d@NHS.net", p)
			if r.IntN(2) == 0 {
				c.Email = strings.ToLower(c.Email)
			}
		} else {
			c.EmployeeNumber = fmt.Sprintf("%08d", p)
		}
		rows[i] = store.CompletionRow{Completion: c, Row: i + 2}
	}
	return rows
}

// held lists what the store holds, in a fixed order.
func held(t *testing.T, s *store.Store) []string {
	t.Helper()
	cs, err := s.CompletionsAsOf(ctx, date(2030, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%s|%s|%s|%s", c.EmployeeNumber, c.Email, c.Course, c.CompletedOn.Format(time.DateOnly))
	}
	slices.Sort(out)
	return out
}

// TestAddBatchKeepsWhatAddKeeps imports the same two shuffled extracts
// row by row (Add) and in batches (AddBatch, sorted on SQLite, across
// several of its sorted groups): the same completions are held, the first
// of duplicates in file order each time, with the same counts.
func TestAddBatchKeepsWhatAddKeeps(t *testing.T) {
	files := [][]store.CompletionRow{messyRows(40000, 1), messyRows(12000, 2)}
	storetest.ForEachDSN(t, func(t *testing.T, dsn string) {
		byRow := storetest.Open(t, dsn)
		other := storetest.SQLiteDSN(t)
		if byRow.Dialect() == store.Postgres {
			other = storetest.PostgresDSN(t)
		}
		byBatch := storetest.Open(t, other)
		for f, rows := range files {
			name := fmt.Sprintf("lms-%d.csv", f)
			var imps [2]store.Import
			for k, s := range []*store.Store{byRow, byBatch} {
				tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: name, SHA256: hashOf(name)})
				if err != nil {
					t.Fatal(err)
				}
				if k == 0 {
					for _, r := range rows {
						if _, err := tx.Add(r.Completion, r.Row); err != nil {
							t.Fatal(err)
						}
					}
				} else {
					for i := 0; i < len(rows); i += 1000 {
						if err := tx.AddBatch(rows[i:min(i+1000, len(rows))]); err != nil {
							t.Fatal(err)
						}
					}
				}
				if imps[k], err = tx.Commit(len(rows), 0, nil); err != nil {
					t.Fatal(err)
				}
			}
			if a, b := imps[0], imps[1]; a.RowsImported != b.RowsImported || a.RowsDuplicate != b.RowsDuplicate {
				t.Errorf("%s: Add imported %d (%d duplicates), AddBatch %d (%d)", name, a.RowsImported, a.RowsDuplicate, b.RowsImported, b.RowsDuplicate)
			}
			if imps[1].RowsImported == 0 || imps[1].RowsDuplicate == 0 {
				t.Errorf("%s: %d imported, %d duplicates: the test wants both", name, imps[1].RowsImported, imps[1].RowsDuplicate)
			}
		}
		want, got := held(t, byRow), held(t, byBatch)
		if !slices.Equal(got, want) {
			t.Errorf("AddBatch holds %d completions, Add %d; they differ", len(got), len(want))
		}
	})
}

// TestAddBatchBadRow checks that a bad row in a batch is an error naming
// the file and row, and that rolling back keeps nothing.
func TestAddBatchBadRow(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf("lms")})
		if err != nil {
			t.Fatal(err)
		}
		rows := []store.CompletionRow{
			{Completion: byEmp("100", "Prevent Awareness", date(2025, 1, 1)), Row: 2},
			{Completion: compliance.Completion{Course: "Prevent Awareness", CompletedOn: date(2025, 1, 1)}, Row: 3},
		}
		err = tx.AddBatch(rows)
		if err == nil || !strings.Contains(err.Error(), "lms.csv row 3") {
			t.Errorf("AddBatch = %v, want an error naming lms.csv row 3", err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := held(t, s); len(got) != 0 {
			t.Errorf("after a rollback the store holds %q", got)
		}
	})
}
