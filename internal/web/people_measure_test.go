package web

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestPeoplePageAtScale times /people on a large trust and logs the size
// of its HTML: the first request (which loads the position) and the
// slowest of five after it (served from the cached position). It needs a
// database: PREVENT_WEB_LOAD_DB names one (`make web-load-data` builds a
// 30,000-person trust), PREVENT_WEB_LOAD_CONFIG its config; without it
// the test is skipped. PREVENT_WEB_PEOPLE_QUERY adds a query string.
func TestPeoplePageAtScale(t *testing.T) {
	s, cfg := loadTrust(t)
	srv, _ := testServer(t, s, cfg, false)
	c := client(t)
	u := srv.URL + "/people?" + os.Getenv("PREVENT_WEB_PEOPLE_QUERY")
	start := time.Now()
	first := get(t, c, u)
	firstTook := time.Since(start)
	if first.status != http.StatusOK {
		t.Fatalf("status %d", first.status)
	}
	var warm time.Duration
	for range 5 {
		start := time.Now()
		if r := get(t, c, u); r.status != http.StatusOK {
			t.Fatalf("status %d", r.status)
		}
		warm = max(warm, time.Since(start))
	}
	shown := ""
	if p := find(parse(t, first.body), byID("shown")); len(p) == 1 {
		shown = strings.Join(strings.Fields(text(p[0])), " ")
	}
	t.Logf("/people: first %v, cached (slowest of 5) %v, %d bytes of HTML; %s", firstTook.Round(time.Millisecond), warm.Round(time.Millisecond), len(first.body), shown)
}
