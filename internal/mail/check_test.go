package mail

import (
	"context"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/mail/mailtest"
)

func check(t *testing.T, s *SMTP, to string) ([]Step, error) {
	t.Helper()
	var steps []Step
	ctx, cancel := context.WithTimeout(context.Background(), 4*testTimeout)
	defer cancel()
	err := s.Check(ctx, &Message{To: []string{to}, Subject: "prevent mail test", Text: "It works.\n"}, func(st Step) { steps = append(steps, st) })
	for _, st := range steps {
		t.Logf("%-8s %v %s", st.Name, st.OK, st.Text)
	}
	return steps, err
}

// stepsSaid joins the steps as "Name ok|FAILED: text" lines.
func stepsSaid(steps []Step) string {
	var b strings.Builder
	for _, st := range steps {
		mark := "FAILED"
		if st.OK {
			mark = "ok"
		}
		b.WriteString(st.Name + " " + mark + ": " + st.Text + "\n")
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	t.Run("every step is said, from DNS to the server's answer", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		s := oauthSender(t, ss, ts, clientSecret)
		s.cfg.Host = "localhost" // a name, so that DNS has something to do
		steps, err := check(t, s, "admin@nhs.net")
		if err != nil {
			t.Fatal(err)
		}
		said := stepsSaid(steps)
		for _, want := range []string{
			"DNS ok: localhost is ",
			"TCP ok: connected to ",
			`SMTP ok: the server says "localhost ESMTP Service Ready"; it offers `,
			"TLS ok: TLS 1.3 (",
			"the certificate (for localhost, 127.0.0.1, ::1, issued by mail.test.nhs.net, valid until ",
			"SMTP ok: over TLS it offers ", "AUTH XOAUTH2",
			"Token ok: fetched from " + ts.URL + " for client ID " + clientID + `, scope "https://outlook.office365.com/.default"; valid until `,
			"Sign-in ok: XOAUTH2 as prevent@nhs.net: 235 ",
			"Send ok: the server took the test message for admin@nhs.net: 250 ",
		} {
			if !strings.Contains(said, want) {
				t.Errorf("the steps do not say %q:\n%s", want, said)
			}
		}
		for _, st := range steps {
			checkNoSecret(t, st.Name, st.Text, ts)
		}
		if n := len(ss.Messages()); n != 1 || ts.Requests() != 1 {
			t.Errorf("%d messages, %d token requests; want 1 and 1", n, ts.Requests())
		}
	})
	t.Run("a revoked grant stops at the sign-in with the server's answer", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		ts.RevokeAll(true)
		steps, err := check(t, oauthSender(t, ss, ts, clientSecret), "admin@nhs.net")
		if err == nil {
			t.Fatal("the check passed with a revoked grant")
		}
		last := steps[len(steps)-1]
		if last.Name != "Sign-in" || last.OK || !strings.Contains(last.Text, "535") {
			t.Errorf("last step %+v", last)
		}
		for _, st := range steps {
			checkNoSecret(t, st.Name, st.Text, ts)
		}
		checkNoSecret(t, "the error", err.Error(), ts)
	})
	t.Run("a wrong client secret stops at the token", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Tokens: ts, Username: nhsUser})
		steps, err := check(t, oauthSender(t, ss, ts, "not-the-secret"), "admin@nhs.net")
		last := steps[len(steps)-1]
		if err == nil || last.Name != "Token" || last.OK || !strings.Contains(last.Text, "invalid_client") || !strings.HasPrefix(err.Error(), "token: the token endpoint") {
			t.Errorf("last step %+v, error %v", last, err)
		}
	})
	t.Run("an untrusted certificate is described and refused", func(t *testing.T) {
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{Relay: true})
		s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: ss.Port, From: nhsUser, Timeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		steps, err := check(t, s, "admin@nhs.net")
		last := steps[len(steps)-1]
		if err == nil || last.Name != "TLS" || !strings.Contains(last.Text, "the certificate (for localhost, 127.0.0.1, ::1, issued by mail.test.nhs.net") ||
			!strings.Contains(last.Text, "is not accepted for 127.0.0.1") {
			t.Errorf("last step %+v, error %v", last, err)
		}
		if len(ss.Messages()) != 0 {
			t.Error("a message went through an untrusted server")
		}
	})
	t.Run("nothing listening is said at TCP", func(t *testing.T) {
		s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: closedPort(t), Timeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		steps, err := check(t, s, "admin@nhs.net")
		last := steps[len(steps)-1]
		if err == nil || last.Name != "TCP" || !strings.Contains(last.Text, "connection refused") || !strings.HasPrefix(err.Error(), "TCP: cannot connect") {
			t.Errorf("last step %+v, error %v", last, err)
		}
	})
	t.Run("the relay: no TLS, no sign-in", func(t *testing.T) {
		ss := mailtest.StartSMTP(t, mailtest.SMTPOptions{TLS: "none", Relay: true})
		s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: ss.Port, From: nhsUser, TLS: TLSNone, Timeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		steps, err := check(t, s, "admin@nhs.net")
		if err != nil {
			t.Fatal(err)
		}
		said := stepsSaid(steps)
		for _, want := range []string{"TLS ok: none: the connection is not encrypted", "Sign-in ok: none: no sign-in", "Send ok: the server took"} {
			if !strings.Contains(said, want) {
				t.Errorf("the steps do not say %q:\n%s", want, said)
			}
		}
	})
}
