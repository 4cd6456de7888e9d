// Package delivery owns exactly-once delivery of outgoing messages: one
// message per (kind, key, recipient), such as the return of quarter
// 2026-27Q2 to one commissioner, retried after a failure and never sent
// twice, even by two processes at once.
//
// Each message owed is a row in the store (store.Delivery). Before sending,
// a sender claims the row in one conditional UPDATE; only the process whose
// claim changed the row sends, and it records the outcome afterwards. The
// message content is not stored: the caller's build function makes it from
// current data when, and only when, it is really sent.
//
// The one window left is between the server accepting a message and the
// store recording it: a process that dies there leaves the row 'sending',
// and after StaleAfter it is sent again. Every attempt at a delivery carries
// the same Message-ID, so the recipient's mail client can recognise the
// duplicate.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Outcome statuses.
const (
	StatusSent        = "sent"         // sent by this call
	StatusAlreadySent = "already sent" // sent before: not sent again
	StatusFailed      = "failed"       // this attempt failed, or an earlier one and the backoff has not run out
	StatusInProgress  = "in progress"  // another process is sending it now
)

// Header is the header field naming the delivery a message belongs to:
// "<kind>/<key>/<generation>".
const Header = "X-Prevent-Delivery"

// DefaultStaleAfter is how long a claim lasts when Options.StaleAfter is
// zero: far longer than any SMTP conversation.
const DefaultStaleAfter = 30 * time.Minute

// Options tune a Send or Resend.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// RespectBackoff makes a failed delivery wait until its next attempt is
	// due. The scheduler sets it; a person running the command wants a
	// retry at once.
	RespectBackoff bool
	// StaleAfter is how long a 'sending' claim lasts before its sender is
	// taken to have died and the delivery is retried; DefaultStaleAfter
	// when zero.
	StaleAfter time.Duration
	// Audit, when set, gives the audit-trail line for a message sent. It
	// is written in the same transaction that records the message sent, so
	// that a process killed at any point leaves no message recorded sent
	// without its line.
	Audit func(o Outcome) store.AuditEntry
	// FiguresDigest is recorded with each message recorded sent: for a
	// return, the digest of the figures it carries, so that a later change
	// to them can be told (store.Delivery.FiguresDigest).
	FiguresDigest string
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	return o
}

// Outcome is what became of the delivery to one recipient.
type Outcome struct {
	Recipient string // lower case
	Status    string // StatusSent, StatusAlreadySent, StatusFailed or StatusInProgress
	Attempts  int    // attempts made at this delivery so far, this one included
	Err       error  // why it failed (StatusFailed only)
	Delivery  store.Delivery
}

// Build makes the message for one recipient. Send addresses it to that
// recipient alone and sets its ID and delivery header.
type Build func(recipient string) (*mail.Message, error)

