package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/html"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestPages(t *testing.T) {
	s, cfg := demoStore(t)
	srv, _ := testServer(t, s, cfg, false)
	c := client(t)
	people := demoPeople(t)
	someone := people[0]

	tests := []struct {
		name string
		path string
		want []string // parts of the page
	}{
		{"overview shows each level against 85%", "/", []string{"Against the 85% minimum", "Basic Prevent awareness",
			"Level 3 Prevent", "Face-to-face (WRAP)", "RXX Emergency Department", "1505 people", "Trend over the last quarters",
			"Forecast: the next six months", "Q2 26/27", "<svg"}},
		{"overview for a past date", "/?as_of=2026-09-30", []string{"30 September 2026", "RXX Surgery Division"}},
		{"overview sorted by level 3 rate", "/?sort=level3", []string{`aria-sort="ascending"`, "Level 3 ▲"}},
		{"people lists everyone", "/people", []string{"1505</strong> of 1505 people match, 1–200 shown", "Page 1 of 8", someone.EmployeeNumber, "Download all 1505 matching"}},
		{"people filtered", "/people?org=RXX+Emergency+Department&status=expired", []string{"RXX Emergency Department", "expired"}},
		{"returns lists the last quarter", "/returns", []string{"2026-27Q2", "/returns/2026-27Q2.xlsx", "/returns/2026-27Q2.csv", "Figures by organisation", "commissioner@example.nhs.net"}},
		{"imports lists the extracts", "/imports", []string{"LMS completions export 2026-11-01.csv", "ESR Staff Extract 2026-10-31.xlsx",
			"rejected", "Completions naming nobody in any staff extract"}},
		{"tna lists the rules", "/tna", []string{"Requirement rules", "staff group is “Medical and Dental” or “Nursing and Midwifery Registered”",
			"anyone no rule above matches", "Staff groups by requirement", "/tna.csv"}},
		{"sign-in form redirects when nobody signs in", "/login", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, c, srv.URL+tt.path)
			if tt.want == nil {
				if r.status != http.StatusSeeOther {
					t.Fatalf("status %d, want 303", r.status)
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("status %d, want 200:\n%s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			parse(t, r.body)
		})
	}

	t.Run("person page explains the requirement", func(t *testing.T) {
		r := get(t, c, srv.URL+"/people")
		var href string
		for _, l := range links(parse(t, r.body)) {
			if strings.HasPrefix(l, "/people/") {
				href = l
				break
			}
		}
		if href == "" {
			t.Fatal("no person links on /people")
		}
		p := get(t, c, srv.URL+href)
		if p.status != http.StatusOK {
			t.Fatalf("status %d", p.status)
		}
		for _, w := range []string{someone.Name, someone.EmployeeNumber, "Assignments in each staff extract", "Completions",
			"Why", someone.Requirement.String() + " because"} {
			if !strings.Contains(p.body, html.EscapeString(w)) {
				t.Errorf("person page lacks %q", w)
			}
		}
	})

	t.Run("security headers", func(t *testing.T) {
		for _, path := range []string{"/", "/people", "/static/style.css", "/nowhere"} {
			r := get(t, c, srv.URL+path)
			want := map[string]string{
				"Content-Security-Policy": contentSecurityPolicy,
				"X-Frame-Options":         "DENY",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
			}
			for k, v := range want {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s: %s = %q, want %q", path, k, got, v)
				}
			}
			if !strings.HasPrefix(r.header.Get("Content-Security-Policy"), "default-src 'self'") {
				t.Errorf("%s: CSP does not start with default-src 'self'", path)
			}
		}
	})

	t.Run("bad requests say why", func(t *testing.T) {
		for path, want := range map[string]string{
			"/?as_of=30/09/2026":           "is not a date written YYYY-MM-DD",
			"/people?status=lapsed":        "unknown status",
			"/people?due_within=-3":        "is not a number of days",
			"/people?requirement=level4":   "unknown level",
			"/returns/2026-27Q7.csv":       "no such quarter",
			"/people/not-a-person":         "Nobody has this address",
			"/nowhere":                     "There is no page at this address",
			"/returns/2020-21Q1.csv":       "no staff snapshot on or before 2020-06-30",
			"/people?as_of=2026-99-01":     "is not a date",
			"/tna?as_of=yesterday":         "is not a date",
			"/returns/2026-27Q2.pdf":       "Returns download as .xlsx or .csv",
			"/people.csv?as_of=2020-01-01": "no staff snapshot",
		} {
			r := get(t, c, srv.URL+path)
			if r.status < 400 || r.status >= 500 {
				t.Errorf("%s: status %d, want 4xx", path, r.status)
			}
			if !strings.Contains(r.body, html.EscapeString(want)) {
				t.Errorf("%s: page lacks %q", path, want)
			}
		}
	})

	t.Run("a date before any extract says so", func(t *testing.T) {
		for _, path := range []string{"/?as_of=2020-01-01", "/people?as_of=2020-01-01", "/tna?as_of=2020-01-01"} {
			r := get(t, c, srv.URL+path)
			if r.status != http.StatusOK || !strings.Contains(r.body, "no staff snapshot on or before 2020-01-01") {
				t.Errorf("%s: status %d, want 200 saying there is no snapshot", path, r.status)
			}
		}
	})
}

