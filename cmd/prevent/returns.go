package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/submission"
)

const returnUsage = `Usage: prevent return [--quarter Q] [--format xlsx|csv] [--out FILE] [--send]
                      [--resend --reason "why"]

The quarterly Prevent data return for commissioners, computed from the staff
snapshot in force on the quarter's last day: per organisation and in total,
for each level the people required, compliant and the rate, and whether every
level meets the threshold. Aggregates only: never a name or employee number.

Quarters are NHS financial-year quarters: 2026-27Q1 is April to June 2026,
Q4 is January to March 2027. 2026/27 Q2 and Q2 2026-27 are read too. Without
--quarter, the last completed quarter.

--send emails the return (XLSX and CSV attached) to return.recipients in the
config, once per quarter and recipient however often it runs; a failed send
is retried on the next run. With no smtp: block the emails are written to
outbox_dir. --resend sends a corrected return again, recorded with --reason.

When prevent_lead is configured or a referral or meetings log has been
imported, the return also carries its referrals section: the quarter's
concerns raised, referred to Prevent, discussed at and adopted by Channel,
about patients, staff and in mental health services, and partnership
meetings held and attended, with the Prevent lead. The XLSX has it as the
sheets Referrals and Prevent lead, the email attaches its CSV, and
--section referrals --format csv prints it. return.suppress_below: K shows
its counts from 1 to K-1 as *.

Examples:
  prevent return --quarter 2026-27Q2 --out "RXX Prevent return 2026-27Q2.xlsx"
  prevent return --quarter 2026-27Q2 --format csv
  prevent return --quarter 2026-27Q2 --section referrals --format csv
  prevent return --send
  prevent return --quarter 2026-27Q2 --resend --reason "corrected ESR extract"
`

func (m *Main) runReturn(ctx context.Context, args []string) error {
	fs := m.newFlags("return", returnUsage)
	quarterFlag := fs.String("quarter", "", "financial-year `quarter`, e.g. 2026-27Q2 (default: the last completed one)")
	format := fs.String("format", "xlsx", "output `format`: xlsx or csv")
	section := fs.String("section", "training", "with --format csv, the `section`: training (the return's table) or referrals (referral and partnership counts)")
	out := fs.String("out", "", "write the return to `FILE`")
	send := fs.Bool("send", false, "email the return to return.recipients (once per quarter and recipient)")
	resend := fs.Bool("resend", false, "send a corrected return again (needs --reason)")
	reason := fs.String("reason", "", "why the return is sent again (with --resend)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("return takes no file arguments (got %q)", pos[0])
	}
	if err := oneOf("format", *format, []string{"xlsx", "csv"}); err != nil {
		return err
	}
	if err := oneOf("section", *section, []string{"training", "referrals"}); err != nil {
		return err
	}
	if *section == "referrals" && (*format != "csv" || *send || *resend) {
		return usagef("--section referrals writes the referrals section as CSV (--format csv); the XLSX return and its email carry it already")
	}
	if *resend && strings.TrimSpace(*reason) == "" {
		return usagef("--resend needs --reason \"why the return is sent again\"")
	}
	now := m.Now()
	q, err := m.quarterFlag(*quarterFlag)
	if err != nil {
		return err
	}
	if (*send || *resend) && !ended(q, now) {
		return usagef("%s has not ended (its last day is %s): its return is sent once the quarter is over (from %s; serve sends it on the first working day after), and a return sent now would be the quarter's one send; run it without --send to see its figures so far",
			q, q.End().Format(time.DateOnly), q.End().AddDate(0, 0, 1).Format(time.DateOnly))
	}
	m.noteUnfinished(q, now)
	if err := m.openReport(ctx); err != nil {
		return err
	}
	if *section == "referrals" {
		return m.writeReferrals(ctx, q, *out, now)
	}
	sending := *send || *resend
	if !sending || *out != "" {
		// The file is built as the email's attachment is (sending builds
		// its own, only when a message is owed).
		r, trend, err := report.BuildReturn(ctx, m.Store, q, submission.ReturnOptions(m.Config, now, *format == "xlsx"))
		if err != nil {
			return err
		}
		if *out == "" && *format == "xlsx" && m.isTerminal(m.Stdout) {
			*out = r.FileName() + ".xlsx"
		}
		err = m.writeOut(*out, func(w io.Writer) error {
			if *format == "csv" {
				return r.WriteCSV(w)
			}
			return r.WriteXLSX(w, trend)
		})
		if err != nil || !sending {
			return err
		}
	}
	why := ""
	if *resend {
		why = *reason
	}
	return m.sendReturn(ctx, q, why)
}

