package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// allPages follows the people list's next links from u and returns the
// rows of every page in order.
func allPages(t testing.TB, c *http.Client, u string) [][]string {
	t.Helper()
	var rows [][]string
	base := u[:strings.Index(u, "/people")]
	for seen := 0; u != ""; seen++ {
		if seen > 100 {
			t.Fatal("more than 100 pages")
		}
		r := get(t, c, u)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", u, r.status)
		}
		doc := parse(t, r.body)
		rows = append(rows, tableRows(t, doc, "people-table")...)
		u = ""
		if next := find(doc, byID("page-next")); len(next) == 1 {
			u = base + attr(next[0], "href")
		}
	}
	return rows
}

// pageOf fetches one page of the people list and returns it parsed.
func pageOf(t *testing.T, c *http.Client, u string) (rows [][]string, pageOf, next, prev string, body string) {
	t.Helper()
	r := get(t, c, u)
	if r.status != http.StatusOK {
		t.Fatalf("%s: status %d", u, r.status)
	}
	doc := parse(t, r.body)
	if n := find(doc, byID("page-next")); len(n) == 1 {
		next = attr(n[0], "href")
	}
	if p := find(doc, byID("page-prev")); len(p) == 1 {
		prev = attr(p[0], "href")
	}
	if p := find(doc, byID("page-of")); len(p) == 1 {
		pageOf = text(p[0])
	}
	return tableRows(t, doc, "people-table"), pageOf, next, prev, r.body
}