func TestOverviewFigures(t *testing.T) {
	s, cfg := demoStore(t)
	srv, _ := testServer(t, s, cfg, false)
	people := demoPeople(t)
	orgs, total := compliance.Aggregate(people)
	r := get(t, client(t), srv.URL+"/")
	doc := parse(t, r.body)

	t.Run("organisation table matches the summary", func(t *testing.T) {
		rows := tableRows(t, doc, "org-table")
		if len(rows) != len(orgs) {
			t.Fatalf("%d rows, want %d", len(rows), len(orgs))
		}
		for i, o := range orgs {
			if rows[i][0] != o.Organisation {
				t.Errorf("row %d is %q, want %q", i, rows[i][0], o.Organisation)
			}
			if want := figures.Pct(o.All) + "% " + itoa(o.All.Compliant) + "/" + itoa(o.All.Required); rows[i][5] != want {
				t.Errorf("%s all staff %q, want %q", o.Organisation, rows[i][5], want)
			}
		}
	})

	t.Run("sorted by rate, lowest first", func(t *testing.T) {
		for _, key := range []string{"basic", "level3", "all"} {
			rows := tableRows(t, parse(t, get(t, client(t), srv.URL+"/?sort="+key).body), "org-table")
			col := map[string]int{"basic": 2, "level3": 3, "all": 5}[key]
			var rates []float64
			for _, row := range rows {
				f := strings.Fields(row[col])
				if f[0] == "–" {
					continue
				}
				rates = append(rates, atof(t, strings.TrimSuffix(f[0], "%")))
			}
			if !slices.IsSorted(rates) {
				t.Errorf("sort=%s: rates %v not ascending", key, rates)
			}
			rows = tableRows(t, parse(t, get(t, client(t), srv.URL+"/?sort="+key+"&dir=desc").body), "org-table")
			first := strings.Fields(rows[0][col])[0]
			if atof(t, strings.TrimSuffix(first, "%")) < rates[len(rates)-1] {
				t.Errorf("sort=%s&dir=desc starts with %s", key, first)
			}
		}
	})

	t.Run("forecast table is the engine's forecast", func(t *testing.T) {
		rows := tableRows(t, doc, "forecast-table")
		fs := compliance.Forecasts(people, testNow, cfg.Threshold, forecastMonths)
		var want [][]string
		for _, f := range fs {
			if f.Now.Required == 0 {
				continue
			}
			row := []string{f.Level.Title(), figures.Pct(f.Now) + "%"}
			for _, m := range f.Months {
				row = append(row, figures.Pct(m.Tally)+"%")
			}
			want = append(want, append(row, itoa(f.PerMonth)))
		}
		if !slices.EqualFunc(rows, want, slices.Equal) {
			t.Errorf("forecast table\n%v\nwant\n%v", rows, want)
		}
		if !strings.Contains(r.body, "completions a month") {
			t.Error("no forecast sentence")
		}
	})

	t.Run("trend ends with the as-of date", func(t *testing.T) {
		rows := tableRows(t, doc, "trend-table")
		if len(rows) != 2 {
			t.Fatalf("trend rows %v, want Q2 26/27 and today", rows)
		}
		if !strings.HasPrefix(rows[0][0], "Q2 26/27") || !strings.HasPrefix(rows[1][0], "25 Nov 2026") {
			t.Errorf("trend rows %v", rows)
		}
		if rows[1][4] != figures.Pct(total.All)+"%" {
			t.Errorf("today's all-staff rate %s, want %s%%", rows[1][4], figures.Pct(total.All))
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func atof(t testing.TB, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return f
}

func TestPeopleExportIsWhatIsShown(t *testing.T) {
	s, cfg := demoStore(t)
	srv, _ := testServer(t, s, cfg, false)
	c := client(t)
	filters := []string{
		"",
		"org=RXX+Emergency+Department&status=expired&status=never",
		"staff_group=Nursing+and+Midwifery+Registered&requirement=level3",
		"due_within=60&sort=due",
		"status=due_soon,compliant&org=RXX+Corporate+Services",
		"as_of=2026-09-30&org=RXX+Women+and+Children",
		"org=No+Such+Organisation",
	}
	for _, f := range filters {
		t.Run("filter "+f, func(t *testing.T) {
			page := get(t, c, srv.URL+"/people?"+f)
			if page.status != http.StatusOK {
				t.Fatalf("status %d", page.status)
			}
			doc := parse(t, page.body)
			shown := allPages(t, c, srv.URL+"/people?"+f)
			csvLink := find(doc, byID("export-csv"))
			if len(csvLink) != 1 {
				t.Fatal("no CSV link")
			}
			exp := get(t, c, srv.URL+attr(csvLink[0], "href"))
			if exp.status != http.StatusOK || !strings.HasPrefix(exp.header.Get("Content-Type"), "text/csv") {
				t.Fatalf("export status %d, %s", exp.status, exp.header.Get("Content-Type"))
			}
			if cd := exp.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=\"prevent-people-") {
				t.Errorf("Content-Disposition %q", cd)
			}
			recs, err := csv.NewReader(strings.NewReader(exp.body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			wantHeader := []string{"employee_number", "name", "organisation", "staff_group", "requirement", "status", "completed_on", "due_date"}
			if !slices.Equal(recs[0], wantHeader) {
				t.Errorf("header %v", recs[0])
			}
			if len(recs)-1 != len(shown) {
				t.Fatalf("export has %d rows, the pages show %d", len(recs)-1, len(shown))
			}
			for i, row := range shown {
				want := make([]string, len(row))
				for j, cell := range row {
					want[j] = figures.SafeCell(cell)
				}
				// The page collapses spaces in names; the CSV keeps them.
				got := make([]string, len(recs[i+1]))
				for j, cell := range recs[i+1] {
					got[j] = strings.Join(strings.Fields(cell), " ")
				}
				if !slices.Equal(got, want) {
					t.Fatalf("row %d: export %v, page %v", i+1, got, want)
				}
			}
			if f == "" && len(shown) != len(demoPeople(t)) {
				t.Errorf("unfiltered page shows %d people, want %d", len(shown), len(demoPeople(t)))
			}

			x := get(t, c, srv.URL+attr(find(doc, byID("export-xlsx"))[0], "href"))
			if x.header.Get("Content-Type") != xlsxType {
				t.Fatalf("xlsx Content-Type %q", x.header.Get("Content-Type"))
			}
			book, err := excelize.OpenReader(strings.NewReader(x.body))
			if err != nil {
				t.Fatal(err)
			}
			xrows, err := book.GetRows(book.GetSheetName(0))
			if err != nil {
				t.Fatal(err)
			}
			if len(xrows)-1 != len(shown) || !slices.Equal(xrows[0], wantHeader) {
				t.Errorf("xlsx has %d rows (header %v), page shows %d", len(xrows)-1, xrows[0], len(shown))
			}
		})
	}

	t.Run("filters select what they say", func(t *testing.T) {
		r := get(t, c, srv.URL+"/people.csv?due_within=30&requirement=level3")
		recs, _ := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if len(recs) < 2 {
			t.Fatal("nobody level 3 due within 30 days in the demo")
		}
		for _, rec := range recs[1:] {
			due := rec[7]
			if rec[4] != "level3" || due < "2026-11-25" || due > "2026-12-25" {
				t.Errorf("row %v is not level 3 due by 25 December", rec)
			}
		}
	})
}

// TestNoPersonalDataInURLsOrLogs crawls every page and checks that no
// address on it, and no log line, holds an employee number, an email
// address or a name.
func TestNoPersonalDataInURLsOrLogs(t *testing.T) {
	s, cfg := demoStore(t)
	srv, logs := testServer(t, s, cfg, false)
	c := client(t)
	people := demoPeople(t)

	pages := []string{"/", "/?sort=all&dir=desc", "/people", "/people?status=expired&sort=due", "/returns", "/imports", "/tna", "/?as_of=2026-09-30"}
	var urls []string
	for _, p := range pages {
		r := get(t, c, srv.URL+p)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", p, r.status)
		}
		urls = append(urls, links(parse(t, r.body))...)
	}
	// Some people's own pages, and everything they link to.
	var personPages []string
	for _, u := range urls {
		if strings.HasPrefix(u, "/people/") && len(personPages) < 25 {
			personPages = append(personPages, u)
		}
	}
	if len(personPages) == 0 {
		t.Fatal("no person pages linked")
	}
	for _, p := range personPages {
		r := get(t, c, srv.URL+p)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", p, r.status)
		}
		urls = append(urls, links(parse(t, r.body))...)
	}
	// Fetch every other address once, so that the log has it too.
	fetched := map[string]bool{}
	for _, p := range append(pages, personPages...) {
		fetched[p] = true
	}
	for _, u := range urls {
		if !fetched[u] && !strings.HasPrefix(u, "/people/") {
			fetched[u] = true
			get(t, c, srv.URL+u)
		}
	}

	var names, emails []string
	numbers := map[string]bool{}
	for _, p := range people {
		numbers[p.EmployeeNumber] = true
		if p.Name != "" {
			names = append(names, strings.ToLower(p.Name))
		}
		if p.Email != "" {
			emails = append(emails, strings.ToLower(p.Email))
		}
	}
	digits := regexp.MustCompile(`[0-9]{6,}`)
	check := func(where, s string) {
		t.Helper()
		plain, err := url.QueryUnescape(s)
		if err != nil {
			plain = s
		}
		low := strings.ToLower(plain)
		for _, run := range digits.FindAllString(plain, -1) {
			if numbers[run] {
				t.Errorf("%s holds employee number %s: %s", where, run, s)
			}
		}
		if strings.Contains(low, "@") {
			t.Errorf("%s holds an email address: %s", where, s)
		}
		for _, n := range names {
			if strings.Contains(low, n) {
				t.Errorf("%s holds the name %q: %s", where, n, s)
				return
			}
		}
		for _, e := range emails {
			if strings.Contains(low, e) {
				t.Errorf("%s holds the email %q: %s", where, e, s)
				return
			}
		}
	}
	for _, u := range urls {
		check("URL", u)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		check("log line", line)
	}
	if !strings.Contains(logs.String(), "path=/people/") {
		t.Error("person pages were not logged")
	}
}

func TestAuthentication(t *testing.T) {
	s, demoCfg := demoStore(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := *demoCfg
	cfg.Web = config.Web{Users: []config.WebUser{{Name: "prevent.lead", PasswordHash: string(hash)}}}
	srv, logs := testServer(t, s, &cfg, true)

	t.Run("every page needs signing in", func(t *testing.T) {
		c := client(t)
		for _, p := range []string{"/", "/people", "/people/abc", "/returns", "/imports", "/tna", "/?as_of=2026-09-30"} {
			r := get(t, c, srv.URL+p)
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login?next=") {
				t.Errorf("%s: status %d Location %q, want 303 to /login", p, r.status, r.header.Get("Location"))
			}
		}
		for _, p := range []string{"/people.csv", "/people.xlsx", "/tna.csv", "/tna.xlsx", "/returns/2026-27Q2.csv", "/returns/2026-27Q2.xlsx"} {
			r := get(t, c, srv.URL+p)
			if r.status != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", p, r.status)
			}
			if strings.Contains(r.body, "RXX") && strings.Contains(r.body, ",") && !strings.Contains(r.body, "<html") {
				t.Errorf("%s: data without signing in", p)
			}
		}
		for _, p := range []string{"/login", "/static/style.css", "/healthz"} {
			if r := get(t, c, srv.URL+p); r.status != http.StatusOK {
				t.Errorf("%s: status %d, want 200", p, r.status)
			}
		}
	})

	t.Run("a POST without its CSRF token is refused", func(t *testing.T) {
		c := client(t)
		get(t, c, srv.URL+"/login")
		r := post(t, c, srv.URL+"/login", url.Values{"name": {"prevent.lead"}, "password": {"correct horse battery"}})
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "This form has expired") {
			t.Errorf("status %d, want 403", r.status)
		}
		r = post(t, c, srv.URL+"/login", url.Values{"name": {"prevent.lead"}, "password": {"correct horse battery"}, csrfField: {"forged"}})
		if r.status != http.StatusForbidden {
			t.Errorf("forged token: status %d, want 403", r.status)
		}
		// A token from another browser's cookie is no good either.
		other := client(t)
		tok := csrfOf(t, get(t, other, srv.URL+"/login").body)
		r = post(t, c, srv.URL+"/login", url.Values{"name": {"prevent.lead"}, "password": {"correct horse battery"}, csrfField: {tok}})
		if r.status != http.StatusForbidden {
			t.Errorf("another browser's token: status %d, want 403", r.status)
		}
	})

	t.Run("a wrong password is refused", func(t *testing.T) {
		c := client(t)
		tok := csrfOf(t, get(t, c, srv.URL+"/login").body)
		for _, name := range []string{"prevent.lead", "nobody"} {
			r := post(t, c, srv.URL+"/login", url.Values{"name": {name}, "password": {"wrong"}, csrfField: {tok}})
			if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "The name or password is not right") {
				t.Errorf("%s: status %d, want 401", name, r.status)
			}
		}
		if r := get(t, c, srv.URL+"/"); r.status != http.StatusSeeOther {
			t.Errorf("after a wrong password: status %d, want 303", r.status)
		}
	})

	t.Run("signing in and out", func(t *testing.T) {
		c := client(t)
		login := get(t, c, srv.URL+"/people?status=expired")
		next := login.header.Get("Location")
		page := get(t, c, srv.URL+next)
		r := post(t, c, srv.URL+"/login", url.Values{"name": {"Prevent.Lead"}, "password": {"correct horse battery"},
			"next": {"/people?status=expired"}, csrfField: {csrfOf(t, page.body)}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/people?status=expired" {
			t.Fatalf("status %d Location %q, want 303 to the page asked for", r.status, r.header.Get("Location"))
		}
		var session *http.Cookie
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			if ck.Name == sessionCookie {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteStrictMode {
			t.Fatalf("session cookie %+v, want HttpOnly, Secure, SameSite=Strict", session)
		}
		// httptest serves plain HTTP, so the jar will not send a Secure
		// cookie back: send it by hand.
		// Signing in gives a fresh CSRF cookie too.
		csrfCookieValue := ""
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			if ck.Name == csrfCookie {
				csrfCookieValue = ck.Value
			}
		}
		if csrfCookieValue == "" {
			t.Fatal("no new CSRF cookie on signing in")
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/people?status=expired", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session.Value})
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrfCookieValue})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		in := read(t, resp)
		if in.status != http.StatusOK || !strings.Contains(in.body, "Signed in as prevent.lead") {
			t.Fatalf("signed in: status %d", in.status)
		}
		// Signing out needs the token too, then the session is gone.
		out := func(token string) int {
			form := url.Values{csrfField: {token}}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/logout", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session.Value})
			req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrfCookieValue})
			resp, err := client(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return read(t, resp).status
		}
		if code := out(""); code != http.StatusForbidden {
			t.Errorf("sign out without token: status %d, want 403", code)
		}
		if code := out(csrfOf(t, in.body)); code != http.StatusSeeOther {
			t.Errorf("sign out: status %d, want 303", code)
		}
		req, _ = http.NewRequest(http.MethodGet, srv.URL+"/", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session.Value})
		resp, err = client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if after := read(t, resp); after.status != http.StatusSeeOther {
			t.Errorf("after signing out: status %d, want 303 to /login", after.status)
		}
	})

	t.Run("the sign-in page sends nowhere else", func(t *testing.T) {
		for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "people"} {
			if got := safeNext(next); got != "/" {
				t.Errorf("safeNext(%q) = %q", next, got)
			}
		}
	})

	t.Run("logs name no user", func(t *testing.T) {
		if l := strings.ToLower(logs.String()); strings.Contains(l, "prevent.lead") || strings.Contains(l, "nobody") {
			t.Errorf("the log names a user:\n%s", logs.String())
		}
	})
}

