package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/remind"
)

const remindUsage = `Usage: prevent remind [--as-of D] [--send]

Refresher reminders, worked out from the staff snapshot in force on the as-of
date (default today):

  - each Prevent lead in reminders.leads gets one email listing the people
    their organisations cover who are expired, never trained or due soon,
    grouped by status, with role, requirement, due date and the course to
    book, and the same list attached as a workbook;
  - with reminders.managers: true, each line manager (manager email column of
    the staff extract) gets the same list for their own reports;
  - with reminders.staff_days (e.g. [90, 30, 7]), staff are reminded
    themselves at those days before their due date, after it expires, and
    when they have never trained: once each, the furthest point reached only.

Each person is told about once per recipient and due date: the same lapse is
never mailed again, and a renewed completion that lapses later is.

Without --send nothing is sent or recorded: it prints who would be told about
whom. --send sends (through smtp:, else as .eml files in outbox_dir), and
first retries any reminder an earlier run could not send.

Examples:
  prevent remind
  prevent remind --send
  prevent remind --as-of 2026-11-01 --send
`

func (m *Main) runRemind(ctx context.Context, args []string) error {
	fs := m.newFlags("remind", remindUsage)
	asOfFlag := fs.String("as-of", "", "the `date` the reminders describe, YYYY-MM-DD (default today)")
	send := fs.Bool("send", false, "send the reminders (without it, only print them)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("remind takes no file arguments (got %q)", pos[0])
	}
	asOf, err := m.asOf(*asOfFlag)
	if err != nil {
		return err
	}
	if err := m.openReport(ctx); err != nil {
		return err
	}
	var sender mail.Sender
	where := ""
	if *send {
		if sender, where, err = m.sender(); err != nil {
			return err
		}
	}
	rep, err := remind.Run(ctx, m.Store, m.Config, sender, asOf, *send, delivery.Options{Now: m.Now})
	if rep != nil {
		m.printReminders(rep, where)
	}
	if aerr := remind.Audit(ctx, m.Store, rep, ingest.Operator(), m.Now()); aerr != nil && err == nil {
		err = aerr
	}
	if err != nil {
		return err
	}
	if !rep.Configured {
		msg := fmt.Sprintf("no reminders configured: add reminders.leads (and optionally reminders.managers or reminders.staff_days) to %s", configName(m.Config.Path))
		if *send {
			return fmt.Errorf("%s; nothing was sent", msg)
		}
		fmt.Fprintln(m.Stdout, msg)
		return nil
	}
	if failed := rep.Failed(); len(failed) > 0 {
		return fmt.Errorf("%d of %d reminder emails could not be sent; they are kept and retried by the next 'prevent remind --send'", len(failed), len(rep.Messages))
	}
	return nil
}

// printReminders prints each message: in a dry run, whom it would tell
// about whom; after a send, what became of it.
func (m *Main) printReminders(rep *remind.Report, where string) {
	if !rep.Configured {
		return
	}
	asOf := rep.AsOf.Format(time.DateOnly)
	if !rep.Send {
		fmt.Fprintf(m.Stdout, "Reminders as of %s (dry run: nothing sent or recorded; add --send to send)\n", asOf)
	}
	if rep.Leads == 0 {
		fmt.Fprintln(m.Stdout, "no Prevent leads in reminders.leads: only manager and staff reminders")
	}
	counts := map[remind.Audience]int{}
	sent, failed := 0, 0
	for i := range rep.Messages {
		msg := &rep.Messages[i]
		counts[msg.Audience]++
		head := fmt.Sprintf("%s %s: %s", msg.Audience, figures.Printable(msg.Recipient), peopleCount(len(msg.Entries)))
		if msg.Audience == remind.Staff {
			head += " (" + msg.Point + ")"
		}
		if msg.Retry {
			head += fmt.Sprintf(", from %s not yet delivered", msg.AsOf.Format(time.DateOnly))
		}
		if o := msg.Outcome; o != nil {
			switch o.Status {
			case delivery.StatusFailed:
				failed++
				fmt.Fprintf(m.Stderr, "prevent: reminder to %s failed (attempt %d, will retry on the next run): %s\n", figures.Printable(msg.Recipient), o.Attempts, oneLine(o.Err.Error()))
				continue
			case delivery.StatusSent:
				sent++
			}
			fmt.Fprintf(m.Stdout, "%s: %s\n", head, o.Status)
			continue
		}
		fmt.Fprintln(m.Stdout, head)
		for _, e := range msg.Entries {
			due := "-"
			if !e.DueDate.IsZero() {
				due = "due " + e.DueDate.Format(time.DateOnly)
			}
			fmt.Fprintf(m.Stdout, "  %-12s %-9s %s\n", figures.Printable(e.EmployeeNumber), e.Status, due)
		}
	}
	if rep.Refused > 0 {
		fmt.Fprintf(m.Stdout, "%d manager or staff %s in the staff extract not used: not a bare address%s\n",
			rep.Refused, plural(rep.Refused, "address", "addresses"), allowedNote(m.Config.Reminders.AllowedDomains))
	}
	if rep.WithoutEmail > 0 {
		fmt.Fprintf(m.Stdout, "%s owed a staff reminder: no email address in the staff extract\n", peopleCount(rep.WithoutEmail))
	}
	if rep.Stale > 0 {
		fmt.Fprintf(m.Stdout, "%d undelivered reminders of earlier runs are to addresses no longer recipients; not retried\n", rep.Stale)
	}
	var parts []string
	for _, a := range []remind.Audience{remind.Leads, remind.Managers, remind.Staff} {
		if counts[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[a], a))
		}
	}
	breakdown := ""
	if len(parts) > 0 {
		breakdown = " (" + strings.Join(parts, ", ") + ")"
	}
	switch {
	case len(rep.Messages) == 0:
		fmt.Fprintf(m.Stdout, "nothing to send as of %s: everyone due a reminder has had one for their current due date\n", asOf)
	case !rep.Send:
		fmt.Fprintf(m.Stdout, "%d %s would be sent%s\n", len(rep.Messages), plural(len(rep.Messages), "email", "emails"), breakdown)
	default:
		other := ""
		if n := len(rep.Messages) - sent - failed; n > 0 {
			other = fmt.Sprintf(", %d already sent or being sent by another run", n)
		}
		fmt.Fprintf(m.Stdout, "%d sent, %d failed%s%s, through %s\n", sent, failed, other, breakdown, where)
	}
}

func peopleCount(n int) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}

// allowedNote completes the sentence about refused addresses.
func allowedNote(domains []string) string {
	if len(domains) == 0 {
		return ""
	}
	return " in " + strings.Join(domains, ", ") + " (reminders.allowed_domains)"
}
