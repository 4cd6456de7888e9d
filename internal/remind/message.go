package remind

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/report"
)

// xlsxType is the MIME type of the attached workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// longDate is how dates read in messages: "2 November 2026".
const longDate = "2 January 2006"

// StatusTitle is a status as a reminder's heading names it.
func StatusTitle(s compliance.Status) string {
	switch s {
	case compliance.Expired:
		return "Expired"
	case compliance.Never:
		return "Never trained"
	case compliance.DueSoon:
		return "Due soon"
	case compliance.NewStarter:
		return "New starters"
	}
	return "Due later"
}

// email builds the message for m: a list for a lead or manager, with the
// same list attached as a workbook, or a personal reminder for staff.
func (p *planner) email(m *Message, from string) (*mail.Message, error) {
	if len(m.Entries) == 0 {
		return nil, fmt.Errorf("reminder %s to %s lists nobody", m.DeliveryKey, m.Recipient)
	}
	if m.Audience == Staff {
		e := &m.Entries[0]
		return &mail.Message{From: from, To: []string{m.Recipient}, Subject: staffSubject(e),
			Text: p.staffText(e), HTML: p.staffHTML(e)}, nil
	}
	var xlsx bytes.Buffer
	if err := WriteXLSX(&xlsx, m.AsOf, m.Entries); err != nil {
		return nil, fmt.Errorf("reminder workbook: %w", err)
	}
	return &mail.Message{From: from, To: []string{m.Recipient}, Subject: listSubject(m),
		Text: p.listText(m), HTML: p.listHTML(m),
		Attachments: []mail.Attachment{{Name: XLSXName(m.AsOf), ContentType: xlsxType, Data: xlsx.Bytes()}}}, nil
}

// XLSXName is the attached workbook's file name.
func XLSXName(asOf time.Time) string {
	return "Prevent reminders " + asOf.Format(time.DateOnly) + ".xlsx"
}

// XLSXColumns are the columns of the attached workbook.
var XLSXColumns = []string{"Status", "Employee number", "Name", "Organisation", "Job role", "Requirement",
	"Last completed", "Due date", "Course to book", "Link"}

// WriteXLSX writes a reminder's list as a workbook, every cell text so
// that nothing in it can run as a formula.
func WriteXLSX(w io.Writer, asOf time.Time, entries []Entry) error {
	rows := make([][]string, len(entries))
	for i := range entries {
		e := &entries[i]
		rows[i] = []string{StatusTitle(e.Status), e.EmployeeNumber, e.Name, e.Organisation, e.JobRole,
			requirementTitle(e.Requirement), isoDate(e.CompletedOn), isoDate(e.DueDate), e.Course.Title(), e.Course.Link}
	}
	return report.WriteXLSX(w, "Reminders "+asOf.Format(time.DateOnly), XLSXColumns, rows)
}

func isoDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func requirementTitle(l compliance.Level) string {
	if l == compliance.LevelNone {
		return ""
	}
	return l.Title()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// groups splits a sorted list by status, in list order.
func groups(entries []Entry) [][]Entry {
	var out [][]Entry
	for i := 0; i < len(entries); {
		j := i
		for j < len(entries) && entries[j].Status == entries[i].Status {
			j++
		}
		out = append(out, entries[i:j])
		i = j
	}
	return out
}

// breakdown is "2 expired, 1 never trained, 3 due soon"; with dueSoonDays
// above 0, "3 due within 90 days".
func breakdown(entries []Entry, dueSoonDays int) string {
	var parts []string
	for _, g := range groups(entries) {
		part := strings.ToLower(StatusTitle(g[0].Status))
		if g[0].Status == compliance.DueSoon && dueSoonDays > 0 {
			part = fmt.Sprintf("due within %d days", dueSoonDays)
		}
		if g[0].Status == compliance.NewStarter && len(g) == 1 {
			part = "new starter"
		}
		parts = append(parts, fmt.Sprintf("%d %s", len(g), part))
	}
	return strings.Join(parts, ", ")
}

func listSubject(m *Message) string {
	who := "Prevent training"
	if m.Audience == Managers {
		who = "Prevent training for your team"
	}
	return fmt.Sprintf("%s: %s to book (%s)", who, plural(len(m.Entries), "person", "people"), breakdown(m.Entries, 0))
}

// coverage says whom a lead's list covers.
func (p *planner) coverage(recipient string) string {
	for _, l := range p.leads {
		if l.email != recipient {
			continue
		}
		var pats []string
		for _, pat := range l.patterns {
			if strings.TrimSpace(pat) == "*" {
				return "everyone in the organisation"
			}
			pats = append(pats, fmt.Sprintf("%q", pat))
		}
		return "staff in organisations matching " + strings.Join(pats, " or ")
	}
	return "the organisations you cover"
}

func (p *planner) provider() string {
	name := p.cfg.Organisation
	if name == "" {
		return "prevent"
	}
	if p.cfg.ODSCode != "" {
		name += " (" + p.cfg.ODSCode + ")"
	}
	return "prevent for " + name
}

// intro is the opening paragraph of a list.
func (p *planner) intro(m *Message) string {
	who, lead := "who report to you", ""
	if m.Audience == Leads {
		who = "in your area"
		lead = "You are the Prevent lead for " + p.coverage(m.Recipient) + ". "
	}
	verb := "need"
	if len(m.Entries) == 1 {
		verb = "needs"
		if m.Audience == Managers {
			who = "who reports to you"
		}
	}
	return fmt.Sprintf("%sAs of %s, %s %s %s to book Prevent training (%s). "+
		"Please make sure they book the course shown.",
		lead, m.AsOf.Format(longDate), plural(len(m.Entries), "person", "people"), who, verb,
		breakdown(m.Entries, p.policy.DueSoonDays))
}

const onceNote = "You are told about each person once for each due date: someone is listed again only " +
	"after their training has been renewed and falls due again."

// trainingLine says where someone stands: "Last completed ...; due ...".
func trainingLine(e *Entry) string {
	switch {
	case e.DueDate.IsZero():
		return "No Prevent training on record"
	case e.CompletedOn.IsZero():
		return "Due " + e.DueDate.Format(longDate)
	}
	return fmt.Sprintf("Last completed %s; due %s", e.CompletedOn.Format(longDate), e.DueDate.Format(longDate))
}

func bookLine(c Course) string {
	t := c.Title()
	if t == "" {
		return ""
	}
	if c.Link != "" {
		return t + " - " + c.Link
	}
	return t
}

func (p *planner) listText(m *Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", p.intro(m), onceNote)
	for _, g := range groups(m.Entries) {
		fmt.Fprintf(&b, "\n%s (%d)\n", strings.ToUpper(StatusTitle(g[0].Status)), len(g))
		for i := range g {
			e := &g[i]
			// ESR's text goes in as one Line: a CR/LF in a name cannot
			// add a line of its own, nor an escape drive a terminal.
			name := figures.Line(e.Name)
			if name == "" {
				name = "Employee"
			}
			fmt.Fprintf(&b, "\n  %s (employee number %s)\n", name, figures.Printable(e.EmployeeNumber))
			if !e.InSnapshot {
				fmt.Fprintf(&b, "    No longer in the staff extract for %s\n", m.AsOf.Format(longDate))
			}
			if where := joinNonEmpty(", ", e.Organisation, e.JobRole); where != "" {
				fmt.Fprintf(&b, "    %s\n", figures.Line(where))
			}
			if r := requirementTitle(e.Requirement); r != "" {
				fmt.Fprintf(&b, "    Requirement: %s\n", r)
			}
			fmt.Fprintf(&b, "    %s\n", trainingLine(e))
			if book := bookLine(e.Course); book != "" {
				fmt.Fprintf(&b, "    Book: %s\n", book)
			}
		}
	}
	fmt.Fprintf(&b, "\nThe attached workbook (%s) lists the same people.\n\nSent by %s.\n", XLSXName(m.AsOf), p.provider())
	return b.String()
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

const htmlStart = `<!doctype html><html><body style="font-family:Arial,sans-serif;color:#212b32">`

func (p *planner) listHTML(m *Message) string {
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString(htmlStart)
	fmt.Fprintf(&b, `<h2 style="color:#005eb8">Prevent training reminder, %s</h2>`, esc(m.AsOf.Format(longDate)))
	fmt.Fprintf(&b, `<p>%s</p><p>%s</p>`, esc(p.intro(m)), esc(onceNote))
	for _, g := range groups(m.Entries) {
		fmt.Fprintf(&b, `<h3>%s (%d)</h3>`, esc(StatusTitle(g[0].Status)), len(g))
		b.WriteString(`<table style="border-collapse:collapse" cellpadding="5"><tr style="background:#005eb8;color:#fff">`)
		for _, h := range []string{"Name", "Employee number", "Organisation", "Job role", "Requirement", "Last completed", "Due date", "Course to book"} {
			fmt.Fprintf(&b, `<th align="left">%s</th>`, h)
		}
		b.WriteString(`</tr>`)
		for i := range g {
			e := &g[i]
			course := esc(e.Course.Title())
			if e.Course.Link != "" {
				course = fmt.Sprintf(`<a href="%s">%s</a>`, esc(e.Course.Link), course)
			}
			fmt.Fprintf(&b, `<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>`,
				esc(e.Name), esc(e.EmployeeNumber), esc(e.Organisation), esc(e.JobRole), esc(requirementTitle(e.Requirement)),
				esc(dateOr(e.CompletedOn, "-")), esc(dateOr(e.DueDate, "never trained")), course)
		}
		b.WriteString(`</table>`)
	}
	fmt.Fprintf(&b, `<p>The attached workbook (%s) lists the same people.</p><p style="color:#4c6272">Sent by %s.</p></body></html>`,
		esc(XLSXName(m.AsOf)), esc(p.provider()))
	return b.String()
}

func dateOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.Format(longDate)
}

// staffSubject names what the reminder is about.
func staffSubject(e *Entry) string {
	switch {
	case e.Status == compliance.NewStarter:
		return "Please complete your Prevent training by " + e.DueDate.Format(longDate)
	case e.DueDate.IsZero():
		return "Please complete your Prevent training"
	case e.Point == PointExpired:
		return "Your Prevent training expired on " + e.DueDate.Format(longDate)
	}
	return "Your Prevent training is due for renewal on " + e.DueDate.Format(longDate)
}

// staffBody is the reminder's paragraphs, as plain text.
func (p *planner) staffBody(e *Entry) (greeting, situation, book, link string) {
	greeting = "Dear colleague,"
	if e.Name != "" {
		greeting = "Dear " + e.Name + ","
	}
	level := "Prevent training"
	if r := requirementTitle(e.Requirement); r != "" {
		level = "Prevent training (" + r + ")"
	}
	switch {
	case e.Status == compliance.NewStarter:
		situation = fmt.Sprintf("Welcome to the trust. As a new member of staff, please complete your %s by %s.", level, e.DueDate.Format(longDate))
	case e.DueDate.IsZero():
		situation = fmt.Sprintf("Our training record shows no %s for you, at the level your role requires. Please complete it as soon as you can.", level)
	case e.Point == PointExpired:
		situation = fmt.Sprintf("Your %s was due for renewal on %s and is now out of date. Please renew it as soon as you can.", level, e.DueDate.Format(longDate))
	default:
		situation = fmt.Sprintf("Your %s is due for renewal on %s. Please renew it by then.", level, e.DueDate.Format(longDate))
	}
	if !e.CompletedOn.IsZero() {
		situation += fmt.Sprintf(" You last completed it on %s, and it lasts %s.",
			e.CompletedOn.Format(longDate), plural(p.cfg.RefresherYears, "year", "years"))
	}
	return greeting, situation, e.Course.Title(), e.Course.Link
}

const staffClosing = "If you have done it recently, thank you: it can take a few days to reach your training record, " +
	"and you need do nothing more. Every member of NHS staff needs in-date Prevent training (the Prevent duty of the " +
	"Counter-Terrorism and Security Act 2015)."

func (p *planner) staffText(e *Entry) string {
	greeting, situation, book, link := p.staffBody(e)
	greeting = figures.Line(greeting) // the name from ESR
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", greeting, situation)
	if book != "" {
		fmt.Fprintf(&b, "\nCourse to book: %s\n", book)
		if link != "" {
			fmt.Fprintf(&b, "  %s\n", link)
		}
	}
	fmt.Fprintf(&b, "\n%s\n\nSent by %s.\n", staffClosing, p.provider())
	return b.String()
}

func (p *planner) staffHTML(e *Entry) string {
	esc := html.EscapeString
	greeting, situation, book, link := p.staffBody(e)
	greeting = figures.Line(greeting) // the name from ESR
	var b strings.Builder
	b.WriteString(htmlStart)
	fmt.Fprintf(&b, `<p>%s</p><p>%s</p>`, esc(greeting), esc(situation))
	if book != "" {
		course := esc(book)
		if link != "" {
			course = fmt.Sprintf(`<a href="%s">%s</a>`, esc(link), course)
		}
		fmt.Fprintf(&b, `<p>Course to book: <b>%s</b></p>`, course)
	}
	fmt.Fprintf(&b, `<p>%s</p><p style="color:#4c6272">Sent by %s.</p></body></html>`, esc(staffClosing), esc(p.provider()))
	return b.String()
}
