package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

type refRow struct {
	ref string
	r   activity.Referral
}

func importReferrals(t *testing.T, s *store.Store, name string, rows ...refRow) store.Import {
	t.Helper()
	tx, err := s.BeginReferralImport(ctx, store.Import{FileName: name, SHA256: strings.Repeat("a", 60) + name[:4]})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if err := tx.AddReferral(r.ref, r.r, i+2); err != nil {
			t.Fatal(err)
		}
	}
	imp, err := tx.Commit(len(rows), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

func TestReferralsLatestRowStands(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		if has, err := s.HasActivityLogs(ctx); err != nil || has {
			t.Fatalf("an empty store has activity logs: %v %v", has, err)
		}
		q2 := date(2026, 8, 3)
		first := importReferrals(t, s, "jul1.csv",
			refRow{"PR-001", activity.Referral{Raised: q2, Subject: activity.SubjectPatient, Outcome: activity.OutcomeConcern}},
			refRow{"PR-002", activity.Referral{Raised: q2, Subject: activity.SubjectStaff, Outcome: activity.OutcomeReferred}},
			refRow{"pr-002 ", activity.Referral{Raised: q2, Subject: activity.SubjectStaff, Outcome: activity.OutcomeDiscussed}})
		if first.RowsImported != 2 || first.RowsDuplicate != 1 {
			t.Errorf("first import: %d new, %d replaced; want 2 new, 1 replaced (a reference repeated in the file)", first.RowsImported, first.RowsDuplicate)
		}
		// The case moves on: referred, then adopted by Channel.
		second := importReferrals(t, s, "oct1.csv",
			refRow{"PR-001", activity.Referral{Raised: q2, Subject: activity.SubjectPatient, Service: "Adult Mental Health", Outcome: activity.OutcomeAdopted}})
		if second.RowsImported != 0 || second.RowsDuplicate != 1 {
			t.Errorf("second import: %d new, %d replaced; want 0 new, 1 replaced", second.RowsImported, second.RowsDuplicate)
		}
		refs, err := s.Referrals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := activity.Count(refs, nil, date(2026, 7, 1), date(2026, 9, 30))
		want := activity.QuarterCounts{ConcernsRaised: 2, ReferredToPrevent: 2, DiscussedAtChannel: 2, AdoptedByChannel: 1,
			AboutPatients: 1, AboutStaff: 1, MentalHealthServices: 1}
		if got != want {
			t.Errorf("counts %+v, want %+v", got, want)
		}
		if has, err := s.HasActivityLogs(ctx); err != nil || !has {
			t.Errorf("HasActivityLogs = %v, %v after a referral log", has, err)
		}
		var n int
		if err := s.DB().GetContext(ctx, &n, s.DB().Rebind(`SELECT COUNT(*) FROM referrals WHERE reference_key LIKE ?`), "%PR-%"); err != nil || n != 0 {
			t.Errorf("a case reference is stored as written (%d rows, %v)", n, err)
		}
	})
}

func TestMeetingsKeyedByDayAndForum(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		tx, err := s.BeginMeetingImport(ctx, store.Import{FileName: "meetings.csv", SHA256: strings.Repeat("b", 64)})
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range []activity.Meeting{
			{Date: date(2026, 7, 1), Forum: "Channel Panel", Attended: false},
			{Date: date(2026, 7, 1), Forum: " channel  panel", Attended: true}, // the same meeting: the last row stands
			{Date: date(2026, 7, 1), Forum: "Prevent Partnership Board", Attended: false},
		} {
			if err := tx.AddMeeting(m, i+2); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tx.Commit(3, 0, nil); err != nil {
			t.Fatal(err)
		}
		ms, err := s.Meetings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c := activity.Count(nil, ms, date(2026, 7, 1), date(2026, 7, 1))
		if c.PartnershipMeetings != 2 || c.PartnershipAttended != 1 {
			t.Errorf("meetings %d attended %d, want 2 and 1: %+v", c.PartnershipMeetings, c.PartnershipAttended, ms)
		}
	})
}

func TestRecordLead(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		a := activity.Lead{Name: "Dr Amina Patel", Email: "amina.patel@nhs.net", Phone: "0114 271 1900"}
		rec, added, err := s.RecordLead(ctx, a, now, now)
		if err != nil || !added || rec.IsChange {
			t.Fatalf("first lead: %+v added %v err %v; want recorded, not a change", rec, added, err)
		}
		if _, added, _ := s.RecordLead(ctx, activity.Lead{Name: " DR AMINA PATEL", Email: "Amina.Patel@nhs.net", Phone: "0114 271 1900"}, now, now); added {
			t.Error("the same lead in another case is recorded as a change")
		}
		b := activity.Lead{Name: "Tom Okafor", Email: "tom.okafor@nhs.net"}
		rec, added, err = s.RecordLead(ctx, b, now.AddDate(0, 0, 1), now)
		if err != nil || !added || !rec.IsChange || !rec.SeenOn.Equal(date(2026, 11, 3)) {
			t.Fatalf("changed lead: %+v added %v err %v", rec, added, err)
		}
		hist, err := s.LeadHistory(ctx)
		if err != nil || len(hist) != 2 || hist[0].Lead.Name != "Dr Amina Patel" || hist[1].Lead != b {
			t.Errorf("history %+v, %v", hist, err)
		}
	})
}
