package mail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/nhs-prevent/prevent/internal/loopback"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Sign-in modes of a Login.
const (
	AuthPassword = "password" // user name and password (SMTP AUTH PLAIN/LOGIN, IMAP LOGIN)
	AuthXOAUTH2  = "xoauth2"  // OAuth 2.0 client-credentials token, SASL XOAUTH2
	AuthNone     = "none"     // no sign-in: a relay that takes mail from known addresses
)

// Login says how to sign in to a mail server. Its secrets come from the
// environment; they are never printed, logged or stored.
type Login struct {
	Auth     string // AuthPassword, AuthXOAUTH2 or AuthNone; "" is password with a Username, else none
	Username string
	Password string // AuthPassword
	OAuth2   OAuth2 // AuthXOAUTH2

	// PasswordFrom and SecretFrom say where the secrets are read from, for
	// the message when one is empty, e.g. "the environment variable
	// PREVENT_SMTP_PASSWORD (smtp.password_env)".
	PasswordFrom, SecretFrom string
}

// OAuth2 is a client-credentials grant: the application's own token, for
// the mailbox it has been given access to.
type OAuth2 struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scopes       []string
	// HTTPClient fetches the token; nil uses one with a 30-second timeout.
	HTTPClient *http.Client
}

// tokenMargin is how long before its expiry a token is renewed, so that it
// does not run out in the middle of a conversation.
const tokenMargin = time.Minute

// Credentials signs in with a Login. With AuthXOAUTH2 it holds the token it
// was given until the token expires, so that many messages need one token
// request. It is safe for concurrent use.
type Credentials struct {
	login Login
	now   func() time.Time

	mu      sync.Mutex
	token   *oauth2.Token
	expiry  time.Time // the token's expiry on the now clock; zero when it gave none
	secrets []string  // the password, the client secret and every token had, for Redact
	// onToken, when set, hears of each token fetched (its expiry; never the
	// token), for `prevent mail test`.
	onToken func(expiry time.Time)
}

// NewCredentials checks l and returns credentials that fetch no token until
// the first sign-in.
func NewCredentials(l Login) (*Credentials, error) {
	l.Auth = strings.ToLower(strings.TrimSpace(l.Auth))
	if l.Auth == "" {
		l.Auth = AuthNone
		if l.Username != "" {
			l.Auth = AuthPassword
		}
	}
	c := &Credentials{login: l, now: time.Now}
	switch l.Auth {
	case AuthNone, AuthPassword:
	case AuthXOAUTH2:
		u, err := url.Parse(l.OAuth2.TokenURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("token endpoint %q is not a web address", l.OAuth2.TokenURL)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && loopback.Is(u.Hostname())) {
			return nil, fmt.Errorf("token endpoint %s is not https: the client secret would cross the network unencrypted", l.OAuth2.TokenURL)
		}
	default:
		return nil, fmt.Errorf("sign-in %q is not one of %s, %s, %s", l.Auth, AuthPassword, AuthXOAUTH2, AuthNone)
	}
	c.remember(l.Password)
	c.remember(l.OAuth2.ClientSecret)
	return c, nil
}

// RefuseUnencrypted says why these credentials may not go to host over a
// connection without TLS: they would cross the network readable. It is nil
// for AuthNone, and for this machine (localhost, 127.0.0.0/8, ::1).
func (c *Credentials) RefuseUnencrypted(host string) error {
	if c.Auth() == AuthNone || loopback.Is(host) {
		return nil
	}
	return fmt.Errorf("credentials are not sent unencrypted to %s (only to this machine): use tls or starttls", host)
}

// Auth is the sign-in mode: AuthPassword, AuthXOAUTH2 or AuthNone.
func (c *Credentials) Auth() string { return c.login.Auth }

// Username is the mailbox signed in as.
func (c *Credentials) Username() string { return c.login.Username }

// password is the password for AuthPassword.
func (c *Credentials) password() (string, error) {
	if c.login.Password == "" {
		return "", &signInError{text: "the password is not set: put it in " + from(c.login.PasswordFrom, "the environment")}
	}
	return c.login.Password, nil
}

