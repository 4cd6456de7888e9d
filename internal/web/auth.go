package web

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/nhs-prevent/prevent/internal/config"
)

// Cookie names.
const (
	sessionCookie = "prevent_session"
	csrfCookie    = "prevent_csrf"
	csrfField     = "csrf_token"
)

// Session lifetimes: a session lapses after an idle hour, and after twelve
// hours however busy.
const (
	sessionIdle     = time.Hour
	sessionLifetime = 12 * time.Hour
)

// Sign-in throttling: after maxFailures failed sign-ins for one name from
// one address within failureWindow, that name is refused from that address
// until the window passes. Keyed by both, so that people signing in through
// one proxy address cannot lock each other out.
const (
	maxFailures   = 10
	failureWindow = 15 * time.Minute
)

// auth signs people in. Its mode follows the config: nobody (loopback
// only, no sign-in), users (a /login form and sessions in memory), or a
// trusted proxy header.
type auth struct {
	s     *server
	users []config.WebUser
	proxy string // header name, "" when not in proxy mode

	mu       sync.Mutex
	sessions map[string]*session
	failures map[string]*failures
}

type session struct {
	user    string
	created time.Time
	seen    time.Time
}

type failures struct {
	count int
	since time.Time
}

// dummyHash is compared against when a user name is unknown, so that a
// wrong name takes as long as a wrong password. Made on first use, not at
// start: every prevent command links this package.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)
	return h
})

func newAuth(s *server) *auth {
	return &auth{s: s, users: s.cfg.Web.Users, proxy: strings.TrimSpace(s.cfg.Web.ProxyHeader),
		sessions: map[string]*session{}, failures: map[string]*failures{}}
}

func (a *auth) enabled() bool { return len(a.users) > 0 || a.proxy != "" }

type userKey struct{}

// userOf is the signed-in user of a request, "" when signing in is off.
func userOf(r *http.Request) string {
	u, _ := r.Context().Value(userKey{}).(string)
	return u
}

// publicPath reports whether a path is served without signing in: the
// sign-in form and what it needs.
func publicPath(p string) bool {
	return p == "/login" || p == "/healthz" || strings.HasPrefix(p, "/static/")
}

// require lets a request through when signing in is off, the path is
// public, or the request is signed in. Otherwise a page is redirected to
// the sign-in form and anything else (an export, a POST) is refused.
func (a *auth) require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.enabled() {
			next.ServeHTTP(w, r)
			return
		}
		user := a.user(r)
		if user != "" {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
			return
		}
		if publicPath(r.URL.Path) || (r.URL.Path == "/logout" && a.proxy == "") {
			next.ServeHTTP(w, r)
			return
		}
		if a.proxy != "" {
			a.s.fail(w, r, http.StatusForbidden, "This dashboard is signed in to through the organisation's sign-in proxy, and this request did not come through it.")
			return
		}
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !isExport(r.URL.Path) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		a.s.fail(w, r, http.StatusForbidden, "Sign in first.")
	})
}

func isExport(p string) bool {
	return strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, ".xlsx") || strings.HasPrefix(p, "/returns/")
}

// user is the signed-in user of a request, "" when there is none. A
// session's idle time restarts with each request.
func (a *auth) user(r *http.Request) string {
	if a.proxy != "" {
		return strings.TrimSpace(r.Header.Get(a.proxy))
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	now := a.s.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	sess := a.sessions[c.Value]
	if sess == nil {
		return ""
	}
	if now.Sub(sess.seen) > sessionIdle || now.Sub(sess.created) > sessionLifetime {
		delete(a.sessions, c.Value)
		return ""
	}
	sess.seen = now
	return sess.user
}

// csrfToken is the token forms carry: the HMAC of the browser's CSRF
// cookie, which is set here when missing. A page from another site can
// neither read the cookie nor compute the token.
func (s *server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	seed := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		seed = c.Value
	} else {
		seed = s.setCSRFCookie(w, r)
	}
	return s.mac("csrf", seed)
}

func (s *server) setCSRFCookie(w http.ResponseWriter, r *http.Request) string {
	seed := randomToken(32)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: seed, Path: "/", HttpOnly: true,
		Secure: s.secureFor(r), SameSite: http.SameSiteStrictMode})
	return seed
}

