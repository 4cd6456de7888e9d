// Package web owns the dashboard of `prevent serve`: server-rendered pages
// for Prevent leads, board members and auditors (the overview with its
// trend and forecast, people, one person's record, returns, imports, the
// training needs analysis, and for commissioners the assurance of every
// provider's quarterly return), their CSV and XLSX exports, sign-in, and the
// check that the dashboard is not exposed beyond this machine without it.
// Templates, the style sheet and the charts (inline SVG) are built in; there
// is no script.
//
// No name, email address or employee number ever appears in a URL or a log
// line: a person's page is reached by an opaque token.
package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Options configure the dashboard.
type Options struct {
	Store  *store.Store
	Config *config.Config
	// Now is the clock (time.Now when nil): today's date is the default
	// as-of date, and sessions expire by it.
	Now    func() time.Time
	Logger *slog.Logger // slog.Default() when nil
	// Secure marks every cookie Secure. Without it cookies are marked
	// Secure when the request came over HTTPS: over TLS, or through a
	// TLS-terminating proxy that sets X-Forwarded-Proto: https.
	Secure bool
}

// server is the dashboard.
type server struct {
	store  *store.Store
	cfg    *config.Config
	policy compliance.Policy
	now    func() time.Time
	log    *slog.Logger
	secure bool

	// key is random per process: it keys person tokens and CSRF tokens,
	// so both lapse when the process restarts.
	key      []byte
	pages    *pages
	auth     *auth
	people   *tokens
	position *positionCache
	work     *loads
	quarters small[*quarterFigures]
	quality  small[*report.Quality]
	content  small[keptContent] // pages' contents as rendered (contentPages)
	returns  *fileCache
	// computed counts positions and return files computed (not found in
	// a cache), for the tests; versionReads the reads of the data's
	// version from the store.
	computed     atomic.Int64
	versionReads atomic.Int64
	// contentRendered counts pages' contents rendered to be kept.
	contentRendered atomic.Int64
	// warmed is the data's version and date last warmed up (see warm).
	warmed atomic.Value
	// providerReturns is set once the store is seen to hold providers'
	// returns (commissioner mode).
	providerReturns atomic.Bool
}

// New returns the dashboard's handler.
func New(opts Options) (http.Handler, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	return s.handler(), nil
}

func newServer(opts Options) (*server, error) {
	if opts.Store == nil {
		return nil, errors.New("dashboard: no store given")
	}
	if opts.Config == nil {
		return nil, errors.New("dashboard: no config given")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	s := &server{
		store:  opts.Store,
		cfg:    opts.Config,
		policy: opts.Config.Policy(),
		now:    opts.Now,
		log:    opts.Logger,
		secure: opts.Secure,
		key:    make([]byte, 32),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if _, err := rand.Read(s.key); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.auth = newAuth(s)
	s.people = newTokens(s.key)
	s.position = newPositionCache()
	s.quarters.size = quarterCacheSize
	s.quality.size = 4
	s.content.size = contentCacheSize
	s.work = newLoads(maxLoads)
	s.returns = newFileCache()
	return s, nil
}

// handler wires the routes and the middleware around them.
func (s *server) handler() http.Handler {
	h := &handler{s: s}
	h.Handler = s.routes(h)
	return h
}

func (s *server) routes(top *handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles()))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /login", s.auth.loginPage)
	mux.HandleFunc("POST /login", s.auth.login)
	mux.HandleFunc("POST /logout", s.auth.logout)

	mux.HandleFunc("GET /{$}", s.overview)
	mux.HandleFunc("GET /people", s.peopleList)
	mux.HandleFunc("GET /people.csv", s.peopleExport)
	mux.HandleFunc("GET /people.xlsx", s.peopleExport)
	mux.HandleFunc("GET /people/{id}", s.person)
	mux.HandleFunc("GET /returns", s.returnsPage)
	mux.HandleFunc("GET /returns/{file}", s.returnDownload)
	mux.HandleFunc("GET /imports", s.importsPage)
	mux.HandleFunc("GET /tna", s.tnaPage)
	mux.HandleFunc("GET /tna.csv", s.tnaExport)
	mux.HandleFunc("GET /tna.xlsx", s.tnaExport)
	mux.HandleFunc("GET /report", s.reportPage)
	mux.HandleFunc("GET /report/{file}", s.reportDownload)
	mux.HandleFunc("GET /commissioner", s.commissioner)
	mux.HandleFunc("GET /commissioner.csv", s.commissionerExport)
	mux.HandleFunc("GET /commissioner.xlsx", s.commissionerExport)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "There is no page at this address.")
	})

	var h http.Handler = memoVersion(mux)
	h = s.auth.require(h)
	h = s.auth.checkCSRF(h)
	h = http.NewCrossOriginProtection().Handler(h)
	h = top.longWrites(h)
	h = s.checkHost(h)
	h = s.logRequests(h)
	h = securityHeaders(h)
	return s.recoverPanics(h)
}

// contentSecurityPolicy allows nothing but this server's own style sheet:
// the pages have no script, and the charts are inline SVG.
const contentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// Addresses carry filters and opaque tokens only, but nothing of
		// them need leave for another site.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// Pages hold personal data: keep them out of shared caches and
		// off the disk.
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status a handler wrote, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs each request by method, path and status. The path holds
// no personal data (people are opaque tokens); the query string, which
// holds filters, and the signed-in user are left out all the same.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		switch {
		case sw.status >= 500:
			level = slog.LevelError
		case publicPath(r.URL.Path) && r.URL.Path != "/login":
			level = slog.LevelDebug // the style sheet and health checks
		}
		s.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
	})
}

func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("dashboard internal error", slog.String("path", r.URL.Path),
					slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// mac is the HMAC-SHA256 of the parts under the process key, base64url.
func (s *server) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// randomToken is n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// today is the calendar day of the clock.
func (s *server) today() time.Time { return compliance.Day(s.now()) }
