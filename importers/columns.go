package importers

import (
	"sort"
	"strings"
)

// field is a standard column of an extract.
type field int

const (
	fEmployee field = iota
	fAssignment
	fName
	fFirstName
	fLastName
	fOrganisation
	fStaffGroup
	fOccupation
	fJobRole
	fPosition
	fCategory
	fStatus
	fPrimary
	fEmail
	fManagerEmail
	fCourse
	fCompleted
	fStartDate
	fOrgL2
	fOrgL3
	fOrgL4
	fOrgL5
	fOrgL6
	fOrgL7
	fReason
	fFrom
	fUntil
	fProgress
	numFields
)

// fieldInfo names each field (its config key) and lists its usual headers
// in priority order.
var fieldInfo = [numFields]struct {
	key     string
	headers []string
}{
	fEmployee:     {"employee_number", []string{"Employee Number", "Emp No", "Employee No", "Person Number", "Staff Number", "User ID Number", "ID Number", "ESR Number", "ESR Employee Number", "Emp Number", "Employee ID", "Staff ID"}},
	fAssignment:   {"assignment_number", []string{"Assignment Number", "Assignment No"}},
	fName:         {"name", []string{"Full Name", "Name", "Employee Name", "Employee Full Name", "Staff Name", "User's Fullname", "User's Full Name"}},
	fFirstName:    {"first_name", []string{"First Name", "Forename", "Forenames", "Given Name"}},
	fLastName:     {"last_name", []string{"Last Name", "Surname", "Family Name"}},
	fOrganisation: {"organisation", []string{"Organisation", "Organization", "Org L3", "Org L4", "Org L5", "Org L6", "Org L7", "Directorate", "Department", "Cost Centre"}},
	fStaffGroup:   {"staff_group", []string{"Staff Group"}},
	fOccupation:   {"occupation_code", []string{"Occupation Code"}},
	fJobRole:      {"job_role", []string{"Job Role"}},
	fPosition:     {"position_title", []string{"Position Title", "Position", "Job Title", "Position Name"}},
	fCategory:     {"assignment_category", []string{"Assignment Category"}},
	fStatus:       {"assignment_status", []string{"Assignment Status"}},
	fPrimary:      {"primary", []string{"Primary", "Primary Assignment", "Primary Flag", "Primary Assignment Flag"}},
	fEmail:        {"email", []string{"Email", "Email Address", "Work Email", "E-mail", "Work Email Address", "User Email", "User's Email", "Learner Email", "Employee Email", "Staff Email"}},
	fManagerEmail: {"manager_email", []string{"Manager Email", "Line Manager Email", "Supervisor Email", "Manager Email Address"}},
	fCourse: {"course", []string{"Course", "Course Name", "Competence Name", "Competency Name", "Module", "Activity",
		"Course full name", "Course full name with link", "Certification name", "Program name", "Training", "Course Title",
		"Competence", "Competency"}},
	fCompleted: {"completed", []string{"Completion Date", "Completed", "Date Completed", "Achievement Date", "Date Achieved", "Date From",
		"Course completion date", "Time completed", "Certification date", "Date Attended", "Course complete",
		"Completed On", "Date of Completion", "Completion Date Time", "Completed Date"}},
	// A row whose progress says it is not complete is counted as not
	// completed, whatever its date.
	fProgress:  {"progress", []string{"Progress", "Status", "Completion Status", "Course Status"}},
	fStartDate: {"start_date", []string{"Assignment Start Date", "Date First Hired", "Hire Date", "Start Date", "Latest Start Date"}},
	fOrgL2:     {"org_l2", []string{"Org L2"}},
	fOrgL3:     {"org_l3", []string{"Org L3"}},
	fOrgL4:     {"org_l4", []string{"Org L4"}},
	fOrgL5:     {"org_l5", []string{"Org L5"}},
	fOrgL6:     {"org_l6", []string{"Org L6"}},
	fOrgL7:     {"org_l7", []string{"Org L7"}},
	// An exemptions file: who, why, and the first and last day exempt.
	fReason: {"reason", []string{"Reason", "Exemption Reason", "Exemption", "Exemption Type"}},
	fFrom:   {"from", []string{"From", "Exempt From", "Exemption From", "From Date", "Exemption Start"}},
	fUntil:  {"until", []string{"Until", "Exempt Until", "Exemption Until", "Until Date", "To", "Exemption End"}},
}

// orgLevelFields are Org L2 to Org L7 in order.
var orgLevelFields = [6]field{fOrgL2, fOrgL3, fOrgL4, fOrgL5, fOrgL6, fOrgL7}

