package main

import (
	"context"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	prevmail "github.com/nhs-prevent/prevent/internal/mail"
)

const mailUsage = `Usage: prevent mail test [--to ADDRESS] [--imap]

Signs in to the mail server in the config's smtp: block and sends one test
message, saying what happened at each step, so that mail can be set up
without guessing:

  DNS       the server's name looked up, and its addresses
  TCP       the connection to its port
  SMTP      the server's greeting and what it offers (STARTTLS, AUTH ...)
  TLS       the TLS version, and the certificate's names, issuer and expiry
  Token     with auth: xoauth2, the token fetched (never shown) and its expiry
  Sign-in   the mechanism, the mailbox, and the server's answer
  Send      the server's answer to the test message

It stops at the first step that fails, with what to check. Nothing is
recorded in the database. With no smtp: block, the test message is written
to the outbox folder (outbox_dir) instead, and the command says so.

With a collate.imap: block (commissioner mode), it then signs in to the
returns mailbox as collate --fetch would, changing nothing in it:

  Connect   the server and how the connection is encrypted
  Sign-in   the mechanism (password or xoauth2, the token fetched) and the mailbox
  Folder    the folder read, and how many messages wait in it
  Processed whether the folder fetched messages go to is there yet

--imap checks the returns mailbox only.

--to is where the test message goes (default: smtp.from, the mailbox itself).

Examples:
  prevent mail test
  prevent mail test --to it.servicedesk@nhs.net
  prevent mail test --imap
  PREVENT_SMTP_CLIENT_SECRET=... prevent --config /etc/prevent/prevent.yaml mail test
`

func (m *Main) runMail(ctx context.Context, args []string) error {
	fs := m.newFlags("mail", mailUsage)
	to := fs.String("to", "", "send the test message to `ADDRESS` (default: smtp.from)")
	imapOnly := fs.Bool("imap", false, "check the returns mailbox (collate.imap) only")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] != "test" {
		return usagef("say 'prevent mail test' (run 'prevent help mail')")
	}
	if len(pos) > 1 {
		return usagef("mail test takes no other arguments (got %q)", pos[1])
	}
	if *to != "" {
		if a, err := mail.ParseAddress(*to); err != nil || a.Address != strings.TrimSpace(*to) {
			return usagef("--to %q is not an email address", *to)
		}
	}
	if err := m.loadConfig(); err != nil {
		return err
	}
	c := m.Config
	if *imapOnly {
		if c.Collate.IMAP == nil {
			return usagef("--imap checks the returns mailbox, and %s has no collate.imap block", configName(c.Path))
		}
		return m.mailTestIMAP(ctx)
	}
	if err := m.mailTestSMTP(ctx, *to); err != nil || c.Collate.IMAP == nil {
		return err
	}
	fmt.Fprintln(m.Stdout)
	return m.mailTestIMAP(ctx)
}

// mailTestSMTP sends the test message through smtp: (or to the outbox),
// step by step.
func (m *Main) mailTestSMTP(ctx context.Context, to string) error {
	c := m.Config
	recipient := strings.TrimSpace(to)
	if recipient == "" {
		recipient = prevmail.DefaultFrom
		if c.SMTP != nil {
			recipient = c.SMTP.From
			if a, err := mail.ParseAddress(c.SMTP.From); err == nil {
				recipient = a.Address
			}
		}
	}
	msg := testMessage(c.Organisation, c.MailFrom(), recipient, m.Now())
	if c.SMTP == nil {
		return m.mailTestOutbox(ctx, msg)
	}
	s, err := prevmail.NewSMTP(smtpConfig(c))
	if err != nil {
		return err
	}
	l := c.SMTPLogin()
	how := "no sign-in (auth: none)"
	if l.Auth != prevmail.AuthNone {
		how = fmt.Sprintf("signing in with %s as %s", l.Auth, l.Username)
	}
	fmt.Fprintf(m.Stdout, "Testing %s, %s; the test message goes to %s.\n", s.Describe(), how, recipient)
	err = s.Check(ctx, msg, m.printStep)
	if err != nil {
		return fmt.Errorf("mail test failed at %s", err)
	}
	fmt.Fprintf(m.Stdout, "The server took the test message: check that it arrives at %s (and is not in its junk folder).\n", recipient)
	return nil
}

// printStep prints one step of a mail test.
func (m *Main) printStep(st prevmail.Step) {
	mark := "ok"
	if !st.OK {
		mark = "FAILED"
	}
	fmt.Fprintf(m.Stdout, "  %-8s %-6s %s\n", st.Name, mark, st.Text)
}

// mailTestIMAP signs in to the returns mailbox and looks at its folders,
// changing nothing.
func (m *Main) mailTestIMAP(ctx context.Context) error {
	mb, err := collate.MailboxOf(m.Config)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Testing the returns mailbox (collate.imap) %s on %s:%d; nothing in it is changed.\n", mb.Username, mb.Host, mb.Port)
	if err := collate.CheckMailbox(ctx, mb, m.printStep); err != nil {
		return fmt.Errorf("returns mailbox test failed at %s", err)
	}
	fmt.Fprintf(m.Stdout, "The returns mailbox is ready: 'prevent collate DIR --fetch' (or the collate job) fetches from %q.\n", m.Config.Collate.IMAP.Folder)
	return nil
}

// mailTestOutbox writes the test message to the outbox, naming the file.
func (m *Main) mailTestOutbox(ctx context.Context, msg *prevmail.Message) error {
	dir := m.Config.OutboxDir
	before := map[string]bool{}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			before[e.Name()] = true
		}
	}
	if err := prevmail.NewOutbox(dir).Send(ctx, msg); err != nil {
		return err
	}
	written := strings.TrimSuffix(dir, "/") + "/"
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if !before[e.Name()] && strings.HasSuffix(e.Name(), ".eml") {
				written = filepath.Join(dir, e.Name())
			}
		}
	}
	where := "There is no config file (prevent.yaml or --config)"
	if m.Config.Path != "" {
		where = "The config " + m.Config.Path + " has no smtp: block"
	}
	fmt.Fprintf(m.Stdout, "%s, so no server was tried: the test message was written to %s.\n"+
		"Add an smtp: block to send through a mail server (README: \"Mail through NHSmail\").\n", where, written)
	return nil
}

func testMessage(organisation, from, to string, now time.Time) *prevmail.Message {
	who := "prevent"
	if organisation != "" {
		who = "prevent for " + organisation
	}
	return &prevmail.Message{
		From:    from,
		To:      []string{to},
		Subject: "prevent mail test",
		Text: fmt.Sprintf("This is a test message from %s, sent by 'prevent mail test' at %s.\n\n"+
			"It arrived, so the quarterly return, the reminders and the chasers can be sent the same way.\n",
			who, now.UTC().Format("2006-01-02 15:04 UTC")),
		Date: now,
	}
}
