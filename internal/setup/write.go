package setup

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
)

// YAML writes the proposal as a commented config. Every value it writes
// is one the files showed; what they did not show is left as a comment to
// fill in.
func (p *Proposal) YAML() string {
	var b strings.Builder
	b.WriteString(`# prevent.yaml, proposed by 'prevent init' from the trust's own extracts.
# Read it through before the first import: every rule below is a proposal
# from the names found in the files, with how many people or rows it
# catches. Patterns are case-insensitive globs (* any run of characters,
# ? any one character). 'prevent help' and README.md explain every key.
#
# Files read:
`)
	for _, f := range p.Files {
		switch {
		case f.Problem != "":
			fmt.Fprintf(&b, "#   %s: not used: %s\n", f.Name, oneLine(f.Problem))
		default:
			fmt.Fprintf(&b, "#   %s: %s, %d rows\n", f.Name, f.Kind, f.Rows)
		}
	}
	b.WriteString("\n")
	p.writeProvider(&b)
	b.WriteString(`
threshold: 0.85         # 85% of staff at each level must be in date
refresher_years: 3      # a completion lasts 3 years
due_soon_days: 90       # "due soon" from 90 days before the due date
`)
	p.writeRequirements(&b)
	p.writeExclude(&b)
	p.writeCourses(&b)
	p.writeColumns(&b)
	return b.String()
}

func (p *Proposal) writeProvider(b *strings.Builder) {
	if p.Organisation != "" {
		fmt.Fprintf(b, "organisation: %s   # the provider's name on returns (from %s)\n", quote(p.Organisation), p.OrganisationFrom)
	} else {
		b.WriteString("# organisation: Example NHS Foundation Trust   # the provider's name on returns: not found in the files, write it here\n")
	}
	if p.ODSCode != "" {
		fmt.Fprintf(b, "ods_code: %s   # its ODS code (every organisation in %s begins with it)\n", p.ODSCode, p.Staff.file)
	} else {
		b.WriteString("# ods_code: RXX   # its ODS code: not found in the files, write it here\n")
	}
}

func (p *Proposal) writeRequirements(b *strings.Builder) {
	b.WriteString(`
# Training needs analysis: the level each assignment requires, after the
# NHS England Prevent training and competencies framework. Rules are tried
# in order and the first match wins; an assignment no rule matches requires
# basic Prevent awareness. A person requires the highest level over their
# assignments.
`)
	if p.Staff == nil {
		b.WriteString("# No staff extract was read, so no rule is proposed: everyone requires basic.\nrequirements: []\n")
		return
	}
	fmt.Fprintf(b, "# Counted from %s: %d people.\n", p.Staff.file, len(p.Staff.people))
	rules, rest := p.Staff.rules()
	if len(rules) == 0 {
		b.WriteString("requirements: []   # no registered professional staff group and no safeguarding or Prevent role found\n")
	} else {
		b.WriteString("requirements:\n")
	}
	for _, r := range rules {
		what := "Registered professional staff groups: level 3"
		if r.level == compliance.FaceToFace {
			what = "Safeguarding and Prevent roles (not their administrative posts): the face-to-face workshop (WRAP)"
		}
		fmt.Fprintf(b, "  # %s. Catches %s.\n", what, people(r.people))
		fmt.Fprintf(b, "  - level: %s\n    match:\n      %s:\n", r.level, r.field)
		for _, v := range r.values {
			fmt.Fprintf(b, "        - %s   # %s\n", quote(literal(v.value)), people(v.people))
		}
	}
	if !p.Staff.hasGroup {
		b.WriteString("# The staff extract has no Staff Group column: level 3 rules by staff group could not be proposed.\n")
	}
	if len(rest) > 0 {
		b.WriteString("# Everyone else requires basic Prevent awareness (no rule needed). Staff groups\n# whose assignments no rule above catches:\n")
		for _, v := range rest {
			fmt.Fprintf(b, "#   %-45s %s\n", quote(v.value), people(v.people))
		}
		b.WriteString("# To require level 3 of some of them (mental health or emergency services, say), add a rule such as:\n" +
			"#  - level: level3\n#    match: {staff_group: [\"Additional Clinical Services\"], organisation: [\"*Mental Health*\"]}\n")
	}
}

// leaverStatuses are ESR's assignment statuses of people who have left
// or are leaving (Terminate Assignment, Terminate Process Assignment,
// Inactive Assignment): proposed as not counted, as prevent.example.yaml
// does. Suspended, on leave and seconded staff stay in the count.
var leaverStatuses = glob.Set{glob.MustCompile("Terminate*"), glob.MustCompile("Inactive*")}

