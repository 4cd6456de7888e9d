// Package remind owns refresher reminders: who is told about whom, and
// when. Prevent leads get one list of the people their organisations cover
// who are expired, never trained or due soon; line managers optionally get
// the same for their own reports; staff optionally get their own reminder at
// points before their due date and after it.
//
// Each (recipient, person, due date, point) is told once, ever: the store
// holds a notice for it (store.ReminderNotice), recorded under a UNIQUE
// constraint in the same transaction that queues the message carrying it.
// The rows a run manages to insert are the people of its messages, so two
// runs at once cannot both mail a person, and a renewed completion (a new
// due date) is mailed again when it lapses. A message is built from its
// notices when it is sent, through package delivery, and a message that
// failed is rebuilt and retried by the next run.
package remind

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Audience is who a reminder message is for.
type Audience string

// Audiences, in the order a report lists them.
const (
	Leads    Audience = "lead"    // a Prevent lead: everyone their organisations cover
	Managers Audience = "manager" // a line manager: their own reports
	Staff    Audience = "staff"   // a member of staff: themself
)

// Points of a notice: what the recipient was told about. Staff points
// before the due date are "before-N" (N days).
const (
	PointLead    = "lead"
	PointManager = "manager"
	PointExpired = "expired" // staff: after the due date
	PointNever   = "never"   // staff: no qualifying completion
)

// BeforePoint is the staff point N days before the due date.
func BeforePoint(days int) string { return fmt.Sprintf("before-%d", days) }

// audienceOf is the audience of a notice's point.
func audienceOf(point string) Audience {
	switch point {
	case PointLead:
		return Leads
	case PointManager:
		return Managers
	}
	return Staff
}

// Entry is one person on a reminder.
type Entry struct {
	EmployeeNumber string
	Name           string
	Organisation   string
	JobRole        string
	Requirement    compliance.Level // LevelNone when not in the staff snapshot
	Status         compliance.Status
	CompletedOn    time.Time // zero when never trained, or not known
	DueDate        time.Time // zero when never trained
	Point          string
	Course         Course // the course to book
	// InSnapshot is false for someone no longer in the staff snapshot of
	// the message's as-of date (a message retried after a corrected
	// extract): only their employee number and due date are known.
	InSnapshot bool
}

// DueKey is the due date as the notices key it, or "never".
func (e *Entry) DueKey() string { return dueKey(e.DueDate) }

func dueKey(due time.Time) string {
	if due.IsZero() {
		return store.DueNever
	}
	return due.Format(time.DateOnly)
}

// Message is one reminder email to one recipient: planned (a dry run) or
// sent.
type Message struct {
	Audience  Audience
	Recipient string    // lower case
	AsOf      time.Time // the date the list describes
	// Point is the staff point the message is for; PointLead or
	// PointManager otherwise.
	Point string
	// DeliveryKey is the reminder delivery's key; "" for a message a dry
	// run would record.
	DeliveryKey string
	// Retry is set for a message recorded by an earlier run and not yet
	// delivered.
	Retry   bool
	Entries []Entry
	// Outcome is what became of the send; nil in a dry run.
	Outcome *delivery.Outcome
}

// Failed reports whether the message was to be sent and was not.
func (m *Message) Failed() bool { return m.Outcome != nil && m.Outcome.Status == delivery.StatusFailed }

// Report is what a run did, or in a dry run would do.
type Report struct {
	AsOf time.Time
	Send bool // false: a dry run, nothing recorded or sent
	// Configured is false when the config asks for no reminders at all
	// (no leads, managers off, no staff_days): nothing was looked at.
	Configured bool
	Leads      int // distinct lead addresses configured
	Messages   []Message
	// WithoutEmail counts people owed a staff reminder whom the staff
	// extract gives no email address.
	WithoutEmail int
	// Refused counts the manager and staff addresses from the staff
	// extract not used: not a bare address, or outside
	// reminders.allowed_domains.
	Refused int
	// Stale counts messages of earlier runs not yet delivered whose
	// recipient is no longer one (a lead taken out of the config, an
	// address changed in ESR): they are not retried.
	Stale int
}

