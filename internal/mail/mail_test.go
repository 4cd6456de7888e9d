package mail

import (
	"bytes"
	"strings"
	"testing"
)

func TestMessageWriteTo(t *testing.T) {
	render := func(t *testing.T, m *Message) parsedMail {
		t.Helper()
		var buf bytes.Buffer
		n, err := m.WriteTo(&buf)
		if err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
		if n != int64(buf.Len()) {
			t.Errorf("WriteTo reported %d bytes, wrote %d", n, buf.Len())
		}
		return parseMail(t, buf.Bytes())
	}

	t.Run("text, HTML and attachments survive a round trip", func(t *testing.T) {
		want := sampleMessage()
		checkIntact(t, render(t, want), want)
	})

	t.Run("a stable ID gives the same Message-ID every time", func(t *testing.T) {
		m := sampleMessage()
		first := render(t, m).Header.Get("Message-Id")
		second := render(t, m).Header.Get("Message-Id")
		if first != "<return.2026-27Q2.commissioner@prevent.local>" || first != second {
			t.Errorf("Message-IDs = %q, %q", first, second)
		}
	})

	t.Run("without an ID each rendering gets its own Message-ID", func(t *testing.T) {
		m := sampleMessage()
		m.ID = ""
		first := render(t, m).Header.Get("Message-Id")
		second := render(t, m).Header.Get("Message-Id")
		if !strings.HasSuffix(first, "@prevent.local>") || first == second {
			t.Errorf("Message-IDs = %q, %q", first, second)
		}
	})

	t.Run("an ID with characters a Message-ID cannot hold is cleaned", func(t *testing.T) {
		m := sampleMessage()
		m.ID = "remind/lead@example.nhs.net/12345678/2026-11-02"
		if got := render(t, m).Header.Get("Message-Id"); got != "<remind-lead-example.nhs.net-12345678-2026-11-02@prevent.local>" {
			t.Errorf("Message-ID = %q", got)
		}
	})

	t.Run("names the program and carries extra headers", func(t *testing.T) {
		h := render(t, sampleMessage()).Header
		for name, want := range map[string]string{
			"User-Agent": "prevent", "X-Mailer": "prevent", "X-Prevent-Delivery": "return/2026-27Q2",
			"Date": "Thu, 01 Oct 2026 08:00:00 +0000",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
	})

	t.Run("a text-only message has a single text part", func(t *testing.T) {
		m := &Message{From: "prevent@example.nhs.net", To: []string{"lead@example.nhs.net"}, Subject: "Reminder", Text: "Book your refresher.\n"}
		got := render(t, m)
		if got.Text != "Book your refresher.\r\n" || got.HTML != "" || len(got.Attachments) != 0 {
			t.Errorf("got %+v", got)
		}
	})

	t.Run("a message without From is from the default sender", func(t *testing.T) {
		m := &Message{To: []string{"lead@example.nhs.net"}, Subject: "Reminder", Text: "x"}
		if got := render(t, m).Header.Get("From"); got != "<"+DefaultFrom+">" {
			t.Errorf("From = %q", got)
		}
	})
}

func TestMessageRejected(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m *Message)
		wantErr string
	}{
		{name: "no recipients", edit: func(m *Message) { m.To = nil }, wantErr: "no recipients"},
		{name: "a malformed recipient", edit: func(m *Message) { m.To = []string{"not an address"} }, wantErr: "not an address"},
		{name: "an extra header may not replace the subject", edit: func(m *Message) { m.Headers = map[string]string{"subject": "x"} }, wantErr: "cannot be overridden"},
		{name: "an extra header name with a colon", edit: func(m *Message) { m.Headers = map[string]string{"X-Bad:": "x"} }, wantErr: "not a valid header"},
		{name: "an attachment without a name", edit: func(m *Message) { m.Attachments[0].Name = " " }, wantErr: "no file name"},
		{name: "an attachment with a malformed content type", edit: func(m *Message) { m.Attachments[0].ContentType = "text/" }, wantErr: "content type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleMessage()
			tt.edit(m)
			_, err := m.WriteTo(new(bytes.Buffer))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestHeaderValuesCannotInjectHeaders(t *testing.T) {
	t.Run("a line break in a subject or extra header stays inside that header", func(t *testing.T) {
		m := sampleMessage()
		m.Subject = "Return\r\nBcc: attacker@example.com"
		m.Headers = map[string]string{"X-Prevent-Delivery": "x\r\nBcc: attacker@example.com"}
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
		if h := parseMail(t, buf.Bytes()).Header; h.Get("Bcc") != "" {
			t.Errorf("Bcc header injected: %q", h.Get("Bcc"))
		}
	})
}
