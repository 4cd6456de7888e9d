package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/nhs-prevent/prevent/internal/annual"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// reportData is the /report page: a year's annual report to the board in
// brief, and its three downloads.
type reportData struct {
	Year     string
	Years    []yearLink
	NoReport string // why there is none for the year
	Note     string // why another year than the default is shown
	Report   *annual.Report
	Links    []reportLink
}

type yearLink struct {
	Label, Href string
	Current     bool
}

type reportLink struct {
	Label, Href, ID string
}

// yearOf reads ?year=2026-27, defaulting to the last completed year.
func (s *server) yearOf(r *http.Request) (returns.Year, error) {
	v := strings.TrimSpace(r.URL.Query().Get("year"))
	if v == "" {
		return returns.LastCompletedYear(s.today()), nil
	}
	return returns.ParseYear(v)
}

func (s *server) reportPage(w http.ResponseWriter, r *http.Request) {
	y, err := s.yearOf(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	d := reportData{Year: y.String()}
	// The year in progress, and the three before it.
	cur := returns.YearOf(s.today())
	for i := 0; i < 4; i++ {
		yy := returns.Year{StartYear: cur.StartYear - i}
		d.Years = append(d.Years, yearLink{Label: yy.String(), Href: "/report?" + url.Values{"year": {yy.String()}}.Encode(), Current: yy == y})
	}
	src := annual.SourceFor(s.store, s.cfg, s.now())
	rep, err := annual.Build(r.Context(), src, y)
	var nr *annual.NotReportableError
	if errors.As(err, &nr) && r.URL.Query().Get("year") == "" && cur != y {
		// A trust whose extracts start this year has no last year to
		// report: show the year in progress rather than nothing.
		if rep2, err2 := annual.Build(r.Context(), src, cur); err2 == nil {
			d.Note = fmt.Sprintf("%s cannot be reported: no staff extract is held for its last day. This is %s, the year in progress.", y, cur)
			y, d.Year, rep, err = cur, cur.String(), rep2, nil
			for i := range d.Years {
				d.Years[i].Current = d.Years[i].Label == cur.String()
			}
		}
	}
	switch {
	case errors.As(err, &nr):
		d.NoReport = strings.ReplaceAll(nr.Error(), "choose another --year", "choose another year above")
	case err != nil:
		s.internal(w, r, err)
		return
	default:
		d.Report = rep
		for _, f := range annual.Formats {
			d.Links = append(d.Links, reportLink{Label: strings.ToUpper(f), ID: "report-" + f,
				Href: "/report/annual." + f + "?" + url.Values{"year": {y.String()}}.Encode()})
		}
	}
	s.render(w, r, http.StatusOK, "report", "Annual report", d)
}

// reportDownload is /report/annual.{html,pdf,xlsx}?year=2026-27.
func (s *server) reportDownload(w http.ResponseWriter, r *http.Request) {
	format := strings.TrimPrefix(r.PathValue("file"), "annual.")
	if !strings.HasPrefix(r.PathValue("file"), "annual.") || !validFormat(format) {
		s.fail(w, r, http.StatusNotFound, "There is no such report: the annual report is annual.html, annual.pdf or annual.xlsx.")
		return
	}
	y, err := s.yearOf(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := annual.Build(r.Context(), annual.SourceFor(s.store, s.cfg, s.now()), y)
	var nr *annual.NotReportableError
	if errors.As(err, &nr) {
		s.fail(w, r, http.StatusNotFound, nr.Error())
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := rep.Write(&buf, format); err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", annual.ContentType(format))
	w.Header().Set("Content-Disposition", attachment(rep.FileName()+"."+format))
	_, _ = buf.WriteTo(w)
}

func validFormat(f string) bool {
	for _, ok := range annual.Formats {
		if f == ok {
			return true
		}
	}
	return false
}
