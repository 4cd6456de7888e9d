package collate_test

import (
	"crypto/tls"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/mail/mailtest"
)

const (
	nhsReturns   = "returns@nhs.net"
	clientID     = "8a0c1b2d-0000-4000-8000-000000000017"
	clientSecret = "imap~client-secret-never-shown.17"
	scope        = "https://outlook.office365.com/.default"
)

// nhsmailMailbox is a mailbox on an in-process IMAP server that, like
// NHSmail, takes only XOAUTH2 with the tokens of ts.
func nhsmailMailbox(t *testing.T, ts *mailtest.TokenServer, tlsMode string) (*mailtest.IMAPServer, collate.Mailbox) {
	t.Helper()
	is := mailtest.StartIMAP(t, mailtest.IMAPOptions{TLS: tlsMode, Username: nhsReturns, Tokens: ts})
	return is, collate.Mailbox{Host: "127.0.0.1", Port: is.Port, Username: nhsReturns, TLS: tlsMode,
		Folder: "INBOX", ProcessedFolder: "Prevent returns processed", TLSConfig: &tls.Config{RootCAs: mailtest.Roots(t)},
		Auth: mail.AuthXOAUTH2, OAuth2: mail.OAuth2{TokenURL: ts.URL, ClientID: clientID, ClientSecret: clientSecret, Scopes: []string{scope}},
		SecretFrom: "the environment variable PREVENT_IMAP_CLIENT_SECRET (collate.imap.oauth2.client_secret_env)"}
}

func noSecret(t *testing.T, text string, ts *mailtest.TokenServer) {
	t.Helper()
	for _, s := range append(ts.Granted(), clientSecret) {
		if strings.Contains(text, s) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte(s))) {
			t.Errorf("%q shows a secret", text)
		}
	}
}

func TestFetchXOAUTH2(t *testing.T) {
	return1 := withAttachments("returns@alpha.nhs.net", "Q2 Prevent return", map[string][]byte{
		"RA1 Prevent return 2026-27Q2.csv": csvOf(t, build(t, q2, "RA1", "Alpha NHS Trust", twoOrgs))})
	arrived := time.Date(2026, 10, 5, 9, 30, 0, 0, time.UTC)

	for _, tlsMode := range []string{"tls", "none"} {
		t.Run("returns are fetched signing in with a token over "+tlsMode, func(t *testing.T) {
			ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
			is, mb := nhsmailMailbox(t, ts, tlsMode)
			is.Deliver(t, return1, arrived)
			got, err := collate.Fetch(ctx, mb, filepath.Join(t.TempDir(), "returns"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Files) != 1 || got.Messages != 1 {
				t.Errorf("fetched %+v", got)
			}
			if n := is.Count(t, "Prevent returns processed"); n != 1 {
				t.Errorf("%d messages moved, want 1", n)
			}
			if l := is.Logins(); len(l) != 1 || l[0] != "XOAUTH2 returns@nhs.net ok" {
				t.Errorf("logins %q", l)
			}
			if ts.Requests() != 1 {
				t.Errorf("%d token requests, want 1", ts.Requests())
			}
		})
	}
	t.Run("a password is refused where only tokens are taken", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		_, mb := nhsmailMailbox(t, ts, "tls")
		mb.Auth, mb.Password = mail.AuthPassword, "old-password"
		_, err := collate.Fetch(ctx, mb, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "cannot sign in") || strings.Contains(err.Error(), "old-password") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a revoked grant fails after one refresh, and the next run fetches", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		is, mb := nhsmailMailbox(t, ts, "tls")
		is.Deliver(t, return1, arrived)
		ts.RevokeAll(true)
		_, err := collate.Fetch(ctx, mb, t.TempDir())
		if err == nil {
			t.Fatal("fetched with a revoked grant")
		}
		t.Log(err)
		if !strings.Contains(err.Error(), "cannot sign in: imap: NO [AUTHENTICATIONFAILED] AUTHENTICATE failed.") || !strings.Contains(err.Error(), `the server said {"status":"401"`) {
			t.Errorf("error %q", err)
		}
		noSecret(t, err.Error(), ts)
		if n := ts.Requests(); n != 2 {
			t.Errorf("%d token requests, want 2 (the first and one refresh)", n)
		}
		if n := is.Count(t, "INBOX"); n != 1 {
			t.Errorf("%d messages in INBOX after the failed fetch, want 1 (left for the next run)", n)
		}
		ts.RevokeAll(false)
		got, err := collate.Fetch(ctx, mb, t.TempDir())
		if err != nil || len(got.Files) != 1 {
			t.Errorf("the next run: %+v %v", got, err)
		}
	})
	t.Run("a wrong client secret gives one clear sentence", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		is, mb := nhsmailMailbox(t, ts, "tls")
		mb.OAuth2.ClientSecret = "wrong~secret~never~shown"
		_, err := collate.Fetch(ctx, mb, t.TempDir())
		if err == nil {
			t.Fatal("fetched with a wrong secret")
		}
		text := err.Error()
		t.Log(text)
		if !strings.Contains(text, "cannot sign in: getting an access token: the token endpoint "+ts.URL+" refused the client ID "+clientID+
			" or its secret (invalid_client: AADSTS7000215: Invalid client secret provided.") ||
			!strings.HasSuffix(text, "check oauth2.client_id and the secret in the environment variable PREVENT_IMAP_CLIENT_SECRET (collate.imap.oauth2.client_secret_env)") {
			t.Errorf("error %q", text)
		}
		if strings.Contains(text, "wrong~secret") || strings.ContainsAny(text, "\r\n") {
			t.Errorf("error %q shows the secret or is more than one line", text)
		}
		if len(is.Logins()) != 0 {
			t.Errorf("signed in without a token: %q", is.Logins())
		}
	})
	t.Run("credentials are not sent without TLS to another machine", func(t *testing.T) {
		ts := mailtest.StartTokenServer(t, clientID, clientSecret, scope)
		_, mb := nhsmailMailbox(t, ts, "none")
		mb.Host = "imap.example.nhs.net"
		_, err := collate.Fetch(ctx, mb, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "not sent unencrypted") || ts.Requests() != 0 {
			t.Errorf("got %v", err)
		}
	})
}
