package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// certificate is a self-signed certificate for 127.0.0.1 and localhost,
// made once per test binary.
var certificate = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(17),
		Subject:               pkix.Name{CommonName: "mail.test.nhs.net"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
})

// ServerTLS is the test servers' TLS configuration, with that certificate.
func ServerTLS(t testing.TB) *tls.Config {
	t.Helper()
	cert, err := certificate()
	if err != nil {
		t.Fatalf("test certificate: %v", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// Roots is a pool trusting the test servers' certificate.
func Roots(t testing.TB) *x509.CertPool {
	t.Helper()
	cert, err := certificate()
	if err != nil {
		t.Fatalf("test certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return pool
}

// CertPEM is the test servers' certificate in PEM, for a program run by a
// test to trust through SSL_CERT_FILE.
func CertPEM(t testing.TB) []byte {
	t.Helper()
	cert, err := certificate()
	if err != nil {
		t.Fatalf("test certificate: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
}

// SMTPOptions shape an SMTPServer.
type SMTPOptions struct {
	TLS string // "starttls" (when empty), "tls" or "none"
	// Tokens, when set, makes the server take SASL XOAUTH2 for Username with
	// the tokens it grants.
	Tokens *TokenServer
	// Username and Password, when Password is set, make it take AUTH PLAIN.
	Username, Password string
	// Relay takes mail without any sign-in (the NHSmail relay from a
	// registered address). Otherwise a sign-in is required.
	Relay bool
}

// SMTPServer is an SMTP server on 127.0.0.1 recording what it accepts.
type SMTPServer struct {
	Port int
	opts SMTPOptions

	mu       sync.Mutex
	received []Received
	logins   []string // "XOAUTH2 user ok", "XOAUTH2 user refused", "PLAIN user ok", ...
}

// Received is one message the SMTP server accepted.
type Received struct {
	From    string
	To      []string
	Data    []byte
	User    string // signed in as; "" for the relay
	OverTLS bool
}

// StartSMTP starts an SMTP server that stops when the test ends.
func StartSMTP(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	if opts.TLS == "" {
		opts.TLS = "starttls"
	}
	ss := &SMTPServer{opts: opts}
	srv := smtp.NewServer(ss)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = opts.TLS == "none" // loopback only: the client decides
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	switch opts.TLS {
	case "starttls":
		srv.TLSConfig = ServerTLS(t)
	case "tls":
		ln = tls.NewListener(ln, ServerTLS(t))
	}
	ss.Port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = ln.Close() // Serve may not have taken the listener yet: Close alone would miss it
		<-done
	})
	return ss
}

// Messages is what the server has accepted so far.
func (ss *SMTPServer) Messages() []Received {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]Received(nil), ss.received...)
}

// Logins lists the sign-ins tried, e.g. "XOAUTH2 prevent@nhs.net refused".
func (ss *SMTPServer) Logins() []string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]string(nil), ss.logins...)
}

func (ss *SMTPServer) login(what string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.logins = append(ss.logins, what)
}

func (ss *SMTPServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{server: ss, conn: c}, nil
}

type smtpSession struct {
	server *SMTPServer
	conn   *smtp.Conn
	user   string
	from   string
	to     []string
}

func (s *smtpSession) AuthMechanisms() []string {
	var mechs []string
	if s.server.opts.Tokens != nil {
		mechs = append(mechs, "XOAUTH2")
	}
	if s.server.opts.Password != "" {
		mechs = append(mechs, sasl.Plain)
	}
	return mechs
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	o := s.server.opts
	switch {
	case mech == "XOAUTH2" && o.Tokens != nil:
		return &XOAUTH2Server{Check: func(user, token string) bool {
			ok := strings.EqualFold(user, o.Username) && o.Tokens.Valid(token)
			s.server.login("XOAUTH2 " + user + map[bool]string{true: " ok", false: " refused"}[ok])
			if ok {
				s.user = user
			}
			return ok
		}, Refused: smtp.ErrAuthFailed}, nil
	case mech == sasl.Plain && o.Password != "":
		return sasl.NewPlainServer(func(_, user, password string) error {
			if user != o.Username || password != o.Password {
				s.server.login("PLAIN " + user + " refused")
				return smtp.ErrAuthFailed
			}
			s.server.login("PLAIN " + user + " ok")
			s.user = user
			return nil
		}), nil
	}
	return nil, smtp.ErrAuthUnsupported
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.server.opts.Relay && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, overTLS := s.conn.TLSConnectionState()
	s.server.mu.Lock()
	s.server.received = append(s.server.received, Received{From: s.from, To: append([]string(nil), s.to...),
		Data: data, User: s.user, OverTLS: overTLS})
	s.server.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// XOAUTH2Server is the server side of SASL XOAUTH2 as Exchange Online
// speaks it: a refused token gets a JSON error challenge, and the client's
// empty answer to it gets the refusal.
type XOAUTH2Server struct {
	Check   func(user, token string) bool
	Refused error // returned when the token is refused
	failed  bool
}

// ErrMalformed is an XOAUTH2 initial response that is not one.
var ErrMalformed = errors.New("malformed XOAUTH2 initial response")

func (x *XOAUTH2Server) Next(response []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, x.Refused
	}
	if response == nil {
		return []byte{}, false, nil // ask for the initial response
	}
	user, token, ok := ParseXOAUTH2(response)
	if !ok {
		return nil, true, ErrMalformed
	}
	if !x.Check(user, token) {
		x.failed = true
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://outlook.office365.com/.default"}`), false, nil
	}
	return nil, true, nil
}

// ParseXOAUTH2 reads "user=U\x01auth=Bearer T\x01\x01".
func ParseXOAUTH2(b []byte) (user, token string, ok bool) {
	parts := bytes.Split(bytes.TrimSuffix(b, []byte("\x01\x01")), []byte("\x01"))
	if len(parts) != 2 || !bytes.HasPrefix(parts[0], []byte("user=")) || !bytes.HasPrefix(parts[1], []byte("auth=Bearer ")) {
		return "", "", false
	}
	return string(parts[0][5:]), string(parts[1][12:]), true
}
