package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func staticFiles() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.FileServerFS(sub)
}

// pages are the parsed templates: each page is the layout with its own
// "content".
type pages struct {
	byName map[string]*template.Template
}

var pageNames = []string{"overview", "people", "person", "returns", "imports", "tna", "report", "commissioner", "login", "error"}

func parsePages() (*pages, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard templates: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFS, "templates/"+name+".html")
		}
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what the layout needs around a page's own data.
type view struct {
	Title    string
	Page     string
	Provider string
	User     string
	SignOut  bool // signed in with a password: offer to sign out
	CSRF     string
	AsOf     string // the as-of date the request named, "" for today
	Nav      []navLink
	Data     any
	// Content is the page's content as rendered before, when it was kept
	// (contentPages); else the layout renders it.
	Content template.HTML
}

type navLink struct {
	Label, Href string
	Active      bool
}

var sections = []struct{ page, label, path string }{
	{"overview", "Overview", "/"},
	{"people", "People", "/people"},
	{"returns", "Quarterly returns", "/returns"},
	{"imports", "Imports and data quality", "/imports"},
	{"tna", "Training needs analysis", "/tna"},
	{"report", "Annual report", "/report"},
	{"commissioner", "Commissioner", "/commissioner"}, // when there are providers
}

// render writes a page. The page is rendered to a buffer first, so that a
// template error is a clean 500 and not half a page. A page of
// contentPages keeps its content for the next request (see servedKept).
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) {
	v := s.view(w, r, page, title, data)
	t := s.pages.byName[page]
	if key, ok := s.contentKey(r, page, status); ok {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, "content", v); err != nil {
			s.templateFailed(w, page, err)
			return
		}
		s.content.put(key, keptContent{title: title, html: template.HTML(b.String())}) // escaped by html/template
		s.contentRendered.Add(1)
		v.Content = template.HTML(b.String())
	}
	s.writePage(w, status, t, v)
}

// servedKept writes the page from the content kept for the request, and
// reports whether there was one: the handler's own work is then not done
// again.
func (s *server) servedKept(w http.ResponseWriter, r *http.Request, page string) bool {
	key, ok := s.contentKey(r, page, http.StatusOK)
	if !ok {
		return false
	}
	kept, hit := s.content.get(key)
	if !hit {
		return false
	}
	v := s.view(w, r, page, kept.title, nil)
	v.Content = kept.html
	s.writePage(w, http.StatusOK, s.pages.byName[page], v)
	return true
}

// keptContent is a page's title and content as rendered.
type keptContent struct {
	title string
	html  template.HTML
}

// view is the layout's part of a page for the request.
func (s *server) view(w http.ResponseWriter, r *http.Request, page, title string, data any) view {
	v := view{Title: title, Page: page, Provider: s.cfg.Organisation, User: userOf(r),
		SignOut: len(s.auth.users) > 0 && userOf(r) != "", CSRF: s.csrfToken(w, r), Data: data}
	if v.Provider == "" {
		v.Provider = "Prevent training compliance"
	}
	if as := r.URL.Query().Get("as_of"); as != "" {
		if _, err := time.Parse(time.DateOnly, as); err == nil {
			v.AsOf = as
		}
	}
	for _, sec := range sections {
		if sec.page == "commissioner" && page != "commissioner" && (page == "login" || !s.commissionerShown(r.Context())) {
			continue
		}
		href := sec.path
		if v.AsOf != "" && sec.page != "returns" && sec.page != "imports" && sec.page != "commissioner" && sec.page != "report" {
			href += "?" + url.Values{"as_of": {v.AsOf}}.Encode()
		}
		v.Nav = append(v.Nav, navLink{Label: sec.label, Href: href, Active: sec.page == page})
	}
	return v
}

// writePage renders the layout around v's content and writes it.
func (s *server) writePage(w http.ResponseWriter, status int, t *template.Template, v view) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.templateFailed(w, v.Page, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (s *server) templateFailed(w http.ResponseWriter, page string, err error) {
	s.log.Error("dashboard template failed", slog.String("page", page), slog.Any("error", err))
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// contentPages are the pages whose content (all but the header, the
// navigation and the footer) is kept as rendered, for the request's
// address and user, the data's version and the day: what they show comes
// from those and the config alone. At national scale rendering is most of
// a cached page's cost. The returns page adds its deliveries' state to the
// key (withContentState). The imports, commissioner and person pages also
// show what changes without an import (collated returns, scheduled runs,
// a person's tokens) and are rendered each time.
var contentPages = map[string]bool{"overview": true, "people": true, "tna": true, "returns": true}

// contentCacheSize bounds the pages' contents kept (each at most a few
// hundred KB); a new version of the data leaves the old ones unused, and
// they go when the cache is full.
const contentCacheSize = 128

// contentKey is the content cache's key for a page answering a request,
// and whether the page's content may be kept.
func (s *server) contentKey(r *http.Request, page string, status int) (string, bool) {
	if status != http.StatusOK || !contentPages[page] || r.Method != http.MethodGet {
		return "", false
	}
	version, err := s.version(r.Context())
	if err != nil {
		return "", false
	}
	extra, _ := r.Context().Value(contentStateKey{}).(string)
	return strings.Join([]string{page, r.URL.Path, r.URL.RawQuery, userOf(r), version, isoDate(s.today()), extra}, "\x00"), true
}

type contentStateKey struct{}

// withContentState adds to a request what its page shows beyond the
// data's version (the returns page's deliveries), for the content kept.
func withContentState(r *http.Request, state string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), contentStateKey{}, state))
}

type errorData struct {
	Status  int
	Message string
}

// fail writes an error page saying what went wrong, in a sentence.
func (s *server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", http.StatusText(status), errorData{Status: status, Message: msg})
}

// internal logs an error and writes a page that says no more than that
// something failed (the log has the detail).
func (s *server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("dashboard request failed", slog.String("path", r.URL.Path), slog.Any("error", err))
	s.fail(w, r, http.StatusInternalServerError, "Something went wrong reading the database. The server log has the detail.")
}

var funcs = template.FuncMap{
	"pct": func(t compliance.Tally) string {
		if p := figures.Pct(t); p != "" {
			return p + "%"
		}
		return "–"
	},
	"ratio": func(t compliance.Tally) string {
		if t.Required == 0 {
			return "nobody required"
		}
		return fmt.Sprintf("%d of %d", t.Compliant, t.Required)
	},
	"meets": func(t compliance.Tally, th float64) bool { return t.Meets(th) },
	"date":  isoDate,
	"long":  longDate,
	"dash": func(s string) string {
		if s == "" {
			return "–"
		}
		return s
	},
	"levelTitle": func(l compliance.Level) string { return l.Title() },
	"statusText": statusText,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	"lower": strings.ToLower,
	"join":  strings.Join,
	// groupTables lists the people page's summary tables that are set.
	"groupTables": func(tables ...*groupTable) []*groupTable {
		var out []*groupTable
		for _, t := range tables {
			if t != nil {
				out = append(out, t)
			}
		}
		return out
	},
	"threshold": figures.ThresholdPct,
	// when is an instant in the server's time zone.
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04")
	},
}

func isoDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func longDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2 January 2006")
}

// statusText is a status in words, for badges and headings.
func statusText(st compliance.Status) string {
	switch st {
	case compliance.DueSoon:
		return "Due soon"
	case compliance.Expired:
		return "Expired"
	case compliance.Never:
		return "Never trained"
	case compliance.Compliant:
		return "Compliant"
	case compliance.NewStarter:
		return "New starter"
	case compliance.Exempt:
		return "Exempt"
	}
	return string(st)
}
