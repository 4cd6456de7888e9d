package mail

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/nhs-prevent/prevent/internal/mail/mailtest"
)

const testTimeout = 5 * time.Second

// trustedRoots is a pool holding only the test certificate.
func trustedRoots(t *testing.T) *x509.CertPool { return mailtest.Roots(t) }

// testServer is an in-process SMTP server on 127.0.0.1 that records what it
// accepts.
type testServer struct {
	port int

	username, password string // AUTH PLAIN required when set

	mu        sync.Mutex
	received  []receivedMail
	rcptReply map[string]*smtp.SMTPError // canned refusals by recipient
	dropNext  int                        // deliveries to break off in the middle of DATA
	mechs     []string                   // SASL mechanisms offered (PLAIN when empty)
}

type receivedMail struct {
	From    string
	To      []string
	Data    []byte
	OverTLS bool
}

type serverOptions struct {
	tls                string // TLSStartTLS, TLSImplicit or TLSNone
	username, password string
	rcptReply          map[string]*smtp.SMTPError
	dropNext           int
	// insecureAuth offers sign-in over an unencrypted connection, as a
	// relay on the local host does.
	insecureAuth bool
	// mechanisms are the SASL mechanisms offered with a username (PLAIN
	// when empty); PLAIN and LOGIN are served.
	mechanisms []string
}

// startServer listens on 127.0.0.1:0 and stops when the test ends.
func startServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	ts := &testServer{
		username:  opts.username,
		password:  opts.password,
		rcptReply: opts.rcptReply,
		dropNext:  opts.dropNext,
		mechs:     opts.mechanisms,
	}
	srv := smtp.NewServer(ts)
	srv.Domain = "localhost"
	srv.ReadTimeout = testTimeout
	srv.WriteTimeout = testTimeout
	srv.AllowInsecureAuth = opts.insecureAuth
	srv.ErrorLog = log.New(io.Discard, "", 0)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	switch opts.tls {
	case TLSStartTLS, TLSImplicit:
		config := mailtest.ServerTLS(t)
		if opts.tls == TLSStartTLS {
			srv.TLSConfig = config
		} else {
			ln = tls.NewListener(ln, config)
		}
	}
	ts.port = ln.Addr().(*net.TCPAddr).Port

	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		select {
		case <-served:
		case <-time.After(testTimeout):
			t.Errorf("test SMTP server did not stop")
		}
	})
	return ts
}

// messages returns what the server has accepted so far.
func (ts *testServer) messages() []receivedMail {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]receivedMail(nil), ts.received...)
}

func (ts *testServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &testSession{server: ts, conn: c}, nil
}

