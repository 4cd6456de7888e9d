package submission

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/store"
)

// LeadChangeKind is the delivery kind of a lead-change notice; its key is
// the change's day and record number ("2026-11-02-3").
const LeadChangeKind = "lead-change"

// AuditLeadNotice is the audit action of a lead-change notice sent.
const AuditLeadNotice = "lead-notice"

// LeadNotice is one change of Prevent lead and what became of its notice.
type LeadNotice struct {
	Change   activity.LeadChange
	Key      string
	Outcomes []delivery.Outcome
}

// LeadCheck is what CheckLead found and did.
type LeadCheck struct {
	Configured bool              // prevent_lead is in the config
	Recorded   *store.LeadRecord // the lead recorded by this check, if it was new
	First      bool              // Recorded is the first lead ever seen: no notice
	Notices    []LeadNotice      // changes whose notice was owed to someone
}

// CheckLead compares the configured Prevent lead with the one last
// recorded (name, email and phone, trimmed, any case). The first lead ever
// seen is recorded without a notice; a different one is recorded as a
// change, and every change is notified to return.recipients once, through
// the same exactly-once delivery as the return: a notice that fails (the
// mail server is down) is retried by the next check. With send false it
// only reports, recording nothing.
func CheckLead(ctx context.Context, d Deps, send bool) (LeadCheck, error) {
	var c LeadCheck
	lead := d.Config.Lead()
	c.Configured = !lead.IsZero()
	if c.Configured && send {
		rec, added, err := d.Store.RecordLead(ctx, lead, compliance.Day(d.now()), d.now())
		if err != nil {
			return c, err
		}
		if added {
			c.Recorded, c.First = &rec, !rec.IsChange
		}
	}
	if !send {
		return c, nil
	}
	changes, err := Changes(ctx, d.Store)
	if err != nil {
		return c, err
	}
	recipients := d.Config.Return.Recipients
	for _, ch := range changes {
		if len(recipients) == 0 {
			break
		}
		owed, err := delivery.Unsent(ctx, d.Store, LeadChangeKind, ch.Key, recipients)
		if err != nil || owed == 0 {
			if err != nil {
				return c, err
			}
			continue
		}
		msg := leadMessage(d.Config.Organisation, d.Config.ODSCode, d.Config.MailFrom(), ch.Change)
		opt := d.Delivery
		key := ch.Key
		opt.Audit = func(o delivery.Outcome) store.AuditEntry {
			return store.AuditEntry{At: d.now(), Who: d.Operator, Action: AuditLeadNotice, Detail: key + " to " + o.Recipient}
		}
		ch.Outcomes, err = delivery.Send(ctx, d.Store, d.Sender, LeadChangeKind, key, recipients,
			func(string) (*mail.Message, error) { return msg, nil }, opt)
		c.Notices = append(c.Notices, ch)
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// Changes lists every change of Prevent lead recorded, oldest first.
func Changes(ctx context.Context, s *store.Store) ([]LeadNotice, error) {
	hist, err := s.LeadHistory(ctx)
	if err != nil {
		return nil, err
	}
	var out []LeadNotice
	for i, r := range hist {
		if !r.IsChange || i == 0 {
			continue
		}
		out = append(out, LeadNotice{
			Change: activity.LeadChange{From: hist[i-1].Lead, To: r.Lead, Seen: r.SeenOn},
			Key:    ChangeKey(r),
		})
	}
	return out, nil
}

// ChangeKey is the delivery key of a change's notice: its day and record
// number, "2026-11-02-3".
func ChangeKey(r store.LeadRecord) string {
	return fmt.Sprintf("%s-%d", r.SeenOn.Format(time.DateOnly), r.ID)
}

// leadMessage is the notice of a change of Prevent lead.
func leadMessage(org, ods, from string, ch activity.LeadChange) *mail.Message {
	who := strings.TrimSpace(org)
	if ods != "" {
		who = strings.TrimSpace(who + " (" + ods + ")")
	}
	if who == "" {
		who = "the provider"
	}
	seen := ch.Seen.Format("2 January 2006")
	var b strings.Builder
	fmt.Fprintf(&b, "Change of Prevent lead: %s.\n\n", who)
	fmt.Fprintf(&b, "  Previous Prevent lead: %s\n", ch.From)
	fmt.Fprintf(&b, "  New Prevent lead:      %s\n", ch.To)
	fmt.Fprintf(&b, "  Change seen on:        %s\n\n", seen)
	b.WriteString("This notice is sent under the NHS Standard Contract (SC32.8), which asks the provider to tell the\n" +
		"coordinating commissioner of any change of Prevent lead within 10 operational days.\n")
	esc := html.EscapeString
	h := fmt.Sprintf(`<!doctype html><html><body style="font-family:Arial,sans-serif;color:#212b32">`+
		`<h2 style="color:#005eb8">Change of Prevent lead</h2><p>%s</p><table cellpadding="4">`+
		`<tr><td>Previous Prevent lead</td><td>%s</td></tr><tr><td>New Prevent lead</td><td><b>%s</b></td></tr>`+
		`<tr><td>Change seen on</td><td>%s</td></tr></table>`+
		`<p>This notice is sent under the NHS Standard Contract (SC32.8), which asks the provider to tell the coordinating commissioner of any change of Prevent lead within 10 operational days.</p></body></html>`,
		esc(who), esc(ch.From.String()), esc(ch.To.String()), esc(seen))
	return &mail.Message{From: from, Subject: "Change of Prevent lead: " + who, Text: b.String(), HTML: h}
}
