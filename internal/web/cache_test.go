package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// quietServer is a dashboard over the store with the test clock, and its
// HTTP server.
func quietServer(t *testing.T, st *store.Store, cfg *config.Config, now time.Time) (*server, *httptest.Server) {
	t.Helper()
	s, err := newServer(Options{Store: st, Config: cfg, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.handler())
	t.Cleanup(srv.Close)
	return s, srv
}

// A page reads the data's version once, however many positions it shows:
// the overview its date and eight quarters, the returns page eight
// quarters.
func TestDataVersionReadOncePerRequest(t *testing.T) {
	st, cfg := demoStore(t)
	s, srv := quietServer(t, st, cfg, testNow)
	c := client(t)
	for _, p := range []string{"/", "/?as_of=2026-09-30", "/returns", "/people?sort=due", "/tna", "/imports", "/", "/returns"} {
		before := s.versionReads.Load()
		if r := get(t, c, srv.URL+p); r.status != http.StatusOK {
			t.Fatalf("%s: status %d", p, r.status)
		}
		if n := s.versionReads.Load() - before; n != 1 {
			t.Errorf("%s read the data's version %d times, want 1", p, n)
		}
	}
	if n := s.computed.Load(); n < 3 {
		t.Errorf("only %d computations: the pages did not need several positions", n)
	}
}

// importInto imports a demo file into a store.
func importInto(t *testing.T, st *store.Store, cfg *config.Config, kind, file string) {
	t.Helper()
	ctx := context.Background()
	opt := ingest.Options{Aliases: cfg.Aliases(), Today: compliance.Date(2026, 12, 1)}
	path := filepath.Join("../../testdata/demo", file)
	var err error
	switch kind {
	case "staff":
		_, err = ingest.Staff(ctx, st, path, opt)
	case "completions":
		_, err = ingest.Completions(ctx, st, path, opt)
	case "exemptions":
		_, err = ingest.Exemptions(ctx, st, path, opt)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// An import makes every cached page stale: the next request shows the new
// data.
func TestImportMakesCachesStale(t *testing.T) {
	_, cfg := demoStore(t)
	st := storetest.Open(t, storetest.SQLiteDSN(t))
	importInto(t, st, cfg, "staff", "esr_staff_2026-09-30.csv")
	importInto(t, st, cfg, "staff", "ESR Staff Extract 2026-10-31.xlsx")
	importInto(t, st, cfg, "completions", "LMS completions export 2026-11-01.csv")
	s, srv := quietServer(t, st, cfg, time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	if err := s.warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := client(t)
	pages := func() map[string]string {
		out := map[string]string{}
		for _, p := range []string{"/", "/people", "/tna", "/imports", "/returns"} {
			r := get(t, c, srv.URL+p)
			if r.status != http.StatusOK {
				t.Fatalf("%s: status %d", p, r.status)
			}
			out[p] = r.body
		}
		return out
	}
	before := pages()
	if !strings.Contains(before["/"], "31 October 2026") {
		t.Fatal("the overview does not show the October extract")
	}
	computed := s.computed.Load()
	if again := pages(); !maps(again, before) || s.computed.Load() != computed {
		t.Fatal("the pages changed, or were computed again, with the data unchanged")
	}
	importInto(t, st, cfg, "staff", "ESR Staff Extract 2026-11-30.xlsx")
	importInto(t, st, cfg, "completions", "ESR competences 2026-11-01.xlsx")
	after := pages()
	for p := range after {
		if after[p] == before[p] {
			t.Errorf("%s is unchanged after two imports", p)
		}
	}
	if !strings.Contains(after["/"], "30 November 2026") || !strings.Contains(after["/imports"], "ESR competences 2026-11-01.xlsx") {
		t.Error("the pages do not show the new imports")
	}
	// Warming up again finds the new data, and then has nothing to do.
	if err := s.warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := s.computed.Load()
	if err := s.warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.computed.Load() != n {
		t.Error("a second warm-up on the same data computed again")
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// After warming up, every page is served from the caches: nothing is
// computed for the first visitor. A visitor arriving while the warm-up
// runs waits for its computations rather than starting more.
func TestWarmUp(t *testing.T) {
	st, cfg := demoStore(t)
	pages := []string{"/", "/people", "/people?sort=due&status=expired", "/returns", "/imports", "/tna"}
	s, srv := quietServer(t, st, cfg, testNow)
	if err := s.warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	warmed := s.computed.Load()
	if warmed == 0 {
		t.Fatal("the warm-up computed nothing")
	}
	c := client(t)
	for _, p := range pages {
		if r := get(t, c, srv.URL+p); r.status != http.StatusOK {
			t.Fatalf("%s: status %d", p, r.status)
		}
	}
	if n := s.computed.Load(); n != warmed {
		t.Errorf("the pages computed %d things after the warm-up", n-warmed)
	}

	t.Run("a visitor during the warm-up shares its work", func(t *testing.T) {
		for range 3 {
			s, srv := quietServer(t, st, cfg, testNow)
			var wg sync.WaitGroup
			wg.Go(func() {
				if err := s.warm(context.Background()); err != nil {
					t.Error(err)
				}
			})
			for _, p := range pages {
				wg.Go(func() {
					if r := get(t, c, srv.URL+p); r.status != http.StatusOK {
						t.Errorf("%s: status %d", p, r.status)
					}
				})
			}
			wg.Wait()
			if n := s.computed.Load(); n != warmed {
				t.Errorf("the warm-up and %d visitors computed %d things, the warm-up alone %d", len(pages), n, warmed)
			}
		}
	})

	t.Run("Warm keeps at it until stopped", func(t *testing.T) {
		h, err := New(Options{Store: st, Config: cfg, Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); Warm(ctx, h, time.Millisecond) }()
		s := h.(*handler).s
		deadline := time.Now().Add(time.Minute)
		for s.warmed.Load() == nil && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		reads := s.versionReads.Load()
		time.Sleep(50 * time.Millisecond)
		if s.versionReads.Load() == reads {
			t.Error("Warm stopped looking at the data's version")
		}
		cancel()
		<-done
		if s.warmed.Load() == nil {
			t.Error("Warm never finished warming up")
		}
	})
}

// A person's page computed for them alone (no position cached) is the
// page the whole workforce's position gives, for people in and out of
// the workforce, on dates with and without a snapshot.
func TestPersonPageWithoutTheWorkforce(t *testing.T) {
	st, cfg := demoStore(t)
	people := demoPeople(t)
	var emps []string
	for i := 0; i < len(people); i += 97 {
		emps = append(emps, people[i].EmployeeNumber)
	}
	all, err := st.EmployeeNumbers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all { // someone in the September extract only
		if _, found := slices.BinarySearchFunc(people, e, func(p compliance.Person, e string) int { return strings.Compare(p.EmployeeNumber, e) }); !found {
			emps = append(emps, e)
			break
		}
	}
	c := client(t)
	for _, asOf := range []string{"", "2026-09-30", "2026-10-15", "2020-01-01"} {
		alone, aloneSrv := quietServer(t, st, cfg, testNow)
		whole, wholeSrv := quietServer(t, st, cfg, testNow)
		day := testNow
		if asOf != "" {
			day, _ = time.Parse(time.DateOnly, asOf)
		}
		if _, err := whole.load(context.Background(), day); err != nil && !noSnapshot(err) {
			t.Fatal(err)
		}
		q := ""
		if asOf != "" {
			q = "?as_of=" + asOf
		}
		for _, emp := range emps {
			a := get(t, c, aloneSrv.URL+"/people/"+alone.personToken(emp)+q)
			w := get(t, c, wholeSrv.URL+"/people/"+whole.personToken(emp)+q)
			if a.status != http.StatusOK || w.status != http.StatusOK {
				t.Fatalf("%s %s: status %d and %d", asOf, emp, a.status, w.status)
			}
			if a.body != w.body {
				t.Errorf("as of %q, %s: the page computed alone differs from the whole workforce's", asOf, emp)
			}
		}
		if n := alone.computed.Load(); n != 0 {
			t.Errorf("as of %q: person pages computed %d positions", asOf, n)
		}
	}
}

// Tokens are opaque, the same for a person while the process runs, open
// to their number, and to nobody when made elsewhere or changed.
func TestPersonTokens(t *testing.T) {
	st, cfg := demoStore(t)
	s, _ := quietServer(t, st, cfg, testNow)
	other, _ := quietServer(t, st, cfg, testNow)
	for _, emp := range []string{"20151658", "1", "0012345", "X-99/7", strings.Repeat("9", 15), strings.Repeat("8", 16), "ünï"} {
		tok := s.personToken(emp)
		if tok != s.personToken(emp) {
			t.Errorf("%q: two tokens", emp)
		}
		if len(emp) > 3 && strings.Contains(tok, emp) {
			t.Errorf("%q: the token %q shows the number", emp, tok)
		}
		if got, ok := s.personByToken(tok); !ok || got != emp {
			t.Errorf("%q: the token opens to %q, %v", emp, got, ok)
		}
		if got, ok := other.personByToken(tok); ok {
			t.Errorf("%q: another process's dashboard opens the token to %q", emp, got)
		}
		b := []byte(tok)
		for i := range b {
			changed := append([]byte(nil), b...)
			changed[i] = "AB"[b[i]%2]
			if changed[i] == b[i] {
				continue
			}
			if got, ok := s.personByToken(string(changed)); ok {
				t.Errorf("%q: the token changed at %d opens to %q", emp, i, got)
			}
		}
	}
	if a, b := s.personToken("1"), s.personToken("20151658"); len(a) != len(b) || len(a) != 43 {
		t.Errorf("tokens of %d and %d characters for numbers of 1 and 8 digits", len(a), len(b))
	}
	for _, tok := range []string{"", "not-a-person", strings.Repeat("A", 43), strings.Repeat("A", 10000), "%%%"} {
		if got, ok := s.personByToken(tok); ok {
			t.Errorf("%q opens to %q", tok, got)
		}
	}
}

// The position cache holds positions by people: a trust's four dates, a
// national workforce's one, today's kept first.
func TestPositionCacheBudget(t *testing.T) {
	today := compliance.Date(2026, 12, 2)
	pos := func(day time.Time, people int, version string) *position {
		return &position{Position: &report.Position{AsOf: day, People: make([]compliance.Person, people)}, version: version}
	}
	days := []time.Time{today, compliance.Date(2026, 9, 30), compliance.Date(2026, 6, 30), compliance.Date(2026, 3, 31), compliance.Date(2025, 12, 31)}
	t.Run("a trust keeps four", func(t *testing.T) {
		c := newPositionCache()
		for _, d := range days {
			if !c.put(pos(d, 30_000, "v1"), today) {
				t.Errorf("%s not kept", d)
			}
		}
		var held []string
		for _, d := range days {
			if c.get(d, "v1") != nil {
				held = append(held, isoDate(d))
			}
		}
		if want := []string{"2026-12-02", "2026-06-30", "2026-03-31", "2025-12-31"}; !slices.Equal(held, want) {
			t.Errorf("held %v, want %v (the least recently used other than today's goes)", held, want)
		}
		if c.get(today, "v2") != nil {
			t.Error("a position of another version was given")
		}
	})
	t.Run("a national workforce keeps one, today's first", func(t *testing.T) {
		c := newPositionCache()
		c.put(pos(days[1], 2_000_000, "v1"), today)
		if !c.put(pos(today, 2_000_000, "v1"), today) || c.get(days[1], "v1") != nil {
			t.Error("today's did not replace another date's")
		}
		if c.put(pos(days[2], 2_000_000, "v1"), today) || c.get(today, "v1") == nil {
			t.Error("another date's replaced today's")
		}
		if c.people() != 2_000_000 {
			t.Errorf("holds %d people", c.people())
		}
		if !c.put(pos(days[2], 2_000_000, "v2"), today) || c.get(today, "v1") != nil || c.people() != 2_000_000 {
			t.Error("a new version did not replace the old")
		}
	})
}

// The people list sorted by due date is the order it always was: never
// trained first, then by due date, ties by employee number; each filter
// selects what it did.
func TestPeopleOrder(t *testing.T) {
	people := demoPeople(t)
	pos := &position{Position: &report.Position{AsOf: compliance.Day(testNow), People: people}}
	for _, q := range []string{"sort=due", "sort=due&status=expired&status=never", "due_within=90&sort=due", "org=RXX+Emergency+Department", "requirement=level3&sort=due"} {
		f, err := parsePeopleFilter(mustQuery(t, q))
		if err != nil {
			t.Fatal(err)
		}
		// As the list was made before it was made from the position:
		// filtered, then sorted.
		want := f.apply(people, pos.AsOf)
		var got []string
		f.each(pos, func(p *compliance.Person) { got = append(got, p.EmployeeNumber) })
		if again := pos.selection(f); len(again) != len(got) || len(pos.selections) == 0 && q != "sort=due" {
			t.Errorf("%s: the selection was not kept", q)
		}
		var wantNumbers []string
		for _, p := range want {
			wantNumbers = append(wantNumbers, p.EmployeeNumber)
		}
		if len(got) == 0 || !slices.Equal(got, wantNumbers) {
			t.Errorf("%s: %d people in another order than the %d expected", q, len(got), len(wantNumbers))
		}
	}
}

// The overview, people, TNA and returns pages' contents are rendered once for an
// address, a user, the data's version and the day, and kept: the same
// page again is the same bytes without rendering, another address or user
// or an import renders anew, and the layout around it (who is signed in)
// is each request's own.
func TestPageContentsKept(t *testing.T) {
	_, cfg := demoStore(t)
	st := storetest.Open(t, storetest.SQLiteDSN(t))
	importInto(t, st, cfg, "staff", "ESR Staff Extract 2026-10-31.xlsx")
	importInto(t, st, cfg, "completions", "LMS completions export 2026-11-01.csv")
	proxied := *cfg
	proxied.Web = config.Web{ProxyHeader: "X-Forwarded-User"}
	s, srv := quietServer(t, st, &proxied, testNow)
	c := client(t)
	ask := func(path, user string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("X-Forwarded-User", user)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r := read(t, resp)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", path, r.status)
		}
		return r.body
	}
	rendered := func(want int64, what string) {
		t.Helper()
		if got := s.contentRendered.Load(); got != want {
			t.Errorf("%s: %d contents rendered, want %d", what, got, want)
		}
	}
	first := ask("/", "ann@example.nhs.net")
	rendered(1, "the overview")
	if again := ask("/", "ann@example.nhs.net"); again != first {
		t.Error("the overview kept differs from the overview rendered")
	}
	rendered(1, "the overview again")
	ask("/people?status=expired", "ann@example.nhs.net")
	ask("/people?status=expired", "ann@example.nhs.net")
	ask("/tna", "ann@example.nhs.net")
	ask("/tna", "ann@example.nhs.net")
	rendered(3, "people and TNA, twice each")
	ask("/?by=org_l3", "ann@example.nhs.net")
	rendered(4, "another address")
	bo := ask("/", "bo@example.nhs.net")
	rendered(5, "another user")
	if !strings.Contains(bo, "Signed in as bo@example.nhs.net") || strings.Contains(bo, "ann@example.nhs.net") {
		t.Error("the second user's page is not their own")
	}
	// The returns page shows deliveries, which change without an import:
	// it is kept for their state, and a send renders it anew.
	before := ask("/returns", "ann@example.nhs.net")
	ask("/returns", "ann@example.nhs.net")
	rendered(6, "the returns page, twice")
	ctx := context.Background()
	d, err := st.EnsureDelivery(ctx, store.ReturnKind, "2026-27Q2", "icb@example.nhs.net", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if sent := ask("/returns", "ann@example.nhs.net"); sent == before || !strings.Contains(sent, "icb@example.nhs.net") {
		t.Error("the returns page does not show a delivery queued since it was kept")
	}
	rendered(7, "the returns page after a delivery is queued")
	if _, err := st.ClaimDelivery(ctx, d.ID, testNow, false, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDeliverySent(ctx, d.ID, "m1", "", testNow, nil); err != nil {
		t.Fatal(err)
	}
	ask("/returns", "ann@example.nhs.net")
	rendered(8, "the returns page after the delivery is sent")

	importInto(t, st, cfg, "completions", "ESR competences 2026-11-01.xlsx")
	if after := ask("/", "ann@example.nhs.net"); after == first {
		t.Error("the overview after an import is the one before it")
	}
	rendered(9, "after an import")
}
