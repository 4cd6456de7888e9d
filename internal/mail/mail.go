// Package mail owns outgoing email: building messages, sending them through
// an SMTP server, or writing them as .eml files to an outbox folder when no
// server is configured. It also owns signing in to mail servers, SMTP and
// IMAP alike (a password, an OAuth 2.0 token by SASL XOAUTH2, or none), so
// that no other package knows a token exists, and the step-by-step check
// behind `prevent mail test`.
//
// Both senders render a Message the same way (Message.WriteTo, through
// go-mail), so what lands in the outbox is exactly what would have been
// handed to the SMTP server.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"sort"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// UserAgent names this program in the User-Agent and X-Mailer headers.
const UserAgent = "prevent"

// DefaultFrom is the sender used when a Message has no From address and the
// sender has none configured either (the outbox, typically).
const DefaultFrom = "prevent@prevent.local"

// messageIDDomain is the right-hand side of every Message-ID we generate, so
// that a stable ID stays stable whichever host sends it.
const messageIDDomain = "prevent.local"

// Attachment is a file carried by a Message.
type Attachment struct {
	Name        string // file name shown to the recipient, e.g. "prevent-return-2026-27Q2.xlsx"
	ContentType string // MIME type; application/octet-stream when empty
	Data        []byte
}

// Message is one email, independent of how it is delivered.
type Message struct {
	From        string // address or "Name <address>"; the sender's default when empty
	To          []string
	Subject     string
	Text        string // text/plain body
	HTML        string // text/html alternative; optional
	Attachments []Attachment

	// ID is the stable local part of the Message-ID ("<ID@prevent.local>"),
	// so the same delivery retried later carries the same Message-ID and a
	// mail client can recognise the duplicate. A random one when empty.
	ID string

	// Headers are extra header fields, e.g. X-Prevent-Delivery. They may not
	// replace the fields the message is built from (From, To, Subject, ...).
	Headers map[string]string

	// Date is the Date header; the time of rendering when zero.
	Date time.Time
}

// Sender delivers messages.
type Sender interface {
	// Send delivers m. Its error is a *SendError saying whether a later
	// attempt may succeed.
	Send(ctx context.Context, m *Message) error
	// Describe names where messages go, for logs and the dashboard:
	// "smtp.example.nhs.net:587 (starttls)" or "outbox/". Never a password.
	Describe() string
}

// SendError is a failed delivery. Temporary means the same message may go
// through later unchanged (server unreachable, connection dropped, 4xx
// reply); otherwise something must change first (credentials, recipient
// address, certificate, configuration).
type SendError struct {
	Temporary bool
	Err       error
}

func (e *SendError) Error() string {
	if e.Err == nil {
		return "sending mail failed"
	}
	return e.Err.Error()
}

func (e *SendError) Unwrap() error { return e.Err }

// reservedHeaders are built from the Message's own fields; Headers may not
// override them.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true,
	"date": true, "message-id": true, "mime-version": true,
	"content-type": true, "content-transfer-encoding": true,
	"user-agent": true, "x-mailer": true,
}

// WriteTo writes m as a complete RFC 5322 message: headers, then the text
// body with the HTML as its multipart/alternative, then the attachments.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	msg, err := m.build("")
	if err != nil {
		return 0, err
	}
	return msg.WriteTo(w)
}

// build turns m into a go-mail Msg. defaultFrom stands in for an empty From.
func (m *Message) build(defaultFrom string) (*gomail.Msg, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())

	from := m.From
	if from == "" {
		from = defaultFrom
	}
	if from == "" {
		from = DefaultFrom
	}
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("sender address %q: %w", from, err)
	}
	for _, to := range m.To {
		if err := msg.AddTo(to); err != nil {
			return nil, fmt.Errorf("recipient address %q: %w", to, err)
		}
	}
	msg.Subject(m.Subject)

	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	msg.SetMessageIDWithValue(messageIDLocalPart(m.ID) + "@" + messageIDDomain)
	msg.SetUserAgent(UserAgent)

	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		msg.SetGenHeader(gomail.Header(name), m.Headers[name])
	}

	switch {
	case m.HTML == "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	case m.Text == "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}

	for _, a := range m.Attachments {
		contentType := a.ContentType
		if contentType == "" {
			contentType = "application/octet-stream"
		}
		err := msg.AttachReader(attachmentName(a.Name), bytes.NewReader(a.Data),
			gomail.WithFileContentType(gomail.ContentType(contentType)))
		if err != nil {
			return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
		}
	}
	return msg, nil
}

// validate rejects what would make a malformed or misleading message.
func (m *Message) validate() error {
	if len(m.To) == 0 {
		return errors.New("message has no recipients")
	}
	for name := range m.Headers {
		if !validHeaderName(name) {
			return fmt.Errorf("header name %q is not a valid header field name", name)
		}
		if reservedHeaders[strings.ToLower(name)] {
			return fmt.Errorf("header %q is set from the message itself and cannot be overridden", name)
		}
	}
	for _, a := range m.Attachments {
		if strings.TrimSpace(a.Name) == "" {
			return errors.New("attachment has no file name")
		}
		if a.ContentType != "" {
			if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
				return fmt.Errorf("attachment %q content type %q: %w", a.Name, a.ContentType, err)
			}
		}
	}
	return nil
}

// validHeaderName reports whether name is an RFC 5322 field name: printable
// ASCII without spaces or colons.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// attachmentName keeps only the final path element, so a caller passing a
// path does not disclose its directories to the recipient.
func attachmentName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 && i < len(name)-1 {
		name = name[i+1:]
	}
	return name
}

// messageIDLocalPart makes id fit the dot-atom syntax of a Message-ID, or
// invents a random one when id is empty.
func messageIDLocalPart(id string) string {
	if id == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}
	var sb strings.Builder
	lastDot := true // no leading dot
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			strings.ContainsRune("-_+=", r):
			sb.WriteRune(r)
			lastDot = false
		case r == '.':
			if !lastDot {
				sb.WriteRune(r)
			}
			lastDot = true
		default:
			sb.WriteRune('-')
			lastDot = false
		}
	}
	if local := strings.TrimSuffix(sb.String(), "."); local != "" {
		return local
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16])
}
