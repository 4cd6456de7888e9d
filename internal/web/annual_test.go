package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/annual"
	"github.com/nhs-prevent/prevent/internal/returns"
)

func TestReportPage(t *testing.T) {
	s, cfg := demoStore(t)
	srv, _ := testServer(t, s, cfg, false)
	c := client(t)

	t.Run("the last completed year has no staff extract: the year in progress is shown, saying why", func(t *testing.T) {
		r := get(t, c, srv.URL+"/report")
		if r.status != http.StatusOK || !strings.Contains(r.body, "2025-26 cannot be reported: no staff extract is held for its last day. This is 2026-27") ||
			!strings.Contains(r.body, "2026-27 is not over") || !strings.Contains(r.body, `id="report-pdf"`) {
			t.Errorf("status %d:\n%s", r.status, r.body)
		}
	})
	t.Run("the last completed year asked for by name has no staff extract: it says so", func(t *testing.T) {
		r := get(t, c, srv.URL+"/report?year=2025-26")
		if r.status != http.StatusOK || !strings.Contains(r.body, "no staff extract is held for 31 March 2026") ||
			!strings.Contains(r.body, "choose another year above") {
			t.Errorf("status %d:\n%s", r.status, r.body)
		}
		if strings.Contains(r.body, `id="report-pdf"`) {
			t.Error("downloads offered for a year with no report")
		}
	})
	t.Run("a year in progress, with its three downloads", func(t *testing.T) {
		r := get(t, c, srv.URL+"/report?year=2026-27")
		doc := parse(t, r.body)
		if r.status != http.StatusOK || !strings.Contains(r.body, "2026-27 is not over") {
			t.Fatalf("status %d:\n%s", r.status, r.body)
		}
		for _, f := range annual.Formats {
			links := find(doc, byID("report-"+f))
			if len(links) != 1 {
				t.Fatalf("no %s download", f)
			}
			d := get(t, c, srv.URL+attr(links[0], "href"))
			if d.status != http.StatusOK || d.header.Get("Content-Type") != annual.ContentType(f) ||
				d.header.Get("Content-Disposition") != `attachment; filename="RXX Prevent annual report 2026-27.`+f+`"` {
				t.Errorf("%s: status %d, %q, %q", f, d.status, d.header.Get("Content-Type"), d.header.Get("Content-Disposition"))
			}
			if f == "html" {
				// The download is the report the command writes for the
				// same day.
				rep, err := annual.Build(context.Background(), annual.SourceFor(s, cfg, testNow), returns.Year{StartYear: 2026})
				if err != nil {
					t.Fatal(err)
				}
				var want bytes.Buffer
				if err := rep.WriteHTML(&want); err != nil {
					t.Fatal(err)
				}
				if d.body != want.String() {
					t.Error("the HTML download differs from the report built for the same day")
				}
			}
		}
	})
	t.Run("a bad year or file is refused", func(t *testing.T) {
		if r := get(t, c, srv.URL+"/report?year=2026"); r.status != http.StatusBadRequest {
			t.Errorf("year 2026: status %d", r.status)
		}
		if r := get(t, c, srv.URL+"/report/annual.docx?year=2026-27"); r.status != http.StatusNotFound {
			t.Errorf("annual.docx: status %d", r.status)
		}
		if r := get(t, c, srv.URL+"/report/annual.pdf?year=2025-26"); r.status != http.StatusNotFound {
			t.Errorf("2025-26 with no staff extract: status %d", r.status)
		}
	})
}
