package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nhs-prevent/prevent/internal/annual"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// AnnualReportKind is the deliveries kind of the annual report, keyed by
// the financial year ("2026-27"): each recipient is sent each year's
// report once.
const AnnualReportKind = "annual_report"

// AuditAnnualReportSent is the audit action of an annual report emailed.
const AuditAnnualReportSent = "annual-report-sent"

// sendAnnualReport is the annual report job: once the financial year is
// over, its report (PDF and XLSX attached) to every report.recipients
// address not yet sent it. It runs daily; after the first run that sends,
// the rest find nothing owed.
func (s *Scheduler) sendAnnualReport(ctx context.Context, now time.Time) (Report, error) {
	y := annualYear(now)
	attrs := []slog.Attr{slog.String("year", y.String())}
	recipients := s.cfg.Report.Recipients
	owed, err := delivery.Unsent(ctx, s.store, AnnualReportKind, y.String(), recipients)
	if err != nil {
		return Report{}, err
	}
	attrs = append(attrs, slog.Int("recipients", len(recipients)))
	if owed == 0 {
		return Report{Summary: fmt.Sprintf("%s annual report already sent to all %d recipients", y, len(recipients)),
			Attrs: append(attrs, slog.Int("sent", 0))}, nil
	}
	rep, err := annual.Build(ctx, annual.SourceFor(s.store, s.cfg, now), y)
	var nr *annual.NotReportableError
	if errors.As(err, &nr) {
		return Report{Summary: fmt.Sprintf("%s annual report not sent: %s", y, nr.Msg), Attrs: append(attrs, slog.Bool("reportable", false))}, nil
	}
	if err != nil {
		return Report{Attrs: attrs}, fmt.Errorf("%s annual report: %w", y, err)
	}
	msg, err := rep.Message(s.cfg.MailFrom())
	if err != nil {
		return Report{Attrs: attrs}, fmt.Errorf("%s annual report: %w", y, err)
	}
	opt := s.deliveryOptions()
	opt.Audit = func(o delivery.Outcome) store.AuditEntry {
		return store.AuditEntry{At: s.clock.Now(), Who: ingest.Operator(), Action: AuditAnnualReportSent, Detail: y.String() + " to " + o.Recipient}
	}
	outcomes, err := delivery.Send(ctx, s.store, s.sender, AnnualReportKind, y.String(), recipients,
		func(string) (*mail.Message, error) { return msg, nil }, opt)
	if err != nil {
		return Report{Attrs: attrs}, err
	}
	t := tallyOutcomes(outcomes)
	attrs = append(attrs, slog.Int("sent", t.sent), slog.Int("already_sent", t.already), slog.Int("failed", t.failed))
	r := Report{Summary: fmt.Sprintf("%s annual report: %s", y, t), Attrs: attrs}
	if t.failed > 0 {
		return r, fmt.Errorf("%s annual report: %d of %d deliveries failed and will be retried: %v", y, t.failed, len(outcomes), t.firstErr)
	}
	return r, nil
}

// annualYear is the year the job sends: the last one over.
func annualYear(now time.Time) returns.Year { return returns.LastCompletedYear(compliance.Day(now)) }
