package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/store"
)

// TestDashboardAtScale times every page of the dashboard on a large
// database, read only: PREVENT_WEB_SCALE_DB names it (the national bench's
// PostgreSQL; the connection is made read-only), PREVENT_WEB_SCALE_CONFIG
// its config (default prevent.example.yaml). Without it the test is
// skipped. It logs the warm-up's time and each page's first load after
// it, each page cached (slowest of three), then every page requested by
// 10 users at once, and the process's peak RSS. PREVENT_WEB_SCALE_STEPS
// adds "cold" (each page's first load on a dashboard started afresh for it
// alone, without warm-up, and an address from before a restart) and
// "midwarm" (10 users arriving as the warm-up starts).
func TestDashboardAtScale(t *testing.T) {
	dsn := os.Getenv("PREVENT_WEB_SCALE_DB")
	if dsn == "" {
		t.Skip("PREVENT_WEB_SCALE_DB names no database")
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	if strings.HasPrefix(dsn, "postgres") {
		dsn += sep + "default_transaction_read_only=on"
	}
	cfgPath := os.Getenv("PREVENT_WEB_SCALE_CONFIG")
	if cfgPath == "" {
		cfgPath = demoConfig
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var emp string
	if err := st.DB().QueryRowContext(context.Background(),
		`SELECT employee_number FROM assignments WHERE snapshot_id = (SELECT id FROM snapshots ORDER BY effective_date DESC LIMIT 1) LIMIT 1`).Scan(&emp); err != nil {
		t.Fatal(err)
	}
	newDashboard := func() (*server, *httptest.Server) {
		s, err := newServer(Options{Store: st, Config: cfg, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return s, httptest.NewServer(s.handler())
	}
	fetch := func(u string) (time.Duration, int, int) {
		start := time.Now()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), resp.StatusCode, int(n)
	}
	pages := []string{"/", "/people", "/people?sort=due&status=expired&page=3", "/people/{id}", "/returns", "/imports", "/tna", "/commissioner"}
	address := func(s *server, p string) string {
		return strings.ReplaceAll(p, "{id}", s.personToken(emp))
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

	steps := os.Getenv("PREVENT_WEB_SCALE_STEPS")
	if strings.Contains(steps, "cold") {
		t.Logf("first load, a dashboard started afresh for each page, no warm-up (load average %s)", loadAverage())
		for _, p := range pages {
			s, srv := newDashboard()
			first, status, size := fetch(srv.URL + address(s, p))
			again, _, _ := fetch(srv.URL + address(s, p))
			t.Logf("%-42s first %8s  again %8s  status %d, %d KB; peak RSS so far %d MB", p, ms(first), ms(again), status, size/1024, peakRSS()/1024)
			srv.Close()
			runtime.GC() // the next page's dashboard starts with nothing held
		}
		_, srv := newDashboard()
		other, otherSrv := newDashboard()
		otherSrv.Close()
		start := time.Now()
		_, status, _ := fetch(srv.URL + "/people/" + other.personToken(emp))
		t.Logf("an address from before a restart: %s (status %d)", ms(time.Since(start)), status)
		srv.Close()
		runtime.GC()
	}
	if strings.Contains(steps, "midwarm") {
		s, srv := newDashboard()
		start := time.Now()
		done := make(chan time.Duration)
		go func() {
			if err := s.warm(context.Background()); err != nil {
				t.Error(err)
			}
			done <- time.Since(start)
		}()
		t.Logf("first load of each page by 10 users at once, arriving as the warm-up starts (load average %s)", loadAverage())
		var wg sync.WaitGroup
		var mu sync.Mutex
		worst := map[string]time.Duration{}
		for u := range 10 {
			wg.Go(func() {
				p := pages[u%len(pages)]
				d, status, _ := fetch(srv.URL + address(s, p))
				if status != http.StatusOK {
					t.Errorf("%s: status %d", p, status)
				}
				mu.Lock()
				worst[p] = max(worst[p], d)
				mu.Unlock()
			})
		}
		wg.Wait()
		for _, p := range pages {
			t.Logf("%-42s %8s", p, ms(worst[p]))
		}
		t.Logf("the warm-up took %s; computed %d; peak RSS so far %d MB", ms(<-done), s.computed.Load(), peakRSS()/1024)
		srv.Close()
		runtime.GC()
	}

	s, srv := newDashboard()
	defer srv.Close()
	start := time.Now()
	if err := s.warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	warmed := time.Since(start)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("warm-up: %s, %d computations, %d people held, %d MB of heap live after it; peak RSS so far %d MB (load average %s)",
		ms(warmed), s.computed.Load(), s.position.people(), m.HeapAlloc>>20, peakRSS()/1024, loadAverage())
	t.Logf("first load after the warm-up:")
	for _, p := range pages {
		d, status, size := fetch(srv.URL + address(s, p))
		t.Logf("%-42s %8s  status %d, %d KB", p, ms(d), status, size/1024)
	}
	t.Logf("cached (slowest of 3), one user (load average %s):", loadAverage())
	for _, p := range pages {
		var worst time.Duration
		for range 3 {
			d, _, _ := fetch(srv.URL + address(s, p))
			worst = max(worst, d)
		}
		t.Logf("%-42s %8s", p, ms(worst))
	}
	const users, rounds = 10, 3
	took := map[string][]time.Duration{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start = time.Now()
	for u := range users {
		wg.Go(func() {
			for r := range rounds {
				for i := range pages {
					p := pages[(i+u+r)%len(pages)]
					d, status, _ := fetch(srv.URL + address(s, p))
					if status != http.StatusOK {
						t.Errorf("%s: status %d", p, status)
					}
					mu.Lock()
					took[p] = append(took[p], d)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d users at once, %d rounds of every page, in %s (load average %s):", users, rounds, ms(time.Since(start)), loadAverage())
	for _, p := range pages {
		ds := took[p]
		slices.Sort(ds)
		t.Logf("%-42s median %8s  slowest %8s", p, ms(ds[len(ds)/2]), ms(ds[len(ds)-1]))
	}
	t.Logf("peak RSS %d MB", peakRSS()/1024)
}

// loadAverage is the machine's one-minute load average, "" where Linux
// does not say.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return strings.Fields(string(b))[0]
}
