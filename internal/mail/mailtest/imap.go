package mailtest

import (
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// IMAPOptions shape an IMAPServer.
type IMAPOptions struct {
	TLS      string // "tls" (when empty) or "none"
	Username string
	// Tokens, when set, makes the server take SASL XOAUTH2 with the tokens
	// it grants, and refuse LOGIN with a password, as Exchange Online does.
	Tokens *TokenServer
	// Password is taken by LOGIN when Tokens is nil.
	Password string
}

// IMAPServer is an in-memory IMAP server on 127.0.0.1 with one mailbox.
type IMAPServer struct {
	Port int
	opts IMAPOptions

	// loginPassword is the memory server's own password for the user,
	// used once XOAUTH2 has accepted a token.
	loginPassword string

	mu     sync.Mutex
	logins []string
}

// StartIMAP starts an IMAP server with an INBOX that stops when the test
// ends.
func StartIMAP(t testing.TB, opts IMAPOptions) *IMAPServer {
	t.Helper()
	if opts.TLS == "" {
		opts.TLS = "tls"
	}
	is := &IMAPServer{opts: opts, loginPassword: opts.Password}
	if opts.Tokens != nil {
		is.loginPassword = random()
	}
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(opts.Username, is.loginPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{SessionIMAP4rev2: mem.NewSession().(imapserver.SessionIMAP4rev2), server: is}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger:       nopLogger{},
		InsecureAuth: opts.TLS == "none",
	})
	var ln net.Listener
	var err error
	if opts.TLS == "none" {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	} else {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", ServerTLS(t))
	}
	if err != nil {
		t.Fatal(err)
	}
	is.Port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = ln.Close()
	})
	return is
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// Logins lists the sign-ins tried, e.g. "XOAUTH2 returns@nhs.net ok".
func (is *IMAPServer) Logins() []string {
	is.mu.Lock()
	defer is.mu.Unlock()
	return append([]string(nil), is.logins...)
}

func (is *IMAPServer) login(what string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.logins = append(is.logins, what)
}

type imapSession struct {
	imapserver.SessionIMAP4rev2
	server *IMAPServer
}

func (s *imapSession) Login(username, password string) error {
	if s.server.opts.Tokens != nil {
		if password == s.server.loginPassword {
			return s.SessionIMAP4rev2.Login(username, password) // the test's own back door (admin)
		}
		s.server.login("LOGIN " + username + " refused")
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "LOGIN failed."}
	}
	err := s.SessionIMAP4rev2.Login(username, password)
	s.server.login("LOGIN " + username + map[bool]string{true: " ok", false: " refused"}[err == nil])
	return err
}

func (s *imapSession) AuthenticateMechanisms() []string {
	if s.server.opts.Tokens != nil {
		return []string{"XOAUTH2"}
	}
	return []string{sasl.Plain}
}

func (s *imapSession) Authenticate(mech string) (sasl.Server, error) {
	o := s.server.opts
	switch {
	case mech == "XOAUTH2" && o.Tokens != nil:
		return &XOAUTH2Server{Check: func(user, token string) bool {
			ok := strings.EqualFold(user, o.Username) && o.Tokens.Valid(token) &&
				s.SessionIMAP4rev2.Login(o.Username, s.server.loginPassword) == nil
			s.server.login("XOAUTH2 " + user + map[bool]string{true: " ok", false: " refused"}[ok])
			return ok
		}, Refused: &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "AUTHENTICATE failed."}}, nil
	case mech == sasl.Plain && o.Tokens == nil:
		return sasl.NewPlainServer(func(_, user, password string) error { return s.Login(user, password) }), nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
}

// Deliver puts a raw message (LF or CRLF line ends) in the INBOX, arrived
// at the given time.
func (is *IMAPServer) Deliver(t testing.TB, raw string, arrived time.Time) {
	t.Helper()
	c := is.admin(t)
	defer c.Close()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Time: arrived})
	if _, err := cmd.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// Count is the number of messages in a folder; -1 when it does not exist.
func (is *IMAPServer) Count(t testing.TB, folder string) int {
	t.Helper()
	c := is.admin(t)
	defer c.Close()
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return -1
	}
	return int(*st.NumMessages)
}

// admin signs in behind the test's back, with the memory server's own
// password, so that a test can fill and inspect the mailbox whatever
// sign-in the server asks of prevent.
func (is *IMAPServer) admin(t testing.TB) *imapclient.Client {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(is.Port))
	var c *imapclient.Client
	var err error
	if is.opts.TLS == "none" {
		c, err = imapclient.DialInsecure(addr, nil)
	} else {
		c, err = imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: Roots(t)}})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(is.opts.Username, is.loginPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}