// Failed lists the messages whose send failed.
func (r *Report) Failed() []Message {
	var out []Message
	for _, m := range r.Messages {
		if m.Failed() {
			out = append(out, m)
		}
	}
	return out
}

// Run works out the reminders owed on asOf and, when send is true, records
// and sends them, first retrying any message of an earlier run not yet
// delivered. Without send it is a dry run: it reads the database, writes
// nothing to it and sends nothing, and the report lists the messages a send
// would deliver. The error is nil when only sends failed: those are in the
// report (Report.Failed) and are retried by the next run.
func Run(ctx context.Context, s *store.Store, cfg *config.Config, sender mail.Sender, asOf time.Time, send bool, opt delivery.Options) (*Report, error) {
	asOf = compliance.Day(asOf)
	rep := &Report{AsOf: asOf, Send: send}
	p := newPlanner(cfg, s)
	rep.Leads = len(p.leads)
	if !p.configured() {
		return rep, nil
	}
	rep.Configured = true
	if send && sender == nil {
		return rep, errors.New("send reminders: no mail sender given")
	}
	pos, err := p.position(ctx, asOf)
	if err != nil {
		return rep, err
	}
	if pos == nil {
		return rep, &report.NoSnapshotError{AsOf: asOf}
	}
	p.today = pos
	drafts, withoutEmail, refused := p.drafts(pos)
	rep.WithoutEmail, rep.Refused = withoutEmail, refused
	if !send {
		return rep, p.dryRun(ctx, rep, drafts)
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	notices, err := noticesOf(drafts, asOf)
	if err != nil {
		return rep, err
	}
	recorded, err := s.RecordReminderNotices(ctx, notices, now())
	if err != nil {
		return rep, err
	}
	fresh := map[string]bool{}
	for _, n := range recorded {
		fresh[n.DeliveryKey] = true
	}
	pending, err := s.PendingReminders(ctx)
	if err != nil {
		return rep, err
	}
	msgs, err := p.pendingMessages(ctx, rep, pending, fresh)
	if err != nil {
		return rep, err
	}
	from := cfg.MailFrom()
	for i := range msgs {
		m := &msgs[i]
		build := func(to string) (*mail.Message, error) { return p.email(m, from) }
		out, err := delivery.Send(ctx, s, sender, store.ReminderKind, m.DeliveryKey, []string{m.Recipient}, build, opt)
		if len(out) == 1 {
			m.Outcome = &out[0]
		}
		if err != nil {
			rep.Messages = append(rep.Messages, msgs[:i]...)
			return rep, err
		}
	}
	rep.Messages = msgs
	return rep, nil
}

// dryRun fills the report with the messages a send would deliver: the
// earlier runs' undelivered ones, then the new ones less every notice
// already held.
func (p *planner) dryRun(ctx context.Context, rep *Report, drafts []draft) error {
	pending, err := p.store.PendingReminders(ctx)
	if err != nil {
		return err
	}
	msgs, err := p.pendingMessages(ctx, rep, pending, nil)
	if err != nil {
		return err
	}
	recipients := make([]string, len(drafts))
	for i, d := range drafts {
		recipients[i] = d.recipient
	}
	held, err := p.store.ReminderNotices(ctx, recipients)
	if err != nil {
		return err
	}
	isHeld := make(map[store.NoticeKey]bool, len(held))
	for _, n := range held {
		isHeld[n.Key()] = true
	}
	for _, d := range drafts {
		m := Message{Audience: d.audience, Recipient: d.recipient, AsOf: rep.AsOf, Point: d.point}
		for _, e := range d.entries {
			if !isHeld[store.NoticeKey{Recipient: d.recipient, EmployeeNumber: e.EmployeeNumber, DueKey: e.DueKey(), Point: e.Point}] {
				m.Entries = append(m.Entries, e)
			}
		}
		if len(m.Entries) > 0 {
			msgs = append(msgs, m)
		}
	}
	rep.Messages = orderMessages(msgs)
	return nil
}

// noticesOf turns drafts into the notices to record, each message's under
// a fresh delivery key.
func noticesOf(drafts []draft, asOf time.Time) ([]store.ReminderNotice, error) {
	var out []store.ReminderNotice
	for _, d := range drafts {
		key, err := newDeliveryKey(d.audience, asOf)
		if err != nil {
			return nil, err
		}
		for _, e := range d.entries {
			out = append(out, store.ReminderNotice{Recipient: d.recipient, EmployeeNumber: e.EmployeeNumber,
				DueKey: e.DueKey(), Point: e.Point, DeliveryKey: key, AsOf: asOf})
		}
		for _, passed := range d.passed {
			out = append(out, store.ReminderNotice{Recipient: d.recipient, EmployeeNumber: d.entries[0].EmployeeNumber,
				DueKey: d.entries[0].DueKey(), Point: passed, AsOf: asOf})
		}
	}
	return out, nil
}

// newDeliveryKey is a key no other message has: the audience, the as-of
// date and 64 random bits ("lead/2026-10-01/9f86d081884c7d65").
func newDeliveryKey(a Audience, asOf time.Time) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make a reminder key: %w", err)
	}
	return fmt.Sprintf("%s/%s/%s", a, asOf.Format(time.DateOnly), hex.EncodeToString(b[:])), nil
}

