// Package activity owns the Prevent work besides training that a provider
// reports each quarter: concerns raised and referred to Prevent (the
// referral log), engagement with partnership forums (the meetings log),
// and the identified Prevent lead. It knows what the logs' values mean and
// how a quarter's counts are made, from plain values; it reads no file and
// touches no database.
//
// Referral data is sensitive: nothing here ever gives a case reference
// back. Callers keep references only to recognise a case imported again.
package activity

import (
	"fmt"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/glob"
)

// Subject is whom a concern is about.
type Subject string

const (
	SubjectPatient Subject = "patient"
	SubjectStaff   Subject = "staff"
	SubjectOther   Subject = "other"
)

// ParseSubject reads a Subject cell: patient, staff or other in any case;
// blank is other. Anything else is an error.
func ParseSubject(s string) (Subject, error) {
	switch glob.Normalize(s) {
	case "":
		return SubjectOther, nil
	case "patient":
		return SubjectPatient, nil
	case "staff":
		return SubjectStaff, nil
	case "other":
		return SubjectOther, nil
	}
	return "", fmt.Errorf("is not a subject (want patient, staff or other)")
}

// Outcome is how far a concern has gone, in order: each stage includes
// those before it (an adopted case was referred and discussed).
type Outcome int

const (
	OutcomeConcern   Outcome = iota // raised internally: advice given, no further action
	OutcomeReferred                 // referred to Prevent (the police-led team)
	OutcomeDiscussed                // discussed at a Channel panel
	OutcomeAdopted                  // adopted as a Channel case
)

var outcomeNames = [...]string{"concern", "referred", "discussed", "adopted"}

func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// outcomeWords are the Outcome cells understood, normalised (trimmed,
// spaces collapsed, lower case): the four stages and the phrases logs use
// for them.
var outcomeWords = map[string]Outcome{
	"":                     OutcomeConcern,
	"concern":              OutcomeConcern,
	"advice only":          OutcomeConcern,
	"no further action":    OutcomeConcern,
	"referred":             OutcomeReferred,
	"referred to prevent":  OutcomeReferred,
	"discussed":            OutcomeDiscussed,
	"discussed at channel": OutcomeDiscussed,
	"adopted":              OutcomeAdopted,
	"channel case":         OutcomeAdopted,
}

// ParseOutcome reads an Outcome cell (any case); blank is a concern.
// Anything else is an error.
func ParseOutcome(s string) (Outcome, error) {
	if o, ok := outcomeWords[glob.Normalize(s)]; ok {
		return o, nil
	}
	return 0, fmt.Errorf("is not an outcome (want concern, referred, discussed or adopted; " +
		"advice only, no further action, referred to prevent, discussed at channel and channel case are read too)")
}

// ParseAttended reads a meeting's Attended cell: Yes or No in any case (Y,
// N, True, False too). Blank is not attended: a forum met without the
// provider recorded there.
func ParseAttended(s string) (bool, error) {
	switch glob.Normalize(s) {
	case "yes", "y", "true", "1":
		return true, nil
	case "", "no", "n", "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("is not Yes or No")
}

// Referral is one concern in the referral log, as last imported.
type Referral struct {
	Raised  time.Time // the day the concern was raised
	Subject Subject
	Service string // free text, e.g. "Adult Mental Health"
	Outcome Outcome
}

// Meeting is one partnership forum meeting (a Prevent partnership board,
// Channel panel, CONTEST board ...).
type Meeting struct {
	Date     time.Time
	Forum    string
	Attended bool
}

// personalHeaders are the headers that mark a column of personal data,
// normalised as normHeader does (letters and digits, lower case).
var personalHeaders = map[string]bool{
	// The contract's list.
	"name": true, "patientname": true, "fullname": true, "firstname": true,
	"surname": true, "nhsnumber": true, "dateofbirth": true, "dob": true,
	"address": true, "postcode": true,
	// The same data under the headers systems also write it with.
	"lastname": true, "forename": true, "forenames": true, "givenname": true,
	"familyname": true, "firstnames": true, "middlename": true, "clientname": true,
	"personname": true, "staffname": true, "subjectname": true, "patientsurname": true,
	"patientforename": true, "nhsno": true, "nhsnum": true, "patientnhsnumber": true,
	"birthdate": true, "dateofbirthdob": true, "patientaddress": true, "homeaddress": true,
	"addressline1": true, "patientpostcode": true,
}

// IsPersonalHeader reports whether a column header names personal data: a
// referral or meetings log with such a column is refused whole. The whole
// header is compared, trimmed and in any case, and spaces and punctuation
// are ignored as in every header ("Date of Birth", "D.O.B.", "Post code");
// a header merely containing one ("Service Name") is not personal.
func IsPersonalHeader(h string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return personalHeaders[b.String()]
}
