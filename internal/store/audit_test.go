package store_test

import (
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestPurge(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		importStaff(t, s, "staff-2026-07-31.csv", date(2026, 7, 31), person("1", "A", "a@x"))
		importStaff(t, s, "staff-2026-08-31.csv", date(2026, 8, 31), person("1", "A", "a@x"))
		importStaff(t, s, "staff-2026-09-30.csv", date(2026, 9, 30), person("1", "A", "a@x"))
		importCompletions(t, s, "lms.csv",
			byEmp("1", "Prevent Awareness", date(2017, 1, 1)),  // superseded before the cut-off: goes
			byEmp("1", "Prevent Awareness", date(2020, 1, 1)),  // the latest before the cut-off: stays
			byEmp("1", "Prevent Awareness", date(2026, 10, 1)), // after the cut-off: stays
			byEmp("1", "Fire Safety", date(2018, 1, 1)),        // only one of its course: stays
			byEmail("a@x", "Prevent Awareness", date(2016, 1, 1)),
			byEmail("a@x", "Prevent Awareness", date(2019, 1, 1)), // email-keyed rows supersede among themselves
		)
		now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		res, err := s.Purge(ctx, date(2026, 8, 15), "tester", now)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("the snapshot in force on the cut-off date stays", func(t *testing.T) {
			if res.Snapshots != 0 {
				t.Errorf("deleted %d snapshots, want 0", res.Snapshots)
			}
			if _, err := s.SnapshotAsOf(ctx, date(2026, 8, 15)); err != nil {
				t.Errorf("no snapshot for the cut-off date: %v", err)
			}
		})
		t.Run("only superseded completions go", func(t *testing.T) {
			if res.Completions != 2 {
				t.Errorf("deleted %d completions, want 2", res.Completions)
			}
		})
		t.Run("an older snapshot goes when a later one covers the cut-off", func(t *testing.T) {
			res, err := s.Purge(ctx, date(2026, 9, 1), "tester", now)
			if err != nil {
				t.Fatal(err)
			}
			if res.Snapshots != 1 {
				t.Errorf("deleted %d snapshots, want 1 (31 July)", res.Snapshots)
			}
			if _, err := s.SnapshotAsOf(ctx, date(2026, 8, 1)); err == nil {
				t.Errorf("the 31 July snapshot still answers")
			}
		})
		t.Run("each purge is in the audit trail", func(t *testing.T) {
			trail, err := s.AuditTrail(ctx, store.AuditPurge, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(trail) != 2 || trail[0].Who != "tester" || !trail[0].At.Equal(now) {
				t.Errorf("trail %+v", trail)
			}
		})
	})
}