// accessToken returns the token held, or fetches one when there is none,
// it is about to expire, or fresh asks for a new one (the server refused
// the one held: revoked, or expired early).
func (c *Credentials) accessToken(ctx context.Context, fresh bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !fresh && c.token != nil && (c.expiry.IsZero() || c.now().Add(tokenMargin).Before(c.expiry)) {
		return c.token.AccessToken, nil
	}
	c.token = nil
	o := c.login.OAuth2
	if o.ClientSecret == "" {
		return "", &signInError{text: "the client secret is not set: put it in " + from(c.login.SecretFrom, "the environment")}
	}
	grant := clientcredentials.Config{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: o.TokenURL, Scopes: o.Scopes,
		// The secret goes in the form body, never in a header a proxy might log.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	tok, err := grant.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	if err != nil {
		return "", c.tokenError(err)
	}
	if tok.AccessToken == "" {
		return "", &signInError{text: fmt.Sprintf("the token endpoint %s answered without an access token", o.TokenURL)}
	}
	c.token, c.expiry = tok, time.Time{}
	if !tok.Expiry.IsZero() {
		c.expiry = c.now().Add(time.Until(tok.Expiry))
	}
	c.remember(tok.AccessToken)
	if c.onToken != nil {
		c.onToken(c.expiry)
	}
	return tok.AccessToken, nil
}

// tokenError says in one sentence why no token was had.
func (c *Credentials) tokenError(err error) error {
	o := c.login.OAuth2
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		said := re.ErrorCode
		if d := firstLine(re.ErrorDescription); d != "" {
			said += ": " + d
		}
		if said == "" {
			said = fmt.Sprintf("HTTP %d", status)
		}
		switch re.ErrorCode {
		case "invalid_client", "unauthorized_client":
			return &signInError{text: fmt.Sprintf("the token endpoint %s refused the client ID %s or its secret (%s): check oauth2.client_id and the secret in %s",
				o.TokenURL, o.ClientID, said, from(c.login.SecretFrom, "the environment"))}
		case "invalid_scope":
			return &signInError{text: fmt.Sprintf("the token endpoint %s refused the scope %q (%s): check oauth2.scope (NHSmail: https://outlook.office365.com/.default)",
				o.TokenURL, strings.Join(o.Scopes, " "), said)}
		}
		return &signInError{text: fmt.Sprintf("the token endpoint %s refused to give a token (%s)", o.TokenURL, said),
			temporary: status >= 500 || status == http.StatusTooManyRequests}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the address is said below, once
	}
	return &signInError{text: fmt.Sprintf("cannot reach the token endpoint %s: %v", o.TokenURL, err), temporary: true, cause: err}
}

// remember notes a secret for Redact.
func (c *Credentials) remember(secret string) {
	if secret == "" {
		return
	}
	for _, s := range c.secrets {
		if s == secret {
			return
		}
	}
	c.secrets = append(c.secrets, secret)
}

// Redact removes every secret these credentials have held (the password,
// the client secret, each token, and their base64 forms as they travel in
// SASL) from s.
func (c *Credentials) Redact(s string) string {
	c.mu.Lock()
	secrets := append([]string(nil), c.secrets...)
	c.mu.Unlock()
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
		s = strings.ReplaceAll(s, base64.StdEncoding.EncodeToString([]byte(secret)), "[redacted]")
		s = strings.ReplaceAll(s, url.QueryEscape(secret), "[redacted]")
	}
	return s
}

// xoauth2 is the SASL XOAUTH2 initial response: the mailbox and its token.
func xoauth2(user, token string) []byte {
	return []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")
}

// signInError is a sign-in that could not start: a secret not set, a token
// refused or not had. Its text never holds a secret.
type signInError struct {
	text      string
	temporary bool
	cause     error
}

func (e *signInError) Error() string { return e.text }

func (e *signInError) Unwrap() error { return e.cause }

func from(where, otherwise string) string {
	if where == "" {
		return otherwise
	}
	return where
}

// firstLine keeps what a person needs of a token endpoint's description:
// Azure AD follows its sentence with trace and correlation IDs.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, " Trace ID:"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
