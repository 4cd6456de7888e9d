package store_test

import (
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// The data's version changes with every import and purge, and only then.
func TestDataVersion(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		version := func() string {
			t.Helper()
			v, err := s.DataVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		seen := map[string]string{}
		changed := func(after string) {
			t.Helper()
			v := version()
			if before, ok := seen[v]; ok {
				t.Errorf("after %s the version is %q, as it was after %s", after, v, before)
			}
			seen[v] = after
			if again := version(); again != v {
				t.Errorf("after %s the version read twice is %q then %q", after, v, again)
			}
		}
		changed("nothing")
		importStaff(t, s, "staff-2026-07-31.csv", date(2026, 7, 31), person("1", "A", "a@x"))
		changed("a staff import")
		importCompletions(t, s, "lms.csv", byEmp("1", "Prevent Awareness", date(2017, 1, 1)), byEmp("1", "Prevent Awareness", date(2020, 1, 1)))
		changed("a completions import")
		// The same date again replaces the snapshot: a new version.
		importStaff(t, s, "staff-2026-07-31 corrected.csv", date(2026, 7, 31), person("1", "A", "b@x"))
		changed("a snapshot replaced")
		if err := s.Audit(ctx, time.Now(), "tester", store.AuditConfig, "config changed"); err != nil {
			t.Fatal(err)
		}
		if v := version(); seen[v] != "a snapshot replaced" {
			t.Errorf("an audit entry other than a purge changed the version to %q", v)
		}
		if _, err := s.Purge(ctx, date(2026, 8, 15), "tester", time.Now()); err != nil {
			t.Fatal(err)
		}
		changed("a purge")
	})
}
