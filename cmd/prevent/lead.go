package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/submission"
)

const leadUsage = `Usage: prevent lead [--send]

Shows the Prevent lead named in the config (prevent_lead: {name, email,
phone}), the accountable lead, and every lead recorded before, with the day
each was first seen and whether the commissioners were told of the change.

--send records the configured lead and emails return.recipients a notice of
each change of lead (the previous and the new lead, and the day the change
was seen), once per change, as the NHS Standard Contract (SC32.8) asks. The
first lead ever seen is recorded without a notice. Leads are compared by
name, email and phone, trimmed and in any case. A notice that fails is
retried by the next run; 'prevent serve' checks once a day, with its return
job.

Examples:
  prevent lead
  prevent lead --send
`

func (m *Main) runLead(ctx context.Context, args []string) error {
	fs := m.newFlags("lead", leadUsage)
	send := fs.Bool("send", false, "record the configured lead and notify return.recipients of a change")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("lead takes no arguments (got %q)", pos[0])
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	d := submission.Deps{Store: m.Store, Config: m.Config, Delivery: delivery.Options{Now: m.Now}, Operator: ingest.Operator()}
	where := ""
	if *send {
		if d.Sender, where, err = m.sender(); err != nil {
			return err
		}
	}
	c, err := submission.CheckLead(ctx, d, *send)
	if err != nil {
		return err
	}
	if err := m.showLeads(ctx, c); err != nil {
		return err
	}
	if !*send {
		return nil
	}
	return m.reportNotices(c, where)
}

// showLeads prints the configured leads and the history.
func (m *Main) showLeads(ctx context.Context, c submission.LeadCheck) error {
	lead, acc := m.Config.Lead(), m.Config.Accountable()
	if lead.IsZero() {
		fmt.Fprintln(m.Stdout, "Prevent lead:     (none: add prevent_lead: {name, email, phone} to the config)")
	} else {
		fmt.Fprintf(m.Stdout, "Prevent lead:     %s\n", lead)
	}
	if !acc.IsZero() {
		fmt.Fprintf(m.Stdout, "Accountable lead: %s\n", acc)
	}
	hist, err := m.Store.LeadHistory(ctx)
	if err != nil {
		return err
	}
	if len(hist) == 0 {
		fmt.Fprintln(m.Stdout, "\nNo lead recorded yet ('prevent lead --send' or 'prevent serve' records it; the first is recorded without a notice).")
		return nil
	}
	if last := hist[len(hist)-1]; !lead.IsZero() && !last.Lead.Same(lead) && c.Recorded == nil {
		fmt.Fprintf(m.Stdout, "\nThe config names a new lead: run 'prevent lead --send' to record it and notify return.recipients.\n")
	}
	fmt.Fprintf(m.Stdout, "\nHistory (oldest first):\n")
	for _, h := range hist {
		what := "first lead recorded (no notice)"
		if h.IsChange {
			key := submission.ChangeKey(h)
			sent, err := m.Store.Deliveries(ctx, submission.LeadChangeKind, key)
			if err != nil {
				return err
			}
			what = fmt.Sprintf("change (notice %s: %s)", key, noticeStatus(sent))
		}
		fmt.Fprintf(m.Stdout, "  %s  %-50s %s\n", h.SeenOn.Format(time.DateOnly), h.Lead, what)
	}
	return nil
}

// reportNotices prints what became of each lead-change notice owed.
func (m *Main) reportNotices(c submission.LeadCheck, where string) error {
	switch {
	case !c.Configured:
		fmt.Fprintln(m.Stdout, "\nno prevent_lead in the config: nothing recorded")
	case c.First:
		fmt.Fprintln(m.Stdout, "\nrecorded the Prevent lead (the first seen: no notice is sent)")
	case c.Recorded != nil:
		fmt.Fprintln(m.Stdout, "\nrecorded a change of Prevent lead")
	}
	if len(m.Config.Return.Recipients) == 0 && c.Recorded != nil && !c.First {
		return fmt.Errorf("no recipients: add return.recipients to the config (%s) to send the lead-change notice", configName(m.Config.Path))
	}
	failed, total := 0, 0
	for _, n := range c.Notices {
		for _, o := range n.Outcomes {
			total++
			if o.Err != nil {
				failed++
				fmt.Fprintf(m.Stderr, "prevent: lead-change notice %s to %s failed (attempt %d, will retry on the next run): %s\n", n.Key, o.Recipient, o.Attempts, oneLine(o.Err.Error()))
				continue
			}
			fmt.Fprintf(m.Stdout, "lead-change notice %s to %s: %s\n", n.Key, o.Recipient, o.Status)
		}
	}
	if total > 0 {
		fmt.Fprintf(m.Stdout, "(through %s)\n", where)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d lead-change notices failed; run 'prevent lead --send' again to retry", failed, total)
	}
	return nil
}

// noticeStatus sums up a notice's deliveries: "sent to 2", "not sent".
func noticeStatus(list []store.Delivery) string {
	sent, failed := 0, 0
	for _, d := range list {
		switch d.Status {
		case store.DeliverySent:
			sent++
		case store.DeliveryFailed:
			failed++
		}
	}
	switch {
	case len(list) == 0:
		return "not sent yet"
	case failed > 0:
		return fmt.Sprintf("sent to %d, %d failed (retried on the next run)", sent, failed)
	}
	return fmt.Sprintf("sent to %d", sent)
}
