package web

import (
	"errors"
	"github.com/nhs-prevent/prevent/internal/loopback"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Timeouts bound how long a client may hold a connection of the
// dashboard's server: a body trickled a byte at a time, or a keep-alive
// connection left idle, would otherwise hold it open for good.
type Timeouts struct {
	ReadHeader time.Duration // the request line and headers
	Read       time.Duration // the whole request, body included
	Write      time.Duration // the answer to a page, from the end of the headers
	Idle       time.Duration // a keep-alive connection between requests
	// Download is the write deadline of a CSV or Excel download, set by
	// its handler: a whole trust's people is megabytes, and may go to a
	// slow connection.
	Download time.Duration
}

// DefaultTimeouts are the dashboard's: its forms are a few hundred bytes;
// its pages are computed in seconds, but under load wait their turn behind
// others (two at a time), so the write timeout leaves room for that.
var DefaultTimeouts = Timeouts{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Write:      5 * time.Minute,
	Idle:       time.Minute,
	Download:   10 * time.Minute,
}

// Server is the HTTP server for the dashboard's handler (from New), with
// DefaultTimeouts, logging the server's own errors as warnings.
func Server(h http.Handler, log *slog.Logger) *http.Server {
	return newHTTPServer(h, log, DefaultTimeouts)
}

func newHTTPServer(h http.Handler, log *slog.Logger, t Timeouts) *http.Server {
	if s, ok := h.(*handler); ok {
		s.downloads = t.Download
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

// handler is the dashboard's http.Handler, so that Server can tell it the
// download deadline.
type handler struct {
	http.Handler
	downloads time.Duration
	s         *server // for Warm
}

// longWrites gives downloads their own, longer write deadline.
func (h *handler) longWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.downloads > 0 && isExport(r.URL.Path) {
			// Not every ResponseWriter has deadlines (httptest's has
			// none); the server's own timeout then stands.
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(h.downloads))
		}
		next.ServeHTTP(w, r)
	})
}

// maxFormBytes bounds the body of every form: the dashboard's are a name,
// a password and a token.
const maxFormBytes = 16 << 10

// formTooLarge reports whether reading a form failed on maxFormBytes.
func formTooLarge(r *http.Request) bool {
	var tooLarge *http.MaxBytesError
	return errors.As(r.ParseForm(), &tooLarge)
}

// checkHost answers only requests addressed to this machine by name when
// nobody signs in (the dashboard then listens on loopback alone). A web
// page elsewhere can point its own name at 127.0.0.1 (DNS rebinding) and
// read what its visitor's dashboard shows; its requests carry its name in
// Host, and get 421.
func (s *server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.auth.enabled() && !loopbackHost(r.Host) {
			s.log.Warn("dashboard request refused: addressed to a name other than this machine's", "path", r.URL.Path)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusMisdirectedRequest)
			_, _ = w.Write([]byte("This dashboard answers only at http://127.0.0.1, http://localhost or http://[::1] on this machine.\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine:
// localhost, 127.0.0.0/8 or ::1, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return loopback.Is(host)
}