// keySynonyms are other names a config `columns:` block may use for a field.
var keySynonyms = map[string]field{
	"employee": fEmployee, "emp_no": fEmployee, "person_number": fEmployee, "staff_number": fEmployee,
	"assignment": fAssignment,
	"full_name":  fName,
	"forename":   fFirstName, "firstname": fFirstName,
	"surname": fLastName, "lastname": fLastName,
	"organization": fOrganisation, "org": fOrganisation,
	"position": fPosition, "job_title": fPosition,
	"primary_flag":  fPrimary,
	"email_address": fEmail, "work_email": fEmail,
	"course_name":     fCourse,
	"completion_date": fCompleted, "completed_on": fCompleted, "date_completed": fCompleted, "date": fCompleted,
}

// FieldNames lists the field names a config `columns:` block may give
// aliases for, in a stable order.
func FieldNames() []string {
	out := make([]string, numFields)
	for f := range numFields {
		out[f] = fieldInfo[f].key
	}
	return out
}

// CanonicalField maps a config `columns:` key (any case; "completion_date"
// and a few other synonyms accepted) to its field name.
func CanonicalField(key string) (string, bool) {
	f, ok := lookupField(key)
	if !ok {
		return "", false
	}
	return fieldInfo[f].key, true
}

func lookupField(key string) (field, bool) {
	k := strings.ToLower(strings.TrimSpace(key))
	k = strings.NewReplacer(" ", "_", "-", "_").Replace(k)
	for f := range numFields {
		if fieldInfo[f].key == k {
			return f, true
		}
	}
	f, ok := keySynonyms[k]
	return f, ok
}

// matcher recognises header cells: per field, the headers looked for (config
// aliases first, then the built-in ones) in priority order.
type matcher struct {
	display [numFields][]string // as written, for messages
	norm    [numFields][]string // normalised, for matching
	aliases [numFields]int      // how many of each field's headers are config aliases (they come first)
}

func newMatcher(aliases map[string][]string) *matcher {
	m := &matcher{}
	keys := make([]string, 0, len(aliases))
	for k := range aliases {
		keys = append(keys, k)
	}
	sort.Strings(keys) // stable order when synonyms name the same field
	for _, k := range keys {
		f, ok := lookupField(k)
		if !ok {
			continue
		}
		for _, a := range aliases[k] {
			m.add(f, a)
		}
	}
	for f := range numFields {
		m.aliases[f] = len(m.norm[f])
	}
	for f := range numFields {
		for _, h := range fieldInfo[f].headers {
			m.add(f, h)
		}
	}
	return m
}

func (m *matcher) add(f field, header string) {
	n := normHeader(header)
	if n == "" {
		return
	}
	for _, have := range m.norm[f] {
		if have == n {
			return
		}
	}
	m.display[f] = append(m.display[f], strings.TrimSpace(header))
	m.norm[f] = append(m.norm[f], n)
}

// header is a row read as a header row: the column index of each field
// (-1 when absent) and the header text found there.
type header struct {
	sheet string
	row   int
	col   [numFields]int
	text  [numFields]string
	norm  [numFields]string
	found int      // fields recognised
	raw   []string // the row's cells as written, for logs read by their own headers

	// A column headed just "Completed" may hold Yes/No rather than dates
	// (Moodle writes it beside "Time completed"). bare is its index (-1:
	// none); alt is the best other completed header, the date column
	// when bare turns out to be a flag (see resolveFlag).
	bare, alt        int
	altText, altNorm string
	flag             int // the Yes/No completion flag column once resolved, else -1

	cells  []string // the row as read, for inspect
	titles []string // the non-blank cells of the rows above it (report titles)
}

// match reads a row as a header row.
func (m *matcher) match(cells []string, row int) *header {
	h := &header{row: row, raw: append([]string(nil), cells...), bare: -1, alt: -1, flag: -1}
	var prio [numFields]int
	altPrio := 0
	for f := range h.col {
		h.col[f] = -1
	}
	for j, c := range cells {
		if isBlank(c) {
			continue
		}
		n := normHeader(c)
		if n == "" {
			continue
		}
		for f := range numFields {
			for k, a := range m.norm[f] {
				if a == n {
					if h.col[f] < 0 || k < prio[f] {
						h.col[f], prio[f] = j, k
						h.text[f], h.norm[f] = strings.TrimSpace(c), n
					}
					if f == fCompleted && n == bareCompleted {
						h.bare = j
					} else if f == fCompleted && (h.alt < 0 || k < altPrio) {
						h.alt, altPrio = j, k
						h.altText, h.altNorm = strings.TrimSpace(c), n
					}
					break
				}
			}
		}
	}
	for f := range numFields {
		if h.col[f] >= 0 {
			h.found++
		}
	}
	h.cells = append([]string(nil), cells...)
	return h
}

// bareCompleted is the normalised "Completed" header.
const bareCompleted = "completed"

func (h *header) has(f field) bool { return h.col[f] >= 0 }

// person: a column naming the person (employee or assignment number).
func (h *header) hasPerson() bool { return h.has(fEmployee) || h.has(fAssignment) }

