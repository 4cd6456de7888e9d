package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"
	gomaillog "github.com/wneessen/go-mail/log"
	gomailsmtp "github.com/wneessen/go-mail/smtp"
)

// TLS modes for SMTPConfig.TLS.
const (
	TLSStartTLS = "starttls" // plain connect, then STARTTLS is mandatory (NHSmail: port 587)
	TLSImplicit = "tls"      // TLS from the first byte (SMTPS, port 465)
	TLSNone     = "none"     // no encryption at all: only for a relay on the local host
)

// DefaultTimeout bounds connecting and each step of the SMTP conversation
// when SMTPConfig.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// SMTPConfig says how to reach the SMTP server.
type SMTPConfig struct {
	Host     string
	Port     int // 587 for starttls, 465 for tls, 25 for none when zero
	Username string
	Password string
	From     string // sender for messages that name none
	TLS      string // TLSStartTLS (when empty), TLSImplicit or TLSNone
	Timeout  time.Duration

	// Auth is AuthPassword, AuthXOAUTH2 or AuthNone; when empty, password
	// with a Username and none without. OAuth2 gets the token for
	// AuthXOAUTH2; PasswordFrom and SecretFrom say where the secrets come
	// from, for the message when one is not set.
	Auth                     string
	OAuth2                   OAuth2
	PasswordFrom, SecretFrom string

	// InsecureSkipVerify and RootCAs exist for tests against a server with a
	// self-signed certificate; production leaves them unset.
	InsecureSkipVerify bool
	RootCAs            *x509.CertPool
}

// SMTP sends messages through an SMTP server, one connection per message.
// It is safe for concurrent use.
type SMTP struct {
	cfg   SMTPConfig
	creds *Credentials
	opts  []gomail.Option // everything but the sign-in
	// logger, when set, hears the SMTP conversation (sign-in data left
	// out), for `prevent mail test`.
	logger gomaillog.Logger
}

// NewSMTP checks cfg and prepares a sender; it does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if strings.TrimSpace(cfg.Host) == "" {
		return nil, errors.New("smtp host is empty")
	}
	cfg.TLS = strings.ToLower(strings.TrimSpace(cfg.TLS))
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}

	var opts []gomail.Option
	switch cfg.TLS {
	case TLSStartTLS:
		if cfg.Port == 0 {
			cfg.Port = gomail.DefaultPortTLS
		}
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		if cfg.Port == 0 {
			cfg.Port = gomail.DefaultPortSSL
		}
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		if cfg.Port == 0 {
			cfg.Port = gomail.DefaultPort
		}
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("smtp tls %q is not one of %s, %s, %s", cfg.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp port %d is not between 1 and 65535", cfg.Port)
	}
	creds, err := NewCredentials(Login{Auth: cfg.Auth, Username: cfg.Username, Password: cfg.Password,
		OAuth2: cfg.OAuth2, PasswordFrom: cfg.PasswordFrom, SecretFrom: cfg.SecretFrom})
	if err != nil {
		return nil, fmt.Errorf("smtp sign-in: %w", err)
	}
	if cfg.TLS == TLSNone {
		if err := creds.RefuseUnencrypted(cfg.Host); err != nil {
			return nil, fmt.Errorf("smtp: %w", err)
		}
	}

	opts = append(opts,
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithTLSConfig(&tls.Config{
			ServerName:         cfg.Host,
			MinVersion:         tls.VersionTLS12,
			RootCAs:            cfg.RootCAs,
			InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // tests only, documented on the field
		}),
	)
	s := &SMTP{cfg: cfg, creds: creds, opts: opts}
	if _, err := gomail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("smtp client for %s: %w", cfg.Host, err)
	}
	return s, nil
}

// Describe names the server and how the connection is secured.
func (s *SMTP) Describe() string {
	return fmt.Sprintf("%s (%s)", net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)), s.cfg.TLS)
}

// Send delivers m over a fresh connection. ctx bounds connecting; once
// connected, the conversation is bounded by the configured Timeout (go-mail
// holds its connection lock while waiting for a reply, so it cannot be
// interrupted from outside any sooner).
//
// With XOAUTH2 the token held is used until it expires; when the server
// refuses it (revoked, or expired early), one fresh token is fetched and
// the sign-in tried once more before the send fails.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	_, err := s.send(ctx, m)
	return err
}

// send is Send, returning the server's answer to the message.
func (s *SMTP) send(ctx context.Context, m *Message) (string, error) {
	msg, err := m.build(s.cfg.From)
	if err != nil {
		return "", s.fail(m, false, fmt.Errorf("building the message: %w", err))
	}
	if err := ctx.Err(); err != nil {
		return "", s.fail(m, true, err)
	}

	client, conn, err := s.dial(ctx, false)
	if err != nil && s.creds.Auth() == AuthXOAUTH2 && isLoginFailure(err) {
		client, conn, err = s.dial(ctx, true)
	}
	if err != nil {
		var se *signInError
		switch {
		case errors.As(err, &se) && s.creds.Auth() == AuthPassword:
			return "", s.fail(m, se.temporary, fmt.Errorf("logging in as %q: %w", s.cfg.Username, err))
		case errors.As(err, &se):
			return "", s.fail(m, se.temporary, fmt.Errorf("getting an access token: %w", err))
		case isLoginFailure(err):
			return "", s.fail(m, temporary(err), fmt.Errorf("logging in as %q: %w", s.cfg.Username, err))
		}
		return "", s.fail(m, temporary(err), fmt.Errorf("connecting: %w", err))
	}
	err = client.SendWithSMTPClient(conn, msg)
	if err != nil && !msg.IsDelivered() {
		_ = conn.Close()
		return "", s.fail(m, temporary(err), err)
	}
	// The server has accepted the message: a failing RSET or QUIT after that
	// must not make the caller send it again.
	_ = client.CloseWithSMTPClient(conn)
	return msg.ServerResponse(), nil
}

