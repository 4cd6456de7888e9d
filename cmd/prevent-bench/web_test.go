package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/web"
)

const exampleConfig = "../../prevent.example.yaml"

// TestMain lets the test binary stand in for `prevent serve` when
// PREVENT_BENCH_SERVE is set: the dashboard (package web) on the store of
// --db, with the config of --config, on --http, until SIGTERM. So the leg
// runs against a real dashboard without building the prevent binary.
func TestMain(m *testing.M) {
	if os.Getenv("PREVENT_BENCH_SERVE") != "" {
		if err := fakeServe(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "fake serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func fakeServe(args []string) error {
	fs := flag.NewFlagSet("prevent", flag.ContinueOnError)
	dsn := fs.String("db", "", "")
	cfgPath := fs.String("config", "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	serve := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := serve.String("http", "", "")
	if fs.Arg(0) != "serve" {
		return fmt.Errorf("want serve, got %q", fs.Args())
	}
	if err := serve.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if sc := cfg.Schedule; sc.Import+sc.Reminders+sc.Return+sc.AnnualReport+sc.Collate+sc.Chase != "" {
		return fmt.Errorf("the schedule is on: %+v", sc)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	h, err := web.New(web.Options{Store: s, Config: cfg, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// demoDatabase imports the demo trust into an SQLite file, with three
// providers' returns collated as the national seed collates them.
func demoDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "demo.db")
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := "../../testdata/demo"
	opt := ingest.Options{Aliases: cfg.Aliases(), Today: compliance.Date(2026, 11, 1)}
	for _, f := range []string{"esr_staff_2026-09-30.csv", "ESR Staff Extract 2026-10-31.xlsx"} {
		if _, err := ingest.Staff(ctx, s, filepath.Join(dir, f), opt); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"LMS completions export 2026-11-01.csv", "ESR competences 2026-11-01.xlsx"} {
		if _, err := ingest.Completions(ctx, s, filepath.Join(dir, f), opt); err != nil {
			t.Fatal(err)
		}
	}
	if err := collateProviders(ctx, s, 3, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return dsn
}

var smallLoad = webLoad{cached: 2, users: 3, rounds: 2, per: 30 * time.Second, leg: 2 * time.Minute}

func TestDashboardLeg(t *testing.T) {
	dsn := demoDatabase(t)
	t.Setenv("PREVENT_BENCH_SERVE", "1")
	work := t.TempDir()
	var out bytes.Buffer
	if err := dashboardLeg(&out, os.Args[0], dsn, exampleConfig, work, smallLoad); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	t.Log("\n" + got)
	lines := strings.Split(got, "\n")
	row := func(label string) []string {
		for _, l := range lines {
			if f := strings.Fields(l); len(f) > 0 && f[0] == label {
				return f
			}
		}
		t.Errorf("no row for %s in\n%s", label, got)
		return nil
	}
	for _, page := range dashboardPages {
		// page status first s KB cached median, max users median, max RSS peak
		f := row(page)
		if len(f) != 10 {
			t.Errorf("%s: %d columns: %q", page, len(f), f)
			continue
		}
		if f[1] != "200" {
			t.Errorf("%s answered %s", page, f[1])
		}
		if f[8] == "-" || f[9] == "-" {
			t.Errorf("%s: no memory read from the server: %q", page, f)
		}
	}
	// The person's address was made by the first server's key: a fresh
	// server answers it, found or not, and the leg says which.
	if f := row(personPage); len(f) > 0 && f[0] != personPage {
		t.Errorf("person row %q", f)
	}
	if !strings.Contains(got, personPage+" cold") {
		t.Errorf("no cold person request in\n%s", got)
	}
	if strings.Contains(got, "no answer") || strings.Contains(got, "stopped at its bound") {
		t.Errorf("a request went unanswered:\n%s", got)
	}
	log, err := os.ReadFile(filepath.Join(work, "serve.log"))
	if err != nil || !strings.Contains(string(log), "/commissioner") {
		t.Errorf("the server's log does not show the pages asked for (%v):\n%s", err, log)
	}
}

// TestDashboardLegBoundsTheServersMemory: a server past -web-max-mb is
// stopped, and the table says so rather than the machine running out.
func TestDashboardLegBoundsTheServersMemory(t *testing.T) {
	dsn := demoDatabase(t)
	t.Setenv("PREVENT_BENCH_SERVE", "1")
	load := smallLoad
	load.maxRSSKB = 1024 // any Go program is past 1 MB
	var out bytes.Buffer
	if err := dashboardLeg(&out, os.Args[0], dsn, exampleConfig, t.TempDir(), load); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"over the leg's bound of 1 MB (-web-max-mb)", "/tna: a request got no answer"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the leg does not say %q:\n%s", want, out.String())
		}
	}
}

func TestMeasureDashboardFindsThePerson(t *testing.T) {
	dsn := demoDatabase(t)
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg, err := config.Load(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Options{Store: s, Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	results := measureDashboard(ctx, srv.URL, os.Getpid(), smallLoad)
	if len(results) != len(dashboardPages) {
		t.Fatalf("%d pages measured, want %d", len(results), len(dashboardPages))
	}
	for i, r := range results {
		if r.label != dashboardPages[i] {
			t.Errorf("page %d is %s, want %s", i, r.label, dashboardPages[i])
		}
		if !r.ok() || len(r.cached) != smallLoad.cached || len(r.users) != smallLoad.users*smallLoad.rounds {
			t.Errorf("%s: status %s, %d cached, %d users' answers, error %v", r.label, r.statusText(), len(r.cached), len(r.users), r.err)
		}
		if r.rssKB <= 0 || r.hwmKB < r.rssKB {
			t.Errorf("%s: RSS %d KB, peak %d KB", r.label, r.rssKB, r.hwmKB)
		}
	}
	if p := results[2].path; !strings.HasPrefix(p, "/people/") || p == personPage {
		t.Errorf("the person measured is %q", p)
	}
	// The commissioner page shows the providers' returns collated.
	_, code, body, err := fetch(ctx, http.DefaultClient, srv.URL+"/commissioner?quarter=2026-27Q2")
	if err != nil || code != http.StatusOK || !strings.Contains(string(body), "Provider 3 NHS Trust") {
		t.Errorf("commissioner page: %d %v, names provider 3: %v", code, err, strings.Contains(string(body), "Provider 3 NHS Trust"))
	}
}

func TestPersonLink(t *testing.T) {
	for _, tc := range []struct{ name, html, want string }{
		{"the first person's address", `<a href="/people.csv?org=A">CSV</a><a href="/people?page=2">next</a>` +
			`<td><a href="/people/AbC-_12">Ann</a></td><td><a href="/people/Zz">Bob</a></td>`, "/people/AbC-_12"},
		{"its query unescaped", `<a href="/people/tok?as_of=2026-09-30&amp;x=1">Ann</a>`, "/people/tok?as_of=2026-09-30&x=1"},
		{"nobody linked", `<a href="/people?page=2">next</a><a href="/people/">all</a>`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := personLink([]byte(tc.html)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMedianAndLongest(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, n := range v {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		in          []time.Duration
		med, maxDur time.Duration
	}{
		{ms(30, 10, 20), 20 * time.Millisecond, 30 * time.Millisecond},
		{ms(40, 10, 30, 20), 25 * time.Millisecond, 40 * time.Millisecond},
		{nil, 0, 0},
	} {
		if got := median(tc.in); got != tc.med {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.med)
		}
		if got := longest(tc.in); got != tc.maxDur {
			t.Errorf("longest(%v) = %v, want %v", tc.in, got, tc.maxDur)
		}
	}
}

// TestMeasurePage: the users ask at once, every status is counted and
// shown, and a request past its bound ends the page.
func TestMeasurePage(t *testing.T) {
	var inFlight, most, n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); cur > m && !most.CompareAndSwap(m, cur); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		switch {
		case r.URL.Path == "/slow":
			time.Sleep(time.Second)
		case n.Add(1)%4 == 0:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "page")
	}))
	defer srv.Close()
	load := webLoad{cached: 3, users: 4, rounds: 2, per: 500 * time.Millisecond}
	c := webClient(load)
	r, body := measurePage(context.Background(), c, srv.URL, "/busy", load)
	if string(body) != "page" || r.err != nil {
		t.Fatalf("body %q, error %v", body, r.err)
	}
	if got := most.Load(); got != int64(load.users) {
		t.Errorf("at most %d requests at once, want %d", got, load.users)
	}
	if r.codes[200] != 9 || r.codes[503] != 3 || r.ok() || r.statusText() != "200×9 503×3" {
		t.Errorf("codes %v, shown %q", r.codes, r.statusText())
	}
	slow, _ := measurePage(context.Background(), c, srv.URL, "/slow", load)
	if slow.err == nil || slow.statusText() != "no answer" || len(slow.cached) != 0 {
		t.Errorf("a request past its bound: %+v", slow)
	}
	var out bytes.Buffer
	printDashboard(&out, []pageResult{r, slow}, load)
	for _, want := range []string{"/busy: answered 200×9 503×3, not 200 throughout", "/slow: a request got no answer"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table does not say %q:\n%s", want, out.String())
		}
	}
}

// TestDashboardConfig: serve's schedule is off whether or not the config
// has a schedule: block, and everything else is as the config says.
func TestDashboardConfig(t *testing.T) {
	orig, err := config.Load(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(t.TempDir(), "bare.yaml")
	if err := os.WriteFile(bare, []byte("organisation: Bare Trust\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{exampleConfig, bare, empty} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			out, err := dashboardConfig(path, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if sc := cfg.Schedule; sc.Import+sc.Reminders+sc.Return+sc.AnnualReport+sc.Collate+sc.Chase != "" {
				t.Errorf("schedule left on: %+v", sc)
			}
			if path == exampleConfig && (cfg.Organisation != orig.Organisation || len(cfg.Requirements) != len(orig.Requirements) ||
				len(cfg.Reminders.Leads) != len(orig.Reminders.Leads)) {
				t.Errorf("the rest of the config changed: %+v", cfg)
			}
		})
	}
}