// hasRole: a column a requirement rule usually matches on.
func (h *header) hasRole() bool {
	return h.has(fStaffGroup) || h.has(fJobRole) || h.has(fPosition)
}

// isStaff reports whether the row is a staff extract's header row.
func (h *header) isStaff() bool { return h.hasPerson() && h.hasRole() }

// isCompletions reports whether the row is a completions extract's header
// row.
func (h *header) isCompletions() bool {
	return (h.hasPerson() || h.has(fEmail)) && h.has(fCourse) && h.has(fCompleted)
}

// isExemptions reports whether the row is an exemptions file's header row:
// an employee number and a From date, with a Reason or Until column, and no
// course or role column.
func (h *header) isExemptions() bool {
	return h.hasPerson() && h.has(fFrom) && (h.has(fReason) || h.has(fUntil)) && !h.has(fCourse) && !h.hasRole()
}

// isOneCourse reports whether the row is the header row of a one-course
// report: a completions header row but for the course column.
func (h *header) isOneCourse() bool {
	return (h.hasPerson() || h.has(fEmail)) && h.has(fCompleted)
}

// looksLikeCompletions: a staff read refuses a completions extract, which
// may well carry job roles too, rather than replace the workforce with it.
func (h *header) looksLikeCompletions() bool { return h.has(fCourse) && h.has(fCompleted) }

// columns is the Summary's field -> header text.
func (h *header) columns() map[string]string {
	out := make(map[string]string, h.found+1)
	for f := range numFields {
		if h.col[f] >= 0 {
			out[fieldInfo[f].key] = h.text[f]
		}
	}
	if !h.has(fEmployee) && h.has(fAssignment) {
		out[fieldInfo[fEmployee].key] = h.text[fAssignment]
	}
	if !h.has(fName) && (h.has(fFirstName) || h.has(fLastName)) {
		out[fieldInfo[fName].key] = strings.TrimPrefix(strings.TrimSuffix(h.text[fFirstName]+" + "+h.text[fLastName], " + "), " + ")
	}
	return out
}

// byAlias reports whether a header matched a field through a config alias
// rather than a built-in header.
func (m *matcher) byAlias(f field, norm string) bool {
	for _, a := range m.norm[f][:m.aliases[f]] {
		if a == norm {
			return true
		}
	}
	return false
}

// lookedFor lists the headers looked for, for a message: the first few of
// each field's, config aliases first.
func (m *matcher) lookedFor(fs ...field) string {
	const most = 5
	var all []string
	more := false
	for _, f := range fs {
		d := m.display[f]
		if len(d) > most {
			d, more = d[:most], true
		}
		all = append(all, d...)
	}
	if more {
		all = append(all, "...")
	}
	return strings.Join(all, ", ")
}

// requirement is a set of columns of which a file needs one.
type requirement struct {
	what   string
	fields []field
	// hints are words (lower case) in the headers likely to hold it: when
	// inspect proposes a config line, headers with one come first.
	hints []string
}

var (
	needStaffPerson = requirement{"the employee number", []field{fEmployee, fAssignment}, []string{"number", "no", "id", "ref"}}
	needStaffRole   = requirement{"a staff group, job role or position title", []field{fStaffGroup, fJobRole, fPosition},
		[]string{"group", "role", "job", "title", "position", "occupation"}}
	needComplPerson = requirement{"the employee number or email", []field{fEmployee, fAssignment, fEmail},
		[]string{"number", "no", "id", "mail", "user"}}
	needCourse     = requirement{"the course name", []field{fCourse}, []string{"course", "title", "module", "training", "competen", "activity", "learning"}}
	needCompleted  = requirement{"the completion date", []field{fCompleted}, []string{"date", "time", "complet", "achiev", "pass", "when"}}
	needExemptFrom = requirement{"the first day exempt", []field{fFrom}, []string{"from", "start", "begin", "date"}}
)

func requirementsOf(k Kind) []requirement {
	switch k {
	case Staff:
		return []requirement{needStaffPerson, needStaffRole}
	case Exemptions:
		return []requirement{needStaffPerson, needExemptFrom}
	}
	return []requirement{needComplPerson, needCourse, needCompleted}
}

// missing describes the required columns a header row lacks, or "".
func (m *matcher) missing(h *header, k Kind) string {
	var parts []string
	for _, r := range requirementsOf(k) {
		have := false
		for _, f := range r.fields {
			have = have || h.has(f)
		}
		if !have {
			parts = append(parts, r.what+" (looked for "+m.lookedFor(r.fields...)+")")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "no column for " + strings.Join(parts, ", nor for ")
}

// needs describes what a header row of a kind must have, for a message.
func (m *matcher) needs(k Kind) string {
	var parts []string
	for _, r := range requirementsOf(k) {
		parts = append(parts, r.what+" ("+m.lookedFor(r.fields...)+")")
	}
	return "a " + string(k) + " extract needs columns for " + strings.Join(parts, " and ")
}
