// Package submission owns what a provider sends its commissioners: the
// quarterly return, built and emailed to return.recipients once per
// quarter and recipient, and the notice of a change of Prevent lead, once
// per change. `prevent return --send`, `prevent lead --send` and the
// scheduler of `prevent serve` all send through here, so that what goes
// out and when cannot differ between them.
package submission

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Deps are what sending needs.
type Deps struct {
	Store    *store.Store
	Config   *config.Config
	Sender   mail.Sender
	Delivery delivery.Options // Now (the clock) and, for the scheduler, RespectBackoff
	Operator string           // who sends, for the audit trail
}

func (d Deps) now() time.Time {
	if d.Delivery.Now != nil {
		return d.Delivery.Now()
	}
	return time.Now()
}

// ReturnOptions are the config's settings for building a return.
func ReturnOptions(cfg *config.Config, now time.Time, withTrend bool) report.ReturnOptions {
	return report.ReturnOptions{
		Policy:        cfg.Policy(),
		Provider:      returns.Provider{Name: cfg.Organisation, ODSCode: cfg.ODSCode},
		SuppressBelow: cfg.Return.SuppressBelow,
		By:            cfg.ReturnBy(),
		Lead:          cfg.Lead(),
		Accountable:   cfg.Accountable(),
		Now:           now,
		WithTrend:     withTrend,
	}
}

// ErrNoRecipients is returned when the config names nobody to send to.
var ErrNoRecipients = fmt.Errorf("no return.recipients in the config")

// SendReturn builds quarter q's return and emails it (XLSX and CSV, and the
// referrals CSV when the return carries that section) to each of
// return.recipients not yet sent it; with a resend reason, to each of them
// again as a corrected return. The return is built only when a message is
// owed, and before any is sent, so a return that cannot be built (no staff
// snapshot) fails the call without recording a failed delivery.
func SendReturn(ctx context.Context, d Deps, q returns.Quarter, resendReason string) ([]delivery.Outcome, error) {
	recipients := d.Config.Return.Recipients
	if len(recipients) == 0 {
		return nil, ErrNoRecipients
	}
	key := q.String()
	owed := len(recipients)
	if resendReason == "" {
		var err error
		if owed, err = delivery.Unsent(ctx, d.Store, store.ReturnKind, key, recipients); err != nil {
			return nil, err
		}
	}
	var msg *mail.Message
	digest := ""
	if owed > 0 {
		r, trend, err := report.BuildReturn(ctx, d.Store, q, ReturnOptions(d.Config, d.now(), true))
		if err != nil {
			return nil, err
		}
		var replaces time.Time // a corrected return names the sending it replaces
		if resendReason != "" {
			if replaces, err = lastSent(ctx, d.Store, key); err != nil {
				return nil, err
			}
		}
		if !replaces.IsZero() {
			msg, err = r.CorrectedMessage(d.Config.MailFrom(), trend, replaces)
		} else {
			msg, err = r.Message(d.Config.MailFrom(), trend)
		}
		if err != nil {
			return nil, err
		}
		digest = r.FiguresDigest()
	}
	build := func(string) (*mail.Message, error) {
		if msg == nil { // sent meanwhile by another process, then resent?
			return nil, fmt.Errorf("the %s return was not built", key)
		}
		return msg, nil
	}
	opt := d.Delivery
	opt.FiguresDigest = digest
	// Each message sent goes on the audit trail as it is recorded sent, in
	// the same transaction, so that a run stopped at any point leaves none
	// of those it sent unrecorded.
	opt.Audit = func(o delivery.Outcome) store.AuditEntry {
		return store.ReturnAudit(d.now(), d.Operator, key, o.Recipient, resendReason)
	}
	if resendReason != "" {
		return delivery.Resend(ctx, d.Store, d.Sender, store.ReturnKind, key, recipients, resendReason, d.Operator, build, opt)
	}
	return delivery.Send(ctx, d.Store, d.Sender, store.ReturnKind, key, recipients, build, opt)
}

// lastSent is when the quarter's return last went to anyone; zero when it
// never has.
func lastSent(ctx context.Context, s *store.Store, key string) (time.Time, error) {
	sent, err := s.Deliveries(ctx, store.ReturnKind, key)
	var last time.Time
	for _, d := range sent {
		if d.Status == store.DeliverySent && d.SentAt.After(last) {
			last = d.SentAt
		}
	}
	return last, err
}

// ChangedSinceSent finds whether the figures of a quarter's return, as
// built now (r), differ from those one of the recipients (the config's
// return.recipients; an address no longer there is not asked about) last
// received: sent is the quarter's return deliveries (others are passed
// over). For each recipient, the delivery recorded sent last (of equal
// times, the later generation) with a digest is what they hold; the latest
// of those whose figures differ is given. A return sent before the digests
// were kept (migration 0017) says nothing.
func ChangedSinceSent(r *returns.Return, sent []store.Delivery, recipients []string) (store.Delivery, bool) {
	key := r.Quarter.String()
	current := make(map[string]bool, len(recipients))
	for _, to := range recipients {
		current[strings.ToLower(strings.TrimSpace(to))] = true
	}
	held := map[string]store.Delivery{} // by recipient
	for _, d := range sent {
		if d.Kind != store.ReturnKind || d.Key != key || d.Status != store.DeliverySent || d.FiguresDigest == "" || !current[d.Recipient] {
			continue
		}
		last, ok := held[d.Recipient]
		if !ok || d.SentAt.After(last.SentAt) || d.SentAt.Equal(last.SentAt) && d.Generation > last.Generation {
			held[d.Recipient] = d
		}
	}
	now := r.FiguresDigest()
	var changed store.Delivery
	found := false
	for _, d := range held {
		if d.FiguresDigest != now && (!found || d.SentAt.After(changed.SentAt)) {
			changed, found = d, true
		}
	}
	return changed, found
}

// ResendAdvice is the command that sends a quarter's corrected return.
func ResendAdvice(q returns.Quarter) string {
	return fmt.Sprintf(`prevent return --quarter %s --send --resend --reason "WHY"`, q)
}
