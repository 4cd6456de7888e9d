package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	gomaillog "github.com/wneessen/go-mail/log"
)

// Step is one stage of a mail test and what happened at it.
type Step struct {
	Name string // DNS, TCP, SMTP, TLS, Token, Sign-in, Send
	OK   bool
	Text string // one line, for an administrator; never a secret
}

// Check signs in to the SMTP server and sends m, saying after each step
// what happened: the name looked up, the connection, the server's greeting
// and what it offers, TLS and the certificate's names, the token, the
// sign-in and the server's answer to the message. It stops at the first
// step that fails and returns that step's error.
//
// The first steps (up to TLS) run on a connection of their own that sends
// nothing; the sign-in and the message then go exactly as every other
// message does.
func (s *SMTP) Check(ctx context.Context, m *Message, say func(Step)) error {
	fail := func(name string, err error) error {
		text := s.creds.Redact(oneLine.Replace(err.Error()))
		say(Step{Name: name, Text: text})
		if name != strings.ToUpper(name) { // Token, Sign-in, Send; not DNS, TCP, SMTP, TLS
			name = strings.ToLower(name[:1]) + name[1:]
		}
		return errors.New(name + ": " + text)
	}
	conn, err := s.connect(ctx, say)
	if err != nil {
		return fail(err.(*stepError).step, err.(*stepError).err)
	}
	if err := s.greet(conn, say); err != nil {
		_ = conn.Close()
		return fail(err.(*stepError).step, err.(*stepError).err)
	}

	if s.creds.Auth() == AuthXOAUTH2 {
		o := s.creds.login.OAuth2
		var expiry time.Time
		s.creds.onToken = func(e time.Time) { expiry = e }
		if _, err := s.creds.accessToken(ctx, true); err != nil {
			return fail("Token", err)
		}
		s.creds.onToken = nil
		valid := "with no expiry given"
		if !expiry.IsZero() {
			valid = fmt.Sprintf("valid until %s (%d min)", expiry.UTC().Format("15:04 UTC"), int(time.Until(expiry).Minutes()))
		}
		say(Step{Name: "Token", OK: true, Text: fmt.Sprintf("fetched from %s for client ID %s, scope %q; %s",
			o.TokenURL, o.ClientID, strings.Join(o.Scopes, " "), valid)})
	}

	replies := &replyLog{}
	s.logger = replies
	defer func() { s.logger = nil }()
	answer, err := s.send(ctx, m)
	signIn := replies.find(func(code int) bool { return code == 235 })
	if err != nil {
		if strings.Contains(err.Error(), "logging in as") {
			return fail("Sign-in", err)
		}
		if s.creds.Auth() != AuthNone {
			say(Step{Name: "Sign-in", OK: true, Text: s.signedIn(signIn)})
		}
		return fail("Send", err)
	}
	if s.creds.Auth() == AuthNone {
		say(Step{Name: "Sign-in", OK: true, Text: "none: no sign-in (a relay that takes mail from this machine's address)"})
	} else {
		say(Step{Name: "Sign-in", OK: true, Text: s.signedIn(signIn)})
	}
	// go-mail keeps the text of the server's answer to the message; its
	// code, on success, is always 250.
	answer = "250 " + answer
	say(Step{Name: "Send", OK: true, Text: fmt.Sprintf("the server took the test message for %s: %s", strings.Join(m.To, ", "), s.creds.Redact(oneLine.Replace(answer)))})
	return nil
}

func (s *SMTP) signedIn(reply string) string {
	mech := "a password"
	if s.creds.Auth() == AuthXOAUTH2 {
		mech = "XOAUTH2"
	}
	if reply == "" {
		reply = "accepted"
	}
	return fmt.Sprintf("%s as %s: %s", mech, s.cfg.Username, reply)
}

// stepError is an error at a named step.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.err.Error() }

// connect looks the host up and opens a TCP connection to the first
// address that answers.
func (s *SMTP) connect(ctx context.Context, say func(Step)) (net.Conn, error) {
	host, port := s.cfg.Host, strconv.Itoa(s.cfg.Port)
	var addrs []string
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		addrs = []string{ip.String()}
		say(Step{Name: "DNS", OK: true, Text: host + " is an address: nothing to look up"})
	} else {
		found, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil {
			return nil, &stepError{"DNS", fmt.Errorf("cannot find %s: %v (check smtp.host and this machine's DNS)", host, unwrapDNS(err))}
		}
		addrs = found
		say(Step{Name: "DNS", OK: true, Text: fmt.Sprintf("%s is %s", host, strings.Join(addrs, ", "))})
	}
	dialer := net.Dialer{Timeout: s.cfg.Timeout}
	var last error
	for _, a := range addrs {
		start := time.Now()
		conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(a, port))
		if err == nil {
			say(Step{Name: "TCP", OK: true, Text: fmt.Sprintf("connected to %s in %d ms", net.JoinHostPort(a, port), time.Since(start).Milliseconds())})
			return conn, nil
		}
		last = err
	}
	return nil, &stepError{"TCP", fmt.Errorf("cannot connect to port %s of %s: %v (check smtp.port, and that a firewall lets this machine out)", port, host, unwrapOp(last))}
}