// dial connects and signs in; fresh asks for a new token.
func (s *SMTP) dial(ctx context.Context, fresh bool) (*gomail.Client, *gomailsmtp.Client, error) {
	opts := append([]gomail.Option(nil), s.opts...)
	switch s.creds.Auth() {
	case AuthPassword:
		password, err := s.creds.password() // "" when its variable is unset: say so, not the server
		if err != nil {
			return nil, nil, err
		}
		if s.cfg.TLS == TLSNone {
			// Only to a relay on this machine (New refuses any other host):
			// auto-discovery would never choose PLAIN or LOGIN here, which
			// is what a local relay offers.
			opts = append(opts, gomail.WithSMTPAuthCustom(&localAuth{user: s.cfg.Username, pass: password, host: s.cfg.Host}))
			break
		}
		// Auto-discovery picks the strongest mechanism the server offers,
		// and offers PLAIN and LOGIN only over an encrypted connection.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(password))
	case AuthXOAUTH2:
		token, err := s.creds.accessToken(ctx, fresh)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthXOAUTH2),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(token))
	}
	if s.logger != nil {
		opts = append(opts, gomail.WithLogger(s.logger), gomail.WithDebugLog())
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, nil, err
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	return client, conn, err
}

// fail wraps err as a *SendError whose text names the message and server
// in one line and never contains a password, client secret or token.
func (s *SMTP) fail(m *Message, temporary bool, err error) *SendError {
	text := fmt.Sprintf("sending %q to %s through %s: %v",
		m.Subject, strings.Join(m.To, ", "), s.Describe(), err)
	text = oneLine.Replace(text) // multi-line server replies
	text = s.creds.Redact(text)
	return &SendError{Temporary: temporary, Err: &deliveryError{text: text, cause: err}}
}

var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// deliveryError carries a cleaned-up text for an underlying cause.
type deliveryError struct {
	text  string
	cause error
}

func (e *deliveryError) Error() string { return e.text }

func (e *deliveryError) Unwrap() error { return e.cause }

// localAuth signs in with a password over an unencrypted connection to a
// relay on the loopback interface, with the first of PLAIN, LOGIN and
// CRAM-MD5 the relay offers.
type localAuth struct {
	user, pass, host string
	chosen           gomailsmtp.Auth
}

func (a *localAuth) Start(si *gomailsmtp.ServerInfo) (string, []byte, error) {
	offers := func(m string) bool {
		return slices.ContainsFunc(si.Auth, func(o string) bool { return strings.EqualFold(o, m) })
	}
	switch {
	case offers("PLAIN"):
		a.chosen = gomailsmtp.PlainAuth("", a.user, a.pass, a.host, true)
	case offers("LOGIN"):
		a.chosen = gomailsmtp.LoginAuth(a.user, a.pass, a.host, true)
	case offers("CRAM-MD5"):
		a.chosen = gomailsmtp.CRAMMD5Auth(a.user, a.pass)
	default:
		return "", nil, fmt.Errorf("server does not support SMTP AUTH with a password over an unencrypted connection (it offers %s; prevent uses PLAIN, LOGIN or CRAM-MD5)",
			strings.Join(si.Auth, " "))
	}
	return a.chosen.Start(si)
}

func (a *localAuth) Next(from []byte, more bool) ([]byte, error) { return a.chosen.Next(from, more) }

// isLoginFailure reports whether a dial error happened at SMTP AUTH.
func isLoginFailure(err error) bool {
	return strings.HasPrefix(err.Error(), "SMTP AUTH failed") ||
		strings.HasPrefix(err.Error(), "server does not support SMTP AUTH") ||
		errors.Is(err, gomail.ErrNoSupportedAuthDiscovered)
}

// temporary reports whether trying the same delivery later may succeed: the
// server said so with a 4xx reply, or the network let us down. A 5xx reply
// (bad credentials, unknown recipient) and a configuration problem
// (certificate, missing STARTTLS or AUTH support) need a person to act first.
func temporary(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return reply.Code >= 400 && reply.Code < 500
	}
	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) {
		if code := sendErr.ErrorCode(); code >= 400 {
			return code < 500
		}
		switch sendErr.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return false
		}
		// No reply code: the conversation broke off (dropped connection,
		// timeout) rather than the server refusing.
		return true
	}

	var (
		verifyErr    *tls.CertificateVerificationError
		authorityErr x509.UnknownAuthorityError
		hostnameErr  x509.HostnameError
		invalidErr   x509.CertificateInvalidError
	)
	if errors.As(err, &verifyErr) || errors.As(err, &authorityErr) ||
		errors.As(err, &hostnameErr) || errors.As(err, &invalidErr) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, gomail.ErrNoActiveConnection)
}
