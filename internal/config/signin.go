package config

import (
	"github.com/nhs-prevent/prevent/internal/loopback"
	"net/url"
	"os"
	"slices"
	"strings"
)

// Sign-in modes of smtp.auth and collate.imap.auth.
const (
	AuthPassword = "password" // a user name and a password from the environment
	AuthXOAUTH2  = "xoauth2"  // an OAuth 2.0 token (client-credentials grant), SASL XOAUTH2
	AuthNone     = "none"     // no sign-in: a relay that takes mail from known addresses
)

// OAuth2 is how a token is had for auth: xoauth2, by the OAuth 2.0
// client-credentials grant (an Azure AD app registration, for NHSmail).
type OAuth2 struct {
	// TokenURL is the token endpoint, e.g.
	// https://login.microsoftonline.com/TENANT/oauth2/v2.0/token.
	TokenURL string `yaml:"token_url"`
	ClientID string `yaml:"client_id"`
	// ClientSecretEnv names the environment variable holding the client
	// secret, so the secret never sits in the file.
	ClientSecretEnv string `yaml:"client_secret_env"`
	// Scope is asked for in the token request; several are separated by
	// spaces. NHSmail: https://outlook.office365.com/.default.
	Scope string `yaml:"scope"`
}

// ResolveAuth is the sign-in mode an auth key stands for: as given (in lower
// case), else password when a username is given and none when not.
func ResolveAuth(auth, username string) string {
	auth = strings.ToLower(strings.TrimSpace(auth))
	if auth != "" {
		return auth
	}
	if strings.TrimSpace(username) != "" {
		return AuthPassword
	}
	return AuthNone
}

// MailLogin is how to sign in to a mail server, with its secrets read from
// the environment. Mail packages turn it into a sign-in; it is never
// printed or stored.
type MailLogin struct {
	Auth     string // AuthPassword, AuthXOAUTH2 or AuthNone
	Username string
	Password string // AuthPassword

	TokenURL, ClientID, ClientSecret string // AuthXOAUTH2
	Scopes                           []string

	// PasswordEnv and ClientSecretEnv name where the secrets come from, for
	// messages saying that one is not set.
	PasswordEnv, ClientSecretEnv string
	// Key is the config block, "smtp" or "collate.imap", for messages.
	Key string
}

// SMTPLogin is the sign-in for smtp:; the zero MailLogin without one.
func (c *Config) SMTPLogin() MailLogin {
	s := c.SMTP
	if s == nil {
		return MailLogin{}
	}
	return mailLogin("smtp", s.Auth, s.Username, s.PasswordEnv, s.OAuth2)
}

// IMAPLogin is the sign-in for collate.imap; the zero MailLogin without one.
func (c *Config) IMAPLogin() MailLogin {
	m := c.Collate.IMAP
	if m == nil {
		return MailLogin{}
	}
	return mailLogin("collate.imap", m.Auth, m.Username, m.PasswordEnv, m.OAuth2)
}

func mailLogin(key, auth, username, passwordEnv string, o *OAuth2) MailLogin {
	l := MailLogin{Key: key, Auth: ResolveAuth(auth, username), Username: strings.TrimSpace(username)}
	switch l.Auth {
	case AuthPassword:
		l.PasswordEnv = passwordEnv
		if passwordEnv != "" {
			l.Password = os.Getenv(passwordEnv)
		}
	case AuthXOAUTH2:
		if o != nil {
			l.TokenURL, l.ClientID = strings.TrimSpace(o.TokenURL), strings.TrimSpace(o.ClientID)
			l.ClientSecretEnv = o.ClientSecretEnv
			if o.ClientSecretEnv != "" {
				l.ClientSecret = os.Getenv(o.ClientSecretEnv)
			}
			l.Scopes = strings.Fields(o.Scope)
		}
	}
	return l
}

// signIn is what validateSignIn checks of an smtp: or collate.imap block.
type signIn struct {
	auth, username, passwordEnv string
	host, tls                   string // tls normalised
	oauth2                      *OAuth2
}

// validateSignIn checks auth and oauth2, and refuses a config that would
// send a password, token or client secret unencrypted to another machine.
func (c *Config) validateSignIn(at path, s signIn) *Error {
	auth := ResolveAuth(s.auth, s.username)
	if !slices.Contains([]string{AuthPassword, AuthXOAUTH2, AuthNone}, auth) {
		return c.errorf(at.with("auth"), "unknown sign-in %q (want password, xoauth2 or none)", s.auth)
	}
	explicit := strings.TrimSpace(s.auth) != ""
	switch {
	case auth != AuthNone && strings.TrimSpace(s.username) == "":
		return c.errorf(at.with("username"), "no user name given (auth %s signs in as a mailbox, e.g. prevent@example.nhs.net)", auth)
	case auth == AuthPassword && explicit && strings.TrimSpace(s.passwordEnv) == "":
		return c.errorf(at.with("password_env"), "no environment variable named (the password never sits in the file)")
	case auth == AuthXOAUTH2 && s.oauth2 == nil:
		return c.errorf(at.with("oauth2"), "no oauth2 block given (auth xoauth2 needs token_url, client_id, client_secret_env and scope)")
	case auth != AuthXOAUTH2 && s.oauth2 != nil:
		return c.errorf(at.with("oauth2"), "only used with auth: xoauth2 (auth is %s)", auth)
	}
	if auth == AuthXOAUTH2 {
		if err := c.validateOAuth2(at.with("oauth2"), s.oauth2); err != nil {
			return err
		}
	}
	if auth != AuthNone && s.tls == TLSNone && !loopback.Is(s.host) {
		what := map[string]string{AuthPassword: "the password", AuthXOAUTH2: "the access token"}[auth]
		return c.errorf(at.with("tls"), "none would send %s to %s unencrypted: use starttls or tls "+
			"(credentials go without encryption only to a loopback address: 127.0.0.1, ::1 or localhost), "+
			"or auth: none for a relay that takes mail without signing in", what, s.host)
	}
	return nil
}

func (c *Config) validateOAuth2(at path, o *OAuth2) *Error {
	raw := strings.TrimSpace(o.TokenURL)
	if raw == "" {
		return c.errorf(at.with("token_url"), "no token endpoint given (NHSmail: https://login.microsoftonline.com/TENANT-ID/oauth2/v2.0/token)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return c.errorf(at.with("token_url"), "%q is not a web address (want https://...)", o.TokenURL)
	}
	if u.Scheme != "https" && !loopback.Is(u.Hostname()) {
		return c.errorf(at.with("token_url"), "%q is not https: the client secret and the token would cross the network unencrypted "+
			"(http is allowed only to a loopback address: 127.0.0.1, ::1 or localhost)", o.TokenURL)
	}
	switch {
	case strings.TrimSpace(o.ClientID) == "":
		return c.errorf(at.with("client_id"), "no client ID given (the application (client) ID of the app registration)")
	case strings.TrimSpace(o.ClientSecretEnv) == "":
		return c.errorf(at.with("client_secret_env"), "no environment variable named (the client secret never sits in the file)")
	}
	return nil
}
