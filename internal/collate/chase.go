package collate

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"sort"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// ChaserKind is the delivery kind of chasers; their key is the quarter
// ("2026-27Q2"), so each contact is chased once per quarter.
const ChaserKind = "chaser"

// Chaser is the email owed to one return contact for a quarter, about the
// providers of theirs whose return is missing.
type Chaser struct {
	Email     string
	Providers []Line
}

// Chasers lists the chasers the quarter needs: none while the window is
// open; once it has closed, one per contact of the configured providers
// with no accepted return. A contact for several such providers gets one
// email naming them all.
func (a *Assurance) Chasers() []Chaser {
	if !a.Window.Closed(a.Now) {
		return nil
	}
	byEmail := map[string]*Chaser{}
	var out []*Chaser
	for _, l := range a.Lines {
		if !l.Known || l.Status != Missing || l.Provider.Email == "" {
			continue
		}
		key := strings.ToLower(l.Provider.Email)
		ch := byEmail[key]
		if ch == nil {
			ch = &Chaser{Email: key}
			byEmail[key] = ch
			out = append(out, ch)
		}
		ch.Providers = append(ch.Providers, l)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	list := make([]Chaser, len(out))
	for i, ch := range out {
		list[i] = *ch
	}
	return list
}

// Names lists the chaser's providers: "Delta Care (RD4)".
func (ch Chaser) Names() string {
	names := make([]string, len(ch.Providers))
	for i, l := range ch.Providers {
		names[i] = fmt.Sprintf("%s (%s)", l.Provider.Name, l.Provider.ODSCode)
	}
	return strings.Join(names, ", ")
}

// ChaseOptions tune Chase.
type ChaseOptions struct {
	Send         bool   // send; without it, only say what would be sent
	From         string // the sender's address; the sender's default when ""
	Commissioner string // who is asking, to sign the email
	Now          func() time.Time
	// RespectBackoff makes a failed chaser wait until its next attempt is
	// due (the scheduler's way; a person running the command retries at
	// once).
	RespectBackoff bool
}

// Outcomes of a chaser that was not sent.
const (
	WouldSend   = "would send"   // a dry run: it is owed
	AlreadySent = "already sent" // a dry run: it went out before
)

// ChaseOutcome is what became of one chaser.
type ChaseOutcome struct {
	Chaser
	Status   string // a delivery status (delivery.StatusSent, ...), WouldSend or AlreadySent
	Attempts int
	Err      error
}

// Chase sends the quarter's chasers through package delivery (kind
// ChaserKind, key the quarter), so each contact is emailed at most once
// per quarter however often it runs, and a failed send is retried on the
// next run. Without opt.Send it only reports what it would send. The error
// is for the store failing.
func Chase(ctx context.Context, s *store.Store, sender mail.Sender, a *Assurance, opt ChaseOptions) ([]ChaseOutcome, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	key := a.Quarter.String()
	var out []ChaseOutcome
	for _, ch := range a.Chasers() {
		if !opt.Send {
			sent, err := s.SentDelivery(ctx, ChaserKind, key, ch.Email)
			if err != nil {
				return out, err
			}
			status := WouldSend
			if sent {
				status = AlreadySent
			}
			out = append(out, ChaseOutcome{Chaser: ch, Status: status})
			continue
		}
		build := func(to string) (*mail.Message, error) { return a.ChaserMessage(ch, opt.From, opt.Commissioner) }
		res, err := delivery.Send(ctx, s, sender, ChaserKind, key, []string{ch.Email}, build, delivery.Options{Now: opt.Now, RespectBackoff: opt.RespectBackoff})
		if err != nil {
			return out, err
		}
		for _, o := range res {
			out = append(out, ChaseOutcome{Chaser: ch, Status: o.Status, Attempts: o.Attempts, Err: o.Err})
		}
	}
	return out, nil
}

// ChaserMessage is the email asking a contact for their missing returns,
// with a template filled in for each provider attached.
func (a *Assurance) ChaserMessage(ch Chaser, from, commissioner string) (*mail.Message, error) {
	q := a.Quarter
	subject := fmt.Sprintf("Prevent quarterly data return %s not received: %s", q, ch.Names())
	var text, htm strings.Builder
	esc := html.EscapeString
	period := fmt.Sprintf("%s to %s", q.Start().Format("2 January"), q.End().Format("2 January 2006"))
	fmt.Fprintf(&text, "Dear colleague,\n\nWe have not received the Prevent quarterly data return for %s (%s) from:\n\n", q, period)
	fmt.Fprintf(&htm, `<!doctype html><html><body style="font-family:Arial,sans-serif;color:#212b32"><p>Dear colleague,</p><p>We have not received the Prevent quarterly data return for <b>%s</b> (%s) from:</p><ul>`, esc(q.String()), esc(period))
	for _, l := range ch.Providers {
		fmt.Fprintf(&text, "  %s (%s)\n", figures.Printable(l.Provider.Name), figures.Printable(l.Provider.ODSCode))
		fmt.Fprintf(&htm, "<li>%s (%s)</li>", esc(l.Provider.Name), esc(l.Provider.ODSCode))
	}
	htm.WriteString("</ul>")
	due := fmt.Sprintf("Returns were due by %s; the submission window closed on %s.", a.Window.LastDay().Format("Monday 2 January 2006"),
		a.Window.Closes.Format("2 January 2006"))
	ask := fmt.Sprintf("Please reply with the return as soon as you can: the XLSX or CSV that prevent writes (prevent return --quarter %s), or the template attached, filled in.", q)
	fmt.Fprintf(&text, "\n%s\n\n%s\n", due, ask)
	fmt.Fprintf(&htm, "<p>%s</p><p>%s</p>", esc(due), esc(ask))
	for _, l := range ch.Providers {
		for _, rj := range l.Rejected {
			refused := fmt.Sprintf("The file %s received on %s was refused, so it was not used: %s. Please send a corrected return.",
				rj.FileName, stamp(rj.ReceivedAt, "2 January 2006"), rejectionText(rj.Row, rj.Column, rj.Reason))
			fmt.Fprintf(&text, "\n%s\n", figures.Printable(refused)) // the file's name and cells: no lines of their own
			fmt.Fprintf(&htm, "<p>%s</p>", esc(refused))
		}
	}
	sign := "Thank you."
	if commissioner != "" {
		sign = "Thank you,\n" + commissioner
	}
	fmt.Fprintf(&text, "\n%s\n", sign)
	fmt.Fprintf(&htm, "<p>%s</p></body></html>", strings.ReplaceAll(esc(sign), "\n", "<br>"))

	m := &mail.Message{From: from, To: []string{ch.Email}, Subject: subject, Text: text.String(), HTML: htm.String()}
	for _, l := range ch.Providers {
		var b bytes.Buffer
		p := returns.Provider{Name: l.Provider.Name, ODSCode: l.Provider.ODSCode}
		if err := WriteTemplate(&b, Template{Quarter: q, Provider: &p, Threshold: a.Threshold}); err != nil {
			return nil, err
		}
		m.Attachments = append(m.Attachments, mail.Attachment{Name: TemplateFileName(q, &p),
			ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: b.Bytes()})
	}
	return m, nil
}

// TemplateFileName is the template's file name: "RXX Prevent return
// template 2026-27Q2.xlsx".
func TemplateFileName(q returns.Quarter, p *returns.Provider) string {
	code := "Provider"
	if p != nil && p.ODSCode != "" {
		code = p.ODSCode
	}
	return fmt.Sprintf("%s Prevent return template %s.xlsx", code, q)
}