func TestSessionsLapse(t *testing.T) {
	s, demoCfg := demoStore(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := *demoCfg
	cfg.Web = config.Web{Users: []config.WebUser{{Name: "prevent.lead", PasswordHash: string(hash)}}}
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	wait := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv, _ := clockServer(t, s, &cfg, false, clock)

	signIn := func(c *http.Client, password string) response {
		tok := csrfOf(t, get(t, c, srv.URL+"/login").body)
		return post(t, c, srv.URL+"/login", url.Values{"name": {"prevent.lead"}, "password": {password}, csrfField: {tok}})
	}
	t.Run("an idle hour signs out", func(t *testing.T) {
		c := client(t)
		if r := signIn(c, "correct horse battery"); r.status != http.StatusSeeOther {
			t.Fatalf("sign in: status %d", r.status)
		}
		wait(50 * time.Minute)
		if r := get(t, c, srv.URL+"/tna"); r.status != http.StatusOK {
			t.Fatalf("after 50 minutes: status %d, want 200", r.status)
		}
		wait(50 * time.Minute) // 50 minutes since the last request
		if r := get(t, c, srv.URL+"/tna"); r.status != http.StatusOK {
			t.Fatalf("after another 50 minutes: status %d, want 200", r.status)
		}
		wait(61 * time.Minute)
		if r := get(t, c, srv.URL+"/tna"); r.status != http.StatusSeeOther {
			t.Errorf("after an idle hour: status %d, want 303 to /login", r.status)
		}
	})
	t.Run("twelve hours sign out however busy", func(t *testing.T) {
		c := client(t)
		signIn(c, "correct horse battery")
		for range 12 {
			wait(59 * time.Minute)
			get(t, c, srv.URL+"/tna")
		}
		wait(13 * time.Minute)
		if r := get(t, c, srv.URL+"/tna"); r.status != http.StatusSeeOther {
			t.Errorf("after twelve hours: status %d, want 303 to /login", r.status)
		}
	})
	t.Run("repeated failures lock the name out for a while", func(t *testing.T) {
		c := client(t)
		for range maxFailures {
			if r := signIn(c, "guess"); r.status != http.StatusUnauthorized {
				t.Fatalf("failed sign-in: status %d", r.status)
			}
		}
		if r := signIn(c, "correct horse battery"); r.status != http.StatusTooManyRequests {
			t.Errorf("after %d failures: status %d, want 429", maxFailures, r.status)
		}
		wait(failureWindow + time.Minute)
		if r := signIn(c, "correct horse battery"); r.status != http.StatusSeeOther {
			t.Errorf("after the window: status %d, want 303", r.status)
		}
	})
}

func TestProxyHeader(t *testing.T) {
	s, demoCfg := demoStore(t)
	cfg := *demoCfg
	cfg.Web = config.Web{ProxyHeader: "X-Forwarded-User"}
	srv, _ := testServer(t, s, &cfg, false)
	c := client(t)
	if r := get(t, c, srv.URL+"/"); r.status != http.StatusForbidden {
		t.Errorf("without the header: status %d, want 403", r.status)
	}
	if r := get(t, c, srv.URL+"/people.csv"); r.status != http.StatusForbidden {
		t.Errorf("export without the header: status %d, want 403", r.status)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/people", nil)
	req.Header.Set("X-Forwarded-User", "lead@example.nhs.net")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := read(t, resp)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Signed in as lead@example.nhs.net") {
		t.Errorf("with the header: status %d", r.status)
	}
	if strings.Contains(r.body, `action="/logout"`) {
		t.Error("proxy mode offers to sign out")
	}
}

func TestCheckBind(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	none := config.Default()
	users := config.Default()
	users.Web.Users = []config.WebUser{{Name: "a", PasswordHash: string(hash)}}
	proxy := config.Default()
	proxy.Web.ProxyHeader = "X-Forwarded-User"
	tests := []struct {
		addr string
		cfg  *config.Config
		ok   bool
	}{
		{"127.0.0.1:8080", none, true},
		{"127.0.0.2:8080", none, true},
		{"localhost:8080", none, true},
		{"LOCALHOST:80", none, true},
		{"[::1]:8080", none, true},
		{"::1", none, true},
		{"127.0.0.1", none, true},
		{"0.0.0.0:8080", none, false},
		{":8080", none, false},
		{"[::]:8080", none, false},
		{"192.168.1.20:8080", none, false},
		{"dashboard.example.nhs.net:443", none, false},
		{"0.0.0.0:8080", nil, false},
		{"0.0.0.0:8080", users, true},
		{":8080", proxy, true},
	}
	for _, tt := range tests {
		err := CheckBind(tt.addr, tt.cfg)
		if (err == nil) != tt.ok {
			t.Errorf("CheckBind(%q) = %v, want ok %v", tt.addr, err, tt.ok)
		}
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, "web.users") || !strings.Contains(msg, "web.proxy_header") || strings.Contains(msg, "\n") {
				t.Errorf("CheckBind(%q): %q does not say what to do in one line", tt.addr, msg)
			}
		}
	}
}

