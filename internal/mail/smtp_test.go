package mail

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

const (
	testUser     = "prevent@example.nhs.net"
	testPassword = "C0rrect-Horse-Battery-Staple"
)

// clientConfig points a sender at ts.
func clientConfig(ts *testServer, tlsMode string) SMTPConfig {
	cfg := SMTPConfig{
		Host:    "127.0.0.1",
		Port:    ts.port,
		From:    "prevent@example.nhs.net",
		TLS:     tlsMode,
		Timeout: testTimeout,
	}
	if ts.username != "" {
		cfg.Username, cfg.Password = ts.username, ts.password
	}
	return cfg
}

func send(t *testing.T, cfg SMTPConfig, m *Message) error {
	t.Helper()
	sender, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	return sender.Send(ctx, m)
}

func TestSMTPDelivery(t *testing.T) {
	tests := []struct {
		name    string
		tls     string
		auth    bool
		wantTLS bool
	}{
		{name: "STARTTLS with login delivers the message intact", tls: TLSStartTLS, auth: true, wantTLS: true},
		{name: "implicit TLS with login delivers the message intact", tls: TLSImplicit, auth: true, wantTLS: true},
		{name: "a local relay without TLS or login delivers the message intact", tls: TLSNone},
		{name: "a local relay without TLS, with a password, signs in and delivers", tls: TLSNone, auth: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := serverOptions{tls: tt.tls, insecureAuth: tt.tls == TLSNone}
			if tt.auth {
				opts.username, opts.password = testUser, testPassword
			}
			ts := startServer(t, opts)
			cfg := clientConfig(ts, tt.tls)
			cfg.RootCAs = trustedRoots(t)
			want := sampleMessage()

			if err := send(t, cfg, want); err != nil {
				t.Fatalf("Send: %v", err)
			}

			got := ts.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			if got[0].OverTLS != tt.wantTLS {
				t.Errorf("delivered over TLS = %v, want %v", got[0].OverTLS, tt.wantTLS)
			}
			if got[0].From != "prevent@example.nhs.net" {
				t.Errorf("envelope sender = %q", got[0].From)
			}
			if strings.Join(got[0].To, " ") != strings.Join(want.To, " ") {
				t.Errorf("envelope recipients = %v, want %v", got[0].To, want.To)
			}
			parsed := parseMail(t, got[0].Data)
			checkIntact(t, parsed, want)
			if id := parsed.Header.Get("Message-Id"); id != "<return.2026-27Q2.commissioner@prevent.local>" {
				t.Errorf("Message-ID = %q", id)
			}
		})
	}
}

func TestSMTPSenderDefaultsFromAddress(t *testing.T) {
	t.Run("a message without From is sent from the configured address", func(t *testing.T) {
		ts := startServer(t, serverOptions{tls: TLSNone})
		m := sampleMessage()
		m.From = ""
		cfg := clientConfig(ts, TLSNone)
		cfg.From = "prevent.noreply@example.nhs.net"
		if err := send(t, cfg, m); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := ts.messages()
		if len(got) != 1 || got[0].From != "prevent.noreply@example.nhs.net" {
			t.Fatalf("received %+v", got)
		}
		if from := parseMail(t, got[0].Data).Header.Get("From"); !strings.Contains(from, "prevent.noreply@example.nhs.net") {
			t.Errorf("From header = %q", from)
		}
	})
}

func TestSMTPFailureClassification(t *testing.T) {
	const wrongPassword = "Wr0ng-Passw0rd-Never-Shown"
	tests := []struct {
		name          string
		server        serverOptions
		noServer      bool // nothing listening on the port
		untrusted     bool // client does not trust the server certificate
		password      string
		wantTemporary bool
		wantText      string
	}{
		{
			name:     "a refused login is permanent and the error never shows the password",
			server:   serverOptions{tls: TLSStartTLS, username: testUser, password: testPassword},
			password: wrongPassword, wantTemporary: false, wantText: "logging in",
		},
		{
			name: "a recipient refused with 5xx is permanent",
			server: serverOptions{tls: TLSStartTLS, username: testUser, password: testPassword,
				rcptReply: map[string]*smtp.SMTPError{"second.commissioner@example.nhs.net": {
					Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}}},
			wantTemporary: false, wantText: "550",
		},
		{
			name: "a recipient deferred with 4xx is temporary",
			server: serverOptions{tls: TLSNone,
				rcptReply: map[string]*smtp.SMTPError{"commissioner@example.nhs.net": {
					Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}}},
			wantTemporary: true, wantText: "451",
		},
		{
			name:          "a connection dropped in the middle of the message is temporary",
			server:        serverOptions{tls: TLSStartTLS, username: testUser, password: testPassword, dropNext: 1},
			wantTemporary: true,
		},
		{
			name:          "a refused connection is temporary",
			noServer:      true,
			wantTemporary: true, wantText: "connecting",
		},
		{
			name:          "an untrusted certificate is permanent",
			server:        serverOptions{tls: TLSStartTLS},
			untrusted:     true,
			wantTemporary: false, wantText: "certificate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg SMTPConfig
			if tt.noServer {
				cfg = SMTPConfig{Host: "127.0.0.1", Port: closedPort(t), TLS: TLSStartTLS, Timeout: testTimeout}
			} else {
				ts := startServer(t, tt.server)
				cfg = clientConfig(ts, tt.server.tls)
				if !tt.untrusted {
					cfg.RootCAs = trustedRoots(t)
				}
			}
			if tt.password != "" {
				cfg.Password = tt.password
			}

			err := send(t, cfg, sampleMessage())

			var sendErr *SendError
			if !errors.As(err, &sendErr) {
				t.Fatalf("Send error = %v (%T), want *SendError", err, err)
			}
			if sendErr.Temporary != tt.wantTemporary {
				t.Errorf("Temporary = %v, want %v: %v", sendErr.Temporary, tt.wantTemporary, err)
			}
			text := err.Error()
			t.Logf("error: %s", text)
			if !strings.Contains(text, tt.wantText) {
				t.Errorf("error %q does not mention %q", text, tt.wantText)
			}
			for _, secret := range []string{wrongPassword, testPassword} {
				if strings.Contains(text, secret) {
					t.Errorf("error %q shows the password", text)
				}
			}
			if strings.ContainsAny(text, "\r\n") {
				t.Errorf("error %q is not one line", text)
			}
		})
	}
}