// greet reads the greeting, says EHLO, secures the connection as
// configured and notes what the server offers; then says QUIT.
func (s *SMTP) greet(conn net.Conn, say func(Step)) error {
	_ = conn.SetDeadline(time.Now().Add(s.cfg.Timeout))
	if s.cfg.TLS == TLSImplicit {
		tc, err := s.handshake(conn, say)
		if err != nil {
			return err
		}
		conn = tc
	}
	tp := textproto.NewConn(conn)
	defer tp.Close()
	_, greeting, err := tp.ReadResponse(220)
	if err != nil {
		return &stepError{"SMTP", fmt.Errorf("the server did not greet as an SMTP server: %v", err)}
	}
	offers, err := ehlo(tp)
	if err != nil {
		return &stepError{"SMTP", err}
	}
	say(Step{Name: "SMTP", OK: true, Text: fmt.Sprintf("the server says %q; it offers %s", firstLine(greeting), strings.Join(offers, ", "))})
	switch s.cfg.TLS {
	case TLSNone:
		say(Step{Name: "TLS", OK: true, Text: "none: the connection is not encrypted (allowed only to this machine, or to a relay without sign-in)"})
	case TLSStartTLS:
		if err := command(tp, 220, "STARTTLS"); err != nil {
			return &stepError{"TLS", fmt.Errorf("the server refused STARTTLS: %v (try tls: tls and port 465, or check smtp.port)", err)}
		}
		tc, err := s.handshake(conn, say)
		if err != nil {
			return err
		}
		tp = textproto.NewConn(tc)
		if offers, err = ehlo(tp); err != nil {
			return &stepError{"SMTP", err}
		}
		say(Step{Name: "SMTP", OK: true, Text: "over TLS it offers " + strings.Join(offers, ", ")})
	}
	_ = command(tp, 221, "QUIT")
	return nil
}

// handshake secures conn, saying which certificate the server showed.
func (s *SMTP) handshake(conn net.Conn, say func(Step)) (*tls.Conn, error) {
	var shown *x509.Certificate
	cfg := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: s.cfg.RootCAs,
		// Verified below, by hand, so that a certificate that fails can
		// still be described.
		InsecureSkipVerify: true, //nolint:gosec // VerifyConnection verifies
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server showed no certificate")
			}
			shown = cs.PeerCertificates[0]
			if s.cfg.InsecureSkipVerify {
				return nil
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := shown.Verify(x509.VerifyOptions{DNSName: s.cfg.Host, Roots: s.cfg.RootCAs, Intermediates: inter})
			return err
		}}
	tc := tls.Client(conn, cfg)
	if err := tc.Handshake(); err != nil {
		if shown != nil {
			return nil, &stepError{"TLS", fmt.Errorf("the certificate (%s) is not accepted for %s: %v", describeCert(shown), s.cfg.Host, unwrapOp(err))}
		}
		return nil, &stepError{"TLS", fmt.Errorf("TLS failed: %v (check smtp.tls and smtp.port: 587 is starttls, 465 is tls)", unwrapOp(err))}
	}
	st := tc.ConnectionState()
	say(Step{Name: "TLS", OK: true, Text: fmt.Sprintf("%s (%s); the certificate (%s) is valid for %s and trusted",
		tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), describeCert(shown), s.cfg.Host)})
	return tc, nil
}

// describeCert names a certificate: its names, issuer and expiry.
func describeCert(c *x509.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		names = []string{c.Subject.CommonName}
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("and %d more", len(names)-4))
	}
	issuer := c.Issuer.CommonName
	if issuer == "" {
		issuer = c.Issuer.String()
	}
	return fmt.Sprintf("for %s, issued by %s, valid until %s", strings.Join(names, ", "), issuer, c.NotAfter.UTC().Format("2006-01-02"))
}

func ehlo(tp *textproto.Conn) ([]string, error) {
	id, err := tp.Cmd("EHLO localhost")
	if err != nil {
		return nil, err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return nil, fmt.Errorf("the server refused EHLO: %v", err)
	}
	lines := strings.Split(msg, "\n")
	if len(lines) > 1 {
		return lines[1:], nil
	}
	return []string{"nothing beyond plain SMTP"}, nil
}

func command(tp *textproto.Conn, want int, cmd string) error {
	id, err := tp.Cmd("%s", cmd)
	if err != nil {
		return err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	_, _, err = tp.ReadResponse(want)
	return err
}

func unwrapDNS(err error) error {
	var de *net.DNSError
	if errors.As(err, &de) {
		return errors.New(de.Err)
	}
	return err
}

func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// replyLog keeps the SMTP server's replies that go-mail logs (it leaves
// sign-in data out), for the test's account of the sign-in.
type replyLog struct {
	mu      sync.Mutex
	replies []string
}

func (r *replyLog) Debugf(l gomaillog.Log) {
	if l.Direction != gomaillog.DirServerToClient {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replies = append(r.replies, fmt.Sprintf(l.Format, l.Messages...))
}

func (r *replyLog) Infof(gomaillog.Log)  {}
func (r *replyLog) Warnf(gomaillog.Log)  {}
func (r *replyLog) Errorf(gomaillog.Log) {}

// find returns the last reply whose code matches.
func (r *replyLog) find(match func(code int) bool) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.replies) - 1; i >= 0; i-- {
		code, _, _ := strings.Cut(r.replies[i], " ")
		if n, err := strconv.Atoi(code); err == nil && match(n) {
			return oneLine.Replace(r.replies[i])
		}
	}
	return ""
}