// TestPersonHistory builds a small history on both databases and checks
// the person page: assignments across snapshots, completions with their
// source files (one matched by email), and the rule that set the level.
func TestPersonHistory(t *testing.T) {
	cfgText := `organisation: Test NHS Trust
ods_code: RT1
requirements:
  - level: face_to_face
    match: {job_role: ["Safeguarding*"]}
  - level: level3
    match: {staff_group: ["Nursing and Midwifery Registered"]}
courses:
  - {level: face_to_face, match: ["*WRAP*"]}
  - {level: level3, match: ["*Prevent*Level 3*"]}
  - {level: basic, match: ["*Prevent Awareness*"]}
`
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		cfg, err := config.Load(writeFile(t, dir, "prevent.yaml", cfgText))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		opt := ingest.Options{Aliases: cfg.Aliases(), Today: compliance.Date(2026, 11, 1)}
		staff := func(name, body string) {
			if _, err := ingest.Staff(ctx, s, writeFile(t, dir, name, body), opt); err != nil {
				t.Fatal(err)
			}
		}
		staff("staff_2026-09-30.csv", "Employee Number,Full Name,Organisation,Staff Group,Job Role,Primary,Work Email\n"+
			"10000001,Jane Smith,Trust Surgery,Administrative and Clerical,Ward Clerk,Y,jane.smith@example.nhs.net\n"+
			"10000002,Sam Brown,Trust Surgery,Estates and Ancillary,Porter,Y,sam.brown@example.nhs.net\n")
		staff("staff_2026-10-31.csv", "Employee Number,Full Name,Organisation,Staff Group,Job Role,Primary,Work Email\n"+
			"10000002,Sam Brown,Trust Surgery,Estates and Ancillary,Porter,Y,sam.brown@example.nhs.net\n"+
			"10000001,Jane Smith,Trust Surgery,Nursing and Midwifery Registered,Staff Nurse,Y,jane.smith@example.nhs.net\n"+
			"10000001,Jane Smith,Trust Bank,Administrative and Clerical,Bank Clerk,N,jane.smith@example.nhs.net\n")
		if _, err := ingest.Completions(ctx, s, writeFile(t, dir, "lms.csv",
			"Email,Employee Number,Course,Completion Date\n"+
				"jane.smith@example.nhs.net,,Prevent Level 3 e-learning,02/12/2023\n"+
				",10000001,Prevent Awareness,15/01/2022\n"+
				",10000001,Fire Safety,15/01/2022\n"+
				",10000002,Prevent Awareness,01/12/2026\n"), opt); err != nil {
			t.Fatal(err)
		}
		srv, _ := testServer(t, s, cfg, false)
		c := client(t)
		list := parse(t, get(t, c, srv.URL+"/people").body)
		var jane string
		for _, a := range find(list, element("a")) {
			if text(a) == "Jane Smith" {
				jane = attr(a, "href")
			}
		}
		if jane == "" || strings.Contains(jane, "10000001") {
			t.Fatalf("link to Jane %q", jane)
		}
		r := get(t, c, srv.URL+jane)
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		doc := parse(t, r.body)
		reason := find(doc, byID("reason"))
		want := "level3 because staff group Nursing and Midwifery Registered matched rule 2 (the highest requirement of their 2 assignments)"
		if len(reason) != 1 || text(reason[0]) != want {
			t.Errorf("reason %q, want %q", text(reason[0]), want)
		}
		for _, w := range []string{"2026-10-31", "2026-09-30", "staff_2026-09-30.csv", "Ward Clerk", "Bank Clerk", "Staff Nurse",
			"Prevent Level 3 e-learning", "matched by email", "lms.csv", "Fire Safety", "not Prevent training", "2026-12-02",
			"sets the status", "Due soon"} {
			if !strings.Contains(r.body, w) {
				t.Errorf("person page lacks %q", w)
			}
		}

		// On 30 September she was a ward clerk: basic, by default.
		r = get(t, c, srv.URL+jane[:strings.Index(jane+"?", "?")]+"?as_of=2026-09-30")
		reason = find(parse(t, r.body), byID("reason"))
		if len(reason) != 1 || text(reason[0]) != "basic because no requirement rule matched, and basic is the default" {
			t.Errorf("reason on 30 September %q", text(reason[0]))
		}
		// Sam's Prevent Awareness is dated after the as-of date.
		var sam string
		for _, a := range find(list, element("a")) {
			if text(a) == "Sam Brown" {
				sam = attr(a, "href")
			}
		}
		r = get(t, c, srv.URL+sam)
		if !strings.Contains(r.body, "after 2026-11-25") || !strings.Contains(r.body, "Never trained") {
			t.Errorf("Sam's page does not show the later completion apart")
		}
	})
}

