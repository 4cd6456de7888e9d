package activity

import (
	"strconv"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/glob"
)

// QuarterCounts are a period's referral and partnership figures, as the
// quarterly return reports them.
type QuarterCounts struct {
	ConcernsRaised       int // every concern raised in the period
	ReferredToPrevent    int // referred, discussed or adopted
	DiscussedAtChannel   int // discussed or adopted
	AdoptedByChannel     int // adopted
	AboutPatients        int // subject patient
	AboutStaff           int // subject staff
	MentalHealthServices int // service matching *mental health*
	PartnershipMeetings  int // partnership forum meetings held
	PartnershipAttended  int // of them, those the provider attended
}

// mentalHealth is the service pattern of mental_health_services.
var mentalHealth = glob.MustCompile("*mental health*")

// IsMentalHealth reports whether a service is a mental health service
// (matches *mental health*, any case, spaces collapsed).
func IsMentalHealth(service string) bool { return mentalHealth.Match(service) }

// Count makes the counts of the referrals raised and meetings held from
// first to last, both days included (a quarter's first and last days).
func Count(referrals []Referral, meetings []Meeting, first, last time.Time) QuarterCounts {
	var c QuarterCounts
	for _, r := range referrals {
		if !within(r.Raised, first, last) {
			continue
		}
		c.ConcernsRaised++
		if r.Outcome >= OutcomeReferred {
			c.ReferredToPrevent++
		}
		if r.Outcome >= OutcomeDiscussed {
			c.DiscussedAtChannel++
		}
		if r.Outcome == OutcomeAdopted {
			c.AdoptedByChannel++
		}
		switch r.Subject {
		case SubjectPatient:
			c.AboutPatients++
		case SubjectStaff:
			c.AboutStaff++
		}
		if IsMentalHealth(r.Service) {
			c.MentalHealthServices++
		}
	}
	for _, m := range meetings {
		if !within(m.Date, first, last) {
			continue
		}
		c.PartnershipMeetings++
		if m.Attended {
			c.PartnershipAttended++
		}
	}
	return c
}

// within reports whether t's calendar day is from first to last inclusive.
func within(t, first, last time.Time) bool {
	d := day(t)
	return !d.Before(day(first)) && !d.After(day(last))
}

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Columns names the counts as the return's referrals section writes them,
// in order.
var Columns = []string{"concerns_raised", "referred_to_prevent", "discussed_at_channel", "adopted_by_channel",
	"about_patients", "about_staff", "mental_health_services", "partnership_meetings", "partnership_attended"}

// Values are the counts in Columns order.
func (c QuarterCounts) Values() []int {
	return []int{c.ConcernsRaised, c.ReferredToPrevent, c.DiscussedAtChannel, c.AdoptedByChannel,
		c.AboutPatients, c.AboutStaff, c.MentalHealthServices, c.PartnershipMeetings, c.PartnershipAttended}
}

// Suppressed is written in place of a count withheld as too small to
// publish.
const Suppressed = "*"

// Cells writes the counts in Columns order, each from 1 to below-1 as
// Suppressed when below is above 1 (small-number suppression: a count of
// two concerns about staff in one service may identify them). Zero
// identifies nobody and is written 0.
func (c QuarterCounts) Cells(below int) []string {
	vals := c.Values()
	out := make([]string, len(vals))
	for i, v := range vals {
		if below > 1 && v > 0 && v < below {
			out[i] = Suppressed
			continue
		}
		out[i] = strconv.Itoa(v)
	}
	return out
}

// Lead is a person named in the config as the provider's Prevent lead (or
// its accountable lead).
type Lead struct {
	Name, Email, Phone string
}

// IsZero reports whether no part of the lead is given.
func (l Lead) IsZero() bool {
	return strings.TrimSpace(l.Name) == "" && strings.TrimSpace(l.Email) == "" && strings.TrimSpace(l.Phone) == ""
}

// Same reports whether two leads are the same person as the contract
// compares them: name, email and phone each trimmed and in any case.
func (l Lead) Same(o Lead) bool {
	eq := func(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }
	return eq(l.Name, o.Name) && eq(l.Email, o.Email) && eq(l.Phone, o.Phone)
}

// String is the lead as a notice names them: "Name <email>, phone".
func (l Lead) String() string {
	s := strings.TrimSpace(l.Name)
	if e := strings.TrimSpace(l.Email); e != "" {
		s = strings.TrimSpace(s + " <" + e + ">")
	}
	if p := strings.TrimSpace(l.Phone); p != "" {
		s += ", " + p
	}
	if s == "" {
		return "(none)"
	}
	return s
}

// LeadChange is a change of Prevent lead to notify the commissioners of.
type LeadChange struct {
	From, To Lead
	Seen     time.Time // the day the change was first seen
}

// FunnelStage is one step of the referral funnel the dashboard draws.
type FunnelStage struct {
	Label string
	Count int
}

// Funnel is the referral funnel of the counts: concerns raised, referred to
// Prevent, discussed at Channel, adopted by Channel.
func (c QuarterCounts) Funnel() []FunnelStage {
	return []FunnelStage{
		{"Concerns raised", c.ConcernsRaised},
		{"Referred to Prevent", c.ReferredToPrevent},
		{"Discussed at Channel", c.DiscussedAtChannel},
		{"Adopted by Channel", c.AdoptedByChannel},
	}
}

// Add adds another period's counts (a year's from its quarters').
func (c QuarterCounts) Add(o QuarterCounts) QuarterCounts {
	return QuarterCounts{c.ConcernsRaised + o.ConcernsRaised, c.ReferredToPrevent + o.ReferredToPrevent,
		c.DiscussedAtChannel + o.DiscussedAtChannel, c.AdoptedByChannel + o.AdoptedByChannel,
		c.AboutPatients + o.AboutPatients, c.AboutStaff + o.AboutStaff,
		c.MentalHealthServices + o.MentalHealthServices, c.PartnershipMeetings + o.PartnershipMeetings,
		c.PartnershipAttended + o.PartnershipAttended}
}
