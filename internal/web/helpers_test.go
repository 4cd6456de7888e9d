package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// testNow is the tests' clock: after the demo trust's last extracts
// (staff 31 October 2026, completions 1 November 2026).
var testNow = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

const demoConfig = "../../prevent.example.yaml"

// demo is the demo trust imported once per test binary into an in-memory
// SQLite database, through the same import path as `prevent import`.
var demo struct {
	once  sync.Once
	store *store.Store
	cfg   *config.Config
	err   error
}

func demoStore(t testing.TB) (*store.Store, *config.Config) {
	t.Helper()
	demo.once.Do(func() {
		ctx := context.Background()
		cfg, err := config.Load(demoConfig)
		if err != nil {
			demo.err = err
			return
		}
		s, err := store.Open(ctx, "sqlite::memory:")
		if err != nil {
			demo.err = err
			return
		}
		dir := "../../testdata/demo"
		opt := ingest.Options{Aliases: cfg.Aliases(), Today: compliance.Date(2026, 11, 1)}
		for _, f := range []string{"esr_staff_2026-09-30.csv", "ESR Staff Extract 2026-10-31.xlsx"} {
			if _, err := ingest.Staff(ctx, s, filepath.Join(dir, f), opt); err != nil {
				demo.err = err
				return
			}
		}
		for _, f := range []string{"LMS completions export 2026-11-01.csv", "ESR competences 2026-11-01.xlsx"} {
			if _, err := ingest.Completions(ctx, s, filepath.Join(dir, f), opt); err != nil {
				demo.err = err
				return
			}
		}
		demo.store, demo.cfg = s, cfg
	})
	if demo.err != nil {
		t.Fatalf("loading the demo trust: %v", demo.err)
	}
	return demo.store, demo.cfg
}

// demoPeople is the demo workforce on the test date.
func demoPeople(t testing.TB) []compliance.Person {
	s, cfg := demoStore(t)
	pos, err := report.Load(context.Background(), s, cfg.Policy(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	return pos.People
}

// logBuffer collects the dashboard's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// testServer serves the dashboard over a store and config, with a fixed
// clock, logging into the returned buffer.
func testServer(t testing.TB, s *store.Store, cfg *config.Config, secure bool) (*httptest.Server, *logBuffer) {
	t.Helper()
	return clockServer(t, s, cfg, secure, func() time.Time { return testNow })
}

// clockServer is testServer with the clock given.
func clockServer(t testing.TB, s *store.Store, cfg *config.Config, secure bool, now func() time.Time) (*httptest.Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	h, err := New(Options{Store: s, Config: cfg, Now: now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Secure: secure})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, logs
}

// emptyServer serves the dashboard, with the demo's config, over an empty
// store of its own, with a client for it.
func emptyServer(t testing.TB) (*store.Store, *httptest.Server, *http.Client) {
	t.Helper()
	_, cfg := demoStore(t)
	s, err := store.Open(context.Background(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv, _ := testServer(t, s, cfg, false)
	return s, srv, client(t)
}

// client is an HTTP client that keeps cookies and does not follow
// redirects.
func client(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t testing.TB, c *http.Client, u string) response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func post(t testing.TB, c *http.Client, u string, form url.Values) response {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func read(t testing.TB, resp *http.Response) response {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// parse parses an HTML page.
func parse(t testing.TB, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// find returns the nodes below n that match.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if match(c) {
			out = append(out, c)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Type == html.ElementNode && attr(n, "id") == id }
}

func element(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == tag }
}

// text is the text content of a node, spaces collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// tableRows is the text of each body row's cells of the table with the id.
func tableRows(t testing.TB, doc *html.Node, id string) [][]string {
	t.Helper()
	tables := find(doc, byID(id))
	if len(tables) != 1 {
		t.Fatalf("%d tables with id %s", len(tables), id)
	}
	var rows [][]string
	for _, tbody := range find(tables[0], element("tbody")) {
		for _, tr := range find(tbody, element("tr")) {
			var cells []string
			for c := tr.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
					cells = append(cells, text(c))
				}
			}
			rows = append(rows, cells)
		}
	}
	return rows
}

// links are every URL a page refers to: href, src and action attributes.
func links(doc *html.Node) []string {
	var out []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, k := range []string{"href", "src", "action"} {
			if v := attr(n, k); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// csrfOf reads the CSRF token of the first form on a page.
func csrfOf(t testing.TB, body string) string {
	t.Helper()
	for _, in := range find(parse(t, body), element("input")) {
		if attr(in, "name") == csrfField {
			return attr(in, "value")
		}
	}
	t.Fatal("no CSRF token on the page")
	return ""
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// importText writes an extract of the given kind (staff or completions)
// into dir and imports it into s.
func importText(t testing.TB, s *store.Store, opt ingest.Options, dir, kind, name, content string) {
	t.Helper()
	p := writeFile(t, dir, name, content)
	var err error
	if kind == "staff" {
		_, err = ingest.Staff(context.Background(), s, p, opt)
	} else {
		_, err = ingest.Completions(context.Background(), s, p, opt)
	}
	if err != nil {
		t.Fatal(err)
	}
}
