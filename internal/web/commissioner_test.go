package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// levels is a hand-made organisation: per level, {required, compliant}.
type levels map[compliance.Level][2]int

// workforce makes people with the given counts per organisation.
func workforce(orgs map[string]levels) []compliance.Person {
	var out []compliance.Person
	for _, org := range sortedKeys(orgs) {
		for _, l := range compliance.Levels {
			c := orgs[org][l]
			for i := 0; i < c[0]; i++ {
				st := compliance.Expired
				if i < c[1] {
					st = compliance.Compliant
				}
				out = append(out, compliance.Person{EmployeeNumber: fmt.Sprint(10000 + len(out)), Organisation: org, Requirement: l, Status: st})
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var (
	q1 = returns.Quarter{StartYear: 2026, Q: 1}
	q2 = returns.Quarter{StartYear: 2026, Q: 2}
)

// commissionerStore is a commissioner's store and config: three providers
// whose returns (built by returns.Build and written by WriteCSV, as
// `prevent return` does) are collated through collate.Files, as
// `prevent collate` does:
//
//   - 2026-27Q1: all three, on time;
//   - 2026-27Q2: Alpha on time and better; Beta after the window closed
//     and level 3 below 85%; Gamma's missing.
func commissionerStore(t testing.TB, s *store.Store) *config.Config {
	t.Helper()
	cfg, err := config.Load(demoConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Organisation = "NHS Example Integrated Care Board"
	cfg.Providers = []config.Provider{
		{Name: "Gamma Mental Health Trust", ODSCode: "RC3", Email: "returns@gamma.nhs.net"},
		{Name: "Alpha NHS Trust", ODSCode: "RA1", Email: "returns@alpha.nhs.net"},
		{Name: "Beta Hospitals NHS Trust", ODSCode: "RB2", Email: "returns@beta.nhs.net"},
	}
	b, l3, f2f := compliance.Basic, compliance.Level3, compliance.FaceToFace
	uk := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, collate.London) }
	sent := []struct {
		q        returns.Quarter
		code     string
		name     string
		orgs     map[string]levels
		received time.Time
	}{
		{q1, "RA1", "Alpha NHS Trust", map[string]levels{"Acute": {b: {10, 8}, l3: {8, 7}}, "Community": {b: {6, 6}}}, uk(time.July, 6, 9)},
		{q1, "RB2", "Beta Hospitals NHS Trust", map[string]levels{"Beta Hospital": {b: {20, 19}, l3: {5, 5}}}, uk(time.July, 7, 9)},
		{q1, "RC3", "Gamma Mental Health Trust", map[string]levels{"Wards": {b: {10, 9}, f2f: {2, 2}}}, uk(time.July, 8, 9)},
		{q2, "RA1", "Alpha NHS Trust", map[string]levels{"Acute": {b: {10, 9}, l3: {8, 8}}, "Community": {b: {6, 6}}}, uk(time.October, 5, 10)},
		{q2, "RB2", "Beta Hospitals NHS Trust", map[string]levels{"Beta Hospital": {b: {20, 18}, l3: {5, 4}}}, uk(time.October, 23, 10)},
	}
	dir := t.TempDir()
	for _, r := range sent {
		ret := returns.Build(r.q, returns.Provider{Name: r.name, ODSCode: r.code}, workforce(r.orgs), cfg.Threshold)
		var buf bytes.Buffer
		if err := ret.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, ret.FileName()+".csv")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		results, err := collate.Files(context.Background(), s, []string{path}, collate.FileOptions{
			Rules: collate.Rules{Quarter: r.q, Threshold: cfg.Threshold}, Providers: collate.ProvidersOf(cfg),
			Received: r.received, Now: r.received.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if !results[0].Accepted() {
			t.Fatalf("%s refused: %v %v", path, results[0].Err, results[0].Problems)
		}
	}
	return cfg
}

func TestCommissionerPage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		cfg := commissionerStore(t, s)
		srv, logs := testServer(t, s, cfg, false)
		c := client(t)

		t.Run("the last completed quarter shows every provider's return", func(t *testing.T) {
			r := get(t, c, srv.URL+"/commissioner")
			if r.status != http.StatusOK {
				t.Fatalf("status %d:\n%s", r.status, r.body)
			}
			doc := parse(t, r.body)
			want := [][]string{
				{"Alpha NHS Trust RA1", "Received", "2026-10-05 10:00", "24", "93.8% +6.3 pp", "100.0% +12.5 pp", "–", "95.8% +8.3 pp", "Yes", ""},
				{"Beta Hospitals NHS Trust RB2", "Late", "2026-10-23 10:00", "25", "90.0% -5.0 pp", "80.0% -20.0 pp", "–", "88.0% -8.0 pp", "No", "late below 85%"},
				{"Gamma Mental Health Trust RC3", "Missing", "–", "–", "–", "–", "–", "–", "–", "missing"},
			}
			if got := tableRows(t, doc, "assurance-table"); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("assurance table\n got %q\nwant %q", got, want)
			}
			// Each rate is green at or above 85%, red below.
			var classes []string
			for _, td := range find(find(doc, byID("assurance-table"))[0], element("td")) {
				if cl := attr(td, "class"); strings.HasPrefix(cl, "num ") {
					classes = append(classes, strings.TrimPrefix(cl, "num "))
				}
			}
			if want := "ok ok ok ok below ok"; strings.Join(strings.Fields(strings.Join(classes, " ")), " ") != want {
				t.Errorf("rate colours %q, want %q", classes, want)
			}
			for _, w := range []string{"2 of 3 providers received (1 late); 1 missing; 1 below 85%.", "Wednesday 21 October 2026",
				`<option value="2026-27Q2" selected>`, "no return (missing)", "85% minimum", `href="/commissioner.csv?quarter=2026-27Q2"`,
				`href="/commissioner.xlsx?quarter=2026-27Q2"`} {
				if !strings.Contains(r.body, html.EscapeString(w)) && !strings.Contains(r.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			// The trend: each provider's all-staff rate by quarter, a chart each.
			trend := tableRows(t, doc, "trend-table")
			wantTrend := [][]string{
				{"Alpha NHS Trust RA1", "87.5%", "95.8%"},
				{"Beta Hospitals NHS Trust RB2", "96.0%", "88.0%"},
				{"Gamma Mental Health Trust RC3", "91.7%", "–"},
			}
			if !slices.EqualFunc(trend, wantTrend, slices.Equal) {
				t.Errorf("trend\n got %q\nwant %q", trend, wantTrend)
			}
			if !strings.Contains(r.body, "Q1 26/27") || !strings.Contains(r.body, "Q2 26/27") || strings.Contains(r.body, "Q4 25/26") {
				t.Error("the trend does not run from the first quarter with returns to the one shown")
			}
			if n := strings.Count(r.body, `<svg class="chart"`); n != 4 {
				t.Errorf("%d charts, want the bar chart and one trend per provider", n)
			}
			var nav []string
			for _, a := range find(doc, element("a")) {
				if attr(a, "href") == "/commissioner" {
					nav = append(nav, text(a))
				}
			}
			if !slices.Equal(nav, []string{"Commissioner"}) {
				t.Errorf("navigation links to /commissioner: %q", nav)
			}
		})

		t.Run("the CSV and XLSX are the assurance command's", func(t *testing.T) {
			a, err := collate.LoadForConfig(context.Background(), s, cfg, q2, testNow)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := a.WriteCSV(&want); err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{"/commissioner.csv?quarter=2026-27Q2", "/commissioner.csv", "/commissioner.csv?quarter=2026%2F27+Q2"} {
				r := get(t, c, srv.URL+path)
				if r.status != http.StatusOK || r.body != want.String() {
					t.Errorf("%s: status %d\n got %s\nwant %s", path, r.status, r.body, want.String())
				}
				if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="Prevent assurance 2026-27Q2.csv"` {
					t.Errorf("Content-Disposition %q", cd)
				}
			}
			if !strings.Contains(want.String(), "2026-27Q2,RB2,Beta Hospitals NHS Trust,late,2026-10-23T10:00:00+01:00,,2026-10-21,1,25,90.0,-5.0,80.0,-20.0,,,88.0,-8.0,no,late;below_threshold\n") {
				t.Errorf("assurance CSV:\n%s", want.String())
			}
			x := get(t, c, srv.URL+"/commissioner.xlsx?quarter=2026-27Q2")
			if x.status != http.StatusOK || x.header.Get("Content-Type") != xlsxType {
				t.Fatalf("status %d type %s", x.status, x.header.Get("Content-Type"))
			}
			book, err := excelize.OpenReader(strings.NewReader(x.body))
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := book.GetRows(collate.SheetAssurance)
			if len(rows) < 4 || rows[1][2] != "Alpha NHS Trust" || rows[3][3] != "missing" {
				t.Errorf("Assurance sheet %q", rows)
			}
		})

		t.Run("a quarter whose window is open awaits every return", func(t *testing.T) {
			r := get(t, c, srv.URL+"/commissioner?quarter=2026-27Q3")
			rows := tableRows(t, parse(t, r.body), "assurance-table")
			if len(rows) != 3 {
				t.Fatalf("%d rows", len(rows))
			}
			for _, row := range rows {
				if row[1] != "Awaited" {
					t.Errorf("row %q, want awaited", row)
				}
			}
			if !strings.Contains(r.body, "the submission window is open") {
				t.Error("the page does not say the window is open")
			}
		})

		t.Run("a quarter that is not one is a 400 saying why", func(t *testing.T) {
			for _, path := range []string{"/commissioner?quarter=2026Q5", "/commissioner.csv?quarter=Q7"} {
				r := get(t, c, srv.URL+path)
				if r.status != http.StatusBadRequest || !strings.Contains(r.body, "is not a financial-year quarter") {
					t.Errorf("%s: status %d", path, r.status)
				}
			}
		})

		if strings.Contains(logs.String(), "quarter=") {
			t.Error("the log holds a query string")
		}
	})
}

func TestCommissionerPageWithoutProviders(t *testing.T) {
	s, cfg := demoStore(t)
	srv, _ := testServer(t, s, cfg, false)
	c := client(t)
	r := get(t, c, srv.URL+"/")
	if strings.Contains(r.body, `href="/commissioner"`) {
		t.Error("a provider's dashboard offers the commissioner page")
	}
	r = get(t, c, srv.URL+"/commissioner")
	if r.status != http.StatusOK || !strings.Contains(r.body, "No providers are configured and no returns were collated for 2026-27Q2") {
		t.Errorf("status %d:\n%s", r.status, r.body)
	}

	t.Run("returns held without providers configured show the page", func(t *testing.T) {
		fresh := storetest.Open(t, storetest.SQLiteDSN(t))
		withProviders := commissionerStore(t, fresh)
		bare := *withProviders
		bare.Providers = nil
		srv, _ := testServer(t, fresh, &bare, false)
		r := get(t, c, srv.URL+"/tna")
		if !strings.Contains(r.body, `href="/commissioner"`) {
			t.Error("no link to the commissioner page")
		}
		rows := tableRows(t, parse(t, get(t, c, srv.URL+"/commissioner").body), "assurance-table")
		if len(rows) != 2 || !strings.Contains(rows[0][9], "not in the config") {
			t.Errorf("rows %q", rows)
		}
	})
}
