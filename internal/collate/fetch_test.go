package collate_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// testCert is a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imap.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// imapServer starts an in-memory IMAP server over TLS with one user and
// returns the mailbox settings to reach it.
func imapServer(t *testing.T) collate.Mailbox {
	t.Helper()
	cert, pool := testCert(t)
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("returns@icb.nhs.net", "s3cret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:   imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger: nopLogger{},
	})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	return collate.Mailbox{Host: host, Port: p, Username: "returns@icb.nhs.net", Password: "s3cret",
		Folder: "INBOX", ProcessedFolder: "Prevent returns processed", TLSConfig: &tls.Config{RootCAs: pool}}
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// deliver puts a message in the mailbox, arrived at the given time.
func deliver(t *testing.T, mb collate.Mailbox, raw string, arrived time.Time) {
	t.Helper()
	c, err := imapclient.DialTLS(net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port)), &imapclient.Options{TLSConfig: mb.TLSConfig})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(mb.Username, mb.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	raw = strings.ReplaceAll(raw, "\n", "\r\n")
	cmd := c.Append(mb.Folder, int64(len(raw)), &imap.AppendOptions{Time: arrived})
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

// countIn counts the messages in a folder.
func countIn(t *testing.T, mb collate.Mailbox, folder string) uint32 {
	t.Helper()
	c, err := imapclient.DialTLS(net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port)), &imapclient.Options{TLSConfig: mb.TLSConfig})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(mb.Username, mb.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("status of %s: %v", folder, err)
	}
	return *st.NumMessages
}

// withAttachments is an email carrying files.
func withAttachments(from, subject string, files map[string][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\nTo: returns@icb.nhs.net\nSubject: %s\nDate: Mon, 5 Oct 2026 10:00:00 +0100\nMIME-Version: 1.0\n"+
		"Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\nPlease find our return attached.\n", from, subject)
	for name, data := range files {
		fmt.Fprintf(&b, "--b1\nContent-Type: application/octet-stream; name=\"%s\"\nContent-Disposition: attachment; filename=\"%s\"\n"+
			"Content-Transfer-Encoding: base64\n\n%s\n", name, name, base64.StdEncoding.EncodeToString(data))
	}
	b.WriteString("--b1--\n")
	return b.String()
}

func TestFetch(t *testing.T) {
	mb := imapServer(t)
	alpha := build(t, q2, "RA1", "Alpha NHS Trust", twoOrgs)
	beta := build(t, q2, "RB2", "Beta Hospitals NHS Trust", map[string]counts{"Beta Hospital": {compliance.Basic: {20, 18}}})
	alphaArrived := time.Date(2026, 10, 5, 9, 30, 0, 0, time.UTC)
	betaArrived := time.Date(2026, 10, 23, 14, 0, 0, 0, time.UTC)
	deliver(t, mb, withAttachments("returns@alpha.nhs.net", "Q2 Prevent return", map[string][]byte{
		"RA1 Prevent return 2026-27Q2.csv": csvOf(t, alpha), "logo.png": []byte("\x89PNG\r\n\x1a\n")}), alphaArrived)
	deliver(t, mb, "From: returns@gamma.nhs.net\nSubject: our return will be late\n\nSorry, next week.\n", alphaArrived.Add(time.Hour))
	deliver(t, mb, withAttachments("returns@beta.nhs.net", "Return", map[string][]byte{"../../Beta return.xlsx": xlsxOf(t, beta)}), betaArrived)
	dir := filepath.Join(t.TempDir(), "fetched")

	t.Run("spreadsheet attachments are saved, dated as their message arrived", func(t *testing.T) {
		got, err := collate.Fetch(ctx, mb, dir)
		if err != nil {
			t.Fatal(err)
		}
		if got.Messages != 2 || got.Skipped != 1 || len(got.Files) != 2 {
			t.Fatalf("fetched %+v", got)
		}
		want := map[string]time.Time{"2026-10-05 1 RA1 Prevent return 2026-27Q2.csv": alphaArrived, "2026-10-23 3 Beta return.xlsx": betaArrived}
		for _, p := range got.Files {
			st, err := os.Stat(p)
			if err != nil || filepath.Dir(p) != dir {
				t.Fatalf("%s: %v", p, err)
			}
			at, ok := want[filepath.Base(p)]
			if !ok || !st.ModTime().Equal(at) {
				t.Errorf("%s dated %s (want one of %v)", filepath.Base(p), st.ModTime(), want)
			}
		}
	})
	t.Run("messages read are moved aside; one without a return is left for a person", func(t *testing.T) {
		if n := countIn(t, mb, "INBOX"); n != 1 {
			t.Errorf("%d messages left in INBOX, want 1", n)
		}
		if n := countIn(t, mb, mb.ProcessedFolder); n != 2 {
			t.Errorf("%d messages in %s, want 2", n, mb.ProcessedFolder)
		}
	})
	t.Run("fetching again finds nothing new", func(t *testing.T) {
		got, err := collate.Fetch(ctx, mb, dir)
		if err != nil || len(got.Files) != 0 || got.Skipped != 1 {
			t.Errorf("%+v, %v", got, err)
		}
	})
	t.Run("the fetched returns collate, one late", func(t *testing.T) {
		s := storetest.Open(t, storetest.SQLiteDSN(t))
		paths, _ := collate.Dir(dir)
		results, err := collate.Files(ctx, s, paths, collate.FileOptions{Now: uk(time.October, 28, 9)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if !r.Accepted() || r.Saved.Outcome != store.ReturnNew {
				t.Errorf("%s: %v %v", r.Path, r.Err, r.Problems)
			}
		}
		a, _ := collate.Load(ctx, s, nil, q2, 0.85, 15, uk(time.October, 28, 9))
		if len(a.Lines) != 2 || a.Lines[0].Status != collate.Received || a.Lines[1].Status != collate.Late {
			t.Errorf("lines %+v", a.Lines)
		}
	})
	t.Run("a wrong password is refused", func(t *testing.T) {
		bad := mb
		bad.Password = "wrong"
		if _, err := collate.Fetch(ctx, bad, dir); err == nil || !strings.Contains(err.Error(), "cannot sign in") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a server whose certificate is not trusted is refused", func(t *testing.T) {
		untrusted := mb
		untrusted.TLSConfig = nil
		if _, err := collate.Fetch(ctx, untrusted, dir); err == nil || !strings.Contains(err.Error(), "cannot connect") {
			t.Errorf("got %v", err)
		}
	})
}