// ended reports whether a quarter's last day is over by now.
func ended(q returns.Quarter, now time.Time) bool {
	return q.End().Before(compliance.Date(now.Year(), now.Month(), now.Day()))
}

// noteUnfinished warns, on stderr, that a quarter that has not ended is
// reported as of a day still to come: its figures are a projection from
// the extracts held now, and its referral counts are the quarter so far.
func (m *Main) noteUnfinished(q returns.Quarter, now time.Time) {
	if ended(q, now) {
		return
	}
	fmt.Fprintf(m.Stderr, "prevent: note: %s has not ended (its last day is %s): its figures are as of that day from the extracts held today, and will change as later extracts arrive\n",
		q, q.End().Format(time.DateOnly))
}

// writeReferrals writes the referrals section of a quarter's return as
// CSV. It needs no staff snapshot: the counts come from the logs alone.
func (m *Main) writeReferrals(ctx context.Context, q returns.Quarter, out string, now time.Time) error {
	o := submission.ReturnOptions(m.Config, now, false)
	a, err := report.QuarterActivity(ctx, m.Store, q, o)
	if err != nil {
		return err
	}
	r := &returns.Return{Quarter: q, AsOf: q.End(), Provider: o.Provider, Activity: a}
	return m.writeOut(out, r.WriteReferralsCSV)
}

// sender is SMTP when the config has an smtp: block, else the outbox folder.
func (m *Main) sender() (mail.Sender, string, error) {
	c := m.Config
	if c.SMTP == nil {
		return mail.NewOutbox(c.OutboxDir), "the outbox folder " + strings.TrimSuffix(c.OutboxDir, "/") + "/, as the config has no smtp: block", nil
	}
	s, err := mail.NewSMTP(smtpConfig(c))
	if err != nil {
		return nil, "", err
	}
	return s, s.Describe(), nil
}

// smtpConfig is the config's smtp: block with its secrets from the
// environment.
func smtpConfig(c *config.Config) mail.SMTPConfig {
	l := c.SMTPLogin()
	cfg := mail.SMTPConfig{Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.Username,
		Password: c.SMTPPassword(), From: c.SMTP.From, TLS: c.SMTP.TLS, Auth: l.Auth,
		OAuth2: mail.OAuth2{TokenURL: l.TokenURL, ClientID: l.ClientID, ClientSecret: l.ClientSecret, Scopes: l.Scopes}}
	if l.PasswordEnv != "" {
		cfg.PasswordFrom = fmt.Sprintf("the environment variable %s (smtp.password_env)", l.PasswordEnv)
	}
	if l.ClientSecretEnv != "" {
		cfg.SecretFrom = fmt.Sprintf("the environment variable %s (smtp.oauth2.client_secret_env)", l.ClientSecretEnv)
	}
	return cfg
}

// sendReturn emails a quarter's return through submission.SendReturn,
// the one place the scheduler sends it too; a resend reason sends it again.
func (m *Main) sendReturn(ctx context.Context, q returns.Quarter, resendReason string) error {
	if len(m.Config.Return.Recipients) == 0 {
		return fmt.Errorf("no recipients: add return.recipients to the config (%s) to send the return", configName(m.Config.Path))
	}
	sender, where, err := m.sender()
	if err != nil {
		return err
	}
	d := submission.Deps{Store: m.Store, Config: m.Config, Sender: sender, Delivery: delivery.Options{Now: m.Now}, Operator: ingest.Operator()}
	outcomes, err := submission.SendReturn(ctx, d, q, resendReason)
	if err != nil {
		return err
	}
	failed := 0
	for _, o := range outcomes {
		switch {
		case o.Err != nil:
			failed++
			fmt.Fprintf(m.Stderr, "prevent: return %s to %s failed (attempt %d, will retry on the next run): %s\n", q, o.Recipient, o.Attempts, oneLine(o.Err.Error()))
		default:
			fmt.Fprintf(m.Stdout, "return %s to %s: %s\n", q, o.Recipient, o.Status)
		}
	}
	fmt.Fprintf(m.Stdout, "(through %s)\n", where)
	if resendReason == "" && failed == 0 && allAlreadySent(outcomes) {
		// Nothing went: say so if the commissioners hold figures the
		// data no longer gives.
		sent, err := m.Store.Deliveries(ctx, store.ReturnKind, q.String())
		if err != nil {
			return err
		}
		if err := m.noteChangedReturns(ctx, sent); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries of the %s return failed; run 'prevent return --quarter %s --send' again to retry", failed, len(outcomes), q, q)
	}
	return nil
}

