package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// Latest is, for each person and each group of courses, the latest
// completion dated on or before an as-of date: what the compliance engine
// needs of a history of millions of completions. People are by employee
// number as compliance.EmployeeKey matches them (leading zeros aside), a
// completion keyed by email counting for the holder of that email (as
// CompletionsAsOf resolves it); completions that name nobody are left out.
// Of two completions on the same latest day, the one imported first is
// kept. It is held compactly: a national workforce has millions of people.
//
// The Latests LatestOn reads for several dates at once share everything
// but their date: a person's slots hold the latest completions on or before
// the earliest date, and the few completed after it, up to the last date,
// are kept beside them, each date taking those on or before it.
type Latest struct {
	first, width int
	people       *compliance.EmployeeIndex // employee key -> first of their slots
	slots        []latestSlot              // a slot per person and group
	courses      []string                  // course names as written, shared between slots
	// The completions after the earliest date, by person: those of the
	// person whose slots start at at are recent[recentAt[at/width]:
	// recentAt[at/width+1]]. Those on or before end count for this date.
	recent   []recentSlot
	recentAt []int32
	end      int32
	order    *numberOrder // shared by the dates read together
}

type latestSlot struct {
	id     int64 // the completion's id: the order it was imported in
	on     int32 // days since 1 January 1900
	course int32 // 1 + index in Latest.courses; 0 for an empty slot
}

// recentSlot is a completion after the earliest date, with its person's
// first slot and its group (from first).
type recentSlot struct {
	latestSlot
	at, group int32
}

// later reports whether a completion on day on with id id is to be kept
// over what the slot holds.
func (sl *latestSlot) later(on int32, id int64) bool {
	return sl.course == 0 || on > sl.on || on == sl.on && id < sl.id
}

// Training appends the latest completion of each group for the person with
// this employee number to buf, in the order they were imported, as
// compliance.Training of level group, and returns it.
func (l *Latest) Training(employeeNumber string, buf []compliance.Training) []compliance.Training {
	if l.people == nil {
		return buf
	}
	at, ok := l.people.Get(compliance.EmployeeKey(employeeNumber))
	if !ok {
		return buf
	}
	return l.trainingAt(at, buf)
}

// trainingAt is Training for the person whose slots start at at.
func (l *Latest) trainingAt(at int32, buf []compliance.Training) []compliance.Training {
	return l.training(l.slots[at:int(at)+l.width], l.recentOf(at), buf)
}

// recentOf is the recent completions of the person whose slots start at
// at.
func (l *Latest) recentOf(at int32) []recentSlot {
	if l.recentAt == nil {
		return nil
	}
	run := int(at) / l.width
	return l.recent[l.recentAt[run]:l.recentAt[run+1]]
}

// training is Training for a person's slots and recent completions.
func (l *Latest) training(slots []latestSlot, recent []recentSlot, buf []compliance.Training) []compliance.Training {
	start := len(buf)
	var best [8]latestSlot
	mine := l.pick(slots, recent, &best)
	for g, sl := range mine {
		if sl.course == 0 {
			continue
		}
		buf = append(buf, compliance.Training{Level: compliance.Level(l.first + g), Course: l.courses[sl.course-1],
			CompletedOn: dayTime(sl.on)})
	}
	// Import order, as the engine would have met them: at most a slot per
	// group, so a few to sort by insertion.
	picked := buf[start:]
	id := func(t compliance.Training) int64 { return mine[int(t.Level)-l.first].id }
	for i := 1; i < len(picked); i++ {
		for j := i; j > 0 && id(picked[j]) < id(picked[j-1]); j-- {
			picked[j], picked[j-1] = picked[j-1], picked[j]
		}
	}
	return buf
}