// secureFor reports whether cookies set in answer to r are to be marked
// Secure (sent back over HTTPS only): when Options.Secure says so, when r
// came over TLS, or when a TLS-terminating proxy in front says it did
// (X-Forwarded-Proto: https). Someone faking that header over plain HTTP
// only gets cookies their browser will not send back.
func (s *server) secureFor(r *http.Request) bool {
	return s.secure || r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// checkCSRF refuses every request that could change something (anything
// but GET, HEAD and OPTIONS) unless its form carries the token of its CSRF
// cookie.
func (a *auth) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		c, err := r.Cookie(csrfCookie)
		given := r.PostFormValue(csrfField)
		if err != nil || given == "" || subtle.ConstantTimeCompare([]byte(given), []byte(a.s.mac("csrf", c.Value))) != 1 {
			a.s.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this dashboard. Go back, reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type loginData struct {
	Next  string
	Name  string
	Error string
}

func (a *auth) loginPage(w http.ResponseWriter, r *http.Request) {
	if len(a.users) == 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	a.s.render(w, r, http.StatusOK, "login", "Sign in", loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

func (a *auth) login(w http.ResponseWriter, r *http.Request) {
	if len(a.users) == 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	name := strings.TrimSpace(r.PostFormValue("name"))
	password := r.PostFormValue("password")
	ip := clientIP(r)
	key := ip + "\x00" + strings.ToLower(name)
	if a.throttled(key) {
		a.s.log.Warn("dashboard sign-in refused: too many failures", "from", ip)
		a.s.render(w, r, http.StatusTooManyRequests, "login", "Sign in", loginData{Next: next, Name: name,
			Error: "Too many failed attempts for this name from this computer. Wait 15 minutes and try again."})
		return
	}
	user, ok := a.check(name, password)
	if !ok {
		a.fail(key)
		// The name is not logged: it may be a person's name.
		a.s.log.Warn("dashboard sign-in failed", "from", ip)
		a.s.render(w, r, http.StatusUnauthorized, "login", "Sign in", loginData{Next: next, Name: name,
			Error: "The name or password is not right."})
		return
	}
	id := randomToken(32)
	now := a.s.now()
	a.mu.Lock()
	a.sweep(now)
	a.sessions[id] = &session{user: user, created: now, seen: now}
	delete(a.failures, key)
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		Secure: a.s.secureFor(r), SameSite: http.SameSiteStrictMode, MaxAge: int(sessionLifetime.Seconds())})
	a.s.setCSRFCookie(w, r) // a fresh CSRF cookie for the session
	a.s.log.Info("dashboard sign-in", "from", ip)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// check compares a password with the user's bcrypt hash, taking as long
// for an unknown name.
func (a *auth) check(name, password string) (string, bool) {
	hash, user := dummyHash(), ""
	for _, u := range a.users {
		if strings.EqualFold(strings.TrimSpace(u.Name), name) {
			hash, user = []byte(u.PasswordHash), u.Name
			break
		}
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	return user, err == nil && user != ""
}

func (a *auth) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: a.s.secureFor(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	target := "/login"
	if len(a.users) == 0 {
		target = "/"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// sweep forgets lapsed sessions and old failures; a.mu is held.
func (a *auth) sweep(now time.Time) {
	for id, sess := range a.sessions {
		if now.Sub(sess.seen) > sessionIdle || now.Sub(sess.created) > sessionLifetime {
			delete(a.sessions, id)
		}
	}
	for key, f := range a.failures {
		if now.Sub(f.since) > failureWindow {
			delete(a.failures, key)
		}
	}
}

func (a *auth) throttled(key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[key]
	return f != nil && f.count >= maxFailures && a.s.now().Sub(f.since) <= failureWindow
}

func (a *auth) fail(key string) {
	now := a.s.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[key]
	if f == nil || now.Sub(f.since) > failureWindow {
		f = &failures{since: now}
		a.failures[key] = f
	}
	f.count++
}

// clientIP is the address the request came from (the proxy's, behind
// one).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext keeps a post-sign-in destination on this site: a path, never
// "//host" or an absolute URL.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