func configName(path string) string {
	if path == "" {
		return "prevent.yaml"
	}
	return path
}

const deliveriesUsage = `Usage: prevent deliveries [--quarter Q]

Every email of the quarterly return: quarter, recipient, status (queued,
sending, sent, failed), attempts, when it was sent, the last error, and for
a corrected resend who asked and why.
`

func (m *Main) runDeliveries(ctx context.Context, args []string) error {
	fs := m.newFlags("deliveries", deliveriesUsage)
	quarterFlag := fs.String("quarter", "", "only this `quarter`")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("deliveries takes no arguments (got %q)", pos[0])
	}
	key := ""
	if *quarterFlag != "" {
		q, err := m.quarterFlag(*quarterFlag)
		if err != nil {
			return err
		}
		key = q.String()
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	list, err := m.Store.Deliveries(ctx, store.ReturnKind, key)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(m.Stdout, "no deliveries yet (prevent return --send sends the last quarter's return)")
		return nil
	}
	fmt.Fprintf(m.Stdout, "%-10s %-36s %-3s %-7s %-8s %-17s %s\n", "QUARTER", "RECIPIENT", "GEN", "STATUS", "ATTEMPTS", "SENT", "NOTE")
	for _, d := range list {
		sent := "-"
		if !d.SentAt.IsZero() {
			sent = d.SentAt.Local().Format("2006-01-02 15:04")
		}
		note := d.LastError
		if d.Status == store.DeliverySent {
			note = "" // an error of an attempt before the one that went
		}
		if d.Reason != "" {
			note = fmt.Sprintf("resend by %s: %s", d.RequestedBy, d.Reason)
			if d.LastError != "" && d.Status != "sent" {
				note += "; " + d.LastError
			}
		}
		fmt.Fprintf(m.Stdout, "%-10s %-36s %-3d %-7s %-8d %-17s %s\n", d.Key, d.Recipient, d.Generation, d.Status, d.Attempts, sent, oneLine(note))
	}
	return m.noteChangedReturns(ctx, list)
}

func allAlreadySent(outcomes []delivery.Outcome) bool {
	for _, o := range outcomes {
		if o.Status != delivery.StatusAlreadySent {
			return false
		}
	}
	return len(outcomes) > 0
}

// noteChangedReturns says, on stderr, which quarters' returns among the
// deliveries have figures other than those last sent, and how to send the
// corrected return. Only quarters sent with their figures' digest (from
// migration 0017 on) are compared, their figures summed in one pass as the
// returns page sums them; a quarter whose extracts were purged is not.
func (m *Main) noteChangedReturns(ctx context.Context, sent []store.Delivery) error {
	var qs []returns.Quarter
	for _, d := range sent {
		if d.Kind != store.ReturnKind || d.Status != store.DeliverySent || d.FiguresDigest == "" {
			continue
		}
		if q, err := returns.ParseQuarter(d.Key); err == nil && !slices.Contains(qs, q) {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return nil
	}
	pol := m.Config.Policy()
	figs, err := report.LoadQuarterFigures(ctx, m.Store, pol, qs, m.Config.ReturnBy())
	if err != nil {
		return err
	}
	provider := returns.Provider{Name: m.Config.Organisation, ODSCode: m.Config.ODSCode}
	for i, q := range qs {
		f := figs[i]
		if f.None != nil {
			continue // no staff extract held for its last day any more
		}
		r := returns.BuildFrom(q, provider, f.Groups, f.Total, pol.Threshold)
		if last, ok := submission.ChangedSinceSent(r, sent, m.Config.Return.Recipients); ok {
			fmt.Fprintf(m.Stderr, "prevent: note: the figures of %s have changed since its return was sent on %s (extracts imported since, or a change to the config's rules, changed the quarter); the commissioners hold the figures as sent. To send them the corrected return: %s\n",
				q, last.SentAt.Local().Format("2006-01-02 15:04"), submission.ResendAdvice(q))
		}
	}
	return nil
}
