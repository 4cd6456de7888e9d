package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/remind"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/submission"
)

// sendReminders is the reminders job: `prevent remind --send` as of today.
// A reminder that could not be sent is retried by package remind on the
// next run.
func (s *Scheduler) sendReminders(ctx context.Context, now time.Time) (Report, error) {
	rep, err := remind.Run(ctx, s.store, s.cfg, s.sender, compliance.Day(now), true, s.deliveryOptions())
	if aerr := remind.Audit(ctx, s.store, rep, ingest.Operator(), now); aerr != nil && err == nil {
		err = aerr
	}
	if rep == nil {
		return Report{}, err
	}
	if !rep.Configured {
		return Report{Summary: "no reminders configured (reminders.leads, managers or staff_days)",
			Attrs: []slog.Attr{slog.Bool("configured", false)}}, err
	}
	var t outcomeTally
	people := 0
	for _, m := range rep.Messages {
		people += len(m.Entries)
		if m.Outcome != nil {
			t.count(*m.Outcome)
		}
	}
	r := Report{
		Summary: fmt.Sprintf("as of %s: %s", rep.AsOf.Format(time.DateOnly), t),
		Attrs: []slog.Attr{slog.String("as_of", rep.AsOf.Format(time.DateOnly)), slog.Int("messages", len(rep.Messages)),
			slog.Int("people", people), slog.Int("sent", t.sent), slog.Int("failed", t.failed),
			slog.Int("without_email", rep.WithoutEmail), slog.Int("addresses_refused", rep.Refused)},
	}
	if err == nil && t.failed > 0 {
		err = fmt.Errorf("%d of %d reminder emails failed and will be retried: %v", t.failed, len(rep.Messages), t.firstErr)
	}
	return r, err
}

// sendReturn is the return job: the last completed quarter's return, once
// its submission window has opened, to every recipient not yet sent it;
// and, with prevent_lead configured, the daily check for a change of
// Prevent lead.
func (s *Scheduler) sendReturn(ctx context.Context, now time.Time) (Report, error) {
	rep, err := s.returnJob(ctx, now)
	if s.cfg.PreventLead == nil {
		return rep, err
	}
	lead, lerr := s.leadJob(ctx)
	rep.Summary += "; " + lead.Summary
	rep.Attrs = append(rep.Attrs, lead.Attrs...)
	return rep, errors.Join(err, lerr)
}

func (s *Scheduler) submission() submission.Deps {
	return submission.Deps{Store: s.store, Config: s.cfg, Sender: s.sender, Delivery: s.deliveryOptions(), Operator: ingest.Operator()}
}

func (s *Scheduler) returnJob(ctx context.Context, now time.Time) (Report, error) {
	today := compliance.Day(now)
	q := returns.LastCompleted(today)
	attrs := []slog.Attr{slog.String("quarter", q.String())}
	if opens := returns.WindowOpens(q); today.Before(opens) {
		return Report{Summary: fmt.Sprintf("%s return not due until %s", q, opens.Format("Mon 2 Jan 2006")),
			Attrs: append(attrs, slog.Bool("due", false))}, nil
	}
	recipients := s.cfg.Return.Recipients
	if len(recipients) == 0 {
		return Report{Summary: fmt.Sprintf("%s return not sent: no return.recipients in the config", q),
			Attrs: append(attrs, slog.Int("recipients", 0))}, nil
	}
	owed, err := delivery.Unsent(ctx, s.store, store.ReturnKind, q.String(), recipients)
	if err != nil {
		return Report{}, err
	}
	attrs = append(attrs, slog.Int("recipients", len(recipients)))
	if owed == 0 {
		return Report{Summary: fmt.Sprintf("%s return already sent to all %d recipients", q, len(recipients)),
			Attrs: append(attrs, slog.Int("sent", 0))}, nil
	}
	outcomes, err := submission.SendReturn(ctx, s.submission(), q, "")
	if err != nil {
		return Report{Attrs: attrs}, fmt.Errorf("%s return: %w", q, err)
	}
	t := tallyOutcomes(outcomes)
	attrs = append(attrs, slog.Int("sent", t.sent), slog.Int("already_sent", t.already), slog.Int("failed", t.failed))
	rep := Report{Summary: fmt.Sprintf("%s return: %s", q, t), Attrs: attrs}
	if t.failed > 0 {
		return rep, fmt.Errorf("%s return: %d of %d deliveries failed and will be retried: %v", q, t.failed, len(outcomes), t.firstErr)
	}
	return rep, nil
}

// leadJob records the configured Prevent lead and sends each notice of a
// change owed (`prevent lead --send`).
func (s *Scheduler) leadJob(ctx context.Context) (Report, error) {
	c, err := submission.CheckLead(ctx, s.submission(), true)
	if err != nil {
		return Report{Summary: "Prevent lead not checked"}, fmt.Errorf("Prevent lead: %w", err)
	}
	var t outcomeTally
	for _, n := range c.Notices {
		for _, o := range n.Outcomes {
			t.count(o)
		}
	}
	summary := "Prevent lead unchanged"
	switch {
	case c.First:
		summary = "Prevent lead recorded (the first seen: no notice)"
	case c.Recorded != nil:
		summary = "Prevent lead changed"
	}
	if len(c.Notices) > 0 {
		summary += fmt.Sprintf(", change notices: %s", t)
	}
	rep := Report{Summary: summary, Attrs: []slog.Attr{slog.Int("lead_notices_sent", t.sent), slog.Int("lead_notices_failed", t.failed)}}
	if t.failed > 0 {
		return rep, fmt.Errorf("Prevent lead change notice: %d failed and will be retried: %v", t.failed, t.firstErr)
	}
	return rep, nil
}

// outcomeTally counts delivery outcomes.
type outcomeTally struct {
	sent, already, failed, inProgress int
	firstErr                          error
}

func tallyOutcomes(outcomes []delivery.Outcome) outcomeTally {
	var t outcomeTally
	for _, o := range outcomes {
		t.count(o)
	}
	return t
}

func (t *outcomeTally) count(o delivery.Outcome) {
	switch o.Status {
	case delivery.StatusSent:
		t.sent++
	case delivery.StatusAlreadySent:
		t.already++
	case delivery.StatusInProgress:
		t.inProgress++
	default:
		t.failed++
		if t.firstErr == nil {
			t.firstErr = o.Err
		}
	}
}

func (t outcomeTally) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{t.sent, "sent"}, {t.already, "already sent"}, {t.inProgress, "being sent by another process"}, {t.failed, "failed"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(parts) == 0 {
		return "nothing to send"
	}
	return strings.Join(parts, ", ")
}
