package store_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// firstAndReRead imports lms.csv counting Fire Safety without storing it,
// then reads the file again for Fire Safety as ingest.Completions does
// (the SHA-256 of the first's and the course name), with reReadOf set as
// given.
func firstAndReRead(t *testing.T, s *store.Store, reReadOf bool) (first, again store.Import) {
	t.Helper()
	tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf("lms"), ImportedAt: importedAt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Add(byEmp("100", "Prevent Awareness", date(2025, 1, 1)), 2); err != nil {
		t.Fatal(err)
	}
	if err := tx.CountSkipped(map[string]int{"Fire Safety": 2}); err != nil {
		t.Fatal(err)
	}
	if first, err = tx.Commit(3, 0, nil); err != nil {
		t.Fatal(err)
	}
	imp := store.Import{FileName: "lms.csv", SHA256: hashOf(hashOf("lms") + "\nFire Safety"), ImportedAt: importedAt.Add(1)}
	if reReadOf {
		imp.ReReadOf = first.ID
	}
	tx, err = s.BeginCompletionImport(ctx, imp)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range [...]string{"100", "200"} {
		if _, err := tx.Add(byEmp(c, "Fire Safety", date(2025, 2, 1)), 3+i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.StoredSkipped(first.ID, []string{"Fire Safety"}); err != nil {
		t.Fatal(err)
	}
	if again, err = tx.Commit(2, 0, nil); err != nil {
		t.Fatal(err)
	}
	return first, again
}

// reReads maps each import's ID to the import it read again (0 for none).
func reReads(t *testing.T, s *store.Store) map[int64]int64 {
	t.Helper()
	all, err := s.Imports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, imp := range all {
		out[imp.ID] = imp.ReReadOf
	}
	return out
}

func TestReRead(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		first, again := firstAndReRead(t, s, true)
		t.Run("a re-read names the file's first import", func(t *testing.T) {
			if !again.IsReRead() || again.ReReadOf != first.ID || first.IsReRead() {
				t.Fatalf("first %+v, again %+v", first, again)
			}
			if got, want := reReads(t, s), map[int64]int64{first.ID: 0, again.ID: first.ID}; !reflect.DeepEqual(got, want) {
				t.Errorf("held re-reads %v, want %v", got, want)
			}
			if held, err := s.ImportByHash(ctx, again.SHA256); err != nil || held == nil || held.ReReadOf != first.ID {
				t.Errorf("ImportByHash = %+v, %v", held, err)
			}
		})
		t.Run("only a completions file is read again", func(t *testing.T) {
			_, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff.csv", SHA256: hashOf("staff"),
				EffectiveDate: date(2026, 9, 30), ReReadOf: first.ID})
			if err == nil || !strings.Contains(err.Error(), "only a completions file") {
				t.Errorf("staff import with ReReadOf: %v", err)
			}
		})
	})
}

// A database from before 0014 that holds a re-read has it marked by the
// migration, recognised by its SHA-256; another import of a file with the
// same name is not.
func TestMigrate0014MarksReReads(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		first, again := firstAndReRead(t, s, false)
		// A corrected export under the same name: new content, every row stored.
		other := importCompletions(t, s, "lms.csv", byEmp("300", "Prevent Awareness", date(2025, 3, 1)))
		for _, q := range []string{`ALTER TABLE imports DROP COLUMN reread_of`, `DELETE FROM schema_migrations WHERE version = 14`} {
			if _, err := s.DB().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		applied, err := s.Migrate(ctx)
		if err != nil || !reflect.DeepEqual(applied, []int{14}) {
			t.Fatalf("Migrate applied %v, %v; want [14]", applied, err)
		}
		want := map[int64]int64{first.ID: 0, again.ID: first.ID, other.ID: 0}
		if got := reReads(t, s); !reflect.DeepEqual(got, want) {
			t.Errorf("re-reads after 0014 %v, want %v", got, want)
		}
	})
}
