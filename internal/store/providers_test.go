package store_test

import (
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

var collatedAt = time.Date(2026, 10, 25, 9, 0, 0, 0, time.UTC)

func providerReturn(code, quarter, sha string, received time.Time, basicCompliant int) store.ProviderReturn {
	return store.ProviderReturn{ProviderCode: code, ProviderName: "Provider " + code, Quarter: quarter,
		FileName: code + " " + sha + ".csv", SHA256: sha, Format: "csv", ReceivedAt: received, CollatedAt: collatedAt,
		Organisations: 2, Headcount: 10, Basic: compliance.Tally{Required: 6, Compliant: basicCompliant},
		Level3: compliance.Tally{Required: 3, Compliant: 3}, FaceToFace: compliance.Tally{Required: 1, Compliant: 1},
		AllCompliant: basicCompliant + 4, Table: "quarter,...\n"}
}

func save(t *testing.T, s *store.Store, r store.ProviderReturn) store.SavedReturn {
	t.Helper()
	saved, err := s.SaveProviderReturn(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	return saved
}

func current(t *testing.T, s *store.Store, quarter, code string) (cur store.ProviderReturn, versions int) {
	t.Helper()
	list, err := s.ProviderReturns(ctx, quarter)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.ProviderCode != code {
			continue
		}
		versions++
		if r.Current() {
			if cur.ID != 0 {
				t.Fatalf("%s %s has two current returns", code, quarter)
			}
			cur = r
		}
	}
	return cur, versions
}

func TestSaveProviderReturn(t *testing.T) {
	oct5 := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("the first return is stored as it was read", func(t *testing.T) {
			in := providerReturn("ra1", "2026-27Q2", "aaa", oct5, 5)
			got := save(t, s, in)
			if got.Outcome != store.ReturnNew || got.Previous.ID != 0 {
				t.Fatalf("outcome %s, previous %d", got.Outcome, got.Previous.ID)
			}
			want := in
			want.ID, want.ProviderCode = got.Return.ID, "RA1"
			if got.Return != want {
				t.Errorf("stored\n got %+v\nwant %+v", got.Return, want)
			}
		})
		t.Run("the same content again changes nothing", func(t *testing.T) {
			got := save(t, s, providerReturn("RA1", "2026-27Q2", "aaa", oct5.Add(time.Hour), 5))
			if _, n := current(t, s, "2026-27Q2", "RA1"); got.Outcome != store.ReturnUnchanged || n != 1 {
				t.Errorf("outcome %s, %d versions", got.Outcome, n)
			}
		})
		t.Run("a corrected resubmission replaces the return and the replacement is recorded", func(t *testing.T) {
			first, _ := current(t, s, "2026-27Q2", "RA1")
			got := save(t, s, providerReturn("RA1", "2026-27Q2", "bbb", oct5.AddDate(0, 0, 3), 6))
			if got.Outcome != store.ReturnReplaced || got.Previous.ID != first.ID {
				t.Fatalf("outcome %s, previous %d (want %d)", got.Outcome, got.Previous.ID, first.ID)
			}
			cur, n := current(t, s, "2026-27Q2", "RA1")
			if n != 2 || cur.ID != got.Return.ID || cur.Basic.Compliant != 6 {
				t.Errorf("current %+v of %d versions", cur, n)
			}
			list, _ := s.ProviderReturns(ctx, "2026-27Q2")
			old := list[0]
			if old.ID != first.ID || old.Current() || old.ReplacedBy != cur.ID || !old.ReplacedAt.Equal(collatedAt) {
				t.Errorf("the replaced return %+v does not record its replacement %d", old, cur.ID)
			}
		})
		t.Run("a return received before the one held is kept as history, not used", func(t *testing.T) {
			held, _ := current(t, s, "2026-27Q2", "RA1")
			got := save(t, s, providerReturn("RA1", "2026-27Q2", "ccc", oct5.AddDate(0, 0, -1), 1))
			if got.Outcome != store.ReturnOlder || got.Return.Current() || got.Return.ReplacedBy != held.ID {
				t.Errorf("outcome %s, stored %+v", got.Outcome, got.Return)
			}
			if cur, n := current(t, s, "2026-27Q2", "RA1"); cur.ID != held.ID || n != 3 {
				t.Errorf("current %d of %d versions, want %d of 3", cur.ID, n, held.ID)
			}
		})
		t.Run("providers and quarters are kept apart", func(t *testing.T) {
			save(t, s, providerReturn("RB2", "2026-27Q2", "aaa", oct5, 6))
			save(t, s, providerReturn("RA1", "2026-27Q1", "ddd", oct5.AddDate(0, -3, 0), 4))
			if cur, n := current(t, s, "2026-27Q2", "RB2"); n != 1 || cur.ID == 0 {
				t.Errorf("RB2: %d versions", n)
			}
			hist, err := s.ProviderReturnHistory(ctx, "ra1")
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 4 || hist[0].Quarter != "2026-27Q1" {
				t.Errorf("RA1 history: %d returns, first %s", len(hist), hist[0].Quarter)
			}
		})
		t.Run("a return needs a provider, a quarter and a hash", func(t *testing.T) {
			for _, r := range []store.ProviderReturn{
				providerReturn("", "2026-27Q2", "x", oct5, 1),
				providerReturn("RA1", "", "x", oct5, 1),
				providerReturn("RA1", "2026-27Q2", "", oct5, 1),
			} {
				if _, err := s.SaveProviderReturn(ctx, r); err == nil {
					t.Errorf("%+v was saved", r)
				}
			}
		})
	})
}

func TestProviderRejections(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		rej := store.ProviderRejection{FileName: "RC3 return.csv", SHA256: "eee", ProviderCode: "rc3", Quarter: "2026-27Q2",
			ReceivedAt: time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC), CollatedAt: collatedAt, Row: 4, Column: "headcount",
			Reason: "TOTAL headcount 9 is not the sum of the organisations' (10)", Detail: "row 4, headcount: ..."}
		t.Run("a rejection is stored with its row, column and reason", func(t *testing.T) {
			if n, err := s.RecordProviderRejection(ctx, rej); err != nil || !n {
				t.Fatalf("new %v, err %v", n, err)
			}
			list, err := s.ProviderRejections(ctx, "2026-27Q2")
			if err != nil || len(list) != 1 {
				t.Fatalf("%d rejections, err %v", len(list), err)
			}
			want := rej
			want.ID, want.ProviderCode = list[0].ID, "RC3"
			if list[0] != want {
				t.Errorf("got  %+v\nwant %+v", list[0], want)
			}
		})
		t.Run("the same file refused again for the same reason is stored once", func(t *testing.T) {
			if n, err := s.RecordProviderRejection(ctx, rej); err != nil || n {
				t.Errorf("new %v, err %v", n, err)
			}
			all, _ := s.ProviderRejections(ctx, "")
			other, _ := s.ProviderRejections(ctx, "2026-27Q3")
			if len(all) != 1 || len(other) != 0 {
				t.Errorf("%d in all, %d in Q3", len(all), len(other))
			}
		})
	})
}
