package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// collateReturns is the commissioner's collate job: `prevent collate
// DIR --fetch` on schedule.collate_dir. The returns emailed to the
// collate.imap mailbox (when there is one) are saved into the folder, then
// every file there is read, checked and stored. Files collated before
// change nothing and a file refused before is not counted again, so the
// folder keeps every file received. A refused file is not the job failing:
// `prevent assurance` lists it, and the chaser tells its provider.
func (s *Scheduler) collateReturns(ctx context.Context, now time.Time) (Report, error) {
	dir := s.cfg.Schedule.CollateDir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Report{}, fmt.Errorf("cannot create the returns folder %s: %w", dir, err)
	}
	var attrs []slog.Attr
	var said []string
	if s.cfg.Collate.IMAP != nil {
		mb, err := collate.MailboxOf(s.cfg)
		if err != nil {
			return Report{}, err
		}
		got, err := collate.Fetch(ctx, mb, dir)
		attrs = append(attrs, slog.Int("fetched", len(got.Files)))
		said = append(said, fmt.Sprintf("%d fetched", len(got.Files)))
		if err != nil {
			return Report{Summary: strings.Join(said, ", "), Attrs: attrs}, err
		}
	}
	paths, err := collate.Dir(dir)
	if err != nil {
		return Report{}, err
	}
	results, err := collate.Files(ctx, s.store, paths, collate.FileOptionsFor(s.cfg, now))
	var accepted, refused, notReturn int
	for _, r := range results {
		switch {
		case r.Err != nil:
			notReturn++
			s.log.Warn("collate: not a return", "file", r.Path, "reason", r.Err.Error())
		case len(r.Problems) > 0 && !r.RefusedBefore:
			refused++
			s.log.Warn("collate: return refused", "file", r.Path, "provider", r.Return.Provider.ODSCode,
				"quarter", r.Return.Quarter.String(), "problem", r.Problems[0].Error(), "problems", len(r.Problems))
		case r.Accepted() && (r.Saved.Outcome == store.ReturnNew || r.Saved.Outcome == store.ReturnReplaced):
			accepted++
			s.log.Info("collate: return accepted", "file", r.Path, "provider", r.Return.Provider.ODSCode,
				"quarter", r.Return.Quarter.String(), "outcome", r.Saved.Outcome)
		}
	}
	attrs = append(attrs, slog.Int("files", len(paths)), slog.Int("accepted", accepted), slog.Int("refused", refused),
		slog.Int("not_a_return", notReturn))
	said = append(said, fmt.Sprintf("%d %s in %s: %d newly accepted, %d refused, %d not a return",
		len(paths), "file"+plural(len(paths)), dir, accepted, refused, notReturn))
	return Report{Summary: strings.Join(said, "; "), Attrs: attrs}, err
}

// chaseProviders is the commissioner's chase job: `prevent chase --send`
// for the last completed quarter. Nothing is sent while its submission
// window is open; once it has closed, each contact of a configured provider
// with no accepted return is emailed once (a failed send is retried on a
// later run).
func (s *Scheduler) chaseProviders(ctx context.Context, now time.Time) (Report, error) {
	q := returns.LastCompleted(compliance.Day(now))
	attrs := []slog.Attr{slog.String("quarter", q.String())}
	a, err := collate.LoadForConfig(ctx, s.store, s.cfg, q, now)
	if err != nil {
		return Report{Attrs: attrs}, err
	}
	if !a.Window.Closed(now) {
		return Report{Summary: fmt.Sprintf("%s: nobody is chased before the submission window closes, at the start of %s",
			q, a.Window.Closes.Format("Mon 2 Jan 2006")), Attrs: append(attrs, slog.Bool("window_closed", false))}, nil
	}
	outcomes, err := collate.Chase(ctx, s.store, s.sender, a, collate.ChaseOptions{Send: true, From: s.cfg.MailFrom(),
		Commissioner: s.cfg.Organisation, Now: s.clock.Now, RespectBackoff: true})
	var t outcomeTally
	for _, o := range outcomes {
		t.count(delivery.Outcome{Recipient: o.Email, Status: o.Status, Err: o.Err})
	}
	attrs = append(attrs, slog.Int("chasers", len(outcomes)), slog.Int("sent", t.sent), slog.Int("already_sent", t.already),
		slog.Int("failed", t.failed))
	rep := Report{Summary: fmt.Sprintf("%s chasers: %s", q, t), Attrs: attrs}
	if len(outcomes) == 0 {
		rep.Summary = fmt.Sprintf("%s: every configured provider's return is in", q)
	}
	if err == nil && t.failed > 0 {
		err = fmt.Errorf("%s: %d of %d chasers failed and will be retried: %v", q, t.failed, len(outcomes), t.firstErr)
	}
	return rep, err
}