// writeExclude proposes the assignment statuses that do not count: the
// leavers' statuses found in the staff extract, the others listed.
func (p *Proposal) writeExclude(b *strings.Builder) {
	if p.Staff == nil {
		return
	}
	by := peopleBy()
	for _, a := range p.Staff.assignments {
		if st := oneLine(a.AssignmentStatus); st != "" {
			by.add(st, a.EmployeeNumber)
		}
	}
	statuses := by.list()
	if len(statuses) == 0 {
		return // no assignment status column: everyone counts
	}
	b.WriteString(`
# Assignments that do not count, by assignment status: a person none of
# whose assignments counts is not in the workforce. Proposed: the leavers'
# statuses found in the staff extract. Staff on leave, suspended or
# seconded out stay in the count.
`)
	var kept []valueCount
	var leavers []valueCount
	for _, v := range statuses {
		if leaverStatuses.Match(v.value) {
			leavers = append(leavers, v)
		} else {
			kept = append(kept, v)
		}
	}
	if len(leavers) == 0 {
		fmt.Fprintf(b, "exclude:\n  assignment_status: []   # no leaver's status (Terminate..., Inactive...) in %s\n", p.Staff.file)
	} else {
		b.WriteString("exclude:\n  assignment_status:\n")
		for _, v := range leavers {
			fmt.Fprintf(b, "    - %s   # %s\n", quote(literal(v.value)), people(v.people))
		}
	}
	b.WriteString("# Statuses that count:\n")
	for _, v := range kept {
		fmt.Fprintf(b, "#   %-45s %s\n", quote(v.value), people(v.people))
	}
}

func (p *Proposal) writeCourses(b *strings.Builder) {
	b.WriteString(`
# Which completions count for which level, first match wins; a higher level
# satisfies the lower ones. Proposed from the Prevent-like course names in
# the completions files, each with its rows. Course names that match no
# rule are listed by 'prevent quality'.
`)
	byLevel := map[compliance.Level][]valueCount{}
	var near []valueCount
	for name, n := range sameCourses(p.Courses) {
		lvl := courseLevel(name)
		switch {
		case lvl != compliance.LevelNone:
			byLevel[lvl] = append(byLevel[lvl], valueCount{name, n})
		case nearMiss.Match(name):
			near = append(near, valueCount{name, n})
		}
	}
	if len(byLevel) == 0 {
		b.WriteString("# No Prevent-like course name was found: the built-in course rules apply\n# (README, \"Courses\"). Name your courses here once you know them.\n")
	} else {
		b.WriteString("courses:\n")
	}
	for _, lvl := range []compliance.Level{compliance.FaceToFace, compliance.Level3, compliance.Basic} {
		list := byLevel[lvl]
		if len(list) == 0 {
			continue
		}
		sortCounts(list)
		fmt.Fprintf(b, "  - level: %s\n    match:\n", lvl)
		for _, v := range list {
			fmt.Fprintf(b, "      - %s   # %s\n", quote(literal(v.value)), rows(v.people))
		}
	}
	if len(near) > 0 {
		sortCounts(near)
		b.WriteString("# Left out: these name prevention or radicalisation but are not Prevent training\n# (move one into a rule above if it is):\n")
		for _, v := range near {
			fmt.Fprintf(b, "#   %s   # %s\n", quote(v.value), rows(v.people))
		}
	}
}

func (p *Proposal) writeColumns(b *strings.Builder) {
	var live, commented []string
	seen := map[string]bool{} // one live line per field: YAML keys are unique
	for _, f := range p.Files {
		for _, c := range f.Columns {
			line := fmt.Sprintf("%s   (for %s)", c, f.Name)
			key, _, _ := strings.Cut(c, ":")
			if f.Guessed && !seen[key] {
				seen[key] = true
				live = append(live, c)
			} else {
				commented = append(commented, line)
			}
		}
	}
	if len(live) == 0 && len(commented) == 0 {
		b.WriteString("\n# columns: every file's columns were recognised by their usual ESR and LMS headers.\n")
		return
	}
	b.WriteString("\n# Header aliases for the columns init could not recognise. Check each names the\n# right column ('prevent inspect FILE' shows how a file is read with them).\n")
	if len(live) > 0 {
		b.WriteString("columns:\n")
		for _, c := range live {
			fmt.Fprintf(b, "  %s\n", c)
		}
	} else {
		b.WriteString("# columns:\n")
	}
	for _, c := range commented {
		fmt.Fprintf(b, "#   %s\n", c)
	}
}

func sortCounts(list []valueCount) {
	sort.Slice(list, func(a, b int) bool {
		if list[a].people != list[b].people {
			return list[a].people > list[b].people
		}
		return list[a].value < list[b].value
	})
}

func people(n int) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}

func rows(n int) string {
	switch n {
	case 0:
		return "listed, nobody has completed it yet"
	case 1:
		return "1 completion row"
	}
	return fmt.Sprintf("%d completion rows", n)
}

// literal makes a value a glob pattern that matches just itself.
func literal(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(strings.Join(strings.Fields(v), " "))
}

// quote writes a YAML double-quoted scalar.
func quote(s string) string { return strconv.Quote(s) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// sameCourses merges course names that differ only in case and spacing
// (one pattern matches them all), under the spelling with most rows.
func sameCourses(courses map[string]int) map[string]int {
	type spelling struct {
		name       string
		rows, best int
	}
	by := map[string]*spelling{}
	for name, n := range courses {
		k := glob.Normalize(name)
		sp := by[k]
		if sp == nil {
			sp = &spelling{}
			by[k] = sp
		}
		sp.rows += n
		if sp.name == "" || n > sp.best || (n == sp.best && name < sp.name) {
			sp.name, sp.best = strings.Join(strings.Fields(name), " "), n
		}
	}
	out := make(map[string]int, len(by))
	for _, sp := range by {
		out[sp.name] = sp.rows
	}
	return out
}
