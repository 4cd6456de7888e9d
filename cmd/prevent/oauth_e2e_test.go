package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/mail/mailtest"
)

const (
	oauthClientID = "0d6b6f5e-0000-4000-8000-000000000017"
	oauthSecret   = "e2e~Client-Secret.never.shown~17"
	oauthScope    = "https://outlook.office365.com/.default"
)

// nhsmail is an in-process stand-in for NHSmail: a token endpoint, and SMTP
// and IMAP servers that take only XOAUTH2 with its tokens, over TLS with a
// certificate the binary trusts through SSL_CERT_FILE.
type nhsmail struct {
	tokens *mailtest.TokenServer
	smtp   *mailtest.SMTPServer
	imap   *mailtest.IMAPServer
	env    []string
}

func startNHSmail(t *testing.T, dir string) *nhsmail {
	t.Helper()
	n := &nhsmail{tokens: mailtest.StartTokenServer(t, oauthClientID, oauthSecret, oauthScope)}
	n.smtp = mailtest.StartSMTP(t, mailtest.SMTPOptions{TLS: "starttls", Tokens: n.tokens, Username: "prevent@nhs.net"})
	n.imap = mailtest.StartIMAP(t, mailtest.IMAPOptions{TLS: "tls", Tokens: n.tokens, Username: "returns@nhs.net"})
	cert := write(t, dir, "test-ca.pem", string(mailtest.CertPEM(t)))
	n.env = []string{"SSL_CERT_FILE=" + cert, "PREVENT_SMTP_CLIENT_SECRET=" + oauthSecret,
		"PREVENT_IMAP_CLIENT_SECRET=" + oauthSecret, "PREVENT_DEBUG=1"}
	return n
}

// smtpBlock is the smtp: block NHSmail needs, pointed at the stand-in.
func (n *nhsmail) smtpBlock() string {
	return fmt.Sprintf(`smtp:
  host: 127.0.0.1
  port: %d
  tls: starttls
  from: prevent@nhs.net
  username: prevent@nhs.net
  auth: xoauth2
  oauth2:
    token_url: %s
    client_id: %s
    client_secret_env: PREVENT_SMTP_CLIENT_SECRET
    scope: %s
`, n.smtp.Port, n.tokens.URL, oauthClientID, oauthScope)
}

func (n *nhsmail) imapBlock() string {
	return fmt.Sprintf(`  imap:
    host: 127.0.0.1
    port: %d
    username: returns@nhs.net
    auth: xoauth2
    oauth2:
      token_url: %s
      client_id: %s
      client_secret_env: PREVENT_IMAP_CLIENT_SECRET
      scope: %s
`, n.imap.Port, n.tokens.URL, oauthClientID, oauthScope)
}

// recipients lists each message's envelope recipients, one message a string.
func (n *nhsmail) recipients() []string {
	var out []string
	for _, m := range n.smtp.Messages() {
		out = append(out, strings.Join(m.To, ","))
	}
	return out
}

// secretsIn names the secrets text holds: the client secret or a token
// granted, as they are or base64-encoded.
func (n *nhsmail) secretsIn(text []byte) []string {
	var found []string
	for _, s := range append(n.tokens.Granted(), oauthSecret) {
		for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s))} {
			if bytes.Contains(text, []byte(form)) {
				found = append(found, form[:8]+"...")
			}
		}
	}
	return found
}

