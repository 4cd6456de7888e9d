package store_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// remindAt is when the test reminders are recorded: 1 November 2026, 7am.
var remindAt = time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)

func notice(recipient, emp, due, point, key string) store.ReminderNotice {
	return store.ReminderNotice{Recipient: recipient, EmployeeNumber: emp, DueKey: due, Point: point,
		DeliveryKey: key, AsOf: date(2026, 11, 1)}
}

func record(t *testing.T, s *store.Store, notices ...store.ReminderNotice) []store.ReminderNotice {
	t.Helper()
	got, err := s.RecordReminderNotices(ctx, notices, remindAt)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// keysOf lists "recipient|employee|due|point|delivery key" per notice.
func keysOf(list []store.ReminderNotice) []string {
	out := make([]string, len(list))
	for i, n := range list {
		out[i] = fmt.Sprintf("%s|%s|%s|%s|%s", n.Recipient, n.EmployeeNumber, n.DueKey, n.Point, n.DeliveryKey)
	}
	return out
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestRecordReminderNotices(t *testing.T) {
	const lead = "lead@example.nhs.net"
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("new notices are inserted and their message queued once", func(t *testing.T) {
			got := record(t, s,
				notice(" Lead@Example.NHS.net ", "1002", "never", "lead", "lead/2026-11-01/a"),
				notice(lead, "1001", "2026-06-01", "lead", "lead/2026-11-01/a"))
			sameList(t, "inserted", keysOf(got), []string{
				lead + "|1001|2026-06-01|lead|lead/2026-11-01/a",
				lead + "|1002|never|lead|lead/2026-11-01/a"})
			if !got[0].AsOf.Equal(date(2026, 11, 1)) || !got[0].CreatedAt.Equal(remindAt) {
				t.Errorf("as of %v, created %v", got[0].AsOf, got[0].CreatedAt)
			}
			ds, err := s.Deliveries(ctx, store.ReminderKind, "lead/2026-11-01/a")
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 || ds[0].Recipient != lead || ds[0].Status != store.DeliveryQueued {
				t.Errorf("deliveries %+v, want one queued to %s", ds, lead)
			}
		})
		t.Run("a notice already held is skipped, whatever its new delivery key", func(t *testing.T) {
			got := record(t, s,
				notice(lead, "1001", "2026-06-01", "lead", "lead/2026-12-01/b"),
				notice(lead, "1003", "2026-12-15", "lead", "lead/2026-12-01/b"))
			sameList(t, "inserted", keysOf(got), []string{lead + "|1003|2026-12-15|lead|lead/2026-12-01/b"})
		})
		t.Run("a new due date is a new notice", func(t *testing.T) {
			got := record(t, s, notice(lead, "1001", "2029-10-10", "lead", "lead/2029-11-01/c"))
			if len(got) != 1 {
				t.Errorf("inserted %q, want the renewed lapse", keysOf(got))
			}
		})
		t.Run("nothing new queues no message", func(t *testing.T) {
			got := record(t, s, notice(lead, "1002", "never", "lead", "lead/2026-12-01/d"))
			if len(got) != 0 {
				t.Errorf("inserted %q", keysOf(got))
			}
			if ds, _ := s.Deliveries(ctx, store.ReminderKind, "lead/2026-12-01/d"); len(ds) != 0 {
				t.Errorf("queued %+v for a message with nobody on it", ds)
			}
		})
		t.Run("a point passed without a message queues nothing", func(t *testing.T) {
			got := record(t, s,
				notice("amy@example.nhs.net", "1001", "2026-11-05", "before-30", ""),
				notice("amy@example.nhs.net", "1001", "2026-11-05", "before-7", "staff/2026-11-01/e"))
			if len(got) != 2 {
				t.Fatalf("inserted %q", keysOf(got))
			}
			ds, _ := s.Deliveries(ctx, store.ReminderKind, "")
			for _, d := range ds {
				if d.Key == "" {
					t.Errorf("a delivery with no key was queued: %+v", d)
				}
			}
		})
		t.Run("a notice must name recipient, person, due date, point and date", func(t *testing.T) {
			bad := []store.ReminderNotice{
				notice("", "1", "never", "lead", "k"),
				notice(lead, " ", "never", "lead", "k"),
				notice(lead, "1", "", "lead", "k"),
				notice(lead, "1", "never", "", "k"),
				{Recipient: lead, EmployeeNumber: "1", DueKey: "never", Point: "lead", DeliveryKey: "k"},
			}
			for _, n := range bad {
				if _, err := s.RecordReminderNotices(ctx, []store.ReminderNotice{n}, remindAt); err == nil {
					t.Errorf("recorded %+v", n)
				}
			}
		})
	})
}