// pendingMessages turns undelivered reminders into messages rebuilt from
// their notices, leaving out (and counting as stale) those whose recipient
// is no longer one. fresh holds the keys this run recorded; the others are
// retries.
func (p *planner) pendingMessages(ctx context.Context, rep *Report, pending []store.PendingReminder, fresh map[string]bool) ([]Message, error) {
	var out []Message
	for _, pr := range pending {
		if len(pr.Notices) == 0 {
			continue // not a message of this package's making
		}
		first := pr.Notices[0]
		aud := audienceOf(first.Point)
		if !p.isRecipient(aud, pr.Delivery.Recipient) {
			rep.Stale++
			continue
		}
		m := Message{Audience: aud, Recipient: pr.Delivery.Recipient, AsOf: first.AsOf, Point: first.Point,
			DeliveryKey: pr.Delivery.Key, Retry: !fresh[pr.Delivery.Key]}
		for _, n := range pr.Notices {
			e, err := p.entry(ctx, n)
			if err != nil {
				return nil, err
			}
			m.Entries = append(m.Entries, e)
		}
		sortEntries(m.Entries)
		out = append(out, m)
	}
	return orderMessages(out), nil
}

// orderMessages lists leads' messages, then managers', then staff's,
// keeping the order within each.
func orderMessages(msgs []Message) []Message {
	rank := map[Audience]int{Leads: 0, Managers: 1, Staff: 2}
	sort.SliceStable(msgs, func(i, j int) bool { return rank[msgs[i].Audience] < rank[msgs[j].Audience] })
	return msgs
}

// Audit puts a sending run on the audit trail: who ran it, as of when,
// and how many messages were sent and failed, by audience (counts only:
// no recipient or person). A dry run, or a run with nothing to send, is
// not recorded.
func Audit(ctx context.Context, s *store.Store, rep *Report, who string, now time.Time) error {
	if rep == nil || !rep.Send || len(rep.Messages) == 0 {
		return nil
	}
	sent, failed := 0, 0
	by := map[Audience]int{}
	for _, m := range rep.Messages {
		if m.Outcome == nil {
			continue
		}
		switch m.Outcome.Status {
		case delivery.StatusSent:
			sent++
			by[m.Audience]++
		case delivery.StatusFailed:
			failed++
		}
	}
	if sent == 0 && failed == 0 {
		return nil
	}
	detail := fmt.Sprintf("as of %s: %d sent, %d failed", rep.AsOf.Format(time.DateOnly), sent, failed)
	var parts []string
	for _, a := range []Audience{Leads, Managers, Staff} {
		if by[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d to %ss", by[a], a))
		}
	}
	if len(parts) > 0 {
		detail += " (" + strings.Join(parts, ", ") + ")"
	}
	return s.Audit(context.WithoutCancel(ctx), now, who, store.AuditRemindersSent, detail)
}
