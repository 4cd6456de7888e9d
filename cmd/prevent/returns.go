package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
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

Examples:
  prevent return --quarter 2026-27Q2 --out "RXX Prevent return 2026-27Q2.xlsx"
  prevent return --quarter 2026-27Q2 --format csv
  prevent return --send
  prevent return --quarter 2026-27Q2 --resend --reason "corrected ESR extract"
`

func (m *Main) runReturn(ctx context.Context, args []string) error {
	fs := m.newFlags("return", returnUsage)
	quarterFlag := fs.String("quarter", "", "financial-year `quarter`, e.g. 2026-27Q2 (default: the last completed one)")
	format := fs.String("format", "xlsx", "output `format`: xlsx or csv")
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
	if *resend && strings.TrimSpace(*reason) == "" {
		return usagef("--resend needs --reason \"why the return is sent again\"")
	}
	now := m.Now()
	q, err := m.quarterFlag(*quarterFlag)
	if err != nil {
		return err
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	cfg := m.Config
	r, trend, err := report.QuarterReturn(ctx, m.Store, cfg.Policy(), returns.Provider{Name: cfg.Organisation, ODSCode: cfg.ODSCode},
		q, cfg.Return.SuppressBelow, cfg.ReturnBy(), now, *format == "xlsx" || *send || *resend)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error {
		if *format == "csv" {
			return r.WriteCSV(w)
		}
		return r.WriteXLSX(w, trend)
	}
	if !*send && !*resend {
		if *out == "" && *format == "xlsx" && m.isTerminal(m.Stdout) {
			*out = r.FileName() + ".xlsx"
		}
		return m.writeOut(*out, write)
	}
	if *out != "" {
		if err := m.writeOut(*out, write); err != nil {
			return err
		}
	}
	return m.sendReturn(ctx, r, trend, *resend, *reason)
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

func (m *Main) sendReturn(ctx context.Context, r *returns.Return, trend []returns.TrendPoint, resend bool, reason string) error {
	recipients := m.Config.Return.Recipients
	if len(recipients) == 0 {
		return fmt.Errorf("no recipients: add return.recipients to the config (%s) to send the return", configName(m.Config.Path))
	}
	sender, where, err := m.sender()
	if err != nil {
		return err
	}
	msg, err := r.Message(m.Config.MailFrom(), trend)
	if err != nil {
		return err
	}
	build := func(string) (*mail.Message, error) { return msg, nil }
	// Each message sent goes on the audit trail as it is recorded sent, in
	// the same transaction, so that a run stopped at any point leaves none
	// of those it sent unrecorded.
	audit := func(o delivery.Outcome) store.AuditEntry {
		why := ""
		if resend {
			why = reason
		}
		return store.ReturnAudit(m.Now(), ingest.Operator(), r.Quarter.String(), o.Recipient, why)
	}
	opt := delivery.Options{Now: m.Now, Audit: audit}
	var outcomes []delivery.Outcome
	if resend {
		outcomes, err = delivery.Resend(ctx, m.Store, sender, store.ReturnKind, r.Quarter.String(), recipients, reason, ingest.Operator(), build, opt)
	} else {
		outcomes, err = delivery.Send(ctx, m.Store, sender, store.ReturnKind, r.Quarter.String(), recipients, build, opt)
	}
	if err != nil {
		return err
	}
	failed := 0
	for _, o := range outcomes {
		switch {
		case o.Err != nil:
			failed++
			fmt.Fprintf(m.Stderr, "prevent: return %s to %s failed (attempt %d, will retry on the next run): %s\n", r.Quarter, o.Recipient, o.Attempts, oneLine(o.Err.Error()))
		default:
			fmt.Fprintf(m.Stdout, "return %s to %s: %s\n", r.Quarter, o.Recipient, o.Status)
		}
	}
	fmt.Fprintf(m.Stdout, "(through %s)\n", where)
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries of the %s return failed; run 'prevent return --quarter %s --send' again to retry", failed, len(outcomes), r.Quarter, r.Quarter)
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
		if d.Reason != "" {
			note = fmt.Sprintf("resend by %s: %s", d.RequestedBy, d.Reason)
			if d.LastError != "" && d.Status != "sent" {
				note += "; " + d.LastError
			}
		}
		fmt.Fprintf(m.Stdout, "%-10s %-36s %-3d %-7s %-8d %-17s %s\n", d.Key, d.Recipient, d.Generation, d.Status, d.Attempts, sent, oneLine(note))
	}
	return nil
}
