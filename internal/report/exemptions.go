package report

import (
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
)

// ExemptionsCount reconciles the exemptions covering a position's date
// with the exempt people its figures leave out: Exempt is the people in
// the workforce whose status is exempt (summary's and status's count),
// Outside the exemptions, of those held, naming nobody in the workforce
// (a leaver whose every assignment is excluded, or someone in no staff
// extract), which count nowhere. Two exemptions for one person are one
// exempt person.
type ExemptionsCount struct {
	Exempt  int
	Outside int
}

// CountExemptions is the ExemptionsCount of the exemptions held that
// cover the position's date.
func CountExemptions(pos *Position, held []store.HeldExemption) ExemptionsCount {
	var c ExemptionsCount
	inWorkforce := make(map[string]bool, len(pos.People))
	for i := range pos.People {
		p := &pos.People[i]
		inWorkforce[compliance.EmployeeKey(p.EmployeeNumber)] = true
		if p.Status == compliance.Exempt {
			c.Exempt++
		}
	}
	for _, e := range held {
		if !inWorkforce[compliance.EmployeeKey(e.EmployeeNumber)] {
			c.Outside++
		}
	}
	return c
}
