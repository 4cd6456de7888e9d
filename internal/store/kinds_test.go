package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestPriorImportKinds(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const sha = "aa11"
		tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: sha,
			ImportedAt: time.Date(2026, time.November, 1, 10, 0, 0, 0, time.Local)})
		if err != nil {
			t.Fatal(err)
		}
		tx.NotCompleted(758)
		if _, err := tx.Commit(800, 16, nil); err != nil {
			t.Fatal(err)
		}
		t.Run("the same kind again is a repeat", func(t *testing.T) {
			prev, err := s.PriorImport(ctx, sha, store.KindCompletions, "lms.csv")
			if err != nil || prev == nil || prev.FileName != "lms.csv" {
				t.Fatalf("prev %+v, err %v", prev, err)
			}
			if prev.RowsNotCompleted != 758 || prev.RowsRejected != 16 {
				t.Errorf("not completed %d, rejected %d; want 758 and 16 kept apart", prev.RowsNotCompleted, prev.RowsRejected)
			}
		})
		t.Run("unknown content has no prior import", func(t *testing.T) {
			if prev, err := s.PriorImport(ctx, "bb22", store.KindStaff, "x.csv"); err != nil || prev != nil {
				t.Fatalf("prev %+v, err %v", prev, err)
			}
		})
		for kind, want := range map[string]string{
			store.KindStaff: "renamed.csv: already imported as completions on 2026-11-01; not a staff extract",
			"exemptions":    "renamed.csv: already imported as completions on 2026-11-01; not an exemptions list",
			"referrals":     "renamed.csv: already imported as completions on 2026-11-01; not a referral log",
			"meetings":      "renamed.csv: already imported as completions on 2026-11-01; not a meetings log",
		} {
			t.Run("offered as "+kind+" it is refused", func(t *testing.T) {
				_, err := s.PriorImport(ctx, sha, kind, "renamed.csv")
				var ke *store.KindError
				if !errors.As(err, &ke) || err.Error() != want {
					t.Fatalf("err = %v, want %s", err, want)
				}
			})
		}
	})
}

func TestKindErrorNamesBothKinds(t *testing.T) {
	err := &store.KindError{File: "staff.csv", Offered: store.KindCompletions,
		Previous: store.Import{Kind: store.KindStaff, ImportedAt: time.Date(2026, time.October, 3, 9, 0, 0, 0, time.Local)}}
	if want := "staff.csv: already imported as staff on 2026-10-03; not a completions file"; err.Error() != want {
		t.Fatalf("%q, want %q", err.Error(), want)
	}
}
