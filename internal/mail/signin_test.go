package mail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/mail/mailtest"
)

const (
	nhsUser      = "prevent@nhs.net"
	clientID     = "5f1c0d2e-0000-4000-8000-000000000017"
	clientSecret = "Qx8~client-secret-never-shown.17"
	scope        = "https://outlook.office365.com/.default"
)

// oauthSender is a sender signing in with XOAUTH2 to ss, its tokens from ts.
func oauthSender(t *testing.T, ss *mailtest.SMTPServer, ts *mailtest.TokenServer, secret string) *SMTP {
	t.Helper()
	s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: ss.Port, From: nhsUser, TLS: TLSStartTLS, Timeout: testTimeout,
		Username: nhsUser, Auth: AuthXOAUTH2, RootCAs: mailtest.Roots(t),
		OAuth2:     OAuth2{TokenURL: ts.URL, ClientID: clientID, ClientSecret: secret, Scopes: []string{scope}},
		SecretFrom: "the environment variable PREVENT_CLIENT_SECRET (smtp.oauth2.client_secret_env)"})
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return s
}

func message(i int) *Message {
	return &Message{To: []string{"commissioner@example.nhs.net"}, Subject: fmt.Sprintf("Prevent reminder %d", i),
		Text: "Three people are due.\n", ID: fmt.Sprintf("remind.%d", i)}
}

func sendAll(t *testing.T, s *SMTP, n int) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*testTimeout)
	defer cancel()
	for i := range n {
		if err := s.Send(ctx, message(i)); err != nil {
			return err
		}
	}
	return nil
}

// checkNoSecret fails when text holds the client secret or any token granted,
// as they are or base64-encoded (as SASL carries them).
func checkNoSecret(t *testing.T, what, text string, ts *mailtest.TokenServer) {
	t.Helper()
	for _, secret := range append(ts.Granted(), clientSecret, ts.ClientSecret) {
		if strings.Contains(text, secret) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte(secret))) {
			t.Errorf("%s shows a secret: %s", what, text)
		}
		xo := base64.StdEncoding.EncodeToString(xoauth2(nhsUser, secret))
		if strings.Contains(text, xo) {
			t.Errorf("%s shows an XOAUTH2 response: %s", what, text)
		}
	}
}