// pick gives the latest completion of each group on the date for a
// person with these slots and recent completions, in buf when it has room.
func (l *Latest) pick(slots []latestSlot, recent []recentSlot, buf *[8]latestSlot) []latestSlot {
	var mine []latestSlot
	if l.width <= len(buf) {
		mine = buf[:l.width]
	} else {
		mine = make([]latestSlot, l.width)
	}
	copy(mine, slots)
	for _, r := range recent {
		if sl := &mine[r.group]; r.on <= l.end && sl.later(r.on, r.id) {
			*sl = r.latestSlot
		}
	}
	return mine
}

// dayTime is the day days after 1 January 1900, in UTC.
func dayTime(days int32) time.Time { return time.Unix(dayEpoch.Unix()+int64(days)*86400, 0).UTC() }

// LatestCompletions returns Latest's completions: for each person and each
// group of courses, the latest dated on or before asOf. groups maps course
// keys (as CourseKeys gives them) to a group number of 0 or more, such as
// the Prevent level the course counts for; courses in no group are left
// out. EmployeeNumber is the employee key (leading zeros dropped from an
// all-digit number). The result is in import order, so that the engine
// breaks ties as it does over every completion.
func (s *Store) LatestCompletions(ctx context.Context, asOf time.Time, groups map[string]int) ([]compliance.Completion, error) {
	l, err := s.LatestFor(ctx, asOf, groups, 0)
	if err != nil || l.people == nil {
		return nil, err
	}
	type pick struct {
		emp  string
		slot latestSlot
	}
	var picks []pick
	l.people.All(func(emp string, first int32) {
		var best [8]latestSlot
		for _, sl := range l.pick(l.slots[first:int(first)+l.width], l.recentOf(first), &best) {
			if sl.course != 0 {
				picks = append(picks, pick{emp, sl})
			}
		}
	})
	slices.SortFunc(picks, func(a, b pick) int { return cmp.Compare(a.slot.id, b.slot.id) })
	out := make([]compliance.Completion, len(picks))
	for i, p := range picks {
		sl := p.slot
		out[i] = compliance.Completion{EmployeeNumber: p.emp, Course: l.courses[sl.course-1], CompletedOn: dayTime(sl.on)}
	}
	return out, nil
}

// LatestFor works out Latest for about the given number of people (a hint,
// such as the snapshot's head count, which sizes its tables up front
// rather than growing them row by row).
//
// The database selects the completions of the grouped courses in one scan
// and they stream through a reduction here that keeps one completion per
// person and group: memory grows with the people, not the history. (A
// GROUP BY or window in SQL sorts every selected row, which on SQLite costs
// several times the scan.)
func (s *Store) LatestFor(ctx context.Context, asOf time.Time, groups map[string]int, people int) (*Latest, error) {
	ls, err := s.LatestOn(ctx, []time.Time{asOf}, groups, people)
	if err != nil {
		return nil, err
	}
	return ls[0], nil
}

// LatestOn is LatestFor on each of several dates, in the same order, read
// in one pass over the completions: a completion dated on or before a date
// is weighed for it. The email owners are worked out once for all of them.
// Besides a slot per person and group, it holds only the completions dated
// between the earliest date and the last, so that the dates of a return's
// trend cost little more than one.
func (s *Store) LatestOn(ctx context.Context, dates []time.Time, groups map[string]int, people int) ([]*Latest, error) {
	return s.latestOn(ctx, dates, groups, people, true)
}

// LatestDaysOn is LatestOn for a caller that needs of each completion its
// day and group but not its course: the completions' course names are not
// read, and Training gives each Course as "". A figure counts people, and
// a national history's course names are a string a row to decode.
func (s *Store) LatestDaysOn(ctx context.Context, dates []time.Time, groups map[string]int, people int) ([]*Latest, error) {
	return s.latestOn(ctx, dates, groups, people, false)
}

