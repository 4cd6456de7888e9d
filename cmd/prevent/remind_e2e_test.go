package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// e2eReminders adds two Prevent leads to the e2e config: one for everyone,
// one for the acute directorate only.
const e2eReminders = `reminders:
  leads:
    - {email: prevent.lead@trust.nhs.uk}
    - {email: acute.lead@trust.nhs.uk, organisation: "RT1 Acute*"}
`

// e2eBrokenSMTP sends through a mail server that is not there.
const e2eBrokenSMTP = `smtp: {host: 127.0.0.1, port: 1, from: prevent@trust.nhs.uk, tls: none}
`

// email is one .eml file of the outbox, decoded.
type email struct {
	file    string
	header  mail.Header
	text    string   // the text/plain body
	attach  []string // attachment file names
	subject string
}

func readOutbox(t *testing.T, dir string) []email {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	slices.Sort(files)
	var out []email
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		e := email{file: filepath.Base(f), header: msg.Header, subject: subject}
		walkParts(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, &e)
		out = append(out, e)
	}
	return out
}

// walkParts collects the text body and the attachment names of a MIME tree.
func walkParts(t *testing.T, contentType, encoding, disposition string, body io.Reader, e *email) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("%s: content type %q: %v", e.file, contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", e.file, err)
			}
			walkParts(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p, e)
		}
	}
	if _, dp, err := mime.ParseMediaType(disposition); err == nil && dp["filename"] != "" {
		e.attach = append(e.attach, dp["filename"])
		return
	}
	if mediaType != "text/plain" {
		return
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("%s: %v", e.file, err)
	}
	e.text = string(b)
}