func TestDownloads(t *testing.T) {
	s, cfg := demoStore(t)
	srv, _ := testServer(t, s, cfg, false)
	c := client(t)

	t.Run("the return as CSV has the contract's header", func(t *testing.T) {
		r := get(t, c, srv.URL+"/returns/2026-27Q2.csv")
		if r.status != http.StatusOK {
			t.Fatalf("status %d", r.status)
		}
		recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(recs[0], returns.Columns) || recs[len(recs)-1][3] != "TOTAL" {
			t.Errorf("header %v, last row %v", recs[0], recs[len(recs)-1])
		}
		if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="RXX Prevent return 2026-27Q2.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
	})
	t.Run("the return as XLSX", func(t *testing.T) {
		r := get(t, c, srv.URL+"/returns/2026-27Q2.xlsx")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != xlsxType {
			t.Fatalf("status %d type %s", r.status, r.header.Get("Content-Type"))
		}
		if _, err := excelize.OpenReader(strings.NewReader(r.body)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the TNA counts everyone once", func(t *testing.T) {
		r := get(t, c, srv.URL+"/tna.csv")
		recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != len(cfg.Requirements)+2 {
			t.Fatalf("%d rows, want a header, %d rules and the default", len(recs), len(cfg.Requirements))
		}
		if recs[0][0] != "rule" || recs[0][len(recs[0])-1] != "people" || recs[1][0] != "1" || recs[len(recs)-1][0] != "default" {
			t.Errorf("rows %v", recs)
		}
		sum := 0
		for _, rec := range recs[1:] {
			sum += int(atof(t, rec[len(rec)-1]))
		}
		if sum != len(demoPeople(t)) {
			t.Errorf("people per rule add up to %d, want %d", sum, len(demoPeople(t)))
		}
		x := get(t, c, srv.URL+"/tna.xlsx")
		book, err := excelize.OpenReader(bytes.NewReader([]byte(x.body)))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := book.GetRows(book.GetSheetName(0))
		if len(rows) != len(recs) {
			t.Errorf("xlsx has %d rows, csv %d", len(rows), len(recs))
		}
	})
}

func TestCharts(t *testing.T) {
	well := func(t *testing.T, svg string) {
		t.Helper()
		d := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := d.Token()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("not well-formed SVG: %v\n%s", err, svg)
			}
		}
	}
	t.Run("line chart escapes labels and breaks at gaps", func(t *testing.T) {
		nan := rateOrGap(compliance.Tally{})
		svg := string(LineChart{Title: `<script>"x"</script>`, Labels: []string{"Q1 <a>", "Q2", "Q3"}, Threshold: 0.85,
			Series: []Series{{Name: "A & B", Colour: nhsBlue, Values: []float64{0.5, nan, 0.9}}}}.SVG())
		well(t, svg)
		if strings.Contains(svg, "<script>") || strings.Contains(svg, "<a>") {
			t.Error("labels not escaped")
		}
		if strings.Contains(svg, "<polyline") {
			t.Error("a line was drawn across the gap")
		}
		if strings.Count(svg, "<circle") != 2 {
			t.Errorf("%d points, want 2", strings.Count(svg, "<circle"))
		}
		if !strings.Contains(svg, "85% minimum") {
			t.Error("no threshold line label")
		}
	})
	t.Run("bar chart", func(t *testing.T) {
		svg := string(BarChart{Title: "t", Threshold: 0.85, Bars: []Bar{{Label: "Basic", Value: 0.847, Note: "(723 of 854)"}, {Label: "None", Absent: true}}}.SVG())
		well(t, svg)
		for _, w := range []string{"84.7%", "(723 of 854)", "nobody required", `stroke-dasharray`} {
			if !strings.Contains(svg, w) {
				t.Errorf("bar chart lacks %q", w)
			}
		}
	})
	t.Run("axis starts near the values", func(t *testing.T) {
		for _, tc := range []struct{ lowest, want float64 }{{0.85, 0.8}, {0.63, 0.6}, {0.8, 0.7}, {0.2, 0}, {0.35, 0.3}} {
			if got := axisFloor(tc.lowest); got < tc.want-1e-9 || got > tc.want+1e-9 {
				t.Errorf("axisFloor(%g) = %g, want %g", tc.lowest, got, tc.want)
			}
		}
	})
}