// Send delivers one message per recipient for (kind, key) unless it has
// already been sent (by this or an earlier run, as the original or as a
// resend). Recipients are compared in lower case. build is called only for
// a message that will really be sent.
//
// A failure for one recipient does not stop the others: it is recorded, to
// be retried on the next run, and reported in its Outcome. The error is nil
// unless the store itself failed; the outcomes so far are returned with it.
func Send(ctx context.Context, s *store.Store, sender mail.Sender, kind, key string, recipients []string, build Build, opt Options) ([]Outcome, error) {
	opt = opt.withDefaults()
	addrs, err := normalise(recipients)
	if err != nil {
		return nil, fmt.Errorf("send %s %s: %w", kind, key, err)
	}
	out := make([]Outcome, 0, len(addrs))
	for _, to := range addrs {
		d, err := s.EnsureDelivery(ctx, kind, key, to, opt.Now())
		if err != nil {
			return out, err
		}
		if d.Status != store.DeliverySent {
			// A resend may have delivered what the original never did.
			sent, err := s.SentDelivery(ctx, kind, key, to)
			if err != nil {
				return out, err
			}
			if sent {
				out = append(out, Outcome{Recipient: to, Status: StatusAlreadySent, Attempts: d.Attempts, Delivery: d})
				continue
			}
		}
		o, err := deliver(ctx, s, sender, d, build, opt)
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Resend sends a corrected message for (kind, key) again to each recipient,
// whether or not the original went out, recorded as a new generation with
// the reason and who asked. A resend that has not gone out yet (it failed,
// or its sender died) is retried rather than queued again, so running the
// same resend twice after a failure sends it once.
func Resend(ctx context.Context, s *store.Store, sender mail.Sender, kind, key string, recipients []string, reason, by string, build Build, opt Options) ([]Outcome, error) {
	opt = opt.withDefaults()
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("resend %s %s: no reason given", kind, key)
	}
	addrs, err := normalise(recipients)
	if err != nil {
		return nil, fmt.Errorf("resend %s %s: %w", kind, key, err)
	}
	held, err := s.Deliveries(ctx, kind, key)
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, 0, len(addrs))
	for _, to := range addrs {
		d, ok := pendingResend(held, to)
		if !ok {
			if d, err = s.NewResend(ctx, kind, key, to, reason, by, opt.Now()); err != nil {
				return out, err
			}
		}
		o, err := deliver(ctx, s, sender, d, build, opt)
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}

// pendingResend finds the newest resend to recipient, if it has not been
// sent.
func pendingResend(held []store.Delivery, recipient string) (store.Delivery, bool) {
	for _, d := range held { // newest first
		if d.Recipient == recipient && d.Generation > 0 {
			return d, d.Status != store.DeliverySent
		}
	}
	return store.Delivery{}, false
}

// deliver claims d and, if the claim holds, builds and sends its message
// and records what happened.
func deliver(ctx context.Context, s *store.Store, sender mail.Sender, d store.Delivery, build Build, opt Options) (Outcome, error) {
	if d.Status == store.DeliverySent {
		return Outcome{Recipient: d.Recipient, Status: StatusAlreadySent, Attempts: d.Attempts, Delivery: d}, nil
	}
	claimed, err := s.ClaimDelivery(ctx, d.ID, opt.Now(), opt.RespectBackoff, opt.StaleAfter)
	if err != nil {
		return Outcome{}, err
	}
	// Read the row back: another process may have moved it since it was
	// first read, and the outcome should say where it stands.
	if d, err = s.Delivery(ctx, d.ID); err != nil {
		return Outcome{}, err
	}
	if !claimed {
		return unclaimed(d), nil
	}

	id := messageID(d)
	sendErr := send(ctx, sender, d, id, build)

	// Record the outcome even when ctx has been cancelled meanwhile: a sent
	// message not recorded as sent would go out again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := opt.Now()
	if sendErr != nil {
		next := now.Add(Backoff(d.Attempts))
		if err := s.MarkDeliveryFailed(rctx, d.ID, sendErr.Error(), next, now); err != nil {
			return Outcome{}, err
		}
		d.Status, d.LastError, d.NextAttemptAt, d.UpdatedAt = store.DeliveryFailed, sendErr.Error(), next, now
		return Outcome{Recipient: d.Recipient, Status: StatusFailed, Attempts: d.Attempts, Err: sendErr, Delivery: d}, nil
	}
	sent := d
	sent.Status, sent.SentAt, sent.MessageID, sent.NextAttemptAt, sent.UpdatedAt = store.DeliverySent, now, id, time.Time{}, now
	sent.FiguresDigest = opt.FiguresDigest
	o := Outcome{Recipient: d.Recipient, Status: StatusSent, Attempts: d.Attempts, Delivery: sent}
	var audit *store.AuditEntry
	if opt.Audit != nil {
		e := opt.Audit(o)
		audit = &e
	}
	if err := markSent(rctx, s, d.ID, id, opt.FiguresDigest, now, audit); err != nil {
		return Outcome{}, fmt.Errorf("%s/%s was sent to %s but could not be recorded, so it may be sent again after %s: %w",
			d.Kind, d.Key, d.Recipient, opt.StaleAfter, err)
	}
	return o, nil
}

// recordTimeout bounds recording an outcome after the caller's context
// has ended.
const recordTimeout = time.Minute

// markSent records a sent delivery, trying again a few times: failing here
// is the one way a message can later go out twice.
func markSent(ctx context.Context, s *store.Store, id int64, messageID, figuresDigest string, now time.Time, audit *store.AuditEntry) error {
	var err error
	for try := range 3 {
		if try > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(try) * time.Second):
			}
		}
		if err = s.MarkDeliverySent(ctx, id, messageID, figuresDigest, now, audit); err == nil {
			return nil
		}
	}
	return err
}

