package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// The end-to-end tests drive the dashboard in Debian's headless Chromium
// (`apt-get install chromium`; PREVENT_CHROMIUM names another binary). They
// skip, loudly, when it is missing, except under CI=true, where they fail.
// Screenshots go to $PREVENT_ARTIFACTS, else <tmp>/prevent-web-artifacts.

func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PREVENT_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("browser tests need Chromium at %s (apt-get install -y chromium, or set PREVENT_CHROMIUM): %v", path, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPING THE BROWSER TESTS: " + msg)
	}
	return path
}

func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PREVENT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "prevent-web-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrowser starts headless Chromium with a fresh profile; the returned
// context drives one tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser now, without a deadline (a deadline on the first
	// run would stop the whole browser).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900)); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// step runs actions with a deadline, failing the test on error.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot saves the page as a PNG in the artifacts folder: the whole
// page, or the viewport when full is false.
func screenshot(t *testing.T, ctx context.Context, dir, name string, full bool) {
	t.Helper()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100) // quality 100 is PNG
	}
	png := run(t, ctx, "screenshot "+name, shot)
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

// tableText reads a table's body cells as the browser renders them.
func tableText(t *testing.T, ctx context.Context, id string) [][]string {
	t.Helper()
	return run(t, ctx, "read table "+id, chromedp.Evaluate[[][]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll('#%s tbody tr')).map(tr => Array.from(tr.cells).map(c => c.innerText.trim().replace(/\s+/g, ' ')))`, id)))
}

func TestBrowser(t *testing.T) {
	chromiumPath(t)
	started := time.Now()
	dir := artifactsDir(t)
	t.Logf("screenshots are saved in %s", dir)
	s, cfg := demoStore(t)
	srv, _ := testServer(t, s, cfg, false)
	ctx := newBrowser(t)

	t.Run("overview", func(t *testing.T) {
		step(t, ctx, "open the overview", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#org-table")))
		headline := run(t, ctx, "read the headline", chromedp.Text(chromedp.CSS("#main")))
		for _, w := range []string{"Against the 85% minimum", "Basic Prevent awareness", "By organisation", "Forecast: the next six months"} {
			if !strings.Contains(headline, w) {
				t.Errorf("overview lacks %q", w)
			}
		}
		charts := run(t, ctx, "count charts", chromedp.Evaluate[int](`document.querySelectorAll('svg.chart').length`))
		want := 3
		if cfg.PreventLead != nil { // the referrals panel's funnel
			want = 4
		}
		if charts != want {
			t.Errorf("%d charts drawn, want %d", charts, want)
		}
		screenshot(t, ctx, dir, "01-overview", true)

		// Sorting by the level 3 rate puts the lowest first.
		step(t, ctx, "sort by level 3", chromedp.Click(chromedp.CSS(`#org-table thead a[href*="sort=level3"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#org-table th[aria-sort="ascending"]`)))
		rows := tableText(t, ctx, "org-table")
		var rates []float64
		for _, r := range rows {
			if f := strings.Fields(r[3]); f[0] != "–" {
				rates = append(rates, atof(t, strings.TrimSuffix(f[0], "%")))
			}
		}
		if !slices.IsSorted(rates) {
			t.Errorf("level 3 rates after sorting: %v", rates)
		}
	})

	var pageRows [][]string
	t.Run("people filtered", func(t *testing.T) {
		step(t, ctx, "open people", chromedp.Navigate(srv.URL+"/people"), chromedp.WaitVisible(chromedp.CSS("#people-table")))
		screenshot(t, ctx, dir, "02-people", false)
		step(t, ctx, "filter",
			chromedp.SetValue(chromedp.CSS("#org"), "RXX Emergency Department"),
			chromedp.Click(chromedp.CSS(`input[name="status"][value="expired"]`)),
			chromedp.Click(chromedp.CSS(`input[name="status"][value="never"]`)),
			chromedp.Click(chromedp.CSS(`#filters button[type="submit"]`)),
			// The new page has the organisation selected in its markup.
			chromedp.WaitReady(chromedp.CSS(`#org option[value="RXX Emergency Department"][selected]`)),
			chromedp.WaitVisible(chromedp.CSS("#people-table")),
		)
		loc := run(t, ctx, "location", chromedp.Location())
		if !strings.Contains(loc, "org=RXX+Emergency+Department") || !strings.Contains(loc, "status=expired") {
			t.Fatalf("filtered address %s", loc)
		}
		pageRows = tableText(t, ctx, "people-table")
		if len(pageRows) == 0 {
			t.Fatal("the filter shows nobody")
		}
		for _, r := range pageRows {
			if r[2] != "RXX Emergency Department" || (r[5] != "expired" && r[5] != "never") {
				t.Errorf("row %v does not match the filter", r)
			}
		}
		screenshot(t, ctx, dir, "03-people-filtered", true)
	})

	t.Run("export what is shown", func(t *testing.T) {
		if pageRows == nil {
			t.Skip("no filtered page")
		}
		downloads := t.TempDir()
		dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		progress := chromedp.BrowserEvents(dctx, browser.DownloadProgress)
		step(t, ctx, "download the CSV",
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
					Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptrTo(true)})
				return err
			}),
			chromedp.Click(chromedp.CSS("#export-csv")),
		)
		var file string
		for ev, err := range progress {
			if err != nil {
				t.Fatalf("waiting for the download: %v", err)
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				file = filepath.Join(downloads, ev.GUID)
				break
			}
			if ev.State == browser.DownloadProgressStateCanceled {
				t.Fatal("the download was cancelled")
			}
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs)-1 != len(pageRows) {
			t.Fatalf("the CSV has %d rows, the page %d", len(recs)-1, len(pageRows))
		}
		for i, row := range pageRows {
			got := make([]string, len(recs[i+1]))
			for j, c := range recs[i+1] {
				got[j] = strings.Join(strings.Fields(c), " ")
			}
			want := make([]string, len(row))
			for j, c := range row {
				want[j] = figures.SafeCell(c)
			}
			if !slices.Equal(got, want) {
				t.Errorf("CSV row %d %v, page %v", i+1, got, want)
			}
		}
	})

	t.Run("person", func(t *testing.T) {
		step(t, ctx, "open the first person", chromedp.Click(chromedp.CSS(`#people-table tbody tr:first-child a`)),
			chromedp.WaitVisible(chromedp.CSS("#reason")))
		loc := run(t, ctx, "location", chromedp.Location())
		if len(pageRows) > 0 && strings.Contains(loc, pageRows[0][0]) {
			t.Errorf("the person's address %s holds their employee number", loc)
		}
		reason := run(t, ctx, "reason", chromedp.Text(chromedp.CSS("#reason")))
		if !strings.Contains(reason, " because ") {
			t.Errorf("reason %q", reason)
		}
		screenshot(t, ctx, dir, "04-person", true)
	})

	for _, p := range []struct{ name, path, wait string }{
		{"05-returns", "/returns", ".quarter"},
		{"06-imports", "/imports", "#imports-table"},
		{"07-tna", "/tna", "#tna-table"},
	} {
		t.Run(p.path, func(t *testing.T) {
			step(t, ctx, "open "+p.path, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
			screenshot(t, ctx, dir, p.name, true)
		})
	}

	t.Run("/commissioner", func(t *testing.T) {
		cs := storetest.Open(t, storetest.SQLiteDSN(t))
		csrv, _ := testServer(t, cs, commissionerStore(t, cs), false)
		step(t, ctx, "open the commissioner page", chromedp.Navigate(csrv.URL+"/commissioner"),
			chromedp.WaitVisible(chromedp.CSS("#assurance-table")))
		var statuses []string
		for _, r := range tableText(t, ctx, "assurance-table") {
			statuses = append(statuses, r[1])
		}
		if want := []string{"Received", "Late", "Missing"}; !slices.Equal(statuses, want) {
			t.Errorf("statuses %q, want %q", statuses, want)
		}
		if n := run(t, ctx, "count charts", chromedp.Evaluate[int](`document.querySelectorAll('svg.chart').length`)); n != 4 {
			t.Errorf("%d charts drawn, want 4", n)
		}
		screenshot(t, ctx, dir, "10-commissioner", true)
		step(t, ctx, "pick the quarter before",
			chromedp.SetValue(chromedp.CSS("#quarter"), "2026-27Q1"),
			chromedp.Click(chromedp.CSS(`#quarter-form button[type="submit"]`)),
			chromedp.WaitReady(chromedp.CSS(`#quarter option[value="2026-27Q1"][selected]`)),
			chromedp.WaitVisible(chromedp.CSS("#assurance-table")))
		for _, r := range tableText(t, ctx, "assurance-table") {
			if r[1] != "Received" {
				t.Errorf("2026-27Q1: %q", r)
			}
		}
		step(t, ctx, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(csrv.URL+"/commissioner"),
			chromedp.WaitVisible(chromedp.CSS("#assurance-table")))
		screenshot(t, ctx, dir, "11-commissioner-narrow", true)
		step(t, ctx, "back to desktop width", chromedp.EmulateViewport(1366, 900))
	})

	t.Run("narrow screen", func(t *testing.T) {
		step(t, ctx, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS("#org-table")))
		screenshot(t, ctx, dir, "08-overview-narrow", false)
		step(t, ctx, "back to desktop width", chromedp.EmulateViewport(1366, 900))
	})

	t.Run("sign in", func(t *testing.T) {
		hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.DefaultCost)
		if err != nil {
			t.Fatal(err)
		}
		authCfg := *cfg
		authCfg.Web = config.Web{Users: []config.WebUser{{Name: "prevent.lead", PasswordHash: string(hash)}}}
		authSrv, _ := testServer(t, s, &authCfg, false)
		step(t, ctx, "open the dashboard", chromedp.Navigate(authSrv.URL+"/tna"), chromedp.WaitVisible(chromedp.CSS("#password")))
		screenshot(t, ctx, dir, "09-sign-in", false)
		step(t, ctx, "sign in",
			chromedp.SendKeys(chromedp.CSS("#name"), "prevent.lead"),
			chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS("#tna-table")),
		)
		who := run(t, ctx, "header", chromedp.Text(chromedp.CSS(".account")))
		if !strings.Contains(who, "Signed in as prevent.lead") {
			t.Errorf("header says %q", who)
		}
		step(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`.account button`)), chromedp.WaitVisible(chromedp.CSS("#password")))
	})

	if took := time.Since(started); took > time.Minute {
		t.Errorf("the browser tests took %s, want under a minute", took)
	}
}

func ptrTo[T any](v T) *T { return &v }