func TestNewNeedsStoreAndConfig(t *testing.T) {
	s, cfg := demoStore(t)
	if _, err := New(Options{Config: cfg}); err == nil {
		t.Error("New without a store")
	}
	if _, err := New(Options{Store: s}); err == nil {
		t.Error("New without a config")
	}
	// Defaults: the real clock and slog.Default.
	h, err := New(Options{Store: s, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var _ http.Handler = h
}

// Without Options.Secure, cookies are marked Secure when the request came
// over HTTPS: through a TLS-terminating proxy that says so, or over TLS.
func TestCookiesSecureOverHTTPS(t *testing.T) {
	s, demoCfg := demoStore(t)
	cfg := *demoCfg
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Web = config.Web{Users: []config.WebUser{{Name: "prevent.lead", PasswordHash: string(hash)}}}
	srv, _ := testServer(t, s, &cfg, false)
	csrfSecure := func(t *testing.T, c *http.Client, url string, proto string) bool {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if ck.Name == csrfCookie {
				return ck.Secure
			}
		}
		t.Fatalf("%s: no CSRF cookie set", url)
		return false
	}
	for _, tc := range []struct {
		proto string
		want  bool
	}{{"", false}, {"http", false}, {"https", true}, {" HTTPS ", true}} {
		if got := csrfSecure(t, http.DefaultClient, srv.URL+"/login", tc.proto); got != tc.want {
			t.Errorf("X-Forwarded-Proto %q: CSRF cookie Secure %v, want %v", tc.proto, got, tc.want)
		}
	}
	t.Run("over TLS", func(t *testing.T) {
		tls := httptest.NewUnstartedServer(srv.Config.Handler)
		tls.StartTLS()
		defer tls.Close()
		if !csrfSecure(t, tls.Client(), tls.URL+"/login", "") {
			t.Error("a cookie set over TLS is not Secure")
		}
	})
}