func (s *Store) latestOn(ctx context.Context, dates []time.Time, groups map[string]int, people int, courseNames bool) ([]*Latest, error) {
	ls := make([]*Latest, len(dates))
	for k := range ls {
		ls[k] = &Latest{}
	}
	if len(groups) == 0 || len(dates) == 0 {
		return ls, nil
	}
	keys := make([]string, 0, len(groups))
	first, last := -1, 0
	for k, g := range groups {
		if g < 0 {
			continue
		}
		keys = append(keys, k)
		if first < 0 || g < first {
			first = g
		}
		last = max(last, g)
	}
	if len(keys) == 0 {
		return ls, nil
	}
	sort.Strings(keys)
	var grp strings.Builder
	args := make([]any, 0, 3*len(keys)+1)
	grp.WriteString("CASE c.course_key")
	for _, k := range keys {
		grp.WriteString(" WHEN ? THEN CAST(? AS INTEGER)")
		args = append(args, k, groups[k])
	}
	grp.WriteString(" END")
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")
	for _, k := range keys {
		args = append(args, k)
	}
	// The scan reads up to the last of the dates; the slots take what is
	// on or before the earliest.
	ends := make([]int32, len(dates))
	for k, d := range dates {
		ends[k] = daysSinceEpoch(d)
	}
	earliest := slices.Min(ends)
	args = append(args, dayArg(slices.MaxFunc(dates, time.Time.Compare)))
	// Only the emails of completions of these courses need an owner.
	ownersWhere := "AND course_key IN (" + marks + ") AND completed_on <= ?"
	ownersArgs := args[2*len(keys):]
	// Completions keyed by email are gathered under the email and given
	// to its owner at the end, so that the database can work out the
	// owners on a connection of its own while the completions stream in.
	// (An in-memory SQLite database has a single connection: it works them
	// out afterwards.)
	type ownersResult struct {
		owners map[string][]byte
		err    error
	}
	var ownersDone chan ownersResult
	if s.db.Stats().MaxOpenConnections != 1 {
		ownersDone = make(chan ownersResult, 1)
		ownersCtx, cancel := context.WithCancel(ctx)
		go func() {
			o, err := s.emailOwnersWhere(ownersCtx, ownersWhere, ownersArgs...)
			ownersDone <- ownersResult{o, err}
		}()
		// Not needed after all (no completion keyed by email, or an
		// error): stopped, and waited for, so that no query of ours
		// outlives the call.
		defer func() {
			cancel()
			if ownersDone != nil {
				<-ownersDone
			}
		}()
	}
	owners := func() (map[string][]byte, error) {
		if ownersDone == nil {
			return s.emailOwnersWhere(ctx, ownersWhere, ownersArgs...)
		}
		r := <-ownersDone
		ownersDone = nil
		return r.owners, r.err
	}
	// SQLite would walk the course index and fetch each row from the
	// table; when most completions held are Prevent ones (imports store
	// only those), reading the table straight through is faster.
	notIndexed := ""
	if s.dialect == SQLite {
		notIndexed = "NOT INDEXED"
	}
	// PostgreSQL sends the day as a number of days: lib/pq would decode a
	// date into a time.Time, which database/sql then formats as text.
	onExpr := "c.completed_on"
	if s.dialect == Postgres {
		onExpr = "c.completed_on - DATE '1900-01-01'"
	}
	courseExpr := "c.course"
	if !courseNames {
		courseExpr = "''"
	}
	q := `SELECT c.employee_number, c.email_key, ` + grp.String() + `, c.id, ` + courseExpr + `, ` + onExpr + `
		FROM completions c ` + notIndexed + `
		WHERE c.course_key IN (` + marks + `) AND c.completed_on <= ?`
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, s.wrap("read latest completions", err)
	}
	defer rows.Close()
	// l is every date's while it is filled.
	l := &Latest{first: first, width: last - first + 1}
	people = max(people, 0)
	l.people = compliance.NewEmployeeIndex(people)
	// Room for a few more than the hint (leavers' completions, emails):
	// growing copies every slot held, and room never reached costs no
	// memory until it is written.
	l.slots = make([]latestSlot, 0, (people+people/16+64)*l.width)
	var recent []recentSlot
	byEmail := make(map[string]int32) // email -> first slot, for completions keyed by email
	courses := make(map[string]int32) // course as written -> 1 + index in l.courses
	var (
		emp, email, course, on sql.RawBytes
		group                  int
		id                     int64
	)
	for rows.Next() {
		if err := rows.Scan(&emp, &email, &group, &id, &course, &on); err != nil {
			return nil, s.wrap("read latest completions", err)
		}
		if group < first || group > last {
			continue
		}
		days, err := dayNumber(on)
		if err != nil {
			return nil, s.wrap("read latest completions", err)
		}
		var at int32
		var ok bool
		switch key := employeeKey(emp); {
		case len(key) > 0:
			if at, ok = l.people.GetBytes(key); !ok {
				at = l.grow()
				l.people.PutBytes(key, at)
			}
		case len(email) > 0:
			if at, ok = byEmail[string(email)]; !ok {
				at = l.grow()
				byEmail[string(email)] = at
			}
		default:
			continue
		}
		sl := &l.slots[int(at)+group-first]
		if days <= earliest && !sl.later(days, id) {
			continue
		}
		c, ok := courses[string(course)]
		if !ok {
			l.courses = append(l.courses, string(course))
			c = int32(len(l.courses))
			courses[string(course)] = c
		}
		if days <= earliest {
			sl.id, sl.on, sl.course = id, days, c
		} else {
			recent = append(recent, recentSlot{latestSlot{id, days, c}, at, int32(group - first)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("read latest completions", err)
	}
	rows.Close()
	if len(byEmail) > 0 {
		own, err := owners()
		if err != nil {
			return nil, err
		}
		moved := make(map[int32]int32) // an email's first slot -> its owner's
		for email, from := range byEmail {
			key := employeeKey(own[email])
			if len(key) == 0 {
				continue // nobody holds the email
			}
			to, ok := l.people.GetBytes(key)
			if !ok {
				l.people.PutBytes(key, from) // the email's slots become the owner's
				continue
			}
			for g := range l.width {
				src, cur := l.slots[int(from)+g], &l.slots[int(to)+g]
				if src.course != 0 && cur.later(src.on, src.id) {
					*cur = src
				}
			}
			moved[from] = to
		}
		for i := range recent {
			if to, ok := moved[recent[i].at]; ok {
				recent[i].at = to
			}
		}
	}
	l.byPerson(recent)
	l.order = &numberOrder{}
	for k := range ls {
		v := *l
		v.end = ends[k]
		ls[k] = &v
	}
	return ls, nil
}

// byPerson holds the recent completions grouped by person.
func (l *Latest) byPerson(recent []recentSlot) {
	if len(recent) == 0 {
		return
	}
	at := make([]int32, len(l.slots)/l.width+1)
	for _, r := range recent {
		at[int(r.at)/l.width+1]++
	}
	for i := 1; i < len(at); i++ {
		at[i] += at[i-1]
	}
	l.recent = make([]recentSlot, len(recent))
	next := slices.Clone(at[:len(at)-1])
	for _, r := range recent {
		run := int(r.at) / l.width
		l.recent[next[run]] = r
		next[run]++
	}
	l.recentAt = at
}

// grow adds an empty slot per group for one more person and returns the
// first.
func (l *Latest) grow() int32 {
	at := int32(len(l.slots))
	l.slots = append(l.slots, make([]latestSlot, l.width)...)
	return at
}

// employeeKey is compliance.EmployeeKey of an employee number in a buffer:
// an all-digit number without its leading zeros (but "0" for zeros only).
func employeeKey(b []byte) []byte {
	for _, c := range b {
		if c < '0' || c > '9' {
			return b
		}
	}
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	return b
}
