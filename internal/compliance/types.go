// Package compliance is the domain engine of prevent: training levels,
// requirement and course rules, refresher due dates, each person's status on
// an as-of date, and the per-organisation aggregation against the compliance
// threshold. It is pure: no files, databases, mail or clocks. Callers pass
// plain values and the as-of date.
package compliance

import (
	"fmt"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/glob"
)

// Level is a level of the NHS Prevent training and competencies framework.
// Levels are ordered: a higher level satisfies every lower one.
type Level int

const (
	LevelNone  Level = iota // no Prevent level (an unmapped course)
	Basic                   // basic Prevent awareness (levels 1-2)
	Level3                  // level 3 Prevent
	FaceToFace              // face-to-face (WRAP or equivalent)
)

// Levels lists the real levels in ascending order.
var Levels = []Level{Basic, Level3, FaceToFace}

// String is the level's name as written in config and outputs.
func (l Level) String() string {
	switch l {
	case Basic:
		return "basic"
	case Level3:
		return "level3"
	case FaceToFace:
		return "face_to_face"
	}
	return "none"
}

// Title is the level's name for people to read.
func (l Level) Title() string {
	switch l {
	case Basic:
		return "Basic Prevent awareness"
	case Level3:
		return "Level 3 Prevent"
	case FaceToFace:
		return "Face-to-face (WRAP)"
	}
	return "None"
}

// ParseLevel reads a level name as written in config.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "basic":
		return Basic, nil
	case "level3":
		return Level3, nil
	case "face_to_face":
		return FaceToFace, nil
	}
	return LevelNone, fmt.Errorf("unknown level %q (want basic, level3 or face_to_face)", s)
}

// Status is a person's training position on the as-of date.
type Status string

const (
	Never     Status = "never"     // no qualifying completion on or before the as-of date
	Expired   Status = "expired"   // due date before the as-of date
	DueSoon   Status = "due_soon"  // due within the due-soon window
	Compliant Status = "compliant" // otherwise
)

// Statuses lists every status, most urgent first.
var Statuses = []Status{Expired, Never, DueSoon, Compliant}

// ParseStatus reads a status name.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range AllStatuses {
		if st == known {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown status %q (want never, expired, due_soon, compliant, new_starter or exempt)", s)
}

// Counts reports whether the status counts as compliant for the threshold
// figures (compliant or due soon).
func (s Status) Counts() bool { return s == Compliant || s == DueSoon }

// Field names an assignment field that requirement rules can match.
type Field string

const (
	FieldStaffGroup         Field = "staff_group"
	FieldOccupationCode     Field = "occupation_code"
	FieldJobRole            Field = "job_role"
	FieldPositionTitle      Field = "position_title"
	FieldOrganisation       Field = "organisation"
	FieldAssignmentCategory Field = "assignment_category"
	FieldAssignmentStatus   Field = "assignment_status"
	FieldEmployeeNumber     Field = "employee_number"
)

// RuleFields lists the fields a requirement rule may match, in a stable order.
var RuleFields = []Field{FieldStaffGroup, FieldOccupationCode, FieldJobRole, FieldPositionTitle,
	FieldOrganisation, FieldAssignmentCategory, FieldAssignmentStatus, FieldEmployeeNumber}

// Assignment is one row of an ESR staff extract: one post held by a person.
type Assignment struct {
	EmployeeNumber     string
	AssignmentNumber   string
	Name               string
	Organisation       string
	StaffGroup         string
	OccupationCode     string
	JobRole            string
	PositionTitle      string
	AssignmentCategory string
	AssignmentStatus   string
	Primary            bool
	Email              string
	ManagerEmail       string
	// StartDate is the assignment's start date; zero when blank.
	StartDate time.Time
	// OrgLevels are ESR's Org L2 to Org L7 (index 0 is Org L2).
	OrgLevels [6]string
	// Row is the row's position in its extract (file order).
	Row int
}

// Value returns the assignment's value for a rule field.
func (a *Assignment) Value(f Field) string {
	switch f {
	case FieldStaffGroup:
		return a.StaffGroup
	case FieldOccupationCode:
		return a.OccupationCode
	case FieldJobRole:
		return a.JobRole
	case FieldPositionTitle:
		return a.PositionTitle
	case FieldOrganisation:
		return a.Organisation
	case FieldAssignmentCategory:
		return a.AssignmentCategory
	case FieldAssignmentStatus:
		return a.AssignmentStatus
	case FieldEmployeeNumber:
		return a.EmployeeNumber
	}
	return ""
}

// Completion is one course completion from an LMS or ESR competence extract.
// It names its person by employee number, or by email when the number is
// blank.
type Completion struct {
	EmployeeNumber string
	Email          string
	Course         string
	CompletedOn    time.Time // a calendar day, midnight UTC
}

// Rule maps assignments to a required level. Every field given must match
// (AND); within a field any pattern may match (OR).
type Rule struct {
	Level Level
	Match map[Field]glob.Set
}

// Matches reports whether an assignment satisfies every field of the rule.
func (r Rule) Matches(a *Assignment) bool {
	for f, set := range r.Match {
		if !set.Match(a.Value(f)) {
			return false
		}
	}
	return true
}

// CourseRule maps course names to the level a completion counts for.
type CourseRule struct {
	Level Level
	Match glob.Set
	Link  string // where to book it, for reminders
}

// Policy is everything the engine needs from the config.
type Policy struct {
	Requirements   []Rule
	Courses        []CourseRule
	Exclude        glob.Set // assignment statuses that do not count
	RefresherYears int      // default 3
	DueSoonDays    int      // default 90
	Threshold      float64  // default 0.85
	// NewStarterDays is the grace a new starter has to train before
	// counting (0: none). See IsNewStarter.
	NewStarterDays int
	// AnnualUpdate is the annual-update measure; nil when not configured.
	AnnualUpdate *AnnualUpdate
	// RedBelow is the rate below which a rate is red (0: no RAG bands).
	RedBelow float64
}

// DefaultPolicy is the policy with the contract's defaults and no rules.
func DefaultPolicy() Policy {
	return Policy{RefresherYears: 3, DueSoonDays: 90, Threshold: 0.85}
}

// Date returns the calendar day as a time at midnight UTC.
func Date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
}

// Day drops the time of day, keeping the calendar day as written.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return Date(y, m, d)
}

// EmployeeKey is the form in which employee numbers are matched: an
// all-digit number loses its leading zeros, because spreadsheets drop them
// ("00123456" in ESR is 123456 once an LMS export has been through Excel).
// Other identifiers match as written.
func EmployeeKey(n string) string {
	if n == "" {
		return n
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return n
		}
	}
	k := strings.TrimLeft(n, "0")
	if k == "" {
		return "0"
	}
	return k
}