func TestSMTPRetryAfterDroppedConnection(t *testing.T) {
	t.Run("a delivery cut off mid-message succeeds when retried", func(t *testing.T) {
		ts := startServer(t, serverOptions{tls: TLSStartTLS, username: testUser, password: testPassword, dropNext: 1})
		cfg := clientConfig(ts, TLSStartTLS)
		cfg.RootCAs = trustedRoots(t)
		sender, err := NewSMTP(cfg)
		if err != nil {
			t.Fatalf("NewSMTP: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
		defer cancel()
		m := sampleMessage()

		err = sender.Send(ctx, m)
		var sendErr *SendError
		if !errors.As(err, &sendErr) || !sendErr.Temporary {
			t.Fatalf("first attempt: error = %v, want a temporary *SendError", err)
		}
		if n := len(ts.messages()); n != 0 {
			t.Fatalf("server kept %d messages from the cut-off delivery", n)
		}

		if err := sender.Send(ctx, m); err != nil {
			t.Fatalf("retry: %v", err)
		}
		got := ts.messages()
		if len(got) != 1 {
			t.Fatalf("server received %d messages, want 1", len(got))
		}
		checkIntact(t, parseMail(t, got[0].Data), m)
	})
}

func TestNewSMTP(t *testing.T) {
	tests := []struct {
		name         string
		cfg          SMTPConfig
		wantDescribe string
		wantErr      string
	}{
		{
			name:         "STARTTLS defaults to port 587 and the description hides the password",
			cfg:          SMTPConfig{Host: "smtp.example.nhs.net", Username: "x", Password: "hunter2-secret"},
			wantDescribe: "smtp.example.nhs.net:587 (starttls)",
		},
		{
			name:         "implicit TLS defaults to port 465",
			cfg:          SMTPConfig{Host: "smtp.example.nhs.net", TLS: "TLS"},
			wantDescribe: "smtp.example.nhs.net:465 (tls)",
		},
		{
			name:         "no TLS defaults to port 25",
			cfg:          SMTPConfig{Host: "localhost", TLS: "none"},
			wantDescribe: "localhost:25 (none)",
		},
		{
			name:    "an unknown TLS mode is rejected",
			cfg:     SMTPConfig{Host: "smtp.example.nhs.net", TLS: "ssl"},
			wantErr: `smtp tls "ssl"`,
		},
		{
			name:    "an empty host is rejected",
			cfg:     SMTPConfig{},
			wantErr: "smtp host is empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sender, err := NewSMTP(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewSMTP: %v", err)
			}
			if got := sender.Describe(); got != tt.wantDescribe {
				t.Errorf("Describe() = %q, want %q", got, tt.wantDescribe)
			}
		})
	}
}

// closedPort returns a 127.0.0.1 port on which nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return port
}

// A relay on this machine without TLS is signed in to with what it offers:
// PLAIN first, else LOGIN; one that offers neither (nor CRAM-MD5) is a
// sign-in failure naming what it offers.
func TestLocalRelaySignIn(t *testing.T) {
	for _, tc := range []struct {
		offers []string
		ok     bool
	}{
		{[]string{"LOGIN"}, true},
		{[]string{"LOGIN", "PLAIN"}, true},
		{[]string{"XOAUTH2"}, false},
	} {
		ts := startServer(t, serverOptions{tls: TLSNone, insecureAuth: true, username: testUser, password: testPassword, mechanisms: tc.offers})
		err := send(t, clientConfig(ts, TLSNone), sampleMessage())
		switch {
		case tc.ok && (err != nil || len(ts.messages()) != 1):
			t.Errorf("offering %v: %v, %d messages", tc.offers, err, len(ts.messages()))
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "it offers XOAUTH2")):
			t.Errorf("offering %v: %v", tc.offers, err)
		}
	}
}

// A password whose environment variable is unset fails the send saying
// so, before any connection: port 1 on this machine takes none, and the
// error is not that.
func TestUnsetPasswordSaysSo(t *testing.T) {
	cfg := SMTPConfig{Host: "127.0.0.1", Port: 1, From: "prevent@example.nhs.net", TLS: TLSNone, Timeout: testTimeout,
		Username: testUser, PasswordFrom: "the environment variable MY_SMTP_PW (smtp.password_env)"}
	err := send(t, cfg, sampleMessage())
	if err == nil || !strings.Contains(err.Error(), "the password is not set: put it in the environment variable MY_SMTP_PW (smtp.password_env)") {
		t.Fatalf("send: %v", err)
	}
}
