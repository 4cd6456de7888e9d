package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/store"
)

type personData struct {
	AsOf        time.Time
	Name        string
	InWorkforce bool
	NoData      string // no staff snapshot for the date
	Person      compliance.Person
	Snapshot    store.Snapshot
	Reason      string
	Assignments []assignmentRow
	Completions []completionRow
	Back        string
}

type assignmentRow struct {
	store.HeldAssignment
	NewSnapshot bool // the first row of its snapshot
	Level       compliance.Level
	Rule        string // "rule 2" or "no rule (default)"
	Counted     bool
	Sets        bool // the assignment that set the requirement on the as-of date
}

type completionRow struct {
	store.HeldCompletion
	Level  compliance.Level
	Counts bool // the completion behind the status on the as-of date
	Later  bool // dated after the as-of date
	Due    time.Time
}

func (s *server) person(w http.ResponseWriter, r *http.Request) {
	asOf, given, err := s.asOf(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	emp, ok := s.personByToken(r.PathValue("id"))
	if !ok {
		s.fail(w, r, http.StatusNotFound, "Nobody has this address. Addresses of people change when the dashboard restarts: find the person again from People.")
		return
	}
	d := personData{AsOf: asOf, Back: "/people"}
	if given {
		d.Back += "?as_of=" + isoDate(asOf)
	}
	pos, err := s.personPosition(r.Context(), asOf, emp)
	switch {
	case noSnapshot(err):
		d.NoData = err.Error()
	case err != nil:
		s.internal(w, r, err)
		return
	default:
		d.Snapshot = pos.Snapshot
		if i, found := slices.BinarySearchFunc(pos.People, emp, func(p compliance.Person, e string) int {
			return strings.Compare(p.EmployeeNumber, e)
		}); found {
			d.Person, d.InWorkforce, d.Name = pos.People[i], true, pos.People[i].Name
		}
	}
	held, err := s.store.PersonAssignments(r.Context(), emp)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	done, err := s.store.PersonCompletions(r.Context(), emp)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !d.InWorkforce {
		d.Person.EmployeeNumber = emp
		if len(held) > 0 {
			d.Name = held[0].Name
		}
	}
	var setter *compliance.Assignment
	for i, h := range held {
		row := assignmentRow{HeldAssignment: h, NewSnapshot: i == 0 || held[i-1].SnapshotID != h.SnapshotID,
			Counted: s.policy.Counted(&h.Assignment)}
		var rule int
		row.Level, rule = s.policy.Requirement(&h.Assignment)
		row.Rule = "no rule: the default"
		if rule >= 0 {
			row.Rule = fmt.Sprintf("rule %d", rule+1)
		}
		if d.InWorkforce && h.SnapshotID == d.Snapshot.ID && h.Row == d.Person.RequirementRow && row.Counted && setter == nil {
			row.Sets = true
			setter = &held[i].Assignment
		}
		d.Assignments = append(d.Assignments, row)
	}
	if d.InWorkforce {
		d.Reason = s.explain(&d.Person, setter, d.Person.Assignments)
	}
	years := s.policy.RefresherYears
	for _, c := range done {
		row := completionRow{HeldCompletion: c, Level: s.policy.CourseLevel(c.Course), Later: c.CompletedOn.After(asOf)}
		if row.Level != compliance.LevelNone {
			row.Due = compliance.DueDate(c.CompletedOn, years)
		}
		row.Counts = d.InWorkforce && d.Person.Status != compliance.Never &&
			c.CompletedOn.Equal(d.Person.CompletedOn) && c.Course == d.Person.Course
		d.Completions = append(d.Completions, row)
	}
	title := "Staff record"
	s.render(w, r, http.StatusOK, "person", title, d)
}

// personPosition is the position on the date with the person in it if
// they are in the workforce: the whole workforce's when it is cached, else
// theirs alone, read from the store by index (report.LoadPerson: the same
// answer, without reading everyone).
func (s *server) personPosition(ctx context.Context, asOf time.Time, emp string) (*report.Position, error) {
	pos, err := s.cached(ctx, asOf)
	if err != nil {
		return nil, err
	}
	if pos != nil {
		return pos.Position, nil
	}
	return report.LoadPerson(ctx, s.store, s.policy, asOf, emp, report.NeedAll)
}

// explain says why a person requires their level: "level3 because staff
// group Nursing and Midwifery Registered matched rule 2". setter is the
// assignment that set it (nil if not known) and assignments the number of
// their counted assignments.
func (s *server) explain(p *compliance.Person, setter *compliance.Assignment, assignments int) string {
	var b strings.Builder
	b.WriteString(p.Requirement.String())
	if p.RequirementRule < 0 || p.RequirementRule >= len(s.policy.Requirements) {
		b.WriteString(" because no requirement rule matched")
		if assignments > 1 {
			fmt.Fprintf(&b, " any of their %d assignments", assignments)
		}
		b.WriteString(", and basic is the default")
		return b.String()
	}
	rule := s.policy.Requirements[p.RequirementRule]
	b.WriteString(" because ")
	if setter != nil {
		var parts []string
		for _, f := range compliance.RuleFields {
			if _, ok := rule.Match[f]; ok {
				parts = append(parts, fieldWords(f)+" "+setter.Value(f))
			}
		}
		b.WriteString(strings.Join(parts, " and "))
		b.WriteString(" matched")
	} else {
		b.WriteString("an assignment matched")
	}
	fmt.Fprintf(&b, " rule %d", p.RequirementRule+1)
	if assignments > 1 {
		fmt.Fprintf(&b, " (the highest requirement of their %d assignments)", assignments)
	}
	return b.String()
}

// fieldWords is a rule field as words: "staff group".
func fieldWords(f compliance.Field) string { return strings.ReplaceAll(string(f), "_", " ") }

// ruleConditions writes a requirement rule's match as words: `staff group
// is "Medical and Dental" or "Nursing and Midwifery Registered"`, fields
// joined by "and".
func ruleConditions(r config.RequirementRule) string {
	var parts []string
	for _, f := range compliance.RuleFields {
		pats, ok := r.Match[string(f)]
		if !ok {
			continue
		}
		quoted := make([]string, len(pats))
		for i, p := range pats {
			quoted[i] = "“" + p + "”"
		}
		parts = append(parts, fieldWords(f)+" is "+strings.Join(quoted, " or "))
	}
	return strings.Join(parts, " and ")
}