func TestXOAUTH2SMTP(t *testing.T) {
	t.Run("one token is fetched for many messages", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		if err := sendAll(t, oauthSender(t, ss, ts, clientSecret), 5); err != nil {
			t.Fatal(err)
		}
		if n := ts.Requests(); n != 1 {
			t.Errorf("%d token requests for 5 messages, want 1", n)
		}
		got := ss.Messages()
		if len(got) != 5 {
			t.Fatalf("server received %d messages, want 5", len(got))
		}
		for _, m := range got {
			if m.User != nhsUser || !m.OverTLS {
				t.Errorf("message signed in as %q over TLS %v", m.User, m.OverTLS)
			}
		}
	})
	t.Run("the client secret goes in the form body, never in a header", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		if err := sendAll(t, oauthSender(t, ss, ts, clientSecret), 1); err != nil {
			t.Fatal(err)
		}
		bodies, headers := ts.Received()
		if len(bodies) != 1 || !strings.Contains(bodies[0], "client_secret=") || !strings.Contains(bodies[0], "grant_type=client_credentials") {
			t.Errorf("token request body %q", bodies)
		}
		if strings.Contains(strings.ToLower(headers[0]), "authorization") {
			t.Errorf("token request carries an Authorization header:\n%s", headers[0])
		}
	})
	t.Run("an expired token is replaced before it is used", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		s := oauthSender(t, ss, ts, clientSecret)
		clock := time.Now()
		var mu sync.Mutex
		s.creds.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		if err := sendAll(t, s, 2); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		clock = clock.Add(59*time.Minute + 30*time.Second) // within a minute of the hour's expiry
		mu.Unlock()
		if err := sendAll(t, s, 2); err != nil {
			t.Fatal(err)
		}
		if n := ts.Requests(); n != 2 {
			t.Errorf("%d token requests, want 2 (one per hour's token)", n)
		}
		if n := len(ss.Messages()); n != 4 {
			t.Errorf("%d messages delivered, want 4", n)
		}
	})
	t.Run("a token the server refuses is replaced once and the message goes", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		s := oauthSender(t, ss, ts, clientSecret)
		if err := sendAll(t, s, 1); err != nil {
			t.Fatal(err)
		}
		ts.Revoke(ts.Granted()[0]) // expired early on the server's side
		if err := sendAll(t, s, 1); err != nil {
			t.Fatalf("send after the token was revoked: %v", err)
		}
		if n := ts.Requests(); n != 2 {
			t.Errorf("%d token requests, want 2", n)
		}
		want := []string{"XOAUTH2 prevent@nhs.net ok", "XOAUTH2 prevent@nhs.net refused", "XOAUTH2 prevent@nhs.net ok"}
		if got := ss.Logins(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("logins %q, want %q", got, want)
		}
	})
	t.Run("a revoked grant fails cleanly after one refresh, and the next run goes through", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		ts.RevokeAll(true)
		err := sendAll(t, oauthSender(t, ss, ts, clientSecret), 1)
		var se *SendError
		if !errors.As(err, &se) {
			t.Fatalf("error %v (%T), want a *SendError", err, err)
		}
		text := err.Error()
		t.Log(text)
		if se.Temporary || !strings.Contains(text, `logging in as "prevent@nhs.net"`) || !strings.Contains(text, "535") || strings.ContainsAny(text, "\r\n") {
			t.Errorf("error %q: want a permanent one-line login failure with the server's 535", text)
		}
		checkNoSecret(t, "the error", text, ts)
		if n := ts.Requests(); n != 2 {
			t.Errorf("%d token requests, want 2 (the first and one refresh)", n)
		}
		if n := len(ss.Messages()); n != 0 {
			t.Fatalf("%d messages delivered with a revoked grant", n)
		}

		ts.RevokeAll(false) // the administrator gives the access back
		if err := sendAll(t, oauthSender(t, ss, ts, clientSecret), 1); err != nil {
			t.Fatalf("the next run: %v", err)
		}
		if n := len(ss.Messages()); n != 1 {
			t.Errorf("%d messages delivered on the next run, want 1", n)
		}
	})
	t.Run("a wrong client secret gives one clear sentence and no sign-in", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		const wrong = "Wr0ng~secret-value-also-never-shown"
		err := sendAll(t, oauthSender(t, ss, ts, wrong), 1)
		if err == nil {
			t.Fatal("sent with a wrong client secret")
		}
		text := err.Error()
		t.Log(text)
		want := "getting an access token: the token endpoint " + ts.URL + " refused the client ID " + clientID +
			" or its secret (invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.):" +
			" check oauth2.client_id and the secret in the environment variable PREVENT_CLIENT_SECRET (smtp.oauth2.client_secret_env)"
		if !strings.HasSuffix(text, want) {
			t.Errorf("error\n %q\nwant it to end\n %q", text, want)
		}
		if strings.Contains(text, wrong) || strings.Contains(text, "Trace ID") || strings.ContainsAny(text, "\r\n") {
			t.Errorf("error %q shows the secret, trace IDs or more than one line", text)
		}
		if got := ss.Logins(); len(got) != 0 {
			t.Errorf("signed in without a token: %q", got)
		}
	})
	t.Run("a client secret not set is said before anything is sent", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		err := sendAll(t, oauthSender(t, ss, ts, ""), 1)
		if err == nil || !strings.Contains(err.Error(), "the client secret is not set: put it in the environment variable PREVENT_CLIENT_SECRET (smtp.oauth2.client_secret_env)") {
			t.Errorf("error %v", err)
		}
		if ts.Requests() != 0 {
			t.Errorf("asked for a token without a secret")
		}
	})
	t.Run("the relay takes mail with auth none and no TLS", func(t *testing.T) {
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{TLS: "none", Relay: true})
		s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: ss.Port, From: nhsUser, TLS: TLSNone, Auth: AuthNone, Timeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		if err := sendAll(t, s, 2); err != nil {
			t.Fatal(err)
		}
		got := ss.Messages()
		if len(got) != 2 || got[0].User != "" || got[0].OverTLS || len(ss.Logins()) != 0 {
			t.Errorf("relay received %+v, logins %q", got, ss.Logins())
		}
	})
}

func TestSignInRefusedUnencrypted(t *testing.T) {
	tests := []struct {
		name string
		cfg  SMTPConfig
		want string
	}{
		{"a password without TLS to another host",
			SMTPConfig{Host: "smtp.example.nhs.net", TLS: TLSNone, Username: "u", Password: "p"}, "not sent unencrypted"},
		{"a token without TLS to another host",
			SMTPConfig{Host: "smtp.office365.com", TLS: TLSNone, Username: "u", Auth: AuthXOAUTH2,
				OAuth2: OAuth2{TokenURL: "https://login.microsoftonline.com/t/oauth2/v2.0/token"}}, "not sent unencrypted"},
		{"a token endpoint over http to another host",
			SMTPConfig{Host: "smtp.office365.com", Username: "u", Auth: AuthXOAUTH2,
				OAuth2: OAuth2{TokenURL: "http://login.example.com/token"}}, "is not https"},
		{"an unknown sign-in",
			SMTPConfig{Host: "smtp.office365.com", Auth: "oauth"}, `sign-in "oauth" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSMTP(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("a password without TLS to loopback is allowed", func(t *testing.T) {
		if _, err := NewSMTP(SMTPConfig{Host: "localhost", TLS: TLSNone, Username: "u", Password: "p"}); err != nil {
			t.Error(err)
		}
	})
}

func TestXOAUTH2InitialResponse(t *testing.T) {
	start, ir, err := (&xoauth2Client{user: "returns@nhs.net", token: "tok"}).Start()
	if err != nil || start != "XOAUTH2" || string(ir) != "user=returns@nhs.net\x01auth=Bearer tok\x01\x01" {
		t.Errorf("Start() = %q %q %v", start, ir, err)
	}
	user, token, ok := mailtest.ParseXOAUTH2(ir)
	if !ok || user != "returns@nhs.net" || token != "tok" {
		t.Errorf("the test server reads it as %q %q %v", user, token, ok)
	}
}
