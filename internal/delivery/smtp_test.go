package delivery_test

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

const smtpTimeout = 5 * time.Second

// smtpServer is an in-process SMTP relay on 127.0.0.1 (no TLS, no login)
// that records what it accepts, or breaks off every message in the middle
// of DATA like a relay that crashed. (After internal/mail's test server.)
type smtpServer struct {
	port int
	drop bool

	mu       sync.Mutex
	received [][]byte
}

func startSMTP(t *testing.T, drop bool) *smtpServer {
	t.Helper()
	ts := &smtpServer{drop: drop}
	srv := smtp.NewServer(ts)
	srv.Domain = "localhost"
	srv.ReadTimeout = smtpTimeout
	srv.WriteTimeout = smtpTimeout
	srv.ErrorLog = log.New(io.Discard, "", 0)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
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
		case <-time.After(smtpTimeout):
			t.Errorf("test SMTP server did not stop")
		}
	})
	return ts
}

func (ts *smtpServer) messages() [][]byte {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([][]byte(nil), ts.received...)
}

func (ts *smtpServer) sender(t *testing.T) mail.Sender {
	t.Helper()
	s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: ts.port, From: "prevent@example.nhs.net",
		TLS: mail.TLSNone, Timeout: smtpTimeout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (ts *smtpServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{server: ts, conn: c}, nil
}

type smtpSession struct {
	server *smtpServer
	conn   *smtp.Conn
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Reset()                               {}
func (s *smtpSession) Logout() error                        { return nil }

func (s *smtpSession) Data(r io.Reader) error {
	if s.server.drop {
		// Take part of the message, then vanish.
		_, _ = io.CopyN(io.Discard, r, 1024)
		_ = s.conn.Conn().Close()
		return errors.New("connection dropped by test")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.server.mu.Lock()
	s.server.received = append(s.server.received, data)
	s.server.mu.Unlock()
	return nil
}

// returnMessage is a return email with an attachment large enough that a
// dropped connection breaks it off in the middle.
func returnMessage(to string) (*mail.Message, error) {
	xlsx := bytes.Repeat([]byte("PK\x03\x04 return workbook "), 4096)
	return &mail.Message{
		To:      []string{to},
		Subject: "Prevent training return " + quarter,
		Text:    "Please find attached the Prevent training return for " + quarter + ".",
		Attachments: []mail.Attachment{{Name: "prevent-return-" + quarter + ".xlsx",
			ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: xlsx}},
	}, nil
}

func TestSMTPDroppedConnection(t *testing.T) {
	t.Run("a message the server dropped is retried through a healthy server and delivered once", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			broken, healthy := startSMTP(t, true), startSMTP(t, false)
			clk := newClock()
			opt := delivery.Options{Now: clk.Now}
			run := func(server *smtpServer) delivery.Outcome {
				t.Helper()
				out, err := delivery.Send(ctx, s, server.sender(t), "return", quarter, commissioners[:1], returnMessage, opt)
				if err != nil {
					t.Fatal(err)
				}
				return out[0]
			}

			first := run(broken)
			var sendErr *mail.SendError
			if first.Status != delivery.StatusFailed || !errors.As(first.Err, &sendErr) || !sendErr.Temporary {
				t.Fatalf("first run: %s, %v; want failed with a temporary *mail.SendError", first.Status, first.Err)
			}
			if d := deliveryTo(t, s, commissioners[0]); d.Status != store.DeliveryFailed || d.Attempts != 1 || d.LastError == "" {
				t.Fatalf("after the dropped connection: %+v, want failed after 1 attempt with its error", d)
			}

			clk.Advance(time.Minute)
			if second := run(healthy); second.Status != delivery.StatusSent || second.Attempts != 2 {
				t.Fatalf("second run: %s after %d attempts (%v), want sent after 2", second.Status, second.Attempts, second.Err)
			}
			clk.Advance(time.Minute)
			if third := run(healthy); third.Status != delivery.StatusAlreadySent {
				t.Errorf("third run: %s, want already sent", third.Status)
			}

			if n := len(broken.messages()); n != 0 {
				t.Errorf("the broken server kept %d messages", n)
			}
			got := healthy.messages()
			if len(got) != 1 {
				t.Fatalf("the healthy server received %d messages, want 1", len(got))
			}
			msg, err := netmail.ReadMessage(bytes.NewReader(got[0]))
			if err != nil {
				t.Fatal(err)
			}
			d := deliveryTo(t, s, commissioners[0])
			if h := msg.Header.Get(delivery.Header); h != "return/"+quarter+"/0" {
				t.Errorf("%s: %q", delivery.Header, h)
			}
			if id := msg.Header.Get("Message-Id"); !strings.HasPrefix(id, "<"+d.MessageID+"@") {
				t.Errorf("Message-ID %q, want the recorded %q", id, d.MessageID)
			}
		})
	})
}