func TestReminderNoticesAndPending(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		record(t, s,
			notice("lead@example.nhs.net", "1001", "2026-06-01", "lead", "lead/2026-11-01/a"),
			notice("lead@example.nhs.net", "1002", "never", "lead", "lead/2026-11-01/a"),
			notice("boss@example.nhs.net", "1001", "2026-06-01", "manager", "manager/2026-11-01/b"),
			notice("amy@example.nhs.net", "1001", "2026-06-01", "before-7", ""),
			notice("amy@example.nhs.net", "1001", "2026-06-01", "expired", "staff/2026-11-01/c"))

		t.Run("notices are read back for the recipients asked about only", func(t *testing.T) {
			got, err := s.ReminderNotices(ctx, []string{"AMY@example.nhs.net", "boss@example.nhs.net", "nobody@example.nhs.net"})
			if err != nil {
				t.Fatal(err)
			}
			sameList(t, "notices", keysOf(got), []string{
				"amy@example.nhs.net|1001|2026-06-01|before-7|",
				"amy@example.nhs.net|1001|2026-06-01|expired|staff/2026-11-01/c",
				"boss@example.nhs.net|1001|2026-06-01|manager|manager/2026-11-01/b"})
		})
		t.Run("every message not yet sent is pending with its notices, oldest first", func(t *testing.T) {
			pending, err := s.PendingReminders(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pending {
				got = append(got, fmt.Sprintf("%s to %s: %q", p.Delivery.Key, p.Delivery.Recipient, keysOf(p.Notices)))
			}
			sort.Strings(got)
			sameList(t, "pending", got, []string{
				`lead/2026-11-01/a to lead@example.nhs.net: ["lead@example.nhs.net|1001|2026-06-01|lead|lead/2026-11-01/a" "lead@example.nhs.net|1002|never|lead|lead/2026-11-01/a"]`,
				`manager/2026-11-01/b to boss@example.nhs.net: ["boss@example.nhs.net|1001|2026-06-01|manager|manager/2026-11-01/b"]`,
				`staff/2026-11-01/c to amy@example.nhs.net: ["amy@example.nhs.net|1001|2026-06-01|expired|staff/2026-11-01/c"]`})
		})
		t.Run("a sent message is no longer pending; a failed one still is", func(t *testing.T) {
			for _, key := range []string{"lead/2026-11-01/a", "manager/2026-11-01/b"} {
				ds, _ := s.Deliveries(ctx, store.ReminderKind, key)
				if !claim(t, s, ds[0].ID, remindAt, false) {
					t.Fatal("claim refused")
				}
				if key == "lead/2026-11-01/a" {
					if err := s.MarkDeliverySent(ctx, ds[0].ID, "id", "", remindAt, nil); err != nil {
						t.Fatal(err)
					}
				} else if err := s.MarkDeliveryFailed(ctx, ds[0].ID, "421 try later", remindAt.Add(5*time.Minute), remindAt); err != nil {
					t.Fatal(err)
				}
			}
			pending, err := s.PendingReminders(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, p := range pending {
				keys = append(keys, p.Delivery.Key)
			}
			sort.Strings(keys)
			sameList(t, "pending", keys, []string{"manager/2026-11-01/b", "staff/2026-11-01/c"})
		})
	})
}

func TestConcurrentReminderNotices(t *testing.T) {
	t.Run("two processes recording the same notices at once insert each once between them", func(t *testing.T) {
		storetest.ForEachDSN(t, func(t *testing.T, dsn string) {
			stores := []*store.Store{storetest.Open(t, dsn), storetest.Open(t, dsn)}
			const people = 300
			results := make([][]store.ReminderNotice, len(stores))
			errs := make([]error, len(stores))
			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Go(func() {
					var list []store.ReminderNotice
					for p := range people {
						list = append(list, notice("lead@example.nhs.net", fmt.Sprintf("%05d", p), "never", "lead", fmt.Sprintf("lead/2026-11-01/run%d", i)))
					}
					results[i], errs[i] = s.RecordReminderNotices(ctx, list, remindAt)
				})
			}
			wg.Wait()
			seen := map[string]int{}
			for i := range stores {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				for _, n := range results[i] {
					seen[n.EmployeeNumber]++
				}
			}
			if len(seen) != people {
				t.Errorf("%d people inserted, want %d", len(seen), people)
			}
			for emp, n := range seen {
				if n != 1 {
					t.Errorf("%s inserted %d times", emp, n)
				}
			}
		})
	})
}