// send builds d's message and hands it to sender.
func send(ctx context.Context, sender mail.Sender, d store.Delivery, id string, build Build) error {
	m, err := build(d.Recipient)
	if err == nil && m == nil {
		err = errors.New("no message")
	}
	if err != nil {
		return fmt.Errorf("building the message for %s: %w", d.Recipient, err)
	}
	msg := *m // the caller's message, headers included, stays as it was
	msg.To = []string{d.Recipient}
	msg.ID = id
	msg.Headers = make(map[string]string, len(m.Headers)+1)
	for k, v := range m.Headers {
		msg.Headers[k] = v
	}
	msg.Headers[Header] = fmt.Sprintf("%s/%s/%d", d.Kind, d.Key, d.Generation)
	return sender.Send(ctx, &msg)
}

// unclaimed is the outcome for a delivery this process may not send now.
func unclaimed(d store.Delivery) Outcome {
	o := Outcome{Recipient: d.Recipient, Attempts: d.Attempts, Delivery: d}
	switch d.Status {
	case store.DeliverySent:
		o.Status = StatusAlreadySent
	case store.DeliveryFailed:
		o.Status = StatusFailed
		o.Err = fmt.Errorf("%s (next attempt after %s)", d.LastError, d.NextAttemptAt.Local().Format("2006-01-02 15:04"))
	default:
		o.Status = StatusInProgress
	}
	return o
}

// messageID is the stable local part of the Message-ID of every attempt
// at a delivery.
func messageID(d store.Delivery) string {
	return fmt.Sprintf("%s-%s-%d-%d", d.Kind, d.Key, d.ID, d.Generation)
}

// Backoff is how long to wait after the given number of failed attempts
// before the scheduler tries again: 5 minutes, doubling with each attempt,
// at most 6 hours.
func Backoff(attempts int) time.Duration {
	const first, most = 5 * time.Minute, 6 * time.Hour
	wait := first
	for i := 1; i < attempts && wait < most; i++ {
		wait *= 2
	}
	return min(wait, most)
}

// normalise lower-cases and trims the addresses and drops repeats, keeping
// the order given.
// Unsent counts the recipients (normalised as Send normalises them) that
// (kind, key) has not been sent to in any generation, so that a caller
// with nothing to send need not build the message.
func Unsent(ctx context.Context, s *store.Store, kind, key string, recipients []string) (int, error) {
	list, err := normalise(recipients)
	if err != nil {
		return 0, err
	}
	held, err := s.Deliveries(ctx, kind, key)
	if err != nil {
		return 0, err
	}
	sent := map[string]bool{}
	for _, d := range held {
		if d.Status == store.DeliverySent {
			sent[d.Recipient] = true
		}
	}
	owed := 0
	for _, r := range list {
		if !sent[r] {
			owed++
		}
	}
	return owed, nil
}

func normalise(recipients []string) ([]string, error) {
	seen := make(map[string]bool, len(recipients))
	out := make([]string, 0, len(recipients))
	for _, r := range recipients {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" {
			return nil, errors.New("a recipient address is empty")
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out, nil
}
