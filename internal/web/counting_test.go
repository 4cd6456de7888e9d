package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// The overview groups by any summary key, each row drilling into its
// people; a manager's team has a view of its own; RAG bands colour rates.
func TestOverviewGroupsAndDrillsDown(t *testing.T) {
	s, cfg := demoStore(t)
	banded := *cfg
	banded.RAG = &config.RAG{RedBelow: 0.75}
	srv, _ := testServer(t, s, &banded, false)
	c := client(t)
	for _, by := range []string{"org_l3", "manager"} {
		t.Run(by, func(t *testing.T) {
			page := get(t, c, srv.URL+"/?by="+by)
			if page.status != http.StatusOK {
				t.Fatalf("status %d", page.status)
			}
			doc := parse(t, page.body)
			rows := tableRows(t, doc, "org-table")
			if len(rows) < 2 {
				t.Fatalf("rows %v", rows)
			}
			sum := 0
			for _, r := range rows {
				n, err := strconv.Atoi(r[1])
				if err != nil {
					t.Fatalf("row %v", r)
				}
				sum += n
			}
			total := 0
			for _, tf := range find(doc, element("tfoot")) {
				for _, td := range find(tf, element("td")) {
					total, _ = strconv.Atoi(text(td))
					break
				}
			}
			if sum != total || total == 0 {
				t.Errorf("groups add to %d people, total %d", sum, total)
			}
			var rag int
			for n := range doc.Descendants() {
				if n.Type == html.ElementNode && strings.Contains(attr(n, "class"), "rag-") {
					rag++
				}
			}
			if rag == 0 {
				t.Error("no rate coloured by its RAG band")
			}
			// The headline cards take their band's colour too, not only
			// meets or below.
			var cards []string
			for _, n := range find(doc, element("div")) {
				if c := attr(n, "class"); strings.HasPrefix(c, "card ") {
					cards = append(cards, c)
				}
			}
			for _, c := range cards {
				if !strings.Contains(c, "card-red") && !strings.Contains(c, "card-amber") && !strings.Contains(c, "card-green") && !strings.Contains(c, "card-none") {
					t.Errorf("headline card %q not coloured by its RAG band (cards %q)", c, cards)
				}
			}
			if len(cards) != 4 {
				t.Errorf("%d headline cards, want 4: %q", len(cards), cards)
			}
			// The first group's link lists exactly its people.
			var href string
			for _, a := range find(doc, element("a")) {
				if h := attr(a, "href"); strings.HasPrefix(h, "/people?"+by+"=") {
					href = h
					break
				}
			}
			if href == "" {
				t.Fatal("no link to a group's people")
			}
			people := get(t, c, srv.URL+href)
			shown := allPages(t, c, srv.URL+href)
			if want, _ := strconv.Atoi(rows[0][1]); len(shown) != want {
				t.Errorf("%s lists %d people, the overview counts %d", href, len(shown), want)
			}
			if by == "manager" && !strings.Contains(people.body, "Team of ") {
				t.Errorf("no team figures on %s", href)
			}
		})
	}
	t.Run("an unknown grouping is a bad request", func(t *testing.T) {
		if page := get(t, c, srv.URL+"/?by=org_l9"); page.status != http.StatusBadRequest {
			t.Errorf("status %d", page.status)
		}
	})
}

// The people list's downloads, and its page, carry the columns the status
// listing adds when counting as the trust counts (start date, exempt
// reason), and only then.
func TestPeopleDownloadsCarryTheExtras(t *testing.T) {
	_, cfg := demoStore(t)
	st := storetest.Open(t, storetest.SQLiteDSN(t))
	importInto(t, st, cfg, "staff", "ESR Staff Extract 2026-11-30.xlsx")
	importInto(t, st, cfg, "completions", "LMS completions export 2026-11-01.csv")
	base := "employee_number,name,organisation,staff_group,requirement,status,completed_on,due_date"

	plain, _ := testServer(t, st, cfg, false)
	c := client(t)
	r := get(t, c, plain.URL+"/people.csv?as_of=2026-11-30")
	if first, _, _ := strings.Cut(r.body, "\n"); r.status != http.StatusOK || first != base {
		t.Fatalf("without counting: status %d, header %q, want %q", r.status, first, base)
	}

	importInto(t, st, cfg, "exemptions", "exemptions 2026-12-01.csv")
	counting := *cfg
	counting.NewStarterDays = 60
	srv, _ := testServer(t, st, &counting, false)
	r = get(t, c, srv.URL+"/people.csv?as_of=2026-11-30")
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || r.status != http.StatusOK || len(rows) < 2 {
		t.Fatalf("status %d, %v: %.300s", r.status, err, r.body)
	}
	if got := strings.Join(rows[0], ","); got != base+",start_date,exempt_reason" {
		t.Fatalf("header %q", got)
	}
	var exempt, starters int
	for _, row := range rows[1:] {
		if len(row) != 10 {
			t.Fatalf("row %v", row)
		}
		switch row[5] {
		case "exempt":
			if row[9] == "" {
				t.Errorf("an exempt person without a reason: %v", row)
			}
			exempt++
		case "new_starter":
			if row[8] <= "2026-10-01" {
				t.Errorf("a new starter who started more than 60 days before: %v", row)
			}
			starters++
		}
	}
	if exempt == 0 || starters == 0 {
		t.Errorf("%d exempt, %d new starters: the download should show both", exempt, starters)
	}

	x := get(t, c, srv.URL+"/people.xlsx?as_of=2026-11-30&status=exempt")
	book, err := excelize.OpenReader(strings.NewReader(x.body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := book.GetSheetList()[0]
	xrows, err := book.GetRows(sheet)
	if err != nil || len(xrows) != exempt+1 {
		t.Fatalf("%d rows, want %d exempt and the header: %v", len(xrows), exempt, err)
	}
	if got := strings.Join(xrows[0], ","); got != base+",start_date,exempt_reason" || xrows[1][9] == "" {
		t.Errorf("xlsx header %q, first row %v", got, xrows[1])
	}

	page := get(t, c, srv.URL+"/people?as_of=2026-11-30")
	if !strings.Contains(page.body, `<th scope="col">Started</th><th scope="col">Exempt reason</th>`) {
		t.Error("the people page does not head the start date and exempt reason")
	}
}
