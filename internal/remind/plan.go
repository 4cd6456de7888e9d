package remind

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/store"
)

// lead is one Prevent lead address with every organisation pattern the
// config gives it (an address listed twice covers both).
type lead struct {
	email    string
	patterns []string
	covers   glob.Set
}

// planner works out reminders from the config and the workforce's
// position.
type planner struct {
	cfg       *config.Config
	store     *store.Store
	policy    compliance.Policy
	leads     []lead
	staffDays []int // distinct, furthest from the due date first
	courses   courses

	positions map[time.Time]*roster // by as-of date; nil when no snapshot
	// today is the position on the run's as-of date: who is a recipient
	// now.
	today *roster
}

// roster is the position on one date, indexed.
type roster struct {
	pos      *report.Position
	byNumber map[string]*compliance.Person
	emails   map[string]bool // every person's email
	managers map[string]bool // every person's manager email
}

func newPlanner(cfg *config.Config, s *store.Store) *planner {
	p := &planner{cfg: cfg, store: s, policy: cfg.Policy(), positions: map[time.Time]*roster{}}
	p.courses = newCourses(p.policy.Courses)
	index := map[string]int{}
	for _, l := range cfg.Reminders.Leads {
		email := strings.ToLower(strings.TrimSpace(l.Email))
		if email == "" {
			continue
		}
		pat := l.Organisation
		if strings.TrimSpace(pat) == "" {
			pat = "*"
		}
		g, err := glob.Compile(pat)
		if err != nil {
			continue // Validate rejects it first
		}
		i, ok := index[email]
		if !ok {
			i = len(p.leads)
			index[email] = i
			p.leads = append(p.leads, lead{email: email})
		}
		p.leads[i].patterns = append(p.leads[i].patterns, pat)
		p.leads[i].covers = append(p.leads[i].covers, g)
	}
	for _, d := range cfg.Reminders.Staff {
		if d >= 0 && !slices.Contains(p.staffDays, d) {
			p.staffDays = append(p.staffDays, d)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(p.staffDays)))
	return p
}

// configured reports whether the config asks for any reminders.
func (p *planner) configured() bool {
	return len(p.leads) > 0 || p.cfg.Reminders.Managers || len(p.staffDays) > 0
}

