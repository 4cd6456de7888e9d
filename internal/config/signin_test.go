package config

import (
	"errors"
	"strings"
	"testing"
)

const nhsmailSMTP = `smtp:
  host: smtp.office365.com
  port: 587
  tls: starttls
  from: prevent@nhs.net
  username: prevent@nhs.net
  auth: xoauth2
  oauth2:
    token_url: https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token
    client_id: 11111111-1111-1111-1111-111111111111
    client_secret_env: TEST_PREVENT_CLIENT_SECRET
    scope: https://outlook.office365.com/.default
`

func TestSignInSettings(t *testing.T) {
	t.Run("xoauth2 reads the client secret from the environment and the scope as a list", func(t *testing.T) {
		c, err := Load(write(t, nhsmailSMTP))
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("TEST_PREVENT_CLIENT_SECRET", "cl13nt-s3cret")
		l := c.SMTPLogin()
		if l.Auth != AuthXOAUTH2 || l.Username != "prevent@nhs.net" || l.ClientSecret != "cl13nt-s3cret" ||
			l.ClientID != "11111111-1111-1111-1111-111111111111" || len(l.Scopes) != 1 ||
			l.Scopes[0] != "https://outlook.office365.com/.default" || l.Password != "" || l.Key != "smtp" {
			t.Errorf("got %+v", l)
		}
	})
	t.Run("auth defaults to password with a username and to none without", func(t *testing.T) {
		c, err := Load(write(t, "smtp: {host: smtp.example.nhs.net, from: p@example.nhs.net, username: p@example.nhs.net, password_env: TEST_PREVENT_PW}\n"))
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("TEST_PREVENT_PW", "pw")
		if l := c.SMTPLogin(); l.Auth != AuthPassword || l.Password != "pw" {
			t.Errorf("with a username: %+v", l)
		}
		c, err = Load(write(t, "smtp: {host: relay.example.nhs.net, port: 25, from: p@example.nhs.net}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if l := c.SMTPLogin(); l.Auth != AuthNone {
			t.Errorf("without a username: %+v", l)
		}
	})
	t.Run("the HSCN relay: auth none without TLS to another host is accepted", func(t *testing.T) {
		if _, err := Load(write(t, "smtp: {host: relay.example.nhs.net, port: 25, from: p@example.nhs.net, auth: none, tls: none}\n")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("credentials without TLS to a loopback address are accepted", func(t *testing.T) {
		for _, host := range []string{"127.0.0.1", "127.3.2.1", "::1", "localhost", "LOCALHOST"} {
			if _, err := Load(write(t, "smtp: {host: \""+host+"\", from: p@example.nhs.net, username: u, password_env: X, tls: none}\n")); err != nil {
				t.Errorf("%s: %v", host, err)
			}
		}
	})
	t.Run("collate.imap takes tls, defaulting to tls on 993 and 143 otherwise", func(t *testing.T) {
		c, err := Load(write(t, "collate:\n  imap: {host: imap.example.nhs.net, username: r@example.nhs.net, password_env: X}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if m := c.Collate.IMAP; m.TLS != TLSImplicit || m.Port != 993 {
			t.Errorf("got %+v", m)
		}
		c, err = Load(write(t, "collate:\n  imap: {host: 127.0.0.1, username: r@example.nhs.net, password_env: X, tls: none}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if m := c.Collate.IMAP; m.TLS != TLSNone || m.Port != 143 {
			t.Errorf("got %+v", m)
		}
	})
	t.Run("collate.imap with xoauth2 needs no password_env", func(t *testing.T) {
		text := "collate:\n  imap:\n    host: outlook.office365.com\n    username: returns@nhs.net\n    auth: xoauth2\n" +
			"    oauth2: {token_url: \"https://login.microsoftonline.com/t/oauth2/v2.0/token\", client_id: c, client_secret_env: S, scope: \"https://outlook.office365.com/.default\"}\n"
		c, err := Load(write(t, text))
		if err != nil {
			t.Fatal(err)
		}
		if l := c.IMAPLogin(); l.Auth != AuthXOAUTH2 || l.Key != "collate.imap" || l.TokenURL == "" {
			t.Errorf("got %+v", l)
		}
	})
}

func TestSignInErrors(t *testing.T) {
	oauth := func(lines string) string {
		return "smtp:\n  host: smtp.office365.com\n  from: p@nhs.net\n  username: p@nhs.net\n  auth: xoauth2\n  oauth2:\n" + lines
	}
	tests := []struct {
		name string
		yaml string
		line int
		key  string
		msg  string
	}{
		{"unknown auth",
			"smtp:\n  host: h\n  from: a@b.c\n  auth: oauth\n", 4, "smtp.auth", `unknown sign-in "oauth" (want password, xoauth2 or none)`},
		{"xoauth2 without a username",
			"smtp:\n  host: h\n  from: a@b.c\n  auth: xoauth2\n", 1, "smtp.username", "no user name given"},
		{"xoauth2 without an oauth2 block",
			"smtp:\n  host: h\n  from: a@b.c\n  username: a@b.c\n  auth: xoauth2\n", 1, "smtp.oauth2", "no oauth2 block given"},
		{"oauth2 with auth password",
			"smtp:\n  host: h\n  from: a@b.c\n  username: a@b.c\n  password_env: X\n  oauth2: {client_id: x}\n", 6, "smtp.oauth2", "only used with auth: xoauth2 (auth is password)"},
		{"explicit password without password_env",
			"smtp:\n  host: h\n  from: a@b.c\n  username: a@b.c\n  auth: password\n", 1, "smtp.password_env", "no environment variable named"},
		{"a token endpoint over http to another host",
			oauth("    token_url: http://login.example.com/token\n    client_id: c\n    client_secret_env: S\n"), 7, "smtp.oauth2.token_url",
			`"http://login.example.com/token" is not https: the client secret and the token would cross the network unencrypted`},
		{"a token endpoint that is not a web address",
			oauth("    token_url: login.example.com/token\n    client_id: c\n    client_secret_env: S\n"), 7, "smtp.oauth2.token_url", "is not a web address"},
		{"no token endpoint",
			oauth("    client_id: c\n    client_secret_env: S\n"), 6, "smtp.oauth2.token_url", "no token endpoint given"},
		{"no client ID",
			oauth("    token_url: https://login.example.com/token\n    client_secret_env: S\n"), 6, "smtp.oauth2.client_id", "no client ID given"},
		{"no client secret variable",
			oauth("    token_url: https://login.example.com/token\n    client_id: c\n"), 6, "smtp.oauth2.client_secret_env", "no environment variable named"},
		{"a password over plaintext to another host",
			"smtp:\n  host: smtp.example.nhs.net\n  from: a@b.c\n  username: a@b.c\n  password_env: X\n  tls: none\n", 6, "smtp.tls",
			"none would send the password to smtp.example.nhs.net unencrypted: use starttls or tls"},
		{"a token over plaintext to another host",
			oauth("    token_url: https://login.example.com/token\n    client_id: c\n    client_secret_env: S\n") + "  tls: none\n", 10, "smtp.tls",
			"none would send the access token to smtp.office365.com unencrypted"},
		{"a name that is not localhost is not loopback",
			"smtp:\n  host: localhost.example.com\n  from: a@b.c\n  username: a@b.c\n  password_env: X\n  tls: none\n", 6, "smtp.tls", "unencrypted"},
		{"an IMAP password over plaintext to another host",
			"collate:\n  imap:\n    host: imap.example.nhs.net\n    username: r@b.c\n    password_env: X\n    tls: none\n", 6, "collate.imap.tls",
			"none would send the password to imap.example.nhs.net unencrypted"},
		{"an unknown IMAP tls mode",
			"collate:\n  imap:\n    host: imap.example.nhs.net\n    username: r@b.c\n    password_env: X\n    tls: ssl\n", 6, "collate.imap.tls", `unknown mode "ssl"`},
		{"an IMAP token endpoint over http",
			"collate:\n  imap:\n    host: outlook.office365.com\n    username: r@b.c\n    auth: xoauth2\n    oauth2:\n      token_url: http://login.example.com/t\n      client_id: c\n      client_secret_env: S\n",
			7, "collate.imap.oauth2.token_url", "is not https"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.yaml)
			_, err := Load(p)
			t.Log(err)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want a *config.Error", err, err)
			}
			if ce.Line != tc.line || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("got line %d key %q msg %q; want line %d key %q msg containing %q", ce.Line, ce.Key, ce.Msg, tc.line, tc.key, tc.msg)
			}
		})
	}
}