func TestRemindEndToEnd(t *testing.T) {
	dbs := map[string]func(t *testing.T, dir string) string{
		"sqlite":   func(t *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "prevent.db") },
		"postgres": func(t *testing.T, dir string) string { return storetest.PostgresDSN(t) },
	}
	for name, dsn := range dbs {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := dsn(t, dir)
			write(t, dir, "prevent.yaml", e2eConfig+e2eReminders)
			write(t, dir, "no-leads.yaml", e2eConfig)
			write(t, dir, "broken-smtp.yaml", e2eConfig+e2eReminders+e2eBrokenSMTP)
			outbox := filepath.Join(dir, "outbox")
			for _, args := range [][]string{
				{"import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)},
				{"import", "completions", write(t, dir, "lms.csv", e2eCompletions)},
			} {
				if r := prevent(t, dir, db, args...); r.code != 0 {
					t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
				}
			}

			t.Run("with no leads configured a dry run says so and a send fails", func(t *testing.T) {
				r := prevent(t, dir, db, "--config", "no-leads.yaml", "remind", "--as-of", "2026-09-30")
				if r.code != 0 || !strings.Contains(r.stdout, "no reminders configured: add reminders.leads") {
					t.Errorf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				r = prevent(t, dir, db, "--config", "no-leads.yaml", "remind", "--as-of", "2026-09-30", "--send")
				if r.code != 1 || !strings.Contains(r.stderr, "no reminders configured") || !strings.Contains(r.stderr, "nothing was sent") {
					t.Errorf("send: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
			})
			t.Run("a dry run prints each lead's people and sends nothing", func(t *testing.T) {
				r := prevent(t, dir, db, "remind", "--as-of", "2026-09-30")
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				for _, want := range []string{
					"dry run",
					"lead prevent.lead@trust.nhs.uk: 3 people",
					"10000002     expired   due 2026-01-15",
					"10000003     never     -",
					"10000001     due_soon  due 2026-11-02",
					"lead acute.lead@trust.nhs.uk: 1 person",
					"2 emails would be sent (2 lead)",
				} {
					if !strings.Contains(r.stdout, want) {
						t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
					}
				}
				if files, _ := filepath.Glob(filepath.Join(outbox, "*.eml")); len(files) != 0 {
					t.Errorf("a dry run wrote %d emails", len(files))
				}
			})
			t.Run("a failed send exits 1 saying it will be retried", func(t *testing.T) {
				r := prevent(t, dir, db, "--config", "broken-smtp.yaml", "remind", "--as-of", "2026-09-30", "--send")
				if r.code != 1 || !strings.Contains(r.stderr, "2 of 2 reminder emails could not be sent") ||
					!strings.Contains(r.stderr, "will retry on the next run") {
					t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
			})
			t.Run("each send is on the audit trail with who ran it and how many messages", func(t *testing.T) {
				r := prevent(t, dir, db, "audit", "--action", "reminders-sent")
				lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
				if r.code != 0 || len(lines) != 1 || !strings.Contains(lines[0], "as of 2026-09-30: 0 sent, 2 failed") {
					t.Fatalf("after the failed send: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				if who := ingest.Operator(); !strings.Contains(lines[0], " "+who+" ") {
					t.Errorf("the line does not name %q: %s", who, lines[0])
				}
				if strings.Contains(r.stdout, "@") {
					t.Errorf("the audit trail names a recipient: %s", r.stdout)
				}
			})
			t.Run("the next send delivers the same lists, once per lead", func(t *testing.T) {
				r := prevent(t, dir, db, "remind", "--as-of", "2026-09-30", "--send")
				if r.code != 0 || !strings.Contains(r.stdout, "2 sent, 0 failed") || !strings.Contains(r.stdout, "not yet delivered: sent") {
					t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				emails := readOutbox(t, outbox)
				if len(emails) != 2 {
					t.Fatalf("%d emails in the outbox, want 2", len(emails))
				}
				var all, acute email
				for _, e := range emails {
					switch e.header.Get("To") {
					case "<prevent.lead@trust.nhs.uk>", "prevent.lead@trust.nhs.uk":
						all = e
					case "<acute.lead@trust.nhs.uk>", "acute.lead@trust.nhs.uk":
						acute = e
					default:
						t.Errorf("%s is to %q", e.file, e.header.Get("To"))
					}
				}
				if all.subject != "Prevent training: 3 people to book (1 expired, 1 never trained, 1 due soon)" {
					t.Errorf("subject %q", all.subject)
				}
				for _, want := range []string{
					"EXPIRED (1)", "Porter, Bob (employee number 10000002)", "Last completed 15 January 2023; due 15 January 2026",
					"NEVER TRAINED (1)", "Cara Lead (employee number 10000003)", "Requirement: Face-to-face (WRAP)", "Book: WRAP",
					"DUE SOON (1)", "Alice Nurse (employee number 10000001)", "Book: Prevent Level 3",
				} {
					if !strings.Contains(all.text, want) {
						t.Errorf("the lead's email lacks %q:\n%s", want, all.text)
					}
				}
				if !slices.Equal(all.attach, []string{"Prevent reminders 2026-09-30.xlsx"}) {
					t.Errorf("attachments %q", all.attach)
				}
				if !strings.HasPrefix(all.header.Get("X-Prevent-Delivery"), "reminder/lead/2026-09-30/") {
					t.Errorf("delivery header %q", all.header.Get("X-Prevent-Delivery"))
				}
				if !strings.Contains(acute.text, "10000001") || strings.Contains(acute.text, "10000002") || strings.Contains(acute.text, "10000003") {
					t.Errorf("the acute lead's email lists people outside RT1 Acute:\n%s", acute.text)
				}
			})
			t.Run("the delivering send is on the audit trail too", func(t *testing.T) {
				r := prevent(t, dir, db, "audit", "--action", "reminders-sent", "--limit", "1")
				if r.code != 0 || !strings.Contains(r.stdout, "reminders-sent") || !strings.Contains(r.stdout, "as of 2026-09-30: 2 sent, 0 failed (2 to leads)") {
					t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
			})
			t.Run("sending again sends nothing", func(t *testing.T) {
				r := prevent(t, dir, db, "remind", "--as-of", "2026-09-30", "--send")
				if r.code != 0 || !strings.Contains(r.stdout, "nothing to send") {
					t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				if files, _ := filepath.Glob(filepath.Join(outbox, "*.eml")); len(files) != 2 {
					t.Errorf("%d emails in the outbox after a second send, want 2", len(files))
				}
			})
			t.Run("a month on, only a new lapse is mailed", func(t *testing.T) {
				// Alice's due date (2026-11-02) has passed: the same due date,
				// so nobody is told again.
				r := prevent(t, dir, db, "remind", "--as-of", "2026-11-03", "--send")
				if r.code != 0 || !strings.Contains(r.stdout, "nothing to send") {
					t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
			})
		})
	}
}