// position loads (once) the position on a date; nil when there is no
// staff snapshot on or before it.
func (p *planner) position(ctx context.Context, asOf time.Time) (*roster, error) {
	asOf = compliance.Day(asOf)
	if r, ok := p.positions[asOf]; ok {
		return r, nil
	}
	pos, err := report.Load(ctx, p.store, p.policy, asOf)
	var none *report.NoSnapshotError
	if errors.As(err, &none) {
		p.positions[asOf] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r := &roster{pos: pos, byNumber: make(map[string]*compliance.Person, len(pos.People)),
		emails: map[string]bool{}, managers: map[string]bool{}}
	for i := range pos.People {
		per := &pos.People[i]
		r.byNumber[per.EmployeeNumber] = per
		if e := normEmail(per.Email); e != "" {
			r.emails[e] = true
		}
		if e := normEmail(per.ManagerEmail); e != "" {
			r.managers[e] = true
		}
	}
	p.positions[asOf] = r
	return r, nil
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// draft is one message a run owes before the notices already held are
// taken out.
type draft struct {
	audience  Audience
	recipient string
	point     string
	entries   []Entry
	passed    []string // staff: earlier points passed without a message
}

// needsTraining reports whether a lead or manager is told about someone
// in this status: new starters are listed beside the expired, never
// trained and due soon, due by the end of their grace period; exempt
// people never are.
func needsTraining(s compliance.Status) bool {
	return s == compliance.Expired || s == compliance.Never || s == compliance.DueSoon || s == compliance.NewStarter
}

// drafts works out every message owed on the position's date: one per lead
// listing the people their organisations cover who are expired, never
// trained or due soon; one per line manager listing such reports (when
// reminders.managers); and one per member of staff at the furthest point
// they have reached (when reminders.staff_days). It also counts the staff
// owed a reminder who have no email address, and the manager and staff
// addresses refused (config.Reminders.AllowsAddress): ESR's text is
// anyone's, and a list must not go to "Attacker <x@evil.example>".
func (p *planner) drafts(r *roster) (drafts []draft, withoutEmail, refused int) {
	people := r.pos.People
	for _, l := range p.leads {
		d := draft{audience: Leads, recipient: l.email, point: PointLead}
		for i := range people {
			if needsTraining(people[i].Status) && l.covers.Match(people[i].Organisation) {
				d.entries = append(d.entries, p.entryOf(&people[i], PointLead))
			}
		}
		if len(d.entries) > 0 {
			sortEntries(d.entries)
			drafts = append(drafts, d)
		}
	}
	if p.cfg.Reminders.Managers {
		byManager := map[string]*draft{}
		var order []string
		for i := range people {
			per := &people[i]
			mgr := normEmail(per.ManagerEmail)
			if mgr == "" || !needsTraining(per.Status) {
				continue
			}
			if !p.cfg.Reminders.AllowsAddress(mgr) {
				refused++
				continue
			}
			d, ok := byManager[mgr]
			if !ok {
				d = &draft{audience: Managers, recipient: mgr, point: PointManager}
				byManager[mgr] = d
				order = append(order, mgr)
			}
			d.entries = append(d.entries, p.entryOf(per, PointManager))
		}
		sort.Strings(order)
		for _, mgr := range order {
			d := byManager[mgr]
			sortEntries(d.entries)
			drafts = append(drafts, *d)
		}
	}
	if len(p.staffDays) > 0 {
		for i := range people {
			per := &people[i]
			point, passed, ok := p.staffPoint(per, r.pos.AsOf)
			if !ok {
				continue
			}
			email := normEmail(per.Email)
			if email == "" {
				withoutEmail++
				continue
			}
			if !p.cfg.Reminders.AllowsAddress(email) {
				refused++
				continue
			}
			drafts = append(drafts, draft{audience: Staff, recipient: email, point: point,
				entries: []Entry{p.entryOf(per, point)}, passed: passed})
		}
	}
	return drafts, withoutEmail, refused
}

// staffPoint is the furthest reminder point a person has reached on asOf:
// "never" with no qualifying completion, "expired" after the due date, else
// "before-N" for the smallest configured N with the due date at most N days
// away. passed lists the earlier points, which are marked as passed rather
// than sent: someone first seen 5 days before their due date gets the 7-day
// reminder only, not the 90-, 30- and 7-day ones at once.
func (p *planner) staffPoint(per *compliance.Person, asOf time.Time) (point string, passed []string, ok bool) {
	due := per.DueDate
	switch {
	case per.Status == compliance.Exempt:
		return "", nil, false
	case per.Status == compliance.NewStarter:
		due = p.policy.GraceEnds(per) // counted from the end of their grace, like a due date
	case per.Status == compliance.Never:
		return PointNever, nil, true
	case per.DueDate.Before(asOf):
		for _, d := range p.staffDays {
			passed = append(passed, BeforePoint(d))
		}
		return PointExpired, passed, true
	}
	left := int(due.Sub(compliance.Day(asOf)).Hours() / 24)
	for _, d := range p.staffDays { // furthest first
		if left > d {
			continue
		}
		if point != "" {
			passed = append(passed, point)
		}
		point = BeforePoint(d)
	}
	return point, passed, point != ""
}

// entryOf is a person as a reminder lists them. A new starter is due by
// the end of their grace period (start date + new_starter_days).
func (p *planner) entryOf(per *compliance.Person, point string) Entry {
	due := per.DueDate
	if per.Status == compliance.NewStarter {
		due = p.policy.GraceEnds(per)
	}
	return Entry{EmployeeNumber: per.EmployeeNumber, Name: per.Name, Organisation: per.Organisation,
		JobRole: per.JobRole, Requirement: per.Requirement, Status: per.Status,
		CompletedOn: per.CompletedOn, DueDate: due, Point: point,
		Course: p.courses.forLevel(per.Requirement), InSnapshot: true}
}

// entry rebuilds a notice's entry from the position on the notice's as-of
// date. The notice decides the due date and so the status; the position
// gives the rest. Someone the snapshot no longer holds is listed by
// employee number and due date alone.
func (p *planner) entry(ctx context.Context, n store.ReminderNotice) (Entry, error) {
	e := Entry{EmployeeNumber: n.EmployeeNumber, Point: n.Point, Status: compliance.Never}
	if n.DueKey != store.DueNever {
		due, err := time.Parse(time.DateOnly, n.DueKey)
		if err != nil {
			return e, err
		}
		e.DueDate = due
		e.Status = compliance.StatusOn(due, compliance.Day(n.AsOf), p.policy.DueSoonDays)
	}
	r, err := p.position(ctx, n.AsOf)
	if err != nil {
		return e, err
	}
	if r == nil {
		return e, nil
	}
	per, ok := r.byNumber[n.EmployeeNumber]
	if !ok {
		return e, nil
	}
	full := p.entryOf(per, n.Point)
	if full.Status == compliance.NewStarter && full.DueKey() == n.DueKey {
		return full, nil // still a new starter, due by the same day
	}
	full.Status, full.DueDate = e.Status, e.DueDate
	if dueKey(per.DueDate) != n.DueKey {
		full.CompletedOn = time.Time{} // the data moved on since
	}
	return full, nil
}

// isRecipient reports whether an address is still a recipient of the
// audience: a lead in the config, or the line manager or the address of
// someone in the workforce on the run's as-of date.
func (p *planner) isRecipient(a Audience, addr string) bool {
	switch a {
	case Leads:
		for _, l := range p.leads {
			if l.email == addr {
				return true
			}
		}
		return false
	case Managers, Staff:
		if (a == Managers && !p.cfg.Reminders.Managers) || (a == Staff && len(p.staffDays) == 0) || !p.cfg.Reminders.AllowsAddress(addr) {
			return false
		}
		r := p.today
		if r == nil {
			return false
		}
		if a == Managers {
			return r.managers[addr]
		}
		return r.emails[addr]
	}
	return false
}

// statusRank orders the groups of a list: expired, never trained, due
// soon, then anyone else.
func statusRank(s compliance.Status) int {
	for i, st := range compliance.Statuses {
		if st == s {
			return i
		}
	}
	return len(compliance.Statuses)
}

// sortEntries orders a list by status group (expired, never, due soon),
// then due date (longest lapsed, or soonest due, first), then name and
// employee number.
func sortEntries(list []Entry) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := &list[i], &list[j]
		if ra, rb := statusRank(a.Status), statusRank(b.Status); ra != rb {
			return ra < rb
		}
		if !a.DueDate.Equal(b.DueDate) {
			return a.DueDate.Before(b.DueDate)
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.EmployeeNumber < b.EmployeeNumber
	})
}
