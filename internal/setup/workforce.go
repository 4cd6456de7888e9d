package setup

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
)

// workforce is one staff extract's people, by the values a requirement
// rule matches on.
type workforce struct {
	file        string
	people      map[string]bool
	assignments []compliance.Assignment
	hasGroup    bool // the extract has a staff group column
	hasRole     bool // ... a job role column
	orgs        map[string]int
	// top counts each assignment's highest org level given (org_l2, else
	// org_l3 ...), which often names the trust ("RNF Northfield NHS
	// Foundation Trust") where the organisation is a ward.
	top map[string]int
}

func readWorkforce(path string, opt importers.Options) (*workforce, importers.Summary, error) {
	w := &workforce{file: filepath.Base(path), people: map[string]bool{}, orgs: map[string]int{}, top: map[string]int{}}
	sum, err := importers.ReadStaff(path, opt, func(a compliance.Assignment) error {
		w.people[a.EmployeeNumber] = true
		w.orgs[a.Organisation]++
		for _, l := range a.OrgLevels {
			if l != "" {
				w.top[l]++
				break
			}
		}
		w.assignments = append(w.assignments, a)
		return nil
	})
	if err != nil {
		return nil, sum, err
	}
	_, w.hasGroup = sum.Columns["staff_group"]
	_, w.hasRole = sum.Columns["job_role"]
	return w, sum, nil
}

// Registered professional staff groups: level 3 under the competencies
// framework (clinical staff who could contribute to assessing or
// supporting people at risk).
var registeredGroups = glob.Set{
	glob.MustCompile("Medical and Dental"),
	glob.MustCompile("Nursing and Midwifery Registered"),
	glob.MustCompile("Allied Health Professionals"),
	glob.MustCompile("Healthcare Scientists"),
	glob.MustCompile("Add Prof Scientific and Technic*"),
	glob.MustCompile("Additional Professional Scientific and Technical*"),
}

// Safeguarding and Prevent roles: the face-to-face workshop.
var safeguardingRoles = glob.Set{
	glob.MustCompile("*safeguard*"),
	glob.MustCompile("*prevent lead*"),
	glob.MustCompile("prevent *"),
	glob.MustCompile("named nurse*"),
	glob.MustCompile("named doctor*"),
	glob.MustCompile("named midwife*"),
	glob.MustCompile("named professional*"),
	glob.MustCompile("designated *"),
}

// Administrative posts in a safeguarding team are not safeguarding
// professionals: they keep their staff group's level.
var adminRoles = glob.Set{
	glob.MustCompile("*admin*"),
	glob.MustCompile("*secretar*"),
	glob.MustCompile("*clerk*"),
}

// valueCount is a value found and the people holding it.
type valueCount struct {
	value  string
	people int
}

// rule is a proposed requirement rule.
type rule struct {
	level  compliance.Level
	field  string // job_role, position_title or staff_group
	values []valueCount
	people int // people with an assignment this rule is the first to match
}

// rules proposes the requirement rules, first match first, and the staff
// groups left to the default (basic) with their people.
func (w *workforce) rules() (rules []rule, rest []valueCount) {
	roleField, role := "job_role", func(a compliance.Assignment) string { return a.JobRole }
	if !w.hasRole {
		roleField, role = "position_title", func(a compliance.Assignment) string { return a.PositionTitle }
	}
	f2f := rule{level: compliance.FaceToFace, field: roleField}
	l3 := rule{level: compliance.Level3, field: "staff_group"}
	f2fVals, l3Vals, restVals := peopleBy(), peopleBy(), peopleBy()
	f2fPeople, l3People := map[string]bool{}, map[string]bool{}
	for _, a := range w.assignments {
		switch r := strings.Join(strings.Fields(role(a)), " "); {
		case r != "" && safeguardingRoles.Match(r) && !adminRoles.Match(r):
			f2fVals.add(r, a.EmployeeNumber)
			f2fPeople[a.EmployeeNumber] = true
		case a.StaffGroup != "" && registeredGroups.Match(a.StaffGroup):
			l3Vals.add(strings.Join(strings.Fields(a.StaffGroup), " "), a.EmployeeNumber)
			l3People[a.EmployeeNumber] = true
		default:
			restVals.add(strings.Join(strings.Fields(a.StaffGroup), " "), a.EmployeeNumber)
		}
	}
	if f2f.values = f2fVals.list(); len(f2f.values) > 0 {
		f2f.people = len(f2fPeople)
		rules = append(rules, f2f)
	}
	if l3.values = l3Vals.list(); len(l3.values) > 0 {
		l3.people = len(l3People)
		rules = append(rules, l3)
	}
	return rules, restVals.list()
}

// groupsHeld is every staff group in the extract with its people.
func (w *workforce) groupsHeld() []valueCount {
	by := peopleBy()
	for _, a := range w.assignments {
		by.add(strings.Join(strings.Fields(a.StaffGroup), " "), a.EmployeeNumber)
	}
	return by.list()
}

// odsCode is the code that begins (nearly) every organisation name, as
// ESR writes "RXX Surgery Division", else the one that begins (nearly)
// every top org level; "" when there is none.
func (w *workforce) odsCode() string {
	if c := odsCodeIn(w.orgs); c != "" {
		return c
	}
	return odsCodeIn(w.top)
}

func odsCodeIn(values map[string]int) string {
	codes := map[string]int{}
	total := 0
	for org, n := range values {
		total += n
		first, _, _ := strings.Cut(strings.TrimSpace(org), " ")
		if looksODS(first) {
			codes[first] += n
		}
	}
	for c, n := range codes {
		if n*10 >= total*9 {
			return c
		}
	}
	return ""
}

// trustName is the provider's name when an organisation value carries it
// ("RXX Example NHS Foundation Trust", as ESR's top level reads), the one
// most assignments hold; "" when none does. The org levels are looked at
// when no organisation value names the trust.
func (w *workforce) trustName() string {
	if name := trustNameIn(w.orgs); name != "" {
		return name
	}
	return trustNameIn(w.top)
}

func trustNameIn(values map[string]int) string {
	best, most := "", 0
	for org, n := range values {
		m := trustNamePattern.FindStringSubmatch(org)
		if m == nil || n < most {
			continue
		}
		name := strings.Join(strings.Fields(m[1]), " ")
		if first, rest, ok := strings.Cut(name, " "); ok && looksODS(first) {
			name = rest
		}
		if n > most || name < best { // of equal counts, the first by name: the same every run
			best, most = name, n
		}
	}
	return best
}

// looksODS: an NHS trust's ODS code is three to five upper-case letters
// and digits starting with a letter (RXX, RJ1, 5NT is a CCG's); ESR's own
// organisation numbers are all digits.
func looksODS(s string) bool {
	if len(s) < 3 || len(s) > 5 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(('A' <= s[i] && s[i] <= 'Z') || ('0' <= s[i] && s[i] <= '9')) {
			return false
		}
	}
	return true
}

// peopleByValue counts distinct people per value.
type peopleByValue map[string]map[string]bool

func peopleBy() peopleByValue { return peopleByValue{} }

func (p peopleByValue) add(value, person string) {
	if value == "" {
		value = "(blank)"
	}
	if p[value] == nil {
		p[value] = map[string]bool{}
	}
	p[value][person] = true
}

// list is the values, most people first, then by name.
func (p peopleByValue) list() []valueCount {
	out := make([]valueCount, 0, len(p))
	for v, people := range p {
		out = append(out, valueCount{v, len(people)})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].people != out[b].people {
			return out[a].people > out[b].people
		}
		return out[a].value < out[b].value
	})
	return out
}
