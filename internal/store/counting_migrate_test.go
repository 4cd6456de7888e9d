package store_test

import (
	"reflect"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// A database from before 0011 keeps its snapshots: their assignments gain
// a blank start date and blank organisation levels, and exemptions can be
// imported at once.
func TestMigrate0011KeepsSnapshots(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		importStaff(t, s, "staff.csv", date(2026, 3, 31), person("100", "Ann", ""), person("200", "Bo", ""))
		for _, q := range []string{
			`ALTER TABLE assignments DROP COLUMN start_date`, `ALTER TABLE assignments DROP COLUMN org_l2`,
			`ALTER TABLE assignments DROP COLUMN org_l3`, `ALTER TABLE assignments DROP COLUMN org_l4`,
			`ALTER TABLE assignments DROP COLUMN org_l5`, `ALTER TABLE assignments DROP COLUMN org_l6`,
			`ALTER TABLE assignments DROP COLUMN org_l7`, `DROP TABLE exemptions`,
			`DELETE FROM schema_migrations WHERE version = 11`,
		} {
			if _, err := s.DB().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		applied, err := s.Migrate(ctx)
		if err != nil || !reflect.DeepEqual(applied, []int{11}) {
			t.Fatalf("Migrate applied %v, %v; want [11]", applied, err)
		}
		snap, err := s.SnapshotAsOf(ctx, date(2026, 9, 30))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Assignments(ctx, snap.ID)
		if err != nil || len(got) != 2 || !got[0].StartDate.IsZero() || got[0].OrgLevels != ([6]string{}) {
			t.Fatalf("assignments after 0011: %+v, %v", got, err)
		}
		tx, err := s.BeginExemptionImport(ctx, store.Import{FileName: "leave.csv", SHA256: hashOf("leave.csv")})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Add(compliance.Exemption{EmployeeNumber: "100", Reason: "Maternity leave", From: date(2026, 1, 1)}, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(1, 0, nil); err != nil {
			t.Fatal(err)
		}
		if held, err := s.Exemptions(ctx, date(2026, 9, 30)); err != nil || len(held) != 1 || !held[0].Until.IsZero() {
			t.Errorf("exemptions %+v, %v", held, err)
		}
	})
}
