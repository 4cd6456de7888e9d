package figures

import (
	"strconv"
	"strings"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// WorkforceSplit says how people divide when counting as the trust counts
// (new starters and exemptions): "6 counted in the figures, plus 1 new
// starter and 1 exempt who count in none". The three add up to the people
// status lists, so the summary's headcount, status's rows and the
// dashboard's counts can be reconciled on the page. A part with nobody in
// it is left out (new starters are none when new_starter_days is not set).
func WorkforceSplit(counted, newStarters, exempt int) string {
	var beside []string
	if newStarters > 0 {
		starters := "new starters"
		if newStarters == 1 {
			starters = "new starter"
		}
		beside = append(beside, strconv.Itoa(newStarters)+" "+starters)
	}
	if exempt > 0 {
		beside = append(beside, strconv.Itoa(exempt)+" exempt")
	}
	head := strconv.Itoa(counted) + " counted in the figures"
	switch {
	case len(beside) == 0:
		return head + ", and no new starter or exempt person beside them"
	case newStarters+exempt == 1:
		return head + ", plus " + beside[0] + " who counts in none"
	}
	return head + ", plus " + strings.Join(beside, " and ") + " who count in none"
}

// SplitOf is WorkforceSplit of a group's or the total's people.
func SplitOf(s *compliance.Summary) string {
	return WorkforceSplit(s.Headcount, s.ByStatus[compliance.NewStarter], s.ByStatus[compliance.Exempt])
}

// PeopleSplit is WorkforceSplit of a list of people, as listed.
func PeopleSplit(people []compliance.Person) string {
	var starters, exempt int
	for i := range people {
		switch people[i].Status {
		case compliance.NewStarter:
			starters++
		case compliance.Exempt:
			exempt++
		}
	}
	return WorkforceSplit(len(people)-starters-exempt, starters, exempt)
}

// InWorkforce is the people of a summary's group or total in the
// workforce: its headcount with its new starters and exempt people.
func InWorkforce(s *compliance.Summary) int {
	return s.Headcount + s.ByStatus[compliance.NewStarter] + s.ByStatus[compliance.Exempt]
}
