package web

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/config"
)

func TestHostWithoutSignIn(t *testing.T) {
	s, cfg := demoStore(t)
	srv, _ := testServer(t, s, cfg, false) // no web.users: loopback, no sign-in
	ask := func(host, path string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Host = host
		resp, err := client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return read(t, resp).status
	}
	for _, host := range []string{"evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example:8080", "10.0.0.5:8080", "[::2]:8080"} {
		for _, path := range []string{"/people.csv", "/"} {
			if code := ask(host, path); code != http.StatusMisdirectedRequest {
				t.Errorf("Host %s %s: status %d, want 421", host, path, code)
			}
		}
	}
	for _, host := range []string{"127.0.0.1:8080", "127.0.0.1", "127.1.2.3:8080", "localhost", "LOCALHOST:8080", "[::1]:8080", "[::1]"} {
		if code := ask(host, "/people.csv"); code != http.StatusOK {
			t.Errorf("Host %s: status %d, want 200", host, code)
		}
	}
	t.Run("with sign-in any name may be used", func(t *testing.T) {
		srv, _, _ := lockOutServer(t, config.Web{})
		req, _ := http.NewRequest(http.MethodGet, srv+"/", nil)
		req.Host = "prevent.trust.nhs.uk"
		resp, err := client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if r := read(t, resp); r.status != http.StatusSeeOther {
			t.Errorf("status %d, want 303 to /login", r.status)
		}
	})
}

// serveWith serves the demo dashboard with the timeouts given, on a real
// listener, and returns its address.
func serveWith(t *testing.T, to Timeouts, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(h, slog.New(slog.DiscardHandler), to)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn within d.
func closedWithin(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	return err == nil // EOF: the server closed it; a timeout is an error
}

func TestServerTimeouts(t *testing.T) {
	s, cfg := demoStore(t)
	h, err := New(Options{Store: s, Config: cfg, Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the server has every timeout", func(t *testing.T) {
		srv := Server(h, slog.New(slog.DiscardHandler))
		if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
			t.Fatalf("timeouts: header %s, read %s, write %s, idle %s; want all set",
				srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
		}
		if srv.ReadTimeout > time.Minute || srv.IdleTimeout > 2*time.Minute {
			t.Errorf("read %s, idle %s: a trickled body or an idle connection is held too long", srv.ReadTimeout, srv.IdleTimeout)
		}
	})
	short := Timeouts{ReadHeader: 300 * time.Millisecond, Read: 500 * time.Millisecond, Write: 400 * time.Millisecond,
		Idle: 300 * time.Millisecond, Download: 5 * time.Second}
	addr := serveWith(t, short, h)
	t.Run("a trickled sign-in body is cut off", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n")
		start := time.Now()
		go func() {
			for range 40 {
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		if !closedWithin(conn, 3*time.Second) {
			t.Errorf("a body trickled a byte every 100 ms was still open after %s", time.Since(start).Round(time.Millisecond))
		}
	})
	t.Run("an idle keep-alive connection is closed", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !closedWithin(conn, 2*time.Second) {
			t.Error("an idle keep-alive connection was still open after 2 s")
		}
	})
	t.Run("a download outlasts the page write timeout", func(t *testing.T) {
		slow := &handler{}
		slow.Handler = slow.longWrites(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(700 * time.Millisecond) // past short.Write
			_, _ = io.WriteString(w, "employee_number\n")
		}))
		a := serveWith(t, short, slow)
		for path, wantOK := range map[string]bool{"/people.csv": true, "/people": false} {
			resp, err := http.Get("http://" + a + path)
			if wantOK && (err != nil || read(t, resp).body != "employee_number\n") {
				t.Errorf("%s: the download did not arrive (%v)", path, err)
			}
			if !wantOK && err == nil {
				if r := read(t, resp); r.body != "" {
					t.Errorf("%s: a page arrived after its write timeout", path)
				}
			}
		}
	})
}

func TestFormBodyLimit(t *testing.T) {
	srv, _, _ := lockOutServer(t, config.Web{})
	c := client(t)
	tok := csrfOf(t, get(t, c, srv+"/login").body)
	r := post(t, c, srv+"/login", url.Values{"name": {strings.Repeat("x", 100<<10)}, "password": {"guess"}, csrfField: {tok}})
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 100 KB sign-in form: status %d, want 413", r.status)
	}
}