func TestProviderMailWithXOAUTH2(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	n := startNHSmail(t, dir)
	write(t, dir, "prevent.yaml", e2eConfig+e2eReminders+"schedule:\n  import_dir: drop\n"+n.smtpBlock())
	pv := func(args ...string) run {
		t.Helper()
		return preventEnv(t, dir, db, n.env, args...)
	}
	var seen []output
	keep := func(name string, r run) run {
		seen = append(seen, output{name, []byte(r.stdout + r.stderr)})
		return r
	}
	for _, args := range [][]string{
		{"import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)},
		{"import", "completions", write(t, dir, "lms.csv", e2eCompletions)},
	} {
		if r := pv(args...); r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}

	t.Run("return --send signs in once with a token and sends to every recipient", func(t *testing.T) {
		r := keep("return --send", pv("return", "--quarter", "2026-27Q2", "--send"))
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if got := n.recipients(); len(got) != 2 || got[0] != "commissioner@icb.nhs.net" || got[1] != "second@icb.nhs.net" {
			t.Errorf("the server received messages for %q", got)
		}
		if n.tokens.Requests() != 1 {
			t.Errorf("%d token requests for two messages, want 1", n.tokens.Requests())
		}
		if !strings.Contains(r.stdout, "(through 127.0.0.1:") {
			t.Errorf("stdout:\n%s", r.stdout)
		}
	})
	t.Run("remind --send with a revoked grant fails cleanly and is retried on the next run", func(t *testing.T) {
		n.tokens.RevokeAll(true)
		r := keep("remind --send revoked", pv("remind", "--as-of", "2026-09-30", "--send"))
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "535") || !strings.Contains(r.stderr, `logging in as \"prevent@nhs.net\"`) && !strings.Contains(r.stderr, `logging in as "prevent@nhs.net"`) {
			t.Errorf("stderr does not say the sign-in was refused:\n%s", r.stderr)
		}
		before := len(n.smtp.Messages())
		n.tokens.RevokeAll(false) // the administrator gives the access back
		r = keep("remind --send", pv("remind", "--as-of", "2026-09-30", "--send"))
		if r.code != 0 {
			t.Fatalf("the next run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if got := len(n.smtp.Messages()) - before; got != 2 {
			t.Errorf("%d reminders sent on the next run, want 2 (one per lead)", got)
		}
	})
	t.Run("mail test says every step and the server's answer", func(t *testing.T) {
		r := keep("mail test", pv("mail", "test", "--to", "it.desk@nhs.net"))
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"Testing 127.0.0.1:", "signing in with xoauth2 as prevent@nhs.net", "DNS      ok", "TCP      ok",
			"TLS      ok     TLS 1.3", "is valid for 127.0.0.1 and trusted", "Token    ok     fetched from " + n.tokens.URL,
			"Sign-in  ok     XOAUTH2 as prevent@nhs.net: 235", "Send     ok     the server took the test message for it.desk@nhs.net: 250",
			"check that it arrives at it.desk@nhs.net"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("mail test with a wrong secret stops at the token, exit 1", func(t *testing.T) {
		r := preventEnv(t, dir, db, append(append([]string(nil), n.env...), "PREVENT_SMTP_CLIENT_SECRET=wrong-secret-value"), "mail", "test")
		keep("mail test wrong secret", r)
		if r.code != 1 || !strings.Contains(r.stdout, "Token    FAILED") || !strings.Contains(r.stderr, "mail test failed at token: the token endpoint") ||
			strings.Contains(r.stdout+r.stderr, "wrong-secret-value") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("serve runs its return job with the same config (its debug log is scanned below)", func(t *testing.T) {
		serve := startServeEnv(t, dir, db, n.env)
		serve.waitFor(t, `msg="job finished"`, "job=return")
		serve.stop(t, syscall.SIGTERM)
		seen = append(seen, output{"serve log", []byte(serve.log())})
	})
	t.Run("no token or client secret anywhere", func(t *testing.T) {
		for _, args := range [][]string{{"audit", "--limit", "0"}, {"deliveries"}, {"jobs"}} {
			keep(strings.Join(args, " "), pv(args...))
		}
		files, _ := filepath.Glob(filepath.Join(dir, "prevent.db*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, output{filepath.Base(f), b})
		}
		for _, m := range n.smtp.Messages() {
			seen = append(seen, output{"message to " + strings.Join(m.To, ","), m.Data})
		}
		if len(n.tokens.Granted()) < 3 {
			t.Fatalf("only %d tokens granted: the runs above did not all sign in", len(n.tokens.Granted()))
		}
		for _, o := range seen {
			if found := n.secretsIn(o.data); len(found) > 0 {
				t.Errorf("%s shows a secret: %s", o.name, strings.Join(found, ", "))
			}
		}
	})
}

func TestCommissionerMailWithXOAUTH2(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	n := startNHSmail(t, dir)
	write(t, dir, "prevent.yaml", strings.Replace(commissionerConfig, "collate:\n", "collate:\n"+n.imapBlock(), 1)+n.smtpBlock())
	pv := func(args ...string) run {
		t.Helper()
		return preventEnv(t, dir, db, n.env, args...)
	}
	alpha := providerReturn("RA1", "Alpha NHS Trust", map[string]map[compliance.Level][2]int{"Acute": {compliance.Basic: {10, 9}}})
	var csv bytes.Buffer
	if err := alpha.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	n.imap.Deliver(t, "From: returns@alpha.nhs.net\nTo: returns@nhs.net\nSubject: Q2 return\nMIME-Version: 1.0\n"+
		"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nAttached.\n"+
		"--b\nContent-Type: text/csv; name=\"RA1 2026-27Q2.csv\"\nContent-Disposition: attachment; filename=\"RA1 2026-27Q2.csv\"\n"+
		"Content-Transfer-Encoding: base64\n\n"+base64.StdEncoding.EncodeToString(csv.Bytes())+"\n--b--\n",
		time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC))
	var seen []output

	t.Run("collate --fetch signs in to the mailbox with a token", func(t *testing.T) {
		r := pv("collate", "returns", "--fetch", "--quarter", "2026-27Q2")
		seen = append(seen, output{"collate --fetch", []byte(r.stdout + r.stderr)})
		if r.code != 0 || !strings.Contains(r.stdout, "fetched 1 file from 1 message") || !strings.Contains(r.stdout, "RA1 2026-27Q2 Alpha NHS Trust") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if l := n.imap.Logins(); len(l) != 1 || l[0] != "XOAUTH2 returns@nhs.net ok" {
			t.Errorf("IMAP logins %q", l)
		}
	})
	t.Run("chase --send sends through SMTP with a token, once per missing provider", func(t *testing.T) {
		r := pv("chase", "--quarter", "2026-27Q2", "--send")
		seen = append(seen, output{"chase --send", []byte(r.stdout + r.stderr)})
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		got := n.recipients()
		slices.Sort(got)
		if strings.Join(got, " ") != "returns@beta.nhs.net returns@delta.nhs.net returns@gamma.nhs.net" {
			t.Errorf("chasers went to %q", got)
		}
		for _, m := range n.smtp.Messages() {
			if m.User != "prevent@nhs.net" || !m.OverTLS {
				t.Errorf("chaser sent as %q over TLS %v", m.User, m.OverTLS)
			}
		}
	})
	t.Run("mail test checks the returns mailbox too, changing nothing in it", func(t *testing.T) {
		before := len(n.imap.Logins())
		r := pv("mail", "test")
		seen = append(seen, output{"mail test", []byte(r.stdout + r.stderr)})
		for _, want := range []string{"The server took the test message",
			"\nTesting the returns mailbox (collate.imap) returns@nhs.net on 127.0.0.1:",
			"  Connect  ok     127.0.0.1:", "  Sign-in  ok     xoauth2 as returns@nhs.net\n",
			"  Folder   ok     \"INBOX\" holds 0 messages, for the next fetch\n",
			"  Processed ok     \"Prevent returns processed\" is there: fetched messages are moved to it\n",
			"The returns mailbox is ready"} {
			if r.code != 0 || !strings.Contains(r.stdout, want) {
				t.Errorf("exit %d, stdout lacks %q:\n%s%s", r.code, want, r.stdout, r.stderr)
			}
		}
		r = pv("mail", "test", "--imap")
		seen = append(seen, output{"mail test --imap", []byte(r.stdout + r.stderr)})
		if r.code != 0 || strings.Contains(r.stdout, "DNS") || !strings.Contains(r.stdout, "The returns mailbox is ready") {
			t.Errorf("--imap: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if l := n.imap.Logins()[before:]; len(l) != 2 || l[0] != "XOAUTH2 returns@nhs.net ok" {
			t.Errorf("IMAP logins of the two tests %q", l)
		}
	})
	t.Run("no token or client secret anywhere", func(t *testing.T) {
		for _, args := range [][]string{{"audit", "--limit", "0"}, {"assurance", "--quarter", "2026-27Q2"}} {
			r := pv(args...)
			seen = append(seen, output{strings.Join(args, " "), []byte(r.stdout + r.stderr)})
		}
		files, _ := filepath.Glob(filepath.Join(dir, "prevent.db*"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			seen = append(seen, output{filepath.Base(f), b})
		}
		for _, o := range seen {
			if found := n.secretsIn(o.data); len(found) > 0 {
				t.Errorf("%s shows a secret: %s", o.name, strings.Join(found, ", "))
			}
		}
	})
}

func TestPlaintextCredentialsRefused(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	tests := []struct {
		name, block, want string
	}{
		{"a password without TLS to another host",
			"smtp: {host: smtp.example.nhs.net, port: 25, tls: none, from: p@nhs.net, username: p@nhs.net, password_env: PW}\n",
			"smtp.tls: none would send the password to smtp.example.nhs.net unencrypted"},
		{"a token endpoint over http",
			"smtp:\n  host: smtp.office365.com\n  from: p@nhs.net\n  username: p@nhs.net\n  auth: xoauth2\n  oauth2: {token_url: \"http://login.example.com/t\", client_id: c, client_secret_env: S}\n",
			`smtp.oauth2.token_url: "http://login.example.com/t" is not https`},
		{"an IMAP password without TLS to another host",
			"collate:\n  imap: {host: imap.example.nhs.net, tls: none, username: r@nhs.net, password_env: PW}\n",
			"collate.imap.tls: none would send the password to imap.example.nhs.net unencrypted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(t, dir, "prevent.yaml", tt.block)
			r := prevent(t, dir, db, "mail", "test")
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("exit %d, want 2 and one line containing %q:\n%s", r.code, tt.want, r.stderr)
			}
		})
	}
	t.Run("the relay: auth none without TLS is accepted", func(t *testing.T) {
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{TLS: "none", Relay: true})
		write(t, dir, "prevent.yaml", fmt.Sprintf("smtp: {host: 127.0.0.1, port: %d, tls: none, auth: none, from: prevent@nhs.net}\n", ss.Port))
		r := prevent(t, dir, db, "mail", "test")
		if r.code != 0 || !strings.Contains(r.stdout, "Sign-in  ok     none: no sign-in") || len(ss.Messages()) != 1 {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}
