package activity

import (
	"reflect"
	"testing"
	"time"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseOutcome(t *testing.T) {
	for in, want := range map[string]Outcome{
		"": OutcomeConcern, "Concern": OutcomeConcern, " ADVICE  only ": OutcomeConcern, "No further action": OutcomeConcern,
		"referred": OutcomeReferred, "Referred to Prevent": OutcomeReferred,
		"DISCUSSED": OutcomeDiscussed, "Discussed at Channel": OutcomeDiscussed,
		"adopted": OutcomeAdopted, "Channel case": OutcomeAdopted,
	} {
		got, err := ParseOutcome(in)
		if err != nil || got != want {
			t.Errorf("ParseOutcome(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"closed", "refered", "channel"} {
		if _, err := ParseOutcome(bad); err == nil {
			t.Errorf("ParseOutcome(%q) accepted an unknown outcome", bad)
		}
	}
}

func TestParseSubject(t *testing.T) {
	for in, want := range map[string]Subject{"": SubjectOther, "Patient": SubjectPatient, " STAFF ": SubjectStaff, "other": SubjectOther} {
		got, err := ParseSubject(in)
		if err != nil || got != want {
			t.Errorf("ParseSubject(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseSubject("visitor"); err == nil {
		t.Error("ParseSubject accepted an unknown subject")
	}
}

func TestIsPersonalHeader(t *testing.T) {
	for _, h := range []string{"Name", " patient name ", "FULL NAME", "First Name", "Surname", "NHS Number", "Date of Birth", "DOB", "Address", "Postcode", "Post Code",
		"Last Name", "Forename", "NHS No", "NHS No.", "Patient Address", "Home Address", "Client Name", "Given Name", "Staff Name"} {
		if !IsPersonalHeader(h) {
			t.Errorf("%q is not taken for personal data", h)
		}
	}
	for _, h := range []string{"Reference", "Service", "Service Name", "Forum", "Named professional", "Date", "Outcome", "Subject", "Forum Name"} {
		if IsPersonalHeader(h) {
			t.Errorf("%q is taken for personal data: only whole headers count", h)
		}
	}
}

// TestCountQuarterBoundaries pins every count at the edges of 2026-27Q2
// (1 July to 30 September 2026): the first and last days are in, the days
// either side are out.
func TestCountQuarterBoundaries(t *testing.T) {
	first, last := d("2026-07-01"), d("2026-09-30")
	refs := []Referral{
		{Raised: d("2026-06-30"), Subject: SubjectPatient, Outcome: OutcomeAdopted, Service: "Mental Health"}, // before
		{Raised: d("2026-07-01"), Subject: SubjectPatient, Outcome: OutcomeConcern, Service: "Adult Mental Health Services"},
		{Raised: d("2026-07-01").Add(23 * time.Hour), Subject: SubjectStaff, Outcome: OutcomeReferred, Service: "Emergency Department"},
		{Raised: d("2026-08-15"), Subject: SubjectOther, Outcome: OutcomeDiscussed, Service: "CAMHS"},
		{Raised: d("2026-09-30"), Subject: SubjectPatient, Outcome: OutcomeAdopted, Service: "mental  HEALTH liaison"},
		{Raised: d("2026-10-01"), Subject: SubjectStaff, Outcome: OutcomeAdopted, Service: "Mental Health"}, // after
	}
	meets := []Meeting{
		{Date: d("2026-06-30"), Forum: "Channel panel", Attended: true}, // before
		{Date: d("2026-07-01"), Forum: "Channel panel", Attended: true},
		{Date: d("2026-09-30"), Forum: "Prevent partnership board", Attended: false},
		{Date: d("2026-10-01"), Forum: "Channel panel", Attended: true}, // after
	}
	got := Count(refs, meets, first, last)
	want := QuarterCounts{ConcernsRaised: 4, ReferredToPrevent: 3, DiscussedAtChannel: 2, AdoptedByChannel: 1,
		AboutPatients: 2, AboutStaff: 1, MentalHealthServices: 2, PartnershipMeetings: 2, PartnershipAttended: 1}
	if got != want {
		t.Errorf("Count = %+v\nwant    %+v", got, want)
	}
	t.Run("a quarter with nothing counts zeros", func(t *testing.T) {
		if got := Count(refs, meets, d("2027-01-01"), d("2027-03-31")); got != (QuarterCounts{}) {
			t.Errorf("Count = %+v, want zeros", got)
		}
	})
	t.Run("Q3 takes 1 October", func(t *testing.T) {
		got := Count(refs, meets, d("2026-10-01"), d("2026-12-31"))
		want := QuarterCounts{ConcernsRaised: 1, ReferredToPrevent: 1, DiscussedAtChannel: 1, AdoptedByChannel: 1,
			AboutStaff: 1, MentalHealthServices: 1, PartnershipMeetings: 1, PartnershipAttended: 1}
		if got != want {
			t.Errorf("Count = %+v, want %+v", got, want)
		}
	})
}

func TestCellsSuppression(t *testing.T) {
	c := QuarterCounts{ConcernsRaised: 12, ReferredToPrevent: 4, DiscussedAtChannel: 1, AdoptedByChannel: 0, AboutPatients: 5}
	got := c.Cells(5)
	want := []string{"12", "*", "*", "0", "5", "0", "0", "0", "0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Cells(5) = %v, want %v", got, want)
	}
	if got := c.Cells(0); got[1] != "4" || got[2] != "1" {
		t.Errorf("Cells(0) suppressed: %v", got)
	}
	if got := c.Cells(1); got[2] != "1" {
		t.Errorf("Cells(1) suppressed a 1: %v", got)
	}
}

func TestLeadSame(t *testing.T) {
	a := Lead{Name: "Dr Amina Patel", Email: "amina.patel@nhs.net", Phone: "0114 271 1900"}
	if !a.Same(Lead{Name: " dr amina patel ", Email: "AMINA.PATEL@nhs.net", Phone: "0114 271 1900 "}) {
		t.Error("a lead differing only in case and surrounding spaces is taken for a change")
	}
	if a.Same(Lead{Name: "Dr Amina Patel", Email: "amina.patel@nhs.net", Phone: "0114 271 1901"}) {
		t.Error("a new phone number is not taken for a change")
	}
}

func TestParseAttended(t *testing.T) {
	for in, want := range map[string]bool{"Yes": true, " y ": true, "TRUE": true, "1": true, "No": false, "n": false, "False": false, "0": false, "": false} {
		if got, err := ParseAttended(in); err != nil || got != want {
			t.Errorf("ParseAttended(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"maybe", "2", "attended"} {
		if _, err := ParseAttended(in); err == nil {
			t.Errorf("ParseAttended(%q) took it", in)
		}
	}
}
