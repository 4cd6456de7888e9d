package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/nhs-prevent/prevent/internal/config"
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