type testSession struct {
	server *testServer
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (s *testSession) AuthMechanisms() []string {
	if s.server.username == "" {
		return nil
	}
	if len(s.server.mechs) > 0 {
		return s.server.mechs
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	check := func(username, password string) error {
		if username != s.server.username || password != s.server.password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, username, password string) error { return check(username, password) }), nil
}

// loginServer is the server side of SASL LOGIN, which go-sasl no longer
// serves: "Username:", then "Password:".
type loginServer struct {
	check    func(username, password string) error
	username string
	step     int
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if len(response) > 0 { // the username as an initial response
			l.username, l.step = string(response), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.username = string(response)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.username, string(response))
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.username != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.server.mu.Lock()
	reply := s.server.rcptReply[to]
	s.server.mu.Unlock()
	if reply != nil {
		return reply
	}
	s.to = append(s.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	s.server.mu.Lock()
	drop := s.server.dropNext > 0
	if drop {
		s.server.dropNext--
	}
	s.server.mu.Unlock()
	if drop {
		// Take part of the message, then vanish like a crashed relay.
		_, _ = io.CopyN(io.Discard, r, 1024)
		_ = s.conn.Conn().Close()
		return errors.New("connection dropped by test")
	}

	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, overTLS := s.conn.TLSConnectionState()
	s.server.mu.Lock()
	s.server.received = append(s.server.received, receivedMail{
		From: s.from, To: append([]string(nil), s.to...), Data: data, OverTLS: overTLS,
	})
	s.server.mu.Unlock()
	return nil
}

func (s *testSession) Reset() {
	s.from, s.to = "", nil
}

func (s *testSession) Logout() error { return nil }

// parsedMail is a rendered message read back with the standard library.
type parsedMail struct {
	Header      netmail.Header
	Text, HTML  string
	Attachments []Attachment
}

// parseMail reads raw with net/mail and walks its MIME tree.
func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
	}
	parsed := parsedMail{Header: msg.Header}
	walkPart(t, &parsed, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	return parsed
}

func walkPart(t *testing.T, parsed *parsedMail, contentType, encoding, disposition string, body io.Reader) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart() // decodes quoted-printable itself
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("multipart %s: %v", mediaType, err)
			}
			walkPart(t, parsed, part.Header.Get("Content-Type"),
				part.Header.Get("Content-Transfer-Encoding"), part.Header.Get("Content-Disposition"), part)
		}
	}

	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable": // only at the top level: NextPart decodes it in parts
		body = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("reading %s part: %v", mediaType, err)
	}
	dispType, dispParams, _ := mime.ParseMediaType(disposition)
	switch {
	case dispType == "attachment":
		parsed.Attachments = append(parsed.Attachments, Attachment{
			Name: dispParams["filename"], ContentType: mediaType, Data: data,
		})
	case mediaType == "text/plain":
		parsed.Text = string(data)
	case mediaType == "text/html":
		parsed.HTML = string(data)
	default:
		t.Errorf("unexpected %s part", mediaType)
	}
}

// sampleMessage is a return email: text and HTML bodies, an XLSX large
// enough to span many TCP segments, and a CSV.
func sampleMessage() *Message {
	xlsx := make([]byte, 256<<10)
	for i := range xlsx {
		xlsx[i] = byte(i*7 + i/251) // arbitrary bytes, including NUL and 8-bit
	}
	return &Message{
		From:    "Prevent <prevent@example.nhs.net>",
		To:      []string{"commissioner@example.nhs.net", "second.commissioner@example.nhs.net"},
		Subject: "Prevent training return 2026-27Q2 – Example NHS Foundation Trust",
		Text:    "Please find attached the Prevent training return for 2026-27Q2.\n\nBasic: 91.2%\n",
		HTML:    "<p>Please find attached the Prevent training return for <b>2026-27Q2</b>.</p>",
		Attachments: []Attachment{
			{Name: "prevent-return-2026-27Q2.xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: xlsx},
			{Name: "prevent-return-2026-27Q2.csv", ContentType: "text/csv", Data: []byte("quarter,provider_code\r\n2026-27Q2,RXX\r\n")},
		},
		ID:      "return.2026-27Q2.commissioner",
		Headers: map[string]string{"X-Prevent-Delivery": "return/2026-27Q2"},
		Date:    time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC),
	}
}

// checkIntact compares a message read back against the one sent.
func checkIntact(t *testing.T, got parsedMail, want *Message) {
	t.Helper()
	if subject, err := new(mime.WordDecoder).DecodeHeader(got.Header.Get("Subject")); err != nil || subject != want.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, want.Subject)
	}
	// Email bodies travel with CRLF line ends whatever the caller wrote.
	if got.Text != strings.ReplaceAll(want.Text, "\n", "\r\n") {
		t.Errorf("text body = %q, want %q", got.Text, want.Text)
	}
	if got.HTML != strings.ReplaceAll(want.HTML, "\n", "\r\n") {
		t.Errorf("HTML body = %q, want %q", got.HTML, want.HTML)
	}
	if len(got.Attachments) != len(want.Attachments) {
		t.Fatalf("%d attachments, want %d", len(got.Attachments), len(want.Attachments))
	}
	for i, a := range want.Attachments {
		g := got.Attachments[i]
		if g.Name != a.Name || g.ContentType != a.ContentType || !bytes.Equal(g.Data, a.Data) {
			t.Errorf("attachment %d = %q %q (%d bytes), want %q %q (%d bytes)",
				i, g.Name, g.ContentType, len(g.Data), a.Name, a.ContentType, len(a.Data))
		}
	}
}