func TestPeoplePages(t *testing.T) {
	s, cfg := demoStore(t)
	srv, _ := testServer(t, s, cfg, false)
	c := client(t)
	people := demoPeople(t)
	numbers := func(rows [][]string) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r[0])
		}
		return out
	}
	want := func(f peopleFilter, lo, hi int) []string {
		sel := f.apply(people, testNow)
		var out []string
		for _, p := range sel[lo:min(hi, len(sel))] {
			out = append(out, p.EmployeeNumber)
		}
		return out
	}
	all := peopleFilter{DueWithin: -1}

	t.Run("page 1 and page 3 hold the right people in order", func(t *testing.T) {
		rows, of, next, prev, _ := pageOf(t, c, srv.URL+"/people")
		if got := numbers(rows); !slices.Equal(got, want(all, 0, 200)) {
			t.Errorf("page 1: %d people from %v, want the first 200 by employee number", len(got), got[:1])
		}
		if of != "Page 1 of 8" || prev != "" || next != "/people?page=2" {
			t.Errorf("page 1: %q, prev %q, next %q", of, prev, next)
		}
		rows, of, next, prev, _ = pageOf(t, c, srv.URL+"/people?page=3")
		if got := numbers(rows); !slices.Equal(got, want(all, 400, 600)) {
			t.Errorf("page 3 holds %v..., want %v...", got[:1], want(all, 400, 401))
		}
		if of != "Page 3 of 8" || prev != "/people?page=2" || next != "/people?page=4" {
			t.Errorf("page 3: %q, prev %q, next %q", of, prev, next)
		}
		rows, of, next, _, _ = pageOf(t, c, srv.URL+"/people?page=8")
		if len(rows) != 1505-7*200 || of != "Page 8 of 8" || next != "" {
			t.Errorf("last page: %d rows, %q, next %q", len(rows), of, next)
		}
	})

	t.Run("a filtered, sorted page keeps its filters in every link", func(t *testing.T) {
		q := "org=RXX+Emergency+Department&status=compliant&status=due_soon&sort=due&per=100"
		f, err := parsePeopleFilter(mustQuery(t, q))
		if err != nil {
			t.Fatal(err)
		}
		match := len(f.apply(people, testNow))
		pages := (match + 99) / 100
		if pages < 2 {
			t.Fatalf("the demo has %d such people: too few for two pages", match)
		}
		rows, of, _, _, body := pageOf(t, c, srv.URL+"/people?"+q+"&page=2")
		if got := numbers(rows); !slices.Equal(got, want(f, 100, 200)) {
			t.Errorf("page 2 of the filter: %v..., want %v...", got[:1], want(f, 100, 101))
		}
		if of != "Page 2 of "+itoa(pages) || !strings.Contains(body, itoa(match)+"</strong> of 1505 people match, 101–") {
			t.Errorf("page 2 says %q; %d match", of, match)
		}
		doc := parse(t, body)
		for _, id := range []string{"page-prev", "page-next"} {
			a := find(doc, byID(id))
			if id == "page-next" && pages == 2 {
				continue
			}
			if len(a) != 1 {
				t.Fatalf("no %s link", id)
			}
			lq := mustQuery(t, strings.TrimPrefix(attr(a[0], "href"), "/people?"))
			if lq.Get("org") != "RXX Emergency Department" || !slices.Equal(lq["status"], []string{"compliant", "due_soon"}) ||
				lq.Get("sort") != "due" || lq.Get("per") != "100" {
				t.Errorf("%s link %q loses the filters", id, attr(a[0], "href"))
			}
		}
		// The form keeps the page size; the sort link goes back to page 1.
		if !strings.Contains(body, `<input type="hidden" name="per" value="100">`) {
			t.Error("the filter form drops per=100")
		}
		sorted := 0
		for _, a := range find(doc, element("a")) {
			if h := attr(a, "href"); text(a) == "sort by employee number" {
				sorted++
				if strings.Contains(h, "page=") || !strings.Contains(h, "per=100") || !strings.Contains(h, "org=") {
					t.Errorf("sort link %q", h)
				}
			}
		}
		if sorted != 1 {
			t.Errorf("%d links to sort by employee number", sorted)
		}
		// Following every page gives each matching person once, in order.
		if got := numbers(allPages(t, c, srv.URL+"/people?"+q)); !slices.Equal(got, want(f, 0, match)) {
			t.Errorf("the pages together hold %d people, want %d", len(got), match)
		}
	})

	t.Run("a page past the last shows the last and says so", func(t *testing.T) {
		rows, of, _, _, body := pageOf(t, c, srv.URL+"/people?page=999")
		if len(rows) != 105 || of != "Page 8 of 8" || !strings.Contains(body, "There is no page 999") {
			t.Errorf("page 999: %d rows, %q", len(rows), of)
		}
		rows, of, _, _, body = pageOf(t, c, srv.URL+"/people?org=No+Such+Organisation&page=3")
		if len(rows) != 0 || of != "Page 1 of 1" || !strings.Contains(body, "0</strong> of 1505 people match.") {
			t.Errorf("an empty filter's page 3: %d rows, %q", len(rows), of)
		}
	})

	t.Run("a bad page or page size is a bad address", func(t *testing.T) {
		for _, q := range []string{"page=0", "page=-1", "page=two", "page=1.5", "per=99", "per=501", "per=all", "per=0"} {
			r := get(t, c, srv.URL+"/people?"+q)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, "The page is not right") {
				t.Errorf("%s: status %d", q, r.status)
			}
		}
		for _, q := range []string{"per=100", "per=500", "page=1&per=250"} {
			if r := get(t, c, srv.URL+"/people?"+q); r.status != http.StatusOK {
				t.Errorf("%s: status %d", q, r.status)
			}
		}
	})

	t.Run("downloads ignore the page and hold every matching row", func(t *testing.T) {
		for _, path := range []string{"/people.csv?page=3&per=100", "/people.csv?status=expired&page=2"} {
			r := get(t, c, srv.URL+path)
			q := mustQuery(t, path[strings.Index(path, "?")+1:])
			f, _ := parsePeopleFilter(q)
			lines := strings.Count(r.body, "\n") - 1
			if r.status != http.StatusOK || lines != len(f.apply(people, testNow)) {
				t.Errorf("%s: status %d, %d rows, want %d", path, r.status, lines, len(f.apply(people, testNow)))
			}
		}
	})
}

func mustQuery(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
